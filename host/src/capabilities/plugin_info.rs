//! `plugin-info`: what a plugin knows about itself — the service id it is
//! installed as and the unit that owns it. Nothing to grant: it tells the
//! plugin only what its owner already knows, and lets "staff of my own unit"
//! be one check instead of a hard-coded unit id.

use wasmtime::component::{HasSelf, Linker};

use crate::wit::Unit;
use crate::wit::onewindow::platform::plugin_info;

/// Per-instance context: fixed for the plugin version.
pub struct PluginInfoContext {
    service_id: String,
    owner: Option<Unit>,
}

impl PluginInfoContext {
    /// The answers for a plugin installed as `service_id`, owned by `owner`.
    pub fn new(service_id: String, owner: Option<Unit>) -> PluginInfoContext {
        PluginInfoContext { service_id, owner }
    }
}

impl plugin_info::Host for PluginInfoContext {
    async fn service_id(&mut self) -> String {
        self.service_id.clone()
    }

    async fn owner_unit(&mut self) -> Option<Unit> {
        self.owner.clone()
    }
}

/// Links the `plugin-info` interface; `context` finds the per-instance context.
pub fn link<T: Send + 'static>(
    linker: &mut Linker<T>,
    context: fn(&mut T) -> &mut PluginInfoContext,
) -> anyhow::Result<()> {
    plugin_info::add_to_linker::<T, HasSelf<PluginInfoContext>>(linker, context).map_err(|e| anyhow::anyhow!("{e:#}"))
}
