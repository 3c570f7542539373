//! The unit's case queue: list (by status, overdue, service, area), read,
//! move, hand over or bring another unit in, and note. Only the lead unit
//! moves or refers a case; units brought in to assist (and former leads)
//! read it and add notes; any other unit does not see it at all.

use axum::extract::State;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::extract::{Json, PathParams, QueryParams, StaffUser};
use crate::api::linkage_errors::Page;
use crate::api::me::cases::{CaseDetail, CasePage, detail};
use crate::api::problem::{ApiError, Problem};
use crate::api::state::AppState;
use crate::store::cases::{self, Case, CaseActor, CaseFilter, CaseStatus};
use crate::store::tx::RequestTx;
use crate::store::{timestamp, units};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(queue))
        .routes(routes!(read_case))
        .routes(routes!(transition_case))
        .routes(routes!(refer_case))
        .routes(routes!(note_case))
}

/// Filters of the queue.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    status: Option<CaseStatus>,
    /// Only open cases past their due date.
    overdue: Option<bool>,
    /// Only cases of this service (plugin id).
    service: Option<String>,
    /// Only cases of residents of this area.
    area: Option<String>,
    /// `lead` (default: cases the unit leads now) or `all` (also those it
    /// assists or handed over).
    #[param(pattern = "^(lead|all)$")]
    role: Option<String>,
    /// At most this many (1–200, default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// How many to skip (default 0).
    offset: Option<u32>,
}

/// Your unit's cases, newest first.
#[utoipa::path(get, path = "/api/v1/staff/cases", tag = "staff", security(("bearer" = [])), params(QueueQuery),
    responses((status = 200, body = CasePage), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn queue(
    State(state): State<AppState>,
    staff: StaffUser,
    QueryParams(query): QueryParams<QueueQuery>,
) -> Result<axum::Json<CasePage>, ApiError> {
    let (limit, offset) = Page { limit: query.limit, offset: query.offset }.bounds()?;
    let (unit, lead_unit) = match query.role.as_deref() {
        None | Some("lead") => (None, Some(staff.unit.clone())),
        Some("all") => (Some(staff.unit.clone()), None),
        Some(_) => return Err(ApiError::field("role", "must be `lead` or `all`")),
    };
    let filter = CaseFilter {
        service: query.service,
        unit,
        lead_unit,
        status: query.status,
        area: query.area,
        overdue_at: query.overdue.filter(|o| *o).map(|_| timestamp::now()),
        limit,
        offset,
        ..CaseFilter::default()
    };
    let tx = RequestTx::for_platform(state.store.clone());
    let (found, total) = cases::list(&tx, &filter).await?;
    let mut items = Vec::with_capacity(found.len());
    for case in found {
        items.push(detail(&tx, case).await?);
    }
    Ok(axum::Json(CasePage::new(total, items)))
}

/// The unit's part in a case, or not-found: a case the unit never had does
/// not exist for its staff.
async fn visible(tx: &RequestTx, staff: &StaffUser, id: i64) -> Result<(Case, String), ApiError> {
    let missing = || ApiError::NotFound(format!("your unit has no case {id}"));
    let case = cases::get(tx, id).await?.ok_or_else(missing)?;
    let role = cases::units(tx, id).await?.into_iter().find(|u| u.unit == staff.unit).map(|u| u.role);
    Ok((case, role.ok_or_else(missing)?))
}

fn lead_only(role: &str) -> Result<(), ApiError> {
    if role != "lead" {
        return Err(ApiError::Forbidden("only the unit leading the case may move or refer it".into()));
    }
    Ok(())
}

fn actor(staff: &StaffUser) -> CaseActor<'_> {
    CaseActor { id: &staff.user.account.id, unit: Some(&staff.unit), via: "staff-console" }
}

