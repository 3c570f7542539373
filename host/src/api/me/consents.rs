//! `/api/v1/me/consents`: which partner units' services may read the
//! resident's personal data. A partner's plugin without consent gets
//! `consent-required` and asks the resident; police, community and judicial
//! services read by their grant alone.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::extract::{Json, PathParams, ResidentUser};
use crate::api::problem::{ApiError, Problem};
use crate::api::state::AppState;
use crate::store::consents::{self, Consent};
use crate::store::plugins;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_consents, give_consent)).routes(routes!(withdraw_consent))
}

/// A consent to give.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConsent {
    /// The service (plugin id) that may read your personal data.
    service: String,
}

/// The services you consented to.
#[utoipa::path(get, path = "/api/v1/me/consents", tag = "me", security(("bearer" = [])),
    responses((status = 200, body = Vec<Consent>), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_consents(
    State(state): State<AppState>,
    user: ResidentUser,
) -> Result<axum::Json<Vec<Consent>>, ApiError> {
    Ok(axum::Json(consents::list(&state.store, &user.0.account.id).await?))
}

/// Consent that a service reads your personal data for the purpose it
/// states. Giving it twice changes nothing.
#[utoipa::path(post, path = "/api/v1/me/consents", tag = "me", security(("bearer" = [])), request_body = NewConsent,
    responses((status = 201, body = Vec<Consent>), (status = 200, body = Vec<Consent>, description = "already given"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn give_consent(
    State(state): State<AppState>,
    user: ResidentUser,
    Json(input): Json<NewConsent>,
) -> Result<(StatusCode, axum::Json<Vec<Consent>>), ApiError> {
    if plugins::find_plugin(&state.store, &input.service).await?.is_none() {
        return Err(ApiError::NotFound(format!("there is no service `{}`", input.service)));
    }
    let resident = &user.0.account.id;
    let new = consents::give(&state.store, resident, &input.service).await?;
    let status = if new { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, axum::Json(consents::list(&state.store, resident).await?)))
}

/// Withdraw a consent: the service reads your personal data no more.
#[utoipa::path(delete, path = "/api/v1/me/consents/{service}", tag = "me", security(("bearer" = [])),
    params(("service" = String, Path, description = "service id")),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn withdraw_consent(
    State(state): State<AppState>,
    user: ResidentUser,
    PathParams(service): PathParams<String>,
) -> Result<StatusCode, ApiError> {
    if !consents::withdraw(&state.store, &user.0.account.id, &service).await? {
        return Err(ApiError::NotFound(format!("you gave no consent to `{service}`")));
    }
    Ok(StatusCode::NO_CONTENT)
}
