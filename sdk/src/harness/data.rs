//! The plugin's own tables in memory, with the host's checks: the same
//! `invalid` messages for unknown columns and wrong types, required columns,
//! the platform-assigned `id`, conditions on update and delete, the row cap,
//! and `conflict` for a unique index.

use std::cmp::Ordering;

use super::Fault;
use super::manifest::{ColumnType, TableDef};
use crate::bindings::onewindow::platform::data::{Assignment, Condition, Predicate, Rows, SelectQuery, Value};

/// Most rows one select returns, and most values in one `one-of`.
pub(crate) const MAX_ROWS: u32 = 1000;
const MAX_ONE_OF: usize = 1000;

fn invalid(message: impl Into<String>) -> Fault {
    Fault::Invalid(message.into())
}

/// One table: its definition and its rows (`id`, then one value per declared column).
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub def: TableDef,
    pub rows: Vec<(i64, Vec<Value>)>,
    next_id: i64,
}

/// A column a condition or sort key reads: `id` or a declared column.
#[derive(Clone, Copy)]
enum Column {
    Id,
    At(usize),
}

fn read(column: Column, row: &(i64, Vec<Value>)) -> Value {
    match column {
        Column::Id => Value::Integer(row.0),
        Column::At(i) => row.1[i].clone(),
    }
}

/// A checked condition.
pub(crate) enum Test {
    Compare(Ordering, bool, Value),
    Like(String),
    OneOf(Vec<Value>),
    IsNull,
    IsNotNull,
}

impl Table {
    pub fn new(def: TableDef) -> Table {
        Table { def, rows: Vec::new(), next_id: 1 }
    }

    fn column(&self, name: &str) -> Result<(Column, ColumnType), Fault> {
        if name == "id" {
            return Ok((Column::Id, ColumnType::Integer));
        }
        self.def
            .position(name)
            .map(|i| (Column::At(i), self.def.columns[i].ty))
            .ok_or_else(|| invalid(format!("table `{}` has no column `{name}`", self.def.name)))
    }

    fn writable(&self, name: &str) -> Result<(usize, ColumnType, bool), Fault> {
        if name == "id" {
            return Err(invalid("`id` is assigned by the platform and cannot be written"));
        }
        let i = self
            .def
            .position(name)
            .ok_or_else(|| invalid(format!("table `{}` has no column `{name}`", self.def.name)))?;
        Ok((i, self.def.columns[i].ty, self.def.columns[i].required))
    }

    fn conditions(&self, conditions: &[Condition]) -> Result<Vec<(Column, Test)>, Fault> {
        conditions
            .iter()
            .map(|condition| {
                let name = condition.column.as_str();
                let (column, ty) = self.column(name)?;
                Ok((column, test(name, Some(ty), &condition.predicate)?))
            })
            .collect()
    }

    fn assignments(&self, values: &[Assignment]) -> Result<Vec<(usize, Value)>, Fault> {
        let mut out: Vec<(usize, Value)> = Vec::with_capacity(values.len());
        for assignment in values {
            let (i, ty, required) = self.writable(&assignment.column)?;
            if out.iter().any(|(known, _)| *known == i) {
                return Err(invalid(format!("column `{}` is set twice", assignment.column)));
            }
            let value = typed(&assignment.column, ty, &assignment.value)?;
            if required && matches!(value, Value::Null) {
                return Err(invalid(format!("`{}` is required and cannot be null", assignment.column)));
            }
            out.push((i, value));
        }
        Ok(out)
    }

    fn matching(&self, tests: &[(Column, Test)]) -> Vec<usize> {
        (0..self.rows.len())
            .filter(|&r| tests.iter().all(|(column, test)| passes(test, &read(*column, &self.rows[r]))))
            .collect()
    }

    /// `conflict` if two rows share the values of a unique index (rows with
    /// a null in the index never conflict, as in SQL).
    fn check_unique(&self, rows: &[(i64, Vec<Value>)]) -> Result<(), Fault> {
        for index in self.def.indexes.iter().filter(|i| i.unique) {
            let columns: Vec<Column> = index.columns.iter().filter_map(|c| self.column(c).ok()).map(|c| c.0).collect();
            let mut seen = std::collections::HashSet::new();
            for row in rows {
                let key: Vec<Value> = columns.iter().map(|c| read(*c, row)).collect();
                if key.iter().any(|v| matches!(v, Value::Null)) {
                    continue;
                }
                if !seen.insert(format!("{key:?}")) {
                    return Err(Fault::Conflict("a row with the same unique values already exists".into()));
                }
            }
        }
        Ok(())
    }

