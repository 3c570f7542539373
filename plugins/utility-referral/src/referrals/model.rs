//! A referral as stored and as answered, and who may move it where.
//!
//! Statuses are the platform case's (the referral follows its case): the
//! unit moves it requested → accepted → in-progress → completed, or
//! requested → rejected with a reason; the resident may cancel it until work
//! starts. Staff may also move the case in the platform's staff console, so
//! the stored status is refreshed from the case whenever one referral is
//! read or moved.

use std::collections::BTreeMap;

use onewindow_sdk::Language;
use onewindow_sdk::cases::Status;
use onewindow_sdk::prelude::*;
use serde::{Deserialize, Serialize};

use crate::catalog;
use crate::directory::Directory;
use crate::safety::SafetyView;

/// The table of referrals.
pub const TABLE: &str = "referrals";

/// Every status a referral can have (its case's).
pub const STATUSES: [&str; 8] =
    ["requested", "accepted", "rejected", "in-progress", "on-hold", "completed", "cancelled", "failed"];

/// The moves a partner unit's staff make here (`on-hold` comes only from
/// the staff console; work resumes from it here).
pub const STAFF_MOVES: Transitions = Transitions::new(&[
    ("requested", &["accepted", "rejected"]),
    ("accepted", &["in-progress"]),
    ("in-progress", &["completed"]),
    ("on-hold", &["in-progress"]),
]);

/// The targets staff may name (for the 422 of an unknown one).
pub const STAFF_TARGETS: [&str; 4] = ["accepted", "rejected", "in-progress", "completed"];

/// The resident may withdraw a report until the unit starts work on it.
pub const RESIDENT_MOVES: Transitions =
    Transitions::new(&[("requested", &["cancelled"]), ("accepted", &["cancelled"])]);

/// The case status of a referral status.
pub fn case_status(status: &str) -> Option<Status> {
    Some(match status {
        "requested" => Status::Requested,
        "accepted" => Status::Accepted,
        "rejected" => Status::Rejected,
        "in-progress" => Status::InProgress,
        "on-hold" => Status::OnHold,
        "completed" => Status::Completed,
        "cancelled" => Status::Cancelled,
        "failed" => Status::Failed,
        _ => return None,
    })
}

/// Whether a referral in `status` is still being worked.
pub fn is_open(status: &str) -> bool {
    matches!(status, "requested" | "accepted" | "in-progress" | "on-hold")
}

/// A stored referral (one row of `referrals`).
#[derive(Debug, Clone, Deserialize)]
pub struct Stored {
    pub id: i64,
    pub resident: String,
    pub category: String,
    pub urgency: String,
    pub unit_id: String,
    pub proposed_unit: String,
    pub description: Option<String>,
    /// JSON object of detail key → value.
    pub details: String,
    pub location: Option<String>,
    pub share_contact: bool,
    pub consented_at: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_address: Option<String>,
    pub status: String,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub respond_by: Option<String>,
    pub due_at: Option<String>,
    pub case_id: Option<i64>,
    pub case_reference: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// The phone and address the resident agreed to share with the unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Contact {
    pub phone: String,
    pub address: String,
}

/// A referral as the resident and the unit's staff read it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ReferralView {
    pub id: i64,
    /// The platform case's reference, e.g. `URG-2026-000012`.
    pub reference: Option<String>,
    pub case_id: Option<i64>,
    pub category: String,
    /// In the caller's language.
    pub category_name: String,
    /// `urgent`, `outage` or `routine`.
    pub urgency: String,
    /// The unit it went to.
    pub unit: String,
    pub unit_name: String,
    /// The unit the service proposed (differs when the resident chose another).
    pub proposed_unit: String,
    pub description: Option<String>,
    pub details: BTreeMap<String, String>,
    /// Where, when not at home.
    pub location: Option<String>,
    /// Whether the resident ticked "share my phone and address with this unit".
    pub share_contact: bool,
    pub consented_at: Option<String>,
    /// Only when shared.
    pub contact: Option<Contact>,
    pub status: String,
    /// Why the unit declined it.
    pub reason: Option<String>,
    /// The unit's latest note.
    pub note: Option<String>,
    /// The first response asked of the unit (urgent: 2 hours, outage: 24 hours).
    pub respond_by: Option<String>,
    /// The case's due date (urgent: 1 day, outage: 2 days, routine: 7 days).
    pub due_at: Option<String>,
    /// For urgent categories while open: what to do now.
    pub safety: Option<SafetyView>,
    pub created_at: String,
    pub updated_at: String,
}

impl ReferralView {
    /// The view of `stored` in `language`.
    pub fn of(stored: &Stored, directory: &Directory, language: Language) -> ReferralView {
        let category = catalog::find_category(&stored.category);
        let contact = match (&stored.contact_phone, &stored.contact_address) {
            (Some(phone), Some(address)) if stored.share_contact => {
                Some(Contact { phone: phone.clone(), address: address.clone() })
            }
            _ => None,
        };
        ReferralView {
            id: stored.id,
            reference: stored.case_reference.clone(),
            case_id: stored.case_id,
            category: stored.category.clone(),
            category_name: category.map_or_else(|| stored.category.clone(), |c| (*c.name.pick(language)).to_owned()),
            urgency: stored.urgency.clone(),
            unit: stored.unit_id.clone(),
            unit_name: directory.unit_name(&stored.unit_id, language),
            proposed_unit: stored.proposed_unit.clone(),
            description: stored.description.clone(),
            details: serde_json::from_str(&stored.details).unwrap_or_default(),
            location: stored.location.clone(),
            share_contact: stored.share_contact,
            consented_at: stored.consented_at.clone(),
            contact,
            status: stored.status.clone(),
            reason: stored.reason.clone(),
            note: stored.note.clone(),
            respond_by: stored.respond_by.clone(),
            due_at: stored.due_at.clone(),
            safety: category.filter(|_| is_open(&stored.status)).and_then(|c| directory.safety(c, language)),
            created_at: stored.created_at.clone(),
            updated_at: stored.updated_at.clone(),
        }
    }
}

/// Referral `id` if `owner_column` is `owner` (the caller's own, or the
/// caller's unit's); any other is not found.
pub fn load(id: i64, owner_column: &str, owner: &str) -> Result<Stored> {
    let row = table(TABLE).all().where_eq("id", id).where_eq(owner_column, owner).fetch_optional()?;
    row.ok_or_else(|| Error::not_found(format!("no referral {id}")))?.deserialize()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_move_here_is_one_the_platforms_case_model_allows() {
        use onewindow_sdk::cases::status_name;
        // The host's closed-loop model (host/src/store/cases.rs).
        let host = |from: &str| -> &[&str] {
            match from {
                "requested" => &["accepted", "rejected", "cancelled"],
                "accepted" => &["in-progress", "cancelled"],
                "in-progress" => &["on-hold", "completed", "failed", "cancelled"],
                "on-hold" => &["in-progress", "cancelled"],
                _ => &[],
            }
        };
        for from in STATUSES {
            for to in STAFF_MOVES.allowed(from).iter().chain(RESIDENT_MOVES.allowed(from)) {
                assert!(host(from).contains(to), "{from} → {to}");
            }
            assert_eq!(case_status(from).map(status_name), Some(from));
        }
        assert!(STAFF_MOVES.check("requested", "completed").is_err());
        assert!(RESIDENT_MOVES.check("in-progress", "cancelled").is_err(), "not once work started");
    }
}
