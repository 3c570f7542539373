//! Checks for the fields residents type into forms: phone numbers, resident
//! ID numbers, dates and choices.
//!
//! Each function takes the text as typed, ignores surrounding whitespace,
//! and answers the value in one normal form, or `None` when the text is
//! not acceptable. To report problems to the client, use the
//! [`FieldErrors`](crate::FieldErrors) helpers built on these
//! ([`FieldErrors::phone`](crate::FieldErrors::phone) and the like).
//!
//! ```
//! use onewindow_sdk::validate;
//!
//! assert_eq!(validate::mobile("+86 138-0013-8000").as_deref(), Some("13800138000"));
//! assert_eq!(validate::landline("0991 4567890").as_deref(), Some("0991-4567890"));
//! assert_eq!(validate::id_number("11010519491231002x").as_deref(), Some("11010519491231002X"));
//! assert_eq!(validate::one_of("study", &["work", "study"]), Some("study"));
//! ```

use crate::time::{self, Date, DateTime};

/// A mainland mobile number: 11 digits starting `13` to `19`, optionally
/// after `+86`, with single spaces or hyphens anywhere between digits
/// (`138 0013 8000`, `+86-138-0013-8000`). Answers the 11 digits.
pub fn mobile(text: &str) -> Option<String> {
    let text = text.trim();
    let national = match text.strip_prefix("+86") {
        Some(rest) => rest.strip_prefix([' ', '-']).unwrap_or(rest),
        None => text,
    };
    let number = digits_with_separators(national)?;
    let bytes = number.as_bytes();
    (bytes.len() == 11 && bytes[0] == b'1' && (b'3'..=b'9').contains(&bytes[1])).then_some(number)
}

/// A mainland landline number with its area code: `0` and a 2-digit
/// (`010`, `02x`) or 3-digit area code (`0991`), then a 7- or 8-digit local
/// number starting 2 to 9, optionally after a hyphen or a space, then
/// optionally an extension of 1 to 6 digits after `-`, `#`, `ext`, `x` or
/// `转`. Answers `0991-1234567` or `010-62345678-123`.
pub fn landline(text: &str) -> Option<String> {
    let groups = digit_groups(text.trim())?;
    let (first, rest) = groups.split_first()?;
    let area_len = match first.digits.as_bytes() {
        [b'0', b'1', b'0', ..] | [b'0', b'2', _, ..] => 3,
        [b'0', b'3'..=b'9', _, _, ..] => 4,
        _ => return None,
    };
    let plain = |g: &Group| g.separator == Separator::Plain;
    // The area code is written on its own or run into the local number.
    let (local, rest) = match rest {
        [next, rest @ ..] if first.digits.len() == area_len && plain(next) => (next.digits.as_str(), rest),
        _ if first.digits.len() > area_len => (&first.digits[area_len..], rest),
        _ => return None,
    };
    let extension = match rest {
        [] => None,
        [extension] if (1..=6).contains(&extension.digits.len()) => Some(extension.digits.as_str()),
        _ => return None,
    };
    let local_ok = (7..=8).contains(&local.len()) && !local.starts_with(['0', '1']);
    local_ok.then(|| match extension {
        Some(extension) => format!("{}-{local}-{extension}", &first.digits[..area_len]),
        None => format!("{}-{local}", &first.digits[..area_len]),
    })
}

/// A mainland mobile ([`mobile`]) or landline ([`landline`]) number,
/// answered in that function's normal form.
pub fn phone(text: &str) -> Option<String> {
    mobile(text).or_else(|| landline(text))
}

/// A resident ID number (GB 11643-1999): 17 digits, the 8 from the seventh
/// being the holder's birth date `YYYYMMDD` (a real date, not after today
/// in the city), then a check character, `0`–`9` or `X` (`x` accepted), by
/// ISO 7064 MOD 11-2. Answers the number with an upper-case `X`.
pub fn id_number(text: &str) -> Option<String> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let number = text.trim().to_ascii_uppercase();
    let bytes = number.as_bytes();
    if bytes.len() != 18 || !bytes[..17].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = bytes[..17].iter().zip(WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
    if CHECK[(sum % 11) as usize] != bytes[17] {
        return None;
    }
    let field = |range: std::ops::Range<usize>| number[range].parse::<u32>().ok();
    let birth = Date::new(field(6..10)? as i32, field(10..12)?, field(12..14)?)?;
    (birth <= time::today()).then_some(number)
}

