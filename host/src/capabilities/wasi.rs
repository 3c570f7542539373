//! WASI preview 2, linked because Rust's standard library imports it even
//! when unused. The context behind it is empty (see `runtime::state`): no
//! files, environment, arguments or sockets; clocks and random work, and
//! stdout/stderr go to the plugin's log.
//!
//! Which WASI interfaces a plugin may import at all is decided at install
//! (`registry::validate`): `wasi:http` is refused; `wasi:sockets`, which
//! Python's and JavaScript's runtimes import, links to this empty context,
//! so every address and name lookup is denied.

use wasmtime::component::Linker;

use wasmtime_wasi::WasiView;

/// Links WASI p2.
pub fn link<T: WasiView + 'static>(linker: &mut Linker<T>) -> anyhow::Result<()> {
    wasmtime_wasi::p2::add_to_linker_async(linker).map_err(|e| anyhow::anyhow!("{e:#}"))
}