    pub fn select(&self, query: &SelectQuery) -> Result<Rows, Fault> {
        let mut columns: Vec<(String, Column)> = Vec::new();
        if query.columns.is_empty() {
            columns.push(("id".into(), Column::Id));
            columns.extend(self.def.columns.iter().enumerate().map(|(i, c)| (c.name.clone(), Column::At(i))));
        } else {
            for name in &query.columns {
                if columns.iter().any(|(known, _)| known == name) {
                    return Err(invalid(format!("column `{name}` is selected twice")));
                }
                columns.push((name.clone(), self.column(name)?.0));
            }
        }
        let tests = self.conditions(&query.conditions)?;
        let mut keys = Vec::with_capacity(query.order_by.len());
        for order in &query.order_by {
            keys.push((self.column(&order.column)?.0, order.descending));
        }
        let mut rows: Vec<&(i64, Vec<Value>)> = self.matching(&tests).into_iter().map(|r| &self.rows[r]).collect();
        rows.sort_by(|a, b| {
            keys.iter()
                .map(|(column, descending)| {
                    let ordering = sort_order(&read(*column, a), &read(*column, b));
                    if *descending { ordering.reverse() } else { ordering }
                })
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        });
        let limit = query.limit.unwrap_or(MAX_ROWS).min(MAX_ROWS) as usize;
        let offset = query.offset.unwrap_or(0) as usize;
        Ok(Rows {
            columns: columns.iter().map(|(name, _)| name.clone()).collect(),
            rows: rows
                .into_iter()
                .skip(offset)
                .take(limit)
                .map(|row| columns.iter().map(|(_, column)| read(*column, row)).collect())
                .collect(),
        })
    }

    pub fn insert(&mut self, values: &[Assignment]) -> Result<i64, Fault> {
        let set = self.assignments(values)?;
        if let Some(missing) =
            self.def.columns.iter().find(|c| c.required && !values.iter().any(|v| v.column == c.name))
        {
            return Err(invalid(format!("`{}` is required", missing.name)));
        }
        let mut row = vec![Value::Null; self.def.columns.len()];
        for (i, value) in set {
            row[i] = value;
        }
        let id = self.next_id;
        let mut rows = self.rows.clone();
        rows.push((id, row));
        self.check_unique(&rows)?;
        self.rows = rows;
        self.next_id += 1;
        Ok(id)
    }

    pub fn update(&mut self, set: &[Assignment], conditions: &[Condition]) -> Result<u64, Fault> {
        if set.is_empty() {
            return Err(invalid("update needs at least one column to set"));
        }
        if conditions.is_empty() {
            return Err(invalid("update needs at least one condition"));
        }
        let set = self.assignments(set)?;
        let tests = self.conditions(conditions)?;
        let matched = self.matching(&tests);
        let mut rows = self.rows.clone();
        for &r in &matched {
            for (i, value) in &set {
                rows[r].1[*i] = value.clone();
            }
        }
        self.check_unique(&rows)?;
        self.rows = rows;
        Ok(matched.len() as u64)
    }

    pub fn delete(&mut self, conditions: &[Condition]) -> Result<u64, Fault> {
        if conditions.is_empty() {
            return Err(invalid("delete needs at least one condition"));
        }
        let tests = self.conditions(conditions)?;
        let matched = self.matching(&tests);
        let mut r = 0;
        self.rows.retain(|_| {
            r += 1;
            !matched.contains(&(r - 1))
        });
        Ok(matched.len() as u64)
    }

    pub fn count(&self, conditions: &[Condition]) -> Result<u64, Fault> {
        let tests = self.conditions(conditions)?;
        Ok(self.matching(&tests).len() as u64)
    }
}

/// Checks a predicate on `column` of type `ty` (None: an untyped shared-record column).
pub(crate) fn test(column: &str, ty: Option<ColumnType>, predicate: &Predicate) -> Result<Test, Fault> {
    let value = |value: &Value| -> Result<Value, Fault> {
        let value = match ty {
            Some(ty) => typed(column, ty, value)?,
            None => value.clone(),
        };
        if matches!(value, Value::Null) {
            return Err(invalid(format!("`{column}`: compare with null using is-null or is-not-null")));
        }
        Ok(value)
    };
    Ok(match predicate {
        Predicate::Eq(v) => Test::Compare(Ordering::Equal, false, value(v)?),
        Predicate::Ne(v) => Test::Compare(Ordering::Equal, true, value(v)?),
        Predicate::Lt(v) => Test::Compare(Ordering::Less, false, value(v)?),
        Predicate::Ge(v) => Test::Compare(Ordering::Less, true, value(v)?),
        Predicate::Gt(v) => Test::Compare(Ordering::Greater, false, value(v)?),
        Predicate::Le(v) => Test::Compare(Ordering::Greater, true, value(v)?),
        Predicate::Like(pattern) => {
            if let Some(ty) = ty.filter(|ty| *ty != ColumnType::Text) {
                return Err(invalid(format!("`{column}` is {ty}; like needs a text column")));
            }
            Test::Like(pattern.clone())
        }
        Predicate::OneOf(values) => {
            if values.is_empty() || values.len() > MAX_ONE_OF {
                return Err(invalid(format!("`{column}`: one-of needs 1 to {MAX_ONE_OF} values")));
            }
            let mut checked = Vec::with_capacity(values.len());
            for v in values {
                if matches!(v, Value::Null) {
                    return Err(invalid(format!("`{column}`: one-of cannot hold null")));
                }
                checked.push(value(v)?);
            }
            Test::OneOf(checked)
        }
        Predicate::IsNull => Test::IsNull,
        Predicate::IsNotNull => Test::IsNotNull,
    })
}

