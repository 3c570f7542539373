//! Reading a JSON object field by field, so that a client learns about every
//! missing or malformed field in one answer (serde stops at the first).
//!
//! ```no_run
//! use onewindow_sdk::prelude::*;
//!
//! fn apply(req: &Request) -> Result<Response> {
//!     let mut body = req.body_fields()?;
//!     let full_name = body.required_text("full_name");
//!     let employer = body.optional_text("employer");
//!     let household_size = body.required_u32("household_size");
//!     body.deny_unknown();
//!     body.finish()?; // 422 listing every fault, or every required value is `Some`
//!     let (full_name, household_size) = (full_name.unwrap_or_default(), household_size.unwrap_or_default());
//!     Ok(Response::json(201, &serde_json::json!({
//!         "full_name": full_name, "employer": employer, "household_size": household_size,
//!     })))
//! }
//! ```

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{FieldErrors, Result};

/// The fields of a JSON object body, read one by one with typed getters.
///
/// Each getter returns `Some(value)` when the field is acceptable and
/// otherwise `None`, recording why ("is required", "must be text", ...).
/// [`BodyFields::finish`] then answers a 422 listing every fault in the
/// order the getters were called, so a handler reads all its fields before
/// returning any error. Once `finish` succeeded, every `required_*` value
/// is `Some`. Get it with [`Request::body_fields`](crate::Request::body_fields).
///
/// `null` counts as absent. Text is trimmed, and blank text counts as absent.
///
/// ```
/// use onewindow_sdk::BodyFields;
///
/// let mut body = BodyFields::from_value(serde_json::json!({"name": 5, "age": "ten"})).unwrap();
/// assert_eq!(body.required_text("name"), None);
/// assert_eq!(body.required_u32("age"), None);
/// assert_eq!(body.optional_text("nickname"), None);
/// let error = body.finish().unwrap_err();
/// let fields: Vec<_> = error.field_errors().iter().map(|e| e.field.as_str()).collect();
/// assert_eq!(fields, ["name", "age"]);
/// ```
#[derive(Debug)]
pub struct BodyFields {
    object: Map<String, Value>,
    asked: Vec<String>,
    errors: FieldErrors,
    deny_unknown: bool,
}

impl BodyFields {
    /// Reads an already parsed JSON value; a 400 unless it is an object.
    ///
    /// ```
    /// use onewindow_sdk::BodyFields;
    ///
    /// assert!(BodyFields::from_value(serde_json::json!({"a": 1})).is_ok());
    /// assert_eq!(BodyFields::from_value(serde_json::json!([1, 2])).unwrap_err().status(), 400);
    /// ```
    pub fn from_value(value: Value) -> Result<Self> {
        match value {
            Value::Object(object) => {
                Ok(BodyFields { object, asked: Vec::new(), errors: FieldErrors::new(), deny_unknown: false })
            }
            _ => Err(crate::Error::bad_request("the request body must be a JSON object")),
        }
    }

    /// A text field that must be present and not blank, trimmed.
    ///
    /// ```
    /// # let mut body = onewindow_sdk::BodyFields::from_value(serde_json::json!({"name": " Aygül "})).unwrap();
    /// assert_eq!(body.required_text("name").as_deref(), Some("Aygül"));
    /// ```
    pub fn required_text(&mut self, name: &str) -> Option<String> {
        let text = self.text(name)?;
        if text.is_none() {
            self.errors.add(name, "is required");
        }
        text
    }

    /// A text field that may be absent, `null` or blank (all `None`), trimmed.
    ///
    /// ```
    /// # let mut body = onewindow_sdk::BodyFields::from_value(serde_json::json!({"employer": "  "})).unwrap();
    /// assert_eq!(body.optional_text("employer"), None);
    /// assert!(body.finish().is_ok());
    /// ```
    pub fn optional_text(&mut self, name: &str) -> Option<String> {
        self.text(name).flatten()
    }

    /// A whole number that must be present.
    ///
    /// ```
    /// # let mut body = onewindow_sdk::BodyFields::from_value(serde_json::json!({"delta": -3})).unwrap();
    /// assert_eq!(body.required_i64("delta"), Some(-3));
    /// ```
    pub fn required_i64(&mut self, name: &str) -> Option<i64> {
        let value = self.optional_i64(name);
        self.present(name, value)
    }

