//! The figures units are judged by (DESIGN §7): per unit and per (unit, service), for one [`Period`], computed
//! purely from case histories.
//!
//! Conventions used by every figure:
//! - An event counts "in the period" when `period.start <= at < period.end`.
//! - Events (and case openings) later than `now` have not happened yet and are ignored everywhere, so a
//!   clock-skewed future event can neither be counted nor make a case look open and closed at once.
//! - "Closed" means the case's *first* terminal status (Rejected, Completed, Cancelled, Failed); anything after
//!   it is ignored, since terminal is final.
//! - The "lead" of a case is the unit named by `Opened`, replaced by each `Referred { to_unit }` in turn.
//!   `Involved` units assist and never become lead.
//! - "At the end" means the state after every event with `at < period.end` (and `at <= now`, as above); the
//!   overdue cut-off is `as_of = min(period.end, now)`.

use std::collections::BTreeMap;

use serde::Serialize;
use time::OffsetDateTime;

use super::period::Period;

/// A case's status (the one the store keeps).
pub use crate::store::cases::CaseStatus;

/// One case's history, as the figures need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseTimeline {
    /// The case's id in the store.
    pub case_id: i64,
    /// Id of the plugin (service) that created the case, e.g. `residence-permit`.
    pub service: String,
    /// When the case was created; the start of "time to close" and the instant that decides `opened`.
    pub opened_at: OffsetDateTime,
    /// The deadline from the service's time limit, if it has one.
    pub due_at: Option<OffsetDateTime>,
    /// The resident's rating after closing, 1..=5 (values outside that range are ignored).
    pub rating: Option<u8>,
    /// In time order; the first is always `Opened`.
    pub events: Vec<CaseEvent>,
}

/// What happened to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseEventKind {
    /// Created with `status`, lead assigned to `unit`.
    Opened {
        /// The first lead unit.
        unit: String,
        /// The status the case was created in (normally Requested).
        status: CaseStatus,
    },
    /// Status change.
    Transition {
        /// The status before.
        from: CaseStatus,
        /// The status after.
        to: CaseStatus,
    },
    /// Lead handed over from `from_unit` to `to_unit`.
    Referred {
        /// The unit giving up the lead.
        from_unit: String,
        /// The new lead unit.
        to_unit: String,
    },
    /// A second unit brought in to assist; the lead does not change.
    Involved {
        /// The assisting unit.
        unit: String,
    },
}

/// One entry of a case's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEvent {
    /// When it happened.
    pub at: OffsetDateTime,
    /// What happened.
    pub kind: CaseEventKind,
}

/// The figures for one period: one row per unit (`service` = null) followed by one row per (unit, service).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Report {
    /// The period the figures cover.
    pub period: Period,
    /// The cut-off for "open at the end" and "overdue": `min(period.end, now)`.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub as_of: OffsetDateTime,
    /// Sorted by unit, then service, with the unit's total (`service` = null) first. A row appears only when at
    /// least one of its counts is non-zero.
    pub rows: Vec<FigureRow>,
}

/// The figures of one unit (`service` = null: all services) or one unit within one service.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FigureRow {
    /// The unit the figures are credited to.
    pub unit: String,
    /// The service (plugin id); null for the unit's total over all services.
    pub service: Option<String>,
    /// Cases with `opened_at` in the period whose first lead (the `Opened` unit) is this unit.
    pub opened: u64,
    /// `Referred` events in the period with `to_unit` = this unit, plus `Involved` events in the period naming it.
    pub referrals_in: u64,
    /// `Referred` events in the period with `from_unit` = this unit.
    pub referrals_out: u64,
    /// Cases whose first terminal status was reached in the period while this unit was lead.
    pub closed: u64,
    /// Cases this unit is lead of and that are not closed at the end of the period (or now, if earlier).
    pub open_at_end: u64,
    /// Of `open_at_end`, those with `due_at < as_of`.
    pub open_overdue: u64,
    /// Of `closed`, those with a due date.
    pub closed_with_due: u64,
    /// Of `closed_with_due`, those closed at or before `due_at`.
    pub closed_on_time: u64,
    /// Of `closed`, those with a rating in 1..=5.
    pub rated: u64,
    /// `closed / (closed + open_at_end)`; null when both are 0.
    pub closure_rate: Option<f64>,
    /// `closed_on_time / closed_with_due`; null when `closed_with_due` is 0.
    pub on_time_rate: Option<f64>,
    /// Median over `closed` cases of `(closed_at - opened_at)` in hours (mean of the two middle values for an
    /// even count); null when `closed` is 0.
    pub median_hours_to_close: Option<f64>,
    /// Mean rating of the `rated` cases; null when `rated` is 0.
    pub average_rating: Option<f64>,
}

