//! `GET /api/v1/me/inbox`: the messages services, case updates and area
//! alerts sent the resident, in their language; marking one read.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::accept_language::Language;
use crate::api::extract::{PathParams, QueryParams, ResidentUser};
use crate::api::linkage_errors::Page;
use crate::api::problem::{ApiError, Problem};
use crate::api::services::language_of;
use crate::api::state::AppState;
use crate::store::notifications::{self, Notification};
use crate::store::tx::RequestTx;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(inbox)).routes(routes!(mark_read))
}

/// One message.
#[derive(Serialize, ToSchema)]
pub struct InboxItem {
    id: i64,
    /// The service id, `cases` (a case changed) or `alert` (an area alert).
    source: String,
    /// The text in the negotiated language.
    text: String,
    language: &'static str,
    direction: &'static str,
    case_id: Option<i64>,
    created_at: String,
    read_at: Option<String>,
}

/// The inbox.
#[derive(Serialize, ToSchema)]
pub struct Inbox {
    unread: i64,
    items: Vec<InboxItem>,
}

/// Filters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    /// Only unread messages.
    unread: Option<bool>,
    /// At most this many (1–200, default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// How many to skip (default 0).
    offset: Option<u32>,
}

fn item(n: Notification, language: Language) -> InboxItem {
    let text = match language {
        Language::Zh => n.text_zh,
        Language::Ug => n.text_ug,
        Language::En => n.text_en,
    };
    InboxItem {
        id: n.id,
        source: n.source,
        text,
        language: language.tag(),
        direction: language.direction(),
        case_id: n.case_id,
        created_at: n.created_at,
        read_at: n.read_at,
    }
}

/// Your messages, newest first, in the language of `Accept-Language`.
#[utoipa::path(get, path = "/api/v1/me/inbox", tag = "me", security(("bearer" = [])), params(InboxQuery),
    responses((status = 200, body = Inbox), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn inbox(
    State(state): State<AppState>,
    user: ResidentUser,
    headers: HeaderMap,
    QueryParams(query): QueryParams<InboxQuery>,
) -> Result<axum::Json<Inbox>, ApiError> {
    let (limit, offset) = Page { limit: query.limit, offset: query.offset }.bounds()?;
    let tx = RequestTx::for_platform(state.store.clone());
    let (items, unread) =
        notifications::inbox(&tx, &user.0.account.id, query.unread.unwrap_or(false), limit, offset).await?;
    let language = language_of(&headers);
    Ok(axum::Json(Inbox { unread, items: items.into_iter().map(|n| item(n, language)).collect() }))
}

/// Mark one of your messages read.
#[utoipa::path(post, path = "/api/v1/me/inbox/{id}/read", tag = "me", security(("bearer" = [])),
    params(("id" = i64, Path, description = "message id")),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn mark_read(
    State(state): State<AppState>,
    user: ResidentUser,
    PathParams(id): PathParams<i64>,
) -> Result<StatusCode, ApiError> {
    let tx = RequestTx::for_platform(state.store.clone());
    if !notifications::mark_read(&tx, &user.0.account.id, id).await? {
        return Err(ApiError::NotFound(format!("you have no message {id}")));
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
