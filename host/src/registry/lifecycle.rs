//! The plugin lifecycle: upload → pending → approve (with grants) | reject;
//! active ⇄ suspended; retired; rollback to any earlier approved version;
//! a unit removes versions it no longer needs (see `removal`).
//! Every act is checked here, changes the store and writes its audit entry
//! in one transaction, and only then changes what the runtime serves.
//!
//! Several hosts may share one PostgreSQL database: each act's transaction
//! holds the database's lifecycle lock, its state changes are conditional
//! (a version changed meanwhile, on any host, is a 409 `wrong-state`), and
//! its commit is announced so the other hosts follow (see `sync` and
//! `registry::propagation`).

mod removal;
mod sync;

pub use removal::{RemovedVersion, Remover};
pub use sync::Synced;

use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::api_doc::{self, ApiDoc};
use super::manifest::{Limits, Manifest, ManifestError, PluginId};
use super::validate::{self, ValidationError};
use crate::audit::{self, Act, Actor};
use crate::capabilities::grant::{self, Grant};
use crate::runtime::{Approval, CompileError, LoadedPlugin, Runtime};
use crate::store::plugins::{self, NewVersion, PluginRecord, TransitionError, VersionRecord, VersionState};
use crate::store::{Store, plugin_tables};
use crate::telemetry::metrics;

/// Why a lifecycle act was refused.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// Several faults of one manifest, each with its field; never empty.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    ManifestFaults(Vec<ManifestError>),
    #[error("component: {0}")]
    Component(#[from] ValidationError),
    /// Several faults found at once (by name, before compiling); never empty.
    #[error("component: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    ComponentFaults(Vec<ValidationError>),
    #[error("{0}")]
    NotOwner(String),
    /// A unique index the version declares does not hold for stored rows.
    #[error("{0}")]
    DuplicateData(String),
    /// The unit's upload quota (stored bytes, versions awaiting review).
    #[error("{0}")]
    QuotaExceeded(String),
    #[error(
        "version {version} of {plugin} is not newer than {latest}, the latest uploaded; give the new build a higher version"
    )]
    VersionNotNewer { plugin: String, version: String, latest: String },
    #[error(
        "version {version} of {plugin} is already stored with different content (sha256 {existing}); give the new build a new version"
    )]
    VersionExists { plugin: String, version: String, existing: String },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    WrongState(String),
    /// The version's component was removed (to free quota): it cannot run.
    #[error("{0}")]
    ComponentRemoved(String),
    #[error("the approval names sha256 {given}, but version {version} is {actual}")]
    ShaMismatch { version: String, given: String, actual: String },
    #[error("{0}")]
    InvalidGrant(String),
    /// The route description (`api.json`) is unusable; every fault.
    #[error("api.json: {}", .0.join("; "))]
    InvalidApiDoc(Vec<String>),
    #[error("storage failed: {0}")]
    Storage(#[from] sqlx::Error),
    #[error("{0}")]
    Internal(String),
}

/// Who acts, and in which request (for the audit trail).
pub struct Context<'a> {
    pub actor: &'a Actor,
    pub request_id: &'a str,
}

/// A pending version as an admin reviews it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ReviewItem {
    pub version: VersionRecord,
    /// What the active version runs with now, if there is one.
    pub current_grants: Option<Vec<Grant>>,
    pub current_limits: Option<Limits>,
    /// What approving everything requested would add to the current grants.
    pub widening: Vec<String>,
    /// Each requested capability explained, for the reviewer.
    pub explained: Vec<String>,
    /// Routes its `api.json` describes that the active version's does not.
    pub added_routes: Vec<String>,
}

/// What a unit uploads: the manifest, the component and, optionally, the
/// description of its routes (`api.json`).
#[derive(Debug, Clone, Copy)]
pub struct Upload<'a> {
    pub manifest: &'a str,
    pub component: &'a [u8],
    pub api: Option<&'a str>,
}

impl<'a> Upload<'a> {
    /// An upload without a route description.
    pub fn new(manifest: &'a str, component: &'a [u8]) -> Upload<'a> {
        Upload { manifest, component, api: None }
    }

    /// With `api.json`'s text.
    pub fn with_api(self, api: Option<&'a str>) -> Upload<'a> {
        Upload { api, ..self }
    }
}

/// The lifecycle over a store and a runtime.
#[derive(Clone)]
pub struct Registry {
    store: Store,
    runtime: Arc<Runtime>,
}

