//! A legal question: what a resident asks, its thread of answers and
//! follow-ups, and the statuses it goes through.
//!
//! awaiting-answer ⇄ answered → closed; withdrawn by the resident while
//! open; declined by the judicial office before any answer.

use onewindow_sdk::prelude::*;
use serde::{Deserialize, Serialize};

use crate::texts::{self, CATEGORIES};

pub const TABLE: &str = "questions";
pub const MESSAGES: &str = "question_messages";
/// The case kind every question opens with the judicial office.
pub const CASE_KIND: &str = "legal-question";

pub const AWAITING: &str = "awaiting-answer";
pub const ANSWERED: &str = "answered";
pub const CLOSED: &str = "closed";
pub const WITHDRAWN: &str = "withdrawn";
pub const DECLINED: &str = "declined";

/// The statuses of a question and which may follow which (cross-field
/// rules — closing needs an answer, declining needs none — are in the
/// handlers).
pub const MOVES: Transitions = Transitions::new(&[
    (AWAITING, &[ANSWERED, AWAITING, CLOSED, WITHDRAWN, DECLINED]),
    (ANSWERED, &[AWAITING, ANSWERED, CLOSED, WITHDRAWN]),
]);

/// Who answers: a lawyer on duty or a mediator of the judicial office.
pub const CAPACITIES: [&str; 2] = ["lawyer", "mediator"];

/// A stored question.
#[derive(Debug, Clone, Deserialize)]
pub struct QuestionRow {
    pub id: i64,
    pub resident: String,
    pub category: String,
    pub question: String,
    pub status: String,
    pub case_id: Option<i64>,
    pub case_reference: Option<String>,
    pub asked_at: String,
    pub updated_at: String,
    pub answered_at: Option<String>,
    pub closed_at: Option<String>,
    pub closing_note: Option<String>,
}

/// A stored answer or follow-up.
#[derive(Debug, Clone, Deserialize)]
pub struct MessageRow {
    pub id: i64,
    pub author: String,
    pub author_role: String,
    pub author_unit: Option<String>,
    pub capacity: Option<String>,
    pub body: String,
    pub written_at: String,
}

/// A new question: `{"category": "...", "question": "..."}`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[allow(dead_code)] // read field by field; the type documents the body
pub struct NewQuestion {
    /// family, labour, tenancy, neighbour, consumer, fraud or other.
    pub category: String,
    /// 10 to 2000 characters.
    pub question: String,
}

/// Reads a new question, naming every bad field.
pub fn read_new(req: &Request) -> Result<(String, String)> {
    let mut body = req.body_fields()?;
    let category = body.required_text("category");
    let question = body.required_text("question");
    body.deny_unknown();
    let mut problems = body.into_field_errors();
    let category = category.and_then(|c| problems.one_of("category", &c, &texts::codes(&CATEGORIES)));
    if let Some(text) = &question {
        let len = text.chars().count();
        problems.check((10..=2000).contains(&len), "question", "must be 10 to 2000 characters");
    }
    problems.into_result()?;
    Ok((category.unwrap_or_default().to_owned(), question.unwrap_or_default()))
}

/// An answer or follow-up: `{"text": "...", "capacity": "lawyer"}` (capacity for staff only).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[allow(dead_code)] // read field by field; the type documents the body
pub struct NewMessage {
    /// 1 to 2000 characters.
    pub text: String,
    /// Staff only, required: `lawyer` or `mediator`.
    pub capacity: Option<String>,
}

/// Reads an answer (`staff`) or a follow-up, naming every bad field.
pub fn read_message(req: &Request, staff: bool) -> Result<(String, Option<&'static str>)> {
    let mut body = req.body_fields()?;
    let text = body.required_text("text");
    let capacity = if staff { body.required_text("capacity") } else { None };
    body.deny_unknown();
    let mut problems = body.into_field_errors();
    if let Some(text) = &text {
        problems.check(text.chars().count() <= 2000, "text", "must be at most 2000 characters");
    }
    let capacity = capacity.and_then(|c| problems.one_of("capacity", &c, &CAPACITIES));
    problems.into_result()?;
    Ok((text.unwrap_or_default(), capacity))
}

/// A question as answered to clients.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Question {
    pub id: i64,
    /// The platform case, e.g. `LQ-2026-000012`.
    pub reference: Option<String>,
    pub case_id: Option<i64>,
    pub category: String,
    /// The category in the caller's language.
    pub category_name: String,
    pub question: String,
    /// awaiting-answer, answered, closed, withdrawn or declined.
    pub status: String,
    /// Staff only: the resident's account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resident: Option<String>,
    pub asked_at: String,
    pub updated_at: String,
    pub answered_at: Option<String>,
    pub closed_at: Option<String>,
    /// Why it was declined or how it was closed.
    pub closing_note: Option<String>,
    /// The answers and follow-ups, oldest first (in a single question's answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<Message>>,
    /// The platform case's status (in a single question's answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_status: Option<String>,
    /// The resident's rating (1-5), once rated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<u8>,
    /// For the resident, once the question is closed and not yet rated:
    /// POST `{"rating": 1-5, "comment": "..."}` here (the platform's rating).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating_route: Option<String>,
    pub hotline: Hotline,
}

/// One message of the thread.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Message {
    pub id: i64,
    /// `resident` or `staff`.
    pub from: String,
    /// The answering unit.
    pub unit: Option<String>,
    /// `lawyer` or `mediator`, for answers.
    pub capacity: Option<String>,
    /// Staff only: the account that wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    pub text: String,
    pub written_at: String,
}

/// The 12348 public legal service line, in the caller's language.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Hotline {
    pub number: String,
    pub text: String,
}

impl Hotline {
    pub fn new(language: Language) -> Hotline {
        Hotline { number: texts::HOTLINE_NUMBER.to_owned(), text: (*texts::HOTLINE.pick(language)).to_owned() }
    }
}

impl Question {
    /// The answer for `row`; `staff` shows the accounts.
    pub fn from_row(row: QuestionRow, staff: bool, language: Language) -> Question {
        Question {
            id: row.id,
            reference: row.case_reference,
            case_id: row.case_id,
            category_name: texts::name_of(&CATEGORIES, &row.category, language),
            category: row.category,
            question: row.question,
            status: row.status,
            resident: staff.then_some(row.resident),
            asked_at: row.asked_at,
            updated_at: row.updated_at,
            answered_at: row.answered_at,
            closed_at: row.closed_at,
            closing_note: row.closing_note,
            messages: None,
            case_status: None,
            rating: None,
            rating_route: None,
            hotline: Hotline::new(language),
        }
    }
}

impl Message {
    pub fn from_row(row: MessageRow, staff: bool) -> Message {
        Message {
            id: row.id,
            from: row.author_role,
            unit: row.author_unit,
            capacity: row.capacity,
            author: staff.then_some(row.author),
            text: row.body,
            written_at: row.written_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_and_declining_follow_the_machine() {
        assert!(MOVES.check(AWAITING, ANSWERED).is_ok());
        assert!(MOVES.check(ANSWERED, AWAITING).is_ok());
        assert!(MOVES.check(ANSWERED, DECLINED).is_err());
        assert!(MOVES.check(CLOSED, AWAITING).is_err());
        assert!(MOVES.check(WITHDRAWN, ANSWERED).is_err());
    }
}
