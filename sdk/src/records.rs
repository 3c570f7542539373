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
use crate::error::Error;

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
        wit::provenance(&self.name, id, &columns)
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
        wit::select(&self.query).map(|rows| Rows::from_parts(rows.columns, rows.rows))
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
        wit::insert(&self.table, &self.values)
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
        wit::update(&self.table, &self.set, &self.conditions)
    }
}

impl From<RecordsError> for Error {
    fn from(error: RecordsError) -> Self {
        match error {
            RecordsError::NotFound(m) => Error::not_found(m),
            RecordsError::Conflict(m) => Error::conflict(m),
            RecordsError::AccessDenied(m) => Error::forbidden(m),
            RecordsError::ConsentRequired(m) => Error::new(403, "consent-required", "Consent required", m),
            RecordsError::QuotaExceeded(m) => Error::new(429, "too-many-requests", "Too many requests", m),
            RecordsError::Unavailable(m) => Error::new(503, "service-unavailable", "Service unavailable", m),
            RecordsError::Invalid(m) => Error::internal(format!("the service made an invalid records call: {m}")),
        }
    }
}
