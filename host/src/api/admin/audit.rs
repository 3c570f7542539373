//! Reading and checking the audit trail.

use axum::extract::{Query, State};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::extract::AdminUser;
use crate::api::problem::{ApiError, Problem};
use crate::api::state::AppState;
use crate::audit::{self, Entry, Head, Verification};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_entries)).routes(routes!(verify_chain)).routes(routes!(chain_head))
}

/// Audit entries in order, filtered and paginated: pass the last `seq` you
/// saw as `after` to get the next page.
#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "admin", security(("bearer" = [])), params(audit::Query),
    responses((status = 200, body = Vec<Entry>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn list_entries(
    State(state): State<AppState>,
    _admin: AdminUser,
    query: Result<Query<audit::Query>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<Vec<Entry>>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::field("(query)", e.body_text()))?;
    Ok(axum::Json(audit::list(&state.store, &query).await?))
}

/// Check the whole chain on the server and report the first broken entry.
/// (`onewindow audit verify` downloads the trail and checks it itself.)
#[utoipa::path(get, path = "/api/v1/admin/audit/verify", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Verification), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn verify_chain(State(state): State<AppState>, _admin: AdminUser) -> Result<axum::Json<Verification>, ApiError> {
    let head = audit::head(&state.store).await?;
    Ok(axum::Json(audit::verify_to_head(&audit::all(&state.store).await?, &head)))
}

/// The chain's head: the last entry's number and hash. Record it outside
/// the platform from time to time; a later trail must still reach it.
#[utoipa::path(get, path = "/api/v1/admin/audit/head", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Head), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn chain_head(State(state): State<AppState>, _admin: AdminUser) -> Result<axum::Json<Head>, ApiError> {
    Ok(axum::Json(audit::head(&state.store).await?))
}
