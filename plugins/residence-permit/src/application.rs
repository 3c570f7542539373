//! The application: what a resident submits, how it is checked, and which
//! status changes are legal.

use onewindow_sdk::time::Date;
use onewindow_sdk::{FieldError, FieldErrors};
use serde::{Deserialize, Serialize};

/// The table every application lives in.
pub const TABLE: &str = "applications";

/// What a resident submits. Missing fields read as empty, so validation
/// can report every missing field at once rather than the first.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct NewApplication {
    pub full_name: String,
    pub id_number: String,
    pub current_address: String,
    pub arrival_date: String,
    pub reason: String,
    pub employer_or_school: Option<String>,
    pub phone: String,
}

/// A stored application, as answered to clients.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Application {
    pub id: i64,
    pub applicant: String,
    pub full_name: String,
    pub id_number: String,
    pub current_address: String,
    pub arrival_date: String,
    pub reason: String,
    pub employer_or_school: Option<String>,
    pub phone: String,
    pub status: String,
    pub rejection_reason: Option<String>,
    pub permit_number: Option<String>,
    pub reviewed_by: Option<String>,
    pub submitted_at: String,
    pub updated_at: String,
    /// The platform case this application opened (none for applications
    /// made before version 0.2).
    #[serde(default)]
    pub case_id: Option<i64>,
    #[serde(default)]
    pub case_reference: Option<String>,
}

/// Why the resident is residing here.
pub const REASONS: [&str; 4] = ["work", "study", "family", "other"];

impl NewApplication {
    /// Checks every field and reports all problems at once; trims text.
    pub fn validate(mut self, today: Date) -> Result<Self, onewindow_sdk::Error> {
        let mut problems = FieldErrors::new();
        self.full_name = self.full_name.trim().to_owned();
        self.current_address = self.current_address.trim().to_owned();
        self.id_number = self.id_number.trim().to_owned();
        self.phone = self.phone.trim().to_owned();
        self.employer_or_school = self.employer_or_school.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());

        let required = [
            ("full_name", &self.full_name),
            ("id_number", &self.id_number),
            ("current_address", &self.current_address),
            ("arrival_date", &self.arrival_date),
            ("reason", &self.reason),
            ("phone", &self.phone),
        ];
        let missing: Vec<&str> =
            required.iter().filter(|(_, value)| value.is_empty()).map(|(field, _)| *field).collect();
        if !missing.is_empty() {
            let errors = missing
                .into_iter()
                .map(|field| FieldError { field: field.into(), message: "is required".into() })
                .collect();
            return Err(onewindow_sdk::Error::validation(errors));
        }

        let name_len = self.full_name.chars().count();
        problems.check((1..=64).contains(&name_len), "full_name", "must be 1 to 64 characters");
        if let Some(id_number) = problems.id_number("id_number", &self.id_number) {
            self.id_number = id_number;
        }
        let address_len = self.current_address.chars().count();
        problems.check((5..=200).contains(&address_len), "current_address", "must be 5 to 200 characters");
        if let Some(arrival) = problems.date("arrival_date", &self.arrival_date) {
            problems.check(arrival <= today, "arrival_date", "must not be in the future");
            self.arrival_date = arrival.to_string();
        }
        if let Some(reason) = problems.one_of("reason", &self.reason, &REASONS) {
            self.reason = reason.to_owned();
        }
        match &self.employer_or_school {
            None if self.reason == "work" || self.reason == "study" => {
                problems.add("employer_or_school", "is required when the reason is work or study")
            }
            Some(place) if place.chars().count() > 100 => {
                problems.add("employer_or_school", "must be at most 100 characters")
            }
            _ => {}
        }
        // The phone is kept as the resident wrote it (it goes back to the
        // shared profile that way); only its form is checked.
        problems.phone("phone", &self.phone);
        problems.into_result()?;
        Ok(self)
    }
}

/// The statuses staff may move an application to from `from`.
pub fn staff_transitions(from: &str) -> &'static [&'static str] {
    match from {
        "submitted" => &["under-review"],
        "under-review" => &["approved", "rejected"],
        "approved" => &["issued"],
        _ => &[],
    }
}

