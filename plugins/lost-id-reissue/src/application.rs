//! An application for a new card on a loss report: a reissued resident ID
//! card (补领), or a temporary one to bridge the wait. Its statuses:
//!
//! ```text
//! submitted → accepted (identity checked) → ready-for-pickup → collected
//!     ↘ withdrawn (by the applicant)   ↘ rejected (with a reason, from submitted or accepted)
//! ```

use onewindow_sdk::time::Date;
use onewindow_sdk::{BodyFields, Result, Transitions};
use serde::{Deserialize, Serialize};

use crate::length::check_length;

/// The table applications live in.
pub const TABLE: &str = "applications";

pub const SUBMITTED: &str = "submitted";
pub const ACCEPTED: &str = "accepted";
pub const READY: &str = "ready-for-pickup";
pub const COLLECTED: &str = "collected";
pub const REJECTED: &str = "rejected";
pub const WITHDRAWN: &str = "withdrawn";

/// The legal moves (staff make all but `withdrawn`, which only the applicant makes).
pub const MOVES: Transitions = Transitions::new(&[
    (SUBMITTED, &[ACCEPTED, REJECTED, WITHDRAWN]),
    (ACCEPTED, &[READY, REJECTED]),
    (READY, &[COLLECTED]),
]);

/// Statuses of an application still under way: one per report and kind at a time.
pub const OPEN: [&str; 3] = [SUBMITTED, ACCEPTED, READY];

/// What is applied for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A new resident ID card (补领), made within 60 days.
    Reissue,
    /// A temporary resident ID card, valid for 3 months.
    Temporary,
}

impl Kind {
    pub const NAMES: [&'static str; 2] = ["reissue", "temporary"];

    pub fn parse(name: &str) -> Option<Kind> {
        match name {
            "reissue" => Some(Kind::Reissue),
            "temporary" => Some(Kind::Temporary),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Reissue => "reissue",
            Kind::Temporary => "temporary",
        }
    }

    /// The fee set by regulation, in yuan: shown to the applicant and paid
    /// at the desk; this service takes no payment.
    pub fn fee_yuan(self) -> i64 {
        match self {
            Kind::Reissue => 20,
            Kind::Temporary => 10,
        }
    }
}

/// A temporary card is valid for three months from its issue date.
pub const TEMPORARY_VALID_MONTHS: u32 = 3;

/// The day a temporary card issued on `issued` runs out: the same day
/// three months later, or that month's last day if it has no such day
/// (issued 11-30, valid until 02-28 or 02-29).
pub fn temporary_valid_until(issued: Date) -> Date {
    add_months(issued, TEMPORARY_VALID_MONTHS)
}

/// `date` plus `months` calendar months, the day clamped to the month's end.
pub fn add_months(date: Date, months: u32) -> Date {
    let months_since_zero = date.year * 12 + (date.month as i32 - 1) + months as i32;
    let (year, month) = (months_since_zero.div_euclid(12), months_since_zero.rem_euclid(12) as u32 + 1);
    (1..=date.day).rev().find_map(|day| Date::new(year, month, day)).unwrap_or(date)
}

/// What a resident submits, checked.
#[derive(Debug, Clone, schemars::JsonSchema)]
pub struct NewApplication {
    /// The applicant's loss report (one of their own, still `reported-lost`).
    pub report_id: i64,
    /// `reissue` or `temporary`.
    pub kind: String,
    /// The applicant's name as on the card, 1 to 64 characters; checked against the shared profile.
    pub full_name: String,
    /// The applicant's 18-character ID number; checked against the shared profile.
    pub id_number: String,
    /// A phone number to reach the applicant (mobile, or landline with area code).
    pub phone: String,
}

impl NewApplication {
    /// Reads and checks an application body; every bad field is named at once.
    pub fn read(mut body: BodyFields) -> Result<NewApplication> {
        let report_id = body.required_i64("report_id");
        let kind = body.required_text("kind");
        let full_name = body.required_text("full_name");
        let id_number = body.required_text("id_number");
        let phone = body.required_text("phone");
        body.deny_unknown();
        body.check(report_id.is_none_or(|id| id > 0), "report_id", "must be a report id");
        let kind = kind.and_then(|k| body.errors().one_of("kind", &k, &Kind::NAMES));
        check_length(&mut body, "full_name", full_name.as_deref(), 1, 64);
        let id_number = id_number.and_then(|n| body.errors().id_number("id_number", &n));
        let phone = phone.and_then(|p| body.errors().phone("phone", &p));
        body.finish()?;
        Ok(NewApplication {
            report_id: report_id.unwrap_or_default(),
            kind: kind.unwrap_or_default().to_owned(),
            full_name: full_name.unwrap_or_default(),
            id_number: id_number.unwrap_or_default(),
            phone: phone.unwrap_or_default(),
        })
    }

