//! Times a number of hours ahead. The SDK's time module parses and prints
//! RFC 3339 and adds days to dates, but has no "now plus N hours"; this is
//! that, on top of its `DateTime`.

use onewindow_sdk::time::DateTime;

/// `hours` after `at` (RFC 3339), in UTC; `None` if `at` does not parse.
pub fn hours_after(at: &str, hours: i64) -> Option<String> {
    let at = DateTime::parse(at)?;
    let seconds = at.unix_seconds() + hours * 3600;
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let epoch = onewindow_sdk::time::Date::new(1970, 1, 1)?;
    let later = DateTime {
        date: epoch.add_days(days),
        hour: (second_of_day / 3600) as u32,
        minute: (second_of_day % 3600 / 60) as u32,
        second: (second_of_day % 60) as u32,
        nanosecond: 0,
        offset_seconds: 0,
    };
    Some(later.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_hours_across_days_and_offsets() {
        assert_eq!(hours_after("2026-11-26T15:39:05Z", 2).as_deref(), Some("2026-11-26T17:39:05Z"));
        assert_eq!(hours_after("2026-12-31T23:00:00Z", 24).as_deref(), Some("2027-01-01T23:00:00Z"));
        assert_eq!(hours_after("2026-03-01T09:30:00+08:00", 2).as_deref(), Some("2026-03-01T03:30:00Z"));
        assert_eq!(hours_after("yesterday", 2), None);
    }
}
