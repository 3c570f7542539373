//! Reading and checking the audit trail.

use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::extract::{AdminUser, QueryParams};
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
    QueryParams(query): QueryParams<audit::Query>,
) -> Result<axum::Json<Vec<Entry>>, ApiError> {
    // Sequence numbers start at 1: a negative `after` is a client's mistake
    // (the document says so), not a synonym for "from the start".
    if query.after.is_some_and(|after| after < 0) {
        return Err(ApiError::field("after", "must be 0 or more"));
    }
    if query.limit.is_some_and(|limit| !(1..=500).contains(&limit)) {
        return Err(ApiError::field("limit", "must be 1 to 500"));
    }
    Ok(axum::Json(audit::list(&state.store, &query).await?))
}

/// Where a verification must reach, besides the platform's own head.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VerifyQuery {
    /// A head recorded earlier outside the platform, as `SEQ:HASH` (what a
    /// successful verification returns as `head`): the trail must still hold
    /// that entry with that hash, or it was truncated or rewritten.
    #[param(pattern = "^[0-9]{1,18}:[0-9a-f]{64}$")]
    pub head: Option<String>,
}

/// Check the whole chain on the server with the audit key, reading it a page
/// at a time, and report the first broken entry; when it checks out, `head`
/// is its last entry, to record outside the platform. Used by `onewindow
/// audit verify [--head SEQ:HASH]`.
#[utoipa::path(get, path = "/api/v1/admin/audit/verify", tag = "admin", security(("bearer" = [])), params(VerifyQuery),
    responses((status = 200, body = Verification), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn verify_chain(
    State(state): State<AppState>,
    _admin: AdminUser,
    QueryParams(query): QueryParams<VerifyQuery>,
) -> Result<axum::Json<Verification>, ApiError> {
    let recorded = query.head.map(|head| head.parse::<Head>()).transpose().map_err(|e| ApiError::field("head", e))?;
    Ok(axum::Json(audit::verify_stored(&state.store, recorded).await?))
}

/// The chain's head: the last entry's number and hash. Record it outside
/// the platform from time to time; a later trail must still reach it.
#[utoipa::path(get, path = "/api/v1/admin/audit/head", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Head), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn chain_head(State(state): State<AppState>, _admin: AdminUser) -> Result<axum::Json<Head>, ApiError> {
    Ok(axum::Json(audit::head(&state.store).await?))
}
