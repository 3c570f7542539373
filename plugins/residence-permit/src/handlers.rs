//! The routes. Residents see only their own applications: every query a
//! resident makes is filtered by `applicant`, so another resident's
//! application is simply not found.

use onewindow_sdk::prelude::*;
use onewindow_sdk::time::{Date, now_rfc3339};

use crate::application::{Application, NewApplication, TABLE, WITHDRAWABLE, staff_transitions};
use crate::shared;

/// `GET /prefill`: what the platform already knows for the caller's
/// application (from the shared profile and floating-population
/// registration), so the form need not ask again.
pub fn prefill(req: &Request) -> Result<Response> {
    let caller = req.require_role(Role::Resident)?;
    let known = shared::known(caller)?;
    Ok(Response::json(
        200,
        &serde_json::json!({
            "full_name": known.full_name,
            "id_number": known.id_number,
            "phone": known.phone,
            "current_address": known.current_address,
            "arrival_date": known.arrival_date,
            "reason": known.reason,
            "employer_or_school": known.employer_or_school,
        }),
    ))
}

/// `POST /applications`: a resident applies. Fields left out are taken
/// from the shared record; what the application adds is written back, and
/// a case is opened with the registration desk.
pub fn apply(req: &Request) -> Result<Response> {
    let caller = req.require_role(Role::Resident)?;
    let known = shared::known(caller)?;
    let application = shared::prefill(req.json::<NewApplication>()?, &known).validate(Date::today())?;
    let now = now_rfc3339();
    let id = table(TABLE)
        .insert()
        .set("applicant", caller.subject.as_str())
        .set("full_name", application.full_name.as_str())
        .set("id_number", application.id_number.as_str())
        .set("current_address", application.current_address.as_str())
        .set("arrival_date", application.arrival_date.as_str())
        .set("reason", application.reason.as_str())
        .set("employer_or_school", application.employer_or_school.clone())
        .set("phone", application.phone.as_str())
        .set("status", "submitted")
        .set("submitted_at", now.as_str())
        .set("updated_at", now.as_str())
        .execute()?;
    shared::write_back(&application, &known)?;
    let (case_id, reference) = shared::open_case(caller.subject.as_str(), id)?;
    table(TABLE).update().set("case_id", case_id).set("case_reference", reference).where_eq("id", id).execute()?;
    let stored = load(req, id)?;
    Ok(Response::json(201, &stored).with_header("location", format!("/applications/{id}")))
}

/// `GET /applications`: a resident's own, or (police staff) everyone's,
/// optionally `?status=`, paginated with `?limit=` (1 to 100, default 20)
/// and `?offset=`.
pub fn list(req: &Request) -> Result<Response> {
    let caller = req.require_caller()?;
    let page = Page::from_request(req, 20, 100)?;
    let status = req.query_param("status");

    let mut query = table(TABLE).all().order_by_desc("id").limit(page.limit).offset(page.offset);
    let mut count = table(TABLE).count();
    if is_police_staff(caller) {
        // Staff see every application.
    } else if caller.role == Role::Resident {
        query = query.where_eq("applicant", caller.subject.as_str());
        count = count.where_eq("applicant", caller.subject.as_str());
    } else {
        return Err(Error::forbidden("only residents and police staff can list applications"));
    }
    if let Some(status) = status {
        query = query.where_eq("status", status.as_str());
        count = count.where_eq("status", status.as_str());
    }
    let items: Vec<Application> = query.fetch()?.deserialize()?;
    let total = count.execute()?;
    Ok(page.respond(&items, total))
}

/// `GET /applications/{id}`
pub fn show(req: &Request) -> Result<Response> {
    let id = req.param_parse("id")?;
    Ok(Response::json(200, &load(req, id)?))
}

/// `POST /applications/{id}/withdraw`: the applicant withdraws a pending application.
pub fn withdraw(req: &Request) -> Result<Response> {
    let caller = req.require_role(Role::Resident)?;
    let id = req.param_parse("id")?;
    let current = load(req, id)?;
    if !WITHDRAWABLE.contains(&current.status.as_str()) {
        return Err(Error::conflict(format!("an application that is {} can no longer be withdrawn", current.status)));
    }
    let changed = table(TABLE)
        .update()
        .set("status", "withdrawn")
        .set("updated_at", now_rfc3339())
        .where_eq("id", id)
        .where_eq("applicant", caller.subject.as_str())
        .where_eq("status", current.status.as_str())
        .execute()?;
    if changed == 0 {
        return Err(Error::conflict("the application changed meanwhile; read it again"));
    }
    shared::follow(current.case_id, "withdrawn", "withdrawn by the applicant")?;
    Ok(Response::json(200, &load(req, id)?))
}

/// `POST /applications/{id}/transition` `{ "to": "...", "reason": "..." }`:
/// police staff move an application on.
pub fn transition(req: &Request) -> Result<Response> {
    let caller = req.require_staff_of(UnitKind::Police)?;
    let id: i64 = req.param_parse("id")?;
    let mut body = req.body_fields()?;
    let to = body.required_text("to");
    let reason = body.optional_text("reason");
    body.deny_unknown();
    body.finish()?;
    let to = to.unwrap_or_default();
    let current = load(req, id)?;

    // The moves are declared in `application::staff_transitions`; the SDK
    // checks the one row that matters and words the 409.
    let from = current.status.as_str();
    Transitions::new(&[(from, staff_transitions(from))]).check(from, &to)?;
    let mut problems = FieldErrors::new();
    problems.check(to != "rejected" || reason.is_some(), "reason", "is required when rejecting");
    problems.check(
        reason.as_ref().is_none_or(|r| r.chars().count() <= 500),
        "reason",
        "must be at most 500 characters",
    );
    problems.into_result()?;

    let mut update = table(TABLE)
        .update()
        .set("status", to.as_str())
        .set("reviewed_by", caller.subject.as_str())
        .set("updated_at", now_rfc3339())
        .where_eq("id", id)
        .where_eq("status", current.status.as_str());
    if to == "rejected" {
        update = update.set("rejection_reason", reason.clone());
    }
    if to == "issued" {
        update = update.set("permit_number", format!("RP-{}-{id:06}", Date::today().year));
    }
    if update.execute()? == 0 {
        return Err(Error::conflict("the application changed meanwhile; read it again"));
    }
    shared::follow(current.case_id, &to, reason.as_deref().unwrap_or_default())?;
    Ok(Response::json(200, &load(req, id)?))
}

/// Loads one application the caller may see, or 404.
fn load(req: &Request, id: i64) -> Result<Application> {
    let caller = req.require_caller()?;
    let mut query = table(TABLE).all().where_eq("id", id);
    if caller.role == Role::Resident {
        query = query.where_eq("applicant", caller.subject.as_str());
    } else if !is_police_staff(caller) {
        return Err(Error::forbidden("only residents and police staff can read applications"));
    }
    match query.fetch_optional()? {
        Some(row) => row.deserialize(),
        None => Err(Error::not_found(format!("no application {id}"))),
    }
}

fn is_police_staff(caller: &Caller) -> bool {
    caller.role == Role::Staff && caller.unit.as_ref().is_some_and(|u| u.kind == UnitKind::Police)
}
