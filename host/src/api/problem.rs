//! Errors as `application/problem+json`
//! ([RFC 9457](https://www.rfc-editor.org/rfc/rfc9457)). Every variant of
//! [`ApiError`] documents the status it answers with; `type` is a stable URN
//! `urn:onewindow:problem:{slug}` clients can match on. Internal details
//! are logged with the request id, never sent.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::runtime::InvokeError;

/// One field that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The field's name in the request body.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: &str, message: impl Into<String>) -> FieldError {
        FieldError { field: field.to_owned(), message: message.into() }
    }
}

/// A problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// Stable identifier of the kind of problem, e.g. `urn:onewindow:problem:not-found`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the kind of problem.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong this time, for a human.
    pub detail: String,
    /// The request id (also in the `x-request-id` header).
    pub request_id: String,
    /// The fields at fault, for `validation-failed`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// An error a handler returns.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 `bad-request`: the request cannot be read.
    #[error("{0}")]
    BadRequest(String),
    /// 401 `unauthorized`: no valid sign-in where one is needed.
    #[error("{0}")]
    Unauthorized(String),
    /// 403 `forbidden`: signed in, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 404 `not-found`.
    #[error("{0}")]
    NotFound(String),
    /// 409 `conflict`: clashes with the current state.
    #[error("{0}")]
    Conflict(String),
    /// 413 `payload-too-large`.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 415 `unsupported-media-type`.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422 `validation-failed`, with the fields at fault.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// 429 `too-many-requests`: over a sign-in or registration limit;
    /// `Retry-After` says when to try again.
    #[error("{detail}")]
    TooManyRequests { detail: String, retry_after: std::time::Duration },
    /// 503 `service-busy` (with `Retry-After`): the host's own capacity for
    /// this kind of work is taken for now.
    #[error("{0}")]
    Busy(String),
    /// 502 / 503 / 504 from a plugin call (see [`InvokeError`]).
    #[error(transparent)]
    Plugin(#[from] InvokeError),
    /// 503 `service-unavailable`: the service exists but is not serving.
    #[error("{0}")]
    ServiceUnavailable(String),
    /// Any 4xx with its own problem type (plugin uploads name exactly what
    /// is wrong with a distinct type each; see `registry_error`).
    #[error("{detail}")]
    Refused { status: StatusCode, slug: &'static str, title: &'static str, detail: String, errors: Vec<FieldError> },
    /// 500 `internal`: logged in full, answered vaguely.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        ApiError::Internal(error.into())
    }
}

impl ApiError {
    /// A 422 for one field.
    pub fn field(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        use InvokeError as I;
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad-request", "Bad request"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized", "Sign-in required"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict", "Conflict"),
            ApiError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large", "Payload too large"),
            ApiError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", "Unsupported media type")
            }
            ApiError::Validation(_) => (StatusCode::UNPROCESSABLE_ENTITY, "validation-failed", "Validation failed"),
            ApiError::Plugin(I::Busy(_) | I::PoolBusy) => {
                (StatusCode::SERVICE_UNAVAILABLE, "service-busy", "Service busy")
            }
            ApiError::Busy(_) => (StatusCode::SERVICE_UNAVAILABLE, "service-busy", "Service busy"),
            ApiError::TooManyRequests { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "too-many-requests", "Too many requests")
            }
            ApiError::Plugin(I::Timeout(_)) => (StatusCode::GATEWAY_TIMEOUT, "plugin-timeout", "Service timed out"),
            ApiError::Plugin(I::MemoryLimit(_)) => {
                (StatusCode::BAD_GATEWAY, "plugin-memory-limit", "Service ran out of memory")
            }
            ApiError::Plugin(I::Trapped(_)) => (StatusCode::BAD_GATEWAY, "plugin-failed", "Service failed"),
            ApiError::Plugin(I::BadResponse(_)) => {
                (StatusCode::BAD_GATEWAY, "plugin-bad-response", "Service gave an invalid answer")
            }
            ApiError::Plugin(I::Unavailable(_)) | ApiError::ServiceUnavailable(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "service-unavailable", "Service unavailable")
            }
            ApiError::Refused { status, slug, title, .. } => (*status, slug, title),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, slug, title) = self.parts();
        let retry_after = match &self {
            ApiError::TooManyRequests { retry_after, .. } => Some(*retry_after),
            _ => None,
        };
        let detail = match &self {
            ApiError::Internal(error) => {
                tracing::error!("internal error: {error:#}");
                "something went wrong on our side; quote the request id when you report it".to_owned()
            }
            ApiError::Validation(errors) => {
                errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
            }
            other => other.to_string(),
        };
        let errors = match self {
            ApiError::Validation(errors) | ApiError::Refused { errors, .. } => errors,
            _ => Vec::new(),
        };
        let problem = Problem {
            kind: format!("urn:onewindow:problem:{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail,
            request_id: String::new(),
            errors,
        };
        let mut response = status.into_response();
        match status {
            StatusCode::UNAUTHORIZED => {
                response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            // Busy is momentary: say when to retry. A suspended service or a
            // database outage is not, and a retry hint would invite hammering.
            StatusCode::SERVICE_UNAVAILABLE if slug == "service-busy" => {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            StatusCode::TOO_MANY_REQUESTS => {
                if let Some(retry_after) = retry_after {
                    let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
                    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
                }
            }
            // The rest of an oversized body may be unread: the connection
            // closes after this answer, and saying so keeps a client from
            // sending its next request on it.
            StatusCode::PAYLOAD_TOO_LARGE => {
                response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            _ => {}
        }
        // The body is written by `render` once the request id is known.
        response.extensions_mut().insert(problem);
        response
    }
}

/// Writes the problem body of an error response, stamped with the request id.
pub fn render(response: &mut Response, request_id: &str) {
    let Some(mut problem) = response.extensions_mut().remove::<Problem>() else { return };
    problem.request_id = request_id.to_owned();
    let body = serde_json::to_vec(&problem).expect("a problem always serialises");
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    response.headers_mut().remove(header::CONTENT_LENGTH);
    *response.body_mut() = axum::body::Body::from(body);
}

/// The fallback for unknown routes.
pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!("no route for {}", uri.path()))
}

/// The fallback for a known route with another method.
pub async fn method_not_allowed(method: axum::http::Method) -> Response {
    let (status, slug, title) = (StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed", "Method not allowed");
    let problem = Problem {
        kind: format!("urn:onewindow:problem:{slug}"),
        title: title.into(),
        status: status.as_u16(),
        detail: format!("{method} is not allowed here"),
        request_id: String::new(),
        errors: Vec::new(),
    };
    let mut response = status.into_response();
    response.extensions_mut().insert(problem);
    response
}