/// A date written `YYYY-MM-DD` ([`Date::parse`], strict).
pub fn date(text: &str) -> Option<Date> {
    Date::parse(text.trim())
}

/// A date and time in RFC 3339 with an offset ([`DateTime::parse`], strict),
/// e.g. `2026-03-01T09:30:00+08:00`.
pub fn date_time(text: &str) -> Option<DateTime> {
    DateTime::parse(text.trim())
}

/// The option `text` names, exactly (case matters), from `options`.
pub fn one_of<'a>(text: &str, options: &[&'a str]) -> Option<&'a str> {
    let text = text.trim();
    options.iter().copied().find(|option| *option == text)
}

/// The digits of `text` when it is digits with single spaces or hyphens
/// between them (none first or last, no two in a row).
fn digits_with_separators(text: &str) -> Option<String> {
    let mut digits = String::with_capacity(text.len());
    let mut after_separator = true;
    for c in text.chars() {
        match c {
            '0'..='9' => {
                digits.push(c);
                after_separator = false;
            }
            ' ' | '-' if !after_separator => after_separator = true,
            _ => return None,
        }
    }
    (!after_separator).then_some(digits)
}

#[derive(Debug, PartialEq, Eq)]
enum Separator {
    /// Nothing before the first group.
    Start,
    /// A hyphen or a space.
    Plain,
    /// Only before an extension: `#`, `ext`, `x`, `转`.
    Extension,
}

/// A run of digits and what came before it.
#[derive(Debug)]
struct Group {
    separator: Separator,
    digits: String,
}

