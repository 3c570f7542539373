//! Permits: the holder (or the desk) reads them, with their status as of
//! today; the holder asks for the yearly endorsement in its window.

use onewindow_sdk::prelude::*;
use onewindow_sdk::time::{now_rfc3339, today};
use serde_json::json;

use crate::access::Reader;
use crate::calendar::{self, Window};
use crate::endorsement::{self, Endorsement};
use crate::handlers::{load, localized, optional_body, page};
use crate::linkage::{self, ENDORSEMENT_CASE};
use crate::permit::{self, Permit};
use crate::texts::{self, fill};

const OWNER: &str = "holder";

/// The endorsement of permit `permit_id` asked for and not yet decided, if any.
pub fn pending_endorsement(permit_id: i64) -> Result<Option<endorsement::Row>> {
    let pending = table(endorsement::TABLE)
        .all()
        .where_eq("permit_id", permit_id)
        .where_eq("status", endorsement::SUBMITTED)
        .fetch_optional()?;
    pending.map(|row| row.deserialize()).transpose()
}

/// A stored permit as answered today.
fn view(row: permit::Row, language: Language) -> Result<Permit> {
    let pending = pending_endorsement(row.id)?.is_some();
    Ok(Permit::new(row, today(), pending, language))
}

/// `GET /permits`: the resident's own permits, or (police staff) every
/// permit; paged, newest first. The status is computed from today.
pub fn list(req: &Request) -> Result<Response> {
    let reader = Reader::of(req)?;
    let language = req.language();
    let (page, rows, total) = page::<permit::Row>(req, permit::TABLE, OWNER, reader, &[], &[])?;
    let items = rows.into_iter().map(|row| view(row, language)).collect::<Result<Vec<_>>>()?;
    Ok(page.respond(&items, total).with_header("content-language", language.tag()))
}

/// `GET /permits/{id}`
pub fn show(req: &Request) -> Result<Response> {
    let reader = Reader::of(req)?;
    let language = req.language();
    let row: permit::Row = load(permit::TABLE, OWNER, reader, req.param_parse("id")?)?;
    Ok(localized(200, &view(row, language)?, language))
}

/// `POST /permits/{id}/endorsements` `{note?}`: the holder asks for the
/// yearly endorsement, only in the 30 days before the last valid day (409
/// saying when the window opens, or that the permit lapsed); a case opens
/// with the desk.
pub fn endorse(req: &Request) -> Result<Response> {
    let caller = req.require_role(Role::Resident)?;
    let holder = caller.subject.as_str();
    let language = req.language();
    let id: i64 = req.param_parse("id")?;
    let mut body = optional_body(req)?;
    let note = body.optional_text("note");
    body.deny_unknown();
    body.check(note.as_ref().is_none_or(|n| n.chars().count() <= 500), "note", "must be at most 500 characters");
    body.finish()?;
    let held: permit::Row = load(permit::TABLE, OWNER, Reader::Resident(holder), id)?;
    if let Some(pending) = pending_endorsement(held.id)? {
        let reference = pending.reference();
        return Err(Error::conflict(fill(&texts::ENDORSEMENT_UNDER_WAY, language, &[("reference", &reference)])));
    }
    let until = held.valid_until.as_str();
    match calendar::endorsement_window(held.valid_until(), today()) {
        Window::Open => {}
        Window::NotYet { opens } => {
            let params = [("opens", opens.to_string()), ("valid_until", until.to_owned())];
            let params: Vec<(&str, &str)> = params.iter().map(|(n, v)| (*n, v.as_str())).collect();
            return Err(Error::conflict(fill(&texts::WINDOW_NOT_YET, language, &params)));
        }
        Window::Lapsed => {
            return Err(Error::conflict(fill(&texts::PERMIT_LAPSED, language, &[("valid_until", until)])));
        }
    }

    let now = now_rfc3339();
    let endorsement_id = table(endorsement::TABLE)
        .insert()
        .set("holder", holder)
        .set("permit_id", held.id)
        .set("permit_number", held.permit_number.as_str())
        .set("status", endorsement::SUBMITTED)
        .set("valid_until_before", until)
        .set("note", note)
        .set("requested_at", now.as_str())
        .set("updated_at", now.as_str())
        .execute()?;
    let data = json!({ "permit": held.id, "permit_number": held.permit_number, "endorsement": endorsement_id });
    let case = linkage::open(ENDORSEMENT_CASE, holder, data, "endorsement asked online")?;
    table(endorsement::TABLE)
        .update()
        .set("case_id", case.id)
        .set("case_reference", case.reference.as_str())
        .set("due_at", case.due_at.clone())
        .where_eq("id", endorsement_id)
        .execute()?;
    let params = [("reference", case.reference.as_str()), ("number", held.permit_number.as_str())];
    linkage::tell(holder, "endorsement-submitted", &params)?;
    let row: endorsement::Row = load(endorsement::TABLE, OWNER, Reader::Resident(holder), endorsement_id)?;
    Ok(localized(201, &Endorsement::new(row, language), language)
        .with_header("location", format!("/endorsements/{endorsement_id}")))
}

/// `GET /permits/{id}/endorsements`: the endorsements of one permit, newest first.
pub fn endorsements(req: &Request) -> Result<Response> {
    let reader = Reader::of(req)?;
    let language = req.language();
    let held: permit::Row = load(permit::TABLE, OWNER, reader, req.param_parse("id")?)?;
    let (page, rows, total) =
        page::<endorsement::Row>(req, endorsement::TABLE, OWNER, reader, &[], &[("permit_id", held.id)])?;
    let items: Vec<Endorsement> = rows.into_iter().map(|row| Endorsement::new(row, language)).collect();
    Ok(page.respond(&items, total).with_header("content-language", language.tag()))
}
