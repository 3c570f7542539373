//! An application for a residence permit: its fields and how they are
//! checked, its statuses and who moves it where.
//!
//! ```text
//! submitted → under-review → approved → issued                      (staff)
//!                  ↓   ↑ resubmit (the applicant, corrected fields)
//!           more-info-requested                                     (staff, with a message)
//! rejected (staff, with a reason) from submitted, under-review, more-info-requested
//! withdrawn (the applicant) from submitted, under-review, more-info-requested
//! ```

use onewindow_sdk::time::Date;
use onewindow_sdk::{BodyFields, Language, Result, Transitions};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::calendar;
use crate::requirements::{self, ChecklistItem, REASONS};
use crate::texts;

/// The table applications live in.
pub const TABLE: &str = "applications";

pub const SUBMITTED: &str = "submitted";
pub const UNDER_REVIEW: &str = "under-review";
pub const MORE_INFO: &str = "more-info-requested";
pub const APPROVED: &str = "approved";
pub const ISSUED: &str = "issued";
pub const REJECTED: &str = "rejected";
pub const WITHDRAWN: &str = "withdrawn";

/// The moves police staff make (`POST /applications/{id}/transition`).
pub const STAFF_MOVES: Transitions = Transitions::new(&[
    (SUBMITTED, &[UNDER_REVIEW, REJECTED]),
    (UNDER_REVIEW, &[APPROVED, MORE_INFO, REJECTED]),
    (MORE_INFO, &[REJECTED]),
    (APPROVED, &[ISSUED]),
]);

/// The moves the applicant makes: resubmit after a request for more, or withdraw before approval.
pub const APPLICANT_MOVES: Transitions = Transitions::new(&[
    (SUBMITTED, &[WITHDRAWN]),
    (UNDER_REVIEW, &[WITHDRAWN]),
    (MORE_INFO, &[UNDER_REVIEW, WITHDRAWN]),
]);

/// Statuses of an application still under way: one per resident at a time.
pub const UNDER_WAY: [&str; 4] = [SUBMITTED, UNDER_REVIEW, MORE_INFO, APPROVED];

/// The kinds of housing a `residence` application names.
pub const HOUSING_TYPES: [&str; 2] = ["owned", "rented"];

/// The application's fields, as submitted (after pre-fill) and checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    pub full_name: String,
    pub id_number: String,
    pub current_address: String,
    pub arrival_date: String,
    pub reason: String,
    pub employer_or_school: Option<String>,
    pub housing_type: Option<String>,
    pub housing_certificate: Option<String>,
    pub phone: String,
}

