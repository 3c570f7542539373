//! Cases: owned by the host, assigned to units, moved through the
//! closed-loop referral model, with one append-only history across every
//! unit they pass through. Every operation runs in a [`RequestTx`], so a
//! plugin's case changes commit with its other writes, and the staff API's
//! with its own.
//!
//! Writes come first and are conditional (`... WHERE status = $from`): on
//! SQLite the transaction then holds the write lock before it reads, and a
//! concurrent change shows up as a conflict instead of a lost update.

use sqlx::Row;
use sqlx::any::AnyRow;
use time::{Duration, OffsetDateTime};

use super::notifications::{self, Message};
use super::statement::{Param, Statement};
use super::timestamp;
use super::tx::{RequestTx, Run};
use crate::registry::manifest::ColumnType;

/// The status of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CaseStatus {
    Requested,
    Accepted,
    Rejected,
    InProgress,
    OnHold,
    Completed,
    Cancelled,
    Failed,
}

impl CaseStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [CaseStatus; 8] = [
        CaseStatus::Requested,
        CaseStatus::Accepted,
        CaseStatus::Rejected,
        CaseStatus::InProgress,
        CaseStatus::OnHold,
        CaseStatus::Completed,
        CaseStatus::Cancelled,
        CaseStatus::Failed,
    ];

    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Requested => "requested",
            CaseStatus::Accepted => "accepted",
            CaseStatus::Rejected => "rejected",
            CaseStatus::InProgress => "in-progress",
            CaseStatus::OnHold => "on-hold",
            CaseStatus::Completed => "completed",
            CaseStatus::Cancelled => "cancelled",
            CaseStatus::Failed => "failed",
        }
    }

    /// Parses the stored text.
    pub fn parse(text: &str) -> Option<CaseStatus> {
        CaseStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Final: nothing moves a case out of it.
    pub fn is_terminal(self) -> bool {
        matches!(self, CaseStatus::Rejected | CaseStatus::Completed | CaseStatus::Cancelled | CaseStatus::Failed)
    }

    /// Where a case may go from here (the closed-loop referral model:
    /// requested → accepted | rejected → in-progress ⇄ on-hold → completed |
    /// failed; anything open may be cancelled).
    pub fn allowed_next(self) -> &'static [CaseStatus] {
        use CaseStatus::*;
        match self {
            Requested => &[Accepted, Rejected, Cancelled],
            Accepted => &[InProgress, Cancelled],
            InProgress => &[OnHold, Completed, Failed, Cancelled],
            OnHold => &[InProgress, Cancelled],
            Rejected | Completed | Cancelled | Failed => &[],
        }
    }

    /// The status in the resident's three languages (zh, ug, en).
    pub fn names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            CaseStatus::Requested => ("已受理待审", "تەلەپ قىلىندى", "requested"),
            CaseStatus::Accepted => ("已接收", "قوبۇل قىلىندى", "accepted"),
            CaseStatus::Rejected => ("未予受理", "رەت قىلىندى", "rejected"),
            CaseStatus::InProgress => ("办理中", "بىر تەرەپ قىلىنىۋاتىدۇ", "in progress"),
            CaseStatus::OnHold => ("待补充材料", "ساقلاپ تۇرۇلدى", "on hold"),
            CaseStatus::Completed => ("已办结", "تاماملاندى", "completed"),
            CaseStatus::Cancelled => ("已撤销", "بىكار قىلىندى", "cancelled"),
            CaseStatus::Failed => ("未能办结", "مەغلۇپ بولدى", "failed"),
        }
    }
}

/// A unit's part in a case.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct CaseUnit {
    pub unit: String,
    /// `lead`, `assist` or `former` (a lead that handed the case over).
    pub role: String,
    pub since: String,
}

