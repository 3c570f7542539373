//! Structured data operations → parameterised SQL. Identifiers come only
//! from the plugin's checked manifest (every name a plugin sends is looked up
//! there first); every value is a bind parameter. The SQL is the subset
//! SQLite and PostgreSQL share, with `$n` placeholders.

use crate::registry::manifest::{ColumnType, TableDef};
pub use crate::store::statement::{Param, Statement};
use crate::wit::CapabilityError as DataError;
use crate::wit::onewindow::platform::data::{Assignment, Condition, Predicate, SelectQuery, Value};

/// Most rows one select returns, and most values in one `one-of`.
pub const MAX_ROWS: u32 = 1000;
pub const MAX_ONE_OF: usize = 1000;
/// Most bytes one select returns (text and bytes by length, other values
/// 8 each): 1000 rows of large values would otherwise fill the host.
pub const MAX_SELECT_BYTES: usize = 8 << 20;
/// Largest text or bytes value a plugin may write or compare with.
pub const MAX_VALUE_BYTES: usize = 1 << 20;
/// Most conditions in one call.
pub const MAX_CONDITIONS: usize = 64;

/// A table as the data capability sees it: its manifest definition and
/// its physical name.
#[derive(Debug, Clone)]
pub struct SchemaTable {
    pub physical: String,
    pub def: TableDef,
}

/// A select, and the columns (with types) each returned row holds.
pub struct SelectStatement {
    pub statement: Statement,
    pub columns: Vec<(String, ColumnType)>,
}

fn invalid(message: impl Into<String>) -> DataError {
    DataError::Invalid(message.into())
}

impl SchemaTable {
    /// The type of a column, `id` included.
    fn column_type(&self, column: &str) -> Result<ColumnType, DataError> {
        if column == "id" {
            return Ok(ColumnType::Integer);
        }
        self.def
            .column(column)
            .map(|c| c.ty)
            .ok_or_else(|| invalid(format!("table `{}` has no column `{column}`", self.def.name)))
    }

    /// A writable column (not `id`).
    fn writable(&self, column: &str) -> Result<(ColumnType, bool), DataError> {
        if column == "id" {
            return Err(invalid("`id` is assigned by the platform and cannot be written"));
        }
        let def = self
            .def
            .column(column)
            .ok_or_else(|| invalid(format!("table `{}` has no column `{column}`", self.def.name)))?;
        Ok((def.ty, def.required))
    }
}

/// Builds a statement, numbering placeholders as parameters are added.
struct Builder {
    params: Vec<Param>,
}

impl Builder {
    fn new() -> Builder {
        Builder { params: Vec::new() }
    }

    fn bind(&mut self, param: Param) -> String {
        self.params.push(param);
        format!("${}", self.params.len())
    }

    fn finish(self, sql: String) -> Statement {
        Statement { sql, params: self.params }
    }

    /// ` WHERE a AND b`, or nothing for no conditions.
    fn where_clause(&mut self, table: &SchemaTable, conditions: &[Condition]) -> Result<String, DataError> {
        if conditions.len() > MAX_CONDITIONS {
            return Err(invalid(format!("{} conditions; at most {MAX_CONDITIONS} in one call", conditions.len())));
        }
        let mut parts = Vec::with_capacity(conditions.len());
        for condition in conditions {
            parts.push(self.condition(table, condition)?);
        }
        Ok(if parts.is_empty() { String::new() } else { format!(" WHERE {}", parts.join(" AND ")) })
    }

