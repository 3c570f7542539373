//! `plugin.toml`: parsed once into typed values ("parse, don't validate").
//! Every error names the field and the problem.

use std::collections::HashSet;
use std::fmt;

use serde::Deserialize;

use super::linkage::{self, Linkage};
use crate::capabilities::grant::{self, Grant};

/// The WIT package every plugin targets.
pub const PLATFORM_PACKAGE: &str = "onewindow:platform";
/// The world every plugin implements.
pub const SERVICE_WORLD: &str = "service";
/// The platform version this host implements; it accepts `^0.1` (every
/// 0.1.x), as semver for 0.x versions prescribes.
pub const PLATFORM_VERSION: semver::Version = semver::Version::new(0, 1, 2);

/// A manifest that failed to parse, naming the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("plugin.toml: {field}: {problem}")]
pub struct ManifestError {
    /// The field, e.g. `tables[0].columns[2].type`, or `(file)`.
    pub field: String,
    /// What is wrong with it.
    pub problem: String,
}

fn problem(field: impl Into<String>, problem: impl Into<String>) -> ManifestError {
    ManifestError { field: field.into(), problem: problem.into() }
}

/// A plugin id: 2–30 characters, lower-case ASCII letters, digits and single
/// hyphens, starting with a letter. The rules keep it safe as a URL segment,
/// a file name and (hyphens → underscores) part of a table name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct PluginId(String);

impl PluginId {
    /// Parses an id, explaining what is wrong with a bad one.
    pub fn parse(raw: &str) -> Result<PluginId, String> {
        let ok_chars = raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !(2..=30).contains(&raw.len()) {
            Err("must be 2 to 30 characters".into())
        } else if !ok_chars {
            Err("may contain only lower-case letters, digits and hyphens".into())
        } else if !raw.starts_with(|c: char| c.is_ascii_lowercase()) || raw.ends_with('-') || raw.contains("--") {
            Err("must start with a letter, not end with a hyphen, and not contain `--`".into())
        } else {
            Ok(PluginId(raw.to_owned()))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as it appears in table names (hyphens become underscores;
    /// ids never hold `--`, so the mapping is one-to-one).
    pub fn sql_prefix(&self) -> String {
        format!("p_{}", self.0.replace('-', "_"))
    }
}

impl fmt::Display for PluginId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The type of a plugin table column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    Integer,
    Real,
    Text,
    Boolean,
    Bytes,
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            ColumnType::Integer => "integer",
            ColumnType::Real => "real",
            ColumnType::Text => "text",
            ColumnType::Boolean => "boolean",
            ColumnType::Bytes => "bytes",
        };
        f.write_str(name)
    }
}

/// One column of a plugin table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ColumnDef {
    pub name: String,
    pub ty: ColumnType,
    /// Required columns are NOT NULL and must be given on insert.
    pub required: bool,
}

/// One index of a plugin table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IndexDef {
    pub columns: Vec<String>,
    pub unique: bool,
}

/// A table the plugin owns. Every table also has an `id` integer key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TableDef {
    pub name: String,
    pub columns: Vec<ColumnDef>,
    pub indexes: Vec<IndexDef>,
}

impl TableDef {
    /// A declared column by name (not `id`).
    pub fn column(&self, name: &str) -> Option<&ColumnDef> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// Text in the platform's three languages.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Localized {
    pub zh: String,
    pub ug: String,
    pub en: String,
}

/// Limits of a plugin: asked for in its manifest, granted by an admin (at
/// most what was asked), and capped by the platform maxima when it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub memory_mb: u32,
    pub timeout_ms: u32,
    pub max_concurrency: u32,
}

impl Limits {
    /// Every limit above the platform's maximum, as a fault naming its
    /// field: a manifest asks for what it will get, not more, so nobody is
    /// surprised by a silent cut at approval.
    pub fn beyond(&self, max: &Limits) -> Vec<ManifestError> {
        [
            ("memory-mb", self.memory_mb, max.memory_mb),
            ("timeout-ms", self.timeout_ms, max.timeout_ms),
            ("max-concurrency", self.max_concurrency, max.max_concurrency),
        ]
        .into_iter()
        .filter(|(_, asked, most)| asked > most)
        .map(|(name, asked, most)| {
            problem(format!("limits.{name}"), format!("{asked} is above this platform's maximum of {most}"))
        })
        .collect()
    }

