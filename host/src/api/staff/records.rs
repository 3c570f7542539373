//! The shared record of the unit's areas, through the staff console: the
//! same engine as plugins, with the unit's grants. Sensitive columns are
//! listed masked; `reveal=id_number` shows one in full when the unit's
//! grant names it, and every personal read lands in the resident's access log.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::extract::{Json, PathParams, StaffUser};
use crate::api::problem::{ApiError, FieldError, Problem};
use crate::api::request_id::RequestId;
use crate::api::state::AppState;
use crate::records::access_log::{self, Via};
use crate::records::engine::{Actor, Provenance, Session};
use crate::records::policy::RecordPolicy;
use crate::records::schema;
use crate::registry::manifest::Localized;
use crate::store::accounts::Role;
use crate::store::tx::RequestTx;
use crate::store::unit_grants;
use crate::wit::onewindow::platform::data::{Assignment, Condition, Predicate, SelectQuery, Value};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_rows, insert_row))
        .routes(routes!(update_row))
        .routes(routes!(row_provenance))
}

async fn session(
    state: &AppState,
    staff: &StaffUser,
    request_id: &RequestId,
    tx: RequestTx,
) -> Result<Session, ApiError> {
    let grants = unit_grants::get(&state.store, &staff.unit).await?;
    let unit = staff.unit.clone();
    let policy = RecordPolicy::from_grants(&grants, |_| Localized {
        zh: format!("工作人员台账查阅（{unit}）"),
        ug: format!("خادىملار سۇپىسى ({unit})"),
        en: format!("staff console of {unit}"),
    });
    Ok(Session {
        store: state.store.clone(),
        tx,
        keyring: state.runtime.keyring().clone(),
        policy: Arc::new(policy),
        actor: Actor {
            subject: Some(staff.user.account.id.clone()),
            role: Some(Role::Staff),
            unit: Some(staff.unit.clone()),
        },
        via: Via::StaffConsole,
        request_id: request_id.0.clone(),
        mask_sensitive: true,
        reveal: Vec::new(),
        reads: Vec::new(),
    })
}

/// Writes the session's reads to the access log; no rows leave otherwise.
async fn log_reads(state: &AppState, session: &mut Session) -> Result<(), ApiError> {
    let reads = std::mem::take(&mut session.reads);
    access_log::write(&state.store, &reads).await?;
    Ok(())
}

fn table_exists(table: &str) -> Result<(), ApiError> {
    if schema::schema().table(table).is_none() {
        return Err(ApiError::NotFound(format!("there is no shared table `{table}`")));
    }
    Ok(())
}

/// Rows as objects.
#[derive(Serialize, ToSchema)]
pub struct RowPage {
    #[schema(value_type = Vec<Object>)]
    rows: Vec<BTreeMap<String, serde_json::Value>>,
}

fn to_json(value: &Value) -> serde_json::Value {
    match value {
        Value::Null => serde_json::Value::Null,
        Value::Integer(n) => (*n).into(),
        Value::Real(x) => (*x).into(),
        Value::Text(s) => s.clone().into(),
        Value::Boolean(b) => (*b).into(),
        Value::Bytes(b) => b.clone().into(),
    }
}

