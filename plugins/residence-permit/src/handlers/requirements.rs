//! `GET /requirements`: the rules and the required-documents checklist per
//! qualifying condition, with the form's field labels, in the caller's
//! language and all three. Anyone may read it, signed in or not.

use onewindow_sdk::prelude::*;
use serde::Serialize;

use crate::calendar::{ENDORSEMENT_WINDOW_DAYS, MINIMUM_RESIDENCE_MONTHS, VALIDITY_MONTHS};
use crate::handlers::localized;
use crate::requirements::{COMMON, CONDITIONS, ChecklistItem, HOUSING_TYPES, LABELS, Label, Names, items_for};
use crate::texts::SUMMARY;

/// Days within which the police issue a permit after acceptance (the application case's time limit).
pub const PROCESSING_DAYS: u32 = 15;
/// Days within which the police decide an endorsement (the endorsement case's time limit).
pub const ENDORSEMENT_DAYS: u32 = 5;

/// The rules and the checklist.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Requirements {
    /// The language of `summary`, every `name` and `label`: zh, ug or en.
    pub language: &'static str,
    /// rtl for Uyghur, else ltr.
    pub dir: &'static str,
    pub summary: &'static str,
    pub minimum_residence_months: u32,
    pub processing_days: u32,
    pub validity_months: u32,
    pub endorsement_window_days: i64,
    pub endorsement_days: u32,
    /// What every applicant brings.
    pub common_items: Vec<ChecklistItem>,
    /// The qualifying conditions (an application's `reason`), each with its whole checklist.
    pub conditions: Vec<ConditionView>,
    /// The application form's fields (and the registration's `origin`), labelled.
    pub fields: Vec<Labelled>,
    /// The `housing_type` values of a residence application, labelled.
    pub housing_types: Vec<Labelled>,
}

/// One qualifying condition.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ConditionView {
    /// employment, residence or study: the application's `reason`.
    pub code: &'static str,
    pub name: &'static str,
    pub names: Names,
    pub description: &'static str,
    /// The common items, then the condition's proof; one document of each `group`.
    pub items: Vec<ChecklistItem>,
}

/// A code with its name for people.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Labelled {
    pub code: &'static str,
    pub name: &'static str,
    pub names: Names,
}

impl Labelled {
    fn new(label: &Label, language: Language) -> Labelled {
        Labelled { code: label.field, name: label.names.pick(language), names: label.names }
    }
}

pub fn show(req: &Request) -> Result<Response> {
    let language = req.language();
    let conditions = CONDITIONS
        .iter()
        .map(|c| ConditionView {
            code: c.code,
            name: c.names.pick(language),
            names: c.names,
            description: c.description.pick(language),
            items: items_for(c.code).into_iter().map(|item| ChecklistItem::new(item, language)).collect(),
        })
        .collect();
    let requirements = Requirements {
        language: language.tag(),
        dir: language.direction(),
        summary: SUMMARY.pick(language),
        minimum_residence_months: MINIMUM_RESIDENCE_MONTHS,
        processing_days: PROCESSING_DAYS,
        validity_months: VALIDITY_MONTHS,
        endorsement_window_days: ENDORSEMENT_WINDOW_DAYS,
        endorsement_days: ENDORSEMENT_DAYS,
        common_items: COMMON.iter().map(|item| ChecklistItem::new(item, language)).collect(),
        conditions,
        fields: LABELS.iter().map(|l| Labelled::new(l, language)).collect(),
        housing_types: HOUSING_TYPES.iter().map(|l| Labelled::new(l, language)).collect(),
    };
    Ok(localized(200, &requirements, language))
}
