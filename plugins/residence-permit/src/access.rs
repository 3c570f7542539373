//! Who may do what. Residents see only their own rows (another resident's
//! row is not found, a 404); the police work the applications and
//! endorsements; everyone else, admins included, is refused (403), and
//! anonymous callers are asked to sign in (401).
//!
//! The desk is the staff of `police-central`, the unit the manifest's
//! `[[case-kinds]]` assign every case to: staff see only their own unit's
//! work, so another station's officers are refused (version 0.2 let any
//! police unit in).

use onewindow_sdk::prelude::*;

/// The unit every case of this service is assigned to.
pub const DESK_UNIT: &str = "police-central";

/// The caller if it is staff of the desk; 401 when anonymous, 403 otherwise.
pub fn require_desk(req: &Request) -> Result<&Caller> {
    let caller = req.require_caller()?;
    if is_desk(caller) { Ok(caller) } else { Err(Error::forbidden(format!("this route is for staff of {DESK_UNIT}"))) }
}

fn is_desk(caller: &Caller) -> bool {
    caller.role == Role::Staff && caller.unit.as_ref().is_some_and(|u| u.id == DESK_UNIT)
}

/// Who reads a list or a row: its resident, or the desk.
#[derive(Debug, Clone, Copy)]
pub enum Reader<'a> {
    /// A resident: only rows whose owner column is this account.
    Resident(&'a str),
    /// Staff of the desk (police-central): every row.
    Desk,
}

impl<'a> Reader<'a> {
    /// The caller as a reader; 401 when anonymous, 403 for anyone but residents and the desk.
    pub fn of(req: &'a Request) -> Result<Reader<'a>> {
        let caller = req.require_caller()?;
        if caller.role == Role::Resident {
            Ok(Reader::Resident(caller.subject.as_str()))
        } else if is_desk(caller) {
            Ok(Reader::Desk)
        } else {
            Err(Error::forbidden(format!(
                "only residents and staff of {DESK_UNIT} may read residence permits and applications"
            )))
        }
    }

    /// Narrows `query` to the rows this reader may see (`owner`: the column naming the resident).
    pub fn filter<F: Filter>(self, query: F, owner: &str) -> F {
        match self {
            Reader::Resident(subject) => query.where_eq(owner, subject),
            Reader::Desk => query,
        }
    }
}
