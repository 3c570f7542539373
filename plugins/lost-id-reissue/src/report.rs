//! A lost-card report: when and where the card was lost, and how. It is
//! recorded at once as `reported-lost`, and becomes `replaced` when a
//! reissued card made on it is collected.

use onewindow_sdk::time::Date;
use onewindow_sdk::{BodyFields, Result};

use crate::length::check_length;
use serde::{Deserialize, Serialize};

/// The table reports live in.
pub const TABLE: &str = "reports";

/// Statuses: `reported-lost` from the first moment, `replaced` once a reissued card is collected.
pub const REPORTED_LOST: &str = "reported-lost";
pub const REPLACED: &str = "replaced";

/// The first resident ID cards were issued in 1984: no card was lost before.
const FIRST_CARDS: Date = Date { year: 1984, month: 1, day: 1 };

/// What a resident reports, checked.
#[derive(Debug, Clone, schemars::JsonSchema)]
pub struct NewReport {
    /// The day the card was lost (YYYY-MM-DD, city time), not in the future.
    pub lost_on: String,
    /// Where it was lost, 2 to 200 characters.
    pub place: String,
    /// What happened, 5 to 2000 characters. Read for signs of telecom fraud.
    pub circumstances: String,
}

impl NewReport {
    /// Reads and checks a report body; every bad field is named at once.
    pub fn read(mut body: BodyFields, today: Date) -> Result<NewReport> {
        let lost_on = body.required_text("lost_on");
        let place = body.required_text("place");
        let circumstances = body.required_text("circumstances");
        body.deny_unknown();
        let lost_on = lost_on.and_then(|d| body.errors().date("lost_on", &d));
        if let Some(day) = lost_on {
            body.check(day <= today, "lost_on", "must not be in the future");
            body.check(day >= FIRST_CARDS, "lost_on", "must not be before 1984-01-01, when ID cards began");
        }
        check_length(&mut body, "place", place.as_deref(), 2, 200);
        check_length(&mut body, "circumstances", circumstances.as_deref(), 5, 2000);
        body.finish()?;
        Ok(NewReport {
            lost_on: lost_on.map(|d| d.to_string()).unwrap_or_default(),
            place: place.unwrap_or_default(),
            circumstances: circumstances.unwrap_or_default(),
        })
    }

    /// The text the fraud detector reads.
    pub fn story(&self) -> String {
        format!("{}\n{}", self.place, self.circumstances)
    }
}

/// A stored report, as answered.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Report {
    pub id: i64,
    pub resident: String,
    pub lost_on: String,
    pub place: String,
    pub circumstances: String,
    /// `reported-lost`, or `replaced` once a reissued card is collected.
    pub status: String,
    /// The signs of telecom fraud found in the report (see `GET /info`); empty when none.
    #[serde(default, deserialize_with = "crate::fraud::from_column")]
    pub fraud_signs: Vec<String>,
    /// The anti-fraud consultation the signs opened with the community police office.
    pub consultation_id: Option<i64>,
    pub reported_at: String,
    pub updated_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(body: serde_json::Value) -> Result<NewReport> {
        NewReport::read(BodyFields::from_value(body).unwrap(), Date::parse("2026-11-26").unwrap())
    }

    fn fields(body: serde_json::Value) -> Vec<String> {
        read(body).unwrap_err().field_errors().iter().map(|e| e.field.clone()).collect()
    }

    #[test]
    fn a_complete_report_is_read_and_trimmed() {
        let report =
            read(json!({"lost_on": "2026-11-26", "place": " 7路公交 ", "circumstances": "下车后发现钱包不见了"}));
        let report = report.unwrap();
        assert_eq!((report.lost_on.as_str(), report.place.as_str()), ("2026-11-26", "7路公交"));
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        assert_eq!(fields(json!({})), ["lost_on", "place", "circumstances"]);
        assert_eq!(
            fields(json!({"lost_on": "2026-11-27", "place": "x", "circumstances": "shrt", "extra": 1})),
            ["lost_on", "place", "circumstances", "extra"]
        );
        assert_eq!(fields(json!({"lost_on": "1983-12-31", "place": "home", "circumstances": "fell out"})), ["lost_on"]);
        assert_eq!(fields(json!({"lost_on": "26/11/2026", "place": "home", "circumstances": "fell out"})), ["lost_on"]);
    }
}
