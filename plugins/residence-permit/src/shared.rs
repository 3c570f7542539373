//! What this service shares with the rest of the platform: the resident's
//! profile and floating-population registration (pre-filled instead of
//! asked again, written back when the application brings something new),
//! and the case every application opens with the police station.

use onewindow_sdk::cases::{self, Status};
use onewindow_sdk::prelude::*;
use onewindow_sdk::records::RecordsError;

use crate::application::NewApplication;

/// The unit that handles applications (the household registration desk).
pub const DESK_UNIT: &str = "police-central";
/// The case kind every application opens.
pub const CASE_KIND: &str = "application";

const PROFILE: &str = "resident_profile";
const FLOATING: &str = "floating_population";

/// What the platform already knows about the caller, as an application's
/// fields (empty where unknown).
pub fn known(caller: &Caller) -> Result<NewApplication> {
    let mut known = NewApplication::default();
    if caller.role != Role::Resident {
        return Ok(known);
    }
    if let Some(profile) =
        record(PROFILE).select(&["name", "id_number", "phone", "current_address"]).fetch_optional()?
    {
        let row = profile.as_ref();
        let text = |column: &str| row.text(column).unwrap_or_default().to_owned();
        known.full_name = text("name");
        known.id_number = text("id_number");
        known.phone = text("phone");
        known.current_address = text("current_address");
    }
    let floating = record(FLOATING)
        .select(&["arrival_date", "reason", "employer_or_school"])
        .where_eq("resident", caller.subject.as_str())
        .fetch_optional()?;
    if let Some(floating) = floating {
        let row = floating.as_ref();
        known.arrival_date = row.text("arrival_date").unwrap_or_default().to_owned();
        known.reason = row.text("reason").unwrap_or_default().to_owned();
        known.employer_or_school = row.text("employer_or_school").map(str::to_owned);
    }
    Ok(known)
}

/// Fills the fields the resident left out from what is known.
pub fn prefill(mut given: NewApplication, known: &NewApplication) -> NewApplication {
    let fill = |value: &mut String, known: &str| {
        if value.trim().is_empty() {
            *value = known.to_owned();
        }
    };
    fill(&mut given.full_name, &known.full_name);
    fill(&mut given.id_number, &known.id_number);
    fill(&mut given.phone, &known.phone);
    fill(&mut given.current_address, &known.current_address);
    fill(&mut given.arrival_date, &known.arrival_date);
    fill(&mut given.reason, &known.reason);
    if given.employer_or_school.as_deref().is_none_or(|s| s.trim().is_empty()) {
        given.employer_or_school = known.employer_or_school.clone();
    }
    given
}

/// Writes back to the shared record what the application says that the
/// record did not: a new profile, or changed contact details; a new or
/// updated floating-population registration. The host records this service
/// as the writer of each field.
pub fn write_back(application: &NewApplication, known: &NewApplication) -> Result<()> {
    let profile = record(PROFILE).select(&["id"]).fetch_optional()?;
    match profile {
        None => {
            record(PROFILE)
                .insert()
                .set("name", application.full_name.as_str())
                .set("id_number", application.id_number.as_str())
                .set("phone", application.phone.as_str())
                .set("current_address", application.current_address.as_str())
                .execute()?;
        }
        Some(row) => {
            let id = row.as_ref().integer("id").unwrap_or_default();
            let mut update = record(PROFILE).update().where_eq("id", id);
            let mut changed = false;
            for (column, new, old) in [
                ("name", &application.full_name, &known.full_name),
                ("phone", &application.phone, &known.phone),
                ("current_address", &application.current_address, &known.current_address),
            ] {
                if new != old {
                    update = update.set(column, new.as_str());
                    changed = true;
                }
            }
            if known.id_number.is_empty() {
                update = update.set("id_number", application.id_number.as_str());
                changed = true;
            }
            if changed {
                update.execute()?;
            }
        }
    }
    let floating = record(FLOATING).select(&["id"]).fetch_optional()?;
    match floating {
        None => {
            record(FLOATING)
                .insert()
                .set("arrival_date", application.arrival_date.as_str())
                .set("reason", application.reason.as_str())
                .set("employer_or_school", application.employer_or_school.clone())
                .execute()?;
        }
        Some(row) => {
            let id = row.as_ref().integer("id").unwrap_or_default();
            record(FLOATING)
                .update()
                .set("arrival_date", application.arrival_date.as_str())
                .set("reason", application.reason.as_str())
                .set("employer_or_school", application.employer_or_school.clone())
                .where_eq("id", id)
                .execute()
                .or_else(|e| if matches!(e, RecordsError::NotFound(_)) { Ok(0) } else { Err(e) })?;
        }
    }
    Ok(())
}

/// Opens the application's case with the registration desk; returns (id, reference).
pub fn open_case(resident: &str, application_id: i64) -> Result<(i64, String)> {
    let case = cases::open(CASE_KIND, resident, DESK_UNIT)
        .data(&serde_json::json!({ "application": application_id }))
        .note("applied online")
        .execute()?;
    Ok((case.id, case.reference))
}

/// The case moves that follow an application's new status: a review is
/// still the desk deciding (the case stays requested); approval accepts
/// the case and starts the permit's production; issuing completes it.
pub fn case_moves(application_status: &str) -> &'static [Status] {
    match application_status {
        "approved" => &[Status::Accepted, Status::InProgress],
        "rejected" => &[Status::Rejected],
        "issued" => &[Status::Completed],
        "withdrawn" => &[Status::Cancelled],
        _ => &[],
    }
}

/// Moves the application's case along with it (if it has one). Staff may
/// already have moved the case themselves in the staff console: moves that
/// are no longer possible from where the case is are skipped, not failed.
pub fn follow(case_id: Option<i64>, application_status: &str, note: &str) -> Result<()> {
    let Some(id) = case_id else { return Ok(()) };
    for to in case_moves(application_status) {
        match cases::transition(id, *to, note) {
            Ok(_) => {}
            Err(onewindow_sdk::DataError::Conflict(why)) => {
                onewindow_sdk::log::warn(&format!("case {id} not moved to {}: {why}", cases::status_name(*to)));
            }
            Err(other) => return Err(other.into()),
        }
    }
    Ok(())
}
