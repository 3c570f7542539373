//! Stored plugins and their versions. Every uploaded version is kept with
//! its bytes, its sha256 and what it asked for, so an admin can review it
//! and any approved version can be made active again, until its unit
//! removes it to free quota (a pending version's row goes; any other keeps
//! its row without the bytes).
//!
//! State changes take a transaction from the caller, so the act and its
//! audit entry commit together.

use sqlx::{Any, AssertSqlSafe, Row, Transaction};

use super::{Backend, Store, timestamp};
use crate::capabilities::grant::Grant;
use crate::registry::api_doc::ApiDoc;
use crate::registry::manifest::Limits;

/// A version's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum VersionState {
    /// Uploaded, waiting for review; not callable.
    Pending,
    /// Serving calls (at most one version of a plugin).
    Active,
    /// Refused by an admin.
    Rejected,
    /// Stopped by an admin; can be resumed.
    Suspended,
    /// Withdrawn for good.
    Retired,
    /// Was active; another version is active now. Can be rolled back to.
    Superseded,
}

impl VersionState {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            VersionState::Pending => "pending",
            VersionState::Active => "active",
            VersionState::Rejected => "rejected",
            VersionState::Suspended => "suspended",
            VersionState::Retired => "retired",
            VersionState::Superseded => "superseded",
        }
    }

    fn parse(text: &str) -> Result<VersionState, sqlx::Error> {
        Ok(match text {
            "pending" => VersionState::Pending,
            "active" => VersionState::Active,
            "rejected" => VersionState::Rejected,
            "suspended" => VersionState::Suspended,
            "retired" => VersionState::Retired,
            "superseded" => VersionState::Superseded,
            other => return Err(sqlx::Error::Decode(format!("unknown version state {other}").into())),
        })
    }
}

/// A stored version, without its bytes.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct VersionRecord {
    pub plugin_id: String,
    pub version: String,
    pub sha256: String,
    pub size: i64,
    pub state: VersionState,
    /// The manifest as uploaded (TOML).
    pub manifest: String,
    pub requested: Vec<Grant>,
    pub requested_limits: Limits,
    pub granted: Option<Vec<Grant>>,
    pub granted_limits: Option<Limits>,
    pub uploaded_by: String,
    pub uploaded_unit: Option<String>,
    pub uploaded_at: String,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<String>,
    pub review_note: Option<String>,
    /// The routes its `api.json` describes (`METHOD /path`); empty without one.
    pub routes: Vec<String>,
    /// The `api.json` as stored (checked at upload).
    #[serde(skip)]
    pub api: Option<String>,
    /// Its unit removed the component to free quota: the version's record
    /// stays, but it can never run again.
    pub component_removed: bool,
}

/// A plugin: its owner and which version serves.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct PluginRecord {
    pub id: String,
    /// The unit that owns it; none for the platform's own plugins.
    pub owner_unit: Option<String>,
    pub active_version: Option<String>,
    pub created_at: String,
}

/// A version to store as pending.
pub struct NewVersion<'a> {
    pub plugin_id: &'a str,
    pub owner_unit: Option<&'a str>,
    pub version: &'a str,
    pub sha256: &'a str,
    pub component: &'a [u8],
    pub manifest: &'a str,
    pub requested: &'a [Grant],
    pub requested_limits: Limits,
    pub uploaded_by: &'a str,
    pub uploaded_unit: Option<&'a str>,
    /// The checked `api.json`, if the upload carried one.
    pub api: Option<&'a str>,
}

const VERSION_COLUMNS: &str = "plugin_id, version, sha256, size, state, manifest, requested, requested_limits, granted, \
     granted_limits, uploaded_by, uploaded_unit, uploaded_at, reviewed_by, reviewed_at, review_note, api, \
     CAST(LENGTH(component) AS BIGINT) AS stored_bytes";

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("grants and limits always serialise")
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, sqlx::Error> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

