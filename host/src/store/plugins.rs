//! Stored plugins and their versions. Every uploaded version is kept with
//! its bytes, its sha256 and what it asked for, so an admin can review it
//! and any approved version can be made active again.
//!
//! State changes take a transaction from the caller, so the act and its
//! audit entry commit together.

use sqlx::{Any, Row, Transaction};

use super::{Store, timestamp};
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
     granted_limits, uploaded_by, uploaded_unit, uploaded_at, reviewed_by, reviewed_at, review_note, api";

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

/// Records an approval: grants, limits, reviewer.
pub async fn set_granted(
    tx: &mut Transaction<'static, Any>,
    plugin_id: &str,
    version: &str,
    granted: &[Grant],
    limits: Limits,
    reviewer: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE plugin_versions SET granted = $1, granted_limits = $2, reviewed_by = $3, reviewed_at = $4 \
         WHERE plugin_id = $5 AND version = $6",
    )
    .bind(json(&granted))
    .bind(json(&limits))
    .bind(reviewer)
    .bind(timestamp::now())
    .bind(plugin_id)
    .bind(version)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records a rejection.
pub async fn set_rejected(
    tx: &mut Transaction<'static, Any>,
    plugin_id: &str,
    version: &str,
    reviewer: &str,
    reason: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE plugin_versions SET state = $1, reviewed_by = $2, reviewed_at = $3, review_note = $4 WHERE plugin_id = $5 AND version = $6",
    )
    .bind(VersionState::Rejected.as_str())
    .bind(reviewer)
    .bind(timestamp::now())
    .bind(reason)
    .bind(plugin_id)
    .bind(version)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Makes `version` the plugin's only active version; the one active or
/// suspended before (if any) becomes superseded.
pub async fn activate(tx: &mut Transaction<'static, Any>, plugin_id: &str, version: &str) -> Result<(), sqlx::Error> {
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
    set_state(tx, plugin_id, version, VersionState::Active).await?;
    sqlx::query("UPDATE plugins SET active_version = $1 WHERE id = $2")
        .bind(version)
        .bind(plugin_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Takes a version out of service (suspended or retired).
pub async fn deactivate(
    tx: &mut Transaction<'static, Any>,
    plugin_id: &str,
    version: &str,
    state: VersionState,
) -> Result<(), sqlx::Error> {
    set_state(tx, plugin_id, version, state).await?;
    sqlx::query("UPDATE plugins SET active_version = NULL WHERE id = $1").bind(plugin_id).execute(&mut **tx).await?;
    Ok(())
}

async fn set_state(
    tx: &mut Transaction<'static, Any>,
    plugin_id: &str,
    version: &str,
    state: VersionState,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE plugin_versions SET state = $1 WHERE plugin_id = $2 AND version = $3")
        .bind(state.as_str())
        .bind(plugin_id)
        .bind(version)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
