//! Errors a handler returns, answered as `application/problem+json`
//! ([RFC 9457](https://www.rfc-editor.org/rfc/rfc9457)) in the same shape the
//! host uses, so a client cannot tell a plugin's error from the platform's.

use serde::Serialize;

use crate::http::Response;
use crate::time::{Date, DateTime};
use crate::validate;

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

/// What a caller is told when the service itself is at fault (a capability
/// call the manifest or the grants do not allow): nothing about its insides.
pub(crate) const SERVICE_FAILED: &str = "the service failed; quote the request id";

/// A capability refusal that is the service's own bug, not the caller's:
/// `detail` goes to `log` (the plugin's log) and the caller gets a generic 500.
pub(crate) fn service_bug(detail: &str, log: impl FnOnce(&str)) -> Error {
    log(detail);
    Error::internal(SERVICE_FAILED)
}

/// True for an `access-denied` message about a table, column, operation on
/// a shared table, or a whole capability that the service was not granted:
/// it named it in its own code, so a correct service never asks. Other
/// refusals (a row outside the caller's scope, an area the unit does not
/// serve, a case staff handed to another unit) are about the caller. The
/// host's messages are the only thing that tells them apart.
pub(crate) fn is_ungranted(message: &str) -> bool {
    let schema =
        message.starts_with("table `") || message.starts_with("column `") || message.contains("shared table `");
    let capability = message.starts_with('`') && message.contains("` is not granted to");
    message.contains("not granted") && (schema || capability)
}

