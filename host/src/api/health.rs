//! Liveness and readiness.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::problem::{ApiError, Problem};
use super::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz))
}

/// Health report.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the database answers.
    status: &'static str,
    /// `sqlite` or `postgres`.
    database: &'static str,
    /// How many services are active.
    active_services: usize,
    /// The host's version.
    version: &'static str,
}

/// Is the host up and its database reachable?
#[utoipa::path(get, path = "/api/v1/healthz", tag = "platform",
    responses((status = 200, body = Health), (status = 503, body = Problem)))]
async fn healthz(State(state): State<AppState>) -> Result<axum::Json<Health>, ApiError> {
    sqlx::query("SELECT 1")
        .execute(state.store.pool())
        .await
        .map_err(|e| ApiError::ServiceUnavailable(format!("the database does not answer: {e}")))?;
    let database = match state.store.backend() {
        crate::store::Backend::Sqlite => "sqlite",
        crate::store::Backend::Postgres => "postgres",
    };
    Ok(axum::Json(Health {
        status: "ok",
        database,
        active_services: state.runtime.list().len(),
        version: env!("CARGO_PKG_VERSION"),
    }))
}
