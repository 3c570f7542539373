//! From stored cases to the figures' timelines.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::figures::{CaseEvent, CaseEventKind, CaseTimeline, Report, compute};
use super::period::Period;
use crate::store::cases::{self, CaseRecord};
use crate::store::tx::RequestTx;
use crate::store::{Store, timestamp};

fn instant(text: &str) -> Result<OffsetDateTime, sqlx::Error> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|e| sqlx::Error::Decode(e.into()))
}

/// The timeline of one stored case (notes and ratings are not events).
pub fn timeline(record: &CaseRecord) -> Result<CaseTimeline, sqlx::Error> {
    let mut events = Vec::with_capacity(record.history.len());
    for entry in &record.history {
        let kind = match (entry.action.as_str(), &entry.from_unit, &entry.to_unit) {
            ("opened", _, Some(unit)) => CaseEventKind::Opened {
                unit: unit.clone(),
                status: entry.to_status.unwrap_or(cases::CaseStatus::Requested),
            },
            ("transition", _, _) => match (entry.from_status, entry.to_status) {
                (Some(from), Some(to)) => CaseEventKind::Transition { from, to },
                _ => continue,
            },
            ("referred", Some(from), Some(to)) => {
                CaseEventKind::Referred { from_unit: from.clone(), to_unit: to.clone() }
            }
            ("involved", _, Some(unit)) => CaseEventKind::Involved { unit: unit.clone() },
            _ => continue,
        };
        events.push(CaseEvent { at: instant(&entry.at)?, kind });
    }
    let case = &record.case;
    Ok(CaseTimeline {
        case_id: case.id,
        service: case.service.clone(),
        opened_at: instant(&case.opened_at)?,
        due_at: case.due_at.as_deref().map(instant).transpose()?,
        rating: case.rating.and_then(|r| u8::try_from(r).ok()),
        events,
    })
}

/// The figures of every unit for `period`, as of now.
pub async fn report(store: &Store, period: &Period) -> Result<Report, sqlx::Error> {
    let tx = RequestTx::for_platform(store.clone());
    let records = cases::open_during(&tx, &timestamp::format(period.start), &timestamp::format(period.end)).await?;
    let timelines = records.iter().map(timeline).collect::<Result<Vec<_>, _>>()?;
    Ok(compute(period, &timelines, OffsetDateTime::now_utc()))
}
