//! Plugins for partner units: upload a new plugin or version, see your
//! unit's plugins, and remove versions you no longer need. (Admins see
//! every plugin; review is under `admin`.)

use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use super::extract::{AuthUser, PathParams, QueryParams, StaffUser};
use super::problem::{ApiError, Problem};
use super::request_id::RequestId;
use super::state::AppState;
use crate::registry::lifecycle::{RemovedVersion, Remover};
use crate::registry::{Context, Registry, Upload};
use crate::runtime::plugin_logs::PluginLogLine;
use crate::store::accounts::Role;
use crate::store::plugins::{self, PluginRecord, VersionRecord};

/// The plugin routes; uploads may carry a component of `max_component_bytes`.
pub fn router(max_component_bytes: usize) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload).layer(DefaultBodyLimit::max(max_component_bytes + (1 << 20))))
        .routes(routes!(list))
        .routes(routes!(show))
        .routes(routes!(remove_version))
        .routes(routes!(logs))
}

/// A plugin with all its versions.
#[derive(Serialize, ToSchema)]
pub struct PluginView {
    plugin: PluginRecord,
    versions: Vec<VersionRecord>,
}

/// The multipart form of an upload.
#[derive(ToSchema)]
#[allow(dead_code)] // Documents the form for OpenAPI only.
struct UploadForm {
    /// The plugin's `plugin.toml`.
    manifest: String,
    /// The component (`.wasm`) built for wasm32-wasip2.
    #[schema(format = Binary, content_media_type = "application/wasm")]
    component: Vec<u8>,
    /// Optional: the plugin's `api.json`, an OpenAPI paths object describing
    /// its routes (relative to the service), with schemas inlined.
    api: Option<String>,
}

/// Upload a plugin version (staff of the owning unit). Stored as `pending`
/// until an admin approves it; refused uploads are recorded on the audit
/// trail and otherwise leave no trace.
#[utoipa::path(post, path = "/api/v1/plugins", tag = "plugins", security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = VersionRecord), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem, description = "version-not-newer"), (status = 413, body = Problem),
        (status = 422, body = Problem, description = "invalid-manifest, invalid-api-doc, not-wasm, core-module, invalid-component, forbidden-import, async-export, unsupported-version or wrong-world")))]
async fn upload(
    State(state): State<AppState>,
    staff: Result<StaffUser, ApiError>,
    request_id: RequestId,
    headers: axum::http::HeaderMap,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, axum::Json<VersionRecord>), ApiError> {
    // Without a multipart content type (and its boundary) there is no form
    // to read: a problem, not axum's plain-text 400.
    let mut form = form.map_err(|rejection| {
        ApiError::UnsupportedMediaType(format!("send the upload as multipart/form-data: {}", rejection.body_text()))
    });
    let staff = match staff {
        Ok(staff) => staff,
        Err(refusal) => {
            // Read the (size-limited) body before refusing: a client still
            // sending a component otherwise sees a reset, not the problem.
            if let Ok(form) = form.as_mut() {
                while let Ok(Some(field)) = form.next_field().await {
                    let _ = field.bytes().await;
                }
            }
            return Err(refusal);
        }
    };
    let mut form = form?;
    let UploadParts { manifest, component, api } = match read_form(&mut form).await {
        Ok(parts) => parts,
        Err(FormError::TooLarge) => return Err(too_large(&state, &staff, &request_id, &headers).await),
        Err(FormError::Refused(error)) => return Err(error),
    };
    let mut missing = Vec::new();
    if manifest.is_none() {
        missing.push(super::problem::FieldError::new("manifest", "is required (the plugin.toml text)"));
    }
    if component.is_none() {
        missing.push(super::problem::FieldError::new("component", "is required (the .wasm file)"));
    }
    let (Some(manifest), Some(component)) = (manifest, component) else { return Err(ApiError::Validation(missing)) };
    let actor = staff.user.actor();
    let cx = Context { actor: &actor, request_id: &request_id.0 };
    let registry = Registry::new(state.store.clone(), state.runtime.clone());
    let upload = Upload::new(&manifest, &component).with_api(api.as_deref());
    let version = registry.upload(&cx, Some(&staff.unit), upload).await?;
    Ok((StatusCode::CREATED, axum::Json(version)))
}