    pub fn kind(&self) -> Kind {
        Kind::parse(&self.kind).unwrap_or(Kind::Reissue)
    }
}

/// A stored application, as answered.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Application {
    pub id: i64,
    pub resident: String,
    pub report_id: i64,
    /// `reissue` or `temporary`.
    pub kind: String,
    pub full_name: String,
    pub id_number: String,
    pub phone: String,
    /// submitted → accepted → ready-for-pickup → collected; or rejected, or withdrawn.
    pub status: String,
    /// The fee in yuan (reissue 20, temporary 10), paid at the desk; nothing is paid here.
    pub fee_yuan: i64,
    /// The desk officer who checked the applicant's identity against the shared profile.
    pub verified_by: Option<String>,
    pub verified_at: Option<String>,
    pub rejection_reason: Option<String>,
    /// The desk officer who last moved it on.
    pub handled_by: Option<String>,
    /// Where and when to collect the card, once it is ready.
    pub pickup_place: Option<String>,
    pub pickup_from: Option<String>,
    pub pickup_to: Option<String>,
    /// The day the card was made ready (city time).
    pub issued_on: Option<String>,
    /// A temporary card's last valid day: the issue date plus 3 months.
    pub valid_until: Option<String>,
    pub collected_at: Option<String>,
    /// The case opened with the desk (due 60 days after a reissue application, 3 for a temporary card).
    pub case_id: Option<i64>,
    pub case_reference: Option<String>,
    pub due_at: Option<String>,
    pub submitted_at: String,
    pub updated_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn date(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    #[test]
    fn a_temporary_card_runs_three_months_clamped_to_the_month_end() {
        assert_eq!(temporary_valid_until(date("2026-11-26")), date("2027-02-26"));
        assert_eq!(temporary_valid_until(date("2026-11-30")), date("2027-02-28"));
        assert_eq!(temporary_valid_until(date("2027-11-30")), date("2028-02-29"));
        assert_eq!(temporary_valid_until(date("2026-01-31")), date("2026-04-30"));
        assert_eq!(temporary_valid_until(date("2026-10-01")), date("2027-01-01"));
        assert_eq!(add_months(date("2026-12-15"), 12), date("2027-12-15"));
    }

    #[test]
    fn the_moves_follow_the_card() {
        assert!(MOVES.check(SUBMITTED, ACCEPTED).is_ok());
        assert!(MOVES.check(ACCEPTED, READY).is_ok());
        assert!(MOVES.check(READY, COLLECTED).is_ok());
        assert!(MOVES.check(ACCEPTED, REJECTED).is_ok());
        assert_eq!(MOVES.check(SUBMITTED, READY).unwrap_err().status(), 409);
        assert_eq!(MOVES.check(READY, REJECTED).unwrap_err().status(), 409);
        assert!(MOVES.allowed(COLLECTED).is_empty());
    }

    #[test]
    fn fees_are_the_regulation_s() {
        assert_eq!((Kind::Reissue.fee_yuan(), Kind::Temporary.fee_yuan()), (20, 10));
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let body = json!({"report_id": 0, "kind": "new", "full_name": "", "id_number": "110105194912310021",
                          "phone": "call me", "fee": 0});
        let error = NewApplication::read(BodyFields::from_value(body).unwrap()).unwrap_err();
        let fields: Vec<_> = error.field_errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["full_name", "report_id", "kind", "id_number", "phone", "fee"]);
    }

    #[test]
    fn a_good_application_is_normalised() {
        let body = json!({"report_id": 3, "kind": "temporary", "full_name": " Aygül Tursun ",
                          "id_number": "11010519491231002x", "phone": "138 0013 8000"});
        let read = NewApplication::read(BodyFields::from_value(body).unwrap()).unwrap();
        assert_eq!(read.kind(), Kind::Temporary);
        assert_eq!(
            (read.full_name.as_str(), read.id_number.as_str(), read.phone.as_str()),
            ("Aygül Tursun", "11010519491231002X", "13800138000")
        );
    }
}
