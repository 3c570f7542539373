//! # onewindow-sdk — write a Onewindow service plugin
//!
//! A Onewindow service is a WebAssembly component that answers HTTP-like
//! requests routed to it by the host from `/api/v1/services/{id}/...`, and
//! keeps its data in its own tables through the host's `data` capability.
//! This crate hides the wit-bindgen plumbing: you write a [`Service`] with a
//! [`Router`] of plain functions, read JSON with [`Request::json`], answer
//! with [`Response::json`], query tables with [`table`], and return [`Error`]s
//! that become `application/problem+json` answers exactly like the host's own.
//!
//! Build with `cargo build --target wasm32-wasip2 --release`: rustc links a
//! component directly. Next to `Cargo.toml`, a `plugin.toml` manifest names
//! the service and declares its tables (see the repository README).
//!
//! ## A complete service
//!
//! A guest book: anyone reads, signed-in residents write, and the authors
//! can delete their own entries. The manifest declares table `entries` with
//! columns `author` (text, required), `message` (text, required) and
//! `written_at` (text, required).
//!
//! ```no_run
//! use onewindow_sdk::prelude::*;
//!
//! struct GuestBook;
//!
//! impl Service for GuestBook {
//!     fn router() -> Router {
//!         Router::new()
//!             .get("/entries", list)
//!             .post("/entries", write)
//!             .delete("/entries/{id}", remove)
//!     }
//! }
//!
//! #[derive(serde::Deserialize)]
//! struct NewEntry {
//!     message: String,
//! }
//!
//! fn list(req: &Request) -> Result<Response> {
//!     let limit = req.query_param("limit").and_then(|l| l.parse().ok()).unwrap_or(20);
//!     let rows = table("entries").all().order_by_desc("id").limit(limit).fetch()?;
//!     Ok(Response::json(200, &rows.to_json()))
//! }
//!
//! fn write(req: &Request) -> Result<Response> {
//!     let caller = req.require_role(Role::Resident)?;
//!     let entry: NewEntry = req.json()?;
//!     let mut problems = FieldErrors::new();
//!     problems.check(!entry.message.trim().is_empty(), "message", "must not be empty");
//!     problems.check(entry.message.chars().count() <= 500, "message", "at most 500 characters");
//!     problems.into_result()?;
//!     let id = table("entries")
//!         .insert()
//!         .set("author", caller.subject.as_str())
//!         .set("message", entry.message.trim())
//!         .set("written_at", onewindow_sdk::time::now_rfc3339())
//!         .execute()?;
//!     Ok(Response::json(201, &serde_json::json!({ "id": id })))
//! }
//!
//! fn remove(req: &Request) -> Result<Response> {
//!     let caller = req.require_role(Role::Resident)?;
//!     let id: i64 = req.param_parse("id")?;
//!     let deleted = table("entries")
//!         .delete()
//!         .where_eq("id", id)
//!         .where_eq("author", caller.subject.as_str())
//!         .execute()?;
//!     if deleted == 0 {
//!         return Err(Error::not_found(format!("no entry {id} of yours")));
//!     }
//!     Ok(Response::no_content())
//! }
//!
//! onewindow_sdk::export!(GuestBook);
//! ```

mod body;
pub mod cases;
pub mod data;
mod error;
#[cfg(all(feature = "harness", not(target_arch = "wasm32")))]
pub mod harness;
mod host;
mod http;
mod language;
pub mod log;
pub mod notify;
mod page;
pub mod plugin;
pub mod records;
mod router;
pub mod time;
mod transitions;
pub mod validate;

pub use body::BodyFields;
pub use data::{DataError, Filter, Row, RowRef, Rows, Value, table};
pub use error::{Error, FieldError, FieldErrors, Result};
pub use http::{Caller, Request, Response, Role, Unit, UnitKind};
pub use language::{Language, Localized};
pub use page::Page;
pub use records::record;
pub use router::Router;
pub use transitions::Transitions;

/// Everything a service usually needs, in one `use`.
pub mod prelude {
    pub use crate::data::Filter;
    pub use crate::{
        BodyFields, Caller, Error, FieldErrors, Language, Localized, Page, Request, Response, Result, Role, Router,
        Service, Transitions, UnitKind, record, table,
    };
}

/// The generated bindings of the `onewindow:platform` WIT package.
///
/// Most services never touch these directly; they are public so that a
/// service can reach an interface before the SDK wraps it.
#[allow(missing_docs, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "service",
        path: "wit",
        pub_export_macro: true,
        export_macro_name: "export_service_world",
        default_bindings_module: "onewindow_sdk::bindings",
    });
}

/// A service: a router of handlers. The SDK builds the router for every
/// request (the host gives each request a fresh instance anyway).
pub trait Service {
    /// The routes this service answers.
    fn router() -> Router;
}

/// Handles one request with `S`'s router. Used by [`export!`]; public so
/// the macro can reach it.
#[doc(hidden)]
pub fn dispatch<S: Service>(
    request: bindings::onewindow::platform::types::Request,
) -> bindings::onewindow::platform::types::Response {
    respond::<S>(request).into_wit()
}

/// Runs `request` through `S`'s router and turns an error into its problem
/// answer: what [`dispatch`] does, and what the test harness runs.
fn respond<S: Service>(request: bindings::onewindow::platform::types::Request) -> Response {
    let request_id = request.request_id.clone();
    S::router().handle(request).unwrap_or_else(|error| error.into_response(&request_id))
}

/// Exports a [`Service`] as the plugin's `handle` function.
///
/// Use it once, at the crate root of a `cdylib` crate.
#[macro_export]
macro_rules! export {
    ($service:ty) => {
        struct __OnewindowGuest;

        impl $crate::bindings::Guest for __OnewindowGuest {
            fn handle(
                request: $crate::bindings::onewindow::platform::types::Request,
            ) -> $crate::bindings::onewindow::platform::types::Response {
                $crate::dispatch::<$service>(request)
            }
        }

        $crate::bindings::export_service_world!(__OnewindowGuest with_types_in $crate::bindings);
    };
}