impl Registry {
    /// A registry over `store` and `runtime`.
    pub fn new(store: Store, runtime: Arc<Runtime>) -> Registry {
        Registry { store, runtime }
    }

    /// Validates and stores an upload as `pending`. The plugin belongs to
    /// `owner_unit` (none for the platform); only that owner may upload
    /// later versions. A refused upload leaves nothing but an audit entry.
    pub async fn upload(
        &self,
        cx: &Context<'_>,
        owner_unit: Option<&str>,
        upload: Upload<'_>,
    ) -> Result<VersionRecord, RegistryError> {
        let Upload { manifest: manifest_text, component, api } = upload;
        match self.check_upload(owner_unit, manifest_text, component, api).await {
            Ok((manifest, sha256, api)) => {
                let api = api.map(|doc| doc.to_text());
                let stored = self.store_upload(cx, owner_unit, &manifest, upload, api.as_deref(), &sha256).await;
                metrics::upload_finished(stored.is_ok());
                stored
            }
            Err(error) => {
                metrics::upload_finished(false);
                let details = serde_json::json!({ "reason": error.to_string(), "size": component.len() });
                let target = refused_target(manifest_text);
                audit::record_alone(&self.store, act(cx, "plugin.upload-refused", &target, details)).await?;
                Err(error)
            }
        }
    }

    async fn check_upload(
        &self,
        owner_unit: Option<&str>,
        manifest_text: &str,
        component: &[u8],
        api: Option<&str>,
    ) -> Result<(Manifest, String, Option<ApiDoc>), RegistryError> {
        let max = (self.runtime.config().max_component_mb as usize) << 20;
        validate::check_bytes(component, max)?;
        // Refusals by name first: no compile for a component that imports
        // what it may not, or exports no `handle`.
        let mut faults = validate::surface_faults(component);
        match faults.len() {
            0 => {}
            1 => return Err(faults.remove(0).into()),
            _ => return Err(RegistryError::ComponentFaults(faults)),
        }
        // Every fault of the manifest at once, limits above the platform's
        // maxima included, so the partner fixes them in one go.
        let mut faults = Vec::new();
        let manifest = Manifest::parse_all(manifest_text).map_err(|all| faults = all).ok();
        if let Some(manifest) = &manifest {
            faults.extend(manifest.limits.beyond(&self.platform_maxima()));
        }
        let manifest = match (manifest, faults.len()) {
            (Some(manifest), 0) => manifest,
            (_, 1) => return Err(faults.remove(0).into()),
            _ => return Err(RegistryError::ManifestFaults(faults)),
        };
        let api = api.map(ApiDoc::parse).transpose().map_err(RegistryError::InvalidApiDoc)?;
        let sha256 = hex::encode(Sha256::digest(component));
        self.check_against_existing(owner_unit, &manifest).await?;
        // Before the compile: a unit over its quota costs the host nothing.
        self.check_quota(owner_unit, component.len()).await?;
        // Compile and link now, so a broken component is refused at upload,
        // and the artifact is cached for the approval.
        let approval = Approval {
            sha256: sha256.clone(),
            grants: manifest.requested_grants(),
            limits: manifest.limits,
            manifest: manifest.clone(),
            owner: None,
        };
        self.compile_and_prepare(approval, component.to_vec()).await?;
        Ok((manifest, sha256, api))
    }

    /// A unit may keep so many bytes of components and have so many
    /// versions awaiting review (the platform's own uploads are not counted).
    async fn check_quota(&self, owner_unit: Option<&str>, size: usize) -> Result<(), RegistryError> {
        let Some(unit) = owner_unit else { return Ok(()) };
        let config = self.runtime.config();
        let usage = plugins::unit_usage(&self.store, unit).await?;
        if usage.pending >= i64::from(config.unit_pending_versions) {
            return Err(RegistryError::QuotaExceeded(format!(
                "unit {unit} already has {} versions waiting for review, the most it may; wait for the review, \
                 or withdraw the ones you no longer need (DELETE /api/v1/plugins/{{id}}/versions/{{version}})",
                usage.pending
            )));
        }
        let max = i64::from(config.unit_storage_mb) << 20;
        if usage.stored_bytes + size as i64 > max {
            return Err(RegistryError::QuotaExceeded(format!(
                "unit {unit} keeps {} MiB of components; this upload of {} MiB would pass its quota of {} MiB; \
                 remove the versions you no longer need (rejected, retired, superseded or pending ones: \
                 DELETE /api/v1/plugins/{{id}}/versions/{{version}}) to free space",
                usage.stored_bytes >> 20,
                size >> 20,
                config.unit_storage_mb
            )));
        }
        Ok(())
    }

