//! The request a handler receives and the response it returns.

use serde::{Serialize, de::DeserializeOwned};

use crate::bindings::onewindow::platform::types as wit;
use crate::body::BodyFields;
use crate::error::{Error, FieldError, Result};
use crate::language::Language;

pub use wit::{Caller, Role, Unit, UnitKind};

/// A request routed to the service, with the path parameters of its route.
pub struct Request {
    inner: wit::Request,
    params: Vec<(String, String)>,
}

impl Request {
    pub(crate) fn new(inner: wit::Request, params: Vec<(String, String)>) -> Self {
        Request { inner, params }
    }

    /// Upper-case HTTP method.
    pub fn method(&self) -> &str {
        &self.inner.method
    }

    /// The path after the service id, starting with `/`.
    pub fn path(&self) -> &str {
        &self.inner.path
    }

    /// The host's request id (already part of every [`Error`] answer).
    pub fn request_id(&self) -> &str {
        &self.inner.request_id
    }

    /// The raw body.
    pub fn body(&self) -> &[u8] {
        &self.inner.body
    }

    /// A request header by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.inner.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// A path parameter of the matched route, e.g. `id` in `/items/{id}`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// A path parameter parsed into `T`; a 404 when it does not parse (a
    /// malformed id names nothing that exists).
    pub fn param_parse<T: std::str::FromStr>(&self, name: &str) -> Result<T> {
        let raw = self.param(name).unwrap_or_default();
        raw.parse().map_err(|_| Error::not_found(format!("`{raw}` is not a valid {name}")))
    }

    /// A query-string parameter, percent-decoded (the first if repeated).
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.inner.query.split('&').filter(|pair| !pair.is_empty()).find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key) == name).then(|| percent_decode(value))
        })
    }

    /// The authenticated caller, if any.
    pub fn caller(&self) -> Option<&Caller> {
        self.inner.caller.as_ref()
    }

    /// The caller, or a 401 for an anonymous request.
    pub fn require_caller(&self) -> Result<&Caller> {
        self.caller().ok_or_else(|| Error::unauthorized("sign in to use this route"))
    }

    /// The caller if it has `role`; 401 when anonymous, 403 otherwise.
    pub fn require_role(&self, role: Role) -> Result<&Caller> {
        let caller = self.require_caller()?;
        if caller.role == role {
            Ok(caller)
        } else {
            Err(Error::forbidden(format!("this route is for {} accounts", role_name(role))))
        }
    }

    /// The caller if it is staff of a unit of `kind`; 401 / 403 otherwise.
    pub fn require_staff_of(&self, kind: UnitKind) -> Result<&Caller> {
        let caller = self.require_role(Role::Staff)?;
        match &caller.unit {
            Some(unit) if unit.kind == kind => Ok(caller),
            _ => Err(Error::forbidden(format!("this route is for staff of {} units", unit_kind_name(kind)))),
        }
    }

    /// The caller if it is staff of the unit that owns this plugin (see
    /// [`crate::plugin::owner_unit`]); 401 when anonymous, 403 for anyone
    /// else — and 403 for everyone when the plugin has no owner (a
    /// first-party plugin decides by unit kind with [`Self::require_staff_of`]).
    pub fn require_staff_of_owner(&self) -> Result<&Caller> {
        let caller = self.require_role(Role::Staff)?;
        match (crate::plugin::owner_unit(), &caller.unit) {
            (Some(owner), Some(unit)) if owner.id == unit.id => Ok(caller),
            (Some(owner), _) => Err(Error::forbidden(format!("this route is for staff of {}", owner.id))),
            (None, _) => {
                Err(Error::forbidden("this route is for the owning unit's staff, and this service has no owner"))
            }
        }
    }

    /// The body parsed as JSON into `T`.
    ///
    /// Unreadable JSON answers 400; JSON of the wrong shape (a missing field,
    /// a wrong type) answers 422 naming the field. Serde stops at the first
    /// bad field: to report every one, read with [`Request::body_fields`].
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_path_to_error::deserialize(self.json_value()?).map_err(|error| {
            let path = error.path().to_string();
            Error::validation(vec![field_error(path, error.inner())])
        })
    }

    /// The body as a JSON object to read field by field, reporting every
    /// missing or malformed field at once (see [`BodyFields`]).
    ///
    /// Unreadable JSON, or JSON that is not an object, answers 400; a
    /// content type other than JSON answers 415, as [`Request::json`].
    ///
    /// ```no_run
    /// # use onewindow_sdk::prelude::*;
    /// fn rename(req: &Request) -> Result<Response> {
    ///     let mut body = req.body_fields()?;
    ///     let name = body.required_text("name");
    ///     let note = body.optional_text("note");
    ///     body.deny_unknown();
    ///     body.finish()?;
    ///     Ok(Response::json(200, &serde_json::json!({ "name": name, "note": note })))
    /// }
    /// ```
    pub fn body_fields(&self) -> Result<BodyFields> {
        BodyFields::from_value(self.json_value()?)
    }

    /// The caller's language from the `accept-language` header: the
    /// highest-weighted of Chinese, Uyghur and English, Chinese by default
    /// (the same choice the host makes for its own pages).
    ///
    /// ```no_run
    /// # use onewindow_sdk::prelude::*;
    /// fn greet(req: &Request) -> Result<Response> {
    ///     let language = req.language();
    ///     let hello = Localized { zh: "你好", ug: "ياخشىمۇسىز", en: "Hello" }.pick(language);
    ///     Ok(Response::json(200, &serde_json::json!({ "text": hello, "dir": language.direction() }))
    ///         .with_header("content-language", language.tag()))
    /// }
    /// ```
    pub fn language(&self) -> Language {
        Language::from_accept_language(self.header("accept-language").unwrap_or_default())
    }

    /// The body as a JSON value: 415 for a non-JSON content type, 400 when unreadable.
    fn json_value(&self) -> Result<serde_json::Value> {
        if let Some(content_type) = self.header("content-type") {
            let essence = content_type.split(';').next().unwrap_or_default().trim();
            if !essence.eq_ignore_ascii_case("application/json") && !essence.ends_with("+json") {
                return Err(Error::new(
                    415,
                    "unsupported-media-type",
                    "Unsupported media type",
                    format!("expected application/json, got {essence}"),
                ));
            }
        }
        serde_json::from_slice(&self.inner.body)
            .map_err(|e| Error::bad_request(format!("request body is not valid JSON: {e}")))
    }

    /// A request for unit tests: a GET of `/` with `query`, `headers` and `body`.
    #[cfg(test)]
    pub(crate) fn for_test(query: &str, headers: &[(&str, &str)], body: &str) -> Self {
        let headers = headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect();
        let inner = wit::Request {
            method: "GET".into(),
            path: "/".into(),
            query: query.into(),
            headers,
            body: body.as_bytes().to_vec(),
            request_id: "test".into(),
            caller: None,
        };
        Request::new(inner, Vec::new())
    }
}

