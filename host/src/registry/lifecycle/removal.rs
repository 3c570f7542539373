//! A unit frees its upload quota: it withdraws a pending version (the row
//! goes; it never ran) or drops the component of a rejected, retired or
//! superseded one (the row stays, for the reviews and the audit trail that
//! refer to it, but the version can never run again). Only the database
//! changes: nothing that serves is touched, so no other host needs telling.

use super::{Context, Registry, RegistryError, act, target};
use crate::audit;
use crate::store::plugins::{self, VersionRecord, VersionState};

/// Who removes a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remover<'a> {
    /// A platform admin: any plugin's versions.
    Admin,
    /// Staff of this unit: its own plugins' versions only.
    Unit(&'a str),
}

/// What a removal did.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct RemovedVersion {
    pub plugin_id: String,
    pub version: String,
    /// The state the version was in.
    pub previous_state: VersionState,
    /// Component bytes no longer counted against the unit's quota.
    pub freed_bytes: i64,
    /// True for a pending version: it is gone, and no longer waits for
    /// review. Otherwise the version stays listed with `component_removed`.
    pub withdrawn: bool,
}

/// How a version in a state is removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Removal {
    /// Pending: delete the row.
    Withdraw,
    /// Rejected, retired, superseded: keep the row, drop the bytes.
    DropComponent,
}

/// The states whose component may be dropped.
const DROPPABLE: &[VersionState] = &[VersionState::Rejected, VersionState::Retired, VersionState::Superseded];

/// May `remover` remove versions of a plugin owned by `owner` (none: the
/// platform's own)? Admins may; staff only their own unit's.
fn may_remove(remover: Remover<'_>, owner: Option<&str>) -> bool {
    match remover {
        Remover::Admin => true,
        Remover::Unit(unit) => owner == Some(unit),
    }
}

/// How `record` is removed, or why it cannot be.
fn removal_of(record: &VersionRecord) -> Result<Removal, RegistryError> {
    let (plugin_id, version) = (&record.plugin_id, &record.version);
    match record.state {
        VersionState::Active | VersionState::Suspended => Err(RegistryError::WrongState(format!(
            "{plugin_id} {version} is {}; only rejected, retired, superseded or pending versions can be removed \
             (an admin retires it, or another version is made active, first)",
            record.state.as_str()
        ))),
        VersionState::Pending => Ok(Removal::Withdraw),
        _ if record.component_removed => Err(already_removed(record)),
        _ => Ok(Removal::DropComponent),
    }
}

/// Removing twice: nothing more to free.
fn already_removed(record: &VersionRecord) -> RegistryError {
    RegistryError::ComponentRemoved(format!(
        "the component of {} {} was already removed; it holds no bytes of the quota",
        record.plugin_id, record.version
    ))
}

impl Registry {
    /// Removes a version its unit no longer needs, so its bytes (and, when
    /// pending, its place in the review queue) no longer count against the
    /// unit's quota. Active and suspended versions are refused.
    pub async fn remove_version(
        &self,
        cx: &Context<'_>,
        remover: Remover<'_>,
        plugin_id: &str,
        version: &str,
    ) -> Result<RemovedVersion, RegistryError> {
        let _lifecycle = self.runtime.lifecycle_lock().await;
        let plugin = self.plugin(plugin_id).await?;
        if !may_remove(remover, plugin.owner_unit.as_deref()) {
            // Which unit owns it is not the remover's business.
            return Err(RegistryError::NotOwner(format!(
                "plugin {plugin_id} belongs to another owner; only its owner's staff and admins may remove its versions"
            )));
        }
        let record = self.version(plugin_id, version).await?;
        let removal = removal_of(&record)?;
        let mut tx = plugins::begin_lifecycle(&self.store).await?;
        let freed_bytes = match removal {
            Removal::Withdraw => plugins::delete_pending(&mut tx, plugin_id, version).await?,
            Removal::DropComponent => plugins::drop_component(&mut tx, plugin_id, version, DROPPABLE).await?,
        };
        // Checked under the lock too: another host may have removed it meanwhile.
        if freed_bytes == 0 && removal == Removal::DropComponent {
            return Err(already_removed(&record));
        }
        let withdrawn = removal == Removal::Withdraw;
        let details = serde_json::json!({
            "previous_state": record.state,
            "freed_bytes": freed_bytes,
            "sha256": record.sha256,
            "withdrawn": withdrawn,
        });
        let target = target(plugin_id, version);
        audit::record(&self.store, &mut tx, act(cx, "plugin.remove-version", &target, details)).await?;
        tx.commit().await?;
        tracing::info!(plugin = plugin_id, version, actor = %cx.actor.id, freed_bytes, "plugin version removed");
        Ok(RemovedVersion {
            plugin_id: plugin_id.to_owned(),
            version: version.to_owned(),
            previous_state: record.state,
            freed_bytes,
            withdrawn,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::manifest::Limits;

    fn record(state: VersionState, component_removed: bool) -> VersionRecord {
        VersionRecord {
            plugin_id: "gas-notes".into(),
            version: "1.0.0".into(),
            sha256: "00".into(),
            size: 4,
            state,
            manifest: String::new(),
            requested: Vec::new(),
            requested_limits: Limits::default(),
            granted: None,
            granted_limits: None,
            uploaded_by: "gas-dev".into(),
            uploaded_unit: Some("partner-gas".into()),
            uploaded_at: String::new(),
            reviewed_by: None,
            reviewed_at: None,
            review_note: None,
            routes: Vec::new(),
            api: None,
            component_removed,
        }
    }

    #[test]
    fn only_the_owning_units_staff_and_admins_may_remove() {
        assert!(may_remove(Remover::Unit("partner-gas"), Some("partner-gas")));
        assert!(!may_remove(Remover::Unit("partner-water"), Some("partner-gas")));
        assert!(!may_remove(Remover::Unit("partner-gas"), None), "the platform's own plugins are the admins'");
        assert!(may_remove(Remover::Admin, Some("partner-gas")));
        assert!(may_remove(Remover::Admin, None));
    }

    #[test]
    fn pending_is_withdrawn_finished_versions_lose_their_bytes_serving_ones_are_refused() {
        assert_eq!(removal_of(&record(VersionState::Pending, false)).unwrap(), Removal::Withdraw);
        for state in DROPPABLE {
            assert_eq!(removal_of(&record(*state, false)).unwrap(), Removal::DropComponent, "{state:?}");
        }
        for state in [VersionState::Active, VersionState::Suspended] {
            let refused = removal_of(&record(state, false)).unwrap_err();
            assert!(matches!(refused, RegistryError::WrongState(_)), "{refused}");
            assert!(refused.to_string().contains(&format!("is {}", state.as_str())), "{refused}");
        }
    }

    #[test]
    fn removing_twice_says_the_component_is_already_gone() {
        let refused = removal_of(&record(VersionState::Superseded, true)).unwrap_err();
        assert!(matches!(refused, RegistryError::ComponentRemoved(_)), "{refused}");
        assert!(refused.to_string().contains("already removed"), "{refused}");
    }
}