/// Computes every unit's figures for `period` from `cases`, treating `now` as the present (see the module docs
/// for the conventions and [`FigureRow`] for each figure's exact definition).
pub fn compute(period: &Period, cases: &[CaseTimeline], now: OffsetDateTime) -> Report {
    let mut tally = Tally::default();
    for case in cases {
        tally_case(&mut tally, period, case, now);
    }
    let rows = tally.0.into_iter().map(|((unit, service), acc)| acc.into_row(unit, service)).collect();
    Report { period: period.clone(), as_of: period.end.min(now), rows }
}

/// Running counts for one row.
#[derive(Default)]
struct Acc {
    opened: u64,
    referrals_in: u64,
    referrals_out: u64,
    closed: u64,
    open_at_end: u64,
    open_overdue: u64,
    closed_with_due: u64,
    closed_on_time: u64,
    hours_to_close: Vec<f64>,
    rating_sum: u64,
    rated: u64,
}

impl Acc {
    fn into_row(self, unit: String, service: Option<String>) -> FigureRow {
        FigureRow {
            unit,
            service,
            opened: self.opened,
            referrals_in: self.referrals_in,
            referrals_out: self.referrals_out,
            closed: self.closed,
            open_at_end: self.open_at_end,
            open_overdue: self.open_overdue,
            closed_with_due: self.closed_with_due,
            closed_on_time: self.closed_on_time,
            rated: self.rated,
            closure_rate: ratio(self.closed, self.closed + self.open_at_end),
            on_time_rate: ratio(self.closed_on_time, self.closed_with_due),
            median_hours_to_close: median(self.hours_to_close),
            average_rating: ratio(self.rating_sum, self.rated),
        }
    }
}

/// Rows keyed by (unit, service); `None` service is the unit total. A BTreeMap gives the required sort order
/// (unit, then total before services), and since an entry is only created when something is added to it, every
/// row has a non-zero count.
#[derive(Default)]
struct Tally(BTreeMap<(String, Option<String>), Acc>);

impl Tally {
    /// Applies `add` to both the unit's total row and its (unit, service) row.
    fn credit(&mut self, unit: &str, service: &str, add: impl Fn(&mut Acc)) {
        add(self.0.entry((unit.to_owned(), None)).or_default());
        add(self.0.entry((unit.to_owned(), Some(service.to_owned()))).or_default());
    }
}

fn ratio(numerator: u64, denominator: u64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// Median; the mean of the two middle values for an even count; `None` when empty.
fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

/// Adds one case's contributions to every figure.
fn tally_case(tally: &mut Tally, period: &Period, case: &CaseTimeline, now: OffsetDateTime) {
    // Why: later events have not happened yet (see module docs).
    let events: Vec<&CaseEvent> = case.events.iter().filter(|e| e.at <= now).collect();
    tally_opened(tally, period, case, &events);
    tally_referrals(tally, period, case, &events);
    tally_closed(tally, period, case, &events);
    tally_open_at_end(tally, period, case, &events, now);
}

/// `opened`: credited to the first lead when `opened_at` falls in the period (and is not in the future).
fn tally_opened(tally: &mut Tally, period: &Period, case: &CaseTimeline, events: &[&CaseEvent]) {
    let first_lead = events.iter().find_map(|e| match &e.kind {
        CaseEventKind::Opened { unit, .. } => Some(unit),
        _ => None,
    });
    if let Some(unit) = first_lead.filter(|_| period.contains(case.opened_at)) {
        tally.credit(unit, &case.service, |a| a.opened += 1);
    }
}

/// `referrals_in` / `referrals_out`: every Referred (and, for `referrals_in`, Involved) event in the period.
fn tally_referrals(tally: &mut Tally, period: &Period, case: &CaseTimeline, events: &[&CaseEvent]) {
    for event in events.iter().filter(|e| period.contains(e.at)) {
        match &event.kind {
            CaseEventKind::Referred { from_unit, to_unit } => {
                tally.credit(from_unit, &case.service, |a| a.referrals_out += 1);
                tally.credit(to_unit, &case.service, |a| a.referrals_in += 1);
            }
            // Why: bringing a unit in to assist is work arriving at that unit, like a referral.
            CaseEventKind::Involved { unit } => tally.credit(unit, &case.service, |a| a.referrals_in += 1),
            _ => {}
        }
    }
}

/// The state reached by replaying `events` in order, stopping at the first terminal status.
struct Replay<'a> {
    /// The lead unit; `None` until `Opened`.
    lead: Option<&'a str>,
    /// When the first terminal status was reached, if it was.
    closed_at: Option<OffsetDateTime>,
}

