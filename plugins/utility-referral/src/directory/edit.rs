//! An admin's edit of the directory, checked whole: every bad field is
//! named at once, and an entry may not drop a category still proposed to it
//! (the proposal would point at a unit that refuses it).

use onewindow_sdk::prelude::*;
use serde::Deserialize;

use super::{CATEGORY_UNITS, Directory, UNITS};
use crate::catalog;
use crate::texts::Texts;

/// A whole entry as an admin writes it (`PUT /units/{unit}`).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryEdit {
    /// Each language 1 to 60 characters.
    pub name: Texts,
    /// Each language 1 to 300 characters.
    pub description: Texts,
    /// At least one category code.
    pub categories: Vec<String>,
    /// Detail keys: account_number, meter_number, tracking_number, started_at.
    pub details_required: Vec<String>,
    /// Each language 1 to 200 characters.
    pub hours: Texts,
    /// Digits, spaces, `-` and `+`; 3 to 20 characters (e.g. 95598, 0991-96777).
    pub hotline: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// Another service's id that takes this unit's reports instead; null to take them here.
    pub handled_by_service: Option<String>,
}

/// The new default unit of a category (`PUT /categories/{code}`); read
/// field by field, the type describes the body in api.json.
#[allow(dead_code)]
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DefaultEdit {
    /// A unit whose entry handles the category.
    pub unit: String,
}

/// Reads and checks an edit of `unit`'s entry.
pub fn read_entry(req: &Request, directory: &Directory, unit: &str) -> Result<EntryEdit> {
    let mut body = req.body_fields()?;
    let name = Texts::read(&mut body, "name", 60);
    let description = Texts::read(&mut body, "description", 300);
    let categories = codes(&mut body, "categories", &catalog::category_codes(), "category");
    let details = codes(&mut body, "details_required", &catalog::detail_keys(), "detail");
    let hours = Texts::read(&mut body, "hours", 200);
    let hotline = body.required_text("hotline");
    body.check(hotline.as_deref().is_none_or(is_service_line), "hotline", LINE_RULE);
    let phone = body.optional_text("phone");
    body.check(phone.as_deref().is_none_or(is_service_line), "phone", LINE_RULE);
    let email = body.optional_text("email");
    body.check(email.as_deref().is_none_or(is_email), "email", "must be an e-mail address such as help@example.cn");
    let handled_by = body.optional_text("handled_by_service");
    body.check(
        handled_by.as_deref().is_none_or(is_service_id),
        "handled_by_service",
        "must be a service id: 2 to 30 characters a-z, 0-9 and single hyphens",
    );
    let own = onewindow_sdk::plugin::service_id();
    body.check(
        handled_by.as_deref() != Some(own.as_str()),
        "handled_by_service",
        "must be another service than this one",
    );
    if let Some(categories) = &categories {
        body.check(!categories.is_empty(), "categories", "must name at least one category");
        let kept: Vec<String> = directory.defaults_of(unit).into_iter().filter(|c| !categories.contains(c)).collect();
        body.check(
            kept.is_empty(),
            "categories",
            format!(
                "must keep {}: proposed to this unit; point them at another unit first (PUT /categories/{{code}})",
                kept.join(", ")
            ),
        );
    }
    body.deny_unknown();
    body.finish()?;
    let missing = || Error::internal("a checked edit lost a field");
    Ok(EntryEdit {
        name: name.ok_or_else(missing)?,
        description: description.ok_or_else(missing)?,
        categories: categories.ok_or_else(missing)?,
        details_required: details.ok_or_else(missing)?,
        hours: hours.ok_or_else(missing)?,
        hotline: hotline.ok_or_else(missing)?,
        phone,
        email,
        handled_by_service: handled_by,
    })
}

