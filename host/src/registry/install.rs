//! Installing a plugin version: validate, store, create its tables, compile,
//! activate. The first-party plugins go through exactly this path (as the
//! `system` actor); partner uploads and admin review (a later step of the
//! lifecycle) will split it at "store" and "activate".

use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::manifest::{Manifest, ManifestError};
use super::validate::{self, ValidationError};
use crate::runtime::{CompileError, Runtime};
use crate::store::{Store, plugin_tables, plugins};

/// Why an install failed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("component: {0}")]
    Component(#[from] ValidationError),
    #[error(
        "version {version} of {plugin} is already installed with different content (sha256 {existing}); give the new build a new version"
    )]
    VersionExists { plugin: String, version: String, existing: String },
    #[error("storage failed: {0}")]
    Storage(#[from] sqlx::Error),
    #[error("{0}")]
    Internal(String),
}

/// What an install did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installed {
    /// A new version was stored and activated.
    New { sha256: String },
    /// This exact version and content was already installed; nothing changed.
    Unchanged { sha256: String },
}

/// Installs plugin versions.
#[derive(Clone)]
pub struct Installer {
    store: Store,
    runtime: Arc<Runtime>,
}

impl Installer {
    /// An installer over `store` and `runtime`.
    pub fn new(store: Store, runtime: Arc<Runtime>) -> Installer {
        Installer { store, runtime }
    }

    /// Validates `component` against `manifest_text`, stores both, creates the
    /// plugin's tables and makes the version active. Nothing is stored unless
    /// every check passes. Installing a version that is already stored with
    /// the same bytes changes nothing; with other bytes it is refused.
    pub async fn install_and_activate(
        &self,
        manifest_text: &str,
        component: &[u8],
        installed_by: &str,
    ) -> Result<Installed, InstallError> {
        let manifest = Manifest::parse(manifest_text)?;
        validate::check_bytes(component)?;
        let sha256 = hex::encode(Sha256::digest(component));
        let (plugin_id, version) = (manifest.id.to_string(), manifest.version.to_string());

        let existing = plugins::version_state(&self.store, &plugin_id, &version).await?;
        if let Some((existing_sha, _)) = &existing
            && *existing_sha != sha256
        {
            return Err(InstallError::VersionExists { plugin: plugin_id, version, existing: existing_sha.clone() });
        }

        if existing.is_some() {
            // Already installed: whatever state the version is in now (it was
            // loaded at start if active) is the platform's decision, not ours.
            return Ok(Installed::Unchanged { sha256 });
        }
        let loaded = self.compile_and_prepare(manifest.clone(), &sha256, component).await?;
        plugin_tables::create_all(&self.store, &manifest).await?;
        let new = plugins::NewVersion {
            plugin_id: &plugin_id,
            owner_unit: None,
            version: &version,
            sha256: &sha256,
            component,
            manifest: manifest_text,
            installed_by,
        };
        plugins::insert_version(&self.store, new).await?;
        plugins::activate(&self.store, &plugin_id, &version).await?;
        self.runtime.activate(loaded);
        tracing::info!(plugin = %plugin_id, %version, %sha256, installed_by, "plugin installed and active");
        Ok(Installed::New { sha256 })
    }

    /// Loads every active version from the database into the runtime (at
    /// start, from cached artifacts where possible).
    pub async fn load_active(&self) -> Result<usize, InstallError> {
        let versions = plugins::active_versions(&self.store).await?;
        let count = versions.len();
        for stored in versions {
            let manifest = Manifest::parse(&stored.manifest)?;
            let loaded = self.compile_and_prepare(manifest, &stored.sha256, &stored.component).await?;
            self.runtime.activate(loaded);
        }
        Ok(count)
    }

    /// Compiles on a blocking thread (it is CPU-bound and can take a while),
    /// checks imports, and links against every capability.
    async fn compile_and_prepare(
        &self,
        manifest: Manifest,
        sha256: &str,
        component: &[u8],
    ) -> Result<crate::runtime::LoadedPlugin, InstallError> {
        let runtime = self.runtime.clone();
        let (sha256, bytes) = (sha256.to_owned(), component.to_vec());
        tokio::task::spawn_blocking(move || {
            let compiled = runtime.component(&sha256, &bytes).map_err(|e| match e {
                CompileError::Invalid(message) => InstallError::Component(ValidationError::InvalidComponent(message)),
                CompileError::Cache(io) => InstallError::Internal(format!("artifact cache: {io}")),
            })?;
            validate::check_imports(runtime.engine(), &compiled)?;
            runtime
                .prepare(manifest, &compiled)
                .map_err(|e| ValidationError::WrongWorld(validate::first_line(&format!("{e:#}"))).into())
        })
        .await
        .map_err(|e| InstallError::Internal(format!("compile task failed: {e}")))?
    }
}