    fn condition(&mut self, table: &SchemaTable, condition: &Condition) -> Result<String, DataError> {
        let column = condition.column.as_str();
        let ty = table.column_type(column)?;
        let quoted = format!("\"{column}\"");
        let compare = |builder: &mut Builder, op: &str, value: &Value| -> Result<String, DataError> {
            let param = typed_param(column, ty, value)?;
            if matches!(param, Param::Null(_)) {
                return Err(invalid(format!("`{column}`: compare with null using is-null or is-not-null")));
            }
            Ok(format!("{quoted} {op} {}", builder.bind(param)))
        };
        match &condition.predicate {
            Predicate::Eq(v) => compare(self, "=", v),
            Predicate::Ne(v) => compare(self, "<>", v),
            Predicate::Lt(v) => compare(self, "<", v),
            Predicate::Le(v) => compare(self, "<=", v),
            Predicate::Gt(v) => compare(self, ">", v),
            Predicate::Ge(v) => compare(self, ">=", v),
            Predicate::Like(pattern) => {
                if ty != ColumnType::Text {
                    return Err(invalid(format!("`{column}` is {ty}; like needs a text column")));
                }
                // LOWER on both sides: SQLite's LIKE ignores ASCII case and
                // PostgreSQL's does not; this makes them agree. The escape
                // is named: PostgreSQL has `\` by default, SQLite none.
                let trailing_escapes = pattern.bytes().rev().take_while(|b| *b == b'\\').count();
                if trailing_escapes % 2 == 1 {
                    return Err(invalid(format!("`{column}`: a like pattern cannot end with a lone `\\`")));
                }
                let param = typed_param(column, ty, &Value::Text(pattern.clone()))?;
                Ok(format!("LOWER({quoted}) LIKE LOWER({}) ESCAPE '\\'", self.bind(param)))
            }
            Predicate::OneOf(values) => {
                if values.is_empty() || values.len() > MAX_ONE_OF {
                    return Err(invalid(format!("`{column}`: one-of needs 1 to {MAX_ONE_OF} values")));
                }
                let mut placeholders = Vec::with_capacity(values.len());
                for value in values {
                    let param = typed_param(column, ty, value)?;
                    if matches!(param, Param::Null(_)) {
                        return Err(invalid(format!("`{column}`: one-of cannot hold null")));
                    }
                    placeholders.push(self.bind(param));
                }
                Ok(format!("{quoted} IN ({})", placeholders.join(", ")))
            }
            Predicate::IsNull => Ok(format!("{quoted} IS NULL")),
            Predicate::IsNotNull => Ok(format!("{quoted} IS NOT NULL")),
        }
    }
}

/// A value as a parameter for a column of type `ty`. Integers are accepted
/// for real columns; every other mismatch is refused.
fn typed_param(column: &str, ty: ColumnType, value: &Value) -> Result<Param, DataError> {
    let size = match value {
        Value::Text(text) => text.len(),
        Value::Bytes(bytes) => bytes.len(),
        _ => 0,
    };
    if size > MAX_VALUE_BYTES {
        return Err(invalid(format!("`{column}`: a value of {size} bytes; at most {MAX_VALUE_BYTES} (1 MiB)")));
    }
    Ok(match (ty, value) {
        (_, Value::Null) => Param::Null(ty),
        (ColumnType::Integer, Value::Integer(n)) => Param::Integer(*n),
        (ColumnType::Real, Value::Real(x)) => Param::Real(*x),
        (ColumnType::Real, Value::Integer(n)) => Param::Real(*n as f64),
        (ColumnType::Text, Value::Text(s)) => Param::Text(s.clone()),
        (ColumnType::Boolean, Value::Boolean(b)) => Param::Boolean(*b),
        (ColumnType::Bytes, Value::Bytes(b)) => Param::Bytes(b.clone()),
        (_, other) => return Err(invalid(format!("`{column}` is {ty}, got {}", value_kind(other)))),
    })
}

fn value_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Integer(_) => "an integer",
        Value::Real(_) => "a real",
        Value::Text(_) => "text",
        Value::Boolean(_) => "a boolean",
        Value::Bytes(_) => "bytes",
    }
}

