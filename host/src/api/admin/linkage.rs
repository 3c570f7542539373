//! Administration of the linkage layer: areas and which units serve them,
//! each unit's staff-console grants on the shared record, the access log
//! (with hiding an entry from its resident during an investigation), and
//! every unit's figures. Every change is on the audit trail.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::extract::{AdminUser, Json, PathParams, QueryParams};
use crate::api::problem::{ApiError, FieldError, Problem};
use crate::api::reports::{PeriodQuery, figures, render};
use crate::api::request_id::RequestId;
use crate::api::state::AppState;
use crate::audit::{self, Act};
use crate::capabilities::grant::{self, Grant};
use crate::records::access_log::{self, StoredEntry};
use crate::reports::Report;
use crate::store::areas::{self, Area, Served};
use crate::store::{unit_grants, units};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_areas))
        .routes(routes!(put_area))
        .routes(routes!(get_unit_areas, put_unit_areas))
        .routes(routes!(get_unit_grants, put_unit_grants))
        .routes(routes!(list_access_log))
        .routes(routes!(hide_access_entry))
        .routes(routes!(all_reports))
}

async fn record(
    store: &crate::store::Store,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    admin: &AdminUser,
    request_id: &RequestId,
    action: &str,
    target: String,
    details: serde_json::Value,
) -> Result<(), ApiError> {
    let actor = admin.0.actor();
    audit::record(store, tx, Act { actor: &actor, action, target: &target, details, request_id: &request_id.0 })
        .await?;
    Ok(())
}

/// The areas (communities) of the city.
#[utoipa::path(get, path = "/api/v1/admin/areas", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<Area>), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_areas(State(state): State<AppState>, _admin: AdminUser) -> Result<axum::Json<Vec<Area>>, ApiError> {
    Ok(axum::Json(areas::list(&state.store).await?))
}

/// An area's names.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AreaNames {
    name_zh: String,
    name_ug: String,
    name_en: String,
}

