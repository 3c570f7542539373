//! Extractors: JSON bodies whose errors name the field, the request id, and
//! the signed-in account.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::problem::{ApiError, FieldError};
use super::request_id::RequestId;
use super::state::AppState;
use crate::auth::token;
use crate::store::accounts::{Account, Role};
use crate::store::sessions;

/// A JSON body. Unreadable JSON is a 400; JSON of the wrong shape is a 422
/// that names the field.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type =
            request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        if !essence.eq_ignore_ascii_case("application/json") {
            return Err(ApiError::UnsupportedMediaType(format!(
                "expected content-type application/json, got `{essence}`"
            )));
        }
        let bytes = Bytes::from_request(request, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge("the request body is too large".into())
            } else {
                ApiError::BadRequest(format!("cannot read the request body: {e}"))
            }
        })?;
        parse_json(&bytes).map(Json)
    }
}

/// Parses JSON into `T`: syntax errors → 400, shape errors → 422 naming the field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("request body is not valid JSON: {e}")))?;
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let path = if path == "." { String::new() } else { path };
        let message = error.inner().to_string();
        // serde reports a missing field at its parent; name the field itself.
        if let Some(name) = message.strip_prefix("missing field `").map(|r| r.trim_end_matches('`')) {
            let field = if path.is_empty() { name.to_owned() } else { format!("{path}.{name}") };
            return ApiError::Validation(vec![FieldError::new(&field, "is required")]);
        }
        // For an unknown field the path already ends with its name.
        if message.starts_with("unknown field `") {
            return ApiError::Validation(vec![FieldError::new(&path, "is not a known field")]);
        }
        ApiError::Validation(vec![FieldError::new(if path.is_empty() { "(body)" } else { &path }, message)])
    })
}

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<RequestId>().cloned().unwrap_or_else(|| RequestId("unknown".into())))
    }
}

/// The signed-in account; 401 without a valid bearer token.
#[derive(Clone)]
pub struct AuthUser {
    pub account: Account,
    /// The hash of the token used, so sign-out can revoke exactly it.
    pub token_hash: String,
}

/// The signed-in account if there is an `Authorization` header. A header
/// with a bad token is still a 401: a client that meant to sign in must not
/// be silently served as anonymous.
pub struct MaybeAuthUser(pub Option<AuthUser>);

/// The bearer token of a request, resolved once by [`authenticate`].
#[derive(Clone)]
struct Authenticated(AuthUser);

/// Resolves a present `Authorization` header before any route runs, so a
/// bad or expired token is a 401 on every route — including those that
/// also serve anonymous callers and those that never look at the caller
/// (a client must learn its session is gone, not be served as anonymous).
pub async fn authenticate(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut request: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let Some(value) = request.headers().get(header::AUTHORIZATION) else { return next.run(request).await };
    match resolve(value, &state).await {
        Ok(user) => {
            request.extensions_mut().insert(Authenticated(user));
            next.run(request).await
        }
        Err(refusal) => refusal.into_response(),
    }
}

async fn resolve(value: &header::HeaderValue, state: &AppState) -> Result<AuthUser, ApiError> {
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .ok_or_else(|| ApiError::Unauthorized("the Authorization header must be `Bearer <token>`".into()))?;
    let token_hash = token::hash(token);
    match sessions::account_for(&state.store, &token_hash).await? {
        Some(account) => Ok(AuthUser { account, token_hash }),
        None => Err(ApiError::Unauthorized(
            "the token is invalid, expired or revoked; sign in again, or send no Authorization header".into(),
        )),
    }
}

impl FromRequestParts<AppState> for MaybeAuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(Authenticated(user)) = parts.extensions.get::<Authenticated>() {
            return Ok(MaybeAuthUser(Some(user.clone())));
        }
        // Routers built without the middleware (unit tests) resolve here.
        match parts.headers.get(header::AUTHORIZATION) {
            None => Ok(MaybeAuthUser(None)),
            Some(value) => resolve(value, state).await.map(|user| MaybeAuthUser(Some(user))),
        }
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        MaybeAuthUser::from_request_parts(parts, state)
            .await?
            .0
            .ok_or_else(|| ApiError::Unauthorized("sign in first: send `Authorization: Bearer <token>`".into()))
    }
}

/// A signed-in admin; 401 when anonymous, 403 for anyone else.
pub struct AdminUser(pub AuthUser);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        if user.account.role != Role::Admin {
            return Err(ApiError::Forbidden("only platform admins may do this".into()));
        }
        Ok(AdminUser(user))
    }
}

/// A signed-in staff member (bound to a unit); 401 when anonymous, 403 for
/// anyone else.
pub struct StaffUser {
    pub user: AuthUser,
    /// The staff member's unit.
    pub unit: String,
}

impl FromRequestParts<AppState> for StaffUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        match (user.account.role, user.account.unit_id.clone()) {
            (Role::Staff, Some(unit)) => Ok(StaffUser { user, unit }),
            _ => Err(ApiError::Forbidden("only staff of a unit may do this".into())),
        }
    }
}

impl AuthUser {
    /// This account as an actor on the audit trail.
    pub fn actor(&self) -> crate::audit::Actor {
        crate::audit::Actor { id: self.account.id.clone(), unit: self.account.unit_id.clone() }
    }
}

/// Query parameters; a malformed query is a 422 naming the parameter.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer).map(QueryParams).map_err(|error| {
            let path = error.path().to_string();
            let field = if path == "." { "(query)".to_owned() } else { path };
            ApiError::field(&field, error.inner().to_string())
        })
    }
}

/// Path parameters; one that does not parse (a non-number where a number
/// is expected, bytes that are not UTF-8) is a 422 naming the parameter,
/// not axum's plain-text 400.
pub struct PathParams<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PathParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::path::ErrorKind;
        use axum::extract::rejection::PathRejection;
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(PathParams(value)),
            Err(PathRejection::FailedToDeserializePathParams(error)) => {
                let kind = error.into_kind();
                // A lone parameter's error names no key: name the only one there is.
                let names: Vec<String> = axum::extract::RawPathParams::from_request_parts(parts, state)
                    .await
                    .map(|params| params.iter().map(|(name, _)| name.to_owned()).collect())
                    .unwrap_or_default();
                let field = match &kind {
                    ErrorKind::ParseErrorAtKey { key, .. } | ErrorKind::InvalidUtf8InPathParam { key } => key.clone(),
                    ErrorKind::ParseErrorAtIndex { index, .. } => {
                        names.get(*index).cloned().unwrap_or_else(|| format!("(path segment {index})"))
                    }
                    _ if names.len() == 1 => names[0].clone(),
                    _ => "(path)".to_owned(),
                };
                Err(ApiError::field(&field, kind.to_string()))
            }
            Err(other) => Err(ApiError::Internal(anyhow::anyhow!("path parameters unavailable: {other}"))),
        }
    }
}

/// A signed-in resident; 401 when anonymous, 403 for anyone else.
pub struct ResidentUser(pub AuthUser);

impl FromRequestParts<AppState> for ResidentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        if user.account.role != Role::Resident {
            return Err(ApiError::Forbidden("only residents have a profile, cases and an inbox here".into()));
        }
        Ok(ResidentUser(user))
    }
}

/// The client's address as the connection shows it (the peer: behind a
/// proxy, the proxy's), when the server keeps it.
pub struct ClientAddress(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        Ok(ClientAddress(peer.map(|info| info.0.ip())))
    }
}
