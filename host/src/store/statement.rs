//! SQL text with its bind parameters, as every structured operation
//! (plugin tables, shared records, cases) is built, and binding it to a
//! sqlx query.

use sqlx::Any;
use sqlx::any::AnyArguments;
use sqlx::query::Query;

use crate::registry::manifest::ColumnType;

/// A bind parameter. Nulls carry their column's type, because PostgreSQL
/// wants a typed NULL.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Null(ColumnType),
    Integer(i64),
    Real(f64),
    Text(String),
    Boolean(bool),
    Bytes(Vec<u8>),
}

/// SQL text and its parameters, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sql: String,
    pub params: Vec<Param>,
}

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