/// Turns a serde error at `path` into a field error; serde reports a missing
/// field at its parent, so the field name is taken from the message.
fn field_error(path: String, error: &serde_json::Error) -> FieldError {
    let path = if path == "." { String::new() } else { path };
    let message = error.to_string();
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.trim_end_matches('`');
        let field = if path.is_empty() { name.to_owned() } else { format!("{path}.{name}") };
        return FieldError { field, message: "is required".to_owned() };
    }
    // For an unknown field the path already ends with its name.
    if message.starts_with("unknown field `") {
        return FieldError { field: path, message: "is not a known field".to_owned() };
    }
    FieldError { field: if path.is_empty() { "(body)".to_owned() } else { path }, message }
}

/// A response to return from a handler.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    /// A JSON response.
    pub fn json<T: Serialize + ?Sized>(status: u16, value: &T) -> Self {
        let body = serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec());
        Response { status, headers: vec![("content-type".into(), "application/json".into())], body }
    }

    /// A 204 with no body.
    pub fn no_content() -> Self {
        Response { status: 204, headers: Vec::new(), body: Vec::new() }
    }

    /// A plain-text response.
    pub fn text(status: u16, text: impl Into<String>) -> Self {
        Response {
            status,
            headers: vec![("content-type".into(), "text/plain; charset=utf-8".into())],
            body: text.into().into_bytes(),
        }
    }

    /// Sets a header, replacing one of the same name.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        let name = name.to_ascii_lowercase();
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value.into()));
        self
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The body bytes.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// A header by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub(crate) fn into_wit(self) -> wit::Response {
        wit::Response { status: self.status, headers: self.headers, body: self.body }
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Resident => "resident",
        Role::Staff => "staff",
        Role::Admin => "admin",
    }
}

fn unit_kind_name(kind: UnitKind) -> &'static str {
    match kind {
        UnitKind::Police => "police",
        UnitKind::Community => "community",
        UnitKind::Judicial => "judicial",
        UnitKind::Partner => "partner",
    }
}

fn percent_decode(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::{Request, percent_decode};
    use crate::language::Language;

    #[test]
    fn json_keeps_stopping_at_the_first_bad_field() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Two {
            a: String,
            b: u32,
        }
        let error = Request::for_test("", &[], r#"{"a": 1, "b": "x"}"#).json::<Two>().unwrap_err();
        assert_eq!(error.status(), 422);
        assert_eq!(error.field_errors().len(), 1);
        assert_eq!(error.field_errors()[0].field, "a");
        let ok = Request::for_test("", &[], r#"{"a": "x", "b": 2}"#).json::<Two>().unwrap();
        assert_eq!((ok.a.as_str(), ok.b), ("x", 2));
    }

    #[test]
    fn body_fields_needs_a_json_object_of_json_content() {
        assert_eq!(Request::for_test("", &[], "not json").body_fields().unwrap_err().status(), 400);
        assert_eq!(Request::for_test("", &[], "[1]").body_fields().unwrap_err().status(), 400);
        let text = Request::for_test("", &[("content-type", "text/plain")], "{}");
        assert_eq!(text.body_fields().unwrap_err().status(), 415);
        let mut body = Request::for_test("", &[("content-type", "application/json")], r#"{"a": 1, "b": "x"}"#)
            .body_fields()
            .unwrap();
        assert_eq!(body.required_text("a"), None);
        assert_eq!(body.required_u32("b"), None);
        assert_eq!(body.finish().unwrap_err().field_errors().len(), 2, "both faults at once");
    }

    #[test]
    fn language_comes_from_accept_language() {
        assert_eq!(Request::for_test("", &[], "").language(), Language::Zh);
        let uyghur = Request::for_test("", &[("accept-language", "en;q=0.5, ug-CN")], "");
        assert_eq!(uyghur.language(), Language::Ug);
    }

    #[test]
    fn decodes_percent_escapes_and_plus() {
        assert_eq!(percent_decode("a%20b+c"), "a b c");
        assert_eq!(percent_decode("%E4%BD%A0"), "你");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
