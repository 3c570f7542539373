//! The legal-question routes. A resident sees only their own questions (a
//! question of someone else is not found); staff see the questions whose
//! case their unit is on, and the judicial office, which leads them all,
//! answers, declines and closes.

use onewindow_sdk::cases::{self, Case, Status};
use onewindow_sdk::notify;
use onewindow_sdk::prelude::*;
use onewindow_sdk::time::now_rfc3339;

use crate::access::{self, JUDICIAL_OFFICE, Viewer};
use crate::case_flow;
use crate::forms;
use crate::question::{self, Message, MessageRow, Question, QuestionRow};
use crate::question::{ANSWERED, AWAITING, CASE_KIND, CLOSED, DECLINED, MESSAGES, MOVES, TABLE, WITHDRAWN};
use crate::texts::{self, CATEGORIES};

/// `POST /questions`: a resident asks; a case opens with the judicial office.
pub fn ask(req: &Request) -> Result<Response> {
    let resident = req.require_role(Role::Resident)?.subject.as_str();
    let (category, text) = question::read_new(req)?;
    let now = now_rfc3339();
    let id = table(TABLE)
        .insert()
        .set("resident", resident)
        .set("category", category.as_str())
        .set("question", text.as_str())
        .set("status", AWAITING)
        .set("asked_at", now.as_str())
        .set("updated_at", now.as_str())
        .execute()?;
    let case = cases::open(CASE_KIND, resident, JUDICIAL_OFFICE)
        .data(&serde_json::json!({ "question": id }))
        .note(&format!("legal question ({category}) asked online"))
        .execute()?;
    table(TABLE)
        .update()
        .set("case_id", case.id)
        .set("case_reference", case.reference.as_str())
        .where_eq("id", id)
        .execute()?;
    let answer = detail(req, Viewer::Resident(resident), load(id)?, &case)?;
    Ok(Response::json(201, &answer).with_header("location", format!("/questions/{id}")))
}

/// `GET /questions`: a resident's own; for the judicial office, its queue.
/// `?status=`, `?category=`, `?limit=` (1-100, default 20), `?offset=`.
pub fn list(req: &Request) -> Result<Response> {
    let viewer = Viewer::of(req)?;
    let mut problems = FieldErrors::new();
    let page = forms::page(req, &mut problems);
    let status = req.query_param("status");
    let status = status.and_then(|s| problems.one_of("status", &s, &[AWAITING, ANSWERED, CLOSED, WITHDRAWN, DECLINED]));
    let category = req.query_param("category");
    let codes = texts::codes(&CATEGORIES);
    let category = category.and_then(|c| problems.one_of("category", &c, &codes));
    problems.into_result()?;
    let page = page.ok_or_else(|| Error::internal("a checked page went missing"))?;

    let mut query = table(TABLE).all().order_by_desc("id").limit(page.limit).offset(page.offset);
    let mut count = table(TABLE).count();
    match viewer {
        Viewer::Resident(me) => {
            query = query.where_eq("resident", me);
            count = count.where_eq("resident", me);
        }
        Viewer::Staff { unit: JUDICIAL_OFFICE, .. } => {}
        Viewer::Staff { .. } => return Err(Error::forbidden("legal questions are answered by the judicial office")),
    }
    if let Some(status) = status {
        query = query.where_eq("status", status);
        count = count.where_eq("status", status);
    }
    if let Some(category) = category {
        query = query.where_eq("category", category);
        count = count.where_eq("category", category);
    }
    let staff = matches!(viewer, Viewer::Staff { .. });
    let rows: Vec<QuestionRow> = query.fetch()?.deserialize()?;
    let items: Vec<Question> = rows.into_iter().map(|row| Question::from_row(row, staff, req.language())).collect();
    Ok(page.respond(&items, count.execute()?))
}

/// `GET /questions/{id}`: the question with its thread.
pub fn show(req: &Request) -> Result<Response> {
    let (viewer, row, case) = visible(req)?;
    Ok(Response::json(200, &detail(req, viewer, row, &case)?))
}

/// `POST /questions/{id}/messages`: the judicial office answers (`text`,
/// `capacity`), or the resident follows up (`text`).
pub fn add_message(req: &Request) -> Result<Response> {
    let (viewer, row, case) = visible(req)?;
    let now = now_rfc3339();
    let (text, capacity, next) = match viewer {
        Viewer::Resident(_) => {
            let (text, _) = question::read_message(req, false)?;
            MOVES.check(&row.status, AWAITING)?;
            if case_flow::moves_to_in_progress(&case).is_err() {
                return Err(case_flow::closed(&case));
            }
            (text, None, AWAITING)
        }
        Viewer::Staff { .. } => {
            access::staff_leading(req, &case)?;
            let (text, capacity) = question::read_message(req, true)?;
            MOVES.check(&row.status, ANSWERED)?;
            let moves = case_flow::moves_to_in_progress(&case)?;
            case_flow::apply(&case, moves, "answered")?;
            (text, capacity, ANSWERED)
        }
    };
    let staff_unit = viewer.unit();
    table(MESSAGES)
        .insert()
        .set("question_id", row.id)
        .set("author", viewer.subject())
        .set("author_role", if staff_unit.is_some() { "staff" } else { "resident" })
        .set("author_unit", staff_unit)
        .set("capacity", capacity)
        .set("body", text.as_str())
        .set("written_at", now.as_str())
        .execute()?;
    let mut update = table(TABLE).update().set("status", next).set("updated_at", now.as_str());
    if next == ANSWERED && row.answered_at.is_none() {
        update = update.set("answered_at", now.as_str());
    }
    changed(update.where_eq("id", row.id).where_eq("status", row.status.as_str()).execute()?)?;
    if next == ANSWERED {
        notify::send(&row.resident, "question-answered").param("reference", case.reference.as_str()).execute()?;
    }
    let case = cases::get(case.id)?;
    Ok(Response::json(201, &detail(req, viewer, load(row.id)?, &case)?))
}

