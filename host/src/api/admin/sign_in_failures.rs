//! Failed sign-ins, counted per username per 15-minute window (the audit
//! trail chains only the first failure of each window).

use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::extract::{AdminUser, QueryParams};
use crate::api::problem::{ApiError, Problem};
use crate::api::state::AppState;
use crate::store::sign_in_failures::{self, FailureCount};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_failures))
}

/// Which windows to read.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FailuresQuery {
    /// Windows that began at or after this time (RFC 3339, UTC); the last
    /// 24 hours when omitted.
    #[param(format = DateTime)]
    pub since: Option<String>,
    /// At most this many counts (1 to 500, default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// Failed sign-ins per username and window, newest window first, the
/// most failures first within a window.
#[utoipa::path(get, path = "/api/v1/admin/sign-in-failures", tag = "admin", security(("bearer" = [])), params(FailuresQuery),
    responses((status = 200, body = Vec<FailureCount>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn list_failures(
    State(state): State<AppState>,
    _admin: AdminUser,
    QueryParams(query): QueryParams<FailuresQuery>,
) -> Result<axum::Json<Vec<FailureCount>>, ApiError> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::field("limit", "must be 1 to 500"));
    }
    let since = match &query.since {
        Some(text) => time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .map_err(|_| ApiError::field("since", "must be an RFC 3339 time, e.g. 2026-11-27T09:00:00Z"))?,
        None => time::OffsetDateTime::now_utc() - time::Duration::days(1),
    };
    let since = crate::store::timestamp::format(sign_in_failures::window_start(since));
    Ok(axum::Json(sign_in_failures::since(&state.store, &since, limit).await?))
}
