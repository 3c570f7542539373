//! Unit figures (DESIGN §7): the "daily clear, weekly summary, quarterly review" computed from case histories.
//!
//! Pure code: [`period`] turns a kind and a local date into a UTC interval, [`figures`] computes the rows from
//! [`CaseTimeline`]s, and [`csv`] renders them. No storage or clock access here — the caller supplies `now`.

pub mod csv;
pub mod figures;
pub mod load;
pub mod period;

pub use self::csv::{CSV_HEADER, to_csv};
pub use self::figures::{CaseEvent, CaseEventKind, CaseStatus, CaseTimeline, FigureRow, Report, compute};
pub use self::period::{CITY_OFFSET, Period, PeriodKind};
