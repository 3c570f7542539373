//! Onewindow host: the portal HTTP API, the WebAssembly plugin runtime, the
//! capabilities plugins reach data through, and the `onewindow` CLI.
//!
//! Data flows one way: `api` → (`registry` | `runtime`) → `capabilities` →
//! `store`. Nothing below calls up.

pub mod api;
pub mod audit;
pub mod auth;
pub mod capabilities;
pub mod cli;
pub mod config;
pub mod data_dir;
pub mod http_server;
pub mod records;
pub mod registry;
pub mod reports;
pub mod runtime;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod wit;
