//! The caller's language (Chinese, Uyghur or English) and texts in all three.
//!
//! ```
//! use onewindow_sdk::{Language, Localized};
//!
//! const SUBMITTED: Localized<&str> = Localized { zh: "已提交", ug: "يوللاندى", en: "Submitted" };
//! let language = Language::from_accept_language("ug-CN, zh;q=0.8");
//! assert_eq!(*SUBMITTED.pick(language), "يوللاندى");
//! assert_eq!(language.direction(), "rtl");
//! ```

/// A language the platform answers in; Chinese is the default.
///
/// ```
/// use onewindow_sdk::Language;
///
/// assert_eq!(Language::default(), Language::Zh);
/// assert_eq!(Language::En.tag(), "en");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Language {
    /// Chinese (`zh`).
    #[default]
    Zh,
    /// Uyghur (`ug`), written right to left.
    Ug,
    /// English (`en`).
    En,
}

impl Language {
    /// The best language for an `Accept-Language` header value: the
    /// highest-weighted range whose primary subtag is `zh`, `ug` or `en`
    /// (the first on a tie; `q=0` means "not this one"), Chinese when none.
    ///
    /// ```
    /// use onewindow_sdk::Language;
    ///
    /// assert_eq!(Language::from_accept_language("fr, en;q=0.7, zh-CN;q=0.3"), Language::En);
    /// assert_eq!(Language::from_accept_language(""), Language::Zh);
    /// ```
    pub fn from_accept_language(header: &str) -> Language {
        let mut best: Option<(f32, Language)> = None;
        for range in header.split(',') {
            let mut parts = range.split(';');
            let tag = parts.next().unwrap_or_default().trim();
            let primary = tag.split('-').next().unwrap_or_default();
            let language = if primary.eq_ignore_ascii_case("zh") {
                Language::Zh
            } else if primary.eq_ignore_ascii_case("ug") {
                Language::Ug
            } else if primary.eq_ignore_ascii_case("en") {
                Language::En
            } else {
                continue;
            };
            let weight = parts
                .find_map(|p| {
                    let p = p.trim();
                    p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")).map(|q| q.trim().parse::<f32>().ok())
                })
                .unwrap_or(Some(1.0));
            let Some(weight) = weight.filter(|w| w.is_finite()) else { continue };
            if weight > 0.0 && best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, language));
            }
        }
        best.map(|(_, language)| language).unwrap_or_default()
    }

    /// The language tag, for a `content-language` header or a `lang` attribute.
    ///
    /// ```
    /// assert_eq!(onewindow_sdk::Language::Ug.tag(), "ug");
    /// ```
    pub fn tag(self) -> &'static str {
        match self {
            Language::Zh => "zh",
            Language::Ug => "ug",
            Language::En => "en",
        }
    }

    /// The writing direction, for a `dir` attribute: `"rtl"` for Uyghur,
    /// `"ltr"` otherwise.
    ///
    /// ```
    /// use onewindow_sdk::Language;
    ///
    /// assert_eq!(Language::Ug.direction(), "rtl");
    /// assert_eq!(Language::Zh.direction(), "ltr");
    /// ```
    pub fn direction(self) -> &'static str {
        if self == Language::Ug { "rtl" } else { "ltr" }
    }
}

/// One text (or any value) in each language.
///
/// ```
/// use onewindow_sdk::{Language, Localized};
///
/// let title = Localized { zh: "居住证".to_owned(), ug: "تۇرالغۇ گۇۋاھنامىسى".to_owned(), en: "Residence permit".to_owned() };
/// assert_eq!(title.pick(Language::En), "Residence permit");
/// assert_eq!(serde_json::to_value(&title).unwrap()["en"], "Residence permit");
/// ```
///
/// It serialises as `{"zh": …, "ug": …, "en": …}` (and, with the `schema`
/// feature, has that JSON Schema), so an answer can carry all three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(description = "The same text in Chinese (zh), Uyghur (ug) and English (en)."))]
pub struct Localized<T> {
    /// Chinese.
    pub zh: T,
    /// Uyghur.
    pub ug: T,
    /// English.
    pub en: T,
}

impl<T> Localized<T> {
    /// The value for `language`.
    ///
    /// ```
    /// use onewindow_sdk::{Language, Localized};
    ///
    /// let yes = Localized { zh: "是", ug: "ھەئە", en: "yes" };
    /// assert_eq!(*yes.pick(Language::Zh), "是");
    /// ```
    pub fn pick(&self, language: Language) -> &T {
        match language {
            Language::Zh => &self.zh,
            Language::Ug => &self.ug,
            Language::En => &self.en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_weight_wins_and_the_first_on_a_tie() {
        assert_eq!(Language::from_accept_language("en;q=0.4, ug;q=0.9, zh;q=0.5"), Language::Ug);
        assert_eq!(Language::from_accept_language("en, ug"), Language::En);
        assert_eq!(Language::from_accept_language("EN-us;Q=0.8, zh-Hans-CN;q=0.2"), Language::En);
        assert_eq!(Language::from_accept_language("ug-Arab-CN"), Language::Ug);
    }

    #[test]
    fn unknown_refused_or_malformed_ranges_fall_back_to_chinese() {
        assert_eq!(Language::from_accept_language(""), Language::Zh);
        assert_eq!(Language::from_accept_language("fr, de;q=0.9, *"), Language::Zh);
        assert_eq!(Language::from_accept_language("en;q=0"), Language::Zh);
        assert_eq!(Language::from_accept_language("en;q=abc, ug;q=0.1"), Language::Ug);
        assert_eq!(Language::from_accept_language("english"), Language::Zh);
    }

    #[test]
    fn uyghur_is_right_to_left_and_pick_follows_the_language() {
        let texts = Localized { zh: 1, ug: 2, en: 3 };
        let picked: Vec<_> =
            [Language::Zh, Language::Ug, Language::En].map(|l| (*texts.pick(l), l.tag(), l.direction())).into();
        assert_eq!(picked, [(1, "zh", "ltr"), (2, "ug", "rtl"), (3, "en", "ltr")]);
    }
}
