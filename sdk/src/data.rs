//! A query builder over the host's `data` capability: the plugin's own
//! tables, declared in its manifest. No SQL is written here or anywhere in a
//! plugin; the host builds parameterised statements from these calls.
//!
//! ```no_run
//! use onewindow_sdk::{Filter, table};
//! # fn run() -> Result<(), onewindow_sdk::DataError> {
//! let pending = table("applications")
//!     .select(&["id", "full_name"])
//!     .where_eq("status", "pending")
//!     .order_by("id")
//!     .limit(20)
//!     .fetch()?;
//! for row in pending.iter() {
//!     let _name = row.text("full_name");
//! }
//! # Ok(()) }
//! ```

use serde::de::DeserializeOwned;

use crate::bindings::onewindow::platform::data as wit;
use crate::error::{Error, is_ungranted, service_bug};

pub use crate::bindings::onewindow::platform::types::Error as DataError;
pub use wit::Value;

/// Starts a query on one of the plugin's tables.
pub fn table(name: &str) -> Table {
    Table { name: name.to_owned() }
}

/// A table of the plugin, by manifest name.
pub struct Table {
    name: String,
}

impl Table {
    /// Selects the given columns.
    pub fn select(&self, columns: &[&str]) -> Select {
        Select {
            query: wit::SelectQuery {
                table: self.name.clone(),
                columns: columns.iter().map(|c| (*c).to_owned()).collect(),
                conditions: Vec::new(),
                order_by: Vec::new(),
                limit: None,
                offset: None,
            },
        }
    }

    /// Selects every column, `id` first.
    pub fn all(&self) -> Select {
        self.select(&[])
    }

    /// Starts an insert.
    pub fn insert(&self) -> Insert {
        Insert { table: self.name.clone(), values: Vec::new() }
    }

    /// Starts an update; it needs at least one condition.
    pub fn update(&self) -> Update {
        Update { table: self.name.clone(), set: Vec::new(), conditions: Vec::new() }
    }

    /// Starts a delete; it needs at least one condition.
    pub fn delete(&self) -> Delete {
        Delete { table: self.name.clone(), conditions: Vec::new() }
    }

    /// Starts a count.
    pub fn count(&self) -> Count {
        Count { table: self.name.clone(), conditions: Vec::new() }
    }
}

/// Conditions shared by select, update, delete and count. All conditions
/// are AND-ed.
pub trait Filter: Sized {
    /// The builder's condition list.
    fn conditions(&mut self) -> &mut Vec<wit::Condition>;

    /// Adds a condition on `column`.
    fn filter(mut self, column: &str, predicate: wit::Predicate) -> Self {
        self.conditions().push(wit::Condition { column: column.to_owned(), predicate });
        self
    }

    /// `column = value`
    fn where_eq(self, column: &str, value: impl Into<Value>) -> Self {
        self.filter(column, wit::Predicate::Eq(value.into()))
    }

    /// `column <> value`
    fn where_ne(self, column: &str, value: impl Into<Value>) -> Self {
        self.filter(column, wit::Predicate::Ne(value.into()))
    }

    /// `column < value`
    fn where_lt(self, column: &str, value: impl Into<Value>) -> Self {
        self.filter(column, wit::Predicate::Lt(value.into()))
    }

    /// `column <= value`
    fn where_le(self, column: &str, value: impl Into<Value>) -> Self {
        self.filter(column, wit::Predicate::Le(value.into()))
    }

    /// `column > value`
    fn where_gt(self, column: &str, value: impl Into<Value>) -> Self {
        self.filter(column, wit::Predicate::Gt(value.into()))
    }

    /// `column >= value`
    fn where_ge(self, column: &str, value: impl Into<Value>) -> Self {
        self.filter(column, wit::Predicate::Ge(value.into()))
    }

    /// Text pattern with `%` and `_`, case-insensitive for ASCII letters.
    fn where_like(self, column: &str, pattern: &str) -> Self {
        self.filter(column, wit::Predicate::Like(pattern.to_owned()))
    }

    /// `column` is one of `values`.
    fn where_in<V: Into<Value>>(self, column: &str, values: impl IntoIterator<Item = V>) -> Self {
        self.filter(column, wit::Predicate::OneOf(values.into_iter().map(Into::into).collect()))
    }

    /// `column IS NULL`
    fn where_null(self, column: &str) -> Self {
        self.filter(column, wit::Predicate::IsNull)
    }

    /// `column IS NOT NULL`
    fn where_not_null(self, column: &str) -> Self {
        self.filter(column, wit::Predicate::IsNotNull)
    }
}

/// A select under construction.
pub struct Select {
    query: wit::SelectQuery,
}

impl Filter for Select {
    fn conditions(&mut self) -> &mut Vec<wit::Condition> {
        &mut self.query.conditions
    }
}

impl Select {
    /// Sorts by `column`, smallest first (after earlier sort keys).
    pub fn order_by(mut self, column: &str) -> Self {
        self.query.order_by.push(wit::Order { column: column.to_owned(), descending: false });
        self
    }

