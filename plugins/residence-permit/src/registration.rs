//! The floating-population registration (居住登记): a newcomer's first
//! step. Its arrival date starts the six-month clock of the permit.

use onewindow_sdk::time::Date;
use onewindow_sdk::{BodyFields, Language, Result};
use serde::Serialize;

use crate::application::check_length;
use crate::calendar;
use crate::shared::Known;
use crate::texts;

/// Why a newcomer lives here: the permit's three conditions, or family or
/// another reason (they register too, but do not qualify for a permit).
pub const REASONS: [&str; 5] = ["employment", "residence", "study", "family", "other"];

/// A registration, read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRegistration {
    pub arrival_date: String,
    pub origin: String,
    pub reason: String,
    pub employer_or_school: Option<String>,
    pub current_address: String,
}

impl NewRegistration {
    /// Reads a registration body, naming every bad field at once.
    pub fn read(mut body: BodyFields, today: Date) -> Result<NewRegistration> {
        let arrival = body.required_text("arrival_date");
        let arrival = arrival.and_then(|a| body.errors().date("arrival_date", &a));
        body.check(arrival.is_none_or(|a| a <= today), "arrival_date", "must not be in the future");
        let origin = body.required_text("origin");
        if let Some(origin) = &origin {
            check_length(&mut body, "origin", origin, 2, 100);
        }
        let reason = body.required_text("reason");
        let reason = reason.and_then(|r| body.errors().one_of("reason", &r, &REASONS));
        let place = body.optional_text("employer_or_school");
        match &place {
            None if reason.is_some_and(|r| r == "employment" || r == "study") => {
                body.add("employer_or_school", "is required when the reason is employment or study")
            }
            Some(place) => check_length(&mut body, "employer_or_school", place, 2, 100),
            None => {}
        }
        let address = body.required_text("current_address");
        if let Some(address) = &address {
            check_length(&mut body, "current_address", address, 5, 200);
        }
        body.deny_unknown();
        body.finish()?;
        Ok(NewRegistration {
            arrival_date: arrival.map(|a| a.to_string()).unwrap_or_default(),
            origin: origin.unwrap_or_default(),
            reason: reason.unwrap_or_default().to_owned(),
            employer_or_school: place,
            current_address: address.unwrap_or_default(),
        })
    }
}

/// The caller's registration, as answered.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Registration {
    /// YYYY-MM-DD: the six months count from here.
    pub arrival_date: String,
    /// Where the resident's household is registered.
    pub origin: Option<String>,
    /// employment, residence, study, family or other.
    pub reason: String,
    pub employer_or_school: Option<String>,
    /// From the shared profile.
    pub current_address: Option<String>,
    /// The first day the resident may apply for a permit (six calendar months after arrival).
    pub eligible_from: Option<String>,
    /// Whether the six months are complete today.
    pub may_apply: bool,
    /// What to do next, in the caller's language.
    pub next_step: String,
}

impl Registration {
    /// The registration the record holds, if any.
    pub fn of(known: &Known, today: Date, language: Language) -> Option<Registration> {
        known.floating.as_ref()?;
        let optional = |column: &str| Some(known.floating_text(column).to_owned()).filter(|s| !s.is_empty());
        let arrival = Date::parse(known.floating_text("arrival_date"));
        let eligible = arrival.map(calendar::eligible_from);
        let may_apply = eligible.is_some_and(|from| today >= from);
        let next_step = match eligible {
            Some(_) if may_apply => (*texts::MAY_APPLY.pick(language)).to_owned(),
            Some(from) => texts::fill(&texts::TOO_EARLY, language, &[("date", &from.to_string())]),
            None => (*texts::SUMMARY.pick(language)).to_owned(),
        };
        Some(Registration {
            arrival_date: known.floating_text("arrival_date").to_owned(),
            origin: optional("origin"),
            reason: known.floating_text("reason").to_owned(),
            employer_or_school: optional("employer_or_school"),
            current_address: known.current_address(),
            eligible_from: eligible.map(|d| d.to_string()),
            may_apply,
            next_step,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(body: serde_json::Value) -> Result<NewRegistration> {
        NewRegistration::read(BodyFields::from_value(body).unwrap(), Date::parse("2026-11-27").unwrap())
    }

    #[test]
    fn a_registration_is_read_and_every_bad_field_named() {
        let good = json!({ "arrival_date": "2026-11-01", "origin": "Kashgar", "reason": "family",
                           "current_address": "Room 3, 12 Jiefang South Road" });
        let read_back = read(good).unwrap();
        assert_eq!((read_back.reason.as_str(), read_back.employer_or_school), ("family", None));

        let bad = json!({ "arrival_date": "2026-12-01", "origin": "K", "reason": "study", "current_address": "x",
                          "phone": "1" });
        let error = read(bad).unwrap_err();
        let fields: Vec<_> = error.field_errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["arrival_date", "origin", "employer_or_school", "current_address", "phone"]);
    }
}