/// `SELECT ... FROM ... WHERE ... ORDER BY ... LIMIT ... OFFSET ...`
pub fn select(table: &SchemaTable, query: &SelectQuery) -> Result<SelectStatement, DataError> {
    let mut columns = Vec::new();
    if query.columns.is_empty() {
        columns.push(("id".to_owned(), ColumnType::Integer));
        columns.extend(table.def.columns.iter().map(|c| (c.name.clone(), c.ty)));
    } else {
        for name in &query.columns {
            if columns.iter().any(|(known, _)| known == name) {
                return Err(invalid(format!("column `{name}` is selected twice")));
            }
            columns.push((name.clone(), table.column_type(name)?));
        }
    }
    let mut builder = Builder::new();
    let list = columns.iter().map(|(name, _)| format!("\"{name}\"")).collect::<Vec<_>>().join(", ");
    let mut sql = format!("SELECT {list} FROM \"{}\"", table.physical);
    sql += &builder.where_clause(table, &query.conditions)?;
    if !query.order_by.is_empty() {
        let mut keys = Vec::with_capacity(query.order_by.len());
        for order in &query.order_by {
            table.column_type(&order.column)?;
            // Nulls sort as the smallest value on both backends (SQLite's
            // rule; PostgreSQL's default is the opposite).
            let direction = if order.descending { "DESC NULLS LAST" } else { "ASC NULLS FIRST" };
            keys.push(format!("\"{}\" {direction}", order.column));
        }
        sql += &format!(" ORDER BY {}", keys.join(", "));
    }
    let limit = query.limit.unwrap_or(MAX_ROWS).min(MAX_ROWS);
    sql += &format!(" LIMIT {}", builder.bind(Param::Integer(limit.into())));
    if let Some(offset) = query.offset {
        sql += &format!(" OFFSET {}", builder.bind(Param::Integer(offset.into())));
    }
    Ok(SelectStatement { statement: builder.finish(sql), columns })
}

/// `INSERT INTO ... (...) VALUES (...) RETURNING "id"`
pub fn insert(table: &SchemaTable, values: &[Assignment]) -> Result<Statement, DataError> {
    let mut builder = Builder::new();
    let mut names = Vec::with_capacity(values.len());
    let mut placeholders = Vec::with_capacity(values.len());
    for assignment in values {
        let (ty, required) = table.writable(&assignment.column)?;
        if names.contains(&format!("\"{}\"", assignment.column)) {
            return Err(invalid(format!("column `{}` is set twice", assignment.column)));
        }
        let param = typed_param(&assignment.column, ty, &assignment.value)?;
        if required && matches!(param, Param::Null(_)) {
            return Err(invalid(format!("`{}` is required and cannot be null", assignment.column)));
        }
        names.push(format!("\"{}\"", assignment.column));
        placeholders.push(builder.bind(param));
    }
    if let Some(missing) = table.def.columns.iter().find(|c| c.required && !values.iter().any(|v| v.column == c.name)) {
        return Err(invalid(format!("`{}` is required", missing.name)));
    }
    let sql = if names.is_empty() {
        format!("INSERT INTO \"{}\" DEFAULT VALUES RETURNING \"id\"", table.physical)
    } else {
        format!(
            "INSERT INTO \"{}\" ({}) VALUES ({}) RETURNING \"id\"",
            table.physical,
            names.join(", "),
            placeholders.join(", ")
        )
    };
    Ok(builder.finish(sql))
}

