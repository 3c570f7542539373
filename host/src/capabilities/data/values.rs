//! Binding parameters to, and decoding values from, the `Any` driver.

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, Row};

use super::sql::{Param, Statement};
use crate::registry::manifest::ColumnType;
use crate::wit::CapabilityError as DataError;
use crate::wit::onewindow::platform::data::Value;

/// A sqlx query for `statement` with its parameters bound.
pub fn query(statement: Statement) -> Query<'static, Any, AnyArguments> {
    // The SQL was assembled only from manifest-checked identifiers and
    // placeholders (see `sql`), never from plugin-supplied text.
    let mut query = sqlx::query(sqlx::AssertSqlSafe(statement.sql));
    for param in statement.params {
        query = match param {
            Param::Null(ColumnType::Integer) => query.bind(None::<i64>),
            Param::Null(ColumnType::Real) => query.bind(None::<f64>),
            Param::Null(ColumnType::Text) => query.bind(None::<String>),
            Param::Null(ColumnType::Boolean) => query.bind(None::<bool>),
            Param::Null(ColumnType::Bytes) => query.bind(None::<Vec<u8>>),
            Param::Integer(n) => query.bind(n),
            Param::Real(x) => query.bind(x),
            Param::Text(s) => query.bind(s),
            Param::Boolean(b) => query.bind(b),
            Param::Bytes(b) => query.bind(b),
        };
    }
    query
}

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
