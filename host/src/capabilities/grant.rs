//! The generic grant model. Every capability kind says, in the same terms,
//! what a manifest may request of it, whether a grant stays within a
//! request, and how a request widens what is granted now. Review,
//! approval and the diff an admin sees treat every kind alike.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::registry::manifest::Manifest;

/// A capability requested or granted: its kind and its scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    /// The capability kind, e.g. `data` or `log`.
    pub capability: String,
    /// What within that capability; its shape depends on the kind
    /// (`data`: the tables; `log`: nothing).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scope: Vec<String>,
    /// The admin's written reason, required where a kind says so (a
    /// `records` grant of every row of a table).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One capability kind.
pub trait CapabilityKind: Sync {
    /// The name used in manifests, grants and the CLI.
    fn name(&self) -> &'static str;
    /// One line for the admin reviewing it.
    fn description(&self) -> &'static str;
    /// What a manifest that asks for this kind requests; `Err` when the
    /// request does not fit the manifest.
    fn requested_scope(&self, manifest: &Manifest) -> Result<Vec<String>, String>;
    /// Whether a scope has a meaning for this kind at all (`log` has none).
    fn scoped(&self) -> bool;
    /// Whether the granted scope item stays within what was asked; by
    /// default only an item that was asked for does.
    fn item_within(&self, item: &str, asked: &[String]) -> bool {
        asked.iter().any(|a| a == item)
    }
    /// Checks a whole grant of this kind (beyond item by item).
    fn check_grant(&self, _grant: &Grant) -> Result<(), String> {
        Ok(())
    }
}

/// `data`: the plugin's own tables, by name.
struct OwnTables;

impl CapabilityKind for OwnTables {
    fn name(&self) -> &'static str {
        "data"
    }
    fn description(&self) -> &'static str {
        "read and write the plugin's own tables (named in the scope)"
    }
    fn requested_scope(&self, manifest: &Manifest) -> Result<Vec<String>, String> {
        if manifest.tables.is_empty() {
            return Err("`data` is requested but no tables are declared".into());
        }
        Ok(manifest.tables.iter().map(|t| t.name.clone()).collect())
    }
    fn scoped(&self) -> bool {
        true
    }
}

/// `log`: structured log lines in the host's log.
struct Log;

impl CapabilityKind for Log {
    fn name(&self) -> &'static str {
        "log"
    }
    fn description(&self) -> &'static str {
        "write log lines to the platform's log"
    }
    fn requested_scope(&self, _: &Manifest) -> Result<Vec<String>, String> {
        Ok(Vec::new())
    }
    fn scoped(&self) -> bool {
        false
    }
}

/// Every capability kind the host knows.
pub fn kinds() -> &'static [&'static dyn CapabilityKind] {
    &[
        &OwnTables,
        &Log,
        &super::records::grant::SharedRecords,
        &super::cases::grant::Cases,
        &super::notify::grant::Notify,
    ]
}

/// A kind by name.
pub fn kind(name: &str) -> Option<&'static dyn CapabilityKind> {
    kinds().iter().copied().find(|k| k.name() == name)
}

/// The names of every kind, for error messages.
pub fn known_names() -> String {
    kinds().iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
}

/// The grants a manifest requests, one per capability it names.
pub fn requested(manifest: &Manifest) -> Result<Vec<Grant>, String> {
    manifest
        .capabilities
        .iter()
        .map(|name| {
            let kind = kind(name).ok_or_else(|| format!("unknown capability `{name}`; known: {}", known_names()))?;
            Ok(Grant { capability: name.clone(), scope: kind.requested_scope(manifest)?, reason: None })
        })
        .collect()
}

/// Checks that `granted` asks for nothing beyond `requested`; names the
/// first grant that does.
pub fn check_within(granted: &[Grant], requested: &[Grant]) -> Result<(), String> {
    let mut seen = BTreeSet::new();
    for grant in granted {
        let Some(kind) = kind(&grant.capability) else {
            return Err(format!("unknown capability `{}`; known: {}", grant.capability, known_names()));
        };
        if !seen.insert(grant.capability.as_str()) {
            return Err(format!("`{}` is granted twice", grant.capability));
        }
        let Some(asked) = requested.iter().find(|r| r.capability == grant.capability) else {
            return Err(format!("`{}` was not requested", grant.capability));
        };
        if !kind.scoped() && !grant.scope.is_empty() {
            return Err(format!("`{}` takes no scope", grant.capability));
        }
        if let Some(extra) = grant.scope.iter().find(|s| !kind.item_within(s, &asked.scope)) {
            return Err(format!("`{}` scope `{extra}` was not requested", grant.capability));
        }
        kind.check_grant(grant)?;
    }
    Ok(())
}

/// What `requested` would add to `current` (the grants in force now):
/// whole capabilities that are new, and scope items that widen one.
pub fn widening(current: &[Grant], requested: &[Grant]) -> Vec<String> {
    let mut changes = Vec::new();
    for ask in requested {
        match current.iter().find(|c| c.capability == ask.capability) {
            None if ask.scope.is_empty() => changes.push(format!("new capability `{}`", ask.capability)),
            None => changes.push(format!("new capability `{}` ({})", ask.capability, ask.scope.join(", "))),
            Some(now) => {
                let added: Vec<&str> =
                    ask.scope.iter().filter(|s| !now.scope.contains(s)).map(String::as_str).collect();
                if !added.is_empty() {
                    changes.push(format!("`{}` widened by {}", ask.capability, added.join(", ")));
                }
            }
        }
    }
    changes
}

/// One line saying what a grant allows, for the reviewer.
pub fn explain(grant: &Grant) -> String {
    let description = kind(&grant.capability).map_or("unknown capability", |k| k.description());
    if grant.scope.is_empty() {
        format!("{}: {description}", grant.capability)
    } else {
        format!("{}: {description}: {}", grant.capability, grant.scope.join(", "))
    }
}

/// Whether `grants` include `capability` (with `item` in its scope, if given).
pub fn allows(grants: &[Grant], capability: &str, item: Option<&str>) -> bool {
    grants.iter().any(|g| g.capability == capability && item.is_none_or(|i| g.scope.iter().any(|s| s == i)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(capability: &str, scope: &[&str]) -> Grant {
        Grant { capability: capability.into(), scope: scope.iter().map(|s| (*s).to_owned()).collect(), reason: None }
    }

    #[test]
    fn grants_must_stay_within_the_request() {
        let requested = [grant("data", &["a", "b"]), grant("log", &[])];
        assert_eq!(check_within(&[grant("data", &["a"])], &requested), Ok(()));
        assert_eq!(check_within(&[], &requested), Ok(()));
        assert!(check_within(&[grant("data", &["c"])], &requested).unwrap_err().contains("`c` was not requested"));
        assert!(check_within(&[grant("telepathy", &[])], &requested).unwrap_err().contains("unknown capability"));
        assert!(check_within(&[grant("log", &["x"])], &requested).unwrap_err().contains("takes no scope"));
        assert!(check_within(&[grant("log", &[]), grant("log", &[])], &requested).unwrap_err().contains("twice"));
        assert!(check_within(&[grant("data", &["a"])], &[grant("log", &[])]).unwrap_err().contains("not requested"));
    }

    #[test]
    fn widening_lists_new_capabilities_and_new_scope() {
        let current = [grant("data", &["a"])];
        let requested = [grant("data", &["a", "b"]), grant("log", &[])];
        assert_eq!(widening(&current, &requested), ["`data` widened by b", "new capability `log`"]);
        assert!(widening(&requested, &current).is_empty(), "narrowing is not widening");
    }
}
