//! Plugin review and lifecycle: the queue of pending versions, approval
//! with grants and limits, rejection, suspend / resume / retire, rollback.

use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::extract::{AdminUser, Json, PathParams};
use crate::api::problem::{ApiError, FieldError, Problem};
use crate::api::request_id::RequestId;
use crate::api::state::AppState;
use crate::capabilities::grant::Grant;
use crate::registry::manifest::Limits;
use crate::registry::{Context, Registry, ReviewItem};
use crate::store::plugins::VersionRecord;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(queue))
        .routes(routes!(approve))
        .routes(routes!(reject))
        .routes(routes!(suspend))
        .routes(routes!(resume))
        .routes(routes!(retire))
        .routes(routes!(rollback))
}

fn registry(state: &AppState) -> Registry {
    Registry::new(state.store.clone(), state.runtime.clone())
}

/// Pending versions, each with what it asks for, what its plugin runs with
/// now, and what approving it in full would add.
#[utoipa::path(get, path = "/api/v1/admin/reviews", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<ReviewItem>), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn queue(State(state): State<AppState>, _admin: AdminUser) -> Result<axum::Json<Vec<ReviewItem>>, ApiError> {
    Ok(axum::Json(registry(&state).review_queue().await?))
}

/// An approval.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// The sha256 of the exact upload being approved.
    sha256: String,
    /// What to grant: all or a subset of what was requested. Omit to grant
    /// everything requested.
    #[serde(default)]
    grants: Option<Vec<Grant>>,
    /// Limits at or below those requested. Omit to grant the requested ones.
    #[serde(default)]
    limits: Option<Limits>,
}

/// A reason, for rejections, suspensions and retirements.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    #[schema(schema_with = crate::api::field_schemas::reason)]
    reason: String,
}

/// A version to roll back to.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackTo {
    version: String,
}

fn reason(input: Reason) -> Result<String, ApiError> {
    let reason = input.reason.trim().to_owned();
    if !(1..=1000).contains(&reason.chars().count()) {
        return Err(ApiError::Validation(vec![FieldError::new("reason", "must be 1 to 1000 characters")]));
    }
    Ok(reason)
}

/// Approve a pending version with all or some of what it requested. It
/// serves new calls at once.
#[utoipa::path(post, path = "/api/v1/admin/plugins/{id}/versions/{version}/approve", tag = "admin", security(("bearer" = [])), request_body = Approval,
    params(("id" = String, Path), ("version" = String, Path)),
    responses((status = 200, body = VersionRecord), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "wrong-state or sha256-mismatch"), (status = 422, body = Problem, description = "invalid-grant")))]
async fn approve(
    State(state): State<AppState>,
    admin: AdminUser,
    request_id: RequestId,
    PathParams((id, version)): PathParams<(String, String)>,
    Json(input): Json<Approval>,
) -> Result<axum::Json<VersionRecord>, ApiError> {
    let actor = admin.0.actor();
    let cx = Context { actor: &actor, request_id: &request_id.0 };
    Ok(axum::Json(registry(&state).approve(&cx, &id, &version, &input.sha256, input.grants, input.limits).await?))
}

/// Reject a pending version, with a reason for its unit.
#[utoipa::path(post, path = "/api/v1/admin/plugins/{id}/versions/{version}/reject", tag = "admin", security(("bearer" = [])), request_body = Reason,
    params(("id" = String, Path), ("version" = String, Path)),
    responses((status = 200, body = VersionRecord), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn reject(
    State(state): State<AppState>,
    admin: AdminUser,
    request_id: RequestId,
    PathParams((id, version)): PathParams<(String, String)>,
    Json(input): Json<Reason>,
) -> Result<axum::Json<VersionRecord>, ApiError> {
    let reason = reason(input)?;
    let actor = admin.0.actor();
    let cx = Context { actor: &actor, request_id: &request_id.0 };
    Ok(axum::Json(registry(&state).reject(&cx, &id, &version, &reason).await?))
}

/// Suspend a plugin: new calls get 503 at once; calls in flight finish.
#[utoipa::path(post, path = "/api/v1/admin/plugins/{id}/suspend", tag = "admin", security(("bearer" = [])), request_body = Reason,
    params(("id" = String, Path)),
    responses((status = 200, body = VersionRecord), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn suspend(
    State(state): State<AppState>,
    admin: AdminUser,
    request_id: RequestId,
    PathParams(id): PathParams<String>,
    Json(input): Json<Reason>,
) -> Result<axum::Json<VersionRecord>, ApiError> {
    let reason = reason(input)?;
    let actor = admin.0.actor();
    let cx = Context { actor: &actor, request_id: &request_id.0 };
    Ok(axum::Json(registry(&state).suspend(&cx, &id, &reason).await?))
}

/// Resume a suspended plugin with the grants it was approved with.
#[utoipa::path(post, path = "/api/v1/admin/plugins/{id}/resume", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = VersionRecord), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn resume(
    State(state): State<AppState>,
    admin: AdminUser,
    request_id: RequestId,
    PathParams(id): PathParams<String>,
) -> Result<axum::Json<VersionRecord>, ApiError> {
    let actor = admin.0.actor();
    let cx = Context { actor: &actor, request_id: &request_id.0 };
    Ok(axum::Json(registry(&state).resume(&cx, &id).await?))
}

/// Retire a plugin: it stops serving for good (an explicit rollback can
/// still bring back an approved version).
#[utoipa::path(post, path = "/api/v1/admin/plugins/{id}/retire", tag = "admin", security(("bearer" = [])), request_body = Reason,
    params(("id" = String, Path)),
    responses((status = 200, body = VersionRecord), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn retire(
    State(state): State<AppState>,
    admin: AdminUser,
    request_id: RequestId,
    PathParams(id): PathParams<String>,
    Json(input): Json<Reason>,
) -> Result<axum::Json<VersionRecord>, ApiError> {
    let reason = reason(input)?;
    let actor = admin.0.actor();
    let cx = Context { actor: &actor, request_id: &request_id.0 };
    Ok(axum::Json(registry(&state).retire(&cx, &id, &reason).await?))
}

/// Make an earlier approved version active again, in one call.
#[utoipa::path(post, path = "/api/v1/admin/plugins/{id}/rollback", tag = "admin", security(("bearer" = [])), request_body = RollbackTo,
    params(("id" = String, Path)),
    responses((status = 200, body = VersionRecord), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "wrong-state, or component-removed (its unit removed the version's component)")))]
async fn rollback(
    State(state): State<AppState>,
    admin: AdminUser,
    request_id: RequestId,
    PathParams(id): PathParams<String>,
    Json(input): Json<RollbackTo>,
) -> Result<axum::Json<VersionRecord>, ApiError> {
    let actor = admin.0.actor();
    let cx = Context { actor: &actor, request_id: &request_id.0 };
    Ok(axum::Json(registry(&state).rollback(&cx, &id, &input.version).await?))
}