    /// The most a manifest may ask for on this platform.
    fn platform_maxima(&self) -> Limits {
        let config = self.runtime.config();
        Limits {
            memory_mb: config.max_memory_mb,
            timeout_ms: config.max_timeout_ms,
            max_concurrency: config.max_concurrency,
        }
    }

    /// What an upload must respect of the versions already stored: the
    /// plugin's owner, ever-higher versions, and the tables that exist.
    async fn check_against_existing(&self, owner_unit: Option<&str>, manifest: &Manifest) -> Result<(), RegistryError> {
        if owner_unit.is_some() && super::first_party::is_reserved(manifest.id.as_str()) {
            return Err(RegistryError::NotOwner(format!(
                "plugin id {} is reserved for the platform's own service; choose another id",
                manifest.id
            )));
        }
        let Some(plugin) = plugins::find_plugin(&self.store, manifest.id.as_str()).await? else { return Ok(()) };
        if plugin.owner_unit.as_deref() != owner_unit {
            // Which unit owns it is not the uploader's business.
            return Err(RegistryError::NotOwner(format!(
                "plugin {} belongs to another owner; only its owner may upload versions",
                plugin.id
            )));
        }
        let versions = plugins::versions(&self.store, &plugin.id).await?;
        let latest = versions.iter().filter_map(|v| semver::Version::parse(&v.version).ok()).max();
        if let Some(latest) = latest.filter(|latest| manifest.version <= *latest) {
            return Err(RegistryError::VersionNotNewer {
                plugin: plugin.id,
                version: manifest.version.to_string(),
                latest: latest.to_string(),
            });
        }
        self.check_schema(manifest).await
    }

    /// The tables of every approved version exist; `manifest` must fit them
    /// (checked at upload, and again at approval since approvals may come
    /// in any order).
    async fn check_schema(&self, manifest: &Manifest) -> Result<(), RegistryError> {
        for version in plugins::versions(&self.store, manifest.id.as_str()).await? {
            if version.granted.is_some()
                && let Some(problem) =
                    super::manifest::destructive_change(&Manifest::parse(&version.manifest)?, manifest)
            {
                return Err(problem.into());
            }
        }
        Ok(())
    }

    async fn store_upload(
        &self,
        cx: &Context<'_>,
        owner_unit: Option<&str>,
        manifest: &Manifest,
        upload: Upload<'_>,
        api: Option<&str>,
        sha256: &str,
    ) -> Result<VersionRecord, RegistryError> {
        let Upload { manifest: manifest_text, component, .. } = upload;
        let (plugin_id, version) = (manifest.id.to_string(), manifest.version.to_string());
        let requested = manifest.requested_grants();
        // Checked again under the lock: another upload (on any host) may
        // have won meanwhile.
        let _lifecycle = self.runtime.lifecycle_lock().await;
        let mut tx = plugins::begin_lifecycle(&self.store).await?;
        self.check_against_existing(owner_unit, manifest).await?;
        self.check_quota(owner_unit, component.len()).await?;
        let new = NewVersion {
            plugin_id: &plugin_id,
            owner_unit,
            version: &version,
            sha256,
            component,
            manifest: manifest_text,
            requested: &requested,
            requested_limits: manifest.limits,
            uploaded_by: &cx.actor.id,
            uploaded_unit: cx.actor.unit.as_deref(),
            api,
        };
        plugins::insert_version(&mut tx, new).await?;
        let details = serde_json::json!({ "sha256": sha256, "size": component.len(), "requested": requested, "requested_limits": manifest.limits });
        audit::record(&self.store, &mut tx, act(cx, "plugin.upload", &target(&plugin_id, &version), details)).await?;
        tx.commit().await?;
        self.version(&plugin_id, &version).await
    }

