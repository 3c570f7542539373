//! A resident's report, read and checked: the category, the unit (proposed
//! from the category, or the resident's choice among the units that handle
//! it), the problem, the details the unit needs, and the explicit choice to
//! share their phone and address with that unit.
//!
//! Urgent reports need nothing but the category: nobody smelling gas should
//! be held up by a missing account number.

use std::collections::BTreeMap;

use onewindow_sdk::prelude::*;
use serde::Deserialize;

use super::model::Contact;
use crate::catalog::{self, Category, Urgency};
use crate::directory::Directory;

/// What a resident sends (`POST /referrals`).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read field by field; the type describes the body in api.json
pub struct NewReport {
    /// A category code (`GET /categories`).
    pub category: String,
    /// A unit that handles the category; the proposed one when left out.
    pub unit: Option<String>,
    /// What is wrong, up to 1000 characters; required unless the category is urgent.
    pub description: Option<String>,
    /// The details the unit asks for (`details_required` of the category), each up to 100 characters.
    pub details: Option<BTreeMap<String, String>>,
    /// Where, when not at home (up to 200 characters).
    pub location: Option<String>,
    /// The resident's explicit choice: share my phone and address with this unit.
    pub share_contact: bool,
    /// Only with `share_contact`: a phone to use instead of the profile's.
    pub phone: Option<String>,
    /// Only with `share_contact`: an address to use instead of the profile's (5 to 200 characters).
    pub address: Option<String>,
}

/// A checked report.
#[derive(Debug)]
pub struct Report {
    pub category: &'static Category,
    pub unit: String,
    pub proposed_unit: String,
    pub description: Option<String>,
    pub details: BTreeMap<String, String>,
    pub location: Option<String>,
    pub share_contact: bool,
    /// What the body gave for the contact; the rest comes from the profile.
    pub given_phone: Option<String>,
    pub given_address: Option<String>,
}

/// The unit's own service takes the report instead (see `handoff`).
#[derive(Debug)]
pub struct HandOff {
    pub category: &'static Category,
    pub unit: String,
    pub service: String,
}

/// What becomes of a report.
#[derive(Debug)]
pub enum Intake {
    /// File it here.
    File(Report),
    /// Point the resident at another service; nothing is filed.
    HandOff(HandOff),
}

/// Reads the report; 422 naming every bad field.
pub fn read(req: &Request, directory: &Directory) -> Result<Intake> {
    let mut body = req.body_fields()?;
    let code = body.required_text("category");
    let category = code.as_deref().and_then(|c| {
        let found = catalog::find_category(c);
        if found.is_none() {
            body.add("category", format!("must be one of {}", catalog::category_codes().join(", ")));
        }
        found
    });
    let chosen = body.optional_text("unit");
    let unit = category.and_then(|category| {
        let handling = directory.units_handling(category.code);
        match chosen {
            None => directory.default_unit(category.code).map(str::to_owned),
            Some(unit) if handling.contains(&unit) => Some(unit),
            Some(unit) => {
                body.add(
                    "unit",
                    format!("{unit} does not handle {}; choose one of {}", category.code, handling.join(", ")),
                );
                None
            }
        }
    });
    if let (Some(category), Some(unit)) = (category, &unit) {
        let service = directory.entry(unit).and_then(|e| e.handled_by_service.clone());
        if let Some(service) = service {
            // The unit's own service takes it: the rest of the body is for that service to judge.
            return Ok(Intake::HandOff(HandOff { category, unit: unit.clone(), service }));
        }
    }
    let urgent = category.is_some_and(|c| c.urgency == Urgency::Urgent);

    let description = body.optional_text("description");
    body.check(
        description.as_ref().is_none_or(|d| d.chars().count() <= 1000),
        "description",
        "must be at most 1000 characters",
    );
    body.check(description.is_some() || urgent || category.is_none(), "description", "is required: say what is wrong");
    let details = details(&mut body, unit.as_deref().and_then(|u| directory.entry(u)).filter(|_| !urgent));
    let location = body.optional_text("location");
    body.check(
        location.as_ref().is_none_or(|l| l.chars().count() <= 200),
        "location",
        "must be at most 200 characters",
    );

    let share_contact = body.required_bool("share_contact");
    let phone = body.optional_text("phone");
    let phone = phone.and_then(|p| body.errors().phone("phone", &p));
    let address = body.optional_text("address");
    body.check(
        address.as_ref().is_none_or(|a| (5..=200).contains(&a.chars().count())),
        "address",
        "must be 5 to 200 characters",
    );
    if share_contact == Some(false) {
        body.check(phone.is_none(), "phone", "is sent only with share_contact: true");
        body.check(address.is_none(), "address", "is sent only with share_contact: true");
    }
    body.deny_unknown();
    body.finish()?;
    let (Some(category), Some(unit)) = (category, unit) else {
        return Err(Error::internal("a checked report lost its category or unit"));
    };
    Ok(Intake::File(Report {
        category,
        proposed_unit: directory.default_unit(category.code).unwrap_or(&unit).to_owned(),
        unit,
        description,
        details,
        location,
        share_contact: share_contact.unwrap_or(false),
        given_phone: phone,
        given_address: address,
    }))
}

/// The `details` object: known keys, text values of 1 to 100 characters,
/// and every key `unit` requires (none when `unit` is `None`).
fn details(body: &mut BodyFields, unit: Option<&crate::directory::Entry>) -> BTreeMap<String, String> {
    let given = body.optional::<serde_json::Map<String, serde_json::Value>>("details").unwrap_or_default();
    let mut details = BTreeMap::new();
    // A required key given badly is reported as bad, not also as missing.
    let given_keys: Vec<String> = given.keys().cloned().collect();
    for (key, value) in given {
        let field = format!("details.{key}");
        if catalog::find_detail(&key).is_none() {
            body.add(&field, format!("is not a known detail; known: {}", catalog::detail_keys().join(", ")));
            continue;
        }
        match value.as_str().map(str::trim) {
            Some(text) if (1..=100).contains(&text.chars().count()) => {
                details.insert(key, text.to_owned());
            }
            _ => body.add(&field, "must be text of 1 to 100 characters"),
        }
    }
    for required in unit.map(|u| u.details_required.as_slice()).unwrap_or_default() {
        let unit = unit.map(|u| u.unit_id.as_str()).unwrap_or_default();
        if !given_keys.contains(required) {
            body.add(&format!("details.{required}"), format!("is required by {unit}"));
        }
    }
    details
}

/// Contact details a report shares: what the body gave, the rest from the
/// resident's profile. Called only for a checked report whose resident
/// ticked "share", so the profile is read only when it will be used.
pub fn contact(report: &Report) -> Result<Contact> {
    let profile = if report.given_phone.is_some() && report.given_address.is_some() {
        None
    } else {
        record("resident_profile").select(&["phone", "current_address"]).fetch_optional()?
    };
    let known = |column: &str| -> Option<String> {
        profile
            .as_ref()
            .and_then(|p| p.as_ref().text(column))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    let phone = report.given_phone.clone().or_else(|| known("phone"));
    let address = report.given_address.clone().or_else(|| known("current_address"));
    let mut problems = FieldErrors::new();
    let missing = "is required to share your contact: your profile has none; give it here or in your profile";
    problems.check(phone.is_some(), "phone", missing);
    problems.check(address.is_some(), "address", missing);
    problems.into_result()?;
    Ok(Contact { phone: phone.unwrap_or_default(), address: address.unwrap_or_default() })
}
