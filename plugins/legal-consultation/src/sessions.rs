//! Sessions and notes of a convened mediation: staff of any of the units on
//! the case (the judicial office, the residents' committee, the community
//! police office) schedule a session, record who attended, and add notes
//! to the one history the three units share. The parties are told when a
//! session is scheduled.

use onewindow_sdk::cases;
use onewindow_sdk::notify;
use onewindow_sdk::prelude::*;
use onewindow_sdk::time::{DateTime, LOCAL_OFFSET_SECONDS, now_rfc3339};

use crate::access;
use crate::case_flow;
use crate::forms;
use crate::mediation::{CONVENED, HELD, SCHEDULED, SESSIONS, SessionRow};
use crate::mediation_forms;
use crate::mediations::{detail, load, visible};

/// `POST /mediations/{id}/sessions`: schedules a session (the parties are
/// told the time and place), or records one already held (with `attendees`).
pub fn schedule(req: &Request) -> Result<Response> {
    let (part, row, case) = visible(req)?;
    let (subject, unit) = access::staff_on_case(req, &case)?;
    let form = mediation_forms::read_session(req, now_unix())?;
    if row.status != CONVENED {
        return Err(Error::conflict(format!(
            "the mediation is {}: sessions are held once the judicial office has convened it and until it ends",
            row.status
        )));
    }
    case_flow::moves_to_in_progress(&case)?;
    let now = now_rfc3339();
    let when = local(&form.at);
    let held = form.attendees.is_some();
    let attendees = form.attendees.as_ref().map(|list| serde_json::to_string(list).unwrap_or_default());
    let mut insert = table(SESSIONS)
        .insert()
        .set("mediation_id", row.id)
        .set("scheduled_for", form.at.to_string())
        .set("place", form.place.as_str())
        .set("status", if held { HELD } else { SCHEDULED })
        .set("scheduled_by", subject)
        .set("scheduled_unit", unit)
        .set("attendees", attendees)
        .set("notes", form.notes)
        .set("created_at", now.as_str());
    if held {
        insert = insert.set("recorded_by", subject).set("recorded_unit", unit).set("recorded_at", now.as_str());
    }
    insert.execute()?;
    let note = match &form.attendees {
        Some(list) => held_note(&when, &form.place, list),
        None => format!("session scheduled for {when} at {}", form.place),
    };
    cases::note(case.id, &note)?;
    if !held {
        for resident in row.residents() {
            notify::send(resident, "mediation-session-scheduled")
                .param("reference", case.reference.as_str())
                .param("time", when.as_str())
                .param("place", form.place.as_str())
                .execute()?;
        }
    }
    Ok(Response::json(201, &detail(req, part, load(row.id)?, case)?))
}

/// `POST /mediations/{id}/sessions/{session}/held` `{"attendees": [...], "notes": "..."}`:
/// records that a scheduled session took place, and who attended.
pub fn held(req: &Request) -> Result<Response> {
    let (part, row, case) = visible(req)?;
    let (subject, unit) = access::staff_on_case(req, &case)?;
    let session_id: i64 = req.param_parse("session")?;
    let (attendees, notes) = mediation_forms::read_held(req)?;
    let session: SessionRow =
        match table(SESSIONS).all().where_eq("id", session_id).where_eq("mediation_id", row.id).fetch_optional()? {
            Some(found) => found.deserialize()?,
            None => return Err(Error::not_found(format!("mediation {} has no session {session_id}", row.id))),
        };
    if session.status != SCHEDULED {
        return Err(Error::conflict(format!("session {session_id} is already recorded as {}", session.status)));
    }
    if row.status != CONVENED {
        return Err(Error::conflict(format!("the mediation is {}: its sessions can no longer change", row.status)));
    }
    let now = now_rfc3339();
    let changed = table(SESSIONS)
        .update()
        .set("status", HELD)
        .set("attendees", serde_json::to_string(&attendees).unwrap_or_default())
        .set("notes", notes)
        .set("recorded_by", subject)
        .set("recorded_unit", unit)
        .set("recorded_at", now.as_str())
        .where_eq("id", session_id)
        .where_eq("status", SCHEDULED)
        .execute()?;
    if changed == 0 {
        return Err(Error::conflict("the session changed meanwhile; read it again"));
    }
    let when = DateTime::parse(&session.scheduled_for).map_or(session.scheduled_for.clone(), |at| local(&at));
    cases::note(case.id, &held_note(&when, &session.place, &attendees))?;
    Ok(Response::json(200, &detail(req, part, load(row.id)?, case)?))
}

/// `POST /mediations/{id}/notes` `{"note": "..."}`: a note on the shared
/// history, by staff of any unit on the case (the parties do not see notes).
pub fn note(req: &Request) -> Result<Response> {
    let (part, row, case) = visible(req)?;
    access::staff_on_case(req, &case)?;
    let note = forms::short_text(req, "note", true, 2000)?.unwrap_or_default();
    cases::note(case.id, &note)?;
    Ok(Response::json(201, &detail(req, part, load(row.id)?, case)?))
}

/// The history note of a held session (a note holds at most 2000 characters).
fn held_note(when: &str, place: &str, attendees: &[String]) -> String {
    let note = format!("session held {when} at {place}; attended: {}", attendees.join(", "));
    note.chars().take(2000).collect()
}

/// A time as the city reads it: `2026-12-03 09:30` (UTC+8).
pub fn local(at: &DateTime) -> String {
    let seconds = (at.unix_seconds() + i64::from(LOCAL_OFFSET_SECONDS)).rem_euclid(86_400);
    format!("{} {:02}:{:02}", at.local_date(), seconds / 3600, seconds % 3600 / 60)
}

fn now_unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_in_the_city() {
        assert_eq!(local(&DateTime::parse("2026-12-03T01:30:00Z").unwrap()), "2026-12-03 09:30");
        assert_eq!(local(&DateTime::parse("2026-12-03T20:05:00Z").unwrap()), "2026-12-04 04:05");
        assert_eq!(local(&DateTime::parse("2026-12-03T09:30:00+08:00").unwrap()), "2026-12-03 09:30");
    }
}