    /// Approves a pending version with `grants` (all requested when `None`)
    /// and `limits` (as requested when `None`); both must stay within the
    /// request. `sha256` must name the exact upload. The version serves new
    /// calls at once; calls in flight finish on the version they started on.
    pub async fn approve(
        &self,
        cx: &Context<'_>,
        plugin_id: &str,
        version: &str,
        sha256: &str,
        grants: Option<Vec<Grant>>,
        limits: Option<Limits>,
    ) -> Result<VersionRecord, RegistryError> {
        let _lifecycle = self.runtime.lifecycle_lock().await;
        let record = self.version(plugin_id, version).await?;
        if record.state != VersionState::Pending {
            return Err(RegistryError::WrongState(format!(
                "{plugin_id} {version} is {}; only pending versions can be approved",
                record.state.as_str()
            )));
        }
        if !record.sha256.eq_ignore_ascii_case(sha256) {
            return Err(RegistryError::ShaMismatch {
                version: version.into(),
                given: sha256.into(),
                actual: record.sha256,
            });
        }
        let grants = grants.unwrap_or_else(|| record.requested.clone());
        grant::check_within(&grants, &record.requested).map_err(RegistryError::InvalidGrant)?;
        let limits = limits.unwrap_or_else(|| capped(record.requested_limits, self.runtime.config()));
        check_limits(&limits, &record.requested_limits, self.runtime.config())?;

        let manifest = Manifest::parse(&record.manifest)?;
        self.check_schema(&manifest).await?;
        let component = self.runnable_component(&record).await?;
        let approval = Approval {
            manifest: manifest.clone(),
            sha256: record.sha256.clone(),
            grants: grants.clone(),
            limits,
            owner: None,
        };
        let loaded = self.compile_and_prepare(approval, component).await?;

        plugin_tables::create_all(&self.store, &manifest).await.map_err(|error| {
            if crate::store::is_unique_violation(&error) {
                return RegistryError::DuplicateData(format!(
                    "{plugin_id} {version} declares a unique index, but the stored rows already repeat its values; \
                     the active version stays. The plugin's owner must first remove the duplicates (with a \
                     version that does so), then this version can be approved"
                ));
            }
            error.into()
        })?;
        let mut tx = plugins::begin_lifecycle(&self.store).await?;
        plugins::set_granted(&mut tx, plugin_id, version, &grants, limits, &cx.actor.id).await?;
        let previous = plugins::activate(&mut tx, plugin_id, version, &[VersionState::Pending]).await?;
        let details = serde_json::json!({ "sha256": record.sha256, "grants": grants, "limits": limits, "previous_active": previous });
        audit::record(&self.store, &mut tx, act(cx, "plugin.approve", &target(plugin_id, version), details)).await?;
        plugins::announce_change(&self.store, &mut tx, plugin_id).await?;
        tx.commit().await?;
        self.runtime.activate(loaded);
        metrics::version_reviewed(true);
        tracing::info!(plugin = plugin_id, version, actor = %cx.actor.id, "plugin version approved and active");
        self.version(plugin_id, version).await
    }

    /// Rejects a pending version with a reason.
    pub async fn reject(
        &self,
        cx: &Context<'_>,
        plugin_id: &str,
        version: &str,
        reason: &str,
    ) -> Result<VersionRecord, RegistryError> {
        let _lifecycle = self.runtime.lifecycle_lock().await;
        let record = self.version(plugin_id, version).await?;
        if record.state != VersionState::Pending {
            return Err(RegistryError::WrongState(format!(
                "{plugin_id} {version} is {}; only pending versions can be rejected",
                record.state.as_str()
            )));
        }
        let mut tx = plugins::begin_lifecycle(&self.store).await?;
        plugins::set_rejected(&mut tx, plugin_id, version, &cx.actor.id, reason).await?;
        audit::record(
            &self.store,
            &mut tx,
            act(cx, "plugin.reject", &target(plugin_id, version), serde_json::json!({ "reason": reason })),
        )
        .await?;
        tx.commit().await?;
        metrics::version_reviewed(false);
        self.version(plugin_id, version).await
    }

    /// Suspends the active version: new calls get 503 at once.
    pub async fn suspend(
        &self,
        cx: &Context<'_>,
        plugin_id: &str,
        reason: &str,
    ) -> Result<VersionRecord, RegistryError> {
        let _lifecycle = self.runtime.lifecycle_lock().await;
        let (id, active) = self.active_version(plugin_id).await?;
        let change =
            OutOfService { from: &[VersionState::Active], to: VersionState::Suspended, action: "plugin.suspend" };
        self.take_out_of_service(cx, &id, &active, change, reason).await
    }