impl Form {
    /// Reads the body over `base`: a field left out, `null` or blank keeps
    /// `base`'s value (the shared record's on apply, the application's own
    /// on resubmit). Then checks the whole, naming every bad field at once
    /// in field order, unknown fields last:
    /// - `reason` one of employment, residence, study;
    /// - `employer_or_school` required for employment and study;
    /// - `housing_type` (owned or rented) and `housing_certificate` required for residence;
    /// - `arrival_date` not in the future and at least six calendar months
    ///   before `today`, else a message in `language` saying from which date.
    pub fn read(raw: Value, base: &Form, today: Date, language: Language) -> Result<Form> {
        let object = raw.as_object().cloned().unwrap_or_default();
        let mut body = BodyFields::from_value(raw)?;
        let mut form = base.clone();
        let b = &mut body;

        if let Some(name) = text(b, &object, "full_name", &base.full_name) {
            if required(b, "full_name", &name) {
                check_length(b, "full_name", &name, 1, 64);
            }
            form.full_name = name;
        }
        if let Some(number) = text(b, &object, "id_number", &base.id_number) {
            form.id_number = b.errors().id_number("id_number", &number).unwrap_or(number);
        }
        if let Some(address) = text(b, &object, "current_address", &base.current_address) {
            if required(b, "current_address", &address) {
                check_length(b, "current_address", &address, 5, 200);
            }
            form.current_address = address;
        }
        if let Some(arrival) = text(b, &object, "arrival_date", &base.arrival_date) {
            form.arrival_date = arrival.clone();
            if let Some(date) = b.errors().date("arrival_date", &arrival) {
                form.arrival_date = date.to_string();
                if date > today {
                    b.add("arrival_date", "must not be in the future");
                } else if !calendar::may_apply(date, today) {
                    let from = calendar::eligible_from(date).to_string();
                    b.add("arrival_date", texts::fill(&texts::TOO_EARLY, language, &[("date", &from)]));
                }
            }
        }
        let mut reason = None;
        if let Some(given) = text(b, &object, "reason", &base.reason) {
            reason = b.errors().one_of("reason", &given, &REASONS);
            form.reason = reason.map_or(given, str::to_owned);
        }
        let needs_place = reason.is_some_and(|r| r == "employment" || r == "study");
        let needs_housing = reason == Some("residence");
        if let Some(place) = optional(b, &object, "employer_or_school", &base.employer_or_school) {
            match &place {
                None if needs_place => {
                    b.add("employer_or_school", "is required when the reason is employment or study")
                }
                Some(place) => check_length(b, "employer_or_school", place, 2, 100),
                None => {}
            }
            form.employer_or_school = place;
        }
        if let Some(housing) = optional(b, &object, "housing_type", &base.housing_type) {
            match &housing {
                None if needs_housing => b.add("housing_type", "is required when the reason is residence"),
                Some(kind) => {
                    b.errors().one_of("housing_type", kind, &HOUSING_TYPES);
                }
                None => {}
            }
            form.housing_type = housing;
        }
        if let Some(certificate) = optional(b, &object, "housing_certificate", &base.housing_certificate) {
            match &certificate {
                None if needs_housing => b.add("housing_certificate", "is required when the reason is residence"),
                Some(number) => check_length(b, "housing_certificate", number, 4, 64),
                None => {}
            }
            form.housing_certificate = certificate;
        }
        if let Some(phone) = text(b, &object, "phone", &base.phone) {
            // Kept as the resident wrote it (it goes back to the shared
            // profile that way); only its form is checked.
            b.errors().phone("phone", &phone);
            form.phone = phone;
        }
        body.deny_unknown();
        body.finish()?;
        Ok(form)
    }
}

/// Text field `name`: the body's value when given, else `fallback`;
/// `None` when the body's value is not text (already reported).
fn text(body: &mut BodyFields, object: &Map<String, Value>, name: &str, fallback: &str) -> Option<String> {
    match body.optional_text(name) {
        Some(given) => Some(given),
        None if object.get(name).is_some_and(|v| !v.is_null() && !v.is_string()) => None,
        None => Some(fallback.trim().to_owned()),
    }
}

/// An optional text field: `Some(value)` (itself optional) unless the body's value is not text.
fn optional(
    body: &mut BodyFields,
    object: &Map<String, Value>,
    name: &str,
    fallback: &Option<String>,
) -> Option<Option<String>> {
    text(body, object, name, fallback.as_deref().unwrap_or_default()).map(|v| (!v.is_empty()).then_some(v))
}

fn required(body: &mut BodyFields, field: &str, value: &str) -> bool {
    body.check(!value.is_empty(), field, "is required");
    !value.is_empty()
}

/// Records a fault unless `value` has `min..=max` characters (a Chinese or
/// Uyghur letter is one, however many bytes).
pub fn check_length(body: &mut BodyFields, field: &str, value: &str, min: usize, max: usize) {
    body.check((min..=max).contains(&value.chars().count()), field, format!("must be {min} to {max} characters"));
}

/// A stored application, as the table holds it.
#[derive(Debug, Clone, Deserialize)]
pub struct Row {
    pub id: i64,
    pub applicant: String,
    pub full_name: String,
    pub id_number: String,
    pub current_address: String,
    pub arrival_date: String,
    pub reason: String,
    pub employer_or_school: Option<String>,
    pub housing_type: Option<String>,
    pub housing_certificate: Option<String>,
    pub phone: String,
    pub status: String,
    pub info_request: Option<String>,
    /// A JSON array of checklist codes.
    pub missing_items: Option<String>,
    pub rejection_reason: Option<String>,
    pub permit_id: Option<i64>,
    pub permit_number: Option<String>,
    pub reviewed_by: Option<String>,
    pub submitted_at: String,
    pub resubmitted_at: Option<String>,
    pub updated_at: String,
    pub case_id: Option<i64>,
    pub case_reference: Option<String>,
    pub due_at: Option<String>,
}