/// A case.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Case {
    pub id: i64,
    /// The readable reference, `PREFIX-YEAR-ID` (e.g. `RP-2026-000123`).
    pub reference: String,
    pub service: String,
    pub kind: String,
    pub resident: String,
    /// The unit leading it now.
    pub unit: String,
    /// The resident's area (from their profile) when the case opened.
    pub area: Option<String>,
    pub status: CaseStatus,
    /// The service's own data about the case (JSON text).
    pub data: String,
    pub opened_at: String,
    pub due_at: Option<String>,
    pub closed_at: Option<String>,
    pub updated_at: String,
    pub rating: Option<i64>,
    pub rating_comment: Option<String>,
}

impl Case {
    /// Open, and past its due date at `now`.
    pub fn is_overdue(&self, now: &str) -> bool {
        !self.status.is_terminal() && self.due_at.as_deref().is_some_and(|due| due < now)
    }
}

/// One entry of a case's history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    pub at: String,
    pub actor: String,
    pub actor_unit: Option<String>,
    /// `opened`, `transition`, `referred`, `involved`, `note` or `rated`.
    pub action: String,
    pub from_status: Option<CaseStatus>,
    pub to_status: Option<CaseStatus>,
    pub from_unit: Option<String>,
    pub to_unit: Option<String>,
    pub note: String,
    /// The service (plugin id) it came through, or `staff-console` / `portal`.
    pub via: String,
}

/// Who acts on a case, and through what.
#[derive(Debug, Clone, Copy)]
pub struct CaseActor<'a> {
    /// Account id, or `system`.
    pub id: &'a str,
    pub unit: Option<&'a str>,
    /// The plugin id, `staff-console` or `portal`.
    pub via: &'a str,
}

/// A case to open.
pub struct NewCase<'a> {
    pub prefix: &'a str,
    pub service: &'a str,
    pub kind: &'a str,
    pub resident: &'a str,
    pub unit: &'a str,
    pub data: &'a str,
    pub note: &'a str,
    pub time_limit_days: u32,
}

/// Which cases to list.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub service: Option<String>,
    pub resident: Option<String>,
    /// Cases this unit is or was part of (lead, assisting, or handed over).
    pub unit: Option<String>,
    /// Only cases this unit leads now.
    pub lead_unit: Option<String>,
    pub kind: Option<String>,
    pub status: Option<CaseStatus>,
    pub area: Option<String>,
    /// Open and past due at this instant.
    pub overdue_at: Option<String>,
    pub limit: u32,
    pub offset: u32,
}

/// Why a case operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("case {0} does not exist")]
    NotFound(i64),
    #[error("a {} case cannot become {}; allowed: {}", .from.as_str(), .to.as_str(), allowed(.from))]
    IllegalTransition { from: CaseStatus, to: CaseStatus },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

fn allowed(from: &CaseStatus) -> String {
    let next = from.allowed_next();
    if next.is_empty() {
        "nothing (the case is closed)".into()
    } else {
        next.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
    }
}

/// The largest data document a case keeps.
pub const MAX_DATA_BYTES: usize = 64 * 1024;
/// The longest note.
pub const MAX_NOTE_CHARS: usize = 2000;

fn stmt(sql: &str, params: Vec<Param>) -> Statement {
    Statement { sql: sql.to_owned(), params }
}

fn text(value: &str) -> Param {
    Param::Text(value.to_owned())
}

fn opt_text(value: Option<&str>) -> Param {
    value.map_or(Param::Null(ColumnType::Text), text)
}

fn check_note(note: &str) -> Result<(), CaseError> {
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(CaseError::Invalid(format!("a note is at most {MAX_NOTE_CHARS} characters")));
    }
    Ok(())
}

fn check_data(data: &str) -> Result<(), CaseError> {
    if data.len() > MAX_DATA_BYTES {
        return Err(CaseError::Invalid(format!("case data is at most {MAX_DATA_BYTES} bytes")));
    }
    serde_json::from_str::<serde_json::Value>(data)
        .map_err(|e| CaseError::Invalid(format!("case data must be JSON: {e}")))?;
    Ok(())
}

const CASE_COLUMNS: &str = "id, prefix, service, kind, resident, unit, status, data, opened_at, due_at, closed_at, updated_at, rating, rating_comment, area";