/// Statuses in which the applicant may still withdraw.
pub const WITHDRAWABLE: [&str; 2] = ["submitted", "under-review"];

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> NewApplication {
        NewApplication {
            full_name: " 阿依古丽 ".into(),
            id_number: "11010519491231002x".into(),
            current_address: "乌鲁木齐市天山区解放南路 12 号".into(),
            arrival_date: "2026-03-01".into(),
            reason: "work".into(),
            employer_or_school: Some("新疆电力公司".into()),
            phone: "13800138000".into(),
        }
    }

    #[test]
    fn accepts_a_complete_application_and_normalises_it() {
        let checked = valid().validate(Date::parse("2026-11-26").unwrap()).unwrap();
        assert_eq!(checked.full_name, "阿依古丽");
        assert_eq!(checked.id_number, "11010519491231002X");
    }

    #[test]
    fn reports_every_bad_field() {
        let bad = NewApplication {
            full_name: "x".repeat(65),
            id_number: "110105194912310021".into(),
            arrival_date: "2027-01-01".into(),
            reason: "tourism".into(),
            phone: "call me".into(),
            ..valid()
        };
        let error = bad.validate(Date::parse("2026-11-26").unwrap()).unwrap_err();
        let fields: Vec<_> = error.field_errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["full_name", "id_number", "arrival_date", "reason", "phone"]);
    }

    #[test]
    fn arrival_may_be_today_in_the_city_but_not_tomorrow() {
        let today = Date::parse("2026-11-26").unwrap();
        let arrived_today = NewApplication { arrival_date: "2026-11-26".into(), ..valid() };
        assert!(arrived_today.validate(today).is_ok());
        let error = NewApplication { arrival_date: "2026-11-27".into(), ..valid() }.validate(today).unwrap_err();
        let messages: Vec<_> = error.field_errors().iter().map(|e| (e.field.as_str(), e.message.as_str())).collect();
        assert_eq!(messages, [("arrival_date", "must not be in the future")]);
    }

    #[test]
    fn loose_dates_and_foreign_or_garbled_phones_are_refused() {
        let bad = NewApplication { arrival_date: "2026-+3-+1".into(), phone: "+44 20 7946 0958".into(), ..valid() };
        let error = bad.validate(Date::parse("2026-11-26").unwrap()).unwrap_err();
        let fields: Vec<_> = error.field_errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["arrival_date", "phone"]);
        assert_eq!(error.field_errors()[0].message, "must be a date written YYYY-MM-DD");
    }

    #[test]
    fn landlines_are_phones_and_are_kept_as_written() {
        let checked = NewApplication { phone: " 0991-4567890 ".into(), ..valid() }
            .validate(Date::parse("2026-11-26").unwrap())
            .unwrap();
        assert_eq!(checked.phone, "0991-4567890");
        let mobile =
            NewApplication { phone: "139 0013 9000".into(), ..valid() }.validate(Date::parse("2026-11-26").unwrap());
        assert_eq!(mobile.unwrap().phone, "139 0013 9000", "the shared profile keeps the resident's spacing");
    }

    #[test]
    fn lists_every_missing_field() {
        let error = NewApplication { reason: "work".into(), ..NewApplication::default() }
            .validate(Date::parse("2026-11-26").unwrap())
            .unwrap_err();
        let fields: Vec<_> = error.field_errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["full_name", "id_number", "current_address", "arrival_date", "phone"]);
    }

    #[test]
    fn work_and_study_need_a_place() {
        let error = NewApplication { employer_or_school: Some("  ".into()), ..valid() }
            .validate(Date::parse("2026-11-26").unwrap())
            .unwrap_err();
        assert_eq!(error.field_errors()[0].field, "employer_or_school");
    }

    #[test]
    fn only_legal_transitions_are_offered() {
        assert_eq!(staff_transitions("submitted"), ["under-review"]);
        assert_eq!(staff_transitions("under-review"), ["approved", "rejected"]);
        assert!(staff_transitions("issued").is_empty());
        assert!(staff_transitions("withdrawn").is_empty());
    }
}
