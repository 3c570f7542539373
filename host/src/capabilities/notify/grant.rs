//! The `notify` grant: the message templates a plugin may send, by name.

use crate::capabilities::grant::CapabilityKind;
use crate::registry::manifest::Manifest;

/// The capability kind.
pub struct Notify;

impl CapabilityKind for Notify {
    fn name(&self) -> &'static str {
        "notify"
    }
    fn description(&self) -> &'static str {
        "send residents messages from these templates"
    }
    fn requested_scope(&self, manifest: &Manifest) -> Result<Vec<String>, String> {
        if manifest.linkage.templates.is_empty() {
            return Err("`notify` is requested but no [templates] are declared".into());
        }
        Ok(manifest.linkage.templates.keys().cloned().collect())
    }
    fn scoped(&self) -> bool {
        true
    }
}