/// The fields of an upload form, each if sent.
#[derive(Default)]
struct UploadParts {
    manifest: Option<String>,
    component: Option<axum::body::Bytes>,
    api: Option<String>,
}

/// Why an upload form could not be read.
enum FormError {
    /// The body passed the platform's limit.
    TooLarge,
    /// Anything else, as it answers.
    Refused(ApiError),
}

/// The `manifest`, `component` and `api` fields of an upload form.
async fn read_form(form: &mut Multipart) -> Result<UploadParts, FormError> {
    let unreadable = |error: axum::extract::multipart::MultipartError| {
        if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
            FormError::TooLarge
        } else {
            FormError::Refused(ApiError::BadRequest(format!("cannot read the multipart form: {error}")))
        }
    };
    let mut parts = UploadParts::default();
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some("manifest") => parts.manifest = Some(field.text().await.map_err(unreadable)?),
            Some("component") => parts.component = Some(field.bytes().await.map_err(unreadable)?),
            Some("api") => parts.api = Some(field.text().await.map_err(unreadable)?),
            Some(other) => {
                let message = "unknown form field; send `manifest`, `component` and optionally `api`";
                return Err(FormError::Refused(ApiError::field(other, message)));
            }
            None => return Err(FormError::Refused(ApiError::BadRequest("a form field has no name".into()))),
        }
    }
    Ok(parts)
}

/// The 413 for an upload past the platform's limit: it names the size sent
/// (when the client declared it) and the limit, and is on the audit trail.
async fn too_large(
    state: &AppState,
    staff: &StaffUser,
    request_id: &RequestId,
    headers: &axum::http::HeaderMap,
) -> ApiError {
    let limit = (state.runtime.config().max_component_mb as usize) << 20;
    let sent = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let size = sent.map_or_else(|| "more than the limit".to_owned(), |n| format!("{n} bytes"));
    let detail = format!(
        "the upload is {size}; components may be at most {limit} bytes ({} MiB, the platform's `runtime.max_component_mb`)",
        limit >> 20
    );
    let actor = staff.user.actor();
    let details = serde_json::json!({ "reason": detail, "size": sent, "limit": limit });
    let act = crate::audit::Act {
        actor: &actor,
        action: "plugin.upload-refused",
        target: "plugin:(too large to read)",
        details,
        request_id: &request_id.0,
    };
    if let Err(e) = crate::audit::record_alone(&state.store, act).await {
        return e.into();
    }
    ApiError::PayloadTooLarge(detail)
}