    /// What `self` raises over `current`, for the reviewer.
    pub fn raised_over(&self, current: &Limits) -> Vec<String> {
        [
            ("memory-mb", self.memory_mb, current.memory_mb),
            ("timeout-ms", self.timeout_ms, current.timeout_ms),
            ("max-concurrency", self.max_concurrency, current.max_concurrency),
        ]
        .into_iter()
        .filter(|(_, new, now)| new > now)
        .map(|(name, new, now)| format!("limit `{name}` raised from {now} to {new}"))
        .collect()
    }
}

/// The tables and columns `new` declares that `current` does not, for the
/// reviewer (every table when there is no current version).
pub fn added_storage(current: Option<&Manifest>, new: &Manifest) -> Vec<String> {
    let mut added = Vec::new();
    for table in &new.tables {
        match current.and_then(|c| c.tables.iter().find(|t| t.name == table.name)) {
            None => {
                let columns: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
                added.push(format!("new table `{}` ({})", table.name, columns.join(", ")));
            }
            Some(now) => {
                for column in table.columns.iter().filter(|c| now.column(&c.name).is_none()) {
                    added.push(format!("new column `{}.{}` ({})", table.name, column.name, column.ty));
                }
            }
        }
    }
    added
}

impl Default for Limits {
    fn default() -> Self {
        Limits { memory_mb: 32, timeout_ms: 2000, max_concurrency: 16 }
    }
}