/// `UPDATE ... SET ... WHERE ...` (conditions required).
pub fn update(table: &SchemaTable, set: &[Assignment], conditions: &[Condition]) -> Result<Statement, DataError> {
    if set.is_empty() {
        return Err(invalid("update needs at least one column to set"));
    }
    if conditions.is_empty() {
        return Err(invalid("update needs at least one condition"));
    }
    let mut builder = Builder::new();
    let mut assignments = Vec::with_capacity(set.len());
    for assignment in set {
        let (ty, required) = table.writable(&assignment.column)?;
        if set.iter().filter(|a| a.column == assignment.column).count() > 1 {
            return Err(invalid(format!("column `{}` is set twice", assignment.column)));
        }
        let param = typed_param(&assignment.column, ty, &assignment.value)?;
        if required && matches!(param, Param::Null(_)) {
            return Err(invalid(format!("`{}` is required and cannot be null", assignment.column)));
        }
        assignments.push(format!("\"{}\" = {}", assignment.column, builder.bind(param)));
    }
    let mut sql = format!("UPDATE \"{}\" SET {}", table.physical, assignments.join(", "));
    sql += &builder.where_clause(table, conditions)?;
    Ok(builder.finish(sql))
}

/// `DELETE FROM ... WHERE ...` (conditions required).
pub fn delete(table: &SchemaTable, conditions: &[Condition]) -> Result<Statement, DataError> {
    if conditions.is_empty() {
        return Err(invalid("delete needs at least one condition"));
    }
    let mut builder = Builder::new();
    let mut sql = format!("DELETE FROM \"{}\"", table.physical);
    sql += &builder.where_clause(table, conditions)?;
    Ok(builder.finish(sql))
}

