//! The anti-fraud queue of the community police office: a resident's "is
//! this a scam?" question, or a loss report that showed signs of telecom
//! fraud. Both land here as `open`, and become `answered` with a verdict.

use onewindow_sdk::{BodyFields, Result};
use serde::{Deserialize, Serialize};

use crate::length::check_length;

/// The table consultations live in.
pub const TABLE: &str = "scam_consultations";

pub const OPEN: &str = "open";
pub const ANSWERED: &str = "answered";

/// Where a consultation came from.
pub const FROM_QUESTION: &str = "question";
pub const FROM_REPORT: &str = "report";

/// The community police officer's verdict.
pub const VERDICTS: [&str; 3] = ["scam", "not-scam", "unsure"];

/// The longest answer: it travels whole in the inbox message, whose
/// placeholders the platform caps at 500 characters.
const MAX_ANSWER_CHARS: usize = 500;

/// A resident's question, checked.
#[derive(Debug, Clone, schemars::JsonSchema)]
pub struct NewConsultation {
    /// What happened or what they were asked to do, 5 to 2000 characters.
    pub question: String,
}

impl NewConsultation {
    /// Reads and checks a question body.
    pub fn read(mut body: BodyFields) -> Result<NewConsultation> {
        let question = body.required_text("question");
        body.deny_unknown();
        check_length(&mut body, "question", question.as_deref(), 5, 2000);
        body.finish()?;
        Ok(NewConsultation { question: question.unwrap_or_default() })
    }
}

/// The community police office's answer, checked.
#[derive(Debug, Clone, schemars::JsonSchema)]
pub struct Answer {
    /// `scam`, `not-scam` or `unsure`.
    pub verdict: String,
    /// The advice, 2 to 500 characters; sent to the resident's inbox.
    pub answer: String,
}

impl Answer {
    /// Reads and checks an answer body.
    pub fn read(mut body: BodyFields) -> Result<Answer> {
        let verdict = body.required_text("verdict");
        let answer = body.required_text("answer");
        body.deny_unknown();
        let verdict = verdict.and_then(|v| body.errors().one_of("verdict", &v, &VERDICTS));
        check_length(&mut body, "answer", answer.as_deref(), 2, MAX_ANSWER_CHARS);
        body.finish()?;
        Ok(Answer { verdict: verdict.unwrap_or_default().to_owned(), answer: answer.unwrap_or_default() })
    }

    /// The inbox template that carries this verdict in the resident's language.
    pub fn template(&self) -> &'static str {
        match self.verdict.as_str() {
            "scam" => "answer-scam",
            "not-scam" => "answer-not-scam",
            _ => "answer-unsure",
        }
    }
}

/// A stored consultation, as answered.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Consultation {
    pub id: i64,
    pub resident: String,
    /// `question` (asked directly) or `report` (a loss report showed signs of fraud).
    pub source: String,
    /// The loss report, when it came from one.
    pub report_id: Option<i64>,
    /// The question, or the report's place and circumstances.
    pub question: String,
    /// The signs of telecom fraud found in it; empty when none.
    #[serde(default, deserialize_with = "crate::fraud::from_column")]
    pub signs: Vec<String>,
    /// `open` or `answered`.
    pub status: String,
    pub verdict: Option<String>,
    pub answer: Option<String>,
    pub answered_by: Option<String>,
    pub answered_at: Option<String>,
    /// The case with the community police office (due 3 days after it opened).
    pub case_id: Option<i64>,
    pub case_reference: Option<String>,
    pub due_at: Option<String>,
    pub asked_at: String,
    pub updated_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields<T: std::fmt::Debug>(read: Result<T>) -> Vec<String> {
        read.unwrap_err().field_errors().iter().map(|e| e.field.clone()).collect()
    }

    #[test]
    fn questions_and_answers_name_every_bad_field() {
        assert_eq!(
            fields(NewConsultation::read(BodyFields::from_value(json!({"question": "hm"})).unwrap())),
            ["question"]
        );
        let bad = json!({"verdict": "maybe", "answer": "x".repeat(501), "urgent": true});
        assert_eq!(fields(Answer::read(BodyFields::from_value(bad).unwrap())), ["verdict", "answer", "urgent"]);
    }

    #[test]
    fn each_verdict_has_its_template() {
        let answer = |verdict: &str| Answer { verdict: verdict.into(), answer: "ok".into() }.template();
        assert_eq!(
            [answer("scam"), answer("not-scam"), answer("unsure")],
            ["answer-scam", "answer-not-scam", "answer-unsure"]
        );
    }
}
