//! What a referral shares with the platform: the case it opens with the
//! chosen unit (so it shows in the resident's "my cases" and the unit's
//! queue and figures), the case moves that follow the unit's work, and the
//! inbox messages the platform's own status messages cannot say.
//!
//! Order matters because only an answer of 500 or more undoes a request's
//! writes: every call that may refuse with a 4xx (opening or moving the
//! case) comes before this service's own writes.

use onewindow_sdk::cases::{self, Case};
use onewindow_sdk::prelude::*;
use onewindow_sdk::time::now_rfc3339;
use onewindow_sdk::{DataError, notify};
use serde_json::json;

use super::model::{Contact, Stored, TABLE, case_status, load};
use super::report::Report;
use crate::clock;
use crate::directory::Directory;

/// Files a checked report: opens the case with the unit, stores the
/// referral and, for an urgent category, sends the safety steps to the
/// resident's inbox. `contact` is set only when the resident ticked "share".
pub fn file(resident: &str, report: &Report, contact: Option<&Contact>, directory: &Directory) -> Result<Stored> {
    let now = now_rfc3339();
    let category = report.category;
    let urgency = category.urgency;
    let respond_by = urgency.respond_within_hours().and_then(|hours| clock::hours_after(&now, hours));
    // The unit's staff console shows the case data: the problem, and the
    // contact only if the resident agreed to share it with this unit.
    let data = json!({
        "category": category.code,
        "urgency": urgency.name(),
        "description": report.description,
        "details": report.details,
        "location": report.location,
        "respond_by": respond_by,
        "share_contact": contact.is_some(),
        "contact": contact.map(|c| json!({ "phone": c.phone, "address": c.address })),
    });
    let note = if contact.is_some() {
        "reported online; the resident shares their phone and address with this unit"
    } else {
        "reported online; the resident shares no contact details"
    };
    let case = cases::open(urgency.name(), resident, &report.unit)
        .data(&data)
        .note(note)
        .execute()
        .map_err(|error| refused(error, &report.unit, directory))?;

    let id = table(TABLE)
        .insert()
        .set("resident", resident)
        .set("category", category.code)
        .set("urgency", urgency.name())
        .set("priority", urgency.priority())
        .set("unit_id", report.unit.as_str())
        .set("proposed_unit", report.proposed_unit.as_str())
        .set("description", report.description.clone())
        .set("details", serde_json::to_string(&report.details).unwrap_or_else(|_| "{}".into()))
        .set("location", report.location.clone())
        .set("share_contact", contact.is_some())
        .set("consented_at", contact.map(|_| now.clone()))
        .set("contact_phone", contact.map(|c| c.phone.clone()))
        .set("contact_address", contact.map(|c| c.address.clone()))
        .set("status", "requested")
        .set("respond_by", respond_by)
        .set("due_at", case.due_at.clone())
        .set("case_id", case.id)
        .set("case_reference", case.reference.as_str())
        .set("created_at", now.as_str())
        .set("updated_at", now.as_str())
        .execute()?;

    if let Some(safety) = category.safety {
        let hotline = directory
            .entry(safety.line_unit)
            .map(|e| e.hotline.clone())
            .or_else(|| safety.public_lines.first().map(|l| l.number.to_owned()))
            .unwrap_or_default();
        let steps = notify::send(resident, safety.template)
            .param("reference", case.reference.as_str())
            .param("hotline", hotline);
        delivered(steps.execute())?;
    }
    load(id, "resident", resident)
}

/// A refused case: the admin did not grant this unit (or cases at all).
/// Answered 503 so that nothing of the request is kept, with the unit's
/// line so the resident can still reach it.
fn refused(error: DataError, unit: &str, directory: &Directory) -> Error {
    match error {
        DataError::AccessDenied(why) => {
            onewindow_sdk::log::error(&format!("cannot open a case for {unit}: {why}"));
            let line = directory.entry(unit).map(|e| format!("; call {}", e.hotline)).unwrap_or_default();
            Error::new(
                503,
                "service-unavailable",
                "Service unavailable",
                format!("reports to {unit} cannot be filed here at present{line}"),
            )
        }
        other => other.into(),
    }
}

/// Reads the referral's case and, when staff moved it in the platform's
/// staff console, brings the stored status up to date.
pub fn sync(stored: &mut Stored) -> Result<Case> {
    let case_id = stored.case_id.ok_or_else(|| Error::internal(format!("referral {} has no case", stored.id)))?;
    let case = cases::get(case_id)?;
    let status = cases::status_name(case.status);
    if status != stored.status {
        let now = now_rfc3339();
        table(TABLE)
            .update()
            .set("status", status)
            .set("updated_at", now.as_str())
            .where_eq("id", stored.id)
            .where_eq("status", stored.status.as_str())
            .execute()?;
        stored.status = status.to_owned();
        stored.updated_at = now;
    }
    Ok(case)
}

/// One move of a referral and its case.
pub struct Move<'a> {
    pub to: &'a str,
    /// Why the unit declines (stored and sent to the resident).
    pub reason: Option<&'a str>,
    /// The unit's note (stored and sent to the resident).
    pub note: Option<&'a str>,
    /// The account moving it.
    pub by: &'a str,
}

/// Moves the case (a 409 naming the allowed moves if the platform refuses),
/// then the referral, then tells the resident what the platform's status
/// message does not: the reason or the note.
pub fn advance(stored: &Stored, step: &Move<'_>) -> Result<()> {
    let case_id = stored.case_id.ok_or_else(|| Error::internal(format!("referral {} has no case", stored.id)))?;
    let to = case_status(step.to).ok_or_else(|| Error::internal(format!("unknown status {}", step.to)))?;
    cases::transition(case_id, to, step.reason.or(step.note).unwrap_or_default())?;
    let mut update = table(TABLE)
        .update()
        .set("status", step.to)
        .set("handled_by", step.by)
        .set("updated_at", now_rfc3339())
        .where_eq("id", stored.id)
        .where_eq("status", stored.status.as_str());
    if let Some(reason) = step.reason {
        update = update.set("reason", reason);
    }
    if let Some(note) = step.note {
        update = update.set("note", note);
    }
    if update.execute()? == 0 {
        // Someone moved it between our read and write: undo the case move too (5xx).
        return Err(Error::new(503, "service-busy", "Service busy", "the referral changed meanwhile; read it again")
            .with_header("retry-after", "1"));
    }
    let reference = stored.case_reference.clone().unwrap_or_default();
    if let Some(reason) = step.reason {
        let message = notify::send(&stored.resident, "referral-rejected").param("reference", reference);
        delivered(message.param("reason", reason).execute())?;
    } else if let Some(note) = step.note {
        let message = notify::send(&stored.resident, "referral-note").param("reference", reference);
        delivered(message.param("note", note).execute())?;
    }
    Ok(())
}

/// A message the platform refused to deliver (a template not granted) fails
/// the request with a 5xx, so the move it reports is undone with it: the
/// resident is never left without the safety steps or the reason.
fn delivered(outcome: Result<(), DataError>) -> Result<()> {
    match outcome {
        Err(DataError::AccessDenied(why)) => {
            onewindow_sdk::log::error(&format!("message refused: {why}"));
            Err(Error::internal("the service failed; quote the request id"))
        }
        other => other.map_err(Error::from),
    }
}
