//! The calendar of the Interim Regulations on Residence Permits (居住证暂行条例, 2016),
//! as pure functions of the city's date (UTC+8, `onewindow_sdk::time::today()`):
//!
//! - a resident may apply once they have lived here **six calendar months**
//!   (counted from the arrival date of their floating-population registration);
//! - a permit is valid for **one year** from its issue date;
//! - it is endorsed (签注) once a year, in the **30 days** before its last valid
//!   day; endorsing adds a year. A permit past its last valid day without an
//!   endorsement has **lapsed**.
//!
//! Public so that tests (and anyone reading the rules) can use the same dates.

use onewindow_sdk::time::Date;

/// Months of residence before a resident may apply.
pub const MINIMUM_RESIDENCE_MONTHS: u32 = 6;
/// Months a permit (or an endorsement) is valid for.
pub const VALIDITY_MONTHS: u32 = 12;
/// Days before the last valid day in which the holder may ask for the endorsement.
pub const ENDORSEMENT_WINDOW_DAYS: i64 = 30;

/// `date` plus `months` calendar months, the day clamped to the month's
/// end (08-31 plus six months is 02-28, or 02-29 in a leap year).
pub fn add_months(date: Date, months: u32) -> Date {
    let months_since_zero = date.year * 12 + (date.month as i32 - 1) + months as i32;
    let (year, month) = (months_since_zero.div_euclid(12), months_since_zero.rem_euclid(12) as u32 + 1);
    (1..=date.day).rev().find_map(|day| Date::new(year, month, day)).unwrap_or(date)
}

/// The first day a resident who arrived on `arrival` may apply: six
/// calendar months later.
pub fn eligible_from(arrival: Date) -> Date {
    add_months(arrival, MINIMUM_RESIDENCE_MONTHS)
}

/// Whether a resident who arrived on `arrival` may apply on `today`.
pub fn may_apply(arrival: Date, today: Date) -> bool {
    today >= eligible_from(arrival)
}

/// The last valid day of a permit valid from `from` (its issue date, or
/// the last valid day it is endorsed on): one year later.
pub fn one_year_after(from: Date) -> Date {
    add_months(from, VALIDITY_MONTHS)
}

/// The first day the holder may ask for the endorsement of a permit valid until `valid_until`.
pub fn window_opens(valid_until: Date) -> Date {
    valid_until.add_days(-ENDORSEMENT_WINDOW_DAYS)
}

/// Where `today` lies in a permit's endorsement window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// Too early: the window opens on this day.
    NotYet { opens: Date },
    /// The holder may ask now (up to and including the last valid day).
    Open,
    /// Too late: the permit's last valid day has passed.
    Lapsed,
}

/// The endorsement window of a permit valid until `valid_until`, on `today`.
pub fn endorsement_window(valid_until: Date, today: Date) -> Window {
    let opens = window_opens(valid_until);
    if today < opens {
        Window::NotYet { opens }
    } else if today <= valid_until {
        Window::Open
    } else {
        Window::Lapsed
    }
}

/// A permit's status, computed when it is read:
/// - `valid`: more than 30 days left;
/// - `endorsement-due`: in the endorsement window, or past it with an
///   endorsement asked for in time and not yet decided;
/// - `lapsed`: past its last valid day without an endorsement.
pub fn permit_status(valid_until: Date, today: Date, endorsement_pending: bool) -> &'static str {
    match endorsement_window(valid_until, today) {
        Window::NotYet { .. } => "valid",
        Window::Open => "endorsement-due",
        Window::Lapsed if endorsement_pending => "endorsement-due",
        Window::Lapsed => "lapsed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    #[test]
    fn six_calendar_months_clamped_to_the_month_end() {
        assert_eq!(eligible_from(date("2026-03-01")), date("2026-09-01"));
        assert_eq!(eligible_from(date("2026-08-31")), date("2027-02-28"));
        assert_eq!(eligible_from(date("2027-08-31")), date("2028-02-29"));
        assert_eq!(eligible_from(date("2026-07-15")), date("2027-01-15"));
        assert_eq!(eligible_from(date("2026-12-31")), date("2027-06-30"));
    }

    #[test]
    fn a_resident_may_apply_from_the_day_six_months_are_complete() {
        let arrival = date("2026-05-27");
        assert!(!may_apply(arrival, date("2026-11-26")));
        assert!(may_apply(arrival, date("2026-11-27")));
        assert!(may_apply(arrival, date("2027-05-27")));
        assert!(!may_apply(date("2026-11-27"), date("2026-11-27")), "arriving today is not enough");
    }

    #[test]
    fn a_permit_runs_one_year_and_an_endorsement_adds_one() {
        assert_eq!(one_year_after(date("2026-11-27")), date("2027-11-27"));
        assert_eq!(one_year_after(date("2028-02-29")), date("2029-02-28"));
        assert_eq!(one_year_after(one_year_after(date("2026-01-31"))), date("2028-01-31"));
    }

    #[test]
    fn the_endorsement_window_is_the_30_days_before_the_last_valid_day() {
        let until = date("2027-11-27");
        assert_eq!(window_opens(until), date("2027-10-28"));
        assert_eq!(endorsement_window(until, date("2027-10-27")), Window::NotYet { opens: date("2027-10-28") });
        assert_eq!(endorsement_window(until, date("2027-10-28")), Window::Open);
        assert_eq!(endorsement_window(until, date("2027-11-27")), Window::Open);
        assert_eq!(endorsement_window(until, date("2027-11-28")), Window::Lapsed);
    }

    #[test]
    fn the_status_follows_the_window_at_read_time() {
        let until = date("2027-11-27");
        assert_eq!(permit_status(until, date("2026-11-27"), false), "valid");
        assert_eq!(permit_status(until, date("2027-10-28"), false), "endorsement-due");
        assert_eq!(permit_status(until, date("2027-11-27"), true), "endorsement-due");
        assert_eq!(permit_status(until, date("2027-11-28"), false), "lapsed");
        assert_eq!(permit_status(until, date("2027-11-28"), true), "endorsement-due", "asked in time, undecided");
    }
}