fn version_from_row(row: &sqlx::any::AnyRow) -> Result<VersionRecord, sqlx::Error> {
    let granted: Option<String> = row.try_get("granted")?;
    let granted_limits: Option<String> = row.try_get("granted_limits")?;
    let api: Option<String> = row.try_get("api")?;
    // Uploads refuse empty components, so no bytes means removed.
    let stored_bytes: i64 = row.try_get("stored_bytes")?;
    Ok(VersionRecord {
        plugin_id: row.try_get("plugin_id")?,
        version: row.try_get("version")?,
        sha256: row.try_get("sha256")?,
        size: row.try_get("size")?,
        state: VersionState::parse(&row.try_get::<String, _>("state")?)?,
        manifest: row.try_get("manifest")?,
        requested: from_json(&row.try_get::<String, _>("requested")?)?,
        requested_limits: from_json(&row.try_get::<String, _>("requested_limits")?)?,
        granted: granted.as_deref().map(from_json).transpose()?,
        granted_limits: granted_limits.as_deref().map(from_json).transpose()?,
        uploaded_by: row.try_get("uploaded_by")?,
        uploaded_unit: row.try_get("uploaded_unit")?,
        uploaded_at: row.try_get("uploaded_at")?,
        reviewed_by: row.try_get("reviewed_by")?,
        reviewed_at: row.try_get("reviewed_at")?,
        review_note: row.try_get("review_note")?,
        routes: api.as_deref().and_then(|text| ApiDoc::parse(text).ok()).map(|doc| doc.routes()).unwrap_or_default(),
        api,
        component_removed: stored_bytes == 0,
    })
}

