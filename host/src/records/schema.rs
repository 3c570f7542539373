//! The shared record schema (`host/schema/records.toml`): the one place that
//! defines the unified form's tables, their columns and how each column is
//! classed. Parsed once; every layer (manifest checks, the records
//! capability, the staff and resident APIs) asks it.

use std::sync::LazyLock;

use serde::Deserialize;

use crate::registry::manifest::{ColumnType, Localized};

/// The schema text, compiled in so a host can never run against another.
const SCHEMA_TOML: &str = include_str!("../../schema/records.toml");

/// Columns every shared table has besides its declared ones.
pub const RESIDENT_COLUMN: &str = "resident";
pub const AREA_COLUMN: &str = "area";

/// How confidential a column is (shown to admins at review and to residents).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Confidentiality {
    Public,
    Internal,
    Confidential,
    Secret,
}

/// One column of a shared table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordColumn {
    pub name: String,
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    pub ty: ColumnType,
    /// Says something about a person: every read is in the access log.
    #[serde(default)]
    pub personal: bool,
    pub confidentiality: Confidentiality,
    /// Encrypted at rest, exact-match search only, masked unless granted.
    #[serde(default)]
    pub sensitive: bool,
}

/// One shared table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordTable {
    pub name: String,
    #[schema(value_type = Object)]
    pub description: Localized,
    /// At most one row per resident (the resident profile).
    #[serde(default)]
    pub one_per_resident: bool,
    pub columns: Vec<RecordColumn>,
}

impl RecordTable {
    /// A declared column (not `id`, `resident` or `area`).
    pub fn column(&self, name: &str) -> Option<&RecordColumn> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The physical table name: `r_<name>` (names are checked at load).
    pub fn physical(&self) -> String {
        format!("r_{}", self.name)
    }

    /// Whether `name` is a column at all, system columns included.
    pub fn has_column(&self, name: &str) -> bool {
        matches!(name, "id" | RESIDENT_COLUMN | AREA_COLUMN) || self.column(name).is_some()
    }
}

/// The whole schema.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordSchema {
    pub tables: Vec<RecordTable>,
}

impl RecordSchema {
    /// A table by name.
    pub fn table(&self, name: &str) -> Option<&RecordTable> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// Parses and checks a schema text.
    pub fn parse(text: &str) -> Result<RecordSchema, String> {
        let schema: RecordSchema = toml::from_str(text).map_err(|e| format!("record schema: {e}"))?;
        let safe = |s: &str| {
            !s.is_empty()
                && s.len() <= 40
                && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        };
        for table in &schema.tables {
            if !safe(&table.name) || schema.tables.iter().filter(|t| t.name == table.name).count() > 1 {
                return Err(format!("record schema: bad or repeated table name `{}`", table.name));
            }
            for column in &table.columns {
                let reserved = matches!(column.name.as_str(), "id" | RESIDENT_COLUMN | AREA_COLUMN);
                if !safe(&column.name) || reserved || column.name.ends_with("__index") {
                    return Err(format!("record schema: bad column name `{}.{}`", table.name, column.name));
                }
                if table.columns.iter().filter(|c| c.name == column.name).count() > 1 {
                    return Err(format!("record schema: column `{}.{}` declared twice", table.name, column.name));
                }
                if column.sensitive && column.ty != ColumnType::Text {
                    return Err(format!(
                        "record schema: sensitive column `{}.{}` must be text",
                        table.name, column.name
                    ));
                }
            }
        }
        Ok(schema)
    }
}

/// The platform's record schema.
pub fn schema() -> &'static RecordSchema {
    static SCHEMA: LazyLock<RecordSchema> =
        LazyLock::new(|| RecordSchema::parse(SCHEMA_TOML).expect("host/schema/records.toml is valid"));
    &SCHEMA
}

/// The name of the blind-index column kept beside a sensitive column.
pub fn index_column(column: &str) -> String {
    format!("{column}__index")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_schema_has_the_eight_unified_tables() {
        let names: Vec<&str> = schema().tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "resident_profile",
                "household",
                "rental_housing",
                "floating_population",
                "business_premises",
                "disputes",
                "care_visits",
                "community_feedback"
            ]
        );
        let id = schema().table("resident_profile").unwrap().column("id_number").unwrap();
        assert!(id.sensitive && id.personal && id.confidentiality == Confidentiality::Secret);
    }

    #[test]
    fn bad_schemas_are_refused() {
        let base = |columns: &str| {
            format!(
                "[[tables]]\nname = \"t\"\ndescription = {{ zh = \"a\", ug = \"b\", en = \"c\" }}\ncolumns = [{columns}]"
            )
        };
        assert!(RecordSchema::parse(&base(r#"{ name = "id", type = "text", confidentiality = "public" }"#)).is_err());
        assert!(
            RecordSchema::parse(&base(
                r#"{ name = "n", type = "integer", confidentiality = "public", sensitive = true }"#
            ))
            .unwrap_err()
            .contains("must be text")
        );
        assert!(RecordSchema::parse(&base(r#"{ name = "x\"y", type = "text", confidentiality = "public" }"#)).is_err());
        assert!(RecordSchema::parse(&base(r#"{ name = "ok", type = "text", confidentiality = "public" }"#)).is_ok());
    }
}