fn decode_case(row: &AnyRow) -> Result<Case, sqlx::Error> {
    let id: i64 = row.try_get(0)?;
    let prefix: String = row.try_get(1)?;
    let opened_at: String = row.try_get(8)?;
    let status: String = row.try_get(6)?;
    Ok(Case {
        id,
        reference: reference(&prefix, &opened_at, id),
        service: row.try_get(2)?,
        kind: row.try_get(3)?,
        resident: row.try_get(4)?,
        unit: row.try_get(5)?,
        status: CaseStatus::parse(&status)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown case status `{status}`").into()))?,
        data: row.try_get(7)?,
        opened_at,
        due_at: row.try_get(9)?,
        closed_at: row.try_get(10)?,
        updated_at: row.try_get(11)?,
        rating: row.try_get(12)?,
        rating_comment: row.try_get(13)?,
        area: row.try_get(14)?,
    })
}

/// `PREFIX-YEAR-ID`, the year in the city's time zone (UTC+8).
fn reference(prefix: &str, opened_at: &str, id: i64) -> String {
    let year = OffsetDateTime::parse(opened_at, &time::format_description::well_known::Rfc3339)
        .map(|at| at.to_offset(city_offset()).year())
        .unwrap_or(0);
    format!("{prefix}-{year}-{id:06}")
}

/// The city's fixed offset from UTC.
pub fn city_offset() -> time::UtcOffset {
    time::UtcOffset::from_hms(8, 0, 0).expect("a valid offset")
}

/// The id a reference names, if it has the shape of one.
pub fn id_of_reference(reference: &str) -> Option<i64> {
    let mut parts = reference.rsplitn(3, '-');
    let id = parts.next()?.parse().ok()?;
    let _year: u32 = parts.next()?.parse().ok()?;
    parts.next().filter(|p| !p.is_empty())?;
    Some(id)
}

/// Opens a case in `requested`, due `time_limit_days` from now.
pub async fn create(tx: &RequestTx, new: NewCase<'_>, actor: CaseActor<'_>) -> Result<Case, CaseError> {
    check_data(new.data)?;
    check_note(new.note)?;
    let now = OffsetDateTime::now_utc();
    let (opened_at, due_at) =
        (timestamp::format(now), timestamp::format(now + Duration::days(new.time_limit_days.into())));
    // The resident's area, so a unit's queue can be filtered by community.
    let area = tx
        .read(stmt("SELECT area FROM r_resident_profile WHERE resident = $1", vec![text(new.resident)]))
        .await?
        .first()
        .map(|r| r.try_get::<Option<String>, _>(0))
        .transpose()?
        .flatten();
    let insert = stmt(
        "INSERT INTO cases (prefix, service, kind, resident, unit, status, data, opened_at, due_at, updated_at, area) \
         VALUES ($1, $2, $3, $4, $5, 'requested', $6, $7, $8, $7, $9) RETURNING id",
        vec![
            text(new.prefix),
            text(new.service),
            text(new.kind),
            text(new.resident),
            text(new.unit),
            text(new.data),
            text(&opened_at),
            text(&due_at),
            opt_text(area.as_deref()),
        ],
    );
    let rows = tx.write(insert, Run::FetchAll).await?.rows();
    let id: i64 = rows.first().ok_or(sqlx::Error::RowNotFound)?.try_get(0)?;
    tx.write(
        stmt(
            "INSERT INTO case_units (case_id, unit, role, since) VALUES ($1, $2, 'lead', $3)",
            vec![Param::Integer(id), text(new.unit), text(&opened_at)],
        ),
        Run::Execute,
    )
    .await?;
    let entry = Entry { to_status: Some(CaseStatus::Requested), to_unit: Some(new.unit), ..Entry::new("opened") };
    append_history(tx, id, &opened_at, actor, entry, new.note).await?;
    let case = get(tx, id).await?.ok_or(CaseError::NotFound(id))?;
    notify_opened(tx, &case).await?;
    Ok(case)
}

/// A case by id.
pub async fn get(tx: &RequestTx, id: i64) -> Result<Option<Case>, sqlx::Error> {
    let sql = format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = $1");
    let rows = tx.read(stmt(&sql, vec![Param::Integer(id)])).await?;
    rows.first().map(decode_case).transpose()
}

