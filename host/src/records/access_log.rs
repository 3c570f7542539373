//! "Who read my data, and why": every read of a personal column of the
//! shared record, through a plugin or the staff console, kept on the
//! platform side. Entries are collected during a request and written when
//! it ends, whatever its outcome (the read happened even if the request's
//! own writes roll back), and before any answer leaves the host.

use sqlx::Row;

use crate::registry::manifest::{ColumnType, Localized};
use crate::store::statement::{Param, Statement, query};
use crate::store::{Store, timestamp};

/// Through what a read was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A plugin version, and whether its owner is a partner unit (whose
    /// reads of personal columns need the resident's consent).
    Plugin { id: String, version: String, partner: bool },
    /// The staff API.
    StaffConsole,
    /// The resident, on their own record (never logged: it is their data).
    Portal,
}

impl Via {
    fn as_str(&self) -> &'static str {
        match self {
            Via::Plugin { .. } => "plugin",
            Via::StaffConsole => "staff-console",
            Via::Portal => "portal",
        }
    }
}

/// One read of personal columns of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessEntry {
    pub resident: String,
    pub table: String,
    pub row_id: i64,
    pub columns: Vec<String>,
    pub via: Via,
    pub unit: Option<String>,
    pub actor: String,
    pub request_id: String,
    pub purpose: Localized,
}

/// Writes `entries` in one transaction on the platform side.
pub async fn write(store: &Store, entries: &[AccessEntry]) -> Result<(), sqlx::Error> {
    if entries.is_empty() {
        return Ok(());
    }
    let at = timestamp::now();
    let mut tx = store.pool().begin().await?;
    for entry in entries {
        let (plugin, version) = match &entry.via {
            Via::Plugin { id, version, .. } => (Param::Text(id.clone()), Param::Text(version.clone())),
            Via::StaffConsole | Via::Portal => (Param::Null(ColumnType::Text), Param::Null(ColumnType::Text)),
        };
        let statement = Statement {
            sql: "INSERT INTO access_log (at, resident, table_name, row_id, columns, via, plugin, plugin_version, unit, actor, request_id, purpose_zh, purpose_ug, purpose_en) \
                  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
                .into(),
            params: vec![
                Param::Text(at.clone()),
                Param::Text(entry.resident.clone()),
                Param::Text(entry.table.clone()),
                Param::Integer(entry.row_id),
                Param::Text(serde_json::to_string(&entry.columns).expect("strings serialise")),
                Param::Text(entry.via.as_str().into()),
                plugin,
                version,
                entry.unit.clone().map_or(Param::Null(ColumnType::Text), Param::Text),
                Param::Text(entry.actor.clone()),
                Param::Text(entry.request_id.clone()),
                Param::Text(entry.purpose.zh.clone()),
                Param::Text(entry.purpose.ug.clone()),
                Param::Text(entry.purpose.en.clone()),
            ],
        };
        query(statement).execute(&mut *tx).await?;
    }
    tx.commit().await
}

/// One entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct StoredEntry {
    pub id: i64,
    pub at: String,
    pub resident: String,
    pub table: String,
    pub row_id: i64,
    pub columns: Vec<String>,
    /// `plugin` or `staff-console`.
    pub via: String,
    pub plugin: Option<String>,
    pub plugin_version: Option<String>,
    pub unit: Option<String>,
    pub actor: String,
    pub request_id: String,
    pub purpose_zh: String,
    pub purpose_ug: String,
    pub purpose_en: String,
    /// Hidden from the resident until this instant (admins only see it).
    pub hidden_until: Option<String>,
    pub hidden_reason: Option<String>,
}

const COLUMNS: &str = "id, at, resident, table_name, row_id, columns, via, plugin, plugin_version, unit, actor, request_id, purpose_zh, purpose_ug, purpose_en, hidden_until, hidden_reason";

fn decode(row: &sqlx::any::AnyRow) -> Result<StoredEntry, sqlx::Error> {
    let columns: String = row.try_get(5)?;
    Ok(StoredEntry {
        id: row.try_get(0)?,
        at: row.try_get(1)?,
        resident: row.try_get(2)?,
        table: row.try_get(3)?,
        row_id: row.try_get(4)?,
        columns: serde_json::from_str(&columns).map_err(|e| sqlx::Error::Decode(e.into()))?,
        via: row.try_get(6)?,
        plugin: row.try_get(7)?,
        plugin_version: row.try_get(8)?,
        unit: row.try_get(9)?,
        actor: row.try_get(10)?,
        request_id: row.try_get(11)?,
        purpose_zh: row.try_get(12)?,
        purpose_ug: row.try_get(13)?,
        purpose_en: row.try_get(14)?,
        hidden_until: row.try_get(15)?,
        hidden_reason: row.try_get(16)?,
    })
}

/// A resident's entries, newest first. `visible_at`: leave out entries
/// hidden at that instant (what the resident sees); `None`: everything
/// (what an admin sees).
pub async fn for_resident(
    store: &Store,
    resident: &str,
    visible_at: Option<&str>,
    limit: u32,
    offset: u32,
) -> Result<Vec<StoredEntry>, sqlx::Error> {
    let mut params = vec![Param::Text(resident.to_owned())];
    let hidden = match visible_at {
        Some(now) => {
            params.push(Param::Text(now.to_owned()));
            " AND (hidden_until IS NULL OR hidden_until <= $2)"
        }
        None => "",
    };
    let n = params.len();
    params.push(Param::Integer(limit.into()));
    params.push(Param::Integer(offset.into()));
    let sql = format!(
        "SELECT {COLUMNS} FROM access_log WHERE resident = $1{hidden} ORDER BY id DESC LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let rows = query(Statement { sql, params }).fetch_all(store.pool()).await?;
    rows.iter().map(decode).collect()
}

/// One entry by id.
pub async fn find(store: &Store, id: i64) -> Result<Option<StoredEntry>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM access_log WHERE id = $1");
    let row = query(Statement { sql, params: vec![Param::Integer(id)] }).fetch_optional(store.pool()).await?;
    row.as_ref().map(decode).transpose()
}

/// Hides an entry from its resident until `until`, with a reason, inside
/// the caller's transaction (which also writes the audit entry).
pub async fn hide(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: i64,
    until: &str,
    reason: &str,
) -> Result<bool, sqlx::Error> {
    let statement = Statement {
        sql: "UPDATE access_log SET hidden_until = $1, hidden_reason = $2 WHERE id = $3".into(),
        params: vec![Param::Text(until.to_owned()), Param::Text(reason.to_owned()), Param::Integer(id)],
    };
    Ok(query(statement).execute(&mut **tx).await?.rows_affected() == 1)
}