/// Create an area, or rename one.
#[utoipa::path(put, path = "/api/v1/admin/areas/{id}", tag = "admin", security(("bearer" = [])), request_body = AreaNames,
    params(("id" = String, Path, pattern = "^[a-z][a-z0-9-]{1,39}$", description = "area id: 2–40 lower-case letters, digits and hyphens, starting with a letter")),
    responses((status = 200, body = Area), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn put_area(
    State(state): State<AppState>,
    admin: AdminUser,
    request_id: RequestId,
    PathParams(id): PathParams<String>,
    Json(names): Json<AreaNames>,
) -> Result<axum::Json<Area>, ApiError> {
    let mut errors = Vec::new();
    let id_ok = (2..=40).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !id_ok {
        errors.push(FieldError::new(
            "id",
            "must be 2 to 40 lower-case letters, digits and hyphens, starting with a letter",
        ));
    }
    for (field, name) in [("name_zh", &names.name_zh), ("name_ug", &names.name_ug), ("name_en", &names.name_en)] {
        if !(1..=80).contains(&name.trim().chars().count()) {
            errors.push(FieldError::new(field, "must be 1 to 80 characters"));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let area = Area {
        id: id.clone(),
        name_zh: names.name_zh.trim().into(),
        name_ug: names.name_ug.trim().into(),
        name_en: names.name_en.trim().into(),
    };
    let mut tx = state.store.pool().begin().await?;
    let created = areas::upsert(&mut tx, &area).await?;
    let action = if created { "area.create" } else { "area.update" };
    record(
        &state.store,
        &mut tx,
        &admin,
        &request_id,
        action,
        format!("area:{id}"),
        serde_json::to_value(&area).unwrap_or_default(),
    )
    .await?;
    tx.commit().await?;
    Ok(axum::Json(area))
}

/// The areas a unit serves: a list of area ids, or `["*"]` for every area.
#[derive(Deserialize, serde::Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitAreas {
    areas: Vec<String>,
}

async fn known_unit(state: &AppState, id: &str) -> Result<(), ApiError> {
    if units::find(&state.store, id).await?.is_none() {
        return Err(ApiError::NotFound(format!("there is no unit `{id}`")));
    }
    Ok(())
}

/// The areas a unit serves (its staff's `unit` row scope).
#[utoipa::path(get, path = "/api/v1/admin/units/{id}/areas", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "unit id")),
    responses((status = 200, body = UnitAreas), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_unit_areas(
    State(state): State<AppState>,
    _admin: AdminUser,
    PathParams(id): PathParams<String>,
) -> Result<axum::Json<UnitAreas>, ApiError> {
    known_unit(&state, &id).await?;
    let areas = match areas::served_by(&state.store, &id).await? {
        Served::All => vec!["*".to_owned()],
        Served::Some(list) => list,
    };
    Ok(axum::Json(UnitAreas { areas }))
}

/// Set the areas a unit serves.
#[utoipa::path(put, path = "/api/v1/admin/units/{id}/areas", tag = "admin", security(("bearer" = [])), request_body = UnitAreas,
    params(("id" = String, Path, description = "unit id")),
    responses((status = 200, body = UnitAreas), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn put_unit_areas(
    State(state): State<AppState>,
    admin: AdminUser,
    request_id: RequestId,
    PathParams(id): PathParams<String>,
    Json(input): Json<UnitAreas>,
) -> Result<axum::Json<UnitAreas>, ApiError> {
    known_unit(&state, &id).await?;
    let served = if input.areas == ["*"] {
        Served::All
    } else {
        let known: Vec<String> = areas::list(&state.store).await?.into_iter().map(|a| a.id).collect();
        if let Some(unknown) = input.areas.iter().find(|a| !known.contains(a)) {
            return Err(ApiError::field("areas", format!("there is no area `{unknown}` (or give [\"*\"] for all)")));
        }
        let mut list = input.areas.clone();
        list.sort();
        list.dedup();
        Served::Some(list)
    };
    let mut tx = state.store.pool().begin().await?;
    areas::set_served(&mut tx, &id, &served).await?;
    record(
        &state.store,
        &mut tx,
        &admin,
        &request_id,
        "unit.areas",
        format!("unit:{id}"),
        serde_json::json!({ "areas": input.areas }),
    )
    .await?;
    tx.commit().await?;
    Ok(axum::Json(input))
}

/// A unit's staff-console grants on the shared record.
#[derive(Deserialize, serde::Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitGrants {
    /// `records` grants, as for plugins (`TABLE:OP:COLUMN`, `TABLE:rows:SCOPE`).
    grants: Vec<Grant>,
}

/// What a unit's staff may do with the shared record.
#[utoipa::path(get, path = "/api/v1/admin/units/{id}/grants", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "unit id")),
    responses((status = 200, body = UnitGrants), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_unit_grants(
    State(state): State<AppState>,
    _admin: AdminUser,
    PathParams(id): PathParams<String>,
) -> Result<axum::Json<UnitGrants>, ApiError> {
    known_unit(&state, &id).await?;
    Ok(axum::Json(UnitGrants { grants: unit_grants::get(&state.store, &id).await? }))
}

/// Replace a unit's staff-console grants. Only `records` grants; every
/// item must name a real table, operation and column; `all` rows need a
/// written reason.
#[utoipa::path(put, path = "/api/v1/admin/units/{id}/grants", tag = "admin", security(("bearer" = [])), request_body = UnitGrants,
    params(("id" = String, Path, description = "unit id")),
    responses((status = 200, body = UnitGrants), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn put_unit_grants(
    State(state): State<AppState>,
    admin: AdminUser,
    request_id: RequestId,
    PathParams(id): PathParams<String>,
    Json(input): Json<UnitGrants>,
) -> Result<axum::Json<UnitGrants>, ApiError> {
    known_unit(&state, &id).await?;
    let everything = everything_grantable();
    if let Some(other) = input.grants.iter().find(|g| g.capability != "records") {
        return Err(ApiError::field("grants", format!("units are granted `records` only, not `{}`", other.capability)));
    }
    grant::check_within(&input.grants, &[everything]).map_err(|message| ApiError::field("grants", message))?;
    let mut tx = state.store.pool().begin().await?;
    unit_grants::set(&mut tx, &id, &input.grants, &admin.0.account.id).await?;
    record(
        &state.store,
        &mut tx,
        &admin,
        &request_id,
        "unit.grants",
        format!("unit:{id}"),
        serde_json::json!({ "grants": input.grants }),
    )
    .await?;
    tx.commit().await?;
    Ok(axum::Json(input))
}

/// Every `records` item that exists: each operation on each column of each
/// table, and every row scope.
fn everything_grantable() -> Grant {
    let mut scope = Vec::new();
    for table in &crate::records::schema::schema().tables {
        for op in ["read", "insert", "update"] {
            for column in table.columns.iter().map(|c| c.name.as_str()).chain(["area"]) {
                scope.push(format!("{}:{op}:{column}", table.name));
            }
        }
        scope.push(format!("{}:rows:all", table.name));
    }
    Grant { capability: "records".into(), scope, reason: None }
}

/// Whose log to read.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AccessLogQuery {
    /// The resident's account id.
    resident: String,
    /// At most this many (1–200, default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// How many to skip (default 0).
    offset: Option<u32>,
}

/// A resident's access log as admins see it: hidden entries included.
#[utoipa::path(get, path = "/api/v1/admin/access-log", tag = "admin", security(("bearer" = [])), params(AccessLogQuery),
    responses((status = 200, body = Vec<StoredEntry>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn list_access_log(
    State(state): State<AppState>,
    _admin: AdminUser,
    QueryParams(query): QueryParams<AccessLogQuery>,
) -> Result<axum::Json<Vec<StoredEntry>>, ApiError> {
    let (limit, offset) = crate::api::linkage_errors::Page { limit: query.limit, offset: query.offset }.bounds()?;
    Ok(axum::Json(access_log::for_resident(&state.store, &query.resident, None, limit, offset).await?))
}

/// Hiding an entry.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Hide {
    /// Until when (RFC 3339, e.g. `2027-03-01T00:00:00Z`); at most two years ahead.
    until: String,
    /// Why (e.g. the investigation's file number).
    reason: String,
}

/// Hide an access-log entry from its resident until a date (an ongoing
/// police investigation). It stays visible to admins; the act is audited.
#[utoipa::path(post, path = "/api/v1/admin/access-log/{id}/hide", tag = "admin", security(("bearer" = [])), request_body = Hide,
    params(("id" = i64, Path, description = "entry id")),
    responses((status = 200, body = StoredEntry), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn hide_access_entry(
    State(state): State<AppState>,
    admin: AdminUser,
    request_id: RequestId,
    PathParams(id): PathParams<i64>,
    Json(input): Json<Hide>,
) -> Result<axum::Json<StoredEntry>, ApiError> {
    let mut errors = Vec::new();
    let now = time::OffsetDateTime::now_utc();
    let until = time::OffsetDateTime::parse(&input.until, &time::format_description::well_known::Rfc3339);
    match &until {
        Ok(until) if *until <= now => errors.push(FieldError::new("until", "must be in the future")),
        Ok(until) if *until > now + time::Duration::days(731) => {
            errors.push(FieldError::new("until", "must be at most two years ahead"))
        }
        Ok(_) => {}
        Err(_) => errors.push(FieldError::new("until", "must be an RFC 3339 time, e.g. 2027-03-01T00:00:00Z")),
    }
    if !(5..=1000).contains(&input.reason.trim().chars().count()) {
        errors.push(FieldError::new("reason", "must be 5 to 1000 characters"));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let until = crate::store::timestamp::format(until.expect("checked above"));
    let mut tx = state.store.pool().begin().await?;
    if !access_log::hide(&mut tx, id, &until, input.reason.trim()).await? {
        return Err(ApiError::NotFound(format!("there is no access-log entry {id}")));
    }
    let details = serde_json::json!({ "until": until, "reason": input.reason.trim() });
    record(&state.store, &mut tx, &admin, &request_id, "access-log.hide", format!("access-log:{id}"), details).await?;
    tx.commit().await?;
    let entry = access_log::find(&state.store, id).await?.ok_or_else(|| ApiError::NotFound(format!("entry {id}")))?;
    Ok(axum::Json(entry))
}

/// Every unit's figures for a day, week or quarter (JSON, or CSV with `Accept: text/csv`).
#[utoipa::path(get, path = "/api/v1/admin/reports", tag = "admin", security(("bearer" = [])), params(PeriodQuery),
    responses((status = 200, description = "the figures", content((Report = "application/json"), (String = "text/csv"))), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn all_reports(
    State(state): State<AppState>,
    _admin: AdminUser,
    headers: HeaderMap,
    QueryParams(query): QueryParams<PeriodQuery>,
) -> Result<Response, ApiError> {
    let report = figures(&state, &query, None).await?;
    Ok(render(&report, &headers))
}