/// Cases matching `filter`, newest first, and how many match in all.
pub async fn list(tx: &RequestTx, filter: &CaseFilter) -> Result<(Vec<Case>, i64), sqlx::Error> {
    let mut params = Vec::new();
    let mut conditions = Vec::new();
    let bind = |params: &mut Vec<Param>, p: Param| {
        params.push(p);
        format!("${}", params.len())
    };
    if let Some(service) = &filter.service {
        conditions.push(format!("service = {}", bind(&mut params, text(service))));
    }
    if let Some(resident) = &filter.resident {
        conditions.push(format!("resident = {}", bind(&mut params, text(resident))));
    }
    if let Some(unit) = &filter.unit {
        conditions
            .push(format!("id IN (SELECT case_id FROM case_units WHERE unit = {})", bind(&mut params, text(unit))));
    }
    if let Some(unit) = &filter.lead_unit {
        conditions.push(format!("unit = {}", bind(&mut params, text(unit))));
    }
    if let Some(kind) = &filter.kind {
        conditions.push(format!("kind = {}", bind(&mut params, text(kind))));
    }
    if let Some(area) = &filter.area {
        conditions.push(format!("area = {}", bind(&mut params, text(area))));
    }
    if let Some(status) = filter.status {
        conditions.push(format!("status = {}", bind(&mut params, text(status.as_str()))));
    }
    if let Some(now) = &filter.overdue_at {
        conditions.push(format!(
            "status NOT IN ('rejected', 'completed', 'cancelled', 'failed') AND due_at < {}",
            bind(&mut params, text(now))
        ));
    }
    let filter_sql = if conditions.is_empty() { String::new() } else { format!(" WHERE {}", conditions.join(" AND ")) };
    let count = stmt(&format!("SELECT COUNT(*) FROM cases{filter_sql}"), params.clone());
    let total: i64 = tx.read(count).await?.first().map(|r| r.try_get(0)).transpose()?.unwrap_or(0);
    let limit = bind(&mut params, Param::Integer(filter.limit.into()));
    let offset = bind(&mut params, Param::Integer(filter.offset.into()));
    let sql = format!("SELECT {CASE_COLUMNS} FROM cases{filter_sql} ORDER BY id DESC LIMIT {limit} OFFSET {offset}");
    let rows = tx.read(stmt(&sql, params)).await?;
    Ok((rows.iter().map(decode_case).collect::<Result<_, _>>()?, total))
}

/// Every unit a case has been with, the lead first.
pub async fn units(tx: &RequestTx, id: i64) -> Result<Vec<CaseUnit>, sqlx::Error> {
    let rows = tx
        .read(stmt(
            "SELECT unit, role, since FROM case_units WHERE case_id = $1 \
             ORDER BY CASE role WHEN 'lead' THEN 0 WHEN 'assist' THEN 1 ELSE 2 END, since, unit",
            vec![Param::Integer(id)],
        ))
        .await?;
    rows.iter().map(|r| Ok(CaseUnit { unit: r.try_get(0)?, role: r.try_get(1)?, since: r.try_get(2)? })).collect()
}

/// Whether `unit` is or was part of the case (lead, assisting or former lead).
pub async fn involves(tx: &RequestTx, id: i64, unit: &str) -> Result<bool, sqlx::Error> {
    Ok(units(tx, id).await?.iter().any(|u| u.unit == unit))
}

/// The history of a case, oldest first.
pub async fn history(tx: &RequestTx, id: i64) -> Result<Vec<HistoryEntry>, sqlx::Error> {
    let rows = tx
        .read(stmt(
            "SELECT at, actor, actor_unit, action, from_status, to_status, from_unit, to_unit, note, via \
             FROM case_history WHERE case_id = $1 ORDER BY id",
            vec![Param::Integer(id)],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            let status = |i: usize| -> Result<Option<CaseStatus>, sqlx::Error> {
                Ok(r.try_get::<Option<String>, _>(i)?.as_deref().and_then(CaseStatus::parse))
            };
            Ok(HistoryEntry {
                at: r.try_get(0)?,
                actor: r.try_get(1)?,
                actor_unit: r.try_get(2)?,
                action: r.try_get(3)?,
                from_status: status(4)?,
                to_status: status(5)?,
                from_unit: r.try_get(6)?,
                to_unit: r.try_get(7)?,
                note: r.try_get(8)?,
                via: r.try_get(9)?,
            })
        })
        .collect()
}