    /// Resumes a suspended version with the grants it was approved with.
    pub async fn resume(&self, cx: &Context<'_>, plugin_id: &str) -> Result<VersionRecord, RegistryError> {
        let _lifecycle = self.runtime.lifecycle_lock().await;
        let versions = self.versions_of(plugin_id).await?;
        if let Some(active) = versions.iter().find(|v| v.state == VersionState::Active) {
            return Err(RegistryError::WrongState(format!(
                "{plugin_id} {} is active; there is nothing to resume",
                active.version
            )));
        }
        let suspended = versions.into_iter().find(|v| v.state == VersionState::Suspended);
        let suspended =
            suspended.ok_or_else(|| RegistryError::WrongState(format!("{plugin_id} has no suspended version")))?;
        self.reactivate(cx, Reactivation::Resume, &suspended).await
    }

    /// Retires a plugin: its active or suspended version stops for good
    /// (it can still be rolled back to explicitly).
    pub async fn retire(
        &self,
        cx: &Context<'_>,
        plugin_id: &str,
        reason: &str,
    ) -> Result<VersionRecord, RegistryError> {
        let _lifecycle = self.runtime.lifecycle_lock().await;
        let id = plugin_id_of(plugin_id)?;
        let versions = self.versions_of(plugin_id).await?;
        let current = versions.into_iter().find(|v| matches!(v.state, VersionState::Active | VersionState::Suspended));
        let current = current
            .ok_or_else(|| RegistryError::WrongState(format!("{plugin_id} has no active or suspended version")))?;
        let change = OutOfService {
            from: &[VersionState::Active, VersionState::Suspended],
            to: VersionState::Retired,
            action: "plugin.retire",
        };
        self.take_out_of_service(cx, &id, &current, change, reason).await
    }

    /// Suspends or retires `record`: stored, audited, then no longer served.
    async fn take_out_of_service(
        &self,
        cx: &Context<'_>,
        id: &PluginId,
        record: &VersionRecord,
        change: OutOfService,
        reason: &str,
    ) -> Result<VersionRecord, RegistryError> {
        let mut tx = plugins::begin_lifecycle(&self.store).await?;
        plugins::deactivate(&mut tx, id.as_str(), &record.version, change.from, change.to).await?;
        let details = serde_json::json!({ "reason": reason });
        let target = target(id.as_str(), &record.version);
        audit::record(&self.store, &mut tx, act(cx, change.action, &target, details)).await?;
        plugins::announce_change(&self.store, &mut tx, id.as_str()).await?;
        tx.commit().await?;
        self.runtime.deactivate(id);
        self.version(id.as_str(), &record.version).await
    }

    /// Makes an earlier approved version active again, in one call, with the
    /// grants it was approved with.
    pub async fn rollback(
        &self,
        cx: &Context<'_>,
        plugin_id: &str,
        version: &str,
    ) -> Result<VersionRecord, RegistryError> {
        let _lifecycle = self.runtime.lifecycle_lock().await;
        let record = self.version(plugin_id, version).await?;
        if record.granted.is_none() || matches!(record.state, VersionState::Pending | VersionState::Rejected) {
            return Err(RegistryError::WrongState(format!(
                "{plugin_id} {version} was never approved; only approved versions can be rolled back to"
            )));
        }
        if record.state == VersionState::Active {
            return Err(RegistryError::WrongState(format!("{plugin_id} {version} is already active")));
        }
        if record.component_removed {
            return Err(removed(&record));
        }
        self.reactivate(cx, Reactivation::Rollback, &record).await
    }

    /// Activates an approved version again (resume, rollback).
    async fn reactivate(
        &self,
        cx: &Context<'_>,
        how: Reactivation,
        record: &VersionRecord,
    ) -> Result<VersionRecord, RegistryError> {
        let (grants, limits) = approved(record)?;
        let manifest = Manifest::parse(&record.manifest)?;
        let component = self.runnable_component(record).await?;
        let approval =
            Approval { manifest: manifest.clone(), sha256: record.sha256.clone(), grants, limits, owner: None };
        let loaded = self.compile_and_prepare(approval, component).await?;
        // Tables only ever grow, so an older version finds what it declared.
        plugin_tables::create_all(&self.store, &manifest).await?;
        let mut tx = plugins::begin_lifecycle(&self.store).await?;
        // Under the lock: its unit may have removed the bytes meanwhile (on
        // another host); this host must not serve what no other host can load.
        if plugins::stored_bytes(&mut tx, &record.plugin_id, &record.version).await? == Some(0) {
            return Err(removed(record));
        }
        let previous = plugins::activate(&mut tx, &record.plugin_id, &record.version, how.from()).await?;
        let details = match how {
            Reactivation::Resume => serde_json::json!({ "sha256": record.sha256 }),
            Reactivation::Rollback => serde_json::json!({
                "from": previous,
                "direction": direction(previous.as_deref(), &record.version),
                "sha256": record.sha256,
            }),
        };
        let target = target(&record.plugin_id, &record.version);
        audit::record(&self.store, &mut tx, act(cx, how.action(), &target, details)).await?;
        plugins::announce_change(&self.store, &mut tx, &record.plugin_id).await?;
        tx.commit().await?;
        self.runtime.activate(loaded);
        self.version(&record.plugin_id, &record.version).await
    }

