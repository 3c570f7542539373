//! Alerts to an area (the daily anti-fraud message to every household):
//! staff of a police or community unit send one to the residents of the
//! areas their unit serves; it lands in those residents' inboxes (the only
//! outlet today; see `capabilities::notify::Outlet`).

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::extract::{Json, StaffUser};
use crate::api::problem::{ApiError, FieldError, Problem};
use crate::api::request_id::RequestId;
use crate::api::state::AppState;
use crate::audit::{self, Act};
use crate::registry::manifest::Localized;
use crate::store::areas::{self, Served};
use crate::store::notifications::{self, Alert};
use crate::store::tx::RequestTx;
use crate::store::units::{self, UnitKind};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(send_alert))
}

/// An alert to send.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAlert {
    /// The message in all three languages.
    #[schema(value_type = Object)]
    text: Localized,
    /// Areas to reach; default: every area your unit serves.
    #[serde(default)]
    areas: Option<Vec<String>>,
}

/// What was sent.
#[derive(Serialize, ToSchema)]
pub struct SentAlert {
    id: i64,
    areas: Vec<String>,
    recipients: usize,
}

/// Send an alert to the residents of (some of) your unit's areas.
#[utoipa::path(post, path = "/api/v1/staff/alerts", tag = "staff", security(("bearer" = [])), request_body = NewAlert,
    responses((status = 201, body = SentAlert), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn send_alert(
    State(state): State<AppState>,
    staff: StaffUser,
    request_id: RequestId,
    Json(input): Json<NewAlert>,
) -> Result<(StatusCode, axum::Json<SentAlert>), ApiError> {
    let unit =
        units::find(&state.store, &staff.unit).await?.ok_or_else(|| ApiError::Forbidden("no such unit".into()))?;
    if !matches!(unit.kind, UnitKind::Police | UnitKind::Community) {
        return Err(ApiError::Forbidden("only police and community units send alerts to areas".into()));
    }
    let mut errors = Vec::new();
    for (lang, text) in [("zh", &input.text.zh), ("ug", &input.text.ug), ("en", &input.text.en)] {
        if !(1..=1000).contains(&text.trim().chars().count()) {
            errors.push(FieldError::new(&format!("text.{lang}"), "must be 1 to 1000 characters"));
        }
    }
    let served: Vec<String> = match areas::served_by(&state.store, &staff.unit).await? {
        Served::All => areas::list(&state.store).await?.into_iter().map(|a| a.id).collect(),
        Served::Some(list) => list,
    };
    let targets = match input.areas {
        None => served.clone(),
        Some(asked) => {
            if asked.is_empty() {
                errors.push(FieldError::new("areas", "name at least one area, or leave it out for all of yours"));
            }
            if let Some(other) = asked.iter().find(|a| !served.contains(a)) {
                errors.push(FieldError::new("areas", format!("your unit does not serve `{other}`")));
            }
            asked
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let alert = Alert {
        unit: &staff.unit,
        areas: &targets,
        zh: input.text.zh.trim(),
        ug: input.text.ug.trim(),
        en: input.text.en.trim(),
        sent_by: &staff.user.account.id,
    };
    // On the trail before anything is delivered: an alert is never sent
    // unrecorded (if delivery then fails, the entry shows an attempt).
    let details = serde_json::json!({ "areas": targets, "text_en": alert.en, "request_id": request_id.0 });
    let act = Act {
        actor: &staff.user.actor(),
        action: "alert.send",
        target: &format!("unit:{}", staff.unit),
        details,
        request_id: &request_id.0,
    };
    audit::record_alone(&state.store, act).await?;
    let tx = RequestTx::for_platform(state.store.clone());
    let (id, recipients) = notifications::send_alert(&tx, &alert).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(SentAlert { id, areas: targets, recipients: recipients as usize })))
}
