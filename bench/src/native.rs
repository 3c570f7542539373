//! The native twins of the fixture's routes: what a developer would write
//! into the host itself, as plain axum handlers doing the same SQL on the
//! same table through the same data pool, behind the same middleware as the
//! host's routes (`onewindow::api::router`). They exist in this harness
//! only; the product has no such routes.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use onewindow::api::{AppState, request_id};
use onewindow::registry::manifest::PluginId;
use onewindow::store::plugin_tables::physical_name;
use serde_json::{Map, Value};
use sqlx::any::AnyRow;
use sqlx::{AnyPool, AssertSqlSafe, Row};

/// Where the twins answer.
pub const PREFIX: &str = "/bench/native";

/// The fixture's `notes` columns after `id`, as its manifest declares them.
const COLUMNS: [(&str, Kind); 6] = [
    ("body", Kind::Text),
    ("weight", Kind::Real),
    ("flag", Kind::Boolean),
    ("blob", Kind::Bytes),
    ("rank", Kind::Integer),
    ("code", Kind::Text),
];

#[derive(Clone, Copy)]
enum Kind {
    Integer,
    Real,
    Text,
    Boolean,
    Bytes,
}

/// The pool and the statements, written once (the plugin's calls build
/// theirs per call; that is part of what is measured).
#[derive(Clone)]
struct Twins {
    pool: AnyPool,
    select_by_id: Arc<str>,
    select_first: Arc<str>,
    insert: Arc<str>,
}

/// The twins, under [`PREFIX`], with the host's middleware.
pub fn router(state: AppState) -> Result<Router, String> {
    let table = physical_name(&PluginId::parse(crate::host::FIXTURE)?, "notes");
    let columns = std::iter::once("\"id\"".to_owned())
        .chain(COLUMNS.iter().map(|(name, _)| format!("\"{name}\"")))
        .collect::<Vec<_>>()
        .join(", ");
    let twins = Twins {
        pool: state.store.data_pool().clone(),
        select_by_id: format!("SELECT {columns} FROM \"{table}\" WHERE \"id\" = $1 LIMIT $2").into(),
        select_first: format!("SELECT {columns} FROM \"{table}\" ORDER BY \"id\" ASC NULLS FIRST LIMIT $1").into(),
        insert: format!("INSERT INTO \"{table}\" (\"body\", \"rank\") VALUES ($1, $2) RETURNING \"id\"").into(),
    };
    let max_body = (state.runtime.config().max_request_kb as usize) << 10;
    // The layers of `onewindow::api::router`, in its order.
    Ok(Router::new()
        .route(&format!("{PREFIX}/noop"), get(noop))
        .route(&format!("{PREFIX}/notes"), get(first_notes).post(insert_note))
        .route(&format!("{PREFIX}/notes/{{id}}"), get(note_by_id))
        .with_state(twins)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(from_fn_with_state(state, anonymous))
        .layer(request_id::trace_layer())
        .layer(from_fn(request_id::middleware)))
}

/// The host's `authenticate` middleware as an anonymous caller meets it
/// (the twins, like the fixture's routes, are called without a token).
async fn anonymous(State(_): State<AppState>, request: Request, next: Next) -> Response {
    if request.headers().contains_key(header::AUTHORIZATION) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    next.run(request).await
}

async fn noop() -> StatusCode {
    StatusCode::NO_CONTENT
}

async fn note_by_id(State(twins): State<Twins>, Path(id): Path<i64>) -> Result<Json<Value>, StatusCode> {
    let row = sqlx::query(AssertSqlSafe(twins.select_by_id.clone()))
        .bind(id)
        .bind(1_i64)
        .fetch_optional(&twins.pool)
        .await
        .map_err(internal)?;
    Ok(Json(note(&row.ok_or(StatusCode::NOT_FOUND)?)?))
}

#[derive(serde::Deserialize)]
struct Limit {
    limit: i64,
}

async fn first_notes(
    State(twins): State<Twins>,
    Query(Limit { limit }): Query<Limit>,
) -> Result<Json<Value>, StatusCode> {
    let rows = sqlx::query(AssertSqlSafe(twins.select_first.clone()))
        .bind(limit)
        .fetch_all(&twins.pool)
        .await
        .map_err(internal)?;
    Ok(Json(Value::Array(rows.iter().map(note).collect::<Result<_, _>>()?)))
}

#[derive(serde::Deserialize)]
struct NewNote {
    body: String,
}

/// In a transaction, as the plugin's write is (begun at its first write,
/// committed when it answers).
async fn insert_note(
    State(twins): State<Twins>,
    Query(NewNote { body }): Query<NewNote>,
) -> Result<(StatusCode, Json<Value>), StatusCode> {
    let mut tx = twins.pool.begin().await.map_err(internal)?;
    let row = sqlx::query(AssertSqlSafe(twins.insert.clone()))
        .bind(body)
        .bind(1_i64)
        .fetch_one(&mut *tx)
        .await
        .map_err(internal)?;
    let id: i64 = row.try_get(0).map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

/// A row as the fixture answers it: an object by column name, bytes as an
/// array of numbers.
fn note(row: &AnyRow) -> Result<Value, StatusCode> {
    let mut object = Map::new();
    object.insert("id".into(), row.try_get::<i64, _>(0).map_err(internal)?.into());
    for (i, (name, kind)) in COLUMNS.iter().enumerate() {
        object.insert((*name).into(), value(row, i + 1, *kind).map_err(internal)?);
    }
    Ok(Value::Object(object))
}

fn value(row: &AnyRow, i: usize, kind: Kind) -> Result<Value, sqlx::Error> {
    Ok(match kind {
        Kind::Integer => row.try_get::<Option<i64>, _>(i)?.into(),
        Kind::Real => row.try_get::<Option<f64>, _>(i)?.into(),
        Kind::Text => row.try_get::<Option<String>, _>(i)?.into(),
        // SQLite keeps booleans as integers.
        Kind::Boolean => match row.try_get::<Option<bool>, _>(i) {
            Ok(flag) => flag.into(),
            Err(_) => row.try_get::<Option<i64>, _>(i)?.map(|n| n != 0).into(),
        },
        Kind::Bytes => row.try_get::<Option<Vec<u8>>, _>(i)?.into(),
    })
}

/// The run counts failed answers and shows the first; the cause goes to stderr.
fn internal(error: impl std::fmt::Display) -> StatusCode {
    eprintln!("native twin: {error}");
    StatusCode::INTERNAL_SERVER_ERROR
}