/// Moves a case to `to`, if the model allows it from where it is. With
/// `lead`, only while that unit leads the case (the staff console's rule,
/// checked in the same statement so a handover cannot race it).
pub async fn transition(
    tx: &RequestTx,
    id: i64,
    to: CaseStatus,
    note: &str,
    actor: CaseActor<'_>,
    lead: Option<&str>,
) -> Result<Case, CaseError> {
    check_note(note)?;
    let from = get(tx, id).await?.ok_or(CaseError::NotFound(id))?.status;
    if !from.allowed_next().contains(&to) {
        return Err(CaseError::IllegalTransition { from, to });
    }
    let now = timestamp::now();
    let closed_at = if to.is_terminal() { Some(now.as_str()) } else { None };
    let mut params = vec![text(to.as_str()), text(&now), opt_text(closed_at), Param::Integer(id), text(from.as_str())];
    let mut sql =
        "UPDATE cases SET status = $1, updated_at = $2, closed_at = $3 WHERE id = $4 AND status = $5".to_owned();
    if let Some(lead) = lead {
        params.push(text(lead));
        sql += " AND unit = $6";
    }
    let changed = tx.write(stmt(&sql, params), Run::Execute).await?.affected();
    if changed == 0 {
        return Err(CaseError::Conflict(format!("case {id} changed meanwhile; read it again")));
    }
    let entry = Entry { from_status: Some(from), to_status: Some(to), ..Entry::new("transition") };
    append_history(tx, id, &now, actor, entry, note).await?;
    let case = get(tx, id).await?.ok_or(CaseError::NotFound(id))?;
    notify_status(tx, &case).await?;
    Ok(case)
}

/// Hands the lead to `unit` (`keep = false`: the old lead becomes a former
/// lead, still able to read the case) or brings `unit` in to assist.
pub async fn refer(
    tx: &RequestTx,
    id: i64,
    unit: &str,
    keep: bool,
    note: &str,
    actor: CaseActor<'_>,
    lead: Option<&str>,
) -> Result<Case, CaseError> {
    check_note(note)?;
    let case = get(tx, id).await?.ok_or(CaseError::NotFound(id))?;
    if lead.is_some_and(|lead| lead != case.unit) {
        return Err(CaseError::Conflict(format!("case {} changed hands meanwhile; read it again", case.reference)));
    }
    if case.status.is_terminal() {
        return Err(CaseError::Conflict(format!(
            "case {} is {} and cannot be referred",
            case.reference,
            case.status.as_str()
        )));
    }
    let parts = units(tx, id).await?;
    let role_of_target = parts.iter().find(|u| u.unit == unit).map(|u| u.role.as_str());
    // Handing over to a unit already assisting makes it the lead; bringing
    // in a unit that already leads or assists changes nothing, so it is refused.
    let already = match role_of_target {
        Some("lead") => true,
        Some("assist") => keep,
        _ => false,
    };
    if already {
        return Err(CaseError::Conflict(format!("unit `{unit}` is already working on case {}", case.reference)));
    }
    let now = timestamp::now();
    let id_param = Param::Integer(id);
    if keep {
        upsert_unit(tx, id, unit, "assist", &now).await?;
    } else {
        let moved = tx
            .write(
                stmt(
                    "UPDATE cases SET unit = $1, updated_at = $2 WHERE id = $3 AND unit = $4",
                    vec![text(unit), text(&now), id_param.clone(), text(&case.unit)],
                ),
                Run::Execute,
            )
            .await?
            .affected();
        if moved == 0 {
            return Err(CaseError::Conflict(format!("case {} changed meanwhile; read it again", case.reference)));
        }
        tx.write(
            stmt(
                "UPDATE case_units SET role = 'former' WHERE case_id = $1 AND unit = $2",
                vec![id_param.clone(), text(&case.unit)],
            ),
            Run::Execute,
        )
        .await?;
        upsert_unit(tx, id, unit, "lead", &now).await?;
    }
    let action = if keep { "involved" } else { "referred" };
    let entry = Entry { from_unit: Some(&case.unit), to_unit: Some(unit), ..Entry::new(action) };
    append_history(tx, id, &now, actor, entry, note).await?;
    get(tx, id).await?.ok_or(CaseError::NotFound(id))
}

