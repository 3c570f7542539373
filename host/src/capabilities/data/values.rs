//! Binding parameters to, and decoding values from, the `Any` driver.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::registry::manifest::ColumnType;
use crate::wit::CapabilityError as DataError;
use crate::wit::onewindow::platform::data::Value;

/// Decodes one row by the declared column types.
pub fn decode_row(row: &AnyRow, columns: &[(String, ColumnType)]) -> Result<Vec<Value>, DataError> {
    columns.iter().enumerate().map(|(i, (name, ty))| decode(row, i, *ty).map_err(|e| decode_error(name, e))).collect()
}

/// Decodes the first column as an integer (an inserted id, a count).
pub fn decode_id(row: &AnyRow) -> Result<i64, DataError> {
    row.try_get::<i64, _>(0).map_err(|e| decode_error("id", e))
}

fn decode(row: &AnyRow, i: usize, ty: ColumnType) -> Result<Value, sqlx::Error> {
    let value = match ty {
        ColumnType::Integer => row.try_get::<Option<i64>, _>(i)?.map(Value::Integer),
        ColumnType::Real => row.try_get::<Option<f64>, _>(i)?.map(Value::Real),
        ColumnType::Text => row.try_get::<Option<String>, _>(i)?.map(Value::Text),
        // SQLite keeps booleans as integers; accept either representation.
        ColumnType::Boolean => match row.try_get::<Option<bool>, _>(i) {
            Ok(b) => b.map(Value::Boolean),
            Err(_) => row.try_get::<Option<i64>, _>(i)?.map(|n| Value::Boolean(n != 0)),
        },
        ColumnType::Bytes => row.try_get::<Option<Vec<u8>>, _>(i)?.map(Value::Bytes),
    };
    Ok(value.unwrap_or(Value::Null))
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
