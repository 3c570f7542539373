//! The capabilities a plugin reaches the world through, one module per WIT
//! import interface. Each module owns its per-instance context, the host
//! implementation that checks every call, its grant kind, and a `link`
//! function generic over the store state; the runtime only asks each to
//! link itself (`runtime::state::linker`).
//! `plugin_info` is the one import without a grant. The writing ones (data,
//! records, cases, notify) share the request's one transaction (`store::tx`).

pub mod cases;
pub mod data;
pub mod grant;
pub mod log;
pub mod notify;
pub mod plugin_info;
pub mod records;
pub mod wasi;