impl Row {
    /// Its fields, as the base a resubmission corrects.
    pub fn form(&self) -> Form {
        Form {
            full_name: self.full_name.clone(),
            id_number: self.id_number.clone(),
            current_address: self.current_address.clone(),
            arrival_date: self.arrival_date.clone(),
            reason: self.reason.clone(),
            employer_or_school: self.employer_or_school.clone(),
            housing_type: self.housing_type.clone(),
            housing_certificate: self.housing_certificate.clone(),
            phone: self.phone.clone(),
        }
    }

    /// The reference the resident knows it by.
    pub fn reference(&self) -> String {
        self.case_reference.clone().unwrap_or_else(|| format!("#{}", self.id))
    }
}

/// An application, as answered.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Application {
    pub id: i64,
    /// The resident who applied (the signed-in caller, never the body).
    pub applicant: String,
    pub full_name: String,
    pub id_number: String,
    pub current_address: String,
    /// YYYY-MM-DD, at least six calendar months before the application.
    pub arrival_date: String,
    /// employment, residence or study (applications of 0.2 may say work, study, family or other).
    pub reason: String,
    pub employer_or_school: Option<String>,
    /// owned or rented (residence).
    pub housing_type: Option<String>,
    /// The property deed number or the lease's registration number (residence).
    pub housing_certificate: Option<String>,
    pub phone: String,
    /// submitted, under-review, more-info-requested, approved, issued, rejected or withdrawn.
    pub status: String,
    /// While more-info-requested: what the desk needs, in the officer's words.
    pub info_request: Option<String>,
    /// While more-info-requested: checklist codes the desk named as missing.
    pub missing_items: Vec<String>,
    pub rejection_reason: Option<String>,
    /// The permit issued on it (see `GET /permits/{id}`).
    pub permit_id: Option<i64>,
    /// JZ + year + 6-digit serial, e.g. JZ2026000001.
    pub permit_number: Option<String>,
    /// The officer who last moved it.
    pub reviewed_by: Option<String>,
    pub submitted_at: String,
    pub resubmitted_at: Option<String>,
    pub updated_at: String,
    /// The platform case with the registration desk (reference RP-…), due 15 days after opening.
    pub case_id: Option<i64>,
    pub case_reference: Option<String>,
    pub due_at: Option<String>,
    /// The documents to bring for its reason, in the caller's language.
    pub checklist: Vec<ChecklistItem>,
    /// What happens next in its status, in the caller's language.
    pub what_happens_next: &'static str,
}