async fn upsert_unit(tx: &RequestTx, id: i64, unit: &str, role: &str, now: &str) -> Result<(), sqlx::Error> {
    tx.write(
        stmt(
            "INSERT INTO case_units (case_id, unit, role, since) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (case_id, unit) DO UPDATE SET role = excluded.role, since = excluded.since",
            vec![Param::Integer(id), text(unit), text(role), text(now)],
        ),
        Run::Execute,
    )
    .await?;
    Ok(())
}

/// Adds a note to the history.
pub async fn add_note(tx: &RequestTx, id: i64, note: &str, actor: CaseActor<'_>) -> Result<(), CaseError> {
    check_note(note)?;
    if note.trim().is_empty() {
        return Err(CaseError::Invalid("a note must not be empty".into()));
    }
    get(tx, id).await?.ok_or(CaseError::NotFound(id))?;
    append_history(tx, id, &timestamp::now(), actor, Entry::new("note"), note).await
}

/// Replaces the service's data about a case.
pub async fn set_data(tx: &RequestTx, id: i64, data: &str) -> Result<Case, CaseError> {
    check_data(data)?;
    let changed = tx
        .write(
            stmt(
                "UPDATE cases SET data = $1, updated_at = $2 WHERE id = $3",
                vec![text(data), text(&timestamp::now()), Param::Integer(id)],
            ),
            Run::Execute,
        )
        .await?
        .affected();
    if changed == 0 {
        return Err(CaseError::NotFound(id));
    }
    get(tx, id).await?.ok_or(CaseError::NotFound(id))
}

/// The resident rates a closed case, once (1–5, with an optional comment).
pub async fn rate(
    tx: &RequestTx,
    id: i64,
    rating: i64,
    comment: &str,
    actor: CaseActor<'_>,
) -> Result<Case, CaseError> {
    if !(1..=5).contains(&rating) {
        return Err(CaseError::Invalid("a rating is 1 to 5".into()));
    }
    check_note(comment)?;
    let case = get(tx, id).await?.ok_or(CaseError::NotFound(id))?;
    if !case.status.is_terminal() {
        return Err(CaseError::Conflict(format!("case {} is still open; rate it once it is closed", case.reference)));
    }
    let now = timestamp::now();
    let changed = tx
        .write(
            stmt(
                "UPDATE cases SET rating = $1, rating_comment = $2, rated_at = $3 WHERE id = $4 AND rating IS NULL",
                vec![Param::Integer(rating), text(comment), text(&now), Param::Integer(id)],
            ),
            Run::Execute,
        )
        .await?
        .affected();
    if changed == 0 {
        return Err(CaseError::Conflict(format!("case {} is already rated", case.reference)));
    }
    append_history(tx, id, &now, actor, Entry::new("rated"), format!("{rating}/5 {comment}").trim()).await?;
    get(tx, id).await?.ok_or(CaseError::NotFound(id))
}

/// The parts of a history entry that vary.
struct Entry<'a> {
    action: &'a str,
    from_status: Option<CaseStatus>,
    to_status: Option<CaseStatus>,
    from_unit: Option<&'a str>,
    to_unit: Option<&'a str>,
}

