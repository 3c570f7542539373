//! Who is calling, and what they may see. The case is the truth about which
//! units work on a matter: staff of a unit on the case (lead or brought in)
//! may read it here, whichever way their unit came to it; only the lead unit
//! decides (convenes, declines, records the outcome, closes).

use onewindow_sdk::cases::Case;
use onewindow_sdk::prelude::*;

/// The unit that answers legal questions and leads mediations.
pub const JUDICIAL_OFFICE: &str = "judicial-office";
/// The community police office that sits in on mediations.
pub const POLICE_OFFICE: &str = "police-east-community";

/// A signed-in caller of this service.
#[derive(Debug, Clone, Copy)]
pub enum Viewer<'a> {
    Resident(&'a str),
    Staff { subject: &'a str, unit: &'a str, kind: UnitKind },
}

impl<'a> Viewer<'a> {
    /// The caller as a resident or a staff member of a unit; 401 when
    /// anonymous, 403 for an admin (admins govern plugins, they work no cases).
    pub fn of(req: &'a Request) -> Result<Viewer<'a>> {
        let caller = req.require_caller()?;
        match (caller.role, &caller.unit) {
            (Role::Resident, _) => Ok(Viewer::Resident(caller.subject.as_str())),
            (Role::Staff, Some(unit)) => {
                Ok(Viewer::Staff { subject: caller.subject.as_str(), unit: unit.id.as_str(), kind: unit.kind })
            }
            _ => Err(Error::forbidden("this service is for residents and the staff of the units working its cases")),
        }
    }

    /// The staff member's unit, if staff.
    pub fn unit(&self) -> Option<&'a str> {
        match self {
            Viewer::Staff { unit, .. } => Some(unit),
            Viewer::Resident(_) => None,
        }
    }

    /// The account id.
    pub fn subject(&self) -> &'a str {
        match self {
            Viewer::Resident(subject) | Viewer::Staff { subject, .. } => subject,
        }
    }
}

/// The caller if they are staff of a unit working on `case`; a case their
/// unit is not on does not exist for them (404, as in the staff console).
pub fn staff_on_case<'a>(req: &'a Request, case: &Case) -> Result<(&'a str, &'a str)> {
    let caller = req.require_role(Role::Staff)?;
    match &caller.unit {
        Some(unit) if case.units.contains(&unit.id) => Ok((caller.subject.as_str(), unit.id.as_str())),
        _ => Err(Error::not_found(format!("your unit has no case {}", case.reference))),
    }
}

/// The caller if they are staff of the unit leading `case`: 404 for a unit
/// not on the case, 403 for one brought in beside the lead.
pub fn staff_leading<'a>(req: &'a Request, case: &Case) -> Result<(&'a str, &'a str)> {
    let (subject, unit) = staff_on_case(req, case)?;
    if case.unit != unit {
        return Err(Error::forbidden(format!(
            "only the unit leading case {} ({}) may do this",
            case.reference, case.unit
        )));
    }
    Ok((subject, unit))
}
