//! A plugin version ready to serve: its manifest, its pre-linked component
//! and its limits.

use std::sync::Arc;

use tokio::sync::Semaphore;
use wasmtime::component::{Component, Linker};

use super::limits::PluginLimits;
use super::state::InstanceState;
use crate::capabilities::cases::CasePolicy;
use crate::capabilities::data::PluginSchema;
use crate::capabilities::grant::Grant;
use crate::capabilities::notify::Templates;
use crate::config::RuntimeConfig;
use crate::records::policy::RecordPolicy;
use crate::registry::manifest::{Limits, Manifest};
use crate::telemetry::metrics::PluginMetrics;

/// What a version runs with: its manifest and exact bytes, and the grants
/// and limits an admin approved (never more than the manifest asked for).
pub struct Approval {
    pub manifest: Manifest,
    pub sha256: String,
    pub grants: Vec<Grant>,
    pub limits: Limits,
    /// The unit that owns it (none for first-party plugins). A partner
    /// owner means reading residents' personal data needs their consent.
    pub owner: Option<Unit>,
}
use crate::wit::{ServicePre, Unit, UnitKind};

/// An active plugin version, with what its admin granted it.
pub struct LoadedPlugin {
    manifest: Manifest,
    sha256: String,
    grants: Vec<Grant>,
    schema: Arc<PluginSchema>,
    records: Arc<RecordPolicy>,
    cases: Arc<CasePolicy>,
    templates: Arc<Templates>,
    owner: Option<Unit>,
    pre: ServicePre<InstanceState>,
    limits: PluginLimits,
    slots: Arc<Semaphore>,
    metrics: Arc<PluginMetrics>,
}

impl LoadedPlugin {
    /// Links `component` against every capability and checks its exports.
    /// Instantiating from the result later costs only the instance itself.
    pub fn prepare(
        linker: &Linker<InstanceState>,
        component: &Component,
        approval: Approval,
        platform: &RuntimeConfig,
    ) -> anyhow::Result<LoadedPlugin> {
        let instance_pre = linker.instantiate_pre(component).map_err(|e| anyhow::anyhow!("{e:#}"))?;
        let pre = ServicePre::new(instance_pre).map_err(|e| anyhow::anyhow!("{e:#}"))?;
        let Approval { manifest, sha256, grants, limits, owner } = approval;
        let limits = PluginLimits::new(limits, platform);
        let schema = Arc::new(PluginSchema::new(&manifest, &grants));
        let records = Arc::new(RecordPolicy::from_grants(&grants, |table| {
            let request = manifest.linkage.records.iter().find(|r| r.table == table);
            request.map(|r| r.purpose.clone()).unwrap_or_else(|| manifest.description.clone())
        }));
        let cases = Arc::new(CasePolicy::new(&manifest, &grants));
        let templates = Arc::new(Templates::new(&manifest, &grants));
        let slots = Arc::new(Semaphore::new(limits.max_concurrency as usize));
        let metrics = Arc::new(PluginMetrics::new(manifest.id.as_str(), &manifest.version.to_string()));
        Ok(LoadedPlugin {
            manifest,
            sha256,
            grants,
            schema,
            records,
            cases,
            templates,
            owner,
            pre,
            limits,
            slots,
            metrics,
        })
    }

    /// The sha256 of the component serving.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// What it was granted.
    pub fn grants(&self) -> &[Grant] {
        &self.grants
    }

    /// The plugin's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The limits it runs under.
    pub fn limits(&self) -> &PluginLimits {
        &self.limits
    }

    pub(super) fn schema(&self) -> &Arc<PluginSchema> {
        &self.schema
    }

    pub(super) fn records(&self) -> &Arc<RecordPolicy> {
        &self.records
    }

    pub(super) fn cases(&self) -> &Arc<CasePolicy> {
        &self.cases
    }

    pub(super) fn templates(&self) -> &Arc<Templates> {
        &self.templates
    }

    /// The unit that owns it; none for first-party plugins.
    pub fn owner(&self) -> Option<&Unit> {
        self.owner.as_ref()
    }

    /// Owned by a partner unit.
    pub fn owned_by_partner(&self) -> bool {
        self.owner.as_ref().is_some_and(|unit| unit.kind == UnitKind::Partner)
    }

    pub(super) fn pre(&self) -> &ServicePre<InstanceState> {
        &self.pre
    }

    /// Calls of this version in flight now.
    pub fn in_use(&self) -> usize {
        (self.limits.max_concurrency as usize).saturating_sub(self.slots.available_permits())
    }

    pub(super) fn slots(&self) -> &Arc<Semaphore> {
        &self.slots
    }

    /// Its series at `/metrics`.
    pub fn metrics(&self) -> &Arc<PluginMetrics> {
        &self.metrics
    }
}
