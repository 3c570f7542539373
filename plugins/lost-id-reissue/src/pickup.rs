//! Where and when a ready card can be collected: a place and a time window,
//! set by the desk and sent to the applicant's inbox.

use onewindow_sdk::time::{Date, DateTime, LOCAL_OFFSET_SECONDS};
use onewindow_sdk::{BodyFields, Result};

use crate::length::check_length;

/// The longest pickup window the desk may give (a card is kept for the
/// resident far longer, but a window is an appointment, not a season).
const MAX_WINDOW_DAYS: i64 = 90;

/// The desk's pickup details, checked.
#[derive(Debug, Clone, schemars::JsonSchema)]
pub struct PickupWindow {
    /// Where to collect the card, 2 to 200 characters (e.g. the station's window 3).
    pub place: String,
    /// From when, RFC 3339 with offset (e.g. 2026-12-01T09:00:00+08:00).
    pub from: String,
    /// Until when, after `from` and in the future; at most 90 days after `from`.
    pub to: String,
}

impl PickupWindow {
    /// Reads and checks the pickup body against the instant `now` (Unix seconds).
    pub fn read(mut body: BodyFields, now: i64) -> Result<PickupWindow> {
        let place = body.required_text("place");
        let from = body.required_text("from");
        let to = body.required_text("to");
        body.deny_unknown();
        check_length(&mut body, "place", place.as_deref(), 2, 200);
        let from = from.and_then(|f| body.errors().date_time("from", &f));
        let to = to.and_then(|t| body.errors().date_time("to", &t));
        if let (Some(from), Some(to)) = (from, to) {
            let (start, end) = (from.unix_seconds(), to.unix_seconds());
            body.check(end > start, "to", "must be after `from`");
            body.check(end > now, "to", "must be in the future");
            body.check(end - start <= MAX_WINDOW_DAYS * 86_400, "to", "must be at most 90 days after `from`");
        }
        body.finish()?;
        Ok(PickupWindow {
            place: place.unwrap_or_default(),
            from: from.map(|f| f.to_string()).unwrap_or_default(),
            to: to.map(|t| t.to_string()).unwrap_or_default(),
        })
    }
}

/// A stored RFC 3339 instant as the city reads it, `2026-12-01 09:00`
/// (UTC+8, whatever offset it was written with); the text itself when it
/// does not parse.
pub fn city_time(text: &str) -> String {
    let Some(at) = DateTime::parse(text) else { return text.to_owned() };
    let local = at.unix_seconds() + i64::from(LOCAL_OFFSET_SECONDS);
    let (days, of_day) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let date = Date { year: 1970, month: 1, day: 1 }.add_days(days);
    format!("{date} {:02}:{:02}", of_day / 3600, of_day % 3600 / 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_795_000_000; // 2026-11-18T07:06:40Z

    fn read(body: serde_json::Value) -> Result<PickupWindow> {
        PickupWindow::read(BodyFields::from_value(body).unwrap(), NOW)
    }

    fn fields(body: serde_json::Value) -> Vec<String> {
        read(body).unwrap_err().field_errors().iter().map(|e| e.field.clone()).collect()
    }

    #[test]
    fn a_window_in_the_future_is_kept_as_written() {
        let window =
            read(json!({"place": "Window 3", "from": "2026-12-01T09:00:00+08:00", "to": "2026-12-05T18:00:00+08:00"}));
        let window = window.unwrap();
        assert_eq!(
            (window.from.as_str(), window.to.as_str()),
            ("2026-12-01T09:00:00+08:00", "2026-12-05T18:00:00+08:00")
        );
    }

    #[test]
    fn bad_windows_are_named() {
        assert_eq!(fields(json!({})), ["place", "from", "to"]);
        let backwards =
            json!({"place": "Window 3", "from": "2026-12-05T09:00:00+08:00", "to": "2026-12-01T09:00:00+08:00"});
        assert_eq!(fields(backwards), ["to"]);
        let past = json!({"place": "Window 3", "from": "2026-01-01T09:00:00+08:00", "to": "2026-01-02T09:00:00+08:00"});
        assert_eq!(fields(past), ["to"]);
        let long = json!({"place": "Window 3", "from": "2026-12-01T09:00:00+08:00", "to": "2027-06-01T09:00:00+08:00"});
        assert_eq!(fields(long), ["to"]);
        let no_offset = json!({"place": "W", "from": "2026-12-01 09:00", "to": "2026-12-01T18:00:00Z"});
        assert_eq!(fields(no_offset), ["place", "from"]);
    }

    #[test]
    fn times_read_in_the_city() {
        assert_eq!(city_time("2026-12-01T01:00:00Z"), "2026-12-01 09:00");
        assert_eq!(city_time("2026-12-01T20:30:00Z"), "2026-12-02 04:30");
        assert_eq!(city_time("2026-12-01T09:00:00+08:00"), "2026-12-01 09:00");
        assert_eq!(city_time("soon"), "soon");
    }
}