    /// Sorts by `column`, largest first (after earlier sort keys).
    pub fn order_by_desc(mut self, column: &str) -> Self {
        self.query.order_by.push(wit::Order { column: column.to_owned(), descending: true });
        self
    }

    /// Returns at most `limit` rows (the host caps this at 1000).
    pub fn limit(mut self, limit: u32) -> Self {
        self.query.limit = Some(limit);
        self
    }

    /// Skips `offset` rows first.
    pub fn offset(mut self, offset: u32) -> Self {
        self.query.offset = Some(offset);
        self
    }

    /// Runs the query.
    pub fn fetch(self) -> Result<Rows, DataError> {
        crate::host::data_select(&self.query).map(|rows| Rows { columns: rows.columns, rows: rows.rows })
    }

    /// Runs the query and returns the first row, if any.
    pub fn fetch_optional(self) -> Result<Option<Row>, DataError> {
        let rows = self.limit(1).fetch()?;
        Ok(rows.rows.into_iter().next().map(|values| Row { columns: rows.columns, values }))
    }
}

/// An insert under construction.
pub struct Insert {
    table: String,
    values: Vec<wit::Assignment>,
}

impl Insert {
    /// Sets a column.
    pub fn set(mut self, column: &str, value: impl Into<Value>) -> Self {
        self.values.push(wit::Assignment { column: column.to_owned(), value: value.into() });
        self
    }

    /// Inserts the row and returns its new id.
    pub fn execute(self) -> Result<i64, DataError> {
        crate::host::data_insert(&self.table, &self.values)
    }
}

/// An update under construction.
pub struct Update {
    table: String,
    set: Vec<wit::Assignment>,
    conditions: Vec<wit::Condition>,
}

impl Filter for Update {
    fn conditions(&mut self) -> &mut Vec<wit::Condition> {
        &mut self.conditions
    }
}

impl Update {
    /// Sets a column on every matching row.
    pub fn set(mut self, column: &str, value: impl Into<Value>) -> Self {
        self.set.push(wit::Assignment { column: column.to_owned(), value: value.into() });
        self
    }

    /// Runs the update and returns how many rows changed.
    pub fn execute(self) -> Result<u64, DataError> {
        crate::host::data_update(&self.table, &self.set, &self.conditions)
    }
}

/// A delete under construction.
pub struct Delete {
    table: String,
    conditions: Vec<wit::Condition>,
}

impl Filter for Delete {
    fn conditions(&mut self) -> &mut Vec<wit::Condition> {
        &mut self.conditions
    }
}

impl Delete {
    /// Runs the delete and returns how many rows went.
    pub fn execute(self) -> Result<u64, DataError> {
        crate::host::data_delete(&self.table, &self.conditions)
    }
}

/// A count under construction.
pub struct Count {
    table: String,
    conditions: Vec<wit::Condition>,
}

impl Filter for Count {
    fn conditions(&mut self) -> &mut Vec<wit::Condition> {
        &mut self.conditions
    }
}

impl Count {
    /// Counts the matching rows.
    pub fn execute(self) -> Result<u64, DataError> {
        crate::host::data_count(&self.table, &self.conditions)
    }
}

/// The rows a select returned.
#[derive(Debug, Clone)]
pub struct Rows {
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
}

impl Rows {
    /// Rows from their columns and values (used by the records wrapper).
    pub(crate) fn from_parts(columns: Vec<String>, rows: Vec<Vec<Value>>) -> Rows {
        Rows { columns, rows }
    }

    /// The first row, if any.
    pub(crate) fn into_first(self) -> Option<Row> {
        self.rows.into_iter().next().map(|values| Row { columns: self.columns, values })
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when no row matched.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows, each able to read its columns by name.
    pub fn iter(&self) -> impl Iterator<Item = RowRef<'_>> {
        self.rows.iter().map(|values| RowRef { columns: &self.columns, values })
    }

    /// The rows as a JSON array of objects (bytes become arrays of numbers).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Array(self.iter().map(|row| row.to_json()).collect())
    }

    /// The rows deserialised into `T` through their JSON form.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<Vec<T>, Error> {
        self.iter().map(|row| row.deserialize()).collect()
    }
}

/// One row, owning its values.
#[derive(Debug, Clone)]
pub struct Row {
    columns: Vec<String>,
    values: Vec<Value>,
}

impl Row {
    /// A borrowed view with the column accessors.
    pub fn as_ref(&self) -> RowRef<'_> {
        RowRef { columns: &self.columns, values: &self.values }
    }

    /// The row deserialised into `T` through its JSON form.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, Error> {
        self.as_ref().deserialize()
    }
}

/// One row of [`Rows`].
#[derive(Debug, Clone, Copy)]
pub struct RowRef<'a> {
    columns: &'a [String],
    values: &'a [Value],
}

