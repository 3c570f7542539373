//! The portal's services: list them, and call one. A call is routed to the
//! plugin's `handle` with the authenticated caller attached.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use http_body_util::BodyExt;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::accept_language::{Language, negotiate};
use super::extract::MaybeAuthUser;
use super::problem::{ApiError, Problem};
use super::request_id::RequestId;
use super::state::AppState;
use crate::registry::manifest::Localized;
use crate::runtime::{Invocation, LoadedPlugin};
use crate::store::accounts::{Account, Role};
use crate::store::plugins::{self, VersionState};
use crate::wit;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_services)).routes(routes!(describe_service))
}

/// The call route, documented by [`call_service`]'s annotation in `openapi`.
pub fn call_router() -> Router<AppState> {
    Router::new().route("/api/v1/services/{id}/{*rest}", any(call_service))
}

/// Names and descriptions in all three languages.
#[derive(Serialize, ToSchema)]
pub struct Texts {
    zh: String,
    ug: String,
    en: String,
}

/// A service as residents see it.
#[derive(Serialize, ToSchema)]
pub struct ServiceInfo {
    /// The service id, used in `/api/v1/services/{id}/...`.
    id: String,
    /// The active version.
    version: String,
    /// The name in the negotiated language.
    name: String,
    /// The description in the negotiated language.
    description: String,
    /// The negotiated language (`zh`, `ug` or `en`).
    language: &'static str,
    /// `rtl` for Uyghur, else `ltr`.
    direction: &'static str,
    /// The name in every language.
    names: Texts,
    /// The description in every language.
    descriptions: Texts,
}

/// The list of services.
#[derive(Serialize, ToSchema)]
pub struct ServiceList {
    services: Vec<ServiceInfo>,
}

pub(super) fn pick(text: &Localized, language: Language) -> String {
    match language {
        Language::Zh => text.zh.clone(),
        Language::Ug => text.ug.clone(),
        Language::En => text.en.clone(),
    }
}

fn texts(text: &Localized) -> Texts {
    Texts { zh: text.zh.clone(), ug: text.ug.clone(), en: text.en.clone() }
}

fn info(plugin: &LoadedPlugin, language: Language) -> ServiceInfo {
    let manifest = plugin.manifest();
    ServiceInfo {
        id: manifest.id.to_string(),
        version: manifest.version.to_string(),
        name: pick(&manifest.name, language),
        description: pick(&manifest.description, language),
        language: language.tag(),
        direction: language.direction(),
        names: texts(&manifest.name),
        descriptions: texts(&manifest.description),
    }
}

pub(super) fn language_of(headers: &HeaderMap) -> Language {
    negotiate(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

fn with_language<T: IntoResponse>(language: Language, body: T) -> Response {
    let mut response = body.into_response();
    response.headers_mut().insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(language.tag()));
    response.headers_mut().insert(header::VARY, HeaderValue::from_static("accept-language"));
    response
}

/// List the active services, in the language chosen by `Accept-Language`
/// (`zh`, `ug` or `en`; Chinese by default).
#[utoipa::path(get, path = "/api/v1/services", tag = "services",
    params(("accept-language" = Option<String>, Header, description = "e.g. `en`, `ug`, `zh-CN`")),
    responses((status = 200, body = ServiceList)))]
async fn list_services(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let language = language_of(&headers);
    let services = state.runtime.list().iter().map(|plugin| info(plugin, language)).collect();
    with_language(language, axum::Json(ServiceList { services }))
}

/// One active service.
#[utoipa::path(get, path = "/api/v1/services/{id}", tag = "services",
    params(("id" = String, Path, description = "service id")),
    responses((status = 200, body = ServiceInfo), (status = 404, body = Problem)))]
async fn describe_service(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let plugin = state.runtime.get(&id).ok_or_else(|| no_such_service(&id))?;
    let language = language_of(&headers);
    Ok(with_language(language, axum::Json(info(&plugin, language))))
}

fn no_such_service(id: &str) -> ApiError {
    ApiError::NotFound(format!("there is no active service `{id}`"))
}

/// Why a service that is not active cannot be called: a suspended or
/// retired one is unavailable (503); an unknown or never-approved one does
/// not exist as far as callers can tell (404).
async fn not_serving(state: &AppState, id: &str) -> ApiError {
    let versions = match plugins::find_plugin(&state.store, id).await {
        Ok(Some(_)) => plugins::versions(&state.store, id).await.unwrap_or_default(),
        Ok(None) => return no_such_service(id),
        Err(e) => return e.into(),
    };
    let stopped = versions.iter().rev().find(|v| matches!(v.state, VersionState::Suspended | VersionState::Retired));
    match stopped {
        Some(version) => ApiError::ServiceUnavailable(format!(
            "the service `{id}` is {} and not taking requests",
            version.state.as_str()
        )),
        None => no_such_service(id),
    }
}

/// Call a service. Everything after the service id is the service's own
/// path; each service documents its routes. Anonymous calls are allowed (the
/// service decides what they may do); a present but invalid token is a 401.
#[utoipa::path(method(get, post, put, patch, delete), path = "/api/v1/services/{id}/{rest}", tag = "services",
    params(("id" = String, Path, description = "service id"), ("rest" = String, Path, description = "the service's own path")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "the service's answer (any status it chooses)"),
        (status = 401, body = Problem), (status = 404, body = Problem, description = "no such service"),
        (status = 413, body = Problem), (status = 502, body = Problem, description = "the service crashed or ran out of memory"),
        (status = 503, body = Problem, description = "busy (see Retry-After) or unavailable"),
        (status = 504, body = Problem, description = "the service did not answer in time")))]
