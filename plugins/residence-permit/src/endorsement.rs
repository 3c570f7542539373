//! The yearly endorsement (签注) of a permit, as its renewal: the holder
//! asks in the 30 days before the last valid day; the desk approves (a year
//! more) or rejects with a reason.
//!
//! ```text
//! submitted → approved | rejected   (staff)
//! ```

use onewindow_sdk::{Language, Transitions};
use serde::{Deserialize, Serialize};

use crate::texts;

/// The table endorsement requests live in.
pub const TABLE: &str = "endorsements";

pub const SUBMITTED: &str = "submitted";
pub const APPROVED: &str = "approved";
pub const REJECTED: &str = "rejected";

/// The moves police staff make (`POST /endorsements/{id}/transition`).
pub const STAFF_MOVES: Transitions = Transitions::new(&[(SUBMITTED, &[APPROVED, REJECTED])]);

/// A stored endorsement request.
#[derive(Debug, Clone, Deserialize)]
pub struct Row {
    pub id: i64,
    pub holder: String,
    pub permit_id: i64,
    pub permit_number: String,
    pub status: String,
    pub valid_until_before: String,
    pub valid_until_after: Option<String>,
    pub note: Option<String>,
    pub rejection_reason: Option<String>,
    pub decided_by: Option<String>,
    pub case_id: Option<i64>,
    pub case_reference: Option<String>,
    pub due_at: Option<String>,
    pub requested_at: String,
    pub updated_at: String,
}

impl Row {
    /// The reference the resident knows it by.
    pub fn reference(&self) -> String {
        self.case_reference.clone().unwrap_or_else(|| format!("#{}", self.id))
    }
}

/// An endorsement request, as answered.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Endorsement {
    pub id: i64,
    pub holder: String,
    pub permit_id: i64,
    pub permit_number: String,
    /// submitted, approved or rejected.
    pub status: String,
    /// The permit's last valid day when asked.
    pub valid_until_before: String,
    /// Once approved: the new last valid day (one year later).
    pub valid_until_after: Option<String>,
    /// The holder's note, if any.
    pub note: Option<String>,
    pub rejection_reason: Option<String>,
    pub decided_by: Option<String>,
    /// The platform case with the registration desk (reference RPE-…), due 5 days after opening.
    pub case_id: Option<i64>,
    pub case_reference: Option<String>,
    pub due_at: Option<String>,
    pub requested_at: String,
    pub updated_at: String,
    /// What happens next in its status, in the caller's language.
    pub what_happens_next: &'static str,
}

impl Endorsement {
    pub fn new(row: Row, language: Language) -> Endorsement {
        Endorsement {
            what_happens_next: texts::endorsement_next(&row.status).pick(language),
            id: row.id,
            holder: row.holder,
            permit_id: row.permit_id,
            permit_number: row.permit_number,
            status: row.status,
            valid_until_before: row.valid_until_before,
            valid_until_after: row.valid_until_after,
            note: row.note,
            rejection_reason: row.rejection_reason,
            decided_by: row.decided_by,
            case_id: row.case_id,
            case_reference: row.case_reference,
            due_at: row.due_at,
            requested_at: row.requested_at,
            updated_at: row.updated_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_decide_once() {
        assert!(STAFF_MOVES.check(SUBMITTED, APPROVED).is_ok());
        assert!(STAFF_MOVES.check(SUBMITTED, REJECTED).is_ok());
        assert_eq!(
            STAFF_MOVES.check(APPROVED, REJECTED).unwrap_err().detail(),
            "cannot move from approved to rejected; allowed: none"
        );
    }
}