impl Application {
    pub fn new(row: Row, language: Language) -> Application {
        let missing_items = row.missing_items.as_deref().and_then(|m| serde_json::from_str(m).ok()).unwrap_or_default();
        Application {
            checklist: requirements::checklist(&row.reason, language),
            what_happens_next: texts::application_next(&row.status).pick(language),
            id: row.id,
            applicant: row.applicant,
            full_name: row.full_name,
            id_number: row.id_number,
            current_address: row.current_address,
            arrival_date: row.arrival_date,
            reason: row.reason,
            employer_or_school: row.employer_or_school,
            housing_type: row.housing_type,
            housing_certificate: row.housing_certificate,
            phone: row.phone,
            status: row.status,
            info_request: row.info_request,
            missing_items,
            rejection_reason: row.rejection_reason,
            permit_id: row.permit_id,
            permit_number: row.permit_number,
            reviewed_by: row.reviewed_by,
            submitted_at: row.submitted_at,
            resubmitted_at: row.resubmitted_at,
            updated_at: row.updated_at,
            case_id: row.case_id,
            case_reference: row.case_reference,
            due_at: row.due_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn today() -> Date {
        Date::parse("2026-11-27").unwrap()
    }

    fn read(body: Value) -> Result<Form> {
        Form::read(body, &Form::default(), today(), Language::En)
    }

    fn fields(error: onewindow_sdk::Error) -> Vec<String> {
        error.field_errors().iter().map(|e| e.field.clone()).collect()
    }

    fn complete() -> Value {
        json!({
            "full_name": " Aygül Tursun ",
            "id_number": "11010519491231002x",
            "current_address": "Room 3, 12 Jiefang South Road",
            "arrival_date": "2026-05-27",
            "reason": "employment",
            "employer_or_school": "City Power Supply Co.",
            "phone": "138 0013 8000",
        })
    }

    #[test]
    fn a_complete_application_is_normalised() {
        let form = read(complete()).unwrap();
        assert_eq!((form.full_name.as_str(), form.id_number.as_str()), ("Aygül Tursun", "11010519491231002X"));
        assert_eq!(form.phone, "138 0013 8000", "the phone is kept as written");
        assert_eq!(form.housing_type, None);
    }

    #[test]
    fn every_bad_field_is_named_in_field_order_unknown_ones_last() {
        let body = json!({
            "full_name": "x".repeat(65), "id_number": "110105194912310021", "current_address": 12,
            "arrival_date": "2026-02-30", "reason": "work", "phone": "call me", "status": "approved",
        });
        let error = read(body).unwrap_err();
        assert_eq!(
            fields(error),
            ["full_name", "id_number", "current_address", "arrival_date", "reason", "phone", "status"]
        );
        let missing = read(json!({ "full_name": "Only A Name" })).unwrap_err();
        assert_eq!(fields(missing), ["id_number", "current_address", "arrival_date", "reason", "phone"]);
    }

    #[test]
    fn six_months_must_be_complete_and_the_message_says_from_when() {
        let mut body = complete();
        body["arrival_date"] = json!("2026-05-28");
        let error = read(body.clone()).unwrap_err();
        assert_eq!(fields(error.clone()), ["arrival_date"]);
        assert_eq!(
            error.field_errors()[0].message,
            "You must have lived here six months: you may apply from 2026-11-28."
        );
        let zh = Form::read(body.clone(), &Form::default(), today(), Language::Zh).unwrap_err();
        assert!(zh.field_errors()[0].message.contains("2026-11-28 起可以申请"));
        body["arrival_date"] = json!("2026-11-28");
        assert_eq!(read(body).unwrap_err().field_errors()[0].message, "must not be in the future");
    }

    #[test]
    fn each_condition_asks_for_its_own_details() {
        let mut study = complete();
        study["reason"] = json!("study");
        study.as_object_mut().unwrap().remove("employer_or_school");
        assert_eq!(fields(read(study).unwrap_err()), ["employer_or_school"]);

        let mut residence = complete();
        residence["reason"] = json!("residence");
        residence.as_object_mut().unwrap().remove("employer_or_school");
        assert_eq!(fields(read(residence.clone()).unwrap_err()), ["housing_type", "housing_certificate"]);
        residence["housing_type"] = json!("borrowed");
        residence["housing_certificate"] = json!("X1");
        assert_eq!(fields(read(residence.clone()).unwrap_err()), ["housing_type", "housing_certificate"]);
        residence["housing_type"] = json!("rented");
        residence["housing_certificate"] = json!("ZL-2026-0042");
        let form = read(residence).unwrap();
        assert_eq!((form.housing_type.as_deref(), form.employer_or_school), (Some("rented"), None));
    }

    #[test]
    fn left_out_fields_come_from_the_base_and_given_ones_win() {
        let base = read(complete()).unwrap();
        let form = Form::read(json!({ "phone": "13900139000", "current_address": "  " }), &base, today(), Language::En)
            .unwrap();
        assert_eq!(form.phone, "13900139000");
        assert_eq!(form.current_address, base.current_address, "blank keeps the base");
        let error = Form::read(json!({ "reason": "study", "employer_or_school": 5 }), &base, today(), Language::En);
        assert_eq!(fields(error.unwrap_err()), ["employer_or_school"], "a wrong type is named once");
    }

    #[test]
    fn the_moves_are_split_between_staff_and_the_applicant() {
        assert!(STAFF_MOVES.check(SUBMITTED, UNDER_REVIEW).is_ok());
        assert!(STAFF_MOVES.check(UNDER_REVIEW, MORE_INFO).is_ok());
        assert!(STAFF_MOVES.check(MORE_INFO, REJECTED).is_ok());
        assert!(STAFF_MOVES.check(APPROVED, ISSUED).is_ok());
        assert_eq!(
            STAFF_MOVES.check(SUBMITTED, ISSUED).unwrap_err().detail(),
            "cannot move from submitted to issued; allowed: under-review, rejected"
        );
        assert!(STAFF_MOVES.check(MORE_INFO, UNDER_REVIEW).is_err(), "only the applicant resubmits");
        assert!(APPLICANT_MOVES.check(MORE_INFO, UNDER_REVIEW).is_ok());
        assert!(APPLICANT_MOVES.check(UNDER_REVIEW, WITHDRAWN).is_ok());
        assert_eq!(
            APPLICANT_MOVES.check(APPROVED, WITHDRAWN).unwrap_err().detail(),
            "cannot move from approved to withdrawn; allowed: none"
        );
    }
}
