//! Cases, through the host's `cases` capability: the host owns them (so a
//! resident sees every case in one place and the units are measured), keeps
//! the status model and one history across units, and tells the resident of
//! every status change. A service opens cases of the kinds its manifest
//! declares, for the units its grant names.
//!
//! ```no_run
//! use onewindow_sdk::cases::{self, Status};
//! # fn run(resident: &str) -> onewindow_sdk::Result<()> {
//! let case = cases::open("application", resident, "police-central")
//!     .data(&serde_json::json!({ "reason": "work" }))
//!     .note("applied online")
//!     .execute()?;
//! // Later, when staff accept it (a 409 names the allowed moves if illegal):
//! cases::transition(case.id, Status::Accepted, "documents complete")?;
//! // Bring the community committee in beside the lead unit:
//! cases::refer(case.id, "community-east", true, "home visit")?;
//! # Ok(()) }
//! ```

use crate::bindings::onewindow::platform::cases as wit;
use crate::bindings::onewindow::platform::types::Error as CaseError;
use crate::host;

pub use wit::{CaseInfo as Case, HistoryEntry, Status};

/// Starts opening a case of `kind` for `resident` (an account id), assigned to `unit`.
pub fn open(kind: &str, resident: &str, unit: &str) -> Open {
    Open {
        new: wit::NewCase {
            kind: kind.to_owned(),
            resident: resident.to_owned(),
            unit: unit.to_owned(),
            data: "{}".to_owned(),
            note: String::new(),
        },
    }
}

/// A case being opened.
pub struct Open {
    new: wit::NewCase,
}

impl Open {
    /// The service's own data about the case (kept as JSON, at most 64 KiB).
    pub fn data(mut self, data: &serde_json::Value) -> Self {
        self.new.data = data.to_string();
        self
    }

    /// A note for the history.
    pub fn note(mut self, note: &str) -> Self {
        self.new.note = note.to_owned();
        self
    }

    /// Opens it (status `requested`, due after the kind's time limit).
    pub fn execute(self) -> Result<Case, CaseError> {
        host::cases_create(&self.new)
    }
}

/// A case of this service by id.
pub fn get(id: i64) -> Result<Case, CaseError> {
    host::cases_get(id)
}

/// A case of this service by its reference (e.g. `RP-2026-000123`).
pub fn get_by_reference(reference: &str) -> Result<Case, CaseError> {
    host::cases_get_by_reference(reference)
}

/// Cases of this service of one resident, newest first.
pub fn of_resident(resident: &str, limit: u32) -> Result<Vec<Case>, CaseError> {
    host::cases_find(&wit::CaseFilter {
        resident: Some(resident.to_owned()),
        unit: None,
        kind: None,
        status: None,
        limit: Some(limit),
        offset: None,
    })
}

/// Cases of this service matching a filter.
pub fn find(filter: &wit::CaseFilter) -> Result<Vec<Case>, CaseError> {
    host::cases_find(filter)
}

/// The case's history, oldest first.
pub fn history(id: i64) -> Result<Vec<HistoryEntry>, CaseError> {
    host::cases_history(id)
}

/// Moves a case to `to`.
pub fn transition(id: i64, to: Status, note: &str) -> Result<Case, CaseError> {
    host::cases_transition(id, to, note)
}

/// Hands the case to `unit` (`keep = false`) or brings `unit` in (`keep = true`).
pub fn refer(id: i64, unit: &str, keep: bool, note: &str) -> Result<Case, CaseError> {
    host::cases_refer(id, unit, keep, note)
}

/// Adds a note to the history.
pub fn note(id: i64, note: &str) -> Result<(), CaseError> {
    host::cases_add_note(id, note)
}

/// Replaces the service's data about the case.
pub fn set_data(id: i64, data: &serde_json::Value) -> Result<Case, CaseError> {
    host::cases_set_data(id, &data.to_string())
}

/// The status as the host's APIs spell it (`in-progress`, ...).
pub fn status_name(status: Status) -> &'static str {
    match status {
        Status::Requested => "requested",
        Status::Accepted => "accepted",
        Status::Rejected => "rejected",
        Status::InProgress => "in-progress",
        Status::OnHold => "on-hold",
        Status::Completed => "completed",
        Status::Cancelled => "cancelled",
        Status::Failed => "failed",
    }
}
