//! Endorsement requests: the holder follows them; police staff approve
//! (the permit runs a year more) or reject with a reason.

use onewindow_sdk::prelude::*;
use onewindow_sdk::time::{now_rfc3339, today};

use crate::access::{Reader, require_desk};
use crate::calendar;
use crate::endorsement::{APPROVED, Endorsement, REJECTED, Row, STAFF_MOVES, TABLE};
use crate::handlers::{load, localized, move_from, page};
use crate::linkage::{self, Goal};
use crate::permit;

const OWNER: &str = "holder";

/// `GET /endorsements`: the resident's own, or (police staff) every
/// endorsement request; `?status=`, paged, newest first.
pub fn list(req: &Request) -> Result<Response> {
    let reader = Reader::of(req)?;
    let language = req.language();
    let (page, rows, total) = page::<Row>(req, TABLE, OWNER, reader, &["status"], &[])?;
    let items: Vec<Endorsement> = rows.into_iter().map(|row| Endorsement::new(row, language)).collect();
    Ok(page.respond(&items, total).with_header("content-language", language.tag()))
}

/// `GET /endorsements/{id}`
pub fn show(req: &Request) -> Result<Response> {
    let reader = Reader::of(req)?;
    answer(req, reader, req.param_parse("id")?)
}

/// `POST /endorsements/{id}/transition` `{to: approved | rejected, reason?}`:
/// police staff decide. Approval moves the permit's last valid day on by
/// one year and counts the endorsement.
pub fn transition(req: &Request) -> Result<Response> {
    let officer = require_desk(req)?.subject.as_str();
    let id: i64 = req.param_parse("id")?;
    let mut body = req.body_fields()?;
    let to = body.required_text("to");
    let reason = body.optional_text("reason");
    body.deny_unknown();
    body.finish()?;
    let to = to.unwrap_or_default();
    let current: Row = load(TABLE, OWNER, Reader::Desk, id)?;
    STAFF_MOVES.check(&current.status, &to)?;
    let mut problems = FieldErrors::new();
    if to == REJECTED {
        problems.check(reason.is_some(), "reason", "is required when rejecting");
        problems.check(
            reason.as_ref().is_none_or(|r| r.chars().count() <= 500),
            "reason",
            "must be at most 500 characters",
        );
    } else {
        problems.check(reason.is_none(), "reason", "is only for rejecting");
    }
    problems.into_result()?;

    let update = table(TABLE)
        .update()
        .set("status", to.as_str())
        .set("decided_by", officer)
        .set("updated_at", now_rfc3339())
        .where_eq("id", id);
    if to == APPROVED {
        let held: permit::Row = load(permit::TABLE, OWNER, Reader::Desk, current.permit_id)?;
        let valid_until = calendar::one_year_after(held.valid_until()).to_string();
        move_from(update.set("valid_until_after", valid_until.as_str()), &current.status)?;
        let moved = table(permit::TABLE)
            .update()
            .set("valid_until", valid_until.as_str())
            .set("endorsements", held.endorsements + 1)
            .set("last_endorsed_on", today().to_string())
            .set("updated_at", now_rfc3339())
            .where_eq("id", held.id)
            .where_eq("valid_until", held.valid_until.as_str())
            .execute()?;
        if moved == 0 {
            return Err(permit::busy());
        }
        linkage::follow(current.case_id, Goal::Completed, &format!("endorsed until {valid_until}"))?;
        let params = [("number", held.permit_number.as_str()), ("valid_until", valid_until.as_str())];
        linkage::tell(&current.holder, "endorsement-approved", &params)?;
    } else {
        let reason = reason.unwrap_or_default();
        move_from(update.set("rejection_reason", reason.as_str()), &current.status)?;
        linkage::follow(current.case_id, Goal::Refused, &reason)?;
        let params = [("number", current.permit_number.as_str()), ("reason", reason.as_str())];
        linkage::tell(&current.holder, "endorsement-rejected", &params)?;
    }
    answer(req, Reader::Desk, id)
}

fn answer(req: &Request, reader: Reader<'_>, id: i64) -> Result<Response> {
    let language = req.language();
    let row: Row = load(TABLE, OWNER, reader, id)?;
    Ok(localized(200, &Endorsement::new(row, language), language))
}
