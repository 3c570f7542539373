//! Reporting periods — a local day, an ISO week or a calendar quarter — in the city's time zone.
//!
//! The city keeps a fixed UTC+8 offset with no daylight saving, so a period is a half-open interval
//! `[start, end)` of UTC instants: an instant exactly at `end` belongs to the next period.

use serde::Serialize;
use time::{Date, Duration, Month, OffsetDateTime, Time, UtcOffset, macros::offset};

/// The city's fixed offset from UTC (UTC+8, no daylight saving).
pub const CITY_OFFSET: UtcOffset = offset!(+8);

/// Which calendar span a [`Period`] covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    /// One local calendar day, 00:00 to 00:00 UTC+8 (the "daily clear").
    Day,
    /// One ISO week, Monday 00:00 to the next Monday 00:00 UTC+8 (the "weekly summary").
    Week,
    /// One calendar quarter, 1 Jan/Apr/Jul/Oct 00:00 UTC+8 to the next quarter's start (the "quarterly review").
    Quarter,
}

impl PeriodKind {
    /// The name used in URLs and CSV: `day`, `week` or `quarter`.
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Day => "day",
            PeriodKind::Week => "week",
            PeriodKind::Quarter => "quarter",
        }
    }

    /// Parses `day`, `week` or `quarter` (exact, lower case); anything else is refused with a message naming it.
    pub fn parse(kind: &str) -> Result<PeriodKind, String> {
        match kind {
            "day" => Ok(PeriodKind::Day),
            "week" => Ok(PeriodKind::Week),
            "quarter" => Ok(PeriodKind::Quarter),
            other => Err(format!("unknown period kind {other:?}: expected \"day\", \"week\" or \"quarter\"")),
        }
    }
}

/// A reporting period: the UTC instants `start <= t < end` of one local day, ISO week or calendar quarter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Period {
    /// Day, week or quarter.
    pub kind: PeriodKind,
    /// First instant of the period (local midnight, expressed in UTC), inclusive.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub start: OffsetDateTime,
    /// First instant of the next period (in UTC), exclusive.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub end: OffsetDateTime,
    /// Human label: `2026-11-26` for a day, `2026-W48` for an ISO week (ISO week-numbering year), `2026-Q4`.
    pub label: String,
}

impl Period {
    /// Parses a period kind (`day|week|quarter`) and a local date `YYYY-MM-DD` into the period containing that date.
    ///
    /// The date must be exactly four-digit year, two-digit month and two-digit day separated by `-`, and a real
    /// calendar date; anything else is refused with a message saying what is wrong.
    pub fn parse(kind: &str, date: &str) -> Result<Period, String> {
        let kind = PeriodKind::parse(kind)?;
        Ok(Period::for_local_date(kind, parse_date(date)?))
    }

    /// The period of `kind` containing `instant` (by its local UTC+8 date) — the "current" period when given now.
    pub fn containing(kind: PeriodKind, instant: OffsetDateTime) -> Period {
        Period::for_local_date(kind, instant.to_offset(CITY_OFFSET).date())
    }

    /// True when `start <= instant < end`.
    pub fn contains(&self, instant: OffsetDateTime) -> bool {
        self.start <= instant && instant < self.end
    }

    /// The period of `kind` containing the local calendar date `date`.
    pub fn for_local_date(kind: PeriodKind, date: Date) -> Period {
        let (first, next, label) = match kind {
            PeriodKind::Day => (date, date + Duration::days(1), date_label(date)),
            PeriodKind::Week => week_bounds(date),
            PeriodKind::Quarter => quarter_bounds(date),
        };
        Period { kind, start: local_midnight(first), end: local_midnight(next), label }
    }
}

/// Local midnight at the start of `date`, as a UTC instant.
fn local_midnight(date: Date) -> OffsetDateTime {
    date.with_time(Time::MIDNIGHT).assume_offset(CITY_OFFSET).to_offset(UtcOffset::UTC)
}