/// Replays events in list order (so ties at the same instant resolve as recorded) and stops at the first terminal
/// status, leaving `lead` as the unit that was lead at that moment.
fn replay<'a>(events: impl Iterator<Item = &'a CaseEvent>) -> Replay<'a> {
    let mut state = Replay { lead: None, closed_at: None };
    for event in events {
        let status = match &event.kind {
            CaseEventKind::Opened { unit, status } => {
                state.lead = Some(unit);
                Some(*status)
            }
            CaseEventKind::Referred { to_unit, .. } => {
                state.lead = Some(to_unit);
                None
            }
            CaseEventKind::Transition { to, .. } => Some(*to),
            CaseEventKind::Involved { .. } => None,
        };
        if status.is_some_and(CaseStatus::is_terminal) {
            state.closed_at = Some(event.at);
            break;
        }
    }
    state
}

/// `closed`, `closed_with_due`, `closed_on_time`, `hours_to_close`, `rated`: credited to the lead at the moment of
/// the first terminal status, when that moment falls in the period.
fn tally_closed(tally: &mut Tally, period: &Period, case: &CaseTimeline, events: &[&CaseEvent]) {
    let Replay { lead: Some(unit), closed_at: Some(closed_at) } = replay(events.iter().copied()) else { return };
    if !period.contains(closed_at) {
        return;
    }
    let hours = (closed_at - case.opened_at).as_seconds_f64() / 3600.0;
    let on_time = case.due_at.map(|due| closed_at <= due);
    // Why: a rating outside 1..=5 is corrupt data, not a resident's opinion.
    let rating = case.rating.filter(|r| (1..=5).contains(r));
    tally.credit(unit, &case.service, |a| {
        a.closed += 1;
        a.hours_to_close.push(hours);
        a.closed_with_due += u64::from(on_time.is_some());
        a.closed_on_time += u64::from(on_time == Some(true));
        a.rated += u64::from(rating.is_some());
        a.rating_sum += u64::from(rating.unwrap_or(0));
    });
}

/// `open_at_end`, `open_overdue`: the lead after every event before the period end (and not after now), when no
/// terminal status has been reached by then.
fn tally_open_at_end(
    tally: &mut Tally,
    period: &Period,
    case: &CaseTimeline,
    events: &[&CaseEvent],
    now: OffsetDateTime,
) {
    let state = replay(events.iter().copied().filter(|e| e.at < period.end));
    let (Some(unit), None) = (state.lead, state.closed_at) else { return };
    let as_of = period.end.min(now);
    let overdue = case.due_at.is_some_and(|due| due < as_of);
    tally.credit(unit, &case.service, |a| {
        a.open_at_end += 1;
        a.open_overdue += u64::from(overdue);
    });
}

#[cfg(test)]
mod tests {
    use super::super::period::PeriodKind;
    use super::*;
    use time::macros::datetime;

    const PERMIT: &str = "residence-permit";
    const MEDIATION: &str = "mediation";
    const POLICE: &str = "police";
    const COMMITTEE: &str = "committee-north";
    const JUDICIAL: &str = "judicial";

