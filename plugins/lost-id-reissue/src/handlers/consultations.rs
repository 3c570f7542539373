//! The anti-fraud queue: residents ask "is this a scam?" (and loss reports
//! with signs of fraud land here too); the community police office answers.

use onewindow_sdk::cases::Status;
use onewindow_sdk::prelude::*;
use onewindow_sdk::time::now_rfc3339;
use serde::Serialize;

use crate::access::{ANTI_FRAUD, Reader, require_staff_of};
use crate::consultation::{ANSWERED, Answer, Consultation, FROM_QUESTION, NewConsultation, OPEN, TABLE};
use crate::fraud;
use crate::handlers::{list as list_rows, load, move_from};
use crate::linkage;
use crate::warning::FraudWarning;

/// The answer to a new question.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ConsultationOpened {
    pub consultation: Consultation,
    /// A warning when the question shows signs of telecom fraud, else advice; always with the hotlines.
    pub fraud_warning: FraudWarning,
}

/// Puts a consultation in the queue: its row, its case with the community
/// police office and, when there are signs of fraud, the warning in the
/// resident's inbox. Returns its id.
pub fn open(resident: &str, source: &str, report_id: Option<i64>, question: &str, signs: &[&str]) -> Result<i64> {
    let now = now_rfc3339();
    let id = table(TABLE)
        .insert()
        .set("resident", resident)
        .set("source", source)
        .set("report_id", report_id)
        .set("question", question)
        .set("signs", fraud::to_column(signs))
        .set("status", OPEN)
        .set("asked_at", now.as_str())
        .set("updated_at", now.as_str())
        .execute()?;
    let case = linkage::open_fraud_case(resident, id, source, signs)?;
    table(TABLE)
        .update()
        .set("case_id", case.id)
        .set("case_reference", case.reference.as_str())
        .set("due_at", case.due_at.clone())
        .where_eq("id", id)
        .execute()?;
    if !signs.is_empty() {
        linkage::tell(resident, "fraud-warning", &[("reference", &case.reference)])?;
    }
    Ok(id)
}

/// `POST /scam-consultations`: a resident asks whether something is a scam.
pub fn ask(req: &Request) -> Result<Response> {
    let caller = req.require_role(Role::Resident)?;
    let resident = caller.subject.as_str();
    let new = NewConsultation::read(req.body_fields()?)?;
    let signs = fraud::signs(&new.question);
    let id = open(resident, FROM_QUESTION, None, &new.question, &signs)?;
    let consultation = load(TABLE, Reader::Resident(resident), id)?;
    let fraud_warning = FraudWarning::new(signs, req.language());
    Ok(Response::json(201, &ConsultationOpened { consultation, fraud_warning })
        .with_header("location", format!("/scam-consultations/{id}")))
}

/// `GET /scam-consultations`: the resident's own, or (the community police
/// office) the whole queue; `?status=open|answered`, paged.
pub fn list(req: &Request) -> Result<Response> {
    list_rows::<Consultation>(req, TABLE, Reader::of(req, ANTI_FRAUD)?, &["status"])
}

/// `GET /scam-consultations/{id}`
pub fn show(req: &Request) -> Result<Response> {
    let reader = Reader::of(req, ANTI_FRAUD)?;
    let consultation: Consultation = load(TABLE, reader, req.param_parse("id")?)?;
    Ok(Response::json(200, &consultation))
}

/// `POST /scam-consultations/{id}/answer` `{verdict, answer}`: the community
/// police office answers; the case closes and the answer goes to the inbox.
pub fn answer(req: &Request) -> Result<Response> {
    let officer = require_staff_of(req, ANTI_FRAUD)?;
    let id: i64 = req.param_parse("id")?;
    let answer = Answer::read(req.body_fields()?)?;
    let current: Consultation = load(TABLE, Reader::Staff, id)?;
    if current.status != OPEN {
        return Err(Error::conflict(format!("consultation {id} is already answered")));
    }
    let now = now_rfc3339();
    let update = table(TABLE)
        .update()
        .set("status", ANSWERED)
        .set("verdict", answer.verdict.as_str())
        .set("answer", answer.answer.as_str())
        .set("answered_by", officer.subject.as_str())
        .set("answered_at", now.as_str())
        .set("updated_at", now.as_str())
        .where_eq("id", id);
    move_from(update, OPEN)?;
    let note = format!("answered: {}", answer.verdict);
    linkage::follow(current.case_id, &[Status::Accepted, Status::InProgress, Status::Completed], &note)?;
    let reference = current.case_reference.unwrap_or_else(|| id.to_string());
    linkage::tell(&current.resident, answer.template(), &[("reference", &reference), ("answer", &answer.answer)])?;
    Ok(Response::json(200, &load::<Consultation>(TABLE, Reader::Staff, id)?))
}
