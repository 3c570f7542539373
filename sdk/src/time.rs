//! Dates and times in the city's time zone, without a calendar crate.
//!
//! The city keeps UTC+8 all year (no daylight saving), so "today", a
//! form's dates and office hours are all in UTC+8: use [`today`] (or
//! [`Date::today`], the same) for the local date and
//! [`now_local_rfc3339`] for a local wall-clock time. Timestamps that are
//! only stored and compared (`submitted_at`, `updated_at`) stay in UTC with
//! [`now_rfc3339`]. The clock is the WASI wall clock the host gives every
//! plugin.
//!
//! Parsing is strict: [`Date::parse`] takes exactly `YYYY-MM-DD`, and
//! [`DateTime::parse`] an RFC 3339 date and time with an offset. The
//! calendar is the proleptic Gregorian one.

use std::time::{SystemTime, UNIX_EPOCH};

/// The city's offset from UTC, in seconds: UTC+8, all year.
pub const LOCAL_OFFSET_SECONDS: i32 = 8 * 3600;

/// A calendar date (proleptic Gregorian).
///
/// Dates compare in calendar order. Build one with [`Date::new`] or
/// [`Date::parse`] so that it is a real date; it prints as `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year, e.g. 2026.
    pub year: i32,
    /// Month, 1..=12.
    pub month: u32,
    /// Day of the month, 1..=31.
    pub day: u32,
}

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Weekday {
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
    /// Sunday.
    Sunday,
}

impl Weekday {
    /// True on Saturday and Sunday.
    pub fn is_weekend(self) -> bool {
        matches!(self, Weekday::Saturday | Weekday::Sunday)
    }
}

/// The earliest and latest dates [`Date::add_days`] reaches.
const MIN_DAYS: i64 = -4_371_587; // -9999-01-01
const MAX_DAYS: i64 = 2_932_896; // 9999-12-31

