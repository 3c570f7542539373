//! Texts in the platform's three languages, as the directory stores them and
//! admins edit them (the SDK's `Localized` is for texts compiled in; it has
//! no serde, so an edited text needs its own type).

use onewindow_sdk::{BodyFields, Language};
use serde::{Deserialize, Serialize};

/// One text in Chinese, Uyghur and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Texts {
    pub zh: String,
    pub ug: String,
    pub en: String,
}

impl Texts {
    /// The text for `language`.
    pub fn pick(&self, language: Language) -> &str {
        match language {
            Language::Zh => &self.zh,
            Language::Ug => &self.ug,
            Language::En => &self.en,
        }
    }

    /// Reads the required field `name` as `{"zh", "ug", "en"}`, each 1 to
    /// `max` characters once trimmed. Faults are recorded per language
    /// (`name.ug: is required`), so every one is reported with the others.
    pub fn read(body: &mut BodyFields, name: &str, max: usize) -> Option<Texts> {
        // Any JSON value reads as a `Value`: `None` means absent or null.
        let Some(value) = body.optional::<serde_json::Value>(name) else {
            body.add(name, "is required");
            return None;
        };
        let Some(object) = value.as_object() else {
            body.add(name, "must be an object with zh, ug and en texts");
            return None;
        };
        let mut unknown: Vec<&String> = object.keys().filter(|k| !["zh", "ug", "en"].contains(&k.as_str())).collect();
        unknown.sort();
        let mut text = |language: &str| -> Option<String> {
            let field = format!("{name}.{language}");
            match object.get(language).and_then(|v| v.as_str()).map(str::trim) {
                None | Some("") => body.add(&field, "is required"),
                Some(text) if text.chars().count() > max => {
                    body.add(&field, format!("must be at most {max} characters"))
                }
                Some(text) => return Some(text.to_owned()),
            }
            None
        };
        let (zh, ug, en) = (text("zh"), text("ug"), text("en"));
        for key in unknown {
            body.add(&format!("{name}.{key}"), "is not a known field");
        }
        Some(Texts { zh: zh?, ug: ug?, en: en? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn faults(value: serde_json::Value) -> Vec<(String, String)> {
        let mut body = BodyFields::from_value(value).unwrap();
        Texts::read(&mut body, "name", 10);
        match body.finish() {
            Ok(()) => Vec::new(),
            Err(e) => e.field_errors().iter().map(|f| (f.field.clone(), f.message.clone())).collect(),
        }
    }

    #[test]
    fn every_language_is_required_and_named() {
        assert_eq!(faults(json!({})), [("name".to_owned(), "is required".to_owned())]);
        let got = faults(json!({"name": {"zh": "燃气", "ug": " ", "fr": "gaz", "en": "x".repeat(11)}}));
        let fields: Vec<&str> = got.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["name.ug", "name.en", "name.fr"]);
        assert_eq!(faults(json!({"name": "gas"}))[0].1, "must be an object with zh, ug and en texts");
    }

    #[test]
    fn trims_and_picks() {
        let mut body = BodyFields::from_value(json!({"name": {"zh": " 燃气 ", "ug": "گاز", "en": "Gas"}})).unwrap();
        let texts = Texts::read(&mut body, "name", 10).unwrap();
        assert_eq!(texts.pick(Language::Zh), "燃气");
        assert_eq!(texts.pick(Language::En), "Gas");
    }
}
