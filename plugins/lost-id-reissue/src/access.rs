//! Who may do what. Residents see only their own rows; the household
//! registration desk of the police station works the applications (and
//! reads the loss reports behind them); the community police office works
//! the anti-fraud queue. Nobody else — not other police units, not admins.
//!
//! This is a first-party service (it has no owner unit), so the two units
//! are named here, as they are in the manifest's `[[case-kinds]]`.

use onewindow_sdk::prelude::*;

/// The household registration desk: reissue and temporary ID applications.
pub const DESK: &str = "police-central";
/// The community police office: the anti-fraud queue.
pub const ANTI_FRAUD: &str = "police-east-community";

/// The caller if it is staff of `unit`; 401 when anonymous, 403 otherwise.
pub fn require_staff_of<'r>(req: &'r Request, unit: &str) -> Result<&'r Caller> {
    let caller = req.require_caller()?;
    if caller.role == Role::Staff && caller.unit.as_ref().is_some_and(|u| u.id == unit) {
        Ok(caller)
    } else {
        Err(Error::forbidden(format!("this route is for staff of {unit}")))
    }
}

/// Who reads a list or a row: its resident, or the staff of the unit that works it.
#[derive(Debug, Clone, Copy)]
pub enum Reader<'a> {
    /// A resident: only rows whose `resident` is this account.
    Resident(&'a str),
    /// Staff of the unit that works these rows: all of them.
    Staff,
}

impl<'a> Reader<'a> {
    /// The caller as a reader of rows worked by `unit`; 401 when anonymous,
    /// 403 for staff of any other unit and for admins.
    pub fn of(req: &'a Request, unit: &str) -> Result<Reader<'a>> {
        let caller = req.require_caller()?;
        if caller.role == Role::Resident {
            return Ok(Reader::Resident(caller.subject.as_str()));
        }
        require_staff_of(req, unit).map(|_| Reader::Staff)
    }

    /// Narrows `query` to the rows this reader may see.
    pub fn filter<F: Filter>(self, query: F) -> F {
        match self {
            Reader::Resident(subject) => query.where_eq("resident", subject),
            Reader::Staff => query,
        }
    }
}