/// Rows of a shared table in your unit's areas, within your unit's grants.
/// Query: `COLUMN=VALUE` filters (exact match), `reveal=a,b` (sensitive
/// columns to show in full), `limit` (1–200, default 50), `offset`.
#[utoipa::path(get, path = "/api/v1/staff/records/{table}", tag = "staff", security(("bearer" = [])),
    params(("table" = String, Path, description = "shared table")),
    responses((status = 200, body = RowPage), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn list_rows(
    State(state): State<AppState>,
    staff: StaffUser,
    request_id: RequestId,
    PathParams(table): PathParams<String>,
    RawQuery(query): RawQuery,
) -> Result<axum::Json<RowPage>, ApiError> {
    table_exists(&table)?;
    let (mut limit, mut offset, mut reveal, mut conditions) = (50u32, 0u32, Vec::new(), Vec::new());
    let mut errors = Vec::new();
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "limit" => match value.parse() {
                Ok(n @ 1..=200) => limit = n,
                _ => errors.push(FieldError::new("limit", "must be 1 to 200")),
            },
            "offset" => match value.parse() {
                Ok(n) => offset = n,
                _ => errors.push(FieldError::new("offset", "must be a number")),
            },
            "reveal" => reveal.extend(value.split(',').map(|c| c.trim().to_owned()).filter(|c| !c.is_empty())),
            "id" => match value.parse() {
                Ok(id) => {
                    conditions.push(Condition { column: "id".into(), predicate: Predicate::Eq(Value::Integer(id)) })
                }
                _ => errors.push(FieldError::new("id", "must be a number")),
            },
            column => conditions.push(Condition {
                column: column.to_owned(),
                predicate: Predicate::Eq(Value::Text(value.into_owned())),
            }),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let mut session = session(&state, &staff, &request_id, RequestTx::for_platform(state.store.clone())).await?;
    session.reveal = reveal;
    let query = SelectQuery {
        table: table.clone(),
        columns: vec![],
        conditions,
        order_by: vec![],
        limit: Some(limit),
        offset: Some(offset),
    };
    let result = session.select(&query).await;
    log_reads(&state, &mut session).await?;
    let rows = result?;
    let objects =
        rows.rows.iter().map(|row| rows.columns.iter().cloned().zip(row.iter().map(to_json)).collect()).collect();
    Ok(axum::Json(RowPage { rows: objects }))
}

fn assignments(body: BTreeMap<String, Option<String>>) -> Vec<Assignment> {
    body.into_iter()
        .map(|(column, value)| Assignment { column, value: value.map_or(Value::Null, Value::Text) })
        .collect()
}

/// A row's id.
#[derive(Serialize, ToSchema)]
pub struct Created {
    id: i64,
}

/// Add a row (column → text) to a shared table in one of your unit's areas.
#[utoipa::path(post, path = "/api/v1/staff/records/{table}", tag = "staff", security(("bearer" = [])),
    request_body(content = Object, description = "column → text or null; `resident` names the account, `area` is required"),
    params(("table" = String, Path, description = "shared table")),
    responses((status = 201, body = Created), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn insert_row(
    State(state): State<AppState>,
    staff: StaffUser,
    request_id: RequestId,
    PathParams(table): PathParams<String>,
    Json(body): Json<BTreeMap<String, Option<String>>>,
) -> Result<(StatusCode, axum::Json<Created>), ApiError> {
    table_exists(&table)?;
    let tx = RequestTx::for_platform(state.store.clone());
    let mut session = session(&state, &staff, &request_id, tx.clone()).await?;
    let id = session.insert(&table, &assignments(body)).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(Created { id })))
}

/// How many rows changed.
#[derive(Serialize, ToSchema)]
pub struct Changed {
    changed: u64,
}

/// Correct a row of a shared table in your unit's areas (column → text).
#[utoipa::path(patch, path = "/api/v1/staff/records/{table}/{id}", tag = "staff", security(("bearer" = [])),
    request_body(content = Object, description = "column → text or null"),
    params(("table" = String, Path, description = "shared table"), ("id" = i64, Path, description = "row id")),
    responses((status = 200, body = Changed), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn update_row(
    State(state): State<AppState>,
    staff: StaffUser,
    request_id: RequestId,
    PathParams((table, id)): PathParams<(String, i64)>,
    Json(body): Json<BTreeMap<String, Option<String>>>,
) -> Result<axum::Json<Changed>, ApiError> {
    table_exists(&table)?;
    let tx = RequestTx::for_platform(state.store.clone());
    let mut session = session(&state, &staff, &request_id, tx.clone()).await?;
    let this_row = Condition { column: "id".into(), predicate: Predicate::Eq(Value::Integer(id)) };
    let changed = session.update(&table, &assignments(body), &[this_row]).await?;
    tx.commit().await?;
    Ok(axum::Json(Changed { changed }))
}

/// Who last wrote each field of a row you may read.
#[utoipa::path(get, path = "/api/v1/staff/records/{table}/{id}/provenance", tag = "staff", security(("bearer" = [])),
    params(("table" = String, Path, description = "shared table"), ("id" = i64, Path, description = "row id")),
    responses((status = 200, body = Vec<Provenance>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn row_provenance(
    State(state): State<AppState>,
    staff: StaffUser,
    request_id: RequestId,
    PathParams((table, id)): PathParams<(String, i64)>,
) -> Result<axum::Json<Vec<Provenance>>, ApiError> {
    table_exists(&table)?;
    let mut session = session(&state, &staff, &request_id, RequestTx::for_platform(state.store.clone())).await?;
    Ok(axum::Json(session.provenance(&table, id, &[]).await?))
}