/// Writes a checked edit over `unit`'s entry.
pub fn save_entry(unit: &str, edit: &EntryEdit, admin: &str) -> Result<()> {
    let list = |items: &[String]| serde_json::to_string(items).unwrap_or_else(|_| "[]".into());
    let changed = table(UNITS)
        .update()
        .set("name_zh", edit.name.zh.as_str())
        .set("name_ug", edit.name.ug.as_str())
        .set("name_en", edit.name.en.as_str())
        .set("description_zh", edit.description.zh.as_str())
        .set("description_ug", edit.description.ug.as_str())
        .set("description_en", edit.description.en.as_str())
        .set("categories", list(&edit.categories))
        .set("details_required", list(&edit.details_required))
        .set("hours_zh", edit.hours.zh.as_str())
        .set("hours_ug", edit.hours.ug.as_str())
        .set("hours_en", edit.hours.en.as_str())
        .set("hotline", edit.hotline.as_str())
        .set("phone", edit.phone.clone())
        .set("email", edit.email.clone())
        .set("handled_by_service", edit.handled_by_service.clone())
        .set("updated_at", onewindow_sdk::time::now_rfc3339())
        .set("updated_by", admin)
        .where_eq("unit_id", unit)
        .execute()?;
    if changed == 0 {
        return Err(Error::not_found(format!("no directory entry {unit}")));
    }
    Ok(())
}

/// Reads and checks a new default unit for `category`.
pub fn read_default(req: &Request, directory: &Directory, category: &str) -> Result<String> {
    let mut body = req.body_fields()?;
    let unit = body.required_text("unit");
    if let Some(unit) = &unit {
        let handles = directory.entry(unit).is_some_and(|e| e.handles(category));
        let units = directory.units_handling(category).join(", ");
        body.check(handles, "unit", format!("must be a unit whose entry handles {category}: {units}"));
    }
    body.deny_unknown();
    body.finish()?;
    unit.ok_or_else(|| Error::internal("a checked edit lost a field"))
}

/// Points `category` at `unit`.
pub fn save_default(category: &str, unit: &str, admin: &str) -> Result<()> {
    table(CATEGORY_UNITS)
        .update()
        .set("unit_id", unit)
        .set("updated_at", onewindow_sdk::time::now_rfc3339())
        .set("updated_by", admin)
        .where_eq("category", category)
        .execute()?;
    Ok(())
}

const LINE_RULE: &str = "must be a phone or service number: 3 to 20 characters of digits, spaces, - and +";

/// A phone or service number: national short lines (95598) included, which
/// the SDK's phone validator (mobiles and area-coded landlines) refuses.
pub fn is_service_line(text: &str) -> bool {
    let digits = text.chars().filter(char::is_ascii_digit).count();
    (3..=20).contains(&text.chars().count())
        && digits >= 3
        && text.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | ' ' | '+'))
}

/// A plausible e-mail address (one `@`, a dotted domain, no spaces).
fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else { return false };
    text.len() <= 100
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.contains(char::is_whitespace)
}

/// A service id as the platform spells them: 2 to 30 characters, a-z and
/// 0-9 in words joined by single hyphens.
pub fn is_service_id(text: &str) -> bool {
    (2..=30).contains(&text.len())
        && text
            .split('-')
            .all(|word| !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

/// A required list of codes from `known`, each named by its index when bad.
fn codes(body: &mut BodyFields, name: &str, known: &[&str], what: &str) -> Option<Vec<String>> {
    let items = body.required::<Vec<String>>(name)?;
    let mut good = true;
    for (i, item) in items.iter().enumerate() {
        if !known.contains(&item.as_str()) {
            body.add(&format!("{name}[{i}]"), format!("`{item}` is not a {what}; known: {}", known.join(", ")));
            good = false;
        } else if items[..i].contains(item) {
            body.add(&format!("{name}[{i}]"), format!("`{item}` is listed twice"));
            good = false;
        }
    }
    good.then_some(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_lines_take_national_short_numbers_and_landlines() {
        for good in ["95598", "0991-96777", "+86 991 4567890", "119"] {
            assert!(is_service_line(good), "{good}");
        }
        for bad in ["", "12", "call us", "0991-96777 ext 3", "1234567890123456789012"] {
            assert!(!is_service_line(bad), "{bad}");
        }
    }

    #[test]
    fn service_ids_and_emails() {
        assert!(is_service_id("gas-service") && is_service_id("g2"));
        assert!(
            !is_service_id("Gas") && !is_service_id("gas--service") && !is_service_id("-gas") && !is_service_id("g")
        );
        assert!(is_email("help@gas.example.cn"));
        assert!(!is_email("help@gas") && !is_email("a b@x.cn") && !is_email("@x.cn") && !is_email("a@@x.cn"));
    }
}
