//! The shared resident record ("collect once, use by many"), through the
//! host's `records` capability: the same query shape as [`crate::table`],
//! on the platform's shared tables, within what the admin granted (columns,
//! operations, whose rows). Rows outside the grant's scope simply do not
//! exist; every read of a personal column is logged for the resident.
//!
//! Pre-fill a form from the caller's profile instead of asking again:
//!
//! ```no_run
//! use onewindow_sdk::{Filter, record};
//! # fn run() -> onewindow_sdk::Result<()> {
//! // Under a `caller` scope this is the signed-in resident's own row.
//! let profile = record("resident_profile").select(&["id", "name", "phone"]).fetch_optional()?;
//! let name = profile.as_ref().and_then(|p| p.as_ref().text("name").map(str::to_owned));
//! // Write back what is new; the host records who wrote it (provenance).
//! if let Some(profile) = &profile {
//!     let id = profile.as_ref().integer("id").unwrap_or_default();
//!     record("resident_profile").update().set("phone", "13800138000").where_eq("id", id).execute()?;
//! }
//! # let _ = name; Ok(()) }
//! ```
//!
//! A partner unit's service gets [`RecordsError::ConsentRequired`] until the
//! resident consents; turn it into a helpful answer with `?` (it becomes a
//! 403 `consent-required` problem naming the service).

use crate::bindings::onewindow::platform::data as wit_data;
use crate::bindings::onewindow::platform::records as wit;
use crate::data::{Filter, Row, Rows, Value};
use crate::error::{Error, is_ungranted, service_bug};

pub use wit::{FieldProvenance, RecordsError};

/// Starts a query on a shared table (e.g. `resident_profile`).
pub fn record(table: &str) -> Record {
    Record { name: table.to_owned() }
}

/// A shared table, by name.
pub struct Record {
    name: String,
}

impl Record {
    /// Selects the given columns (`id`, `resident` and `area` are always there to ask for).
    pub fn select(&self, columns: &[&str]) -> RecordSelect {
        RecordSelect {
            query: wit_data::SelectQuery {
                table: self.name.clone(),
                columns: columns.iter().map(|c| (*c).to_owned()).collect(),
                conditions: Vec::new(),
                order_by: Vec::new(),
                limit: None,
                offset: None,
            },
        }
    }

    /// Starts an insert.
    pub fn insert(&self) -> RecordInsert {
        RecordInsert { table: self.name.clone(), values: Vec::new() }
    }

    /// Starts an update (at least one condition is required).
    pub fn update(&self) -> RecordUpdate {
        RecordUpdate { table: self.name.clone(), set: Vec::new(), conditions: Vec::new() }
    }

    /// Who last wrote `columns` (all granted ones if empty) of row `id`.
    pub fn provenance(&self, id: i64, columns: &[&str]) -> Result<Vec<FieldProvenance>, RecordsError> {
        let columns: Vec<String> = columns.iter().map(|c| (*c).to_owned()).collect();
        crate::host::records_provenance(&self.name, id, &columns)
    }
}

/// A select on a shared table.
pub struct RecordSelect {
    query: wit_data::SelectQuery,
}

impl Filter for RecordSelect {
    fn conditions(&mut self) -> &mut Vec<wit_data::Condition> {
        &mut self.query.conditions
    }
}

impl RecordSelect {
    /// Returns at most `limit` rows.
    pub fn limit(mut self, limit: u32) -> Self {
        self.query.limit = Some(limit);
        self
    }

    /// Skips `offset` rows first.
    pub fn offset(mut self, offset: u32) -> Self {
        self.query.offset = Some(offset);
        self
    }

    /// Sorts by `column`, smallest first.
    pub fn order_by(mut self, column: &str) -> Self {
        self.query.order_by.push(wit_data::Order { column: column.to_owned(), descending: false });
        self
    }

    /// Runs the query.
    pub fn fetch(self) -> Result<Rows, RecordsError> {
        crate::host::records_select(&self.query).map(|rows| Rows::from_parts(rows.columns, rows.rows))
    }

    /// Runs the query and returns the first row, if any.
    pub fn fetch_optional(self) -> Result<Option<Row>, RecordsError> {
        Ok(self.limit(1).fetch()?.into_first())
    }
}

/// An insert into a shared table.
pub struct RecordInsert {
    table: String,
    values: Vec<wit_data::Assignment>,
}

impl RecordInsert {
    /// Sets a column.
    pub fn set(mut self, column: &str, value: impl Into<Value>) -> Self {
        self.values.push(wit_data::Assignment { column: column.to_owned(), value: value.into() });
        self
    }

