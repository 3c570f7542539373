//! Property test of the SQL builder: for any structured query a plugin can
//! send — names and values made up by an attacker included — the SQL names
//! only the plugin's table, `id` and its manifest columns, carries no value
//! of its own, and binds exactly one parameter per placeholder.

use proptest::prelude::*;

use super::sql::{self, SchemaTable, Statement};
use crate::registry::manifest::{ColumnDef, ColumnType, TableDef};
use crate::wit::onewindow::platform::data::{Assignment, Condition, Order, Predicate, SelectQuery, Value};

const PHYSICAL: &str = "p_demo__notes";
const COLUMNS: [&str; 4] = ["body", "weight", "done", "blob"];

fn table() -> SchemaTable {
    let column = |name: &str, ty| ColumnDef { name: name.into(), ty, required: false };
    SchemaTable {
        physical: PHYSICAL.into(),
        def: TableDef {
            name: "notes".into(),
            columns: vec![
                column("body", ColumnType::Text),
                column("weight", ColumnType::Real),
                column("done", ColumnType::Boolean),
                column("blob", ColumnType::Bytes),
            ],
            indexes: vec![],
        },
    }
}

/// Mostly real column names (so most queries get past the checks), some
/// made up, some hostile.
fn column_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec!["id", "body", "weight", "done", "blob"]).prop_map(str::to_owned),
        1 => any::<String>(),
        1 => prop::sample::select(vec!["body\" OR 1=1 --", "id\"; DROP TABLE x; --", "p_other__t", "BODY"])
            .prop_map(str::to_owned),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(Value::Integer),
        any::<f64>().prop_map(Value::Real),
        any::<bool>().prop_map(Value::Boolean),
        any::<String>().prop_map(Value::Text),
        ".*'.*".prop_map(Value::Text),
        prop::collection::vec(any::<u8>(), 0..16).prop_map(Value::Bytes),
    ]
}

fn predicate() -> impl Strategy<Value = Predicate> {
    prop_oneof![
        value().prop_map(Predicate::Eq),
        value().prop_map(Predicate::Ne),
        value().prop_map(Predicate::Lt),
        value().prop_map(Predicate::Ge),
        any::<String>().prop_map(Predicate::Like),
        prop::collection::vec(value(), 0..4).prop_map(Predicate::OneOf),
        Just(Predicate::IsNull),
        Just(Predicate::IsNotNull),
    ]
}

fn conditions() -> impl Strategy<Value = Vec<Condition>> {
    prop::collection::vec(
        (column_name(), predicate()).prop_map(|(column, predicate)| Condition { column, predicate }),
        0..4,
    )
}

fn assignments() -> impl Strategy<Value = Vec<Assignment>> {
    prop::collection::vec((column_name(), value()).prop_map(|(column, value)| Assignment { column, value }), 0..4)
}

fn select_query() -> impl Strategy<Value = SelectQuery> {
    (
        prop::collection::vec(column_name(), 0..4),
        conditions(),
        prop::collection::vec(
            (column_name(), any::<bool>()).prop_map(|(column, descending)| Order { column, descending }),
            0..3,
        ),
        proptest::option::of(any::<u32>()),
        proptest::option::of(any::<u32>()),
    )
        .prop_map(|(columns, conditions, order_by, limit, offset)| SelectQuery {
            table: "notes".into(),
            columns,
            conditions,
            order_by,
            limit,
            offset,
        })
}

/// The SQL's quoted identifiers are the table, `id` or manifest columns;
/// outside them it holds keywords, placeholders and punctuation only (no
/// literal of any kind), and each placeholder has its parameter.
fn assert_safe(statement: &Statement) {
    // The one literal the builder writes: LIKE's escape character.
    let sql = statement.sql.replace(" ESCAPE '\\'", " ESCAPE");
    let mut outside = String::new();
    let mut parts = sql.split('"');
    outside.push_str(parts.next().unwrap_or_default());
    while let Some(identifier) = parts.next() {
        assert!(
            identifier == PHYSICAL || identifier == "id" || COLUMNS.contains(&identifier),
            "unexpected identifier {identifier:?} in {}",
            statement.sql
        );
        outside.push_str(parts.next().expect("every quote is closed"));
    }
    let words: Vec<&str> = outside.split(|c: char| " ,()=<>".contains(c)).filter(|w| !w.is_empty()).collect();
    let mut placeholders = Vec::new();
    for word in words {
        if let Some(n) = word.strip_prefix('$') {
            placeholders.push(n.parse::<usize>().expect("a numbered placeholder"));
        } else {
            assert!(
                word.chars().all(|c| c.is_ascii_uppercase() || c == '*'),
                "unexpected word {word:?} in {}",
                statement.sql
            );
        }
    }
    placeholders.sort_unstable();
    let expected: Vec<usize> = (1..=statement.params.len()).collect();
    assert_eq!(placeholders, expected, "one placeholder per parameter in {}", statement.sql);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn selects_name_only_known_columns_and_bind_every_value(query in select_query()) {
        if let Ok(select) = sql::select(&table(), &query) {
            assert_safe(&select.statement);
        }
    }

    #[test]
    fn writes_and_counts_name_only_known_columns_and_bind_every_value(
        set in assignments(),
        conditions in conditions(),
    ) {
        let table = table();
        for statement in [
            sql::insert(&table, &set),
            sql::update(&table, &set, &conditions),
            sql::delete(&table, &conditions),
            sql::count(&table, &conditions),
        ]
        .into_iter()
        .flatten()
        {
            assert_safe(&statement);
        }
    }
}