fn date_label(date: Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

/// Monday of the ISO week containing `date`, the following Monday, and the label — which uses the ISO
/// week-numbering year, so 2026-12-31 (a Thursday) is `2026-W53` and 2027-01-01 is also `2026-W53`.
fn week_bounds(date: Date) -> (Date, Date, String) {
    let monday = date - Duration::days(i64::from(date.weekday().number_days_from_monday()));
    let (iso_year, week, _) = date.to_iso_week_date();
    (monday, monday + Duration::weeks(1), format!("{iso_year:04}-W{week:02}"))
}

/// First day of the calendar quarter containing `date`, first day of the next quarter, and the label.
fn quarter_bounds(date: Date) -> (Date, Date, String) {
    let quarter = (u8::from(date.month()) - 1) / 3 + 1;
    let first = quarter_start(date.year(), quarter);
    // Why: quarter 4 rolls over into quarter 1 of the next year.
    let next = if quarter == 4 { quarter_start(date.year() + 1, 1) } else { quarter_start(date.year(), quarter + 1) };
    (first, next, format!("{:04}-Q{quarter}", date.year()))
}

fn quarter_start(year: i32, quarter: u8) -> Date {
    let month = Month::try_from(3 * (quarter - 1) + 1).expect("quarter is 1..=4, so its first month is 1, 4, 7 or 10");
    Date::from_calendar_date(year, month, 1).expect("the first of a month always exists")
}

/// Strictly parses `YYYY-MM-DD`. Why by hand: the shape check gives a clearer message than a format-description
/// error, and refuses signs, short fields and trailing text.
fn parse_date(text: &str) -> Result<Date, String> {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| if i == 4 || i == 7 { *b == b'-' } else { b.is_ascii_digit() });
    if !shape_ok {
        return Err(format!("date {text:?} is not in the form YYYY-MM-DD (e.g. 2026-11-26)"));
    }
    // Why the expects: the shape check guarantees every field is ASCII digits of a fixed width.
    let year: i32 = text[0..4].parse().expect("four digits");
    // Why a range: the period's end is computed from the date, and must exist.
    if !(1970..=9000).contains(&year) {
        return Err(format!("date {text:?}: the year must be 1970 to 9000"));
    }
    let month: u8 = text[5..7].parse().expect("two digits");
    let day: u8 = text[8..10].parse().expect("two digits");
    let month = Month::try_from(month).map_err(|_| format!("date {text:?}: month {month} is not 01..12"))?;
    Date::from_calendar_date(year, month, day).map_err(|_| format!("date {text:?}: {month} {year} has no day {day}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn day_is_local_calendar_day() {
        let p = Period::parse("day", "2026-11-26").unwrap();
        assert_eq!(p.kind, PeriodKind::Day);
        assert_eq!(p.label, "2026-11-26");
        assert_eq!(p.start, datetime!(2026-11-25 16:00 UTC));
        assert_eq!(p.end, datetime!(2026-11-26 16:00 UTC));
    }

    #[test]
    fn utc_afternoon_is_next_local_day() {
        // 16:00 UTC is 00:00 the next day in UTC+8.
        let p = Period::containing(PeriodKind::Day, datetime!(2026-11-26 16:00 UTC));
        assert_eq!(p.label, "2026-11-27");
        let before = Period::containing(PeriodKind::Day, datetime!(2026-11-26 15:59:59.999 UTC));
        assert_eq!(before.label, "2026-11-26");
        assert!(!before.contains(datetime!(2026-11-26 16:00 UTC)), "end is exclusive");
        assert!(p.contains(datetime!(2026-11-26 16:00 UTC)), "start is inclusive");
    }

    #[test]
    fn week_runs_monday_to_monday_local() {
        // 2026-11-26 is a Thursday in ISO week 48; that week starts Monday 2026-11-23 local.
        let p = Period::parse("week", "2026-11-26").unwrap();
        assert_eq!(p.label, "2026-W48");
        assert_eq!(p.start, datetime!(2026-11-22 16:00 UTC));
        assert_eq!(p.end, datetime!(2026-11-29 16:00 UTC));
        // Sunday 23:59 local is still W48; Monday 00:00 local is W49.
        assert_eq!(Period::containing(PeriodKind::Week, datetime!(2026-11-29 15:59 UTC)).label, "2026-W48");
        assert_eq!(Period::containing(PeriodKind::Week, datetime!(2026-11-29 16:00 UTC)).label, "2026-W49");
        assert_eq!(Period::parse("week", "2026-11-29").unwrap(), p, "Sunday belongs to the week before");
    }

    #[test]
    fn week_label_uses_iso_year() {
        let p = Period::parse("week", "2027-01-01").unwrap();
        assert_eq!(p.label, "2026-W53");
        assert_eq!(p.start, datetime!(2026-12-27 16:00 UTC));
        assert_eq!(Period::parse("week", "2025-12-29").unwrap().label, "2026-W01");
    }

    #[test]
    fn quarter_is_calendar_quarter_local() {
        let p = Period::parse("quarter", "2026-11-26").unwrap();
        assert_eq!(p.label, "2026-Q4");
        assert_eq!(p.start, datetime!(2026-09-30 16:00 UTC));
        assert_eq!(p.end, datetime!(2026-12-31 16:00 UTC));
        let q1 = Period::parse("quarter", "2026-03-31").unwrap();
        assert_eq!(q1.label, "2026-Q1");
        assert_eq!((q1.start, q1.end), (datetime!(2025-12-31 16:00 UTC), datetime!(2026-03-31 16:00 UTC)));
        assert_eq!(Period::for_local_date(PeriodKind::Quarter, date!(2026 - 04 - 01)).label, "2026-Q2");
    }

    #[test]
    fn bad_inputs_are_refused_with_reason() {
        let err = |k: &str, d: &str| Period::parse(k, d).unwrap_err();
        assert_eq!(err("day", "2026-13-01"), "date \"2026-13-01\": month 13 is not 01..12");
        assert_eq!(err("day", "2026-02-30"), "date \"2026-02-30\": February 2026 has no day 30");
        assert_eq!(err("day", "26-1-1"), "date \"26-1-1\" is not in the form YYYY-MM-DD (e.g. 2026-11-26)");
        assert_eq!(
            err("month", "2026-01-01"),
            "unknown period kind \"month\": expected \"day\", \"week\" or \"quarter\""
        );
        for bad in ["2026-1-01", "+2026-01-01", "2026/01/01", "2026-01-01 ", "2026-00-10", "2026-01-00", ""] {
            assert!(Period::parse("day", bad).is_err(), "{bad:?} should be refused");
        }
        assert!(Period::parse("Day", "2026-01-01").is_err());
    }
}
