//! Checks for account fields, shared by the API and the CLI.

/// A username, trimmed and lower-cased (so `Ayse` and `ayse` cannot be two
/// people): 3–64 characters of letters, digits and `. _ @ + -`.
pub fn username(raw: &str) -> Result<String, String> {
    let username = raw.trim();
    let ok_chars = username.chars().all(|c| c.is_ascii_alphanumeric() || ".-_@+".contains(c));
    if !(3..=64).contains(&username.len()) || !ok_chars {
        return Err("must be 3 to 64 characters: letters, digits and . _ @ + -".into());
    }
    Ok(username.to_ascii_lowercase())
}

/// A display name, trimmed: 1–64 printable characters.
pub fn display_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if !(1..=64).contains(&name.chars().count()) || name.chars().any(char::is_control) {
        return Err("must be 1 to 64 printable characters".into());
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn usernames_and_display_names() {
        assert_eq!(super::username("  Ayse@Example.org ").unwrap(), "ayse@example.org");
        assert!(super::username("ab").is_err());
        assert!(super::username("semi;colon").is_err());
        assert_eq!(super::display_name(" 阿依古丽 ").unwrap(), "阿依古丽");
        assert!(super::display_name("bell\u{7}").is_err());
        assert!(super::display_name("   ").is_err());
    }
}