/// A parsed, checked `plugin.toml`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Manifest {
    pub id: PluginId,
    pub version: semver::Version,
    /// The platform version of the world the plugin targets.
    pub world_version: semver::Version,
    pub name: Localized,
    pub description: Localized,
    pub limits: Limits,
    /// The capability kinds requested (see `capabilities::grant`).
    pub capabilities: Vec<String>,
    pub tables: Vec<TableDef>,
    /// Shared records, case kinds and message templates it asks for.
    pub linkage: Linkage,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawManifest {
    id: String,
    version: String,
    world: String,
    name: Localized,
    description: Localized,
    #[serde(default)]
    limits: Option<RawLimits>,
    #[serde(default)]
    capabilities: Vec<String>,
    #[serde(default)]
    tables: Vec<RawTable>,
    #[serde(default)]
    records: Vec<linkage::RawRecordRequest>,
    #[serde(default)]
    case_kinds: Vec<linkage::RawCaseKind>,
    #[serde(default)]
    templates: std::collections::BTreeMap<String, Localized>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawLimits {
    memory_mb: Option<u32>,
    timeout_ms: Option<u32>,
    max_concurrency: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    name: String,
    columns: Vec<RawColumn>,
    #[serde(default)]
    indexes: Vec<RawIndex>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawColumn {
    name: String,
    #[serde(rename = "type")]
    ty: ColumnType,
    #[serde(default)]
    required: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndex {
    columns: Vec<String>,
    #[serde(default)]
    unique: bool,
}

/// Most tables a plugin may declare, and columns per table.
const MAX_TABLES: usize = 32;
const MAX_COLUMNS: usize = 64;

impl Manifest {
    /// Parses and checks a manifest; the first fault is the error.
    pub fn parse(text: &str) -> Result<Manifest, ManifestError> {
        Manifest::parse_all(text).map_err(|mut faults| faults.remove(0))
    }

    /// Parses and checks a manifest, reporting every fault found (one per
    /// field or section; a later section is checked even when an earlier
    /// one failed), so a partner fixes them all in one go.
    pub fn parse_all(text: &str) -> Result<Manifest, Vec<ManifestError>> {
        let raw = deserialize(text).map_err(|fault| vec![fault])?;
        let mut faults = Vec::new();
        let mut keep = |result: Result<(), ManifestError>| {
            if let Err(fault) = result {
                faults.push(fault);
            }
        };
        let id = PluginId::parse(&raw.id).map_err(|p| problem("id", p));
        let version = semver::Version::parse(&raw.version)
            .map_err(|e| problem("version", format!("not a semantic version: {e}")));
        let world_version = parse_world(&raw.world);
        keep(check_localized("name", &raw.name, 80));
        keep(check_localized("description", &raw.description, 1000));
        let limits = check_limits(raw.limits);
        let tables = check_tables(raw.tables);
        let plugin_id = raw.id.clone();
        let linkage = linkage::check(
            linkage::RawLinkage { records: raw.records, case_kinds: raw.case_kinds, templates: raw.templates },
            &plugin_id,
        );
        let (id, version, world_version, limits, tables, linkage) =
            match (id, version, world_version, limits, tables, linkage) {
                (Ok(id), Ok(version), Ok(world), Ok(limits), Ok(tables), Ok(linkage)) if faults.is_empty() => {
                    (id, version, world, limits, tables, linkage)
                }
                (id, version, world, limits, tables, linkage) => {
                    let mut all: Vec<ManifestError> =
                        [id.err(), version.err(), world.err()].into_iter().flatten().collect();
                    all.extend(faults);
                    all.extend([limits.err(), tables.err()].into_iter().flatten());
                    all.extend(linkage.err().unwrap_or_default());
                    return Err(all);
                }
            };
        let manifest = Manifest {
            id,
            version,
            world_version,
            name: raw.name,
            description: raw.description,
            limits,
            capabilities: raw.capabilities,
            tables,
            linkage,
        };
        manifest.check_capabilities().map_err(|fault| vec![fault])?;
        Ok(manifest)
    }

    /// A declared table by name.
    pub fn table(&self, name: &str) -> Option<&TableDef> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// The grants this manifest requests.
    pub fn requested_grants(&self) -> Vec<Grant> {
        grant::requested(self).expect("checked when the manifest was parsed")
    }

    fn check_capabilities(&self) -> Result<(), ManifestError> {
        let mut seen = HashSet::new();
        if let Some(twice) = self.capabilities.iter().find(|c| !seen.insert(c.as_str())) {
            return Err(problem("capabilities", format!("`{twice}` is listed twice")));
        }
        grant::requested(self).map_err(|p| problem("capabilities", p))?;
        let asks = |name: &str| self.capabilities.iter().any(|c| c == name);
        if !self.tables.is_empty() && !asks("data") {
            return Err(problem("capabilities", "tables are declared, so `data` must be requested"));
        }
        if !self.linkage.records.is_empty() && !asks("records") {
            return Err(problem("capabilities", "[[records]] are declared, so `records` must be requested"));
        }
        if !self.linkage.case_kinds.is_empty() && !asks("cases") {
            return Err(problem("capabilities", "[[case-kinds]] are declared, so `cases` must be requested"));
        }
        if !self.linkage.templates.is_empty() && !asks("notify") {
            return Err(problem("capabilities", "[templates] are declared, so `notify` must be requested"));
        }
        Ok(())
    }
}

/// Reads the TOML into the raw sections. A value of the wrong type or shape
/// names its full path (`tables[0].columns[1].type`, `name.ug` for a
/// missing key) and, when the parser knows it, the line; a TOML syntax
/// error has no field, only the line.
fn deserialize(text: &str) -> Result<RawManifest, ManifestError> {
    let at_line = |span: Option<std::ops::Range<usize>>| {
        span.and_then(|span| text.get(..span.start))
            .map(|before| format!(" (line {})", before.matches('\n').count() + 1))
            .unwrap_or_default()
    };
    let document = toml::Deserializer::parse(text)
        .map_err(|e| problem("(file)", format!("{}{}", e.message(), at_line(e.span()))))?;
    serde_path_to_error::deserialize(document).map_err(|error| {
        let path = error.path().to_string();
        let error = error.into_inner();
        // serde reports a missing key at the table that lacks it; the
        // partner needs the key itself.
        let missing = error.message().strip_prefix("missing field `").and_then(|rest| rest.strip_suffix('`'));
        let field = match (path.as_str(), missing) {
            (".", Some(key)) => key.to_owned(),
            (".", None) => "(file)".to_owned(),
            (table, Some(key)) => format!("{table}.{key}"),
            (field, None) => field.to_owned(),
        };
        problem(field, format!("{}{}", error.message(), at_line(error.span())))
    })
}

/// Why `new` cannot follow `old` without an admin migration step, if it
/// cannot: tables and columns are never dropped or changed by an upload,
/// and columns added to an existing table must be nullable (old rows have
/// no value for them).
pub fn destructive_change(old: &Manifest, new: &Manifest) -> Option<ManifestError> {
    for old_table in &old.tables {
        let Some((t, new_table)) = new.tables.iter().enumerate().find(|(_, t)| t.name == old_table.name) else {
            return Some(problem(
                "tables",
                format!(
                    "table `{}` of version {} is missing; an upload cannot drop a table",
                    old_table.name, old.version
                ),
            ));
        };
        for old_column in &old_table.columns {
            let Some((c, column)) = new_table.columns.iter().enumerate().find(|(_, c)| c.name == old_column.name)
            else {
                return Some(problem(
                    format!("tables[{t}].columns"),
                    format!("column `{}` is missing; an upload cannot drop a column", old_column.name),
                ));
            };
            if column.ty != old_column.ty {
                return Some(problem(
                    format!("tables[{t}].columns[{c}].type"),
                    format!(
                        "column `{}` changed type from {} (version {}) to {}; an upload cannot change a column's type",
                        column.name, old_column.ty, old.version, column.ty
                    ),
                ));
            }
            if column.required != old_column.required {
                return Some(problem(format!("tables[{t}].columns[{c}].required"), requiredness_change(old, column)));
            }
        }
        if let Some(c) = new_table.columns.iter().position(|c| c.required && old_table.column(&c.name).is_none()) {
            return Some(problem(
                format!("tables[{t}].columns[{c}].required"),
                "a column added to an existing table must not be required (old rows have no value)",
            ));
        }
    }
    None
}

/// Why a column of `old` cannot become required or optional: the stored
/// column keeps the constraint it was created with.
fn requiredness_change(old: &Manifest, column: &ColumnDef) -> String {
    let (name, version) = (&column.name, &old.version);
    if column.required {
        format!(
            "column `{name}` is optional in version {version} and required here; an upload cannot make a column \
             required (rows stored without a value would break it): keep it optional and check it in the handler"
        )
    } else {
        format!(
            "column `{name}` is required in version {version} and optional here; an upload cannot make a column \
             optional (the stored column refuses empty values): keep `required = true`"
        )
    }
}

/// True when the host can run a plugin built against `version`.
/// Every release of the current `0.1` line up to the one the host
/// implements: older plugins link unchanged, newer ones would import what
/// this host does not have.
pub fn is_supported_world_version(version: &semver::Version) -> bool {
    let same_line = (version.major, version.minor) == (PLATFORM_VERSION.major, PLATFORM_VERSION.minor);
    same_line && version.pre.is_empty() && *version <= PLATFORM_VERSION
}

/// The versions this host accepts, for error messages.
pub fn supported_world_versions() -> String {
    format!("{}.{}.0 to {PLATFORM_VERSION}", PLATFORM_VERSION.major, PLATFORM_VERSION.minor)
}

fn parse_world(world: &str) -> Result<semver::Version, ManifestError> {
    let expected = format!("{PLATFORM_PACKAGE}/{SERVICE_WORLD}@");
    let Some(version) = world.strip_prefix(&expected) else {
        return Err(problem("world", format!("must be `{expected}VERSION`, got `{world}`")));
    };
    let version = semver::Version::parse(version).map_err(|e| problem("world", format!("bad version: {e}")))?;
    if !is_supported_world_version(&version) {
        return Err(problem(
            "world",
            format!("version {version} is not supported; this host supports {}", supported_world_versions()),
        ));
    }
    Ok(version)
}

pub(super) fn check_localized(field: &str, text: &Localized, max_chars: usize) -> Result<(), ManifestError> {
    for (lang, value) in [("zh", &text.zh), ("ug", &text.ug), ("en", &text.en)] {
        let len = value.trim().chars().count();
        if len == 0 || len > max_chars {
            return Err(problem(format!("{field}.{lang}"), format!("must be 1 to {max_chars} characters")));
        }
        // Shown to residents as they are: no control characters, and no
        // bidirectional embeddings, overrides or isolates that could make
        // the text read differently from what the admin approved.
        if let Some(c) = value.chars().find(|&c| c.is_control() || is_bidi_control(c)) {
            return Err(problem(
                format!("{field}.{lang}"),
                format!("must not contain control or bidirectional-override characters (found U+{:04X})", c as u32),
            ));
        }
    }
    Ok(())
}

/// Unicode's explicit bidirectional formatting characters (embeddings,
/// overrides, isolates). The plain marks (LRM, RLM) stay allowed.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn check_limits(raw: Option<RawLimits>) -> Result<Limits, ManifestError> {
    let defaults = Limits::default();
    let Some(raw) = raw else { return Ok(defaults) };
    let positive = |field: &str, value: Option<u32>, default: u32| match value {
        Some(0) => Err(problem(format!("limits.{field}"), "must be greater than zero")),
        Some(v) => Ok(v),
        None => Ok(default),
    };
    Ok(Limits {
        memory_mb: positive("memory-mb", raw.memory_mb, defaults.memory_mb)?,
        timeout_ms: positive("timeout-ms", raw.timeout_ms, defaults.timeout_ms)?,
        max_concurrency: positive("max-concurrency", raw.max_concurrency, defaults.max_concurrency)?,
    })
}

/// Names PostgreSQL gives every table itself: a column may not take one
/// (SQLite would accept it, so a plugin would work on one backend only).
const POSTGRES_SYSTEM_COLUMNS: [&str; 7] = ["tableoid", "xmin", "cmin", "xmax", "cmax", "ctid", "oid"];

/// Table and column names: lower-case letters, digits and single
/// underscores, starting with a letter, at most 28 characters (so the
/// prefixed physical name fits PostgreSQL's 63-byte identifiers).
fn check_identifier(field: &str, name: &str) -> Result<(), ManifestError> {
    let ok = (1..=28).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !name.contains("__")
        && !name.ends_with('_');
    if ok {
        Ok(())
    } else {
        Err(problem(
            field,
            format!(
                "`{name}` must be 1 to 28 lower-case letters, digits and single underscores, starting with a letter"
            ),
        ))
    }
}

fn check_tables(raw: Vec<RawTable>) -> Result<Vec<TableDef>, ManifestError> {
    if raw.len() > MAX_TABLES {
        return Err(problem("tables", format!("at most {MAX_TABLES} tables")));
    }
    let mut names = HashSet::new();
    let mut tables = Vec::with_capacity(raw.len());
    for (t, table) in raw.into_iter().enumerate() {
        let at = format!("tables[{t}]");
        check_identifier(&format!("{at}.name"), &table.name)?;
        if !names.insert(table.name.clone()) {
            return Err(problem(format!("{at}.name"), format!("table `{}` is declared twice", table.name)));
        }
        if table.columns.is_empty() || table.columns.len() > MAX_COLUMNS {
            return Err(problem(format!("{at}.columns"), format!("must declare 1 to {MAX_COLUMNS} columns")));
        }
        let mut columns = Vec::with_capacity(table.columns.len());
        for (c, column) in table.columns.into_iter().enumerate() {
            let field = format!("{at}.columns[{c}].name");
            check_identifier(&field, &column.name)?;
            if column.name == "id" {
                return Err(problem(field, "`id` is implicit in every table; do not declare it"));
            }
            if POSTGRES_SYSTEM_COLUMNS.contains(&column.name.as_str()) {
                return Err(problem(
                    field,
                    format!("`{}` is a system column of PostgreSQL tables; choose another name", column.name),
                ));
            }
            if columns.iter().any(|known: &ColumnDef| known.name == column.name) {
                return Err(problem(field, format!("column `{}` is declared twice", column.name)));
            }
            columns.push(ColumnDef { name: column.name, ty: column.ty, required: column.required });
        }
        let mut indexes = Vec::with_capacity(table.indexes.len());
        for (i, index) in table.indexes.into_iter().enumerate() {
            let field = format!("{at}.indexes[{i}].columns");
            if index.columns.is_empty() {
                return Err(problem(field, "must name at least one column"));
            }
            if let Some(unknown) = index.columns.iter().find(|c| *c != "id" && !columns.iter().any(|d| &d.name == *c)) {
                return Err(problem(field, format!("unknown column `{unknown}`")));
            }
            indexes.push(IndexDef { columns: index.columns, unique: index.unique });
        }
        tables.push(TableDef { name: table.name, columns, indexes });
    }
    Ok(tables)
}

#[cfg(test)]
mod tests {
    /// The SDK carries a copy of the contract so partners can build without
    /// this repository; it must be the contract the host implements.
    #[test]
    fn the_sdk_carries_the_platforms_wit() {
        let platform = include_str!("../../../wit/platform.wit");
        let sdk = include_str!("../../../sdk/wit/platform.wit");
        assert!(platform == sdk, "sdk/wit/platform.wit differs from wit/platform.wit: copy it over");
        assert!(platform.contains(&format!("package onewindow:platform@{PLATFORM_VERSION};")));
    }

    use super::*;

    const GOOD: &str = r#"
        id = "guest-book"
        version = "1.2.0"
        world = "onewindow:platform/service@0.1.0"
        capabilities = ["data", "log"]
        name = { zh = "留言簿", ug = "خاتىرە دەپتىرى", en = "Guest book" }
        description = { zh = "留言", ug = "خاتىرە", en = "Leave a note" }
        [limits]
        memory-mb = 16
        [[tables]]
        name = "entries"
        columns = [
            { name = "author", type = "text", required = true },
            { name = "stars", type = "integer" },
        ]
        indexes = [{ columns = ["author"], unique = false }]
    "#;

    #[test]
    fn parses_a_complete_manifest() {
        let manifest = Manifest::parse(GOOD).unwrap();
        assert_eq!(manifest.id.as_str(), "guest-book");
        assert_eq!(manifest.version, semver::Version::new(1, 2, 0));
        assert_eq!(manifest.limits, Limits { memory_mb: 16, ..Limits::default() });
        assert_eq!(
            manifest.tables[0].columns[1],
            ColumnDef { name: "stars".into(), ty: ColumnType::Integer, required: false }
        );
        assert_eq!(manifest.id.sql_prefix(), "p_guest_book");
    }

    fn error_for(from: &str, to: &str) -> ManifestError {
        let text = GOOD.replace(from, to);
        assert_ne!(text, GOOD, "replacement `{from}` did not apply");
        Manifest::parse(&text).unwrap_err()
    }

    #[test]
    fn names_the_field_at_fault() {
        assert_eq!(error_for(r#"id = "guest-book""#, r#"id = "Guest_Book""#).field, "id");
        assert_eq!(error_for(r#""1.2.0""#, r#""one""#).field, "version");
        assert_eq!(error_for("service@0.1.0", "service@0.2.0").field, "world");
        assert!(error_for("service@0.1.0", "service@0.2.0").problem.contains("0.1.0 to 0.1.2"));
        assert!(error_for("service@0.1.0", "service@0.1.3").problem.contains("0.1.0 to 0.1.2"));
        assert!(is_supported_world_version(&semver::Version::new(0, 1, 0)));
        assert!(is_supported_world_version(&semver::Version::new(0, 1, 1)));
        assert_eq!(error_for(r#"en = "Guest book""#, r#"en = """#).field, "name.en");
        for hidden in [r"\u202Ekoob tseuG", r"Guest\u2066 book", r"Guest\nbook", r"Guest\u0007book"] {
            let error = error_for(r#"en = "Guest book""#, &format!(r#"en = "{hidden}""#));
            assert_eq!(error.field, "name.en", "{hidden}");
            assert!(error.problem.contains("bidirectional-override"), "{}", error.problem);
        }
        assert!(Manifest::parse(&GOOD.replace(r#"en = "Guest book""#, r#"en = "Guest\u200Fbook""#)).is_ok());
        assert_eq!(error_for("memory-mb = 16", "memory-mb = 0").field, "limits.memory-mb");
        let asked = Limits { memory_mb: 256, timeout_ms: 1000, max_concurrency: 100 };
        let faults = asked.beyond(&Limits { memory_mb: 128, timeout_ms: 10_000, max_concurrency: 64 });
        let fields: Vec<&str> = faults.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["limits.memory-mb", "limits.max-concurrency"]);
        assert_eq!(faults[0].problem, "256 is above this platform's maximum of 128");
        assert_eq!(error_for(r#"type = "integer""#, r#"type = "money""#).field, "tables[0].columns[1].type");
        assert_eq!(error_for(r#"name = "stars""#, r#"name = "id""#).field, "tables[0].columns[1].name");
        for system in POSTGRES_SYSTEM_COLUMNS {
            let refused = error_for(r#"name = "stars""#, &format!(r#"name = "{system}""#));
            assert_eq!(refused.field, "tables[0].columns[1].name");
            assert!(refused.problem.contains("system column of PostgreSQL"), "{}", refused.problem);
        }
        assert_eq!(error_for(r#"name = "stars""#, r#"name = "author""#).field, "tables[0].columns[1].name");
        assert_eq!(
            error_for(r#"columns = ["author"]"#, r#"columns = ["nobody"]"#).field,
            "tables[0].indexes[0].columns"
        );
        assert_eq!(error_for(r#"name = "entries""#, r#"name = "bad__name""#).field, "tables[0].name");
        assert_eq!(error_for(r#"["data", "log"]"#, r#"["data", "teleport"]"#).field, "capabilities");
        assert!(
            error_for(r#"["data", "log"]"#, r#"["data", "teleport"]"#)
                .problem
                .contains("unknown capability `teleport`")
        );
        assert_eq!(error_for(r#"["data", "log"]"#, r#"["log"]"#).field, "capabilities");
        assert_eq!(error_for(r#"["data", "log"]"#, r#"["log", "log", "data"]"#).field, "capabilities");
    }

    /// The line of `text` holding `needle`, counted from 1.
    fn line_of(text: &str, needle: &str) -> usize {
        text.lines().position(|line| line.contains(needle)).expect("needle in text") + 1
    }

    #[test]
    fn a_misshapen_value_names_its_full_path_and_line() {
        let cases = [
            // (replace, with, field, words of the problem)
            (r#"type = "integer""#, r#"type = "money""#, "tables[0].columns[1].type", "unknown variant `money`"),
            (r#"ug = "خاتىرە دەپتىرى", "#, "", "name.ug", "missing field `ug`"),
            ("memory-mb = 16", r#"memory-mb = "lots""#, "limits.memory-mb", "invalid type"),
            (
                r#"{ name = "stars", type = "integer" }"#,
                r#"{ name = "stars" }"#,
                "tables[0].columns[1].type",
                "missing",
            ),
            (
                r#"{ name = "stars", type = "integer" }"#,
                r#"{ name = "stars", type = "integer", colour = "red" }"#,
                "tables[0].columns[1].colour",
                "unknown field `colour`",
            ),
            (r#"unique = false"#, r#"unique = "no""#, "tables[0].indexes[0].unique", "invalid type"),
        ];
        for (from, to, field, words) in cases {
            let text = GOOD.replace(from, to);
            let error = error_for(from, to);
            assert_eq!(error.field, field, "{error}");
            assert!(error.problem.contains(words), "{error}");
            let line = line_of(&text, if to.is_empty() { "name = {" } else { to });
            assert!(error.problem.ends_with(&format!("(line {line})")), "line {line} expected: {error}");
        }
    }

    #[test]
    fn a_toml_syntax_error_names_its_line() {
        let text = GOOD.replace("[limits]", "[limits");
        let error = Manifest::parse(&text).unwrap_err();
        assert_eq!(error.field, "(file)");
        assert!(error.problem.ends_with(&format!("(line {})", line_of(&text, "[limits"))), "{error}");
    }

    #[test]
    fn later_versions_may_only_add_tables_and_nullable_columns() {
        let old = Manifest::parse(GOOD).unwrap();
        let grow = |from: &str, to: &str| Manifest::parse(&GOOD.replace(from, to)).unwrap();
        let added_column = grow(
            r#"{ name = "stars", type = "integer" },"#,
            r#"{ name = "stars", type = "integer" }, { name = "mood", type = "text" },"#,
        );
        assert_eq!(destructive_change(&old, &added_column), None);
        let required = grow(
            r#"{ name = "stars", type = "integer" },"#,
            r#"{ name = "stars", type = "integer" }, { name = "mood", type = "text", required = true },"#,
        );
        assert_eq!(destructive_change(&old, &required).unwrap().field, "tables[0].columns[2].required");
        let retyped = grow(r#"{ name = "stars", type = "integer" }"#, r#"{ name = "stars", type = "real" }"#);
        let change = destructive_change(&old, &retyped).unwrap();
        assert_eq!(change.field, "tables[0].columns[1].type");
        assert!(change.problem.contains("changed type from integer (version 1.2.0) to real"), "{change}");
        let dropped = grow(r#"{ name = "stars", type = "integer" },"#, "");
        assert!(destructive_change(&old, &dropped).unwrap().problem.contains("cannot drop a column"));
    }

    #[test]
    fn changing_whether_a_column_is_required_has_its_own_message() {
        let old = Manifest::parse(GOOD).unwrap();
        let change = |from: &str, to: &str| {
            let text = GOOD.replace(from, to);
            assert_ne!(text, GOOD, "replacement `{from}` did not apply");
            destructive_change(&old, &Manifest::parse(&text).unwrap()).expect("a refused change")
        };
        let now_optional = change(r#"type = "text", required = true"#, r#"type = "text""#);
        assert_eq!(now_optional.field, "tables[0].columns[0].required");
        assert!(
            now_optional.problem.contains("column `author` is required in version 1.2.0 and optional here"),
            "{now_optional}"
        );
        let now_required = change(r#"type = "integer""#, r#"type = "integer", required = true"#);
        assert_eq!(now_required.field, "tables[0].columns[1].required");
        assert!(
            now_required.problem.contains("column `stars` is optional in version 1.2.0 and required here"),
            "{now_required}"
        );
        // Reordered columns are named where they now stand.
        let moved = change(
            r#"{ name = "author", type = "text", required = true },
            { name = "stars", type = "integer" },"#,
            r#"{ name = "stars", type = "integer" },
            { name = "author", type = "text" },"#,
        );
        assert_eq!(moved.field, "tables[0].columns[1].required");
    }

    #[test]
    fn rejects_unknown_keys() {
        let text = GOOD.replace("[limits]", "colour = \"red\"\n[limits]");
        let error = Manifest::parse(&text).unwrap_err();
        assert_eq!(error.field, "colour");
        assert!(error.problem.contains("unknown field `colour`"), "{error}");
        // The key starts its line: the line is that one, not the one before.
        assert!(error.problem.ends_with(&format!("(line {})", line_of(&text, "colour"))), "{error}");
    }

    #[test]
    fn plugin_ids_map_one_to_one_onto_table_prefixes() {
        assert!(PluginId::parse("a--b").is_err());
        assert!(PluginId::parse("a_b").is_err());
        assert!(PluginId::parse("-ab").is_err());
        assert!(PluginId::parse("ab-").is_err());
        assert!(PluginId::parse("../etc").is_err());
        assert!(PluginId::parse("residence-permit").is_ok());
    }
}
