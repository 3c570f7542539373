//! Applications: the resident pre-fills, applies, follows, resubmits or
//! withdraws; police staff review, ask for more, approve, reject and issue.

use onewindow_sdk::DataError;
use onewindow_sdk::data::Update;
use onewindow_sdk::prelude::*;
use onewindow_sdk::time::{Date, now_rfc3339, today};
use serde::Serialize;
use serde_json::{Value, json};

use crate::access::{Reader, require_desk};
use crate::application::{
    APPLICANT_MOVES, APPROVED, Application, Form, MORE_INFO, REJECTED, Row, STAFF_MOVES, SUBMITTED, TABLE,
    UNDER_REVIEW, UNDER_WAY, WITHDRAWN,
};
use crate::calendar;
use crate::handlers::{load, localized, move_from, page, permits::pending_endorsement};
use crate::linkage::{self, APPLICATION_CASE, Goal};
use crate::permit;
use crate::requirements::items_for;
use crate::shared::{self, Known};
use crate::texts::{self, fill};

const OWNER: &str = "applicant";

/// What the platform already knows for an application.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Prefill {
    pub full_name: String,
    pub id_number: String,
    pub phone: String,
    pub current_address: String,
    /// From the floating-population registration ("" when unknown).
    pub arrival_date: String,
    /// employment, residence or study as registered ("" when unknown).
    pub reason: String,
    pub employer_or_school: Option<String>,
    /// Not kept in the shared record: always null.
    pub housing_type: Option<String>,
    /// Not kept in the shared record: always null.
    pub housing_certificate: Option<String>,
    /// The registration's place of household registration.
    pub origin: Option<String>,
    /// The first day the resident may apply (six calendar months after arrival), when the arrival is known.
    pub eligible_from: Option<String>,
}

/// `GET /prefill`: the application's fields from the shared profile and
/// floating-population registration, so the form need not ask again.
pub fn prefill(req: &Request) -> Result<Response> {
    let caller = req.require_role(Role::Resident)?;
    let known = Known::read(caller)?;
    let form = known.form();
    let eligible_from = Date::parse(&form.arrival_date).map(|d| calendar::eligible_from(d).to_string());
    let origin = Some(known.floating_text("origin").to_owned()).filter(|s| !s.is_empty());
    let prefill = Prefill {
        full_name: form.full_name,
        id_number: form.id_number,
        phone: form.phone,
        current_address: form.current_address,
        arrival_date: form.arrival_date,
        reason: form.reason,
        employer_or_school: form.employer_or_school,
        housing_type: None,
        housing_certificate: None,
        origin,
        eligible_from,
    };
    Ok(Response::json(200, &prefill))
}

/// `POST /applications`: a resident applies. Fields left out come from the
/// shared record; what the application adds goes back to it; a case opens
/// with the desk; the inbox confirms.
pub fn apply(req: &Request) -> Result<Response> {
    let caller = req.require_role(Role::Resident)?;
    let resident = caller.subject.as_str();
    let language = req.language();
    let body: Value = req.json()?;
    let known = Known::read(caller)?;
    let form = Form::read(body, &known.form(), today(), language)?;
    refuse_a_second(resident, language)?;

    let now = now_rfc3339();
    let id = table(TABLE)
        .insert()
        .set(OWNER, resident)
        .set("full_name", form.full_name.as_str())
        .set("id_number", form.id_number.as_str())
        .set("current_address", form.current_address.as_str())
        .set("arrival_date", form.arrival_date.as_str())
        .set("reason", form.reason.as_str())
        .set("employer_or_school", form.employer_or_school.clone())
        .set("housing_type", form.housing_type.clone())
        .set("housing_certificate", form.housing_certificate.clone())
        .set("phone", form.phone.as_str())
        .set("status", SUBMITTED)
        .set("submitted_at", now.as_str())
        .set("updated_at", now.as_str())
        .execute()?;
    shared::write_back(&form, &known)?;
    let case = linkage::open(APPLICATION_CASE, resident, json!({ "application": id }), "applied online")?;
    table(TABLE)
        .update()
        .set("case_id", case.id)
        .set("case_reference", case.reference.as_str())
        .set("due_at", case.due_at.clone())
        .where_eq("id", id)
        .execute()?;
    linkage::tell(resident, "application-submitted", &[("reference", &case.reference)])?;
    let row: Row = load(TABLE, OWNER, Reader::Resident(resident), id)?;
    Ok(localized(201, &Application::new(row, language), language)
        .with_header("location", format!("/applications/{id}")))
}

