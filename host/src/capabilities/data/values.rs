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

fn decode_error(column: &str, error: sqlx::Error) -> DataError {
    tracing::error!("data capability: cannot decode column {column}: {error:#}");
    DataError::Unavailable(format!("stored value of `{column}` could not be read"))
}
