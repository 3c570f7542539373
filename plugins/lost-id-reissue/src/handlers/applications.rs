//! Applications for a reissued or temporary card: the resident applies on
//! their loss report; the desk checks their identity against the shared
//! profile, accepts, makes the card ready for pickup and closes the
//! application when it is collected.

use onewindow_sdk::cases::Status;
use onewindow_sdk::prelude::*;
use onewindow_sdk::time::{DateTime, now_rfc3339, today};

use crate::access::{DESK, Reader, require_staff_of};
use crate::application::{
    ACCEPTED, Application, COLLECTED, Kind, MOVES, NewApplication, OPEN, READY, REJECTED, SUBMITTED, TABLE, WITHDRAWN,
    temporary_valid_until,
};
use crate::handlers::{list as list_rows, load, move_from};
use crate::identity;
use crate::length::check_length;
use crate::linkage;
use crate::pickup::{PickupWindow, city_time};
use crate::report::{self, REPLACED, REPORTED_LOST, Report};

/// `POST /applications`: a resident applies for a reissued or temporary
/// card on one of their loss reports; a case opens with the desk.
pub fn apply(req: &Request) -> Result<Response> {
    let caller = req.require_role(Role::Resident)?;
    let resident = caller.subject.as_str();
    let new = NewApplication::read(req.body_fields()?)?;
    let kind = new.kind();
    let report: Report = load(report::TABLE, Reader::Resident(resident), new.report_id)?;
    if report.status != REPORTED_LOST {
        return Err(Error::conflict(format!("report {} is {}: its card has been replaced", report.id, report.status)));
    }
    let pending = table(TABLE)
        .count()
        .where_eq("report_id", report.id)
        .where_eq("kind", kind.name())
        .where_in("status", OPEN)
        .execute()?;
    if pending > 0 {
        return Err(Error::conflict(format!(
            "a {} application on report {} is already under way",
            kind.name(),
            report.id
        )));
    }
    let now = now_rfc3339();
    let id = table(TABLE)
        .insert()
        .set("resident", resident)
        .set("report_id", report.id)
        .set("kind", kind.name())
        .set("full_name", new.full_name.as_str())
        .set("id_number", new.id_number.as_str())
        .set("phone", new.phone.as_str())
        .set("status", SUBMITTED)
        .set("fee_yuan", kind.fee_yuan())
        .set("submitted_at", now.as_str())
        .set("updated_at", now.as_str())
        .execute()?;
    let case = linkage::open_application_case(resident, kind, id)?;
    table(TABLE)
        .update()
        .set("case_id", case.id)
        .set("case_reference", case.reference.as_str())
        .set("due_at", case.due_at)
        .where_eq("id", id)
        .execute()?;
    let application: Application = load(TABLE, Reader::Resident(resident), id)?;
    Ok(Response::json(201, &application).with_header("location", format!("/applications/{id}")))
}

/// `GET /applications`: the resident's own, or (the desk) every
/// application; `?status=`, `?kind=`, paged.
pub fn list(req: &Request) -> Result<Response> {
    list_rows::<Application>(req, TABLE, Reader::of(req, DESK)?, &["status", "kind"])
}

/// `GET /applications/{id}`
pub fn show(req: &Request) -> Result<Response> {
    let reader = Reader::of(req, DESK)?;
    let application: Application = load(TABLE, reader, req.param_parse("id")?)?;
    Ok(Response::json(200, &application))
}

/// `POST /applications/{id}/withdraw`: the applicant withdraws a submitted application.
pub fn withdraw(req: &Request) -> Result<Response> {
    let caller = req.require_role(Role::Resident)?;
    let reader = Reader::Resident(caller.subject.as_str());
    let id: i64 = req.param_parse("id")?;
    let current: Application = load(TABLE, reader, id)?;
    MOVES.check(&current.status, WITHDRAWN)?;
    move_from(stamped(id, WITHDRAWN), &current.status)?;
    linkage::follow(current.case_id, &[Status::Cancelled], "withdrawn by the applicant")?;
    Ok(Response::json(200, &load::<Application>(TABLE, reader, id)?))
}

/// `POST /applications/{id}/accept`: the desk checks the applicant's name
/// and ID number against their shared profile and, if both match, accepts.
pub fn accept(req: &Request) -> Result<Response> {
    let officer = require_staff_of(req, DESK)?;
    let id: i64 = req.param_parse("id")?;
    let current: Application = load(TABLE, Reader::Staff, id)?;
    MOVES.check(&current.status, ACCEPTED)?;
    let identity = identity::check(&current.resident, &current.full_name, &current.id_number)?;
    if let Some(refusal) = identity.refusal() {
        return Err(Error::conflict(refusal));
    }
    let update = stamped(id, ACCEPTED)
        .set("handled_by", officer.subject.as_str())
        .set("verified_by", officer.subject.as_str())
        .set("verified_at", now_rfc3339());
    move_from(update, &current.status)?;
    linkage::follow(
        current.case_id,
        &[Status::Accepted, Status::InProgress],
        "identity checked against the shared profile",
    )?;
    Ok(Response::json(200, &load::<Application>(TABLE, Reader::Staff, id)?))
}

