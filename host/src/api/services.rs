//! The portal's services: list them, and call one. A call is routed to the
//! plugin's `handle` with the authenticated caller attached.

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use http_body_util::BodyExt;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::accept_language::{Language, negotiate};
use super::extract::{MaybeAuthUser, PathParams};
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
    PathParams(id): PathParams<String>,
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
    if versions.iter().any(|v| v.state == VersionState::Active) {
        // Active in the database but not loaded here: it failed to load at start (see the host log).
        return ApiError::ServiceUnavailable(format!(
            "the service `{id}` could not be loaded and is not taking requests"
        ));
    }
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
    PathParams((id, rest)): PathParams<(String, String)>,
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
    let signed_in = request.caller.is_some();
    let answer = state.runtime.invoke(&plugin, Invocation { request }).await?;
    Ok(response_from_plugin(answer, &id, signed_in))
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

/// Headers an answer carries once: a plugin's second value is dropped.
const SINGLE_VALUED: [&str; 7] =
    ["content-type", "location", "cache-control", "etag", "last-modified", "content-language", "retry-after"];

/// What a signed-in caller's answer says to caches unless the plugin keeps it
/// private itself: a shared cache must never hand one resident's data to another.
const PRIVATE: &str = "private, no-store";

fn response_from_plugin(answer: wit::Response, service: &str, signed_in: bool) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut response = Response::new(Body::from(answer.body));
    *response.status_mut() = status;
    for (name, value) in answer.headers {
        let name = name.to_ascii_lowercase();
        if !PLUGIN_HEADERS.contains(&name.as_str()) {
            continue;
        }
        if SINGLE_VALUED.contains(&name.as_str()) && response.headers().contains_key(name.as_str()) {
            continue;
        }
        let value = match name.as_str() {
            // A plugin's `location` is a path within its service; anything else
            // (another site, `//host`, `..` out of the service) would make the
            // portal an open redirect, or point into the admin API.
            "location" => match location_within(service, &value) {
                Some(location) => location,
                None => continue,
            },
            // A `Link` may point a client elsewhere in the portal (a hand-off
            // to another service), never to another site.
            "link" if !links_within_portal(&value) => continue,
            "cache-control" if signed_in && !keeps_private(&value) => PRIVATE.to_owned(),
            _ => value,
        };
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            response.headers_mut().append(name, value);
        }
    }
    if signed_in && !response.headers().contains_key("cache-control") {
        response.headers_mut().insert("cache-control", HeaderValue::from_static(PRIVATE));
    }
    // Whatever a plugin answers runs no script and loads nothing on the
    // portal's origin, even if it claims to be HTML.
    response.headers_mut().insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    response.headers_mut().insert("content-security-policy", HeaderValue::from_static("sandbox; default-src 'none'"));
    response
}

/// Whether a plugin's `cache-control` keeps the answer out of shared caches.
fn keeps_private(value: &str) -> bool {
    value.split(',').map(|d| d.trim().to_ascii_lowercase()).any(|d| d == "private" || d == "no-store")
}

/// A plugin's `Location` (a path within its service) as the portal's path,
/// with `.` and `..` resolved (also when percent-encoded); `None` when it is
/// not a path or climbs out of the service.
fn location_within(service: &str, value: &str) -> Option<String> {
    if !value.starts_with('/') || value.starts_with("//") || value.contains('\\') {
        return None;
    }
    let split = value.find(['?', '#']).unwrap_or(value.len());
    let (path, rest) = value.split_at(split);
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment.to_ascii_lowercase().replace("%2e", ".").as_str() {
            "" | "." => {}
            ".." => {
                segments.pop()?;
            }
            _ => segments.push(segment),
        }
    }
    let trailing = if path.ends_with('/') && !segments.is_empty() { "/" } else { "" };
    Some(format!("/api/v1/services/{service}/{}{trailing}{rest}", segments.join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_location_stays_within_its_service() {
        let at = |value: &str| location_within("gas", value);
        assert_eq!(at("/accounts/7").as_deref(), Some("/api/v1/services/gas/accounts/7"));
        assert_eq!(at("/a/./b/../c?x=1#top").as_deref(), Some("/api/v1/services/gas/a/c?x=1#top"));
        assert_eq!(at("/a/").as_deref(), Some("/api/v1/services/gas/a/"));
        for escape in [
            "/../../../v1/admin/accounts",
            "/a/../../x",
            "/%2e%2e/%2E%2E/v1/admin",
            "//evil.example/",
            "https://evil.example/",
            "accounts/7",
            "/\\evil.example",
        ] {
            assert_eq!(at(escape), None, "{escape}");
        }
    }

    fn plugin_answer(headers: &[(&str, &str)]) -> wit::Response {
        wit::Response {
            status: 200,
            headers: headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
            body: Vec::new(),
        }
    }

    #[test]
    fn single_valued_headers_are_set_once() {
        let answer = plugin_answer(&[
            ("content-type", "application/json"),
            ("Content-Type", "text/html"),
            ("location", "/a"),
            ("location", "/b"),
            ("allow", "GET"),
            ("allow", "POST"),
            ("set-cookie", "session=stolen"),
        ]);
        let response = response_from_plugin(answer, "gas", false);
        let all = |name: &str| response.headers().get_all(name).iter().map(|v| v.to_str().unwrap()).collect::<Vec<_>>();
        assert_eq!(all("content-type"), ["application/json"]);
        assert_eq!(all("location"), ["/api/v1/services/gas/a"]);
        assert_eq!(all("allow"), ["GET", "POST"]);
        assert!(all("set-cookie").is_empty());
    }

    #[test]
    fn answers_to_signed_in_callers_stay_out_of_shared_caches() {
        let cache = |headers: &[(&str, &str)], signed_in: bool| {
            let response = response_from_plugin(plugin_answer(headers), "gas", signed_in);
            response.headers().get("cache-control").map(|v| v.to_str().unwrap().to_owned())
        };
        assert_eq!(cache(&[], true).as_deref(), Some("private, no-store"));
        assert_eq!(cache(&[("cache-control", "public, max-age=600")], true).as_deref(), Some("private, no-store"));
        assert_eq!(cache(&[("cache-control", "private, max-age=60")], true).as_deref(), Some("private, max-age=60"));
        // Anonymous answers (a public directory, say) may be cached as the plugin says.
        assert_eq!(cache(&[("cache-control", "public, max-age=600")], false).as_deref(), Some("public, max-age=600"));
        assert_eq!(cache(&[], false), None);
    }

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
