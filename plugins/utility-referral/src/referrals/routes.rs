//! The referral routes. A resident sees only their own referrals (every
//! query is filtered by `resident`); a partner unit's staff see only the
//! referrals made to their unit (filtered by `unit_id`). Anyone else's
//! referral is simply not found.

use onewindow_sdk::prelude::*;

use super::handoff;
use super::linkage::{self, Move};
use super::model::{RESIDENT_MOVES, ReferralView, STAFF_MOVES, STAFF_TARGETS, STATUSES, Stored, TABLE, load};
use super::report::{self, Intake};
use crate::directory::Directory;

/// Whose referrals the caller sees: a filter column and its value.
enum Reader {
    Resident(String),
    Unit(String),
}

impl Reader {
    fn of(req: &Request) -> Result<Reader> {
        let caller = req.require_caller()?;
        match (caller.role, &caller.unit) {
            (Role::Resident, _) => Ok(Reader::Resident(caller.subject.clone())),
            (Role::Staff, Some(unit)) if unit.kind == UnitKind::Partner => Ok(Reader::Unit(unit.id.clone())),
            _ => Err(Error::forbidden(
                "referrals are read by the residents who made them and the partner units they went to",
            )),
        }
    }

    fn filter(&self) -> (&'static str, &str) {
        match self {
            Reader::Resident(resident) => ("resident", resident),
            Reader::Unit(unit) => ("unit_id", unit),
        }
    }
}

/// `POST /referrals`: a resident reports a problem.
pub fn create(req: &Request) -> Result<Response> {
    let caller = req.require_role(Role::Resident)?;
    let directory = Directory::load()?;
    let report = match report::read(req, &directory)? {
        Intake::HandOff(handoff) => return Ok(handoff::answer(req, &directory, &handoff)),
        Intake::File(report) => report,
    };
    let contact = if report.share_contact { Some(report::contact(&report)?) } else { None };
    let stored = linkage::file(caller.subject.as_str(), &report, contact.as_ref(), &directory)?;
    let language = req.language();
    Ok(Response::json(201, &ReferralView::of(&stored, &directory, language))
        .with_header("location", format!("/referrals/{}", stored.id))
        .with_header("content-language", language.tag()))
}

/// `GET /referrals`: the resident's own (newest first) or the unit's
/// (urgent first, then newest); `?status=`, `?limit=` (1 to 100, default 20), `?offset=`.
pub fn list(req: &Request) -> Result<Response> {
    let reader = Reader::of(req)?;
    let page = Page::from_request(req, 20, 100)?;
    let status = req.query_param("status");
    if let Some(status) = &status {
        let mut problems = FieldErrors::new();
        problems.one_of("status", status, &STATUSES);
        problems.into_result()?;
    }
    let (column, owner) = reader.filter();
    let mut query = table(TABLE).all().where_eq(column, owner);
    let mut count = table(TABLE).count().where_eq(column, owner);
    if let Some(status) = &status {
        query = query.where_eq("status", status.as_str());
        count = count.where_eq("status", status.as_str());
    }
    if matches!(reader, Reader::Unit(_)) {
        query = query.order_by("priority");
    }
    let rows: Vec<Stored> = query.order_by_desc("id").limit(page.limit).offset(page.offset).fetch()?.deserialize()?;
    let directory = Directory::load()?;
    let language = req.language();
    let items: Vec<ReferralView> = rows.iter().map(|r| ReferralView::of(r, &directory, language)).collect();
    Ok(page.respond(&items, count.execute()?).with_header("content-language", language.tag()))
}

/// `GET /referrals/{id}`: one referral, its status read from its case.
pub fn show(req: &Request) -> Result<Response> {
    let reader = Reader::of(req)?;
    let id = req.param_parse("id")?;
    let (column, owner) = reader.filter();
    let mut stored = load(id, column, owner)?;
    linkage::sync(&mut stored)?;
    answer(req, &stored)
}

/// `POST /referrals/{id}/transition` `{"to", "reason"?, "note"?}`: the
/// unit's staff move a referral on; a reason is required to reject.
pub fn transition(req: &Request) -> Result<Response> {
    let staff = req.require_staff_of(UnitKind::Partner)?;
    let unit = staff.unit.as_ref().map(|u| u.id.clone()).unwrap_or_default();
    let id = req.param_parse("id")?;
    let mut body = req.body_fields()?;
    let to = body.required_text("to");
    let to = to.and_then(|to| body.errors().one_of("to", &to, &STAFF_TARGETS));
    let reason = body.optional_text("reason");
    let note = body.optional_text("note");
    for (field, text) in [("reason", &reason), ("note", &note)] {
        body.check(text.as_ref().is_none_or(|t| t.chars().count() <= 500), field, "must be at most 500 characters");
    }
    if let Some(to) = to {
        body.check(to != "rejected" || reason.is_some(), "reason", "is required when rejecting");
        body.check(to == "rejected" || reason.is_none(), "reason", "is given only when rejecting; use note");
    }
    body.deny_unknown();
    body.finish()?;
    let to = to.unwrap_or_default();

    let mut stored = load(id, "unit_id", &unit)?;
    let case = linkage::sync(&mut stored)?;
    if case.unit != unit {
        return Err(Error::conflict(format!(
            "case {} was handed to {} in the staff console; it is theirs to work now",
            case.reference, case.unit
        )));
    }
    STAFF_MOVES.check(&stored.status, to)?;
    let step = Move { to, reason: reason.as_deref(), note: note.as_deref(), by: staff.subject.as_str() };
    linkage::advance(&stored, &step)?;
    answer(req, &load(id, "unit_id", &unit)?)
}

/// `POST /referrals/{id}/cancel`: the resident withdraws a report before
/// the unit starts work on it.
pub fn cancel(req: &Request) -> Result<Response> {
    let caller = req.require_role(Role::Resident)?;
    let id = req.param_parse("id")?;
    let mut stored = load(id, "resident", caller.subject.as_str())?;
    linkage::sync(&mut stored)?;
    RESIDENT_MOVES.check(&stored.status, "cancelled")?;
    let step = Move { to: "cancelled", reason: None, note: None, by: caller.subject.as_str() };
    linkage::advance(&stored, &step)?;
    answer(req, &load(id, "resident", caller.subject.as_str())?)
}

fn answer(req: &Request, stored: &Stored) -> Result<Response> {
    let directory = Directory::load()?;
    let language = req.language();
    Ok(Response::json(200, &ReferralView::of(stored, &directory, language))
        .with_header("content-language", language.tag()))
}
