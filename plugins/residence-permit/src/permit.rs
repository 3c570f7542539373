//! A residence permit: its number, its validity and its status, computed
//! from today when it is read (never stored, so it cannot go stale).

use onewindow_sdk::prelude::*;
use onewindow_sdk::time::Date;
use serde::{Deserialize, Serialize};

use crate::calendar::{self, Window};
use crate::texts;

/// The table permits live in.
pub const TABLE: &str = "permits";
/// The last serial issued in each year (one row per year).
pub const SERIALS: &str = "permit_serials";

/// The permit number: `JZ` (居住), the year, and the year's serial in six
/// digits: `JZ2026000001`. `None` past 999999 permits in a year.
pub fn number(year: i32, serial: i64) -> Option<String> {
    ((1..=999_999).contains(&serial) && (1000..=9999).contains(&year)).then(|| format!("JZ{year}{serial:06}"))
}

/// How often numbering is tried before the desk is asked to try again.
const NUMBERING_TRIES: usize = 10;

/// Takes the next serial of `year` from the serials table. Another desk
/// numbering a permit at the same moment moves the serial under us (on
/// PostgreSQL the conditional update then changes nothing, and a new read
/// sees their serial): read and try again, and only after
/// [`NUMBERING_TRIES`] answer 503 (the request's writes are undone).
pub fn next_serial(year: i32) -> Result<i64> {
    for _ in 0..NUMBERING_TRIES {
        let current = table(SERIALS).all().where_eq("year", year).fetch_optional()?;
        let Some(row) = current else {
            // The year's first permit; a desk that won the race makes this a conflict.
            match table(SERIALS).insert().set("year", year).set("last_serial", 1i64).execute() {
                Ok(_) => return Ok(1),
                Err(onewindow_sdk::DataError::Conflict(_)) => continue,
                Err(error) => return Err(error.into()),
            }
        };
        let last = row.as_ref().integer("last_serial").unwrap_or_default();
        let moved = table(SERIALS)
            .update()
            .set("last_serial", last + 1)
            .where_eq("year", year)
            .where_eq("last_serial", last)
            .execute()?;
        if moved == 1 {
            return Ok(last + 1);
        }
    }
    Err(busy())
}

/// 503: the serial moved under us; nothing is kept, try again.
pub fn busy() -> Error {
    Error::new(
        503,
        "service-unavailable",
        "Service unavailable",
        "another permit was numbered at the same moment; try again",
    )
    .with_header("retry-after", "1")
}

/// A stored permit.
#[derive(Debug, Clone, Deserialize)]
pub struct Row {
    pub id: i64,
    pub holder: String,
    pub application_id: i64,
    pub permit_number: String,
    pub full_name: String,
    pub id_number: String,
    pub current_address: String,
    pub reason: String,
    pub valid_from: String,
    pub valid_until: String,
    pub endorsements: i64,
    pub last_endorsed_on: Option<String>,
    pub issued_by: String,
    pub issued_at: String,
    pub updated_at: String,
}

impl Row {
    /// The last valid day (a stored permit always has one; a garbled one reads as long past).
    pub fn valid_until(&self) -> Date {
        Date::parse(&self.valid_until).unwrap_or(Date { year: 1970, month: 1, day: 1 })
    }
}

/// A permit, as answered.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Permit {
    pub id: i64,
    pub holder: String,
    pub application_id: i64,
    /// JZ + year + 6-digit serial, e.g. JZ2026000001.
    pub permit_number: String,
    pub full_name: String,
    pub id_number: String,
    pub current_address: String,
    /// employment, residence or study.
    pub reason: String,
    /// The issue date (YYYY-MM-DD).
    pub valid_from: String,
    /// The last valid day: one year after issue, a year more per endorsement.
    pub valid_until: String,
    /// How many times it has been endorsed.
    pub endorsements: i64,
    pub last_endorsed_on: Option<String>,
    /// valid, endorsement-due or lapsed, computed from today (UTC+8).
    pub status: &'static str,
    /// The status in the caller's language.
    pub status_label: &'static str,
    /// The first day the holder may ask for the endorsement (30 days before valid_until).
    pub endorsement_window_opens: String,
    /// An endorsement is asked for and not yet decided.
    pub endorsement_pending: bool,
    /// What the holder does next, in the caller's language.
    pub next_step: String,
    pub issued_by: String,
    pub issued_at: String,
    pub updated_at: String,
}

impl Permit {
    pub fn new(row: Row, today: Date, endorsement_pending: bool, language: Language) -> Permit {
        let until = row.valid_until();
        let status = calendar::permit_status(until, today, endorsement_pending);
        let opens = calendar::window_opens(until).to_string();
        let dates = [("opens", opens.as_str()), ("valid_until", row.valid_until.as_str())];
        let next = match calendar::endorsement_window(until, today) {
            _ if endorsement_pending => &texts::PERMIT_PENDING,
            Window::NotYet { .. } => &texts::PERMIT_VALID,
            Window::Open => &texts::PERMIT_DUE,
            Window::Lapsed => &texts::PERMIT_LAPSED,
        };
        Permit {
            status,
            status_label: texts::permit_status_label(status).pick(language),
            next_step: texts::fill(next, language, &dates),
            endorsement_window_opens: opens,
            endorsement_pending,
            id: row.id,
            holder: row.holder,
            application_id: row.application_id,
            permit_number: row.permit_number,
            full_name: row.full_name,
            id_number: row.id_number,
            current_address: row.current_address,
            reason: row.reason,
            valid_from: row.valid_from,
            valid_until: row.valid_until,
            endorsements: row.endorsements,
            last_endorsed_on: row.last_endorsed_on,
            issued_by: row.issued_by,
            issued_at: row.issued_at,
            updated_at: row.updated_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_jz_year_and_a_six_digit_serial() {
        assert_eq!(number(2026, 1).as_deref(), Some("JZ2026000001"));
        assert_eq!(number(2027, 123_456).as_deref(), Some("JZ2027123456"));
        assert_eq!(number(2026, 999_999).as_deref(), Some("JZ2026999999"));
        assert_eq!(number(2026, 1_000_000), None, "a seventh digit would break the format");
        assert_eq!(number(2026, 0), None);
        assert_eq!(number(99, 1), None);
    }
}
