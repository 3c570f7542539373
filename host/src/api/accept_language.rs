//! Picks one of the platform's languages from `Accept-Language`.

/// A language the platform has text in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Zh,
    Ug,
    En,
}

impl Language {
    /// The language tag.
    pub fn tag(self) -> &'static str {
        match self {
            Language::Zh => "zh",
            Language::Ug => "ug",
            Language::En => "en",
        }
    }

    /// Uyghur is written right to left.
    pub fn direction(self) -> &'static str {
        if self == Language::Ug { "rtl" } else { "ltr" }
    }
}

/// The best language for an `Accept-Language` header: the highest-weighted
/// range whose primary subtag we have; Chinese when nothing matches.
pub fn negotiate(header: Option<&str>) -> Language {
    let mut best: Option<(f32, Language)> = None;
    for range in header.unwrap_or_default().split(',') {
        let mut parts = range.split(';');
        let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let weight = parts.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or_default();
        let language = match primary {
            "zh" => Language::Zh,
            "ug" => Language::Ug,
            "en" => Language::En,
            _ => continue,
        };
        if weight > 0.0 && best.is_none_or(|(w, _)| weight > w) {
            best = Some((weight, language));
        }
    }
    best.map_or(Language::Zh, |(_, language)| language)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn honours_weights_and_subtags() {
        assert_eq!(negotiate(None), Language::Zh);
        assert_eq!(negotiate(Some("en-US,en;q=0.9")), Language::En);
        assert_eq!(negotiate(Some("fr, ug-CN;q=0.8, en;q=0.5")), Language::Ug);
        assert_eq!(negotiate(Some("en;q=0, zh-Hans;q=0.3")), Language::Zh);
        assert_eq!(negotiate(Some("de")), Language::Zh);
    }
}
