//! `GET /api/v1/me/access-log`: who read the resident's data, when, through
//! which service or the staff console, for what purpose, and which fields.
//! Entries an admin hid (an ongoing investigation) appear once their date
//! has passed.

use axum::extract::State;
use axum::http::HeaderMap;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::accept_language::Language;
use crate::api::extract::{QueryParams, ResidentUser};
use crate::api::linkage_errors::Page;
use crate::api::problem::{ApiError, Problem};
use crate::api::services::language_of;
use crate::api::state::AppState;
use crate::records::access_log;
use crate::store::{timestamp, units};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(my_access_log))
}

/// One read of your data.
#[derive(Serialize, ToSchema)]
pub struct AccessItem {
    at: String,
    /// The unit whose staff made the request, if any.
    unit: Option<String>,
    /// Its name in your language.
    unit_name: Option<String>,
    /// The service (plugin id) that read, or none for the staff console.
    service: Option<String>,
    service_version: Option<String>,
    /// `plugin` or `staff-console`.
    via: String,
    /// Why, in your language.
    purpose: String,
    /// The shared table and the fields read.
    table: String,
    fields: Vec<String>,
}

/// Who read your data and why, newest first.
#[utoipa::path(get, path = "/api/v1/me/access-log", tag = "me", security(("bearer" = [])), params(Page),
    responses((status = 200, body = Vec<AccessItem>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn my_access_log(
    State(state): State<AppState>,
    user: ResidentUser,
    headers: HeaderMap,
    QueryParams(page): QueryParams<Page>,
) -> Result<axum::Json<Vec<AccessItem>>, ApiError> {
    let (limit, offset) = page.bounds()?;
    let language = language_of(&headers);
    let now = timestamp::now();
    let entries = access_log::for_resident(&state.store, &user.0.account.id, Some(&now), limit, offset).await?;
    let all_units = units::list(&state.store).await?;
    let items = entries
        .into_iter()
        .map(|e| {
            let unit_name =
                e.unit.as_ref().and_then(|id| all_units.iter().find(|u| &u.id == id)).map(|u| match language {
                    Language::Zh => u.name_zh.clone(),
                    Language::Ug => u.name_ug.clone(),
                    Language::En => u.name_en.clone(),
                });
            let purpose = match language {
                Language::Zh => e.purpose_zh,
                Language::Ug => e.purpose_ug,
                Language::En => e.purpose_en,
            };
            AccessItem {
                at: e.at,
                unit: e.unit,
                unit_name,
                service: e.plugin,
                service_version: e.plugin_version,
                via: e.via,
                purpose,
                table: e.table,
                fields: e.columns,
            }
        })
        .collect();
    Ok(axum::Json(items))
}
