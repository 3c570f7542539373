//! What a set of `records` grants allows, per shared table: the operations
//! and columns, the row scope and the purpose. Built once per plugin
//! version (or per unit, for the staff console) and asked on every call.
//!
//! Grant scope items (see `capabilities::records::grant`):
//! `TABLE:OP:COLUMN` for each operation and column, and `TABLE:rows:SCOPE`.

use std::collections::{BTreeMap, BTreeSet};

use crate::capabilities::grant::Grant;
use crate::registry::linkage::{RecordOp, RowScope};
use crate::registry::manifest::Localized;

/// What is granted on one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TablePolicy {
    pub columns: BTreeMap<RecordOp, BTreeSet<String>>,
    pub scope: RowScope,
    pub purpose: Localized,
}

impl TablePolicy {
    /// Whether `column` is granted for `op`.
    pub fn allows(&self, op: RecordOp, column: &str) -> bool {
        self.columns.get(&op).is_some_and(|c| c.contains(column))
    }

    /// Whether `op` is granted at all.
    pub fn allows_op(&self, op: RecordOp) -> bool {
        self.columns.get(&op).is_some_and(|c| !c.is_empty())
    }
}

/// What a set of grants allows on the shared record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordPolicy {
    tables: BTreeMap<String, TablePolicy>,
}

impl RecordPolicy {
    /// The policy of `grants`, with each table's purpose from `purpose_of`
    /// (the manifest's, or the staff console's). Items that do not parse are
    /// ignored (grants are checked when given); a table without a rows item
    /// is not granted.
    pub fn from_grants(grants: &[Grant], purpose_of: impl Fn(&str) -> Localized) -> RecordPolicy {
        let mut columns: BTreeMap<String, BTreeMap<RecordOp, BTreeSet<String>>> = BTreeMap::new();
        let mut scopes: BTreeMap<String, RowScope> = BTreeMap::new();
        for item in grants.iter().filter(|g| g.capability == "records").flat_map(|g| &g.scope) {
            match parse_item(item) {
                Some(Item::Rows(table, scope)) => {
                    scopes.insert(table.to_owned(), scope);
                }
                Some(Item::Column(table, op, column)) => {
                    columns.entry(table.to_owned()).or_default().entry(op).or_default().insert(column.to_owned());
                }
                None => {}
            }
        }
        let tables = scopes
            .into_iter()
            .map(|(table, scope)| {
                let purpose = purpose_of(&table);
                let columns = columns.remove(&table).unwrap_or_default();
                (table, TablePolicy { columns, scope, purpose })
            })
            .collect();
        RecordPolicy { tables }
    }

    /// The policy on one table, if it is granted.
    pub fn table(&self, name: &str) -> Option<&TablePolicy> {
        self.tables.get(name)
    }

    /// Whether anything is granted.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }
}

/// The columns of their own profile a resident may correct themselves;
/// identity facts (ID number, date of birth, gender, ethnicity) are set
/// once and then changed only at a registration desk.
pub const SELF_CORRECTABLE: [&str; 5] = ["name", "phone", "registered_address", "current_address", "area"];

/// What a resident may do with their own profile through the portal.
pub fn resident_self(purpose: Localized) -> RecordPolicy {
    let table = crate::records::schema::schema().table("resident_profile").expect("the schema has resident_profile");
    let all: BTreeSet<String> =
        table.columns.iter().map(|c| c.name.clone()).chain([crate::records::schema::AREA_COLUMN.to_owned()]).collect();
    let columns = BTreeMap::from([
        (RecordOp::Read, all.clone()),
        (RecordOp::Insert, all),
        (RecordOp::Update, SELF_CORRECTABLE.iter().map(|c| (*c).to_owned()).collect()),
    ]);
    let policy = TablePolicy { columns, scope: RowScope::Caller, purpose };
    RecordPolicy { tables: BTreeMap::from([("resident_profile".to_owned(), policy)]) }
}

/// A policy from explicit table policies (the staff console's).
pub fn from_tables(tables: BTreeMap<String, TablePolicy>) -> RecordPolicy {
    RecordPolicy { tables }
}

/// One parsed scope item.
pub enum Item<'a> {
    Rows(&'a str, RowScope),
    Column(&'a str, RecordOp, &'a str),
}

/// Parses `TABLE:rows:SCOPE` or `TABLE:OP:COLUMN`.
pub fn parse_item(item: &str) -> Option<Item<'_>> {
    let mut parts = item.splitn(3, ':');
    let (table, middle, last) = (parts.next()?, parts.next()?, parts.next()?);
    if middle == "rows" {
        return Some(Item::Rows(table, RowScope::parse(last)?));
    }
    Some(Item::Column(table, RecordOp::parse(middle)?, last))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn purpose(_: &str) -> Localized {
        Localized { zh: "目的".into(), ug: "مەقسەت".into(), en: "purpose".into() }
    }

    #[test]
    fn grants_become_a_policy_per_table() {
        let grant = Grant {
            capability: "records".into(),
            scope: vec![
                "resident_profile:read:name".into(),
                "resident_profile:read:phone".into(),
                "resident_profile:update:phone".into(),
                "resident_profile:rows:caller".into(),
                "household:read:relation".into(), // no rows item: not granted
                "nonsense".into(),
            ],
            reason: None,
        };
        let policy = RecordPolicy::from_grants(&[grant], purpose);
        let profile = policy.table("resident_profile").unwrap();
        assert_eq!(profile.scope, RowScope::Caller);
        assert!(profile.allows(RecordOp::Read, "phone") && profile.allows(RecordOp::Update, "phone"));
        assert!(!profile.allows(RecordOp::Update, "name") && !profile.allows_op(RecordOp::Insert));
        assert!(policy.table("household").is_none());
    }
}
