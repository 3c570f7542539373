//! Cases and inbox messages: how this service's work shows in the
//! resident's "my cases", the units' queues and figures.
//!
//! - Every application opens a case with the desk: `id-reissue` (due in 60
//!   days, the Resident ID Card Law's limit) or `temporary-id` (3 days).
//! - Every consultation (a direct question, or a report with signs of fraud)
//!   opens a `fraud-referral` case with the community police office (3 days).
//!
//! The host tells the resident of every case status change; the templates
//! here add what a status cannot say (where to collect, why refused, the
//! anti-fraud warning, the officer's answer).

use onewindow_sdk::DataError;
use onewindow_sdk::cases::{self, Case, Status};
use onewindow_sdk::prelude::*;

use crate::access::{ANTI_FRAUD, DESK};
use crate::application::Kind;

/// The case kind of an application.
pub fn application_case_kind(kind: Kind) -> &'static str {
    match kind {
        Kind::Reissue => "id-reissue",
        Kind::Temporary => "temporary-id",
    }
}

/// The case kind of a consultation.
pub const FRAUD_REFERRAL: &str = "fraud-referral";

/// Opens an application's case with the desk.
pub fn open_application_case(resident: &str, kind: Kind, application_id: i64) -> Result<Case> {
    let data = serde_json::json!({ "application": application_id, "kind": kind.name() });
    Ok(cases::open(application_case_kind(kind), resident, DESK).data(&data).note("applied online").execute()?)
}

/// Opens a consultation's case with the community police office.
pub fn open_fraud_case(resident: &str, consultation_id: i64, source: &str, signs: &[&str]) -> Result<Case> {
    let data = serde_json::json!({ "consultation": consultation_id, "source": source, "signs": signs });
    let note = if signs.is_empty() {
        "asked whether this is a scam".to_owned()
    } else {
        format!("signs of telecom fraud: {}", signs.join(", "))
    };
    Ok(cases::open(FRAUD_REFERRAL, resident, ANTI_FRAUD).data(&data).note(&note).execute()?)
}

/// Moves a case through `moves` in order. Staff may already have moved it
/// in the staff console, or handed it to a unit this service is not granted:
/// such a move is skipped and logged, not failed (the application's own
/// status is what the resident and the desk follow). A grant taken away
/// from the service still fails the request.
pub fn follow(case_id: Option<i64>, moves: &[Status], note: &str) -> Result<()> {
    let Some(id) = case_id else { return Ok(()) };
    for to in moves {
        tolerate(id, cases::status_name(*to), cases::transition(id, *to, note))?;
    }
    Ok(())
}

/// Adds a note to a case's history, as tolerant as [`follow`].
pub fn note(case_id: Option<i64>, note: &str) -> Result<()> {
    let Some(id) = case_id else { return Ok(()) };
    tolerate(id, "note", cases::note(id, note))
}

/// Passes a case call's refusal on only when it is the service's fault.
fn tolerate<T>(id: i64, what: &str, outcome: std::result::Result<T, DataError>) -> Result<()> {
    let refusal = match outcome {
        Ok(_) => return Ok(()),
        Err(DataError::Conflict(why)) => why,
        // Not granted at all is the service's fault (a 500); a case now
        // led by another unit is a 403 and only means it is theirs now.
        Err(other) => match Error::from(other) {
            error if error.status() == 403 => error.detail().to_owned(),
            error => return Err(error),
        },
    };
    onewindow_sdk::log::warn(&format!("case {id}: {what} skipped: {refusal}"));
    Ok(())
}

/// The case moves that close a refusal: a case still `requested` is
/// rejected; one already accepted (and in progress) has failed.
pub fn refusal_moves(case_id: Option<i64>) -> Result<&'static [Status]> {
    let Some(id) = case_id else { return Ok(&[]) };
    Ok(match cases::get(id)?.status {
        Status::Requested => &[Status::Rejected],
        _ => &[Status::Failed],
    })
}

/// Sends `template` to `resident`'s inbox with `params`.
pub fn tell(resident: &str, template: &str, params: &[(&str, &str)]) -> Result<()> {
    let mut message = onewindow_sdk::notify::send(resident, template);
    for (name, value) in params {
        message = message.param(name, *value);
    }
    Ok(message.execute()?)
}
