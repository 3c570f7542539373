//! Binding parameters to, and decoding values from, the `Any` driver.

use sqlx::any::{AnyRow, AnyValueRef};
use sqlx::error::BoxDynError;
use sqlx::{Decode, Row, ValueRef};

use crate::registry::manifest::ColumnType;
use crate::wit::CapabilityError as DataError;
use crate::wit::onewindow::platform::data::Value;

/// Decodes one row by the declared column types.
pub fn decode_row(row: &AnyRow, columns: &[(String, ColumnType)]) -> Result<Vec<Value>, DataError> {
    // Sized once: collecting from a fallible iterator grows the vector
    // step by step (a profile found those reallocations at a third of the
    // decoding).
    let mut values = Vec::with_capacity(columns.len());
    for (i, (name, ty)) in columns.iter().enumerate() {
        values.push(decode(row, i, *ty).map_err(|e| decode_error(name, e))?);
    }
    Ok(values)
}

/// Decodes the first column as an integer (an inserted id, a count).
pub fn decode_id(row: &AnyRow) -> Result<i64, DataError> {
    row.try_get::<i64, _>(0).map_err(|e| decode_error("id", e))
}

/// One value, decoded by what the driver holds rather than by trying each
/// type in turn: a failed `try_get` formats an error, and SQLite answered
/// every boolean with one before its integer was read.
fn decode(row: &AnyRow, i: usize, ty: ColumnType) -> Result<Value, sqlx::Error> {
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        return Ok(Value::Null);
    }
    let decoded = match ty {
        ColumnType::Integer => decode_as::<i64>(raw).map(Value::Integer),
        ColumnType::Real => decode_as::<f64>(raw).map(Value::Real),
        ColumnType::Text => decode_as::<String>(raw).map(Value::Text),
        // SQLite keeps booleans as integers; accept either representation.
        ColumnType::Boolean if raw.type_info().kind().is_integer() => {
            decode_as::<i64>(raw).map(|n| Value::Boolean(n != 0))
        }
        ColumnType::Boolean => decode_as::<bool>(raw).map(Value::Boolean),
        ColumnType::Bytes => decode_as::<Vec<u8>>(raw).map(Value::Bytes),
    };
    decoded.map_err(|source| sqlx::Error::ColumnDecode { index: i.to_string(), source })
}

/// The driver's own decoding, which refuses a value of another kind
/// (text stored in an integer column, say).
fn decode_as<'r, T: Decode<'r, sqlx::Any>>(raw: AnyValueRef<'r>) -> Result<T, BoxDynError> {
    T::decode(raw)
}

/// What a select may still return, in bytes.
pub struct Budget {
    left: usize,
    max: usize,
}

impl Budget {
    /// A budget of `max` bytes.
    pub fn new(max: usize) -> Budget {
        Budget { left: max, max }
    }

    /// Takes `row` out of the budget; past it, a quota error the plugin
    /// can act on (select fewer columns, or page with limit and offset).
    pub fn spend(&mut self, row: Vec<Value>) -> Result<Vec<Value>, DataError> {
        let size: usize = row.iter().map(size_of).sum();
        self.left = self.left.checked_sub(size).ok_or_else(|| {
            DataError::QuotaExceeded(format!(
                "the selected rows exceed {} MiB; select fewer columns, or fewer rows with limit and offset",
                self.max >> 20
            ))
        })?;
        Ok(row)
    }
}

/// A value's size as the plugin receives it (scalars count 8 bytes).
fn size_of(value: &Value) -> usize {
    match value {
        Value::Text(text) => text.len(),
        Value::Bytes(bytes) => bytes.len(),
        _ => 8,
    }
}

fn decode_error(column: &str, error: sqlx::Error) -> DataError {
    tracing::error!("data capability: cannot decode column {column}: {error:#}");
    DataError::Unavailable(format!("stored value of `{column}` could not be read"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_select_past_its_byte_budget_is_a_quota_error() {
        let mut budget = Budget::new(20);
        assert!(budget.spend(vec![Value::Text("x".repeat(10)), Value::Integer(1)]).is_ok());
        let over = budget.spend(vec![Value::Bytes(vec![0; 3])]).unwrap_err();
        assert!(matches!(over, DataError::QuotaExceeded(_)), "{over:?}");
    }
}