    /// A whole number that may be absent or `null`.
    ///
    /// ```
    /// # let mut body = onewindow_sdk::BodyFields::from_value(serde_json::json!({"delta": 1.5})).unwrap();
    /// assert_eq!(body.optional_i64("delta"), None);
    /// assert!(body.finish().is_err());
    /// ```
    pub fn optional_i64(&mut self, name: &str) -> Option<i64> {
        self.typed(name, "must be a whole number", Value::as_i64)
    }

    /// A non-negative whole number (at most 4294967295) that must be present.
    ///
    /// ```
    /// # let mut body = onewindow_sdk::BodyFields::from_value(serde_json::json!({"household_size": 4})).unwrap();
    /// assert_eq!(body.required_u32("household_size"), Some(4));
    /// ```
    pub fn required_u32(&mut self, name: &str) -> Option<u32> {
        let value = self.optional_u32(name);
        self.present(name, value)
    }

    /// A non-negative whole number (at most 4294967295) that may be absent or `null`.
    ///
    /// ```
    /// # let mut body = onewindow_sdk::BodyFields::from_value(serde_json::json!({"floor": -1})).unwrap();
    /// assert_eq!(body.optional_u32("floor"), None);
    /// assert_eq!(body.finish().unwrap_err().field_errors()[0].message, "must be a non-negative whole number");
    /// ```
    pub fn optional_u32(&mut self, name: &str) -> Option<u32> {
        self.typed(name, "must be a non-negative whole number", |v| v.as_u64().and_then(|n| u32::try_from(n).ok()))
    }

    /// A number (fractions allowed) that must be present.
    ///
    /// ```
    /// # let mut body = onewindow_sdk::BodyFields::from_value(serde_json::json!({"area_m2": 54.5})).unwrap();
    /// assert_eq!(body.required_f64("area_m2"), Some(54.5));
    /// ```
    pub fn required_f64(&mut self, name: &str) -> Option<f64> {
        let value = self.optional_f64(name);
        self.present(name, value)
    }

    /// A number (fractions allowed) that may be absent or `null`.
    ///
    /// ```
    /// # let mut body = onewindow_sdk::BodyFields::from_value(serde_json::json!({"area_m2": "big"})).unwrap();
    /// assert_eq!(body.optional_f64("area_m2"), None);
    /// assert!(body.finish().is_err());
    /// ```
    pub fn optional_f64(&mut self, name: &str) -> Option<f64> {
        self.typed(name, "must be a number", Value::as_f64)
    }

    /// `true` or `false`, which must be present.
    ///
    /// ```
    /// # let mut body = onewindow_sdk::BodyFields::from_value(serde_json::json!({"agree": true})).unwrap();
    /// assert_eq!(body.required_bool("agree"), Some(true));
    /// ```
    pub fn required_bool(&mut self, name: &str) -> Option<bool> {
        let value = self.optional_bool(name);
        self.present(name, value)
    }

    /// `true` or `false`, which may be absent or `null`.
    ///
    /// ```
    /// # let mut body = onewindow_sdk::BodyFields::from_value(serde_json::json!({"urgent": "yes"})).unwrap();
    /// assert_eq!(body.optional_bool("urgent"), None);
    /// assert_eq!(body.finish().unwrap_err().field_errors()[0].message, "must be true or false");
    /// ```
    pub fn optional_bool(&mut self, name: &str) -> Option<bool> {
        self.typed(name, "must be true or false", Value::as_bool)
    }

    /// Any deserializable value (a list, a nested object, an enum) that must
    /// be present; a value of the wrong shape is recorded with serde's message.
    ///
    /// ```
    /// # let mut body = onewindow_sdk::BodyFields::from_value(serde_json::json!({"tags": ["a", "b"]})).unwrap();
    /// assert_eq!(body.required::<Vec<String>>("tags"), Some(vec!["a".to_owned(), "b".to_owned()]));
    /// ```
    pub fn required<T: DeserializeOwned>(&mut self, name: &str) -> Option<T> {
        let value = self.optional(name);
        self.present(name, value)
    }

    /// Any deserializable value that may be absent or `null`.
    ///
    /// ```
    /// # let mut body = onewindow_sdk::BodyFields::from_value(serde_json::json!({"tags": "a"})).unwrap();
    /// assert_eq!(body.optional::<Vec<String>>("tags"), None);
    /// assert!(body.finish().is_err());
    /// ```
    pub fn optional<T: DeserializeOwned>(&mut self, name: &str) -> Option<T> {
        let value = self.take(name)?;
        match serde_json::from_value(value) {
            Ok(value) => Some(value),
            Err(error) => {
                self.errors.add(name, error.to_string());
                None
            }
        }
    }

