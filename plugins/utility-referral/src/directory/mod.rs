//! The directory of the nine partner units, after Open Referral's
//! organisation → service model: each entry names the unit in three
//! languages, the categories of problem it handles, the details it needs to
//! find an account, its hours and contact. Each category is proposed to one
//! default unit. Admins edit both; a unit may also hand its reports over to
//! a service of its own (`handled_by_service`, see `referrals::handoff`).

pub mod edit;
pub mod routes;
mod seed;

use onewindow_sdk::Language;
use onewindow_sdk::prelude::*;
use serde::Serialize;

use crate::catalog::{self, Category, Urgency};
use crate::safety::SafetyView;
use crate::texts::Texts;

/// The table of entries, one per unit.
pub const UNITS: &str = "units";
/// The table of defaults, one per category.
pub const CATEGORY_UNITS: &str = "category_units";

/// One unit's entry, as stored and answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Entry {
    /// The platform's unit id, e.g. `partner-gas`.
    pub unit_id: String,
    pub name: Texts,
    /// What the unit handles, in words.
    pub description: Texts,
    /// Category codes it handles (the resident may choose it for these).
    pub categories: Vec<String>,
    /// Detail keys a report to it must give (waived for urgent categories).
    pub details_required: Vec<String>,
    pub hours: Texts,
    /// Its service line (24-hour where it has one): shown in safety steps.
    pub hotline: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// A service of the unit's own that takes its reports instead of this one.
    pub handled_by_service: Option<String>,
    pub updated_at: String,
    pub updated_by: String,
}

impl Entry {
    fn from_row(row: onewindow_sdk::RowRef<'_>) -> Entry {
        let text = |column: &str| row.text(column).unwrap_or_default().to_owned();
        let texts = |prefix: &str| Texts {
            zh: text(&format!("{prefix}_zh")),
            ug: text(&format!("{prefix}_ug")),
            en: text(&format!("{prefix}_en")),
        };
        let list = |column: &str| serde_json::from_str(row.text(column).unwrap_or("[]")).unwrap_or_default();
        Entry {
            unit_id: text("unit_id"),
            name: texts("name"),
            description: texts("description"),
            categories: list("categories"),
            details_required: list("details_required"),
            hours: texts("hours"),
            hotline: text("hotline"),
            phone: row.text("phone").map(str::to_owned),
            email: row.text("email").map(str::to_owned),
            handled_by_service: row.text("handled_by_service").map(str::to_owned),
            updated_at: text("updated_at"),
            updated_by: text("updated_by"),
        }
    }

    /// Whether the unit handles `category`.
    pub fn handles(&self, category: &str) -> bool {
        self.categories.iter().any(|c| c == category)
    }
}

/// The whole directory: nine entries and twelve defaults, read at once.
#[derive(Debug, Clone)]
pub struct Directory {
    pub entries: Vec<Entry>,
    /// (category, default unit)
    pub defaults: Vec<(String, String)>,
}

impl Directory {
    /// Reads the directory, seeding first what is missing (see `seed`).
    pub fn load() -> Result<Directory> {
        let directory = Directory::read()?;
        let units: Vec<String> = directory.entries.iter().map(|e| e.unit_id.clone()).collect();
        let categories: Vec<String> = directory.defaults.iter().map(|(c, _)| c.clone()).collect();
        if units.len() >= seed::ENTRIES.len() && categories.len() >= seed::DEFAULTS.len() {
            return Ok(directory);
        }
        seed::fill_missing(&units, &categories, &onewindow_sdk::time::now_rfc3339())?;
        Directory::read()
    }

    fn read() -> Result<Directory> {
        let entries = table(UNITS).all().order_by("id").fetch()?.iter().map(Entry::from_row).collect();
        let defaults = table(CATEGORY_UNITS)
            .select(&["category", "unit_id"])
            .fetch()?
            .iter()
            .map(|row| {
                (
                    row.text("category").unwrap_or_default().to_owned(),
                    row.text("unit_id").unwrap_or_default().to_owned(),
                )
            })
            .collect();
        Ok(Directory { entries, defaults })
    }