/// One application under way at a time, and none while the resident holds
/// a permit that has not lapsed (it is endorsed, not applied for again).
fn refuse_a_second(resident: &str, language: Language) -> Result<()> {
    let under_way =
        table(TABLE).select(&["id"]).where_eq(OWNER, resident).where_in("status", UNDER_WAY).fetch_optional()?;
    if let Some(row) = under_way {
        let id = row.as_ref().integer("id").unwrap_or_default().to_string();
        return Err(Error::conflict(fill(&texts::APPLICATION_UNDER_WAY, language, &[("id", &id)])));
    }
    let permits: Vec<permit::Row> = table(permit::TABLE).all().where_eq("holder", resident).fetch()?.deserialize()?;
    for held in permits {
        let pending = pending_endorsement(held.id)?.is_some();
        if calendar::permit_status(held.valid_until(), today(), pending) != "lapsed" {
            let params = [("number", held.permit_number.as_str()), ("valid_until", held.valid_until.as_str())];
            return Err(Error::conflict(fill(&texts::PERMIT_HELD, language, &params)));
        }
    }
    Ok(())
}

/// `GET /applications`: the resident's own, or (police staff) every
/// application; `?status=`, paged, newest first.
pub fn list(req: &Request) -> Result<Response> {
    let reader = Reader::of(req)?;
    let language = req.language();
    let (page, rows, total) = page::<Row>(req, TABLE, OWNER, reader, &["status"], &[])?;
    let items: Vec<Application> = rows.into_iter().map(|row| Application::new(row, language)).collect();
    Ok(page.respond(&items, total).with_header("content-language", language.tag()))
}

/// `GET /applications/{id}`
pub fn show(req: &Request) -> Result<Response> {
    let reader = Reader::of(req)?;
    answer(req, reader, req.param_parse("id")?)
}

/// `POST /applications/{id}/withdraw`: the applicant withdraws before approval.
pub fn withdraw(req: &Request) -> Result<Response> {
    let caller = req.require_role(Role::Resident)?;
    let reader = Reader::Resident(caller.subject.as_str());
    let id: i64 = req.param_parse("id")?;
    let current: Row = load(TABLE, OWNER, reader, id)?;
    APPLICANT_MOVES.check(&current.status, WITHDRAWN)?;
    move_from(stamped(id, WITHDRAWN), &current.status)?;
    linkage::follow(current.case_id, Goal::Cancelled, "withdrawn by the applicant")?;
    linkage::tell(&current.applicant, "application-withdrawn", &[("reference", &current.reference())])?;
    answer(req, reader, id)
}

/// `POST /applications/{id}/resubmit`: after a request for more, the
/// applicant sends corrected fields (left-out ones keep the application's
/// values), checked as on apply; the review resumes.
pub fn resubmit(req: &Request) -> Result<Response> {
    let caller = req.require_role(Role::Resident)?;
    let reader = Reader::Resident(caller.subject.as_str());
    let id: i64 = req.param_parse("id")?;
    let language = req.language();
    let body: Value = if req.body().is_empty() { json!({}) } else { req.json()? };
    let current: Row = load(TABLE, OWNER, reader, id)?;
    APPLICANT_MOVES.check(&current.status, UNDER_REVIEW)?;
    let form = Form::read(body, &current.form(), today(), language)?;
    let known = Known::read(caller)?;

    let update = stamped(id, UNDER_REVIEW)
        .set("full_name", form.full_name.as_str())
        .set("id_number", form.id_number.as_str())
        .set("current_address", form.current_address.as_str())
        .set("arrival_date", form.arrival_date.as_str())
        .set("reason", form.reason.as_str())
        .set("employer_or_school", form.employer_or_school.clone())
        .set("housing_type", form.housing_type.clone())
        .set("housing_certificate", form.housing_certificate.clone())
        .set("phone", form.phone.as_str())
        .set("info_request", None::<String>)
        .set("missing_items", None::<String>)
        .set("resubmitted_at", now_rfc3339());
    move_from(update, MORE_INFO)?;
    shared::write_back(&form, &known)?;
    linkage::follow(current.case_id, Goal::InProgress, "resubmitted with corrections")?;
    linkage::tell(&current.applicant, "application-under-review", &[("reference", &current.reference())])?;
    answer(req, reader, id)
}