/// `POST /questions/{id}/close` `{"note": "..."}`: the resident (answered
/// enough) or the judicial office closes an answered question; the case is
/// completed and the resident may rate it.
pub fn close(req: &Request) -> Result<Response> {
    let (viewer, row, case) = visible(req)?;
    if let Viewer::Staff { .. } = viewer {
        access::staff_leading(req, &case)?;
    }
    let note = forms::short_text(req, "note", false, 500)?;
    MOVES.check(&row.status, CLOSED)?;
    if row.answered_at.is_none() {
        return Err(Error::conflict("a question without an answer cannot be closed: withdraw or decline it instead"));
    }
    let moves = case_flow::moves_to_in_progress(&case)?;
    case_flow::check_final(&case, moves, Status::Completed)?;
    let all: Vec<Status> = moves.iter().copied().chain([Status::Completed]).collect();
    case_flow::apply(&case, &all, note.as_deref().unwrap_or("closed"))?;
    finish(&row, CLOSED, note.as_deref())?;
    let case = cases::get(case.id)?;
    Ok(Response::json(200, &detail(req, viewer, load(row.id)?, &case)?))
}

/// `POST /questions/{id}/withdraw` `{"reason": "..."}`: the resident no
/// longer needs an answer; the case is cancelled.
pub fn withdraw(req: &Request) -> Result<Response> {
    req.require_role(Role::Resident)?;
    let (viewer, row, case) = visible(req)?;
    let reason = forms::short_text(req, "reason", false, 500)?;
    MOVES.check(&row.status, WITHDRAWN)?;
    case_flow::check_final(&case, &[], Status::Cancelled)?;
    case_flow::apply(&case, &[Status::Cancelled], reason.as_deref().unwrap_or("withdrawn by the resident"))?;
    finish(&row, WITHDRAWN, reason.as_deref())?;
    let case = cases::get(case.id)?;
    Ok(Response::json(200, &detail(req, viewer, load(row.id)?, &case)?))
}

/// `POST /questions/{id}/decline` `{"reason": "..."}`: the judicial office
/// does not take a question up (before answering it), and says why.
pub fn decline(req: &Request) -> Result<Response> {
    let (viewer, row, case) = visible(req)?;
    access::staff_leading(req, &case)?;
    let reason = forms::short_text(req, "reason", true, 500)?.unwrap_or_default();
    MOVES.check(&row.status, DECLINED)?;
    if row.answered_at.is_some() {
        return Err(Error::conflict("an answered question cannot be declined: close it instead"));
    }
    case_flow::check_final(&case, &[], Status::Rejected)?;
    case_flow::apply(&case, &[Status::Rejected], &reason)?;
    finish(&row, DECLINED, Some(&reason))?;
    notify::send(&row.resident, "question-declined")
        .param("reference", case.reference.as_str())
        .param("reason", reason.as_str())
        .execute()?;
    let case = cases::get(case.id)?;
    Ok(Response::json(200, &detail(req, viewer, load(row.id)?, &case)?))
}

/// Ends a question in a final status.
fn finish(row: &QuestionRow, status: &str, note: Option<&str>) -> Result<()> {
    let now = now_rfc3339();
    let update = table(TABLE)
        .update()
        .set("status", status)
        .set("closed_at", now.as_str())
        .set("updated_at", now.as_str())
        .set("closing_note", note)
        .where_eq("id", row.id)
        .where_eq("status", row.status.as_str());
    changed(update.execute()?)
}

/// 409 when a conditional update found the row changed meanwhile.
fn changed(rows: u64) -> Result<()> {
    if rows == 0 {
        return Err(Error::conflict("the question changed meanwhile; read it again"));
    }
    Ok(())
}

fn load(id: i64) -> Result<QuestionRow> {
    match table(TABLE).all().where_eq("id", id).fetch_optional()? {
        Some(row) => row.deserialize(),
        None => Err(Error::not_found(format!("no question {id}"))),
    }
}

/// The question `{id}` if the caller may see it, with its case.
fn visible(req: &Request) -> Result<(Viewer<'_>, QuestionRow, Case)> {
    let viewer = Viewer::of(req)?;
    let id: i64 = req.param_parse("id")?;
    let missing = || Error::not_found(format!("no question {id}"));
    let row = load(id)?;
    if let Viewer::Resident(me) = viewer
        && row.resident != me
    {
        return Err(missing());
    }
    let case = cases::get(row.case_id.ok_or_else(missing)?)?;
    if let Viewer::Staff { .. } = viewer {
        access::staff_on_case(req, &case)?;
    }
    Ok((viewer, row, case))
}

/// The question with its thread, the case's status and rating.
fn detail(req: &Request, viewer: Viewer<'_>, row: QuestionRow, case: &Case) -> Result<Question> {
    let staff = matches!(viewer, Viewer::Staff { .. });
    let rows: Vec<MessageRow> =
        table(MESSAGES).all().where_eq("question_id", row.id).order_by("id").limit(1000).fetch()?.deserialize()?;
    let mut answer = Question::from_row(row, staff, req.language());
    answer.messages = Some(rows.into_iter().map(|m| Message::from_row(m, staff)).collect());
    answer.case_status = Some(cases::status_name(case.status).to_owned());
    answer.rating = case.rating;
    if !staff {
        answer.rating_route = case_flow::rating_route(case);
    }
    Ok(answer)
}