/// Plugins: all for admins, your unit's for staff.
#[utoipa::path(get, path = "/api/v1/plugins", tag = "plugins", security(("bearer" = [])),
    responses((status = 200, body = Vec<PluginRecord>), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list(State(state): State<AppState>, user: AuthUser) -> Result<axum::Json<Vec<PluginRecord>>, ApiError> {
    let scope = visible_scope(&user)?;
    Ok(axum::Json(plugins::list_plugins(&state.store, scope).await?))
}

/// One plugin with every version, its state, what it asked for and what
/// it was granted.
#[utoipa::path(get, path = "/api/v1/plugins/{id}", tag = "plugins", security(("bearer" = [])),
    params(("id" = String, Path, description = "plugin id")),
    responses((status = 200, body = PluginView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn show(
    State(state): State<AppState>,
    user: AuthUser,
    PathParams(id): PathParams<String>,
) -> Result<axum::Json<PluginView>, ApiError> {
    let scope = visible_scope(&user)?;
    let registry = Registry::new(state.store.clone(), state.runtime.clone());
    let plugin = registry.plugin(&id).await?;
    // Another unit's plugin is not found, not forbidden: its existence is not ours to reveal.
    if scope.is_some() && plugin.owner_unit.as_deref() != scope {
        return Err(ApiError::NotFound(format!("there is no plugin {id}")));
    }
    let versions = registry.versions_of(&id).await?;
    Ok(axum::Json(PluginView { plugin, versions }))
}

/// Remove a version your unit no longer needs, to free its upload quota
/// (staff of the owning unit, and admins). A pending version is withdrawn:
/// it is gone and no longer waits for review. A rejected, retired or
/// superseded version keeps its record (`component_removed`) but loses its
/// component, so it can never run or be rolled back to again. Active and
/// suspended versions cannot be removed; removing a component twice is a
/// 409 `component-removed`.
#[utoipa::path(delete, path = "/api/v1/plugins/{id}/versions/{version}", tag = "plugins", security(("bearer" = [])),
    params(("id" = String, Path, description = "plugin id"), ("version" = String, Path, description = "the version to remove")),
    responses((status = 200, body = RemovedVersion), (status = 401, body = Problem),
        (status = 403, body = Problem, description = "not staff of the unit that owns the plugin, nor an admin"),
        (status = 404, body = Problem, description = "no such plugin or version"),
        (status = 409, body = Problem, description = "wrong-state (the version is active or suspended) or component-removed (removed before)")))]
async fn remove_version(
    State(state): State<AppState>,
    user: AuthUser,
    request_id: RequestId,
    PathParams((id, version)): PathParams<(String, String)>,
) -> Result<axum::Json<RemovedVersion>, ApiError> {
    let remover = match (user.account.role, user.account.unit_id.as_deref()) {
        (Role::Admin, _) => Remover::Admin,
        (Role::Staff, Some(unit)) => Remover::Unit(unit),
        _ => {
            return Err(ApiError::Forbidden(
                "only the staff of the unit that owns a plugin, and admins, may remove its versions".into(),
            ));
        }
    };
    let actor = user.actor();
    let cx = Context { actor: &actor, request_id: &request_id.0 };
    let registry = Registry::new(state.store.clone(), state.runtime.clone());
    Ok(axum::Json(registry.remove_version(&cx, remover, &id, &version).await?))
}

/// Which lines to read.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    /// Only lines after this `seq` (the last one you saw).
    #[param(minimum = 0)]
    after: Option<i64>,
    /// At most this many (1–1000, default 200).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// A plugin's recent log lines, what it printed, and how its calls failed
/// (traps, timeouts, memory kills), oldest first: for the staff of the unit
/// that owns it, and admins. Kept in this host's memory, the newest 1000
/// per plugin.
#[utoipa::path(get, path = "/api/v1/plugins/{id}/logs", tag = "plugins", security(("bearer" = [])),
    params(("id" = String, Path, description = "plugin id"), LogQuery),
    responses((status = 200, body = Vec<PluginLogLine>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn logs(
    State(state): State<AppState>,
    user: AuthUser,
    PathParams(id): PathParams<String>,
    QueryParams(query): QueryParams<LogQuery>,
) -> Result<axum::Json<Vec<PluginLogLine>>, ApiError> {
    let scope = visible_scope(&user)?;
    let plugin = Registry::new(state.store.clone(), state.runtime.clone()).plugin(&id).await?;
    if scope.is_some() && plugin.owner_unit.as_deref() != scope {
        return Err(ApiError::NotFound(format!("there is no plugin {id}")));
    }
    let limit = query.limit.unwrap_or(200);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::field("limit", "must be 1 to 1000"));
    }
    // Read as the document's int64, so a number past it is refused, not served.
    let after = u64::try_from(query.after.unwrap_or(0)).map_err(|_| ApiError::field("after", "must be 0 or more"))?;
    Ok(axum::Json(state.runtime.plugin_logs().read(&id, after, limit)))
}

/// `None` for admins (everything), the unit for staff; residents get 403.
fn visible_scope(user: &AuthUser) -> Result<Option<&str>, ApiError> {
    match user.account.role {
        Role::Admin => Ok(None),
        Role::Staff => Ok(user.account.unit_id.as_deref()),
        Role::Resident => Err(ApiError::Forbidden("plugins are managed by staff and admins".into())),
    }
}