    /// Every pending version, each with the current grants of its plugin and
    /// what approving it in full would widen.
    pub async fn review_queue(&self) -> Result<Vec<ReviewItem>, RegistryError> {
        let pending = plugins::versions_in_state(&self.store, VersionState::Pending).await?;
        let mut items = Vec::with_capacity(pending.len());
        for version in pending {
            let current = plugins::versions(&self.store, &version.plugin_id)
                .await?
                .into_iter()
                .find(|v| v.state == VersionState::Active);
            let current_grants = current.as_ref().and_then(|c| c.granted.clone());
            let mut widening = grant::widening(current_grants.as_deref().unwrap_or_default(), &version.requested);
            // Storage and limits widen too: new tables and columns are kept
            // for good, and higher limits take more of the shared pool.
            let manifest = |v: &VersionRecord| Manifest::parse(&v.manifest).ok();
            if let Some(new) = manifest(&version) {
                widening.extend(super::manifest::added_storage(current.as_ref().and_then(manifest).as_ref(), &new));
                if let Some(now) = current.as_ref().and_then(|c| c.granted_limits) {
                    widening.extend(new.limits.raised_over(&now));
                }
            }
            let explained = version.requested.iter().map(grant::explain).collect();
            let described = |v: &VersionRecord| v.api.as_deref().and_then(|text| ApiDoc::parse(text).ok());
            let added_routes = match described(&version) {
                Some(new) => api_doc::added_routes(&new, current.as_ref().and_then(described).as_ref()),
                None => Vec::new(),
            };
            items.push(ReviewItem {
                added_routes,
                current_limits: current.and_then(|c| c.granted_limits),
                current_grants,
                widening,
                explained,
                version,
            });
        }
        Ok(items)
    }

    /// The component of `record` to compile: not-found when its pending row
    /// was withdrawn meanwhile, `ComponentRemoved` when its bytes are gone.
    async fn runnable_component(&self, record: &VersionRecord) -> Result<Vec<u8>, RegistryError> {
        match plugins::component(&self.store, &record.plugin_id, &record.version).await {
            Ok(bytes) if bytes.is_empty() => Err(removed(record)),
            Ok(bytes) => Ok(bytes),
            Err(sqlx::Error::RowNotFound) => Err(RegistryError::NotFound(format!(
                "plugin {} has no version {} (withdrawn meanwhile)",
                record.plugin_id, record.version
            ))),
            Err(error) => Err(error.into()),
        }
    }

    /// A version, or not-found.
    pub async fn version(&self, plugin_id: &str, version: &str) -> Result<VersionRecord, RegistryError> {
        plugins::find_version(&self.store, plugin_id, version)
            .await?
            .ok_or_else(|| RegistryError::NotFound(format!("plugin {plugin_id} has no version {version}")))
    }

    /// A plugin, or not-found.
    pub async fn plugin(&self, plugin_id: &str) -> Result<PluginRecord, RegistryError> {
        plugins::find_plugin(&self.store, plugin_id)
            .await?
            .ok_or_else(|| RegistryError::NotFound(format!("there is no plugin {plugin_id}")))
    }

    /// Every version of a plugin, or not-found.
    pub async fn versions_of(&self, plugin_id: &str) -> Result<Vec<VersionRecord>, RegistryError> {
        self.plugin(plugin_id).await?;
        Ok(plugins::versions(&self.store, plugin_id).await?)
    }

    async fn active_version(&self, plugin_id: &str) -> Result<(PluginId, VersionRecord), RegistryError> {
        let id = plugin_id_of(plugin_id)?;
        let active = self.versions_of(plugin_id).await?.into_iter().find(|v| v.state == VersionState::Active);
        let active = active.ok_or_else(|| RegistryError::WrongState(format!("{plugin_id} has no active version")))?;
        Ok((id, active))
    }

