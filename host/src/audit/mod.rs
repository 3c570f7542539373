//! The evidence trail: an append-only, hash-chained record of every
//! privileged act. Each entry's hash covers its own fields and the previous
//! entry's hash, so changing, inserting or deleting any entry breaks the
//! chain from that point on; [`verify`] finds the first break.

mod chain;

use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use crate::store::{Store, timestamp};

pub use chain::{Verification, entry_hash, verify, verify_to_head};

/// Who did something: an account, or the platform itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// An account id, or `system`.
    pub id: String,
    /// The actor's unit, for staff.
    pub unit: Option<String>,
}

impl Actor {
    /// The platform acting on its own (first-party installs, start-up).
    pub fn system() -> Actor {
        Actor { id: "system".into(), unit: None }
    }

    /// Someone not signed in (a failed sign-in, say).
    pub fn anonymous() -> Actor {
        Actor { id: "anonymous".into(), unit: None }
    }
}

/// An act to record.
#[derive(Debug, Clone)]
pub struct Act<'a> {
    pub actor: &'a Actor,
    /// What was done, e.g. `plugin.approve`.
    pub action: &'a str,
    /// What it was done to, e.g. `plugin:residence-permit@0.2.0`.
    pub target: &'a str,
    /// Anything else worth keeping (the grants given, a reason, ...).
    pub details: serde_json::Value,
    pub request_id: &'a str,
}

/// A recorded entry.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Entry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub actor_unit: Option<String>,
    pub action: String,
    pub target: String,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub request_id: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Appends an entry inside `tx`, so it commits exactly when the act does.
pub async fn record(tx: &mut Transaction<'static, Any>, act: Act<'_>) -> Result<Entry, sqlx::Error> {
    // Taking the head row first serialises writers on both backends (a row
    // lock on PostgreSQL, the write lock on SQLite), so two acts can never
    // chain onto the same predecessor.
    let head = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
        .fetch_one(&mut **tx)
        .await?;
    let (seq, prev_hash): (i64, String) = (head.try_get(0)?, head.try_get(1)?);
    let mut entry = Entry {
        seq,
        at: timestamp::now(),
        actor: act.actor.id.clone(),
        actor_unit: act.actor.unit.clone(),
        action: act.action.to_owned(),
        target: act.target.to_owned(),
        details: act.details,
        request_id: act.request_id.to_owned(),
        prev_hash,
        hash: String::new(),
    };
    entry.hash = entry_hash(&entry);
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, actor_unit, action, target, details, request_id, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(entry.seq)
    .bind(&entry.at)
    .bind(&entry.actor)
    .bind(&entry.actor_unit)
    .bind(&entry.action)
    .bind(&entry.target)
    .bind(entry.details.to_string())
    .bind(&entry.request_id)
    .bind(&entry.prev_hash)
    .bind(&entry.hash)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1").bind(&entry.hash).execute(&mut **tx).await?;
    Ok(entry)
}

/// Appends an entry in a transaction of its own (for acts that change
/// nothing else, such as a refused upload or a failed sign-in).
pub async fn record_alone(store: &Store, act: Act<'_>) -> Result<Entry, sqlx::Error> {
    let mut tx = store.pool().begin().await?;
    let entry = record(&mut tx, act).await?;
    tx.commit().await?;
    Ok(entry)
}

/// Filters for reading the trail; all optional, AND-ed.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct Query {
    /// Only this actor (account id or `system`).
    pub actor: Option<String>,
    /// Only this action, e.g. `plugin.approve`.
    pub action: Option<String>,
    /// Only this target, e.g. `plugin:residence-permit`; a trailing `*` matches a prefix.
    pub target: Option<String>,
    /// Only entries at or after this time (RFC 3339, UTC).
    pub from: Option<String>,
    /// Only entries before this time (RFC 3339, UTC).
    pub to: Option<String>,
    /// Only entries after this sequence number (for paging).
    pub after: Option<i64>,
    /// At most this many entries (default 50, at most 500).
    pub limit: Option<u32>,
}

/// Reads entries in sequence order.
pub async fn list(store: &Store, query: &Query) -> Result<Vec<Entry>, sqlx::Error> {
    let mut sql = String::from(
        "SELECT seq, at, actor, actor_unit, action, target, details, request_id, prev_hash, hash FROM audit_log WHERE seq > $1",
    );
    let mut binds: Vec<String> = Vec::new();
    // Each condition: `AND <column> <op> $n<suffix>`, with its value bound.
    let mut add = |condition: &str, value: String, suffix: &str| {
        binds.push(value);
        sql += &format!(" AND {condition} ${}{suffix}", binds.len() + 1);
    };
    if let Some(actor) = &query.actor {
        add("actor =", actor.clone(), "");
    }
    if let Some(action) = &query.action {
        add("action =", action.clone(), "");
    }
    match query.target.as_deref().map(|t| t.strip_suffix('*').map_or((t, false), |p| (p, true))) {
        Some((prefix, true)) => {
            let pattern = prefix.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            // SQLite has no default escape character; name it for both.
            add("target LIKE", format!("{pattern}%"), " ESCAPE '\\'");
        }
        Some((exact, false)) => add("target =", exact.to_owned(), ""),
        None => {}
    }
    if let Some(from) = &query.from {
        add("at >=", from.clone(), "");
    }
    if let Some(to) = &query.to {
        add("at <", to.clone(), "");
    }
    let limit = query.limit.unwrap_or(50).clamp(1, 500);
    sql += &format!(" ORDER BY seq LIMIT {limit}");
    let mut statement = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(query.after.unwrap_or(0));
    for value in binds {
        statement = statement.bind(value);
    }
    let rows = statement.fetch_all(store.pool()).await?;
    rows.iter().map(from_row).collect()
}

/// The chain's head: the number and hash of the last entry. Publishing it
/// elsewhere (printing it, say) lets a later check notice a rewritten or
/// truncated trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
}

/// Reads the head.
pub async fn head(store: &Store) -> Result<Head, sqlx::Error> {
    let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(store.pool()).await?;
    Ok(Head { seq: row.try_get(0)?, hash: row.try_get(1)? })
}

/// Every entry, in order (for verification).
pub async fn all(store: &Store) -> Result<Vec<Entry>, sqlx::Error> {
    let rows = sqlx::query("SELECT seq, at, actor, actor_unit, action, target, details, request_id, prev_hash, hash FROM audit_log ORDER BY seq")
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(from_row).collect()
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<Entry, sqlx::Error> {
    let details: String = row.try_get("details")?;
    Ok(Entry {
        seq: row.try_get("seq")?,
        at: row.try_get("at")?,
        actor: row.try_get("actor")?,
        actor_unit: row.try_get("actor_unit")?,
        action: row.try_get("action")?,
        target: row.try_get("target")?,
        details: serde_json::from_str(&details).unwrap_or(serde_json::Value::String(details)),
        request_id: row.try_get("request_id")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}
