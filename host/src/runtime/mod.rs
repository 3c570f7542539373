//! The wasmtime runtime: one engine, compiled components cached on disk, a
//! fresh instance for every request, and per-plugin limits.

mod artifact_cache;
pub mod engine;
pub mod invoke;
pub mod limits;
pub mod loaded;
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
        Ok(Runtime {
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

    /// Compiles `bytes`, or loads the cached artifact for `sha256`.
    pub fn component(&self, sha256: &str, bytes: &[u8]) -> Result<Component, CompileError> {
        self.cache.load_or_compile(&self.engine, sha256, bytes)
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

    /// Held by every lifecycle act from its checks to its runtime swap, so
    /// concurrent acts (two approvals, approve and reject) cannot interleave
    /// and leave the database and what is served disagreeing.
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
        invoke::invoke(&self.engine, &self.store, &self.keyring, &self.logs, plugin, invocation).await
    }
}