/// `POST /applications/{id}/transition` `{to, reason?, message?, missing_items?}`:
/// police staff move an application on.
pub fn transition(req: &Request) -> Result<Response> {
    let officer = require_desk(req)?;
    let id: i64 = req.param_parse("id")?;
    let mut body = req.body_fields()?;
    let to = body.required_text("to");
    let reason = body.optional_text("reason");
    let message = body.optional_text("message");
    let missing = body.optional::<Vec<String>>("missing_items");
    body.deny_unknown();
    body.finish()?;
    let to = to.unwrap_or_default();
    let current: Row = load(TABLE, OWNER, Reader::Desk, id)?;
    STAFF_MOVES.check(&current.status, &to)?;
    check_move(&current, &to, reason.as_deref(), message.as_deref(), missing.as_deref())?;

    let reference = current.reference();
    let officer = officer.subject.as_str();
    let update = stamped(id, &to).set("reviewed_by", officer);
    match to.as_str() {
        UNDER_REVIEW => {
            move_from(update, &current.status)?;
            linkage::follow(current.case_id, Goal::InProgress, "review started")?;
            linkage::tell(&current.applicant, "application-under-review", &[("reference", &reference)])?;
        }
        MORE_INFO => {
            let message = message.unwrap_or_default();
            let missing = missing.filter(|m| !m.is_empty()).map(|m| json!(m).to_string());
            move_from(update.set("info_request", message.as_str()).set("missing_items", missing), &current.status)?;
            linkage::follow(current.case_id, Goal::OnHold, &message)?;
            linkage::tell(
                &current.applicant,
                "application-more-info",
                &[("reference", &reference), ("message", &message)],
            )?;
        }
        APPROVED => {
            move_from(update, &current.status)?;
            linkage::tell(&current.applicant, "application-approved", &[("reference", &reference)])?;
        }
        REJECTED => {
            let reason = reason.unwrap_or_default();
            move_from(update.set("rejection_reason", reason.as_str()), &current.status)?;
            linkage::follow(current.case_id, Goal::Refused, &reason)?;
            linkage::tell(
                &current.applicant,
                "application-rejected",
                &[("reference", &reference), ("reason", &reason)],
            )?;
        }
        // ISSUED: the only move STAFF_MOVES leaves.
        _ => {
            move_from(update, &current.status)?;
            let (number, valid_until) = issue(&current, officer)?;
            linkage::follow(current.case_id, Goal::Completed, &format!("permit {number} issued"))?;
            let params = [("reference", reference.as_str()), ("number", &number), ("valid_until", &valid_until)];
            linkage::tell(&current.applicant, "application-issued", &params)?;
        }
    }
    answer(req, Reader::Desk, id)
}

/// The fields each move needs (422 naming them): a reason to reject, a
/// message (and optionally checklist codes) to ask for more; neither otherwise.
fn check_move(
    current: &Row,
    to: &str,
    reason: Option<&str>,
    message: Option<&str>,
    missing: Option<&[String]>,
) -> Result<()> {
    let mut problems = FieldErrors::new();
    if to == REJECTED {
        problems.check(reason.is_some(), "reason", "is required when rejecting");
        problems.check(reason.is_none_or(|r| r.chars().count() <= 500), "reason", "must be at most 500 characters");
    } else {
        problems.check(reason.is_none(), "reason", "is only for rejecting");
    }
    if to == MORE_INFO {
        problems.check(message.is_some(), "message", "is required when asking for more information");
        problems.check(message.is_none_or(|m| m.chars().count() <= 500), "message", "must be at most 500 characters");
        let codes: Vec<&str> = items_for(&current.reason).iter().map(|item| item.code).collect();
        let unknown: Vec<&str> =
            missing.unwrap_or_default().iter().map(String::as_str).filter(|code| !codes.contains(code)).collect();
        problems.check(
            unknown.is_empty(),
            "missing_items",
            format!("must be codes of this application's checklist: {}", codes.join(", ")),
        );
    } else {
        problems.check(message.is_none(), "message", "is only for asking for more information");
        problems.check(missing.is_none(), "missing_items", "is only for asking for more information");
    }
    problems.into_result()
}

/// Issues the permit of an approved application: the year's next serial,
/// valid from today for one year. Runs after the application's own move,
/// so any failure here is a 5xx that undoes it.
fn issue(application: &Row, officer: &str) -> Result<(String, String)> {
    let today = today();
    let serial = permit::next_serial(today.year)?;
    let number = permit::number(today.year, serial)
        .ok_or_else(|| Error::internal(format!("the serials of {} are used up", today.year)))?;
    let valid_until = calendar::one_year_after(today).to_string();
    let now = now_rfc3339();
    let permit_id = table(permit::TABLE)
        .insert()
        .set("holder", application.applicant.as_str())
        .set("application_id", application.id)
        .set("permit_number", number.as_str())
        .set("full_name", application.full_name.as_str())
        .set("id_number", application.id_number.as_str())
        .set("current_address", application.current_address.as_str())
        .set("reason", application.reason.as_str())
        .set("valid_from", today.to_string())
        .set("valid_until", valid_until.as_str())
        .set("endorsements", 0i64)
        .set("issued_by", officer)
        .set("issued_at", now.as_str())
        .set("updated_at", now.as_str())
        .execute()
        .map_err(|e| if matches!(e, DataError::Conflict(_)) { permit::busy() } else { e.into() })?;
    table(TABLE)
        .update()
        .set("permit_id", permit_id)
        .set("permit_number", number.as_str())
        .where_eq("id", application.id)
        .execute()?;
    Ok((number, valid_until))
}

/// An update of application `id` to `status`, stamped with the time.
fn stamped(id: i64, status: &str) -> Update {
    table(TABLE).update().set("status", status).set("updated_at", now_rfc3339()).where_eq("id", id)
}

/// Application `id` as `reader` sees it, in the caller's language.
fn answer(req: &Request, reader: Reader<'_>, id: i64) -> Result<Response> {
    let language = req.language();
    let row: Row = load(TABLE, OWNER, reader, id)?;
    Ok(localized(200, &Application::new(row, language), language))
}