impl<'a> RowRef<'a> {
    /// A column's value.
    pub fn get(&self, column: &str) -> Option<&'a Value> {
        self.columns.iter().position(|c| c == column).map(|i| &self.values[i])
    }

    /// A text column's value (None when null or not text).
    pub fn text(&self, column: &str) -> Option<&'a str> {
        match self.get(column) {
            Some(Value::Text(text)) => Some(text),
            _ => None,
        }
    }

    /// An integer column's value (None when null or not an integer).
    pub fn integer(&self, column: &str) -> Option<i64> {
        match self.get(column) {
            Some(Value::Integer(n)) => Some(*n),
            _ => None,
        }
    }

    /// A boolean column's value (None when null or not a boolean).
    pub fn boolean(&self, column: &str) -> Option<bool> {
        match self.get(column) {
            Some(Value::Boolean(b)) => Some(*b),
            _ => None,
        }
    }

    /// The row as a JSON object keyed by column name.
    pub fn to_json(&self) -> serde_json::Value {
        let object = self.columns.iter().zip(self.values).map(|(c, v)| (c.clone(), value_to_json(v))).collect();
        serde_json::Value::Object(object)
    }

    /// The row deserialised into `T` through its JSON form.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_value(self.to_json())
            .map_err(|e| Error::internal(format!("stored row does not match its type: {e}")))
    }
}

pub(crate) fn value_to_json(value: &Value) -> serde_json::Value {
    match value {
        Value::Null => serde_json::Value::Null,
        Value::Integer(n) => (*n).into(),
        Value::Real(x) => serde_json::Number::from_f64(*x).map(serde_json::Value::Number).unwrap_or_default(),
        Value::Text(text) => text.clone().into(),
        Value::Boolean(b) => (*b).into(),
        Value::Bytes(bytes) => bytes.clone().into(),
    }
}

impl From<&str> for Value {
    fn from(text: &str) -> Self {
        Value::Text(text.to_owned())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Self {
        Value::Text(text)
    }
}

impl From<&String> for Value {
    fn from(text: &String) -> Self {
        Value::Text(text.clone())
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Integer(n)
    }
}

impl From<i32> for Value {
    fn from(n: i32) -> Self {
        Value::Integer(n.into())
    }
}

impl From<u32> for Value {
    fn from(n: u32) -> Self {
        Value::Integer(n.into())
    }
}

impl From<f64> for Value {
    fn from(x: f64) -> Self {
        Value::Real(x)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Boolean(b)
    }
}

impl From<Vec<u8>> for Value {
    fn from(bytes: Vec<u8>) -> Self {
        Value::Bytes(bytes)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Self {
        value.map_or(Value::Null, Into::into)
    }
}

/// A failed data call answers like the host would: the caller learns that
/// the service failed, not how its storage works. An invalid call, or one
/// on a table the service was not granted, is the service's own bug: the
/// caller gets a generic 500 and the detail goes to the plugin's log.
impl From<DataError> for Error {
    fn from(error: DataError) -> Self {
        from_data_error(error, crate::log::error)
    }
}

fn from_data_error(error: DataError, log: impl FnOnce(&str)) -> Error {
    match error {
        DataError::NotFound(m) => Error::not_found(m),
        DataError::Conflict(m) => Error::conflict(m),
        DataError::AccessDenied(m) if !is_ungranted(&m) => Error::forbidden(m),
        DataError::AccessDenied(m) => service_bug(&format!("data call refused: {m}"), log),
        DataError::QuotaExceeded(m) => Error::new(429, "too-many-requests", "Too many requests", m),
        DataError::Unavailable(m) => Error::new(503, "service-unavailable", "Service unavailable", m),
        DataError::Invalid(m) => service_bug(&format!("invalid data call: {m}"), log),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::SERVICE_FAILED;

    fn mapped(error: DataError) -> (Error, Vec<String>) {
        let mut logged = Vec::new();
        let answer = from_data_error(error, |line| logged.push(line.to_owned()));
        (answer, logged)
    }

    #[test]
    fn the_services_own_bugs_are_a_generic_500_with_the_detail_logged() {
        for error in [
            DataError::Invalid("table `notes` has no column `no_such_column`".into()),
            DataError::AccessDenied("table `notes` is not granted to plugin water-notes".into()),
            DataError::AccessDenied("`cases` is not granted to residence-permit".into()),
        ] {
            let (answer, logged) = mapped(error);
            assert_eq!((answer.status(), answer.detail()), (500, SERVICE_FAILED));
            assert_eq!(logged.len(), 1);
            assert!(logged[0].contains(" is not granted to ") || logged[0].contains("no column"), "{logged:?}");
        }
    }

    #[test]
    fn the_callers_faults_keep_their_status_and_log_nothing() {
        for (error, status) in [
            (DataError::NotFound("no row 7".into()), 404),
            (DataError::Conflict("`code` is taken".into()), 409),
            (DataError::AccessDenied("a row outside the caller's scope".into()), 403),
            (
                DataError::AccessDenied(
                    "case RP-7 is now with unit `community-east`, which this service is not granted for `permit` cases"
                        .into(),
                ),
                403,
            ),
            (DataError::QuotaExceeded("too many rows".into()), 429),
            (DataError::Unavailable("try again".into()), 503),
        ] {
            let (answer, logged) = mapped(error);
            assert_eq!(answer.status(), status, "{answer}");
            assert_ne!(answer.detail(), SERVICE_FAILED);
            assert!(logged.is_empty());
        }
    }
}
