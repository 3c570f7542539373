//! Installing a plugin version as the platform itself: an upload by the
//! `system` actor, approved by it with everything the manifest asks for.
//! The first-party plugins take exactly this path, so their installation is
//! on the audit trail like any other; there is no back door.

use sha2::{Digest, Sha256};

use super::lifecycle::{Context, Registry, RegistryError, Upload};
use super::manifest::Manifest;
use crate::audit::Actor;
use crate::store::plugins;

/// Why an install failed: the same reasons an upload or approval can fail.
pub type InstallError = RegistryError;

/// What an install did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installed {
    /// A new version was uploaded, approved and made active.
    New { sha256: String },
    /// This exact version and content was already stored; nothing changed
    /// (whatever state an admin has put it in since stays).
    Unchanged { sha256: String },
    /// Stored for review, not activated: an admin stopped this plugin.
    Pending { sha256: String },
}

/// Installs plugin versions as the platform.
#[derive(Clone)]
pub struct Installer {
    registry: Registry,
    store: crate::store::Store,
}

impl Installer {
    /// An installer over `store` and `runtime`.
    pub fn new(store: crate::store::Store, runtime: std::sync::Arc<crate::runtime::Runtime>) -> Installer {
        Installer { registry: Registry::new(store.clone(), runtime), store }
    }

    /// Uploads and approves a version as `actor` (usually `system`). A
    /// version already stored with the same bytes is left alone; with other
    /// bytes it is refused.
    pub async fn install_and_activate(&self, upload: Upload<'_>, actor: &str) -> Result<Installed, InstallError> {
        self.install_owned(upload, None, actor).await
    }

    /// Installs a version the platform ships, unless an admin stopped the
    /// plugin (its newest version suspended or retired, none active): then
    /// the new version waits as pending for an admin's review, so a host
    /// upgrade does not quietly bring back a service an admin switched off.
    pub async fn install_first_party(&self, upload: Upload<'_>, actor: &str) -> Result<Installed, InstallError> {
        let manifest = Manifest::parse(upload.manifest)?;
        let (plugin_id, version) = (manifest.id.to_string(), manifest.version.to_string());
        let versions = match plugins::find_plugin(&self.store, &plugin_id).await? {
            Some(_) => plugins::versions(&self.store, &plugin_id).await?,
            None => Vec::new(),
        };
        let stopped = !versions.iter().any(|v| v.state == plugins::VersionState::Active)
            && versions
                .iter()
                .any(|v| matches!(v.state, plugins::VersionState::Suspended | plugins::VersionState::Retired));
        let new_version = !versions.iter().any(|v| v.version == version);
        if !(stopped && new_version) {
            return self.install_and_activate(upload, actor).await;
        }
        let sha256 = hex::encode(Sha256::digest(upload.component));
        let actor = Actor { id: actor.to_owned(), unit: None };
        let cx = Context { actor: &actor, request_id: "startup" };
        self.registry.upload(&cx, None, upload).await?;
        Ok(Installed::Pending { sha256 })
    }

    /// As [`Self::install_and_activate`], owned by `owner_unit` as if that
    /// unit had uploaded it (`onewindow dev` serves a partner's plugin so).
    pub async fn install_owned(
        &self,
        upload: Upload<'_>,
        owner_unit: Option<&str>,
        actor: &str,
    ) -> Result<Installed, InstallError> {
        let (manifest_text, component) = (upload.manifest, upload.component);
        let manifest = Manifest::parse(manifest_text)?;
        let sha256 = hex::encode(Sha256::digest(component));
        let (plugin_id, version) = (manifest.id.to_string(), manifest.version.to_string());
        if let Some(existing) = plugins::find_version(&self.store, &plugin_id, &version).await? {
            if existing.sha256 == sha256 {
                return Ok(Installed::Unchanged { sha256 });
            }
            return Err(RegistryError::VersionExists { plugin: plugin_id, version, existing: existing.sha256 });
        }
        let actor = Actor { id: actor.to_owned(), unit: None };
        let cx = Context { actor: &actor, request_id: "startup" };
        if let Err(error) = self.registry.upload(&cx, owner_unit, upload).await {
            // Another host starting on the same database stored it first
            // (and approves it).
            return match plugins::find_version(&self.store, &plugin_id, &version).await? {
                Some(stored) if stored.sha256 == sha256 => Ok(Installed::Unchanged { sha256 }),
                _ => Err(error),
            };
        }
        // Everything requested; a wide grant's reason is that the platform
        // ships the plugin (its manifest's purposes say what for).
        let grants = manifest
            .requested_grants()
            .into_iter()
            .map(|mut grant| {
                if grant.capability == "records" {
                    grant.reason = Some(format!("installed with the platform by `{}`", actor.id));
                }
                grant
            })
            .collect();
        self.registry.approve(&cx, &plugin_id, &version, &sha256, Some(grants), None).await?;
        Ok(Installed::New { sha256 })
    }

    /// Loads every active version into the runtime.
    pub async fn load_active(&self) -> Result<usize, InstallError> {
        self.registry.load_active().await
    }
}