    /// The entry of `unit`.
    pub fn entry(&self, unit: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.unit_id == unit)
    }

    /// The unit `category` is proposed to.
    pub fn default_unit(&self, category: &str) -> Option<&str> {
        self.defaults.iter().find(|(c, _)| c == category).map(|(_, u)| u.as_str())
    }

    /// The categories proposed to `unit`.
    pub fn defaults_of(&self, unit: &str) -> Vec<String> {
        catalog::CATEGORIES
            .iter()
            .filter(|c| self.default_unit(c.code) == Some(unit))
            .map(|c| c.code.to_owned())
            .collect()
    }

    /// Every unit that handles `category`, the default first.
    pub fn units_handling(&self, category: &str) -> Vec<String> {
        let default = self.default_unit(category);
        let mut units: Vec<String> = default.map(str::to_owned).into_iter().collect();
        units.extend(
            self.entries
                .iter()
                .filter(|e| e.handles(category) && Some(e.unit_id.as_str()) != default)
                .map(|e| e.unit_id.clone()),
        );
        units
    }

    /// The unit's name in `language` (its id if it has no entry).
    pub fn unit_name(&self, unit: &str, language: Language) -> String {
        self.entry(unit).map_or_else(|| unit.to_owned(), |e| e.name.pick(language).to_owned())
    }

    /// The safety steps of `category` in `language`, if it is urgent.
    pub fn safety(&self, category: &Category, language: Language) -> Option<SafetyView> {
        let safety = category.safety?;
        Some(safety.view(self.entry(safety.line_unit).map(|e| e.hotline.as_str()), language))
    }

    /// What the service proposes for `category`, in `language`.
    pub fn proposal(&self, category: &Category, language: Language) -> CategoryView {
        let unit = self.default_unit(category.code).unwrap_or_default().to_owned();
        let entry = self.entry(&unit);
        CategoryView {
            code: category.code.to_owned(),
            name: (*category.name.pick(language)).to_owned(),
            urgency: category.urgency.name().to_owned(),
            respond_within_hours: category.urgency.respond_within_hours(),
            unit_name: self.unit_name(&unit, language),
            units: self.units_handling(category.code),
            // An urgent report needs nothing but its category (see `referrals::report`).
            details_required: entry
                .filter(|_| category.urgency != Urgency::Urgent)
                .map(|e| e.details_required.iter().filter_map(|key| DetailView::of(key, language)).collect())
                .unwrap_or_default(),
            handled_by_service: entry.and_then(|e| e.handled_by_service.clone()),
            safety: self.safety(category, language),
            unit,
        }
    }
}

/// A category and what the service proposes for it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CategoryView {
    pub code: String,
    /// In the caller's language.
    pub name: String,
    /// `urgent`, `outage` or `routine`.
    pub urgency: String,
    /// The first response asked of the unit, in hours (none for routine problems).
    pub respond_within_hours: Option<i64>,
    /// The proposed unit.
    pub unit: String,
    pub unit_name: String,
    /// Every unit that handles the category (the proposed one first): the resident may choose any.
    pub units: Vec<String>,
    /// What a report to the proposed unit must give (not asked for urgent categories).
    pub details_required: Vec<DetailView>,
    /// When set, the proposed unit takes reports in its own service: report there.
    pub handled_by_service: Option<String>,
    /// For urgent categories: what to do now.
    pub safety: Option<SafetyView>,
}

/// A detail a unit asks for, with its label.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DetailView {
    pub key: String,
    pub label: String,
}

impl DetailView {
    fn of(key: &str, language: Language) -> Option<DetailView> {
        catalog::find_detail(key)
            .map(|d| DetailView { key: key.to_owned(), label: (*d.label.pick(language)).to_owned() })
    }
}

/// An entry as answered: with the categories proposed to the unit, which
/// it must keep handling until an admin points them elsewhere.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct UnitView {
    #[serde(flatten)]
    pub entry: Entry,
    pub default_for: Vec<String>,
}

impl UnitView {
    pub fn of(directory: &Directory, entry: &Entry) -> UnitView {
        UnitView { entry: entry.clone(), default_for: directory.defaults_of(&entry.unit_id) }
    }
}