    fn opened(at: OffsetDateTime, unit: &str) -> CaseEvent {
        CaseEvent { at, kind: CaseEventKind::Opened { unit: unit.into(), status: CaseStatus::Requested } }
    }
    fn moved(at: OffsetDateTime, from: CaseStatus, to: CaseStatus) -> CaseEvent {
        CaseEvent { at, kind: CaseEventKind::Transition { from, to } }
    }
    fn completed(at: OffsetDateTime) -> CaseEvent {
        moved(at, CaseStatus::InProgress, CaseStatus::Completed)
    }
    fn referred(at: OffsetDateTime, from: &str, to: &str) -> CaseEvent {
        CaseEvent { at, kind: CaseEventKind::Referred { from_unit: from.into(), to_unit: to.into() } }
    }
    fn involved(at: OffsetDateTime, unit: &str) -> CaseEvent {
        CaseEvent { at, kind: CaseEventKind::Involved { unit: unit.into() } }
    }
    fn case(
        case_id: i64,
        service: &str,
        due_at: Option<OffsetDateTime>,
        rating: Option<u8>,
        events: Vec<CaseEvent>,
    ) -> CaseTimeline {
        CaseTimeline { case_id, service: service.into(), opened_at: events[0].at, due_at, rating, events }
    }

    /// The seeded cases; times are local (UTC+8). ISO week 2026-W48 is Mon 11-23 .. Mon 11-30 local.
    fn seeded() -> Vec<CaseTimeline> {
        use CaseStatus::*;
        vec![
            // P1: police, 2 h, on time, rating 5.
            case(
                1,
                PERMIT,
                Some(datetime!(2026-11-24 09:00 +8)),
                Some(5),
                vec![opened(datetime!(2026-11-23 09:00 +8), POLICE), completed(datetime!(2026-11-23 11:00 +8))],
            ),
            // P2: police, rejected after 4 h, one hour late, rating 2.
            case(
                2,
                PERMIT,
                Some(datetime!(2026-11-24 12:00 +8)),
                Some(2),
                vec![
                    opened(datetime!(2026-11-24 09:00 +8), POLICE),
                    moved(datetime!(2026-11-24 13:00 +8), Requested, Rejected),
                ],
            ),
            // P3: police mediation, 30 h, no due date; bogus events after the first terminal status are ignored.
            case(
                3,
                MEDIATION,
                None,
                None,
                vec![
                    opened(datetime!(2026-11-25 08:00 +8), POLICE),
                    moved(datetime!(2026-11-25 09:00 +8), Requested, Accepted),
                    moved(datetime!(2026-11-25 10:00 +8), Accepted, InProgress),
                    completed(datetime!(2026-11-26 14:00 +8)),
                    moved(datetime!(2026-11-27 09:00 +8), Completed, InProgress),
                    moved(datetime!(2026-11-28 09:00 +8), InProgress, Cancelled),
                ],
            ),
            // P4: police, still open and overdue since 11-27; judicial brought in to assist.
            case(
                4,
                PERMIT,
                Some(datetime!(2026-11-27 09:00 +8)),
                None,
                vec![
                    opened(datetime!(2026-11-26 09:00 +8), POLICE),
                    involved(datetime!(2026-11-26 10:00 +8), JUDICIAL),
                    moved(datetime!(2026-11-26 11:00 +8), Requested, InProgress),
                ],
            ),
            // P5: police, opened the week before, on hold, no due date.
            case(
                5,
                PERMIT,
                None,
                None,
                vec![
                    opened(datetime!(2026-11-20 09:00 +8), POLICE),
                    moved(datetime!(2026-11-20 10:00 +8), Requested, OnHold),
                ],
            ),
            // C2: committee opens on Sunday, refers to police, police completes at Monday 00:00 local
            // (= Sunday 16:00 UTC): the closing belongs to W49 and to day 11-30, and is credited to police.
            case(
                6,
                MEDIATION,
                Some(datetime!(2026-11-30 12:00 +8)),
                Some(4),
                vec![
                    opened(datetime!(2026-11-29 08:00 +8), COMMITTEE),
                    referred(datetime!(2026-11-29 20:00 +8), COMMITTEE, POLICE),
                    completed(datetime!(2026-11-30 00:00 +8)),
                ],
            ),
            // C3: police, opened at 16:00 UTC on 11-25 = 00:00 local on 11-26; still open, no due date.
            case(7, PERMIT, None, None, vec![opened(datetime!(2026-11-25 16:00 UTC), POLICE)]),
            // K1: committee, 10 h, no due, rating 3.
            case(
                8,
                MEDIATION,
                None,
                Some(3),
                vec![opened(datetime!(2026-11-23 10:00 +8), COMMITTEE), completed(datetime!(2026-11-23 20:00 +8))],
            ),
            // K2: committee, 14 h, closed exactly at its due time (on time); out-of-range rating ignored.
            case(
                9,
                MEDIATION,
                Some(datetime!(2026-11-25 00:00 +8)),
                Some(9),
                vec![opened(datetime!(2026-11-24 10:00 +8), COMMITTEE), completed(datetime!(2026-11-25 00:00 +8))],
            ),
            // Q: opened at the last millisecond of 2026-Q4 (local), completed at 00:00 local on 2027-01-01.
            case(
                10,
                PERMIT,
                Some(datetime!(2027-01-02 00:00 +8)),
                Some(5),
                vec![opened(datetime!(2026-12-31 23:59:59.999 +8), POLICE), completed(datetime!(2027-01-01 00:00 +8))],
            ),
        ]
    }

