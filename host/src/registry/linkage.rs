//! The linkage sections of `plugin.toml`: what a plugin asks of the shared
//! record (`[[records]]`), the case kinds it opens (`[[case-kinds]]`) and
//! the message templates it sends (`[templates.NAME]`). Parsed into typed
//! values; every error names the field.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;

use super::manifest::{Localized, ManifestError, check_localized};
use crate::records::schema::{self, AREA_COLUMN, RESIDENT_COLUMN};

fn problem(field: impl Into<String>, problem: impl Into<String>) -> ManifestError {
    ManifestError { field: field.into(), problem: problem.into() }
}

/// An operation on a shared table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordOp {
    Read,
    Insert,
    Update,
}

impl RecordOp {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordOp::Read => "read",
            RecordOp::Insert => "insert",
            RecordOp::Update => "update",
        }
    }

    pub fn parse(text: &str) -> Option<RecordOp> {
        Some(match text {
            "read" => RecordOp::Read,
            "insert" => RecordOp::Insert,
            "update" => RecordOp::Update,
            _ => return None,
        })
    }
}

/// Which rows of a shared table a grant reaches, narrowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RowScope {
    /// Only the rows of the signed-in resident making the request.
    Caller,
    /// Rows in the areas the calling staff member's unit serves.
    Unit,
    /// Every row (an admin grants it only with a written reason).
    All,
}

impl RowScope {
    pub fn as_str(self) -> &'static str {
        match self {
            RowScope::Caller => "caller",
            RowScope::Unit => "unit",
            RowScope::All => "all",
        }
    }

    pub fn parse(text: &str) -> Option<RowScope> {
        Some(match text {
            "caller" => RowScope::Caller,
            "unit" => RowScope::Unit,
            "all" => RowScope::All,
            _ => return None,
        })
    }
}

/// What a plugin asks of one shared table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RecordRequest {
    pub table: String,
    pub operations: Vec<RecordOp>,
    /// Declared columns and `area` (the `resident` column is the host's).
    pub columns: Vec<String>,
    pub scope: RowScope,
    /// Why, shown to the admin at review and to residents in their access log.
    pub purpose: Localized,
}

/// A kind of case the plugin opens.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CaseKind {
    pub name: String,
    /// Days from opening until due.
    pub time_limit_days: u32,
    /// Units its cases may be assigned or referred to (`*`: any unit).
    pub units: Vec<String>,
    /// The prefix of its references, e.g. `RP` in `RP-2026-000123`.
    pub reference_prefix: String,
}

