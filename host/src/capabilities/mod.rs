//! The capabilities a plugin reaches the world through, one module per WIT
//! import interface. Each module owns its per-instance context, the host
//! implementation that checks every call, and a `link` function generic over
//! the store state; the runtime only asks each to link itself
//! (`runtime::state::linker`).

pub mod data;
pub mod grant;
pub mod log;
pub mod wasi;