    const LATER: OffsetDateTime = datetime!(2027-02-01 00:00 UTC);

    /// counts = [opened, referrals_in, referrals_out, closed, open_at_end, open_overdue, closed_with_due,
    /// closed_on_time, rated]; rates = [closure_rate, on_time_rate, median_hours_to_close, average_rating].
    fn row(unit: &str, service: Option<&str>, counts: [u64; 9], rates: [Option<f64>; 4]) -> FigureRow {
        let [
            opened,
            referrals_in,
            referrals_out,
            closed,
            open_at_end,
            open_overdue,
            closed_with_due,
            closed_on_time,
            rated,
        ] = counts;
        let [closure_rate, on_time_rate, median_hours_to_close, average_rating] = rates;
        FigureRow {
            unit: unit.into(),
            service: service.map(Into::into),
            opened,
            referrals_in,
            referrals_out,
            closed,
            open_at_end,
            open_overdue,
            closed_with_due,
            closed_on_time,
            rated,
            closure_rate,
            on_time_rate,
            median_hours_to_close,
            average_rating,
        }
    }

    fn report(kind: &str, date: &str, now: OffsetDateTime) -> Report {
        compute(&Period::parse(kind, date).unwrap(), &seeded(), now)
    }

    fn week_48() -> Vec<FigureRow> {
        let committee = |service| {
            row(COMMITTEE, service, [3, 0, 1, 2, 0, 0, 1, 1, 1], [Some(1.0), Some(1.0), Some(12.0), Some(3.0)])
        };
        let judicial = |service| row(JUDICIAL, service, [0, 1, 0, 0, 0, 0, 0, 0, 0], [None; 4]);
        vec![
            committee(None),
            committee(Some(MEDIATION)),
            judicial(None),
            judicial(Some(PERMIT)),
            row(POLICE, None, [5, 1, 0, 3, 4, 1, 2, 1, 2], [Some(3.0 / 7.0), Some(0.5), Some(4.0), Some(3.5)]),
            row(POLICE, Some(MEDIATION), [1, 1, 0, 1, 1, 0, 0, 0, 0], [Some(0.5), None, Some(30.0), None]),
            row(POLICE, Some(PERMIT), [4, 0, 0, 2, 3, 1, 2, 1, 2], [Some(0.4), Some(0.5), Some(3.0), Some(3.5)]),
        ]
    }

    #[test]
    fn week_48_all_rows_exact() {
        let r = report("week", "2026-11-26", LATER);
        assert_eq!(r.period.label, "2026-W48");
        assert_eq!(r.as_of, datetime!(2026-11-30 00:00 +8));
        assert_eq!(r.rows, week_48());
    }

