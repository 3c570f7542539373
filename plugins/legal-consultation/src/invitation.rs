//! Invitation codes for the other party of a mediation. The requester
//! never learns whether someone has an account: they pass a code on
//! (by hand, by message), and the other party, if they choose, signs in
//! and accepts it — only then do they see the case, here.

use std::hash::{BuildHasher, Hasher};

/// Letters and digits that cannot be mistaken for one another.
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const LENGTH: usize = 10;

/// A fresh code of 10 characters (31^10, about 8 × 10^14 codes). The keys of
/// std's `RandomState` come from the platform's random source (WASI
/// `random`), so the hash of the clock under them cannot be guessed.
pub fn new_code() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(nanos);
    let mut value = hasher.finish();
    let base = ALPHABET.len() as u64;
    (0..LENGTH)
        .map(|_| {
            let digit = (value % base) as usize;
            value /= base;
            ALPHABET[digit] as char
        })
        .collect()
}

/// The code as stored, from what a person typed: upper case, without
/// spaces or hyphens. `None` when it cannot be a code.
pub fn normalize(typed: &str) -> Option<String> {
    let code: String =
        typed.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect();
    (code.len() == LENGTH && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

/// The code as shown, in two groups of five (`ABCDE-23456`).
pub fn display(code: &str) -> String {
    match code.split_at_checked(LENGTH / 2) {
        Some((first, second)) => format!("{first}-{second}"),
        None => code.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_fresh_and_read_back_however_typed() {
        let (a, b) = (new_code(), new_code());
        assert_eq!(a.len(), LENGTH);
        assert_ne!(a, b);
        let shown = display(&a);
        assert_eq!(normalize(&shown.to_ascii_lowercase()).as_deref(), Some(a.as_str()));
        assert_eq!(normalize(" abcde 23456 ").as_deref(), Some("ABCDE23456"));
        assert_eq!(normalize("ABCDE-2345O"), None, "O is not in the alphabet");
        assert_eq!(normalize("short"), None);
    }
}