impl<'a> Entry<'a> {
    fn new(action: &'a str) -> Entry<'a> {
        Entry { action, from_status: None, to_status: None, from_unit: None, to_unit: None }
    }
}

async fn append_history(
    tx: &RequestTx,
    id: i64,
    at: &str,
    actor: CaseActor<'_>,
    entry: Entry<'_>,
    note: &str,
) -> Result<(), CaseError> {
    let status = |s: Option<CaseStatus>| opt_text(s.map(CaseStatus::as_str));
    tx.write(
        stmt(
            "INSERT INTO case_history (case_id, at, actor, actor_unit, action, from_status, to_status, from_unit, to_unit, note, via) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            vec![
                Param::Integer(id),
                text(at),
                text(actor.id),
                opt_text(actor.unit),
                text(entry.action),
                status(entry.from_status),
                status(entry.to_status),
                opt_text(entry.from_unit),
                opt_text(entry.to_unit),
                text(note),
                text(actor.via),
            ],
        ),
        Run::Execute,
    )
    .await?;
    Ok(())
}

/// Tells the resident their case was opened, and its reference.
async fn notify_opened(tx: &RequestTx, case: &Case) -> Result<(), sqlx::Error> {
    let message = Message {
        resident: &case.resident,
        source: "cases",
        template: None,
        zh: format!("您的事项已受理，编号 {}。", case.reference),
        ug: format!("ئىشىڭىز قوبۇل قىلىندى، نومۇرى {}.", case.reference),
        en: format!("Your case {} has been opened.", case.reference),
        case_id: Some(case.id),
        alert_id: None,
    };
    notifications::insert(tx, &message).await.map(|_| ())
}

/// Tells the resident where their case stands, in their inbox.
async fn notify_status(tx: &RequestTx, case: &Case) -> Result<(), sqlx::Error> {
    let (zh, ug, en) = case.status.names();
    let message = Message {
        resident: &case.resident,
        source: "cases",
        template: None,
        zh: format!("您的事项 {} 状态更新为：{zh}。", case.reference),
        ug: format!("{} نومۇرلۇق ئىشىڭىزنىڭ ھالىتى: {ug}.", case.reference),
        en: format!("Your case {} is now {en}.", case.reference),
        case_id: Some(case.id),
        alert_id: None,
    };
    notifications::insert(tx, &message).await.map(|_| ())
}

/// A case and its history, for the figures.
pub struct CaseRecord {
    pub case: Case,
    pub history: Vec<HistoryEntry>,
}

/// Every case that was open at some point of `[start, end)` (UTC, stored
/// form), with its history: opened before the end, and not closed before
/// the start.
pub async fn open_during(tx: &RequestTx, start: &str, end: &str) -> Result<Vec<CaseRecord>, sqlx::Error> {
    let sql = format!(
        "SELECT {CASE_COLUMNS} FROM cases WHERE opened_at < $1 AND (closed_at IS NULL OR closed_at >= $2) ORDER BY id"
    );
    let rows = tx.read(stmt(&sql, vec![text(end), text(start)])).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let case = decode_case(row)?;
        let history = history(tx, case.id).await?;
        out.push(CaseRecord { case, history });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_allows_only_its_transitions() {
        use CaseStatus::*;
        assert_eq!(Requested.allowed_next(), [Accepted, Rejected, Cancelled]);
        assert!(OnHold.allowed_next().contains(&InProgress) && InProgress.allowed_next().contains(&OnHold));
        for status in CaseStatus::ALL {
            assert_eq!(status.is_terminal(), status.allowed_next().is_empty(), "{status:?}");
            assert_eq!(CaseStatus::parse(status.as_str()), Some(status));
        }
        let error = CaseError::IllegalTransition { from: Requested, to: Completed };
        assert_eq!(
            error.to_string(),
            "a requested case cannot become completed; allowed: accepted, rejected, cancelled"
        );
    }

    #[test]
    fn references_read_back_to_their_id() {
        // 16:30 UTC on 31 December is already the next year in the city.
        assert_eq!(reference("RP", "2026-12-31T16:30:00.000Z", 123), "RP-2027-000123");
        assert_eq!(id_of_reference("RP-2027-000123"), Some(123));
        assert_eq!(id_of_reference("LIR-2026-1234567"), Some(1_234_567));
        assert_eq!(id_of_reference("2026-000123"), None);
        assert_eq!(id_of_reference("RP-x-1"), None);
    }
}