/// `SELECT COUNT(*) FROM ... WHERE ...`
pub fn count(table: &SchemaTable, conditions: &[Condition]) -> Result<Statement, DataError> {
    let mut builder = Builder::new();
    let mut sql = format!("SELECT COUNT(*) FROM \"{}\"", table.physical);
    sql += &builder.where_clause(table, conditions)?;
    Ok(builder.finish(sql))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::manifest::ColumnDef;
    use crate::wit::onewindow::platform::data::Order;

    fn notes() -> SchemaTable {
        SchemaTable {
            physical: "p_demo__notes".into(),
            def: TableDef {
                name: "notes".into(),
                columns: vec![
                    ColumnDef { name: "body".into(), ty: ColumnType::Text, required: true },
                    ColumnDef { name: "weight".into(), ty: ColumnType::Real, required: false },
                    ColumnDef { name: "done".into(), ty: ColumnType::Boolean, required: false },
                ],
                indexes: vec![],
            },
        }
    }

    fn cond(column: &str, predicate: Predicate) -> Condition {
        Condition { column: column.into(), predicate }
    }

    fn set(column: &str, value: Value) -> Assignment {
        Assignment { column: column.into(), value }
    }

    fn is_invalid(result: Result<impl std::fmt::Debug, DataError>, needle: &str) {
        match result {
            Err(DataError::Invalid(message)) => assert!(message.contains(needle), "{message:?} lacks {needle:?}"),
            other => panic!("expected invalid({needle}), got {other:?}"),
        }
    }

    #[test]
    fn select_binds_every_value_and_names_only_known_columns() {
        let query = SelectQuery {
            table: "notes".into(),
            columns: vec![],
            conditions: vec![
                cond("body", Predicate::Like("%x%".into())),
                cond("id", Predicate::OneOf(vec![Value::Integer(1), Value::Integer(2)])),
                cond("done", Predicate::IsNull),
            ],
            order_by: vec![Order { column: "weight".into(), descending: true }],
            limit: Some(5000),
            offset: Some(10),
        };
        let select = select(&notes(), &query).unwrap();
        assert_eq!(
            select.statement.sql,
            "SELECT \"id\", \"body\", \"weight\", \"done\" FROM \"p_demo__notes\" WHERE LOWER(\"body\") LIKE LOWER($1) ESCAPE '\\' AND \"id\" IN ($2, $3) AND \"done\" IS NULL ORDER BY \"weight\" DESC NULLS LAST LIMIT $4 OFFSET $5"
        );
        assert_eq!(select.statement.params[3], Param::Integer(MAX_ROWS.into()), "limit is capped");
        assert_eq!(select.columns.len(), 4);
    }

    #[test]
    fn hostile_names_never_reach_the_sql() {
        let query = SelectQuery {
            table: "notes".into(),
            columns: vec!["body\"; DROP TABLE accounts; --".into()],
            conditions: vec![],
            order_by: vec![],
            limit: None,
            offset: None,
        };
        is_invalid(select(&notes(), &query).map(|s| s.statement), "has no column");
        is_invalid(count(&notes(), &[cond("x\" OR 1=1 --", Predicate::IsNull)]), "has no column");
    }

    #[test]
    fn values_must_match_column_types() {
        is_invalid(
            count(&notes(), &[cond("body", Predicate::Eq(Value::Integer(1)))]),
            "`body` is text, got an integer",
        );
        is_invalid(count(&notes(), &[cond("body", Predicate::Eq(Value::Null))]), "is-null");
        is_invalid(count(&notes(), &[cond("weight", Predicate::Like("1%".into()))]), "like needs a text column");
        is_invalid(count(&notes(), &[cond("body", Predicate::Like("100\\".into()))]), "lone `\\`");
        assert!(count(&notes(), &[cond("body", Predicate::Like("100\\%".into()))]).is_ok(), "an escaped %");
        is_invalid(count(&notes(), &[cond("id", Predicate::OneOf(vec![]))]), "1 to 1000");
        // Integers widen to reals.
        let widened =
            update(&notes(), &[set("weight", Value::Integer(2))], &[cond("id", Predicate::Eq(Value::Integer(1)))])
                .unwrap();
        assert_eq!(widened.params[0], Param::Real(2.0));
    }

    #[test]
    fn values_and_condition_lists_are_capped_in_size() {
        let big = || Value::Text("x".repeat(MAX_VALUE_BYTES + 1));
        is_invalid(insert(&notes(), &[set("body", big())]), "at most 1048576 (1 MiB)");
        is_invalid(count(&notes(), &[cond("body", Predicate::Eq(big()))]), "at most 1048576");
        is_invalid(count(&notes(), &[cond("body", Predicate::Like("x".repeat(MAX_VALUE_BYTES + 1)))]), "at most");
        assert!(insert(&notes(), &[set("body", Value::Text("x".repeat(MAX_VALUE_BYTES)))]).is_ok(), "1 MiB fits");
        let many = vec![cond("done", Predicate::IsNull); MAX_CONDITIONS + 1];
        is_invalid(count(&notes(), &many), "at most 64 in one call");
        assert!(count(&notes(), &many[..MAX_CONDITIONS]).is_ok());
    }

    #[test]
    fn inserts_need_required_columns_and_never_set_id() {
        let ok = insert(&notes(), &[set("body", Value::Text("hi".into())), set("weight", Value::Null)]).unwrap();
        assert_eq!(ok.sql, "INSERT INTO \"p_demo__notes\" (\"body\", \"weight\") VALUES ($1, $2) RETURNING \"id\"");
        assert_eq!(ok.params[1], Param::Null(ColumnType::Real));
        is_invalid(insert(&notes(), &[set("weight", Value::Real(1.0))]), "`body` is required");
        is_invalid(insert(&notes(), &[set("body", Value::Null)]), "cannot be null");
        is_invalid(
            insert(&notes(), &[set("id", Value::Integer(7)), set("body", Value::Text("x".into()))]),
            "assigned by the platform",
        );
        is_invalid(
            insert(&notes(), &[set("body", Value::Text("a".into())), set("body", Value::Text("b".into()))]),
            "set twice",
        );
    }

    #[test]
    fn updates_and_deletes_need_a_condition() {
        is_invalid(update(&notes(), &[set("body", Value::Text("x".into()))], &[]), "at least one condition");
        is_invalid(delete(&notes(), &[]), "at least one condition");
        let deleted = delete(&notes(), &[cond("done", Predicate::Eq(Value::Boolean(true)))]).unwrap();
        assert_eq!(deleted.sql, "DELETE FROM \"p_demo__notes\" WHERE \"done\" = $1");
    }
}