    /// Records a fault of your own (a cross-field rule, say), reported with the others.
    ///
    /// ```
    /// # let mut body = onewindow_sdk::BodyFields::from_value(serde_json::json!({})).unwrap();
    /// body.add("arrival_date", "must not be in the future");
    /// assert!(body.finish().is_err());
    /// ```
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.errors.add(field, message);
    }

    /// Records a fault for `field` unless `ok` holds (as [`FieldErrors::check`]).
    ///
    /// ```
    /// # let mut body = onewindow_sdk::BodyFields::from_value(serde_json::json!({"message": "hi"})).unwrap();
    /// let message = body.required_text("message");
    /// body.check(message.as_ref().is_none_or(|m| m.chars().count() <= 500), "message", "at most 500 characters");
    /// assert!(body.finish().is_ok());
    /// ```
    pub fn check(&mut self, ok: bool, field: &str, message: impl Into<String>) {
        self.errors.check(ok, field, message);
    }

    /// The faults recorded so far, to check a value with [`FieldErrors`]'
    /// own helpers; what they record is reported with the rest.
    ///
    /// ```
    /// # let mut body = onewindow_sdk::BodyFields::from_value(serde_json::json!({"code": "x"})).unwrap();
    /// let code = body.required_text("code");
    /// body.errors().check(code.as_deref() == Some("ok"), "code", "must be ok");
    /// assert!(body.finish().is_err());
    /// ```
    pub fn errors(&mut self) -> &mut FieldErrors {
        &mut self.errors
    }

    /// Also refuses, at [`finish`](Self::finish), every field that no getter
    /// asked for ("is not a known field", after the other faults, by name).
    ///
    /// ```
    /// # let mut body = onewindow_sdk::BodyFields::from_value(serde_json::json!({"name": "A", "admin": true})).unwrap();
    /// body.deny_unknown();
    /// body.required_text("name");
    /// assert_eq!(body.finish().unwrap_err().field_errors()[0].field, "admin");
    /// ```
    pub fn deny_unknown(&mut self) {
        self.deny_unknown = true;
    }

    /// The faults recorded so far, to keep validating before answering with
    /// [`FieldErrors::into_result`]; unknown fields are included if denied.
    ///
    /// ```
    /// # let mut body = onewindow_sdk::BodyFields::from_value(serde_json::json!({})).unwrap();
    /// let name = body.required_text("name");
    /// let mut problems = body.into_field_errors();
    /// problems.check(name.is_some(), "greeting", "needs a name to greet");
    /// assert_eq!(problems.into_result().unwrap_err().field_errors().len(), 2);
    /// ```
    pub fn into_field_errors(mut self) -> FieldErrors {
        if self.deny_unknown {
            let mut unknown: Vec<&String> = self.object.keys().filter(|key| !self.asked.contains(key)).collect();
            unknown.sort();
            for key in unknown {
                self.errors.add(key, "is not a known field");
            }
        }
        self.errors
    }

    /// `Ok(())` when every field was acceptable, else a 422 listing every
    /// fault in the order the getters were called.
    ///
    /// ```
    /// # let mut body = onewindow_sdk::BodyFields::from_value(serde_json::json!({"name": "A"})).unwrap();
    /// let name = body.required_text("name");
    /// body.finish().unwrap();
    /// assert_eq!(name.as_deref(), Some("A"));
    /// ```
    pub fn finish(self) -> Result<()> {
        self.into_field_errors().into_result()
    }

    /// Marks `name` as asked for and returns its value unless absent or `null`.
    fn take(&mut self, name: &str) -> Option<Value> {
        if !self.asked.iter().any(|asked| asked == name) {
            self.asked.push(name.to_owned());
        }
        self.object.get(name).filter(|value| !value.is_null()).cloned()
    }

    /// Converts a present field with `convert`, recording `message` when it does not fit.
    fn typed<T>(&mut self, name: &str, message: &str, convert: impl FnOnce(&Value) -> Option<T>) -> Option<T> {
        let value = self.take(name)?;
        let converted = convert(&value);
        if converted.is_none() {
            self.errors.add(name, message);
        }
        converted
    }

    /// Text: `Some(None)` when absent, `null` or blank; `None` when not text (recorded).
    fn text(&mut self, name: &str) -> Option<Option<String>> {
        let Some(value) = self.take(name) else { return Some(None) };
        if let Value::String(text) = value {
            let trimmed = text.trim();
            Some((!trimmed.is_empty()).then(|| trimmed.to_owned()))
        } else {
            self.errors.add(name, "must be text");
            None
        }
    }

    /// Reports a required field as missing when it is absent or `null` (a
    /// present field of the wrong type has been reported already).
    fn present<T>(&mut self, name: &str, value: Option<T>) -> Option<T> {
        if value.is_none() && self.object.get(name).is_none_or(Value::is_null) {
            self.errors.add(name, "is required");
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fields(value: Value) -> BodyFields {
        BodyFields::from_value(value).unwrap()
    }

    fn faults(body: BodyFields) -> Vec<(String, String)> {
        body.finish().unwrap_err().field_errors().iter().map(|e| (e.field.clone(), e.message.clone())).collect()
    }

    #[test]
    fn reports_every_fault_in_call_order() {
        let mut body = fields(json!({"age": "ten", "name": 5, "agree": "yes", "blank": "  ", "size": -1}));
        assert_eq!(body.required_text("name"), None);
        assert_eq!(body.required_text("missing"), None);
        assert_eq!(body.required_u32("age"), None);
        assert_eq!(body.required_text("blank"), None);
        assert_eq!(body.optional_bool("agree"), None);
        assert_eq!(body.optional_u32("size"), None);
        assert_eq!(body.optional_text("absent"), None);
        let error = body.finish().unwrap_err();
        assert_eq!(error.status(), 422);
        let got: Vec<_> = error.field_errors().iter().map(|e| (e.field.as_str(), e.message.as_str())).collect();
        assert_eq!(
            got,
            [
                ("name", "must be text"),
                ("missing", "is required"),
                ("age", "must be a non-negative whole number"),
                ("blank", "is required"),
                ("agree", "must be true or false"),
                ("size", "must be a non-negative whole number"),
            ]
        );
    }

    #[test]
    fn accepts_good_values_and_treats_null_as_absent() {
        let mut body = fields(json!({
            "name": "  Aygül ", "employer": null, "n": 7, "delta": -2, "ratio": 0.5, "ok": false, "tags": ["x"]
        }));
        assert_eq!(body.required_text("name").as_deref(), Some("Aygül"));
        assert_eq!(body.optional_text("employer"), None);
        assert_eq!(body.required_u32("n"), Some(7));
        assert_eq!(body.optional_i64("delta"), Some(-2));
        assert_eq!(body.required_f64("ratio"), Some(0.5));
        assert_eq!(body.required_bool("ok"), Some(false));
        assert_eq!(body.optional::<Vec<String>>("tags"), Some(vec!["x".to_owned()]));
        body.deny_unknown();
        assert!(body.finish().is_ok());
    }

    #[test]
    fn a_required_null_is_missing_and_u32_refuses_too_large() {
        let mut body = fields(json!({"a": null, "b": 4_294_967_296u64, "c": 1.5, "d": " "}));
        body.required_bool("a");
        body.required_u32("b");
        body.required_i64("c");
        body.required_u32("d");
        assert_eq!(
            faults(body),
            [
                ("a".to_owned(), "is required".to_owned()),
                ("b".to_owned(), "must be a non-negative whole number".to_owned()),
                ("c".to_owned(), "must be a whole number".to_owned()),
                ("d".to_owned(), "must be a non-negative whole number".to_owned()),
            ]
        );
    }

    #[test]
    fn deny_unknown_lists_unasked_fields_after_the_others_by_name() {
        let mut body = fields(json!({"zeta": 1, "name": "A", "alpha": 2}));
        body.deny_unknown();
        body.required_text("name");
        body.required_text("phone");
        let got: Vec<_> = faults(body).into_iter().map(|(field, _)| field).collect();
        assert_eq!(got, ["phone", "alpha", "zeta"]);

        let mut lenient = fields(json!({"zeta": 1}));
        lenient.optional_text("name");
        assert!(lenient.finish().is_ok(), "unknown fields pass unless denied");
    }

    #[test]
    fn own_faults_join_the_list() {
        let mut body = fields(json!({"to": "x"}));
        let to = body.required_text("to");
        body.check(to.as_deref() == Some("y"), "to", "must be y");
        body.add("reason", "is required when rejecting");
        assert_eq!(faults(body).len(), 2);
    }

    #[test]
    fn only_objects_are_read() {
        assert_eq!(BodyFields::from_value(json!("text")).unwrap_err().status(), 400);
        assert_eq!(BodyFields::from_value(Value::Null).unwrap_err().status(), 400);
    }
}
