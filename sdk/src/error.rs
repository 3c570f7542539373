//! Errors a handler returns, answered as `application/problem+json`
//! ([RFC 9457](https://www.rfc-editor.org/rfc/rfc9457)) in the same shape the
//! host uses, so a client cannot tell a plugin's error from the platform's.

use serde::Serialize;

use crate::http::Response;

/// The result of a handler.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One field that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's name (a JSON path such as `address.city` for nested fields).
    pub field: String,
    /// What is wrong with it, for a human.
    pub message: String,
}

/// An error answered as a problem document.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    status: u16,
    kind: &'static str,
    title: &'static str,
    detail: String,
    errors: Vec<FieldError>,
    headers: Vec<(String, String)>,
}

impl Error {
    /// A problem with an explicit status and type slug.
    /// The `type` member becomes `urn:onewindow:problem:{kind}`.
    pub fn new(status: u16, kind: &'static str, title: &'static str, detail: impl Into<String>) -> Self {
        Error { status, kind, title, detail: detail.into(), errors: Vec::new(), headers: Vec::new() }
    }

    /// 400: the request cannot be read (e.g. the body is not JSON).
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(400, "bad-request", "Bad request", detail)
    }

    /// 401: the route needs a signed-in caller.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(401, "unauthorized", "Sign-in required", detail)
    }

    /// 403: the caller is signed in but may not do this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(403, "forbidden", "Forbidden", detail)
    }

    /// 404: no such thing (also used for things the caller may not see).
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(404, "not-found", "Not found", detail)
    }

    /// 409: the request conflicts with the current state.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(409, "conflict", "Conflict", detail)
    }

    /// 422: the request was read but its fields are not acceptable.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ");
        Error { errors, ..Self::new(422, "validation-failed", "Validation failed", detail) }
    }

    /// 500: something went wrong inside the service.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(500, "internal", "Internal error", detail)
    }

    /// Adds a response header (e.g. `allow` for a 405).
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The field errors, for a validation failure.
    pub fn field_errors(&self) -> &[FieldError] {
        &self.errors
    }

    /// The human-readable detail.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The problem document, as the host answers it.
    pub fn into_response(self, request_id: &str) -> Response {
        let mut body = serde_json::json!({
            "type": format!("urn:onewindow:problem:{}", self.kind),
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "request_id": request_id,
        });
        if !self.errors.is_empty() {
            body["errors"] = serde_json::to_value(&self.errors).unwrap_or_default();
        }
        let mut response = Response::json(self.status, &body).with_header("content-type", "application/problem+json");
        for (name, value) in self.headers {
            response = response.with_header(&name, value);
        }
        response
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.kind, self.detail)
    }
}

impl std::error::Error for Error {}

/// Collects field errors so a client learns every problem at once.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an error for `field`.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError { field: field.to_owned(), message: message.into() });
    }

    /// Records an error for `field` unless `ok` holds.
    pub fn check(&mut self, ok: bool, field: &str, message: impl Into<String>) {
        if !ok {
            self.add(field, message);
        }
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when nothing was recorded, else a 422 [`Error`] listing all.
    pub fn into_result(self) -> Result<()> {
        if self.0.is_empty() { Ok(()) } else { Err(Error::validation(self.0)) }
    }
}
