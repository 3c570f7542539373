//! Timestamps are stored as fixed-width UTC RFC 3339 text with milliseconds
//! (`2026-11-26T15:39:05.123Z`): the same on both backends, and they compare
//! correctly as text.

use time::OffsetDateTime;
use time::macros::format_description;

/// Formats a time as stored.
pub fn format(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    let layout = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    at.format(layout).expect("a UTC time always formats")
}

/// Now, as stored.
pub fn now() -> String {
    format(OffsetDateTime::now_utc())
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    #[test]
    fn is_fixed_width_and_sortable() {
        let early = super::format(datetime!(2026-01-02 03:04:05.006 UTC));
        let late = super::format(datetime!(2026-01-02 03:04:05.1 UTC));
        assert_eq!(early, "2026-01-02T03:04:05.006Z");
        assert_eq!(late, "2026-01-02T03:04:05.100Z");
        assert!(early < late);
    }
}
