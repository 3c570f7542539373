//! The `records` grant: per shared table, the operations and columns
//! (`TABLE:OP:COLUMN`) and one row scope (`TABLE:rows:SCOPE`). An admin may
//! grant fewer columns or operations, or a narrower scope (`caller` within
//! `unit` within `all`); granting `all` needs a written reason.

use crate::capabilities::grant::{CapabilityKind, Grant};
use crate::records::policy::{Item, parse_item};
use crate::registry::linkage::RowScope;
use crate::registry::manifest::Manifest;

/// The capability kind.
pub struct SharedRecords;

impl CapabilityKind for SharedRecords {
    fn name(&self) -> &'static str {
        "records"
    }
    fn description(&self) -> &'static str {
        "read and write the shared resident record: TABLE:OP:COLUMN, and TABLE:rows:caller|unit|all for whose rows"
    }
    fn requested_scope(&self, manifest: &Manifest) -> Result<Vec<String>, String> {
        if manifest.linkage.records.is_empty() {
            return Err("`records` is requested but no [[records]] are declared".into());
        }
        let mut scope = Vec::new();
        for request in &manifest.linkage.records {
            for op in &request.operations {
                for column in &request.columns {
                    scope.push(format!("{}:{}:{column}", request.table, op.as_str()));
                }
            }
            scope.push(format!("{}:rows:{}", request.table, request.scope.as_str()));
        }
        Ok(scope)
    }
    fn scoped(&self) -> bool {
        true
    }
    fn item_within(&self, item: &str, asked: &[String]) -> bool {
        if asked.iter().any(|a| a == item) {
            return true;
        }
        // A narrower row scope than the one asked for is within it.
        let Some(Item::Rows(table, scope)) = parse_item(item) else { return false };
        asked.iter().any(|a| matches!(parse_item(a), Some(Item::Rows(t, asked)) if t == table && scope <= asked))
    }
    fn check_grant(&self, grant: &Grant) -> Result<(), String> {
        let mut tables = std::collections::BTreeMap::new();
        for item in &grant.scope {
            if let Some(Item::Rows(table, scope)) = parse_item(item)
                && tables.insert(table, scope).is_some()
            {
                return Err(format!("`records`: table `{table}` is given two row scopes"));
            }
        }
        for item in &grant.scope {
            if let Some(Item::Column(table, ..)) = parse_item(item)
                && !tables.contains_key(table)
            {
                return Err(format!("`records`: `{item}` needs a row scope for `{table}` (`{table}:rows:...`)"));
            }
        }
        let wide: Vec<&str> = tables.iter().filter(|(_, s)| **s == RowScope::All).map(|(t, _)| *t).collect();
        if !wide.is_empty() && grant.reason.as_deref().is_none_or(|r| r.trim().chars().count() < 10) {
            return Err(format!(
                "`records`: every row of {} is granted only with a written reason (`reason`, 10 characters or more)",
                wide.join(", ")
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capabilities::grant::check_within;

    fn grant(scope: &[&str], reason: Option<&str>) -> Grant {
        Grant {
            capability: "records".into(),
            scope: scope.iter().map(|s| (*s).to_owned()).collect(),
            reason: reason.map(str::to_owned),
        }
    }

    #[test]
    fn admins_may_narrow_columns_operations_and_scope() {
        let asked =
            [grant(&["resident_profile:read:name", "resident_profile:read:phone", "resident_profile:rows:all"], None)];
        assert_eq!(
            check_within(&[grant(&["resident_profile:read:name", "resident_profile:rows:unit"], None)], &asked),
            Ok(())
        );
        assert_eq!(
            check_within(&[grant(&["resident_profile:read:name", "resident_profile:rows:caller"], None)], &asked),
            Ok(())
        );
        let all = grant(&["resident_profile:read:name", "resident_profile:rows:all"], None);
        assert!(check_within(&[all], &asked).unwrap_err().contains("written reason"));
        let all = grant(&["resident_profile:read:name", "resident_profile:rows:all"], Some("city-wide census check"));
        assert_eq!(check_within(&[all], &asked), Ok(()));
        let narrow_ask = [grant(&["resident_profile:read:name", "resident_profile:rows:caller"], None)];
        let wider = grant(&["resident_profile:read:name", "resident_profile:rows:unit"], None);
        assert!(check_within(&[wider], &narrow_ask).unwrap_err().contains("not requested"));
        let no_rows = grant(&["resident_profile:read:name"], None);
        assert!(check_within(&[no_rows], &asked).unwrap_err().contains("needs a row scope"));
    }
}
