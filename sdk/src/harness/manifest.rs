//! The parts of `plugin.toml` the harness needs, checked as the host checks
//! them: tables (names, columns, types, indexes), the shared-record grants,
//! case kinds and message templates.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

/// The type of a column of a plugin table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ColumnType {
    Integer,
    Real,
    Text,
    Boolean,
    Bytes,
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ColumnType::Integer => "integer",
            ColumnType::Real => "real",
            ColumnType::Text => "text",
            ColumnType::Boolean => "boolean",
            ColumnType::Bytes => "bytes",
        })
    }
}

#[derive(Debug, Clone)]
pub(crate) struct ColumnDef {
    pub name: String,
    pub ty: ColumnType,
    pub required: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct IndexDef {
    pub columns: Vec<String>,
    pub unique: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct TableDef {
    pub name: String,
    pub columns: Vec<ColumnDef>,
    pub indexes: Vec<IndexDef>,
}

impl TableDef {
    pub fn position(&self, column: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == column)
    }
}

/// A `[[records]]` grant (assumed granted by the admin as requested).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct RecordGrant {
    pub table: String,
    #[serde(default)]
    pub operations: Vec<String>,
    #[serde(default)]
    pub columns: Vec<String>,
    #[serde(default = "caller_scope")]
    pub scope: String,
}

fn caller_scope() -> String {
    "caller".to_owned()
}

/// A `[[case-kinds]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct CaseKind {
    pub name: String,
    #[serde(default)]
    pub time_limit_days: Option<i64>,
    #[serde(default)]
    pub units: Vec<String>,
    #[serde(default)]
    pub reference_prefix: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Manifest {
    pub id: String,
    pub capabilities: Vec<String>,
    pub tables: Vec<TableDef>,
    pub records: Vec<RecordGrant>,
    pub case_kinds: Vec<CaseKind>,
    pub templates: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawManifest {
    id: String,
    #[serde(default)]
    capabilities: Vec<String>,
    #[serde(default)]
    tables: Vec<RawTable>,
    #[serde(default)]
    records: Vec<RecordGrant>,
    #[serde(default)]
    case_kinds: Vec<CaseKind>,
    #[serde(default)]
    templates: BTreeMap<String, toml::Value>,
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

const MAX_TABLES: usize = 32;
const MAX_COLUMNS: usize = 64;

impl Manifest {
    /// Parses and checks a manifest; the error names the field at fault.
    pub fn parse(text: &str) -> Result<Manifest, String> {
        let raw: RawManifest = toml::from_str(text).map_err(|e| format!("plugin.toml: {e}"))?;
        Ok(Manifest {
            id: raw.id,
            capabilities: raw.capabilities,
            tables: check_tables(raw.tables)?,
            records: raw.records,
            case_kinds: raw.case_kinds,
            templates: raw.templates.into_keys().collect(),
        })
    }

    /// True when the manifest asks for `capability` (the harness grants all it asks for).
    pub fn has(&self, capability: &str) -> bool {
        self.capabilities.iter().any(|c| c == capability)
    }
}

fn check_identifier(field: &str, name: &str) -> Result<(), String> {
    let ok = (1..=28).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !name.contains("__")
        && !name.ends_with('_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{field}: `{name}` must be 1 to 28 lower-case letters, digits and single underscores, starting with a letter"
        ))
    }
}

fn check_tables(raw: Vec<RawTable>) -> Result<Vec<TableDef>, String> {
    if raw.len() > MAX_TABLES {
        return Err(format!("tables: at most {MAX_TABLES} tables"));
    }
    let mut tables: Vec<TableDef> = Vec::with_capacity(raw.len());
    for (t, table) in raw.into_iter().enumerate() {
        let at = format!("tables[{t}]");
        check_identifier(&format!("{at}.name"), &table.name)?;
        if tables.iter().any(|known| known.name == table.name) {
            return Err(format!("{at}.name: table `{}` is declared twice", table.name));
        }
        if table.columns.is_empty() || table.columns.len() > MAX_COLUMNS {
            return Err(format!("{at}.columns: must declare 1 to {MAX_COLUMNS} columns"));
        }
        let mut columns: Vec<ColumnDef> = Vec::with_capacity(table.columns.len());
        for (c, column) in table.columns.into_iter().enumerate() {
            let field = format!("{at}.columns[{c}].name");
            check_identifier(&field, &column.name)?;
            if column.name == "id" {
                return Err(format!("{field}: `id` is implicit in every table; do not declare it"));
            }
            if columns.iter().any(|known| known.name == column.name) {
                return Err(format!("{field}: column `{}` is declared twice", column.name));
            }
            columns.push(ColumnDef { name: column.name, ty: column.ty, required: column.required });
        }
        let mut indexes = Vec::with_capacity(table.indexes.len());
        for (i, index) in table.indexes.into_iter().enumerate() {
            let field = format!("{at}.indexes[{i}].columns");
            if index.columns.is_empty() {
                return Err(format!("{field}: must name at least one column"));
            }
            if let Some(unknown) = index.columns.iter().find(|c| *c != "id" && !columns.iter().any(|d| &d.name == *c)) {
                return Err(format!("{field}: unknown column `{unknown}`"));
            }
            indexes.push(IndexDef { columns: index.columns, unique: index.unique });
        }
        tables.push(TableDef { name: table.name, columns, indexes });
    }
    Ok(tables)
}
