//! The platform case behind every question and mediation: the moves this
//! service makes, planned before anything is written. A request answers
//! 409 (which commits) when the case cannot move, so every precondition is
//! checked first and no half-made move is left behind.

use onewindow_sdk::cases::{self, Case, HistoryEntry, Status};
use onewindow_sdk::prelude::*;
use serde::Serialize;

/// The moves that bring a case from `from` to in-progress (none when it is
/// there already); 409 once the case is closed.
pub fn moves_to_in_progress(case: &Case) -> Result<&'static [Status]> {
    match case.status {
        Status::Requested => Ok(&[Status::Accepted, Status::InProgress]),
        Status::Accepted | Status::OnHold => Ok(&[Status::InProgress]),
        Status::InProgress => Ok(&[]),
        _ => Err(closed(case)),
    }
}

/// 409 for a case that is no longer open (it may have been closed in the
/// staff console).
pub fn closed(case: &Case) -> Error {
    Error::conflict(format!("case {} is {}: it can no longer change", case.reference, cases::status_name(case.status)))
}

/// Checks that `case` may end in `to` after the moves `before`.
pub fn check_final(case: &Case, before: &[Status], to: Status) -> Result<()> {
    let at = before.last().copied().unwrap_or(case.status);
    let allowed = match at {
        Status::Requested => &[Status::Accepted, Status::Rejected, Status::Cancelled][..],
        Status::Accepted => &[Status::InProgress, Status::Cancelled][..],
        Status::InProgress => &[Status::OnHold, Status::Completed, Status::Failed, Status::Cancelled][..],
        Status::OnHold => &[Status::InProgress, Status::Cancelled][..],
        _ => &[][..],
    };
    if allowed.contains(&to) { Ok(()) } else { Err(closed(case)) }
}

/// Makes the moves, in order, each with `note`.
pub fn apply(case: &Case, moves: &[Status], note: &str) -> Result<Case> {
    let mut moved = case.clone();
    for to in moves {
        moved = cases::transition(case.id, *to, note)?;
    }
    Ok(moved)
}

/// A case's history as one caller may read it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct HistoryItem {
    pub at: String,
    /// `opened`, `transition`, `referred`, `involved` or `note`.
    pub action: String,
    /// Staff see the account; residents see `you`, `requester`,
    /// `other-party`, `staff of UNIT` or `system`.
    pub actor: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_unit: Option<String>,
    pub note: String,
}

/// How a resident is named to another resident in a history.
pub struct Parties<'a> {
    pub viewer: &'a str,
    pub requester: &'a str,
    pub other_party: Option<&'a str>,
}

/// The history for staff (everything, as recorded) or for a party (the
/// units' internal notes left out, staff shown as their unit, residents by
/// their part in the matter, never by account).
pub fn history(entries: Vec<HistoryEntry>, parties: Option<&Parties<'_>>) -> Vec<HistoryItem> {
    entries
        .into_iter()
        .filter(|entry| parties.is_none() || entry.action != "note")
        .map(|entry| {
            let actor = match parties {
                None => entry.actor,
                Some(_) if entry.unit.is_some() => format!("staff of {}", entry.unit.as_deref().unwrap_or_default()),
                Some(p) if entry.actor == p.viewer => "you".to_owned(),
                Some(p) if entry.actor == p.requester => "requester".to_owned(),
                Some(p) if p.other_party == Some(entry.actor.as_str()) => "other-party".to_owned(),
                Some(_) => "system".to_owned(),
            };
            HistoryItem {
                at: entry.at,
                action: entry.action,
                actor,
                unit: entry.unit,
                from_status: entry.from_status.map(|s| cases::status_name(s).to_owned()),
                to_status: entry.to_status.map(|s| cases::status_name(s).to_owned()),
                to_unit: entry.to_unit,
                note: entry.note,
            }
        })
        .collect()
}

/// Where a resident rates a closed case of theirs: the platform's own
/// rating (好差评), so every service's ratings are counted the same way.
pub fn rating_route(case: &Case) -> Option<String> {
    let closed = matches!(case.status, Status::Completed | Status::Failed | Status::Rejected | Status::Cancelled);
    (closed && case.rating.is_none()).then(|| format!("/api/v1/me/cases/{}/rating", case.id))
}
