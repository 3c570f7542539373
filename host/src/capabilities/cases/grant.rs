//! The `cases` grant: which kinds of case a plugin opens, for which units.
//! Scope items are `KIND:UNIT` (`UNIT` may be `*`, any unit), one per pair
//! the manifest's `[[case-kinds]]` declare; an admin may grant fewer.

use crate::capabilities::grant::{CapabilityKind, Grant};
use crate::registry::manifest::Manifest;

/// The capability kind.
pub struct Cases;

impl CapabilityKind for Cases {
    fn name(&self) -> &'static str {
        "cases"
    }
    fn description(&self) -> &'static str {
        "open and move cases of its service, of these kinds, for these units (KIND:UNIT)"
    }
    fn requested_scope(&self, manifest: &Manifest) -> Result<Vec<String>, String> {
        if manifest.linkage.case_kinds.is_empty() {
            return Err("`cases` is requested but no [[case-kinds]] are declared".into());
        }
        Ok(manifest
            .linkage
            .case_kinds
            .iter()
            .flat_map(|kind| kind.units.iter().map(move |unit| format!("{}:{unit}", kind.name)))
            .collect())
    }
    fn scoped(&self) -> bool {
        true
    }
}

/// Whether `grants` let the plugin give a case of `kind` to `unit`.
pub fn allows_unit(grants: &[Grant], kind: &str, unit: &str) -> bool {
    grants
        .iter()
        .filter(|g| g.capability == "cases")
        .flat_map(|g| &g.scope)
        .any(|item| item.split_once(':').is_some_and(|(k, u)| k == kind && (u == unit || u == "*")))
}

/// Whether `grants` name `kind` at all.
pub fn allows_kind(grants: &[Grant], kind: &str) -> bool {
    grants
        .iter()
        .filter(|g| g.capability == "cases")
        .flat_map(|g| &g.scope)
        .any(|item| item.split_once(':').is_some_and(|(k, _)| k == kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_granted_per_kind() {
        let grants = [Grant {
            capability: "cases".into(),
            scope: vec!["application:police-central".into(), "referral:*".into()],
            reason: None,
        }];
        assert!(allows_unit(&grants, "application", "police-central"));
        assert!(!allows_unit(&grants, "application", "judicial-office"));
        assert!(allows_unit(&grants, "referral", "partner-gas"));
        assert!(!allows_kind(&grants, "mediation"));
    }
}
