//! A plugin version ready to serve: its manifest, its pre-linked component
//! and its limits.

use std::sync::Arc;

use tokio::sync::Semaphore;
use wasmtime::component::{Component, Linker};

use super::limits::PluginLimits;
use super::state::InstanceState;
use crate::capabilities::data::PluginSchema;
use crate::config::RuntimeConfig;
use crate::registry::manifest::Manifest;
use crate::wit::ServicePre;

/// An active plugin version.
pub struct LoadedPlugin {
    manifest: Manifest,
    schema: Arc<PluginSchema>,
    pre: ServicePre<InstanceState>,
    limits: PluginLimits,
    slots: Arc<Semaphore>,
}

impl LoadedPlugin {
    /// Links `component` against every capability and checks its exports.
    /// Instantiating from the result later costs only the instance itself.
    pub fn prepare(
        linker: &Linker<InstanceState>,
        component: &Component,
        manifest: Manifest,
        platform: &RuntimeConfig,
    ) -> anyhow::Result<LoadedPlugin> {
        let instance_pre = linker.instantiate_pre(component).map_err(|e| anyhow::anyhow!("{e:#}"))?;
        let pre = ServicePre::new(instance_pre).map_err(|e| anyhow::anyhow!("{e:#}"))?;
        let limits = PluginLimits::new(manifest.limits, platform);
        let schema = Arc::new(PluginSchema::new(&manifest));
        let slots = Arc::new(Semaphore::new(limits.max_concurrency as usize));
        Ok(LoadedPlugin { manifest, schema, pre, limits, slots })
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

    pub(super) fn pre(&self) -> &ServicePre<InstanceState> {
        &self.pre
    }

    pub(super) fn slots(&self) -> &Arc<Semaphore> {
        &self.slots
    }
}
