//! A mediation as each caller may read it. The parties see the case, its
//! sessions and outcome; the other party's contact details stay with the
//! requester who gave them and the staff; session notes and the units'
//! internal notes stay with the staff.

use onewindow_sdk::cases::{self, Case};
use onewindow_sdk::prelude::*;
use serde::Serialize;

use crate::case_flow::{self, HistoryItem};
use crate::invitation;
use crate::mediation::{INVITATION_PENDING, MediationRow, SessionRow};
use crate::question::Hotline;
use crate::texts::{self, CATEGORIES, ROUTES};

/// The caller's part in a mediation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Requester,
    OtherParty,
    Staff,
}

impl Part {
    fn name(self) -> &'static str {
        match self {
            Part::Requester => "requester",
            Part::OtherParty => "other-party",
            Part::Staff => "staff",
        }
    }
}

/// A mediation as answered to clients.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Mediation {
    pub id: i64,
    /// The platform case, e.g. `MED-2026-000031`.
    pub reference: Option<String>,
    pub case_id: Option<i64>,
    /// requested, convened, agreed, no-agreement, declined or withdrawn.
    pub status: String,
    /// `requester`, `other-party` or `staff`.
    pub your_role: String,
    pub kind: String,
    pub kind_name: String,
    pub summary: String,
    pub requester_name: String,
    pub other_party: OtherParty,
    /// The requester only, while the invitation waits: the code to pass on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitation_code: Option<String>,
    pub area: Option<String>,
    /// The residents' committee and community police office convened.
    pub committee_unit: Option<String>,
    pub police_unit: Option<String>,
    /// Every unit on the case, the lead first (in a single mediation's answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub units: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sessions: Option<Vec<Session>>,
    pub outcome: Option<OutcomeView>,
    /// Why the judicial office did not take it up.
    pub decline_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<u8>,
    /// For the requester, once closed and not yet rated: POST the
    /// platform's rating `{"rating": 1-5, "comment": "..."}` here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating_route: Option<String>,
    /// One history across the units (staff see everything; parties see no internal notes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<HistoryItem>>,
    pub requested_at: String,
    pub updated_at: String,
    /// What people's mediation is, in the caller's language.
    pub about: String,
    pub hotline: Hotline,
}

/// The other party.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct OtherParty {
    pub name: String,
    /// Staff and the requester only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// Whether they joined through the invitation and follow the case here.
    pub joined: bool,
    /// none, pending, accepted or declined.
    pub invitation: String,
}

/// A session of the mediation.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Session {
    pub id: i64,
    pub scheduled_for: String,
    pub place: String,
    /// `scheduled` or `held`.
    pub status: String,
    /// The unit that set it up.
    pub unit: String,
    pub attendees: Vec<String>,
    /// Staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    pub recorded_at: Option<String>,
}

/// How it ended.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct OutcomeView {
    /// `agreement` or `no-agreement`.
    pub result: String,
    /// The terms of the written mediation agreement (调解协议书).
    pub agreement_terms: Option<String>,
    pub reason: Option<String>,
    /// The routes the parties were told of, without agreement.
    pub routes_told: Vec<Route>,
    /// With an agreement: the last day to ask the people's court for
    /// judicial confirmation together (30 days).
    pub confirmation_deadline: Option<String>,
    pub recorded_at: Option<String>,
    /// What it means for the parties, in the caller's language.
    pub notice: String,
}

/// A route to protect one's rights.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Route {
    pub code: String,
    pub name: String,
}

/// What a single mediation's answer carries besides the row.
pub struct Extras {
    pub case: Case,
    pub sessions: Vec<SessionRow>,
    pub history: Vec<HistoryItem>,
}

/// The mediation `row` as `part` reads it; `extras` for a single mediation.
pub fn view(row: MediationRow, part: Part, language: Language, extras: Option<Extras>) -> Mediation {
    let staff = part == Part::Staff;
    let outcome = row.result.clone().map(|result| outcome_view(&row, result, language));
    let invitation_code = (part == Part::Requester && row.invitation_status == INVITATION_PENDING)
        .then(|| row.invitation_code.as_deref().map(invitation::display))
        .flatten();
    let mut answer = Mediation {
        id: row.id,
        reference: row.case_reference,
        case_id: row.case_id,
        status: row.status,
        your_role: part.name().to_owned(),
        kind_name: texts::name_of(&CATEGORIES, &row.kind, language),
        kind: row.kind,
        summary: row.summary,
        requester_name: row.requester_name,
        other_party: OtherParty {
            name: row.other_party_name,
            contact: if part == Part::OtherParty { None } else { row.other_party_contact },
            joined: row.other_party_account.is_some(),
            invitation: row.invitation_status,
        },
        invitation_code,
        area: row.area,
        committee_unit: row.committee_unit,
        police_unit: row.police_unit,
        units: None,
        sessions: None,
        outcome,
        decline_reason: row.decline_reason,
        case_status: None,
        rating: None,
        rating_route: None,
        history: None,
        requested_at: row.requested_at,
        updated_at: row.updated_at,
        about: (*texts::MEDIATION_FACTS.pick(language)).to_owned(),
        hotline: Hotline::new(language),
    };
    if let Some(extras) = extras {
        answer.units = Some(extras.case.units.clone());
        answer.case_status = Some(cases::status_name(extras.case.status).to_owned());
        answer.rating = extras.case.rating;
        if part == Part::Requester {
            answer.rating_route = case_flow::rating_route(&extras.case);
        }
        answer.sessions = Some(extras.sessions.into_iter().map(|s| session(s, staff)).collect());
        answer.history = Some(extras.history);
    }
    answer
}

fn session(row: SessionRow, staff: bool) -> Session {
    Session {
        id: row.id,
        attendees: row.attendees(),
        scheduled_for: row.scheduled_for,
        place: row.place,
        status: row.status,
        unit: row.scheduled_unit,
        notes: if staff { row.notes } else { None },
        recorded_at: row.recorded_at,
    }
}

fn outcome_view(row: &MediationRow, result: String, language: Language) -> OutcomeView {
    let agreed = result == "agreement";
    let notice =
        if agreed { texts::AGREEMENT_NOTICE.pick(language) } else { texts::NO_AGREEMENT_NOTICE.pick(language) };
    OutcomeView {
        result,
        agreement_terms: row.agreement_terms.clone(),
        reason: row.no_agreement_reason.clone(),
        routes_told: row
            .routes()
            .into_iter()
            .map(|code| Route { name: texts::name_of(&ROUTES, &code, language), code })
            .collect(),
        confirmation_deadline: row.confirmation_deadline.clone(),
        recorded_at: row.outcome_at.clone(),
        notice: (*notice).to_owned(),
    }
}
