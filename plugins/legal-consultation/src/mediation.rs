//! A mediation (三调联动): its stored rows, its statuses, and which
//! residents' committee takes part.
//!
//! requested → convened (the judicial office brings in the committee and
//! the community police office) → agreed | no-agreement; requested →
//! declined (not taken up) | withdrawn (by the requester). Mediation is
//! voluntary: once convened, a party who wants to stop tells the mediator,
//! and the judicial office records it as ended without agreement
//! (人民调解法 第二十三条: a party may refuse mediation or ask to end it).

use onewindow_sdk::prelude::*;
use serde::Deserialize;

pub const TABLE: &str = "mediations";
pub const PARTIES: &str = "mediation_parties";
pub const SESSIONS: &str = "mediation_sessions";
/// The case kind every mediation opens with the judicial office.
pub const CASE_KIND: &str = "mediation";

pub const REQUESTED: &str = "requested";
pub const CONVENED: &str = "convened";
pub const AGREED: &str = "agreed";
pub const NO_AGREEMENT: &str = "no-agreement";
pub const DECLINED: &str = "declined";
pub const WITHDRAWN: &str = "withdrawn";

pub const STATUSES: [&str; 6] = [REQUESTED, CONVENED, AGREED, NO_AGREEMENT, DECLINED, WITHDRAWN];

pub const MOVES: Transitions =
    Transitions::new(&[(REQUESTED, &[CONVENED, DECLINED, WITHDRAWN]), (CONVENED, &[AGREED, NO_AGREEMENT])]);

/// The other party's invitation: none was asked for, it waits for them, or
/// they accepted or declined it.
pub const INVITATION_NONE: &str = "none";
pub const INVITATION_PENDING: &str = "pending";
pub const INVITATION_ACCEPTED: &str = "accepted";
pub const INVITATION_DECLINED: &str = "declined";

/// A party's part in a mediation.
pub const REQUESTER: &str = "requester";
pub const OTHER_PARTY: &str = "other-party";

/// The residents' committees that sit in on mediations.
pub const COMMITTEES: [&str; 2] = ["community-east", "community-west"];

/// The committee serving `area`, as the platform's areas are first set up
/// (东门、滨河 → 东区居委会; 西市、果园 → 西区居委会). A service cannot ask
/// the platform which unit serves an area, so the judicial office names the
/// committee when an area is not one of these.
pub fn committee_for(area: &str) -> Option<&'static str> {
    match area {
        "east-gate" | "riverside" => Some("community-east"),
        "west-market" | "orchard" => Some("community-west"),
        _ => None,
    }
}

/// Whether `area` has the shape of an area id (`east-gate`).
pub fn is_area_id(area: &str) -> bool {
    (1..=40).contains(&area.len()) && area.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A stored mediation.
#[derive(Debug, Clone, Deserialize)]
pub struct MediationRow {
    pub id: i64,
    pub requester: String,
    pub requester_name: String,
    pub kind: String,
    pub summary: String,
    pub other_party_name: String,
    pub other_party_contact: Option<String>,
    pub other_party_account: Option<String>,
    pub invitation_code: Option<String>,
    pub invitation_status: String,
    pub area: Option<String>,
    pub status: String,
    pub committee_unit: Option<String>,
    pub police_unit: Option<String>,
    pub case_id: Option<i64>,
    pub case_reference: Option<String>,
    pub dispute_record_id: Option<i64>,
    pub decline_reason: Option<String>,
    pub result: Option<String>,
    pub agreement_terms: Option<String>,
    pub no_agreement_reason: Option<String>,
    /// JSON list of route codes.
    pub routes_told: Option<String>,
    pub confirmation_deadline: Option<String>,
    pub outcome_at: Option<String>,
    pub requested_at: String,
    pub updated_at: String,
}

impl MediationRow {
    /// The accounts to tell of a session or an outcome: the requester, and
    /// the other party once they joined.
    pub fn residents(&self) -> Vec<&str> {
        std::iter::once(self.requester.as_str()).chain(self.other_party_account.as_deref()).collect()
    }

    /// The route codes the parties were told of.
    pub fn routes(&self) -> Vec<String> {
        self.routes_told.as_deref().and_then(|r| serde_json::from_str(r).ok()).unwrap_or_default()
    }
}

/// A stored session.
#[derive(Debug, Clone, Deserialize)]
pub struct SessionRow {
    pub id: i64,
    pub scheduled_for: String,
    pub place: String,
    /// `scheduled` or `held`.
    pub status: String,
    pub scheduled_unit: String,
    /// JSON list of who attended.
    pub attendees: Option<String>,
    pub notes: Option<String>,
    pub recorded_at: Option<String>,
}

pub const SCHEDULED: &str = "scheduled";
pub const HELD: &str = "held";

impl SessionRow {
    pub fn attendees(&self) -> Vec<String> {
        self.attendees.as_deref().and_then(|a| serde_json::from_str(a).ok()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeded_areas_map_to_their_committee() {
        assert_eq!(committee_for("east-gate"), Some("community-east"));
        assert_eq!(committee_for("orchard"), Some("community-west"));
        assert_eq!(committee_for("poplar-village"), None);
        assert!(is_area_id("poplar-village") && !is_area_id("East Gate") && !is_area_id(""));
    }

    #[test]
    fn a_mediation_ends_once() {
        assert!(MOVES.check(REQUESTED, CONVENED).is_ok());
        assert!(MOVES.check(CONVENED, WITHDRAWN).is_err(), "once convened, a party ends it through the mediator");
        assert!(MOVES.check(AGREED, NO_AGREEMENT).is_err());
    }
}