    #[test]
    fn referral_moves_closing_credit_to_second_unit_across_sunday_monday() {
        // W49: only police, who closed C2 after committee-north referred it; committee-north has no row at all.
        let r = report("week", "2026-11-30", LATER);
        assert_eq!(r.period.label, "2026-W49");
        let police = row(POLICE, None, [0, 0, 0, 1, 3, 1, 1, 1, 1], [Some(0.25), Some(1.0), Some(16.0), Some(4.0)]);
        assert_eq!(r.rows[0], police);
        assert_eq!(r.rows.len(), 3);
        assert!(r.rows.iter().all(|row| row.unit == POLICE));
        assert_eq!(
            r.rows[1],
            row(POLICE, Some(MEDIATION), [0, 0, 0, 1, 0, 0, 1, 1, 1], [Some(1.0), Some(1.0), Some(16.0), Some(4.0)])
        );
    }

    #[test]
    fn utc_afternoon_counts_on_next_local_day() {
        // C2 closes at 2026-11-29 16:00 UTC, which is 2026-11-30 00:00 local.
        let sunday = report("day", "2026-11-29", LATER);
        let police_sunday = sunday.rows.iter().find(|r| r.unit == POLICE && r.service.is_none()).unwrap();
        assert_eq!((police_sunday.closed, police_sunday.referrals_in, police_sunday.open_at_end), (0, 1, 4));
        let monday = report("day", "2026-11-30", LATER);
        let police_monday = monday.rows.iter().find(|r| r.unit == POLICE && r.service.is_none()).unwrap();
        assert_eq!((police_monday.closed, police_monday.open_at_end), (1, 3));
        // C3 opens at 2026-11-25 16:00 UTC: local day 11-26 (with P4), not 11-25 (P3 only).
        let opened = |date| report("day", date, LATER).rows.iter().find(|r| r.unit == POLICE).unwrap().opened;
        assert_eq!(opened("2026-11-25"), 1);
        assert_eq!(opened("2026-11-26"), 2);
    }

    #[test]
    fn case_straddling_quarter_end_belongs_to_both_quarters() {
        let q4 = report("quarter", "2026-12-31", LATER);
        let q4_police = &q4.rows.iter().find(|r| r.unit == POLICE && r.service.is_none()).unwrap();
        // Q4 police: opened P1-P5, C3 and Q (7); closed P1, P2, P3, C2 (4); open at end P4, P5, C3, Q (4).
        assert_eq!(q4_police.opened, 7);
        assert_eq!(q4_police.closed, 4);
        assert_eq!(q4_police.open_at_end, 4);
        let q1 = report("quarter", "2027-01-01", LATER);
        assert_eq!(q1.period.label, "2027-Q1");
        // Q1 police: Q closed 1 ms after opening; P4, P5, C3 still open; P4 overdue.
        let hours = 0.001 / 3600.0;
        assert_eq!(
            q1.rows[0],
            row(POLICE, None, [0, 0, 0, 1, 3, 1, 1, 1, 1], [Some(0.25), Some(1.0), Some(hours), Some(5.0)])
        );
        // The two days either side of the boundary see the opening and the closing separately.
        let last_day = report("day", "2026-12-31", LATER);
        assert_eq!(last_day.rows[0], row(POLICE, None, [1, 0, 0, 0, 4, 1, 0, 0, 0], [Some(0.0), None, None, None]));
        let first_day = report("day", "2027-01-01", LATER);
        assert_eq!((first_day.rows[0].opened, first_day.rows[0].closed), (0, 1));
    }

    #[test]
    fn now_inside_period_cuts_off_open_and_overdue() {
        // At 12:30 local on Tue 11-24, P2 is open (it closes at 13:00) and overdue (due 12:00); later events unseen.
        let r = report("week", "2026-11-24", datetime!(2026-11-24 12:30 +8));
        assert_eq!(r.as_of, datetime!(2026-11-24 12:30 +8));
        let police = r.rows.iter().find(|r| r.unit == POLICE && r.service.is_none()).unwrap();
        assert_eq!(
            police,
            &row(POLICE, None, [2, 0, 0, 1, 2, 1, 1, 1, 1], [Some(1.0 / 3.0), Some(1.0), Some(2.0), Some(5.0)])
        );
        // Due exactly at the cut-off is not yet overdue (`due_at < as_of`).
        let at_due = report("week", "2026-11-24", datetime!(2026-11-24 12:00 +8));
        let police = at_due.rows.iter().find(|r| r.unit == POLICE && r.service.is_none()).unwrap();
        assert_eq!((police.open_at_end, police.open_overdue), (2, 0));
    }

