//! HTTP only: routing, extractors, JSON shapes and error → status mapping.
//! No SQL and no wasmtime here; handlers call `store`, `registry` and
//! `runtime`.

mod accept_language;
mod admin;
mod auth;
mod extract;
mod field_schemas;
mod health;
mod linkage_errors;
mod me;
mod metrics;
mod openapi;
mod plugins;
mod problem;
mod problem_responses;
mod registry_error;
mod reports;
pub mod request_id;
mod service_routes;
mod services;
mod staff;
mod state;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use utoipa_axum::router::OpenApiRouter;

pub use problem::{ApiError, FieldError, Problem};
pub use state::AppState;

/// The whole HTTP API, with its OpenAPI document and browsable docs.
pub fn router(state: AppState) -> Router {
    let max_body = (state.runtime.config().max_request_kb as usize) << 10;
    let (api, spec) = OpenApiRouter::with_openapi(openapi::base())
        .merge(health::router())
        .merge(auth::router())
        .merge(services::router())
        .merge(admin::router())
        .merge(plugins::router((state.runtime.config().max_component_mb as usize) << 20))
        .merge(me::router())
        .merge(staff::router())
        .merge(metrics::router())
        .split_for_parts();
    api.merge(services::call_router())
        .merge(openapi::router(spec))
        .fallback(problem::not_found)
        .method_not_allowed_fallback(problem::method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn_with_state(state.clone(), extract::authenticate))
        .layer(request_id::trace_layer())
        .layer(axum::middleware::from_fn(request_id::middleware))
        .with_state(state)
}
