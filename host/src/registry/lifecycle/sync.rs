//! What a host serves, brought in line with what the database says is
//! active: at start for every plugin, on a lifecycle notification for one
//! (a change made on another host), and now and then for all, in case a
//! notification was lost.

use std::collections::BTreeSet;

use super::{Registry, RegistryError, approved, plugin_id_of};
use crate::registry::manifest::Manifest;
use crate::runtime::Approval;
use crate::store::plugins::{self, VersionRecord};

/// What syncing a plugin did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Synced {
    /// This host already served what the database says.
    Unchanged,
    /// This version serves now.
    Loaded(String),
    /// No version is active in the database; it no longer serves here.
    Stopped,
}

impl Registry {
    /// Makes this host serve `plugin_id`'s active version as the database
    /// has it, or nothing when none is active. A version that cannot be
    /// loaded (it no longer compiles or links under this host) is not
    /// served; whatever served before stops too, as the database no longer
    /// wants it. Holds the runtime's lifecycle lock, so an act on this host
    /// cannot swap the runtime between this read and this swap.
    pub async fn sync_plugin(&self, plugin_id: &str) -> Result<Synced, RegistryError> {
        let id = plugin_id_of(plugin_id)?;
        let _lifecycle = self.runtime.lifecycle_lock().await;
        let active = plugins::find_plugin(&self.store, id.as_str()).await?.and_then(|p| p.active_version);
        let wanted = match active {
            Some(version) => Some(self.version(id.as_str(), &version).await?),
            None => None,
        };
        let serving = self.runtime.get(id.as_str());
        let Some(wanted) = wanted else {
            if serving.is_none() {
                return Ok(Synced::Unchanged);
            }
            self.runtime.deactivate(&id);
            return Ok(Synced::Stopped);
        };
        if serving.is_some_and(|s| s.sha256() == wanted.sha256 && s.manifest().version.to_string() == wanted.version) {
            return Ok(Synced::Unchanged);
        }
        match self.load_version(&wanted).await {
            Ok(()) => Ok(Synced::Loaded(wanted.version)),
            Err(error) => {
                self.runtime.deactivate(&id);
                Err(error)
            }
        }
    }

    /// Syncs every plugin the database knows or this host serves; answers
    /// each one's outcome, by id. Only failing to list the plugins is an
    /// error of its own.
    pub async fn reconcile(&self) -> Result<Vec<(String, Result<Synced, RegistryError>)>, RegistryError> {
        let mut ids: BTreeSet<String> =
            plugins::list_plugins(&self.store, None).await?.into_iter().map(|plugin| plugin.id).collect();
        ids.extend(self.runtime.list().iter().map(|plugin| plugin.manifest().id.to_string()));
        let mut outcomes = Vec::with_capacity(ids.len());
        for id in ids {
            let outcome = self.sync_plugin(&id).await;
            outcomes.push((id, outcome));
        }
        Ok(outcomes)
    }

    /// Loads every active version into the runtime (at start; compiled
    /// artifacts come from the cache when present); answers how many load.
    /// A version that no longer parses, compiles or links (stored under an
    /// older host, say) is logged and skipped: one broken plugin must not
    /// keep the platform, and every other service, from starting. A storage
    /// failure still stops the start.
    pub async fn load_active(&self) -> Result<usize, RegistryError> {
        let mut loaded = 0;
        for plugin in plugins::list_plugins(&self.store, None).await? {
            let Some(version) = plugin.active_version else { continue };
            match self.sync_plugin(&plugin.id).await {
                Ok(_) => loaded += 1,
                Err(error @ RegistryError::Storage(_)) => return Err(error),
                Err(error) => tracing::error!(
                    plugin = %plugin.id,
                    version = %version,
                    "an active plugin version cannot be loaded and is not served: {error}"
                ),
            }
        }
        Ok(loaded)
    }

    async fn load_version(&self, record: &VersionRecord) -> Result<(), RegistryError> {
        let (grants, limits) = approved(record)?;
        let approval = Approval {
            manifest: Manifest::parse(&record.manifest)?,
            sha256: record.sha256.clone(),
            grants,
            limits,
            owner: None,
        };
        let loaded = self.prepare_stored(approval, record).await?;
        self.runtime.activate(loaded);
        Ok(())
    }
}
