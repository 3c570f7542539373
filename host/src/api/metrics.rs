//! `/metrics`: the Prometheus scrape, for admins only (it names every
//! plugin and how it fails). Recording lives in `telemetry::metrics`.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::AdminUser;
use super::problem::Problem;
use super::state::AppState;
use crate::telemetry::metrics::{self, PlatformGauges};

/// The content type of Prometheus's text exposition format.
const EXPOSITION: &str = "text/plain; version=0.0.4; charset=utf-8";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(scrape))
}

/// Prometheus metrics: per plugin version (calls by status class, latency,
/// traps, timeouts, memory kills, busy refusals, instantiation time, data
/// calls) and platform-wide (instance pool, database pools, sign-ins,
/// uploads, reviews). Scrape with an admin's bearer token.
#[utoipa::path(get, path = "/metrics", tag = "platform", security(("bearer" = [])),
    responses(
        (status = 200, description = "Prometheus text exposition format 0.0.4", content_type = "text/plain", body = String),
        (status = 401, body = Problem), (status = 403, body = Problem, description = "not an admin")))]
async fn scrape(State(state): State<AppState>, _admin: AdminUser) -> impl IntoResponse {
    let pool = |name, pool: &sqlx::AnyPool| (name, pool.size(), pool.num_idle(), pool.options().get_max_connections());
    metrics::set_platform(&PlatformGauges {
        instances_in_use: state.runtime.instances_in_use(),
        instance_pool_size: state.runtime.config().pool_instances,
        compute_lanes: state.runtime.compute_lanes(),
        db_pools: vec![pool("platform", state.store.pool()), pool("data", state.store.data_pool())],
    });
    ([(header::CONTENT_TYPE, EXPOSITION)], metrics::render())
}