    #[test]
    fn median_odd_and_even() {
        assert_eq!(median(vec![30.0, 2.0, 4.0]), Some(4.0));
        assert_eq!(median(vec![14.0, 10.0]), Some(12.0));
        assert_eq!(median(vec![5.0, 1.0, 3.0, 100.0]), Some(4.0));
        assert_eq!(median(vec![]), None);
    }

    #[test]
    fn empty_period_has_no_rows() {
        assert!(report("day", "2026-01-01", LATER).rows.is_empty());
        assert!(compute(&Period::parse("week", "2026-11-26").unwrap(), &[], LATER).rows.is_empty());
        // A period in the future relative to `now` sees nothing either.
        let future = Period::containing(PeriodKind::Day, datetime!(2026-11-23 12:00 +8));
        assert!(compute(&future, &seeded(), datetime!(2026-11-20 00:00 UTC)).rows.is_empty());
    }

    #[test]
    fn status_names_round_trip() {
        for status in CaseStatus::ALL {
            assert_eq!(CaseStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(CaseStatus::InProgress.as_str(), "in-progress");
        assert_eq!(CaseStatus::parse("InProgress"), None);
        let terminal: Vec<_> =
            CaseStatus::ALL.into_iter().filter(|s| s.is_terminal()).map(CaseStatus::as_str).collect();
        assert_eq!(terminal, ["rejected", "completed", "cancelled", "failed"]);
    }

    #[test]
    fn serialises_with_snake_case_fields_and_nulls() {
        let json = serde_json::to_value(report("week", "2026-11-26", LATER)).unwrap();
        assert_eq!(json["period"]["kind"], "week");
        assert_eq!(json["period"]["start"], "2026-11-22T16:00:00Z");
        assert_eq!(json["as_of"], "2026-11-29T16:00:00Z");
        assert_eq!(json["rows"][2]["unit"], JUDICIAL);
        assert_eq!(json["rows"][2]["service"], serde_json::Value::Null);
        assert_eq!(json["rows"][2]["median_hours_to_close"], serde_json::Value::Null);
        assert_eq!(json["rows"][0]["median_hours_to_close"], 12.0);
    }

    #[test]
    fn csv_matches_week_48() {
        let csv = super::super::csv::to_csv(&report("week", "2026-11-26", LATER));
        let expected = "\
period,unit,service,opened,referrals_in,referrals_out,closed,open_at_end,open_overdue,closed_with_due,closed_on_time,rated,closure_rate,on_time_rate,median_hours_to_close,average_rating
2026-W48,committee-north,,3,0,1,2,0,0,1,1,1,1.0000,1.0000,12.0000,3.0000
2026-W48,committee-north,mediation,3,0,1,2,0,0,1,1,1,1.0000,1.0000,12.0000,3.0000
2026-W48,judicial,,0,1,0,0,0,0,0,0,0,,,,
2026-W48,judicial,residence-permit,0,1,0,0,0,0,0,0,0,,,,
2026-W48,police,,5,1,0,3,4,1,2,1,2,0.4286,0.5000,4.0000,3.5000
2026-W48,police,mediation,1,1,0,1,1,0,0,0,0,0.5000,,30.0000,
2026-W48,police,residence-permit,4,0,0,2,3,1,2,1,2,0.4000,0.5000,3.0000,3.5000
";
        assert_eq!(csv, expected);
    }

    #[test]
    fn csv_quotes_awkward_names() {
        let period = Period::parse("day", "2026-11-23").unwrap();
        let cases = [case(1, "permit, \"urgent\"", None, None, vec![opened(datetime!(2026-11-23 09:00 +8), "unit a")])];
        let csv = super::super::csv::to_csv(&compute(&period, &cases, LATER));
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[1], "2026-11-23,unit a,,1,0,0,0,1,0,0,0,0,0.0000,,,");
        assert_eq!(lines[2], "2026-11-23,unit a,\"permit, \"\"urgent\"\"\",1,0,0,0,1,0,0,0,0,0.0000,,,");
    }
}