/// One case of your unit with its units and whole history.
#[utoipa::path(get, path = "/api/v1/staff/cases/{id}", tag = "staff", security(("bearer" = [])),
    params(("id" = i64, Path, description = "case id")),
    responses((status = 200, body = CaseDetail), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn read_case(
    State(state): State<AppState>,
    staff: StaffUser,
    PathParams(id): PathParams<i64>,
) -> Result<axum::Json<CaseDetail>, ApiError> {
    let tx = RequestTx::for_platform(state.store.clone());
    let (case, _) = visible(&tx, &staff, id).await?;
    Ok(axum::Json(detail(&tx, case).await?))
}

/// A status change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    to: CaseStatus,
    #[serde(default)]
    note: String,
}

/// Move a case your unit leads; an illegal move is a 409 naming the
/// allowed ones. The resident is told in their inbox.
#[utoipa::path(post, path = "/api/v1/staff/cases/{id}/transition", tag = "staff", security(("bearer" = [])),
    request_body = Transition, params(("id" = i64, Path, description = "case id")),
    responses((status = 200, body = CaseDetail), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn transition_case(
    State(state): State<AppState>,
    staff: StaffUser,
    PathParams(id): PathParams<i64>,
    Json(input): Json<Transition>,
) -> Result<axum::Json<CaseDetail>, ApiError> {
    let tx = RequestTx::for_platform(state.store.clone());
    let (_, role) = visible(&tx, &staff, id).await?;
    lead_only(&role)?;
    let case = cases::transition(&tx, id, input.to, input.note.trim(), actor(&staff), Some(&staff.unit)).await?;
    tx.commit().await?;
    Ok(axum::Json(detail(&RequestTx::for_platform(state.store.clone()), case).await?))
}

/// A referral.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Referral {
    /// The unit to hand the case to, or to bring in.
    unit: String,
    /// true: bring `unit` in beside your unit; false: hand the case over.
    #[serde(default)]
    keep: bool,
    #[serde(default)]
    note: String,
}

/// Hand a case your unit leads to another unit, or bring one in: the case
/// keeps one history across all of them.
#[utoipa::path(post, path = "/api/v1/staff/cases/{id}/refer", tag = "staff", security(("bearer" = [])),
    request_body = Referral, params(("id" = i64, Path, description = "case id")),
    responses((status = 200, body = CaseDetail), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn refer_case(
    State(state): State<AppState>,
    staff: StaffUser,
    PathParams(id): PathParams<i64>,
    Json(input): Json<Referral>,
) -> Result<axum::Json<CaseDetail>, ApiError> {
    if units::find(&state.store, &input.unit).await?.is_none() {
        return Err(ApiError::field("unit", format!("there is no unit `{}`", input.unit)));
    }
    let tx = RequestTx::for_platform(state.store.clone());
    let (_, role) = visible(&tx, &staff, id).await?;
    lead_only(&role)?;
    let case =
        cases::refer(&tx, id, &input.unit, input.keep, input.note.trim(), actor(&staff), Some(&staff.unit)).await?;
    tx.commit().await?;
    Ok(axum::Json(detail(&RequestTx::for_platform(state.store.clone()), case).await?))
}

/// A note.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Note {
    note: String,
}

/// Add a note to a case your unit leads or assists.
#[utoipa::path(post, path = "/api/v1/staff/cases/{id}/notes", tag = "staff", security(("bearer" = [])),
    request_body = Note, params(("id" = i64, Path, description = "case id")),
    responses((status = 200, body = CaseDetail), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn note_case(
    State(state): State<AppState>,
    staff: StaffUser,
    PathParams(id): PathParams<i64>,
    Json(input): Json<Note>,
) -> Result<axum::Json<CaseDetail>, ApiError> {
    if input.note.trim().is_empty() {
        return Err(ApiError::field("note", "must not be empty"));
    }
    let tx = RequestTx::for_platform(state.store.clone());
    let (case, role) = visible(&tx, &staff, id).await?;
    if role == "former" {
        return Err(ApiError::Forbidden("your unit handed this case over; it can read it but not add to it".into()));
    }
    cases::add_note(&tx, id, input.note.trim(), actor(&staff)).await?;
    tx.commit().await?;
    Ok(axum::Json(detail(&RequestTx::for_platform(state.store.clone()), case).await?))
}