    /// Compiles (or loads the cached artifact) on a blocking thread, checks
    /// the imports and links it with what was approved.
    /// The unit that owns the plugin (first-party plugins have none).
    async fn owner_of(&self, plugin_id: &str) -> Result<Option<crate::wit::Unit>, RegistryError> {
        let Some(owner) = plugins::find_plugin(&self.store, plugin_id).await?.and_then(|p| p.owner_unit) else {
            return Ok(None);
        };
        let unit = crate::store::units::find(&self.store, &owner).await?;
        Ok(unit.map(|u| crate::wit::Unit { id: u.id, kind: u.kind.into() }))
    }

    /// Prepares a stored version from its cached artifact when there is
    /// one: the component's bytes (tens of MB for Python or JavaScript) are
    /// then never read, which was nearly all of a restart's time (1.4 s with
    /// 50 plugins). Otherwise reads them and compiles.
    async fn prepare_stored(
        &self,
        mut approval: Approval,
        record: &VersionRecord,
    ) -> Result<LoadedPlugin, RegistryError> {
        approval.owner = self.owner_of(approval.manifest.id.as_str()).await?;
        let approval = match self.prepare_cached(approval).await? {
            Ok(loaded) => return Ok(loaded),
            Err(not_cached) => not_cached,
        };
        let component = plugins::component(&self.store, &record.plugin_id, &record.version).await?;
        self.compile_and_prepare_owned(approval, component).await
    }

    /// Prepares `approval` (its owner set) from its cached artifact, or
    /// hands it back when there is none.
    async fn prepare_cached(&self, approval: Approval) -> Result<Result<LoadedPlugin, Approval>, RegistryError> {
        let runtime = self.runtime.clone();
        tokio::task::spawn_blocking(move || {
            let engine = runtime.engine().clone();
            let cached = runtime.cached_component(&approval.sha256, |compiled| {
                validate::check_imports(&engine, compiled).map_err(RegistryError::from)
            });
            let Some(compiled) = cached else { return Ok(Err(approval)) };
            let compiled = compiled?;
            runtime
                .prepare(approval, &compiled)
                .map(Ok)
                .map_err(|e| ValidationError::WrongWorld(validate::first_line(&format!("{e:#}"))).into())
        })
        .await
        .map_err(|e| RegistryError::Internal(format!("loading task failed: {e}")))?
    }

    async fn compile_and_prepare(
        &self,
        mut approval: Approval,
        component: Vec<u8>,
    ) -> Result<LoadedPlugin, RegistryError> {
        approval.owner = self.owner_of(approval.manifest.id.as_str()).await?;
        self.compile_and_prepare_owned(approval, component).await
    }

    /// [`Registry::compile_and_prepare`] for an approval whose owner is set.
    async fn compile_and_prepare_owned(
        &self,
        approval: Approval,
        component: Vec<u8>,
    ) -> Result<LoadedPlugin, RegistryError> {
        let runtime = self.runtime.clone();
        tokio::task::spawn_blocking(move || {
            let engine = runtime.engine().clone();
            let compiled = runtime.component(&approval.sha256, &component, |compiled| {
                validate::check_imports(&engine, compiled).map_err(RegistryError::from)
            })?;
            runtime
                .prepare(approval, &compiled)
                .map_err(|e| ValidationError::WrongWorld(validate::first_line(&format!("{e:#}"))).into())
        })
        .await
        .map_err(|e| RegistryError::Internal(format!("compile task failed: {e}")))?
    }
}

impl From<CompileError> for RegistryError {
    fn from(error: CompileError) -> RegistryError {
        match error {
            CompileError::Invalid(message) => RegistryError::Component(ValidationError::InvalidComponent(message)),
            CompileError::OverLimits(message) => RegistryError::Component(ValidationError::OverPoolLimits(message)),
            CompileError::Cache(io) => RegistryError::Internal(format!("artifact cache: {io}")),
        }
    }
}

impl From<TransitionError> for RegistryError {
    fn from(error: TransitionError) -> RegistryError {
        match error {
            TransitionError::Storage(e) => RegistryError::Storage(e),
            refused => RegistryError::WrongState(refused.to_string()),
        }
    }
}

/// Suspending or retiring: from which states, to which, and the audit action.
struct OutOfService {
    from: &'static [VersionState],
    to: VersionState,
    action: &'static str,
}