/// `POST /applications/{id}/reject` `{reason}`: the desk refuses, saying why.
pub fn reject(req: &Request) -> Result<Response> {
    let officer = require_staff_of(req, DESK)?;
    let id: i64 = req.param_parse("id")?;
    let mut body = req.body_fields()?;
    let reason = body.required_text("reason");
    body.deny_unknown();
    check_length(&mut body, "reason", reason.as_deref(), 2, 500);
    body.finish()?;
    let reason = reason.unwrap_or_default();
    let current: Application = load(TABLE, Reader::Staff, id)?;
    MOVES.check(&current.status, REJECTED)?;
    let moves = linkage::refusal_moves(current.case_id)?;
    let update =
        stamped(id, REJECTED).set("handled_by", officer.subject.as_str()).set("rejection_reason", reason.as_str());
    move_from(update, &current.status)?;
    linkage::follow(current.case_id, moves, &reason)?;
    let reference = reference(&current);
    linkage::tell(&current.resident, "application-rejected", &[("reference", &reference), ("reason", &reason)])?;
    Ok(Response::json(200, &load::<Application>(TABLE, Reader::Staff, id)?))
}

/// `POST /applications/{id}/ready` `{place, from, to}`: the card is made;
/// the applicant is told where and when to collect it.
pub fn ready(req: &Request) -> Result<Response> {
    let officer = require_staff_of(req, DESK)?;
    let id: i64 = req.param_parse("id")?;
    let now = DateTime::parse(&now_rfc3339()).map_or(0, |now| now.unix_seconds());
    let window = PickupWindow::read(req.body_fields()?, now)?;
    let current: Application = load(TABLE, Reader::Staff, id)?;
    MOVES.check(&current.status, READY)?;
    let kind = Kind::parse(&current.kind).unwrap_or(Kind::Reissue);
    let issued = today();
    let valid_until = (kind == Kind::Temporary).then(|| temporary_valid_until(issued).to_string());
    let update = stamped(id, READY)
        .set("handled_by", officer.subject.as_str())
        .set("pickup_place", window.place.as_str())
        .set("pickup_from", window.from.as_str())
        .set("pickup_to", window.to.as_str())
        .set("issued_on", issued.to_string())
        .set("valid_until", valid_until.clone());
    move_from(update, &current.status)?;
    let (from, to) = (city_time(&window.from), city_time(&window.to));
    linkage::note(current.case_id, &format!("ready for pickup at {} from {from} to {to}", window.place))?;
    let reference = reference(&current);
    let mut params =
        vec![("reference", reference.as_str()), ("place", window.place.as_str()), ("from", &from), ("to", &to)];
    let template = match &valid_until {
        Some(until) => {
            params.push(("valid_until", until));
            "temporary-ready"
        }
        None => "reissue-ready",
    };
    linkage::tell(&current.resident, template, &params)?;
    Ok(Response::json(200, &load::<Application>(TABLE, Reader::Staff, id)?))
}

/// `POST /applications/{id}/collected`: the applicant collected the card;
/// the application and its case close, and a reissue replaces the lost card.
pub fn collected(req: &Request) -> Result<Response> {
    let officer = require_staff_of(req, DESK)?;
    let id: i64 = req.param_parse("id")?;
    let current: Application = load(TABLE, Reader::Staff, id)?;
    MOVES.check(&current.status, COLLECTED)?;
    let now = now_rfc3339();
    let update = stamped(id, COLLECTED).set("handled_by", officer.subject.as_str()).set("collected_at", now.as_str());
    move_from(update, &current.status)?;
    linkage::follow(current.case_id, &[Status::Completed], "collected by the applicant")?;
    if current.kind == Kind::Reissue.name() {
        table(report::TABLE)
            .update()
            .set("status", REPLACED)
            .set("updated_at", now.as_str())
            .where_eq("id", current.report_id)
            .where_eq("status", REPORTED_LOST)
            .execute()?;
    }
    Ok(Response::json(200, &load::<Application>(TABLE, Reader::Staff, id)?))
}

/// An update of application `id` to `status`, stamped with the time.
fn stamped(id: i64, status: &str) -> onewindow_sdk::data::Update {
    table(TABLE).update().set("status", status).set("updated_at", now_rfc3339()).where_eq("id", id)
}

/// The case reference the resident knows the application by.
fn reference(application: &Application) -> String {
    application.case_reference.clone().unwrap_or_else(|| format!("#{}", application.id))
}