/// Whether a stored value passes a test, with SQL's null semantics (a
/// comparison with null is never true).
pub(crate) fn passes(test: &Test, stored: &Value) -> bool {
    match test {
        Test::IsNull => matches!(stored, Value::Null),
        Test::IsNotNull => !matches!(stored, Value::Null),
        Test::Compare(ordering, negate, value) => compare(stored, value).is_some_and(|o| (o == *ordering) != *negate),
        Test::Like(pattern) => match stored {
            Value::Text(text) => like(text, pattern),
            _ => false,
        },
        Test::OneOf(values) => values.iter().any(|v| compare(stored, v) == Some(Ordering::Equal)),
    }
}

/// A value for a column of type `ty`: integers widen to reals, any other
/// mismatch is `invalid`, as on the host.
pub(crate) fn typed(column: &str, ty: ColumnType, value: &Value) -> Result<Value, Fault> {
    Ok(match (ty, value) {
        (_, Value::Null) => Value::Null,
        (ColumnType::Integer, Value::Integer(n)) => Value::Integer(*n),
        (ColumnType::Real, Value::Real(x)) => Value::Real(*x),
        (ColumnType::Real, Value::Integer(n)) => Value::Real(*n as f64),
        (ColumnType::Text, Value::Text(s)) => Value::Text(s.clone()),
        (ColumnType::Boolean, Value::Boolean(b)) => Value::Boolean(*b),
        (ColumnType::Bytes, Value::Bytes(b)) => Value::Bytes(b.clone()),
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

/// Two non-null values of comparable kinds; None otherwise (as SQL's null).
pub(crate) fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Integer(x), Value::Integer(y)) => Some(x.cmp(y)),
        (Value::Real(x), Value::Real(y)) => x.partial_cmp(y),
        (Value::Integer(x), Value::Real(y)) => (*x as f64).partial_cmp(y),
        (Value::Real(x), Value::Integer(y)) => x.partial_cmp(&(*y as f64)),
        (Value::Text(x), Value::Text(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (Value::Boolean(x), Value::Boolean(y)) => Some(x.cmp(y)),
        (Value::Bytes(x), Value::Bytes(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Sort order: nulls first (as SQLite sorts ascending), then by value.
fn sort_order(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => compare(a, b).unwrap_or(Ordering::Equal),
    }
}

/// `LOWER(text) LIKE LOWER(pattern)`: `%` any run, `_` one character, ASCII case ignored.
pub(crate) fn like(text: &str, pattern: &str) -> bool {
    let text: Vec<char> = text.chars().map(|c| c.to_ascii_lowercase()).collect();
    let pattern: Vec<char> = pattern.chars().map(|c| c.to_ascii_lowercase()).collect();
    // matches[j]: pattern[..i] matches text[..j].
    let mut matches = vec![false; text.len() + 1];
    matches[0] = true;
    for p in &pattern {
        let mut next = vec![false; text.len() + 1];
        for j in 0..=text.len() {
            next[j] = match p {
                '%' => matches[j] || (j > 0 && next[j - 1]),
                '_' => j > 0 && matches[j - 1],
                c => j > 0 && matches[j - 1] && text[j - 1] == *c,
            };
        }
        matches = next;
    }
    matches[text.len()]
}

#[cfg(test)]
mod tests {
    use super::like;

    #[test]
    fn like_has_percent_and_underscore_and_ignores_ascii_case() {
        assert!(like("Water Notes", "water%"));
        assert!(like("abc", "a_c"));
        assert!(like("abc", "%"));
        assert!(like("", "%"));
        assert!(!like("abc", "a_"));
        assert!(!like("abc", "b%"));
        assert!(like("Ärger", "Ä%"));
        assert!(!like("ärger", "Ä%"), "only ASCII letters fold");
    }
}