    /// Inserts the row and returns its id.
    pub fn execute(self) -> Result<i64, RecordsError> {
        crate::host::records_insert(&self.table, &self.values)
    }
}

/// An update of a shared table.
pub struct RecordUpdate {
    table: String,
    set: Vec<wit_data::Assignment>,
    conditions: Vec<wit_data::Condition>,
}

impl Filter for RecordUpdate {
    fn conditions(&mut self) -> &mut Vec<wit_data::Condition> {
        &mut self.conditions
    }
}

impl RecordUpdate {
    /// Sets a column.
    pub fn set(mut self, column: &str, value: impl Into<Value>) -> Self {
        self.set.push(wit_data::Assignment { column: column.to_owned(), value: value.into() });
        self
    }

    /// Runs the update; returns how many rows changed (`NotFound` if none matched).
    pub fn execute(self) -> Result<u64, RecordsError> {
        crate::host::records_update(&self.table, &self.set, &self.conditions)
    }
}

/// A refused records call answers like the host would. An invalid call, or
/// one outside the service's grant (a table, column or operation it was not
/// granted), is the service's own bug: the caller gets a generic 500 and the
/// detail goes to the plugin's log. A missing consent is a 403
/// `consent-required`; a row outside the caller's scope stays a 403.
impl From<RecordsError> for Error {
    fn from(error: RecordsError) -> Self {
        from_records_error(error, crate::log::error)
    }
}

fn from_records_error(error: RecordsError, log: impl FnOnce(&str)) -> Error {
    match error {
        RecordsError::NotFound(m) => Error::not_found(m),
        RecordsError::Conflict(m) => Error::conflict(m),
        RecordsError::AccessDenied(m) if !is_ungranted(&m) => Error::forbidden(m),
        RecordsError::AccessDenied(m) => service_bug(&format!("records call refused: {m}"), log),
        RecordsError::ConsentRequired(m) => Error::new(403, "consent-required", "Consent required", m),
        RecordsError::QuotaExceeded(m) => Error::new(429, "too-many-requests", "Too many requests", m),
        RecordsError::Unavailable(m) => Error::new(503, "service-unavailable", "Service unavailable", m),
        RecordsError::Invalid(m) => service_bug(&format!("invalid records call: {m}"), log),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::SERVICE_FAILED;

    fn mapped(error: RecordsError) -> (Error, Vec<String>) {
        let mut logged = Vec::new();
        let answer = from_records_error(error, |line| logged.push(line.to_owned()));
        (answer, logged)
    }

    #[test]
    fn ungranted_or_invalid_calls_are_a_generic_500_with_the_detail_logged() {
        for error in [
            RecordsError::Invalid("shared table `resident_profile` has no column `shoe_size`".into()),
            RecordsError::AccessDenied("column `id_number` of `resident_profile` is not granted for read".into()),
            RecordsError::AccessDenied("`update` on shared table `resident_profile` is not granted".into()),
            RecordsError::AccessDenied("`records` is not granted to this plugin".into()),
            RecordsError::AccessDenied(
                "column `household` of `resident_profile` is not granted, so it cannot be filtered on".into(),
            ),
            RecordsError::AccessDenied("column `gender` is not granted for read".into()),
        ] {
            let (answer, logged) = mapped(error.clone());
            assert_eq!((answer.status(), answer.detail()), (500, SERVICE_FAILED), "{error:?}");
            assert_eq!(logged.len(), 1);
            assert!(logged[0].contains('`'), "the detail is logged: {logged:?}");
        }
    }

    #[test]
    fn the_callers_situation_keeps_its_answer_and_logs_nothing() {
        for (error, status, kind) in [
            (RecordsError::NotFound("no row 3".into()), 404, "not-found"),
            (RecordsError::Conflict("changed".into()), 409, "conflict"),
            (RecordsError::ConsentRequired("consent to water".into()), 403, "consent-required"),
            (RecordsError::AccessDenied("unit `police-east` does not serve that area".into()), 403, "forbidden"),
            (
                RecordsError::AccessDenied("a `caller` scope cannot write another resident's row".into()),
                403,
                "forbidden",
            ),
            (RecordsError::QuotaExceeded("slow down".into()), 429, "too-many-requests"),
            (RecordsError::Unavailable("down".into()), 503, "service-unavailable"),
        ] {
            let (answer, logged) = mapped(error);
            assert_eq!(answer.status(), status);
            let body: serde_json::Value = serde_json::from_slice(answer.into_response("r").body()).unwrap();
            assert_eq!(body["type"], format!("urn:onewindow:problem:{kind}"));
            assert!(logged.is_empty());
        }
    }
}
