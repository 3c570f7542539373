//! `GET /api/v1/staff/reports`: the staff member's own unit's figures.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::extract::{QueryParams, StaffUser};
use crate::api::problem::{ApiError, Problem};
use crate::api::reports::{PeriodQuery, figures, render};
use crate::api::state::AppState;
use crate::reports::Report;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(unit_report))
}

/// Your unit's figures for a day, week or quarter (JSON, or CSV with `Accept: text/csv`).
#[utoipa::path(get, path = "/api/v1/staff/reports", tag = "staff", security(("bearer" = [])), params(PeriodQuery),
    responses((status = 200, description = "the figures", content((Report = "application/json"), (String = "text/csv"))), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn unit_report(
    State(state): State<AppState>,
    staff: StaffUser,
    headers: HeaderMap,
    QueryParams(query): QueryParams<PeriodQuery>,
) -> Result<Response, ApiError> {
    let report = figures(&state, &query, Some(&staff.unit)).await?;
    Ok(render(&report, &headers))
}
