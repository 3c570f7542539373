//! The wasmtime runtime: one engine, compiled components cached on disk, a
//! fresh instance for every request, and per-plugin limits.

mod admission;
mod artifact_cache;
mod compute_lanes;
pub mod engine;
pub mod invoke;
pub mod limits;
pub mod loaded;
mod output;
pub mod plugin_logs;
pub mod state;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use wasmtime::Engine;
use wasmtime::component::{Component, Linker};

pub use artifact_cache::{ArtifactCache, CompileError};
pub use invoke::{Invocation, InvokeError};
pub use limits::PluginLimits;
pub use loaded::{Approval, LoadedPlugin};
pub use state::InstanceState;

use crate::config::RuntimeConfig;
use crate::records::sealing::Keyring;
use crate::registry::manifest::PluginId;
use crate::store::Store;

/// The plugin runtime: what the API calls into.
pub struct Runtime {
    engine: Engine,
    linker: Linker<InstanceState>,
    cache: ArtifactCache,
    config: RuntimeConfig,
    store: Store,
    keyring: Arc<Keyring>,
    logs: Arc<plugin_logs::PluginLogs>,
    active: RwLock<HashMap<PluginId, Arc<LoadedPlugin>>>,
    lifecycle: tokio::sync::Mutex<()>,
    admission: admission::Admission,
    compute_lanes: compute_lanes::ComputeLanes,
    _ticker: engine::EpochTicker,
}

impl Runtime {
    /// Builds the engine, starts its epoch ticker and links every capability.
    pub fn new(
        config: RuntimeConfig,
        cache: ArtifactCache,
        store: Store,
        keyring: Arc<Keyring>,
    ) -> anyhow::Result<Runtime> {
        let engine = engine::build(&config)?;
        let ticker = engine::EpochTicker::start(engine.clone());
        let linker = state::linker(&engine)?;
        let admission = admission::Admission::new(config.pool_instances.max(1) as usize);
        let compute_lanes = compute_lanes::ComputeLanes::new(config.compute_lanes);
        Ok(Runtime {
            admission,
            compute_lanes,
            engine,
            linker,
            cache,
            config,
            store,
            keyring,
            logs: Arc::default(),
            active: RwLock::default(),
            lifecycle: tokio::sync::Mutex::new(()),
            _ticker: ticker,
        })
    }

    /// The engine (for validation at install).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The linker with every capability (for validation at install).
    pub fn linker(&self) -> &Linker<InstanceState> {
        &self.linker
    }

    /// Each plugin's recent log lines, for its unit to read.
    pub fn plugin_logs(&self) -> &Arc<plugin_logs::PluginLogs> {
        &self.logs
    }

    /// The keys that seal sensitive columns of the shared record.
    pub fn keyring(&self) -> &Arc<Keyring> {
        &self.keyring
    }

    /// The platform maxima.
    pub fn config(&self) -> &RuntimeConfig {
        &self.config
    }

    /// Compiles `bytes`, or loads the cached artifact for `sha256`, if the
    /// component fits the instance pool and `accept` takes it.
    pub fn component<E: From<CompileError>>(
        &self,
        sha256: &str,
        bytes: &[u8],
        accept: impl Fn(&Component) -> Result<(), E>,
    ) -> Result<Component, E> {
        self.cache.load_or_compile(&self.engine, sha256, bytes, accept)
    }

    /// The cached artifact of `sha256`, if there is a usable one that
    /// `accept` takes; `None` when the component must be compiled.
    pub fn cached_component<E>(
        &self,
        sha256: &str,
        accept: impl Fn(&Component) -> Result<(), E>,
    ) -> Option<Result<Component, E>> {
        self.cache.load_cached(&self.engine, sha256, accept)
    }

    /// Removes cached artifacts of components outside `keep` (sha256s) and
    /// of other engines; see [`ArtifactCache::collect`].
    pub fn collect_artifacts(&self, keep: &std::collections::HashSet<String>) -> std::io::Result<usize> {
        self.cache.collect(&self.engine, keep)
    }

    /// Prepares a compiled component to serve with what was approved.
    pub fn prepare(&self, approval: Approval, component: &Component) -> anyhow::Result<LoadedPlugin> {
        LoadedPlugin::prepare(&self.linker, component, approval, &self.config)
    }

    /// Routes new calls for this plugin to `plugin`. Calls in flight keep
    /// the `Arc` of the version they started on.
    pub fn activate(&self, plugin: LoadedPlugin) {
        let mut active = self.active.write().expect("runtime lock poisoned");
        active.insert(plugin.manifest().id.clone(), Arc::new(plugin));
    }

    /// Held by every lifecycle act from its checks to its runtime swap, and
    /// by every sync of a plugin with the database. Acts across hosts are
    /// serialised by the database's lifecycle lock, but that lock ends at
    /// commit, before this host swaps its runtime: without this one a sync
    /// prompted by a later act on another host could read the database and
    /// swap first, and this act's older swap would then win.
    pub async fn lifecycle_lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.lifecycle.lock().await
    }

    /// Stops routing new calls to this plugin (suspended or retired).
    /// Calls in flight finish.
    pub fn deactivate(&self, id: &PluginId) {
        self.active.write().expect("runtime lock poisoned").remove(id);
    }

    /// The active version of a plugin.
    pub fn get(&self, id: &str) -> Option<Arc<LoadedPlugin>> {
        let id = PluginId::parse(id).ok()?;
        self.active.read().expect("runtime lock poisoned").get(&id).cloned()
    }

    /// Every active plugin, by id.
    pub fn list(&self) -> Vec<Arc<LoadedPlugin>> {
        let active = self.active.read().expect("runtime lock poisoned");
        let mut plugins: Vec<_> = active.values().cloned().collect();
        plugins.sort_by(|a, b| a.manifest().id.cmp(&b.manifest().id));
        plugins
    }

    /// Calls `plugin` with one request in a fresh instance.
    pub async fn invoke(
        &self,
        plugin: &LoadedPlugin,
        invocation: Invocation,
    ) -> Result<crate::wit::Response, InvokeError> {
        // The plugin's own slot is taken first, so it counts itself.
        let admitted = || {
            let slot = self.admission.admit(plugin.in_use().saturating_sub(1))?;
            Some(invoke::Admitted { slot, compute: self.compute_lanes.for_call() })
        };
        let started = std::time::Instant::now();
        let outcome =
            invoke::invoke(&self.engine, &self.store, &self.keyring, &self.logs, plugin, admitted, invocation).await;
        // Every refusal of a call is a 5xx to its caller (see `api::problem`).
        let status = outcome.as_ref().map_or(500, |response| response.status);
        plugin.metrics().call_finished(status, started.elapsed());
        outcome
    }

    /// Compute lanes (see `compute_lanes`): how many there are, and how
    /// many long calls hold one now.
    pub fn compute_lanes(&self) -> (usize, usize) {
        (self.compute_lanes.count(), self.compute_lanes.in_use())
    }

    /// Instance slots in use across every plugin.
    pub fn instances_in_use(&self) -> usize {
        self.admission.in_use()
    }
}