/// The linkage sections of a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Linkage {
    pub records: Vec<RecordRequest>,
    pub case_kinds: Vec<CaseKind>,
    pub templates: BTreeMap<String, Localized>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRecordRequest {
    table: String,
    operations: Vec<RecordOp>,
    columns: Vec<String>,
    scope: RowScope,
    purpose: Localized,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawCaseKind {
    name: String,
    time_limit_days: u32,
    units: Vec<String>,
    #[serde(default)]
    reference_prefix: Option<String>,
}

/// The raw sections, as deserialised.
pub(super) struct RawLinkage {
    pub records: Vec<RawRecordRequest>,
    pub case_kinds: Vec<RawCaseKind>,
    pub templates: BTreeMap<String, Localized>,
}

fn is_name(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Checks the linkage sections of the manifest of plugin `plugin_id`,
/// reporting the first fault of each section.
pub(super) fn check(raw: RawLinkage, plugin_id: &str) -> Result<Linkage, Vec<ManifestError>> {
    let (records, case_kinds, templates) =
        (check_records(raw.records), check_case_kinds(raw.case_kinds, plugin_id), check_templates(raw.templates));
    match (records, case_kinds, templates) {
        (Ok(records), Ok(case_kinds), Ok(templates)) => Ok(Linkage { records, case_kinds, templates }),
        (records, case_kinds, templates) => {
            Err([records.err(), case_kinds.err(), templates.err()].into_iter().flatten().collect())
        }
    }
}

fn check_records(raw: Vec<RawRecordRequest>) -> Result<Vec<RecordRequest>, ManifestError> {
    let mut tables = HashSet::new();
    let mut requests = Vec::with_capacity(raw.len());
    for (r, request) in raw.into_iter().enumerate() {
        let at = format!("records[{r}]");
        let Some(table) = schema::schema().table(&request.table) else {
            let known: Vec<&str> = schema::schema().tables.iter().map(|t| t.name.as_str()).collect();
            return Err(problem(
                format!("{at}.table"),
                format!("no shared table `{}`; known: {}", request.table, known.join(", ")),
            ));
        };
        if !tables.insert(request.table.clone()) {
            return Err(problem(format!("{at}.table"), format!("`{}` is requested twice", request.table)));
        }
        if request.operations.is_empty() {
            return Err(problem(format!("{at}.operations"), "name at least one of read, insert, update"));
        }
        let mut operations = request.operations.clone();
        operations.sort();
        operations.dedup();
        if request.columns.is_empty() {
            return Err(problem(format!("{at}.columns"), "name at least one column"));
        }
        let mut columns: Vec<String> = Vec::new();
        for (c, column) in request.columns.iter().enumerate() {
            if column == RESIDENT_COLUMN || column == "id" {
                return Err(problem(
                    format!("{at}.columns[{c}]"),
                    format!("`{column}` is kept by the host and readable with any grant on the table"),
                ));
            }
            if column != AREA_COLUMN && table.column(column).is_none() {
                return Err(problem(
                    format!("{at}.columns[{c}]"),
                    format!("table `{}` has no column `{column}`", table.name),
                ));
            }
            if !columns.contains(column) {
                columns.push(column.clone());
            }
        }
        check_localized(&format!("{at}.purpose"), &request.purpose, 300)?;
        requests.push(RecordRequest {
            table: request.table,
            operations,
            columns,
            scope: request.scope,
            purpose: request.purpose,
        });
    }
    Ok(requests)
}

fn check_case_kinds(raw: Vec<RawCaseKind>, plugin_id: &str) -> Result<Vec<CaseKind>, ManifestError> {
    let mut names = HashSet::new();
    let mut kinds = Vec::with_capacity(raw.len());
    for (k, kind) in raw.into_iter().enumerate() {
        let at = format!("case-kinds[{k}]");
        if !is_name(&kind.name) || !names.insert(kind.name.clone()) {
            return Err(problem(format!("{at}.name"), format!("`{}` is not a new kind name", kind.name)));
        }
        if !(1..=3650).contains(&kind.time_limit_days) {
            return Err(problem(format!("{at}.time-limit-days"), "must be 1 to 3650 days"));
        }
        if kind.units.is_empty() {
            return Err(problem(format!("{at}.units"), "name at least one unit id, or `*` for any unit"));
        }
        if let Some(bad) = kind.units.iter().find(|u| u.as_str() != "*" && !is_name(u)) {
            return Err(problem(format!("{at}.units"), format!("`{bad}` is not a unit id")));
        }
        let prefix = kind.reference_prefix.unwrap_or_else(|| default_prefix(plugin_id));
        if !(2..=6).contains(&prefix.len()) || !prefix.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(problem(format!("{at}.reference-prefix"), "must be 2 to 6 upper-case letters"));
        }
        kinds.push(CaseKind {
            name: kind.name,
            time_limit_days: kind.time_limit_days,
            units: kind.units,
            reference_prefix: prefix,
        });
    }
    Ok(kinds)
}

/// `residence-permit` → `RP`; a one-word id → its first two letters.
fn default_prefix(plugin_id: &str) -> String {
    let initials: String = plugin_id.split('-').filter_map(|w| w.chars().next()).collect();
    let prefix = if initials.len() >= 2 { initials } else { plugin_id.chars().take(2).collect() };
    prefix.to_ascii_uppercase().chars().filter(char::is_ascii_uppercase).take(6).collect()
}

fn check_templates(raw: BTreeMap<String, Localized>) -> Result<BTreeMap<String, Localized>, ManifestError> {
    for (name, text) in &raw {
        if !is_name(name) {
            return Err(problem(format!("templates.{name}"), "template names are lower-case letters, digits, - and _"));
        }
        check_localized(&format!("templates.{name}"), text, 1000)?;
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_come_from_the_plugin_id() {
        assert_eq!(default_prefix("residence-permit"), "RP");
        assert_eq!(default_prefix("lost-id-reissue"), "LIR");
        assert_eq!(default_prefix("gas"), "GA");
    }
}