/// How an approved version becomes active again.
#[derive(Clone, Copy)]
enum Reactivation {
    /// The suspended version, again.
    Resume,
    /// Any approved version that is not active.
    Rollback,
}

impl Reactivation {
    fn action(self) -> &'static str {
        match self {
            Reactivation::Resume => "plugin.resume",
            Reactivation::Rollback => "plugin.rollback",
        }
    }

    /// The states the version may be in (as the act found it).
    fn from(self) -> &'static [VersionState] {
        match self {
            Reactivation::Resume => &[VersionState::Suspended],
            Reactivation::Rollback => &[VersionState::Superseded, VersionState::Suspended, VersionState::Retired],
        }
    }
}

/// Whether a rollback from `from` to `to` goes back to an older version or
/// forward to a newer one (after an earlier rollback).
fn direction(from: Option<&str>, to: &str) -> &'static str {
    let parse = |v: &str| semver::Version::parse(v).ok();
    match (from.and_then(parse), parse(to)) {
        (Some(from), Some(to)) if to > from => "forward",
        (Some(_), Some(_)) => "back",
        _ => "from none",
    }
}

fn act<'a>(cx: &'a Context<'_>, action: &'a str, target: &'a str, details: serde_json::Value) -> Act<'a> {
    Act { actor: cx.actor, action, target, details, request_id: cx.request_id }
}

/// The audit target of a refused upload: its id (and version) whenever
/// they can be read, even from a manifest refused for another field, so the
/// owner finds the refusal under their plugin.
fn refused_target(manifest_text: &str) -> String {
    let table = manifest_text.parse::<toml::Table>().ok();
    let field = |name: &str| table.as_ref().and_then(|t| t.get(name)).and_then(|v| v.as_str());
    match field("id").and_then(|id| PluginId::parse(id).ok()) {
        None => "plugin:(unreadable)".to_owned(),
        Some(id) => match field("version").and_then(|v| semver::Version::parse(v).ok()) {
            Some(version) => target(id.as_str(), &version.to_string()),
            None => format!("plugin:{id}"),
        },
    }
}

/// The refusal to run a version whose component was removed.
fn removed(record: &VersionRecord) -> RegistryError {
    RegistryError::ComponentRemoved(format!(
        "the component of {} {} was removed to free its unit's upload quota, so it can never run again; \
         upload the build again as a new version and have it approved",
        record.plugin_id, record.version
    ))
}

/// The audit target of a plugin version.
fn target(plugin_id: &str, version: &str) -> String {
    format!("plugin:{plugin_id}@{version}")
}

fn plugin_id_of(raw: &str) -> Result<PluginId, RegistryError> {
    PluginId::parse(raw).map_err(|_| RegistryError::NotFound(format!("there is no plugin {raw}")))
}

fn approved(record: &VersionRecord) -> Result<(Vec<Grant>, Limits), RegistryError> {
    match (&record.granted, record.granted_limits) {
        (Some(grants), Some(limits)) => Ok((grants.clone(), limits)),
        _ => Err(RegistryError::Internal(format!("{} {} has no recorded approval", record.plugin_id, record.version))),
    }
}

/// The requested limits, each capped at the platform maximum.
fn capped(requested: Limits, platform: &crate::config::RuntimeConfig) -> Limits {
    Limits {
        memory_mb: requested.memory_mb.min(platform.max_memory_mb),
        timeout_ms: requested.timeout_ms.min(platform.max_timeout_ms),
        max_concurrency: requested.max_concurrency.min(platform.max_concurrency),
    }
}

/// Granted limits may not exceed the request or the platform maxima.
fn check_limits(
    granted: &Limits,
    requested: &Limits,
    platform: &crate::config::RuntimeConfig,
) -> Result<(), RegistryError> {
    let checks = [
        ("memory-mb", granted.memory_mb, requested.memory_mb, platform.max_memory_mb),
        ("timeout-ms", granted.timeout_ms, requested.timeout_ms, platform.max_timeout_ms),
        ("max-concurrency", granted.max_concurrency, requested.max_concurrency, platform.max_concurrency),
    ];
    for (name, granted, requested, maximum) in checks {
        if granted == 0 || granted > requested.min(maximum) {
            return Err(RegistryError::InvalidGrant(format!(
                "limit {name} = {granted} must be between 1 and {} (requested {requested}, platform maximum {maximum})",
                requested.min(maximum)
            )));
        }
    }
    Ok(())
}
