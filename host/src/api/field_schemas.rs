//! Schemas of the text fields whose checks trim blanks at either end:
//! the patterns say exactly what the checks accept, so a client (or
//! Schemathesis) reading the document knows which strings pass. "Blank" is
//! what Rust's `str::trim` removes (Unicode `White_Space`), spelled out
//! rather than `\s`, whose meaning differs between regex engines.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

/// One blank (Unicode `White_Space`).
macro_rules! blank {
    () => {
        r"[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    };
}
/// One character that is not blank.
macro_rules! not_blank {
    () => {
        r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    };
}

/// `auth::fields::username`: 3–64 letters, digits and `. _ @ + -`.
const USERNAME: &str = concat!("^", blank!(), "*[A-Za-z0-9._@+-]{3,64}", blank!(), "*$");
/// `auth::fields::display_name`: 1–64 characters, none a control character.
const DISPLAY_NAME: &str = concat!(
    "^",
    blank!(),
    r"*[^\x00-\x1f\x7f-\x9f \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]",
    r"(?:[^\x00-\x1f\x7f-\x9f]{0,62}[^\x00-\x1f\x7f-\x9f \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?",
    blank!(),
    "*$"
);
/// A reason: 1–1000 characters.
const REASON: &str = concat!("^", blank!(), "*", not_blank!(), r"(?:[\s\S]{0,998}", not_blank!(), ")?", blank!(), "*$");
/// Some character that is not blank, anywhere.
const SOMETHING: &str = not_blank!();

fn text(pattern: &str, description: &str) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).pattern(Some(pattern)).description(Some(description))
}

pub fn username() -> impl Into<RefOr<Schema>> {
    text(
        USERNAME,
        "3–64 characters: letters, digits and `. _ @ + -` (a phone number or e-mail works); blanks at either end are dropped.",
    )
}

pub fn display_name() -> impl Into<RefOr<Schema>> {
    text(DISPLAY_NAME, "The name to show: 1–64 printable characters; blanks at either end are dropped.")
}

pub fn reason() -> impl Into<RefOr<Schema>> {
    text(REASON, "1–1000 characters; blanks at either end are dropped.")
}

/// A unit's name in one language: at most 80 characters, not all blank.
pub fn unit_name() -> impl Into<RefOr<Schema>> {
    text(SOMETHING, "1–80 characters, not all blank.").min_length(Some(1)).max_length(Some(80))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The patterns must be what the checks are: every sample agrees.
    #[test]
    fn the_patterns_accept_what_the_checks_accept() {
        let samples = [
            "",
            "ab",
            "abc",
            " abc ",
            "\u{3000}abc\t",
            "a b c",
            "ab\u{1c}",
            "\u{1c}abc",
            "Ayse@Example.org",
            "semi;colon",
            "阿依古丽",
            " 阿依古丽 ",
            "bell\u{7}",
            "   ",
            "a\u{85}",
            &"x".repeat(64),
            &"x".repeat(65),
            &format!(" {} ", "y".repeat(64)),
        ];
        let username = regex::Regex::new(USERNAME).unwrap();
        let display_name = regex::Regex::new(DISPLAY_NAME).unwrap();
        for sample in samples {
            let expected = crate::auth::fields::username(sample).is_ok();
            assert_eq!(username.is_match(sample), expected, "username {sample:?}");
            let expected = crate::auth::fields::display_name(sample).is_ok();
            assert_eq!(display_name.is_match(sample), expected, "display name {sample:?}");
        }
        let reason = regex::Regex::new(REASON).unwrap();
        for (sample, expected) in [("", false), ("  ", false), ("ok", true), (" ok\n", true), ("a\nb", true)] {
            assert_eq!(reason.is_match(sample), expected, "reason {sample:?}");
        }
        assert!(reason.is_match(&"r".repeat(1000)));
        assert!(!reason.is_match(&"r".repeat(1001)));
    }
}
