//! `GET /api/v1/me/cases`: every case of the resident, whatever service
//! opened it, with its status and whole history; and rating a closed case
//! once (好差评).

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::extract::{Json, PathParams, QueryParams, ResidentUser};
use crate::api::linkage_errors::Page;
use crate::api::problem::{ApiError, Problem};
use crate::api::state::AppState;
use crate::store::cases::{self, Case, CaseActor, CaseFilter, CaseStatus, CaseUnit, HistoryEntry};
use crate::store::tx::RequestTx;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(my_cases)).routes(routes!(rate_case))
}

/// A case with the units on it and its history.
#[derive(Serialize, ToSchema)]
pub struct CaseDetail {
    #[serde(flatten)]
    case: Case,
    /// Every unit it has been with (the lead first).
    units: Vec<CaseUnit>,
    history: Vec<HistoryEntry>,
    /// Open and past its due date.
    overdue: bool,
}

/// Reads a case's units and history.
pub async fn detail(tx: &RequestTx, case: Case) -> Result<CaseDetail, ApiError> {
    let units = cases::units(tx, case.id).await?;
    let history = cases::history(tx, case.id).await?;
    let overdue = case.is_overdue(&crate::store::timestamp::now());
    Ok(CaseDetail { case, units, history, overdue })
}

/// A case as its resident sees it: the units' internal notes are left out,
/// and staff appear as their unit, not by account.
async fn resident_detail(tx: &RequestTx, case: Case) -> Result<CaseDetail, ApiError> {
    let mut detail = detail(tx, case).await?;
    detail.history.retain(|entry| entry.action != "note");
    for entry in &mut detail.history {
        if let Some(unit) = &entry.actor_unit {
            entry.actor = format!("staff of {unit}");
        }
    }
    Ok(detail)
}

/// A page of cases.
#[derive(Serialize, ToSchema)]
pub struct CasePage {
    total: i64,
    items: Vec<CaseDetail>,
}

impl CasePage {
    pub fn new(total: i64, items: Vec<CaseDetail>) -> CasePage {
        CasePage { total, items }
    }
}

/// Filters of the resident's list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MyCasesQuery {
    status: Option<CaseStatus>,
    /// At most this many (1–200, default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// How many to skip (default 0).
    offset: Option<u32>,
}

/// Every case of yours across all services, newest first, each with its
/// status, the units on it and its history.
#[utoipa::path(get, path = "/api/v1/me/cases", tag = "me", security(("bearer" = [])), params(MyCasesQuery),
    responses((status = 200, body = CasePage), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn my_cases(
    State(state): State<AppState>,
    user: ResidentUser,
    QueryParams(query): QueryParams<MyCasesQuery>,
) -> Result<axum::Json<CasePage>, ApiError> {
    let (limit, offset) = Page { limit: query.limit, offset: query.offset }.bounds()?;
    let tx = RequestTx::for_platform(state.store.clone());
    let filter = CaseFilter {
        resident: Some(user.0.account.id.clone()),
        status: query.status,
        limit,
        offset,
        ..CaseFilter::default()
    };
    let (found, total) = cases::list(&tx, &filter).await?;
    let mut items = Vec::with_capacity(found.len());
    for case in found {
        items.push(resident_detail(&tx, case).await?);
    }
    Ok(axum::Json(CasePage { total, items }))
}

/// A rating of a closed case.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rating {
    /// 1 (poor) to 5 (excellent).
    #[schema(minimum = 1, maximum = 5)]
    rating: i64,
    /// At most 1000 characters.
    #[serde(default)]
    #[schema(max_length = 1000)]
    comment: String,
}

/// Rate one of your closed cases, once: 1–5 and an optional comment.
#[utoipa::path(post, path = "/api/v1/me/cases/{id}/rating", tag = "me", security(("bearer" = [])), request_body = Rating,
    params(("id" = i64, Path, description = "case id")),
    responses((status = 200, body = CaseDetail), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn rate_case(
    State(state): State<AppState>,
    user: ResidentUser,
    PathParams(id): PathParams<i64>,
    Json(input): Json<Rating>,
) -> Result<axum::Json<CaseDetail>, ApiError> {
    if !(1..=5).contains(&input.rating) {
        return Err(ApiError::field("rating", "must be 1 to 5"));
    }
    if input.comment.chars().count() > 1000 {
        return Err(ApiError::field("comment", "must be at most 1000 characters"));
    }
    let tx = RequestTx::for_platform(state.store.clone());
    let resident = user.0.account.id.as_str();
    match cases::get(&tx, id).await? {
        Some(case) if case.resident == resident => {}
        _ => return Err(ApiError::NotFound(format!("you have no case {id}"))),
    }
    let actor = CaseActor { id: resident, unit: None, via: "portal" };
    let case = cases::rate(&tx, id, input.rating, input.comment.trim(), actor).await?;
    tx.commit().await?;
    let tx = RequestTx::for_platform(state.store.clone());
    Ok(axum::Json(resident_detail(&tx, case).await?))
}