/// Collects field errors so a client learns every problem at once.
///
/// Besides [`add`](Self::add) and [`check`](Self::check), helpers check a
/// field with [`validate`] and answer the parsed or normalised value, so a
/// handler validates and converts in one step:
///
/// ```
/// use onewindow_sdk::FieldErrors;
///
/// let mut errors = FieldErrors::new();
/// let phone = errors.phone("phone", "138 0013 8000");
/// let reason = errors.one_of("reason", "tourism", &["work", "study"]);
/// assert_eq!(phone.as_deref(), Some("13800138000"));
/// assert_eq!(reason, None);
/// let error = errors.into_result().unwrap_err();
/// assert_eq!(error.field_errors()[0].message, "must be one of work, study");
/// ```
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an error for `field`, unless it has one already: a field is
    /// named once, with the first rule it breaks, so a client can map the
    /// answer's `errors` onto its form one message per field.
    ///
    /// ```
    /// let mut errors = onewindow_sdk::FieldErrors::new();
    /// errors.add("lease_end", "must be after lease_start");
    /// errors.add("lease_end", "must not be in the past");
    /// let error = errors.into_result().unwrap_err();
    /// assert_eq!(error.field_errors().len(), 1);
    /// assert_eq!(error.field_errors()[0].message, "must be after lease_start");
    /// ```
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        if self.0.iter().any(|error| error.field == field) {
            return;
        }
        self.0.push(FieldError { field: field.to_owned(), message: message.into() });
    }

    /// Records an error for `field` unless `ok` holds.
    pub fn check(&mut self, ok: bool, field: &str, message: impl Into<String>) {
        if !ok {
            self.add(field, message);
        }
    }

    /// Checks a phone number with [`validate::phone`]: a mainland mobile
    /// or a landline with its area code. Answers it normalised
    /// (`13800138000`, `0991-4567890`), or records why not and answers `None`.
    pub fn phone(&mut self, field: &str, value: &str) -> Option<String> {
        let message = "must be a mobile number (11 digits starting 13 to 19, +86 allowed) \
                       or a landline number with its area code, such as 0991-4567890";
        self.validated(field, value, validate::phone, message)
    }

    /// Checks a resident ID number with [`validate::id_number`]. Answers it
    /// with an upper-case `X`, or records why not and answers `None`.
    pub fn id_number(&mut self, field: &str, value: &str) -> Option<String> {
        let message = "must be an 18-character resident ID number with a real birth date \
                       and a valid check character (0-9 or X)";
        self.validated(field, value, validate::id_number, message)
    }

    /// Checks a date written `YYYY-MM-DD` with [`validate::date`]. Answers
    /// the date, or records why not and answers `None`.
    pub fn date(&mut self, field: &str, value: &str) -> Option<Date> {
        self.validated(field, value, validate::date, "must be a date written YYYY-MM-DD")
    }

    /// Checks an RFC 3339 date and time with [`validate::date_time`].
    /// Answers it, or records why not and answers `None`.
    pub fn date_time(&mut self, field: &str, value: &str) -> Option<DateTime> {
        let message = "must be a date and time with its offset, such as 2026-03-01T09:30:00+08:00";
        self.validated(field, value, validate::date_time, message)
    }

    /// Checks that `value` is one of `options` with [`validate::one_of`].
    /// Answers the option, or records the options and answers `None`.
    pub fn one_of<'a>(&mut self, field: &str, value: &str, options: &[&'a str]) -> Option<&'a str> {
        let message = format!("must be one of {}", options.join(", "));
        self.validated(field, value, |value| validate::one_of(value, options), message)
    }

    /// Records `is required` for a blank value, else `message` unless
    /// `check` accepts it.
    fn validated<T>(
        &mut self,
        field: &str,
        value: &str,
        check: impl FnOnce(&str) -> Option<T>,
        message: impl Into<String>,
    ) -> Option<T> {
        if value.trim().is_empty() {
            self.add(field, "is required");
            return None;
        }
        let checked = check(value);
        if checked.is_none() {
            self.add(field, message);
        }
        checked
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

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(errors: FieldErrors) -> Vec<(String, String)> {
        errors.0.into_iter().map(|e| (e.field, e.message)).collect()
    }

    #[test]
    fn helpers_answer_normalised_values_and_record_nothing_when_valid() {
        let mut errors = FieldErrors::new();
        assert_eq!(errors.phone("phone", "+86 138 0013 8000").as_deref(), Some("13800138000"));
        assert_eq!(errors.id_number("id", "11010519491231002x").as_deref(), Some("11010519491231002X"));
        assert_eq!(errors.date("day", "2026-03-01"), Date::new(2026, 3, 1));
        assert_eq!(errors.date_time("at", "2026-03-01T09:30:00+08:00").map(|t| t.offset_seconds), Some(28_800));
        assert_eq!(errors.one_of("reason", "work", &["work", "study"]), Some("work"));
        assert!(errors.is_empty());
    }

    #[test]
    fn helpers_record_what_is_expected_in_field_order() {
        let mut errors = FieldErrors::new();
        assert_eq!(errors.phone("phone", "call me"), None);
        assert_eq!(errors.id_number("id", "110105194912310021"), None);
        assert_eq!(errors.date("day", "2026-02-30"), None);
        assert_eq!(errors.date_time("at", "2026-03-01 09:30"), None);
        assert_eq!(errors.one_of("reason", "tourism", &["work", "study"]), None);
        assert_eq!(errors.date("empty", "  "), None);
        let recorded = recorded(errors);
        let fields: Vec<&str> = recorded.iter().map(|(field, _)| field.as_str()).collect();
        assert_eq!(fields, ["phone", "id", "day", "at", "reason", "empty"]);
        assert!(recorded[0].1.contains("mobile number") && recorded[0].1.contains("landline"), "{}", recorded[0].1);
        assert!(recorded[1].1.contains("18-character resident ID number"), "{}", recorded[1].1);
        assert_eq!(recorded[2].1, "must be a date written YYYY-MM-DD");
        assert!(recorded[3].1.contains("2026-03-01T09:30:00+08:00"), "{}", recorded[3].1);
        assert_eq!(recorded[4].1, "must be one of work, study");
        assert_eq!(recorded[5].1, "is required");
    }
}