pub async fn call_service(
    State(state): State<AppState>,
    Path((id, rest)): Path<(String, String)>,
    request_id: RequestId,
    user: MaybeAuthUser,
    request: Request,
) -> Result<Response, ApiError> {
    let Some(plugin) = state.runtime.get(&id) else { return Err(not_serving(&state, &id).await) };
    let (parts, body) = request.into_parts();
    let limit = plugin.limits().max_request_bytes;
    let body = read_body(body, limit).await?;

    let request = wit::Request {
        method: parts.method.as_str().to_owned(),
        path: format!("/{rest}"),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        headers: forwarded_headers(&parts.headers),
        body,
        request_id: request_id.0,
        caller: user.0.map(|user| caller(&user.account)),
    };
    let answer = state.runtime.invoke(&plugin, Invocation { request }).await?;
    Ok(response_from_plugin(answer, &id))
}

/// Most of an oversized body read (and dropped) before answering 413: a
/// client still sending then gets the answer on a connection that stays
/// usable, rather than a reset. Past this, the connection is closed.
const DRAIN_LIMIT: usize = 16 << 20;

/// Reads a request body of at most `limit` bytes.
async fn read_body(mut body: Body, limit: usize) -> Result<Vec<u8>, ApiError> {
    let mut bytes = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ApiError::BadRequest(format!("cannot read the request body: {e}")))?;
        let Ok(data) = frame.into_data() else { continue };
        seen += data.len();
        if seen <= limit {
            bytes.extend_from_slice(&data);
        } else if seen > DRAIN_LIMIT {
            break;
        }
    }
    if seen > limit {
        return Err(ApiError::PayloadTooLarge(format!(
            "the request body exceeds this service's limit of {limit} bytes"
        )));
    }
    Ok(bytes)
}

/// Headers a plugin sees: everything but credentials.
fn forwarded_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    const HIDDEN: [&str; 3] = ["authorization", "cookie", "proxy-authorization"];
    headers
        .iter()
        .filter(|(name, _)| !HIDDEN.contains(&name.as_str()))
        .filter_map(|(name, value)| Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned())))
        .collect()
}

/// The caller record plugins receive.
fn caller(account: &Account) -> wit::Caller {
    let role = match account.role {
        Role::Resident => wit::Role::Resident,
        Role::Staff => wit::Role::Staff,
        Role::Admin => wit::Role::Admin,
    };
    let unit = account
        .unit_id
        .as_ref()
        .zip(account.unit_kind)
        .map(|(id, kind)| wit::Unit { id: id.clone(), kind: kind.into() });
    wit::Caller { subject: account.id.clone(), role, unit, display_name: account.display_name.clone() }
}

/// Response headers a plugin may set; the host owns all others (framing,
/// cookies, CORS, security headers).
const PLUGIN_HEADERS: [&str; 9] = [
    "content-type",
    "location",
    "cache-control",
    "etag",
    "last-modified",
    "content-language",
    "allow",
    "retry-after",
    "link",
];

/// Whether every target of a `Link` header value is a path on the portal's
/// own services (`</api/v1/services/…>; rel=…`).
fn links_within_portal(value: &str) -> bool {
    value.split(',').all(|link| {
        let link = link.trim();
        link.strip_prefix('<')
            .and_then(|rest| rest.split_once('>'))
            .is_some_and(|(target, _)| target.starts_with("/api/v1/services/") && !target.contains(".."))
    })
}

fn response_from_plugin(answer: wit::Response, service: &str) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut response = Response::new(Body::from(answer.body));
    *response.status_mut() = status;
    for (name, value) in answer.headers {
        let name = name.to_ascii_lowercase();
        if !PLUGIN_HEADERS.contains(&name.as_str()) {
            continue;
        }
        // A plugin's `location` is a path within its service; anything else
        // (another site, `//host`) would make the portal an open redirect.
        let value = match name.as_str() {
            "location" if value.starts_with('/') && !value.starts_with("//") => {
                format!("/api/v1/services/{service}{value}")
            }
            "location" => continue,
            // A `Link` may point a client elsewhere in the portal (a hand-off
            // to another service), never to another site.
            "link" if !links_within_portal(&value) => continue,
            _ => value,
        };
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            response.headers_mut().append(name, value);
        }
    }
    // Whatever a plugin answers runs no script and loads nothing on the
    // portal's origin, even if it claims to be HTML.
    response.headers_mut().insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    response.headers_mut().insert("content-security-policy", HeaderValue::from_static("sandbox; default-src 'none'"));
    response
}

#[cfg(test)]
mod tests {
    use super::links_within_portal;

    #[test]
    fn a_plugin_links_only_within_the_portals_services() {
        assert!(links_within_portal("</api/v1/services/gas-service>; rel=\"alternate\""));
        assert!(links_within_portal("</api/v1/services/a/x>; rel=next, </api/v1/services/a/y>; rel=prev"));
        for foreign in [
            "<https://evil.example/>; rel=alternate",
            "<//evil.example/>; rel=alternate",
            "</api/v1/admin/accounts>; rel=alternate",
            "</api/v1/services/../admin/accounts>; rel=alternate",
            "</api/v1/services/a>; rel=x, <https://evil.example/>",
            "no angle brackets",
        ] {
            assert!(!links_within_portal(foreign), "{foreign}");
        }
    }
}