fn plugin_from_row(row: &sqlx::any::AnyRow) -> Result<PluginRecord, sqlx::Error> {
    Ok(PluginRecord {
        id: row.try_get("id")?,
        owner_unit: row.try_get("owner_unit")?,
        active_version: row.try_get("active_version")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Stores a version (and the plugin, the first time) as `pending`.
pub async fn insert_version(tx: &mut Transaction<'static, Any>, new: NewVersion<'_>) -> Result<(), sqlx::Error> {
    let now = timestamp::now();
    let exists =
        sqlx::query("SELECT id FROM plugins WHERE id = $1").bind(new.plugin_id).fetch_optional(&mut **tx).await?;
    if exists.is_none() {
        sqlx::query("INSERT INTO plugins (id, owner_unit, active_version, created_at) VALUES ($1, $2, NULL, $3)")
            .bind(new.plugin_id)
            .bind(new.owner_unit)
            .bind(&now)
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query(
        "INSERT INTO plugin_versions (plugin_id, version, sha256, size, component, manifest, state, requested, \
         requested_limits, uploaded_by, uploaded_unit, uploaded_at, api) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(new.plugin_id)
    .bind(new.version)
    .bind(new.sha256)
    .bind(new.component.len() as i64)
    .bind(new.component.to_vec())
    .bind(new.manifest)
    .bind(VersionState::Pending.as_str())
    .bind(json(&new.requested))
    .bind(json(&new.requested_limits))
    .bind(new.uploaded_by)
    .bind(new.uploaded_unit)
    .bind(&now)
    .bind(new.api)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A plugin by id.
pub async fn find_plugin(store: &Store, id: &str) -> Result<Option<PluginRecord>, sqlx::Error> {
    let row = sqlx::query("SELECT id, owner_unit, active_version, created_at FROM plugins WHERE id = $1")
        .bind(id)
        .fetch_optional(store.pool())
        .await?;
    row.as_ref().map(plugin_from_row).transpose()
}

/// Every plugin, or those of one unit.
pub async fn list_plugins(store: &Store, owner_unit: Option<&str>) -> Result<Vec<PluginRecord>, sqlx::Error> {
    let rows = match owner_unit {
        Some(unit) => {
            sqlx::query(
                "SELECT id, owner_unit, active_version, created_at FROM plugins WHERE owner_unit = $1 ORDER BY id",
            )
            .bind(unit)
            .fetch_all(store.pool())
            .await?
        }
        None => {
            sqlx::query("SELECT id, owner_unit, active_version, created_at FROM plugins ORDER BY id")
                .fetch_all(store.pool())
                .await?
        }
    };
    rows.iter().map(plugin_from_row).collect()
}

/// One version.
pub async fn find_version(store: &Store, plugin_id: &str, version: &str) -> Result<Option<VersionRecord>, sqlx::Error> {
    let sql = format!("SELECT {VERSION_COLUMNS} FROM plugin_versions WHERE plugin_id = $1 AND version = $2");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(plugin_id).bind(version).fetch_optional(store.pool()).await?;
    row.as_ref().map(version_from_row).transpose()
}

/// Every version of a plugin, oldest upload first.
pub async fn versions(store: &Store, plugin_id: &str) -> Result<Vec<VersionRecord>, sqlx::Error> {
    let sql =
        format!("SELECT {VERSION_COLUMNS} FROM plugin_versions WHERE plugin_id = $1 ORDER BY uploaded_at, version");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(plugin_id).fetch_all(store.pool()).await?;
    rows.iter().map(version_from_row).collect()
}

/// Every version in a state, by plugin.
pub async fn versions_in_state(store: &Store, state: VersionState) -> Result<Vec<VersionRecord>, sqlx::Error> {
    let sql = format!("SELECT {VERSION_COLUMNS} FROM plugin_versions WHERE state = $1 ORDER BY plugin_id, uploaded_at");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(state.as_str()).fetch_all(store.pool()).await?;
    rows.iter().map(version_from_row).collect()
}

/// A version's component bytes.
pub async fn component(store: &Store, plugin_id: &str, version: &str) -> Result<Vec<u8>, sqlx::Error> {
    sqlx::query("SELECT component FROM plugin_versions WHERE plugin_id = $1 AND version = $2")
        .bind(plugin_id)
        .bind(version)
        .fetch_one(store.pool())
        .await?
        .try_get(0)
}

/// The PostgreSQL channel on which every committed lifecycle change is
/// announced, its payload the plugin's id: every host on the database
/// listens, and brings what it serves of that plugin in line.
pub const LIFECYCLE_CHANNEL: &str = "onewindow_lifecycle";

/// The PostgreSQL advisory lock that lifecycle acts hold, whichever host
/// runs them (any constant no other lock uses: "owlife" in ASCII).
const LIFECYCLE_LOCK: i64 = 0x6f77_6c69_6665;

/// A lifecycle change refused by the database: the version (or plugin) is
/// no longer as the act found it, because another admin, perhaps on
/// another host, changed it meanwhile.
#[derive(Debug, thiserror::Error)]
pub enum TransitionError {
    #[error("{plugin_id} {version} is {actual} now, not {expected}: another admin changed it meanwhile")]
    WrongState { plugin_id: String, version: String, expected: String, actual: String },
    #[error("the active version of {plugin_id} is {actual} now, not {expected}: another admin changed it meanwhile")]
    ActiveChanged { plugin_id: String, expected: String, actual: String },
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
}

/// Begins the transaction of a lifecycle act. On PostgreSQL its first
/// statement takes the lifecycle lock (freed at commit or rollback), so acts
/// from every host on the database run one at a time. SQLite has one host,
/// whose acts the runtime's lifecycle mutex already orders; each act's first
/// statement there is a write, which takes the file's single write lock.
pub async fn begin_lifecycle(store: &Store) -> Result<Transaction<'static, Any>, sqlx::Error> {
    let mut tx = store.pool().begin().await?;
    match store.backend() {
        Backend::Postgres => {
            sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(LIFECYCLE_LOCK).execute(&mut *tx).await?;
        }
        // A write first takes SQLite's write lock at once. A transaction
        // that read first would hold a snapshot, and its first write would
        // fail (SQLITE_BUSY_SNAPSHOT, no waiting helps) whenever anything
        // else — a sign-in, an audit entry — committed in between.
        Backend::Sqlite => {
            sqlx::query("UPDATE plugins SET id = id WHERE 1 = 0").execute(&mut *tx).await?;
        }
    }
    Ok(tx)
}

/// Tells every host that `plugin_id` changed, once `tx` commits (PostgreSQL
/// delivers a notification at commit, and never for a rolled-back one).
/// SQLite has no other host to tell.
pub async fn announce_change(
    store: &Store,
    tx: &mut Transaction<'static, Any>,
    plugin_id: &str,
) -> Result<(), sqlx::Error> {
    if store.backend() == Backend::Postgres {
        sqlx::query("SELECT pg_notify($1, $2)").bind(LIFECYCLE_CHANNEL).bind(plugin_id).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Records an approval (grants, limits, reviewer) of a version that is
/// still pending.
pub async fn set_granted(
    tx: &mut Transaction<'static, Any>,
    plugin_id: &str,
    version: &str,
    granted: &[Grant],
    limits: Limits,
    reviewer: &str,
) -> Result<(), TransitionError> {
    let done = sqlx::query(
        "UPDATE plugin_versions SET granted = $1, granted_limits = $2, reviewed_by = $3, reviewed_at = $4 \
         WHERE plugin_id = $5 AND version = $6 AND state = $7",
    )
    .bind(json(&granted))
    .bind(json(&limits))
    .bind(reviewer)
    .bind(timestamp::now())
    .bind(plugin_id)
    .bind(version)
    .bind(VersionState::Pending.as_str())
    .execute(&mut **tx)
    .await?;
    checked(tx, plugin_id, version, &[VersionState::Pending], done.rows_affected()).await
}

/// Records the rejection of a version that is still pending.
pub async fn set_rejected(
    tx: &mut Transaction<'static, Any>,
    plugin_id: &str,
    version: &str,
    reviewer: &str,
    reason: &str,
) -> Result<(), TransitionError> {
    let done = sqlx::query(
        "UPDATE plugin_versions SET state = $1, reviewed_by = $2, reviewed_at = $3, review_note = $4 \
         WHERE plugin_id = $5 AND version = $6 AND state = $7",
    )
    .bind(VersionState::Rejected.as_str())
    .bind(reviewer)
    .bind(timestamp::now())
    .bind(reason)
    .bind(plugin_id)
    .bind(version)
    .bind(VersionState::Pending.as_str())
    .execute(&mut **tx)
    .await?;
    checked(tx, plugin_id, version, &[VersionState::Pending], done.rows_affected()).await
}

/// Makes `version`, now in one of the states `from`, the plugin's only
/// active version; the one active or suspended before (if any) becomes
/// superseded. Answers the version that was active before.
pub async fn activate(
    tx: &mut Transaction<'static, Any>,
    plugin_id: &str,
    version: &str,
    from: &[VersionState],
) -> Result<Option<String>, TransitionError> {
    transition(tx, plugin_id, version, from, VersionState::Active).await?;
    let previous: Option<String> = sqlx::query("SELECT active_version FROM plugins WHERE id = $1")
        .bind(plugin_id)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
    // At most one version is ever in service (active) or able to return to
    // it by resuming (suspended): activating another supersedes both.
    sqlx::query("UPDATE plugin_versions SET state = $1 WHERE plugin_id = $2 AND state IN ($3, $4) AND version <> $5")
        .bind(VersionState::Superseded.as_str())
        .bind(plugin_id)
        .bind(VersionState::Active.as_str())
        .bind(VersionState::Suspended.as_str())
        .bind(version)
        .execute(&mut **tx)
        .await?;
    // Checked against what was just read, in case a writer that skipped the
    // lifecycle lock got in between.
    let swapped =
        sqlx::query("UPDATE plugins SET active_version = $1 WHERE id = $2 AND COALESCE(active_version, '') = $3")
            .bind(version)
            .bind(plugin_id)
            .bind(previous.clone().unwrap_or_default())
            .execute(&mut **tx)
            .await?;
    if swapped.rows_affected() != 1 {
        return Err(active_changed(tx, plugin_id, previous.as_deref()).await);
    }
    Ok(previous)
}

/// Takes `version`, now in one of the states `from`, out of service
/// (suspended or retired).
pub async fn deactivate(
    tx: &mut Transaction<'static, Any>,
    plugin_id: &str,
    version: &str,
    from: &[VersionState],
    to: VersionState,
) -> Result<(), TransitionError> {
    transition(tx, plugin_id, version, from, to).await?;
    // It was serving, or (suspended) nothing was.
    let cleared = sqlx::query(
        "UPDATE plugins SET active_version = NULL WHERE id = $1 AND (active_version IS NULL OR active_version = $2)",
    )
    .bind(plugin_id)
    .bind(version)
    .execute(&mut **tx)
    .await?;
    if cleared.rows_affected() != 1 {
        return Err(active_changed(tx, plugin_id, Some(version)).await);
    }
    Ok(())
}

/// Withdraws a version that is still pending: its row goes (it never ran,
/// so nothing refers to it). Answers the bytes freed.
pub async fn delete_pending(
    tx: &mut Transaction<'static, Any>,
    plugin_id: &str,
    version: &str,
) -> Result<i64, TransitionError> {
    let freed = stored_bytes(tx, plugin_id, version).await?.unwrap_or(0);
    let done = sqlx::query("DELETE FROM plugin_versions WHERE plugin_id = $1 AND version = $2 AND state = $3")
        .bind(plugin_id)
        .bind(version)
        .bind(VersionState::Pending.as_str())
        .execute(&mut **tx)
        .await?;
    checked(tx, plugin_id, version, &[VersionState::Pending], done.rows_affected()).await?;
    Ok(freed)
}

/// Drops the component bytes of a version now in one of the states `from`,
/// keeping its row (reviews and the audit trail refer to it). The empty
/// component marks it removed: uploads refuse empty components. Answers
/// the bytes freed.
pub async fn drop_component(
    tx: &mut Transaction<'static, Any>,
    plugin_id: &str,
    version: &str,
    from: &[VersionState],
) -> Result<i64, TransitionError> {
    let freed = stored_bytes(tx, plugin_id, version).await?.unwrap_or(0);
    let sql = format!(
        "UPDATE plugin_versions SET component = $1 WHERE plugin_id = $2 AND version = $3 AND state IN ({})",
        placeholders(4, from.len())
    );
    let mut update = sqlx::query(AssertSqlSafe(sql)).bind(Vec::<u8>::new()).bind(plugin_id).bind(version);
    for state in from {
        update = update.bind(state.as_str());
    }
    let done = update.execute(&mut **tx).await?;
    checked(tx, plugin_id, version, from, done.rows_affected()).await?;
    Ok(freed)
}

/// How many bytes of a version's component are stored (0 once removed);
/// none when there is no such version.
pub async fn stored_bytes(
    tx: &mut Transaction<'static, Any>,
    plugin_id: &str,
    version: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT CAST(LENGTH(component) AS BIGINT) FROM plugin_versions WHERE plugin_id = $1 AND version = $2",
    )
    .bind(plugin_id)
    .bind(version)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|row| row.try_get(0)).transpose()
}

/// `$first, $first+1, …`: `count` numbered placeholders for an `IN` list.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Moves a version from one of the states `from` to `to`, or refuses,
/// naming the state it is in.
async fn transition(
    tx: &mut Transaction<'static, Any>,
    plugin_id: &str,
    version: &str,
    from: &[VersionState],
    to: VersionState,
) -> Result<(), TransitionError> {
    let sql = format!(
        "UPDATE plugin_versions SET state = $1 WHERE plugin_id = $2 AND version = $3 AND state IN ({})",
        placeholders(4, from.len())
    );
    let mut update = sqlx::query(AssertSqlSafe(sql)).bind(to.as_str()).bind(plugin_id).bind(version);
    for state in from {
        update = update.bind(state.as_str());
    }
    let done = update.execute(&mut **tx).await?;
    checked(tx, plugin_id, version, from, done.rows_affected()).await
}

/// Ok when the conditional update changed the version's row; else the
/// refusal, naming the state the row is in.
async fn checked(
    tx: &mut Transaction<'static, Any>,
    plugin_id: &str,
    version: &str,
    from: &[VersionState],
    rows: u64,
) -> Result<(), TransitionError> {
    if rows == 1 {
        return Ok(());
    }
    let actual = sqlx::query("SELECT state FROM plugin_versions WHERE plugin_id = $1 AND version = $2")
        .bind(plugin_id)
        .bind(version)
        .fetch_optional(&mut **tx)
        .await?;
    let actual = match actual {
        Some(row) => row.try_get::<String, _>(0)?,
        None => "gone".to_owned(),
    };
    let expected = from.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" or ");
    Err(TransitionError::WrongState { plugin_id: plugin_id.into(), version: version.into(), expected, actual })
}

/// The refusal when the plugin's active version is not `expected`.
async fn active_changed(
    tx: &mut Transaction<'static, Any>,
    plugin_id: &str,
    expected: Option<&str>,
) -> TransitionError {
    let actual = sqlx::query("SELECT active_version FROM plugins WHERE id = $1")
        .bind(plugin_id)
        .fetch_optional(&mut **tx)
        .await
        .and_then(|row| row.map(|row| row.try_get::<Option<String>, _>(0)).transpose());
    let actual = match actual {
        Ok(actual) => actual.flatten().unwrap_or_else(|| "none".to_owned()),
        Err(error) => return error.into(),
    };
    let expected = expected.unwrap_or("none").to_owned();
    TransitionError::ActiveChanged { plugin_id: plugin_id.into(), expected, actual }
}

#[cfg(test)]
mod tests;

/// What one unit keeps in the registry: bytes of every stored version's
/// component, and how many versions wait for review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitUsage {
    pub stored_bytes: i64,
    pub pending: i64,
}

/// The registry use of `unit` (the owner of the plugins).
pub async fn unit_usage(store: &Store, unit: &str) -> Result<UnitUsage, sqlx::Error> {
    let row = sqlx::query(
        "SELECT COALESCE(SUM(LENGTH(v.component)), 0), \
                COALESCE(SUM(CASE WHEN v.state = $2 THEN 1 ELSE 0 END), 0) \
         FROM plugin_versions v JOIN plugins p ON p.id = v.plugin_id WHERE p.owner_unit = $1",
    )
    .bind(unit)
    .bind(VersionState::Pending.as_str())
    .fetch_one(store.pool())
    .await?;
    Ok(UnitUsage { stored_bytes: row.try_get(0)?, pending: row.try_get(1)? })
}

/// The sha256 of every stored component that may run again (all but
/// rejected versions, and those whose component was removed).
pub async fn kept_components(store: &Store) -> Result<std::collections::HashSet<String>, sqlx::Error> {
    let rows = sqlx::query("SELECT DISTINCT sha256 FROM plugin_versions WHERE state <> $1 AND LENGTH(component) > 0")
        .bind(VersionState::Rejected.as_str())
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(|row| row.try_get::<String, _>(0)).collect()
}