/// Splits `text` into runs of digits; between two runs, one separator
/// (a hyphen or a space, or an extension mark with optional spaces around).
fn digit_groups(text: &str) -> Option<Vec<Group>> {
    let mut groups: Vec<Group> = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let between = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let mark = &rest[..between];
        let separator = match (groups.is_empty(), mark.trim().to_ascii_lowercase().as_str()) {
            (true, _) if mark.is_empty() => Separator::Start,
            (false, "-") if mark.len() == 1 => Separator::Plain,
            (false, "") if mark == " " => Separator::Plain,
            (false, "#" | "ext" | "ext." | "x" | "转") => Separator::Extension,
            _ => return None,
        };
        rest = &rest[between..];
        let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if end == 0 {
            return None;
        }
        groups.push(Group { separator, digits: rest[..end].to_owned() });
        rest = &rest[end..];
    }
    Some(groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_numbers_are_normalised_to_eleven_digits() {
        for text in [
            "13800138000",
            " 138 0013 8000 ",
            "138-0013-8000",
            "+8613800138000",
            "+86 138 0013 8000",
            "+86-138-0013-8000",
        ] {
            assert_eq!(mobile(text).as_deref(), Some("13800138000"), "{text:?}");
        }
        assert_eq!(mobile("19912345678").as_deref(), Some("19912345678"));
    }

    #[test]
    fn mobile_numbers_must_be_mainland_and_eleven_digits() {
        for text in [
            "12800138000",
            "23800138000",
            "1380013800",
            "138001380000",
            "+85213800138000",
            "8613800138000",
            "138  0013 8000",
            "138 -0013 8000",
            "-13800138000",
            "13800138000-",
            "138.0013.8000",
            "call me",
            "",
            "１３８００１３８０００",
        ] {
            assert_eq!(mobile(text), None, "{text:?}");
        }
    }

    #[test]
    fn landlines_need_an_area_code_and_may_have_an_extension() {
        assert_eq!(landline("010-62345678").as_deref(), Some("010-62345678"));
        assert_eq!(landline("01062345678").as_deref(), Some("010-62345678"));
        assert_eq!(landline("021 6123456").as_deref(), Some("021-6123456"));
        assert_eq!(landline("0991-4567890").as_deref(), Some("0991-4567890"));
        assert_eq!(landline("09914567890").as_deref(), Some("0991-4567890"));
        assert_eq!(landline("0991 45678901").as_deref(), Some("0991-45678901"));
        assert_eq!(landline("010-62345678-123").as_deref(), Some("010-62345678-123"));
        assert_eq!(landline("0991-4567890 ext 12").as_deref(), Some("0991-4567890-12"));
        assert_eq!(landline("0991-4567890#12").as_deref(), Some("0991-4567890-12"));
        assert_eq!(landline("09914567890转8").as_deref(), Some("0991-4567890-8"));
        for text in [
            "12345678",
            "010-6234567890",
            "010-123456",
            "011-12345678",
            "0001-2345678",
            "0991-1234567",
            "0991-0234567",
            "0991#4567890",
            "0991--4567890",
            "0991-4567890-1234567",
            "0991-4567890-12-3",
            "(0991) 4567890",
            "13800138000",
            "",
        ] {
            assert_eq!(landline(text), None, "{text:?}");
        }
    }

    #[test]
    fn phone_takes_mobiles_and_landlines() {
        assert_eq!(phone("138 0013 8000").as_deref(), Some("13800138000"));
        assert_eq!(phone("0991-4567890").as_deref(), Some("0991-4567890"));
        assert_eq!(phone("call me"), None);
        assert_eq!(phone("+44 20 7946 0958"), None);
    }

    /// The 17 digits followed by their check character.
    fn with_check(body: &str) -> String {
        const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        let sum: u32 = body.bytes().zip(WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
        format!("{body}{}", char::from(b"10X98765432"[(sum % 11) as usize]))
    }

    #[test]
    fn id_numbers_have_a_valid_check_character() {
        assert_eq!(with_check("11010519491231002"), "11010519491231002X", "the helper agrees with a known number");
        assert_eq!(id_number("11010519491231002X").as_deref(), Some("11010519491231002X"));
        assert_eq!(id_number(" 11010519491231002x ").as_deref(), Some("11010519491231002X"));
        let born_2000 = with_check("11010120000101123");
        assert_eq!(id_number(&born_2000), Some(born_2000.clone()));
        assert_eq!(id_number("110105194912310021"), None, "wrong check digit");
        assert_eq!(id_number("11010519491231002"), None, "17 characters");
        assert_eq!(id_number("11010519491231002X0"), None, "19 characters");
        assert_eq!(id_number("1101051949123100 X"), None);
        assert_eq!(id_number("+1010519491231002X"), None);
    }

    #[test]
    fn id_numbers_have_a_real_birth_date_not_after_today() {
        for body in ["11010120230229123", "11010120001301123", "11010120000100123", "11010120990101123"] {
            assert_eq!(id_number(&with_check(body)), None, "{body}");
        }
        let born = |date: Date| with_check(&format!("110101{:04}{:02}{:02}123", date.year, date.month, date.day));
        assert!(id_number(&born(time::today())).is_some(), "born today");
        assert!(id_number(&born(time::today().add_days(1))).is_none(), "born tomorrow");
        assert!(id_number(&with_check("11010120240229123")).is_some(), "a leap day");
    }

    #[test]
    fn dates_and_date_times_are_strict() {
        assert_eq!(date(" 2026-03-01 "), Date::parse("2026-03-01"));
        assert_eq!(date("2026-+3-01"), None);
        assert_eq!(date("2026-02-30"), None);
        assert_eq!(date_time("2026-03-01T09:30:00+08:00").map(|t| t.hour), Some(9));
        assert_eq!(date_time("2026-03-01T09:30:00"), None);
        assert_eq!(date_time("2026-03-01"), None);
    }

    #[test]
    fn one_of_answers_the_option_named() {
        let reasons = ["work", "study", "family", "other"];
        assert_eq!(one_of("study", &reasons), Some("study"));
        assert_eq!(one_of(" other ", &reasons), Some("other"));
        assert_eq!(one_of("Work", &reasons), None);
        assert_eq!(one_of("tourism", &reasons), None);
        assert_eq!(one_of("", &reasons), None);
    }
}