impl Date {
    /// The date `year-month-day`, or `None` when there is no such day
    /// (`Date::new(2026, 2, 30)` is `None`).
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        let valid = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
        valid.then_some(Date { year, month, day })
    }

    /// Parses exactly `YYYY-MM-DD` (ASCII digits only, zero-padded) and
    /// accepts only real dates: `2024-02-29` is a date, `2023-02-29`,
    /// `2026-1-05`, `2026-+1-+5` and ` 2026-01-05` are not.
    pub fn parse(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        Date::new(digits(&bytes[0..4])? as i32, digits(&bytes[5..7])?, digits(&bytes[8..10])?)
    }

    /// Today in the city (UTC+8), the same as [`today`].
    ///
    /// Before version 0.2 of the SDK this was the UTC date, which is still
    /// yesterday until 08:00 in the city.
    pub fn today() -> Date {
        today()
    }

    /// The date `days` days later (earlier when negative). Saturates at
    /// `-9999-01-01` and `9999-12-31`, so no input can make it panic.
    pub fn add_days(self, days: i64) -> Date {
        civil_from_days(self.days_since_epoch().saturating_add(days).clamp(MIN_DAYS, MAX_DAYS))
    }

    /// How many days from `self` to `other`: positive when `other` is
    /// later, `0` for the same date, negative when it is earlier.
    pub fn days_until(self, other: Date) -> i64 {
        other.days_since_epoch() - self.days_since_epoch()
    }

    /// The day of the week.
    pub fn weekday(self) -> Weekday {
        // 1970-01-01 was a Thursday, index 3 counting from Monday.
        match (self.days_since_epoch() + 3).rem_euclid(7) {
            0 => Weekday::Monday,
            1 => Weekday::Tuesday,
            2 => Weekday::Wednesday,
            3 => Weekday::Thursday,
            4 => Weekday::Friday,
            5 => Weekday::Saturday,
            _ => Weekday::Sunday,
        }
    }

    /// Days since 1970-01-01: Howard Hinnant's `days_from_civil`
    /// (<https://howardhinnant.github.io/date_algorithms.html>).
    fn days_since_epoch(self) -> i64 {
        let year = i64::from(self.year) - i64::from(self.month <= 2);
        let era = year.div_euclid(400);
        let yoe = year.rem_euclid(400);
        let month = i64::from(self.month);
        let doy = (153 * if month > 2 { month - 3 } else { month + 9 } + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A date and time with its offset from UTC, as RFC 3339 writes it
/// (`2026-03-01T09:30:00+08:00`, `2026-03-01T01:30:00.5Z`).
///
/// The fields are what was written; `==` compares them as written, so
/// compare instants with [`DateTime::unix_seconds`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateTime {
    /// The date at the written offset.
    pub date: Date,
    /// Hour, 0..=23.
    pub hour: u32,
    /// Minute, 0..=59.
    pub minute: u32,
    /// Second, 0..=59.
    pub second: u32,
    /// Fraction of the second in nanoseconds, 0..=999_999_999.
    pub nanosecond: u32,
    /// The offset from UTC in seconds, e.g. `28_800` for `+08:00`, `0` for `Z`.
    pub offset_seconds: i32,
}

impl DateTime {
    /// Parses an RFC 3339 date-time, strictly:
    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`, digits zero-padded,
    /// a real date, hour ≤ 23, minute and second ≤ 59 (no leap second),
    /// `T`/`Z` in either case. A missing offset, a space for `T` or
    /// surrounding whitespace are refused. Fraction digits past the ninth
    /// are dropped.
    pub fn parse(text: &str) -> Option<DateTime> {
        let bytes = text.as_bytes();
        if bytes.len() < 20 || !matches!(bytes[10], b'T' | b't') {
            return None;
        }
        let date = Date::parse(text.get(..10)?)?;
        let (time, rest) = bytes[11..].split_at(8);
        if time[2] != b':' || time[5] != b':' {
            return None;
        }
        let (hour, minute, second) = (digits(&time[0..2])?, digits(&time[3..5])?, digits(&time[6..8])?);
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        let (nanosecond, offset) = match rest.strip_prefix(b".") {
            Some(fraction) => {
                let count = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
                if count == 0 {
                    return None;
                }
                let nanos = fraction[..count.min(9)].iter().fold(0, |n, b| n * 10 + u32::from(b - b'0'));
                (nanos * 10u32.pow(9 - count.min(9) as u32), &fraction[count..])
            }
            None => (0, rest),
        };
        let offset_seconds = match offset {
            [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let (hours, minutes) = (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?);
                if hours > 23 || minutes > 59 {
                    return None;
                }
                let seconds = (hours * 3600 + minutes * 60) as i32;
                if *sign == b'-' { -seconds } else { seconds }
            }
            _ => return None,
        };
        Some(DateTime { date, hour, minute, second, nanosecond, offset_seconds })
    }

    /// The instant as seconds since 1970-01-01T00:00:00Z (the fraction
    /// dropped), for comparing date-times written at different offsets.
    pub fn unix_seconds(&self) -> i64 {
        let local =
            self.date.days_since_epoch() * 86_400 + i64::from(self.hour * 3600 + self.minute * 60 + self.second);
        local - i64::from(self.offset_seconds)
    }

    /// The city's date (UTC+8) at this instant: `2026-03-01T20:00:00Z` is
    /// on 2026-03-02 in the city.
    pub fn local_date(&self) -> Date {
        civil_from_days((self.unix_seconds() + i64::from(LOCAL_OFFSET_SECONDS)).div_euclid(86_400))
    }
}

impl std::fmt::Display for DateTime {
    /// RFC 3339, with the fraction only when there is one and `Z` for UTC.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}T{:02}:{:02}:{:02}", self.date, self.hour, self.minute, self.second)?;
        if self.nanosecond != 0 {
            let fraction = format!("{:09}", self.nanosecond);
            write!(f, ".{}", fraction.trim_end_matches('0'))?;
        }
        match self.offset_seconds {
            0 => f.write_str("Z"),
            offset => {
                let sign = if offset < 0 { '-' } else { '+' };
                let minutes = offset.unsigned_abs() / 60;
                write!(f, "{sign}{:02}:{:02}", minutes / 60, minutes % 60)
            }
        }
    }
}

/// Today in the city (UTC+8). Use this for anything a resident calls a
/// date: "not in the future", "at least 3 days from now", due dates.
pub fn today() -> Date {
    local_at(unix_seconds()).date
}

/// The current UTC time as RFC 3339 with seconds, e.g. `2026-11-26T15:39:05Z`:
/// the timestamp to store (it sorts as text and is unambiguous).
pub fn now_rfc3339() -> String {
    at_offset(unix_seconds(), 0).to_string()
}

/// The current time in the city as RFC 3339 with seconds and `+08:00`,
/// e.g. `2026-11-26T23:39:05+08:00`: for what a person reads.
pub fn now_local_rfc3339() -> String {
    local_at(unix_seconds()).to_string()
}

fn local_at(unix_seconds: i64) -> DateTime {
    at_offset(unix_seconds, LOCAL_OFFSET_SECONDS)
}

fn at_offset(unix_seconds: i64, offset_seconds: i32) -> DateTime {
    let seconds = unix_seconds + i64::from(offset_seconds);
    let of_day = seconds.rem_euclid(86_400) as u32;
    DateTime {
        date: civil_from_days(seconds.div_euclid(86_400)),
        hour: of_day / 3600,
        minute: of_day % 3600 / 60,
        second: of_day % 60,
        nanosecond: 0,
        offset_seconds,
    }
}

fn unix_seconds() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// The number written by ASCII digits only (no sign, no space), or `None`.
fn digits(bytes: &[u8]) -> Option<u32> {
    let all_digits = !bytes.is_empty() && bytes.len() <= 9 && bytes.iter().all(u8::is_ascii_digit);
    all_digits.then(|| bytes.iter().fold(0, |n, b| n * 10 + u32::from(b - b'0')))
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 to a date: Howard Hinnant's `civil_from_days`
/// (<https://howardhinnant.github.io/date_algorithms.html>).
fn civil_from_days(days: i64) -> Date {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    Date { year, month, day }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    #[test]
    fn parses_real_dates_only() {
        assert_eq!(Date::parse("2024-02-29"), Some(Date { year: 2024, month: 2, day: 29 }));
        assert_eq!(Date::parse("2000-02-29"), Some(Date { year: 2000, month: 2, day: 29 }));
        assert_eq!(Date::parse("1900-02-29"), None);
        assert_eq!(Date::parse("2023-02-29"), None);
        assert_eq!(Date::parse("2026-13-01"), None);
        assert_eq!(Date::parse("2026-04-31"), None);
        assert_eq!(Date::parse("2026-1-01"), None);
        assert_eq!(Date::parse("2026-01-00"), None);
    }

    #[test]
    fn parses_digits_only_and_nothing_around() {
        for text in ["2026-+1-+5", "+026-01-05", "2026-01-+5", "2026-01- 5", " 2026-01-05", "2026-01-05 ", "2026/01/05"]
        {
            assert_eq!(Date::parse(text), None, "{text:?}");
        }
        assert_eq!(Date::parse("２026-01-05"), None, "full-width digits");
        assert_eq!(Date::parse("20260105"), None);
    }

    #[test]
    fn new_refuses_impossible_dates() {
        assert_eq!(Date::new(2026, 2, 28).map(|d| d.to_string()).as_deref(), Some("2026-02-28"));
        assert_eq!(Date::new(2026, 2, 29), None);
        assert_eq!(Date::new(2026, 0, 1), None);
    }

    #[test]
    fn converts_days_to_civil_dates_and_back() {
        assert_eq!(civil_from_days(0).to_string(), "1970-01-01");
        assert_eq!(civil_from_days(20_418).to_string(), "2025-11-26");
        assert_eq!(civil_from_days(-1).to_string(), "1969-12-31");
        for days in [-800_000, -1, 0, 1, 11_016, 20_418, 2_932_896] {
            assert_eq!(civil_from_days(days).days_since_epoch(), days);
        }
        assert_eq!(civil_from_days(MIN_DAYS), Date { year: -9999, month: 1, day: 1 });
        assert_eq!(civil_from_days(MAX_DAYS), Date { year: 9999, month: 12, day: 31 });
    }

    #[test]
    fn adds_days_across_months_years_and_leap_days() {
        assert_eq!(date("2024-02-28").add_days(1), date("2024-02-29"));
        assert_eq!(date("2023-02-28").add_days(1), date("2023-03-01"));
        assert_eq!(date("2026-12-31").add_days(1), date("2027-01-01"));
        assert_eq!(date("2026-03-01").add_days(-1), date("2026-02-28"));
        assert_eq!(date("2026-11-26").add_days(0), date("2026-11-26"));
        assert_eq!(date("2026-11-26").add_days(i64::MAX), Date { year: 9999, month: 12, day: 31 });
        assert_eq!(date("2026-11-26").add_days(i64::MIN), Date { year: -9999, month: 1, day: 1 });
    }

    #[test]
    fn counts_days_between_dates() {
        assert_eq!(date("2026-11-26").days_until(date("2026-12-01")), 5);
        assert_eq!(date("2026-12-01").days_until(date("2026-11-26")), -5);
        assert_eq!(date("2024-01-01").days_until(date("2025-01-01")), 366);
        assert_eq!(date("2026-01-01").days_until(date("2026-01-01")), 0);
    }

    #[test]
    fn knows_the_day_of_the_week() {
        assert_eq!(date("1970-01-01").weekday(), Weekday::Thursday);
        assert_eq!(date("2026-11-26").weekday(), Weekday::Thursday);
        assert_eq!(date("2026-11-28").weekday(), Weekday::Saturday);
        assert_eq!(date("2026-11-30").weekday(), Weekday::Monday);
        assert_eq!(date("1969-12-28").weekday(), Weekday::Sunday);
        assert!(date("2026-11-29").weekday().is_weekend());
        assert!(!date("2026-11-27").weekday().is_weekend());
    }

    #[test]
    fn the_local_date_turns_at_midnight_in_the_city_not_in_utc() {
        // 2026-11-25T16:00:00Z is midnight of the 26th in the city.
        let midnight = date("2026-11-26").days_since_epoch() * 86_400 - 8 * 3600;
        assert_eq!(local_at(midnight - 1).date, date("2026-11-25"));
        assert_eq!(local_at(midnight).date, date("2026-11-26"));
        assert_eq!(at_offset(midnight, 0).date, date("2026-11-25"), "still the 25th in UTC");
        assert_eq!(local_at(midnight).to_string(), "2026-11-26T00:00:00+08:00");
        assert_eq!(at_offset(midnight, 0).to_string(), "2026-11-25T16:00:00Z");
    }

    #[test]
    fn now_is_written_in_utc_and_in_the_city() {
        let utc = DateTime::parse(&now_rfc3339()).unwrap();
        let local = DateTime::parse(&now_local_rfc3339()).unwrap();
        assert_eq!((utc.offset_seconds, local.offset_seconds), (0, 28_800));
        assert!(now_rfc3339().ends_with('Z') && now_local_rfc3339().ends_with("+08:00"));
        assert!((local.unix_seconds() - utc.unix_seconds()).abs() <= 1);
        assert_eq!(local.date, today());
        assert_eq!(Date::today(), today());
    }

    #[test]
    fn parses_rfc3339_date_times() {
        let parsed = DateTime::parse("2026-03-01T09:30:15+08:00").unwrap();
        assert_eq!((parsed.date, parsed.hour, parsed.minute, parsed.second), (date("2026-03-01"), 9, 30, 15));
        assert_eq!(parsed.offset_seconds, 28_800);
        assert_eq!(parsed.unix_seconds(), DateTime::parse("2026-03-01T01:30:15Z").unwrap().unix_seconds());
        let fraction = DateTime::parse("2026-03-01t01:30:15.25z").unwrap();
        assert_eq!(fraction.nanosecond, 250_000_000);
        assert_eq!(fraction.to_string(), "2026-03-01T01:30:15.25Z");
        assert_eq!(DateTime::parse("2026-03-01T01:30:15.1234567891Z").unwrap().nanosecond, 123_456_789);
        let west = DateTime::parse("2026-03-01T23:00:00-05:30").unwrap();
        assert_eq!(west.offset_seconds, -19_800);
        assert_eq!(west.to_string(), "2026-03-01T23:00:00-05:30");
        assert_eq!(west.local_date(), date("2026-03-02"));
        assert_eq!(parsed.local_date(), date("2026-03-01"));
    }

    #[test]
    fn refuses_loose_date_times() {
        for text in [
            "2026-03-01T09:30:00",
            "2026-03-01 09:30:00+08:00",
            "2026-03-01T9:30:00+08:00",
            "2026-03-01T24:00:00Z",
            "2026-03-01T09:60:00Z",
            "2026-03-01T09:30:60Z",
            "2026-03-01T09:30:00.Z",
            "2026-03-01T09:30:00+0800",
            "2026-03-01T09:30:00+08",
            "2026-03-01T09:30:00+24:00",
            "2026-03-01T09:30:00Z ",
            "2026-02-30T09:30:00Z",
            "2026-03-01T+9:30:00Z",
            "2026-03-01T09:30:00+08:00x",
            "2026-03-01",
            "",
        ] {
            assert_eq!(DateTime::parse(text), None, "{text:?}");
        }
    }
}
