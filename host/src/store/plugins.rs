//! Stored plugins and their versions. Every uploaded version is kept with
//! its bytes and sha256, so any approved version can be activated again.

use sqlx::Row;

use super::{Store, timestamp};

/// A version's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VersionState {
    Pending,
    Active,
    Rejected,
    Suspended,
    Retired,
    /// Was active; another version of the plugin is active now.
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
}

/// A stored version, with its component bytes.
#[derive(Debug, Clone)]
pub struct StoredVersion {
    pub plugin_id: String,
    pub version: String,
    pub sha256: String,
    pub component: Vec<u8>,
    pub manifest: String,
    pub state: String,
}

/// A version to store.
pub struct NewVersion<'a> {
    pub plugin_id: &'a str,
    pub owner_unit: Option<&'a str>,
    pub version: &'a str,
    pub sha256: &'a str,
    pub component: &'a [u8],
    pub manifest: &'a str,
    pub installed_by: &'a str,
}

/// Stores a version (and the plugin, the first time) as `pending`.
pub async fn insert_version(store: &Store, new: NewVersion<'_>) -> Result<(), sqlx::Error> {
    let now = timestamp::now();
    let mut tx = store.pool().begin().await?;
    let exists =
        sqlx::query("SELECT id FROM plugins WHERE id = $1").bind(new.plugin_id).fetch_optional(&mut *tx).await?;
    if exists.is_none() {
        sqlx::query("INSERT INTO plugins (id, owner_unit, active_version, created_at) VALUES ($1, $2, NULL, $3)")
            .bind(new.plugin_id)
            .bind(new.owner_unit)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "INSERT INTO plugin_versions (plugin_id, version, sha256, size, component, manifest, state, installed_by, installed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(new.plugin_id)
    .bind(new.version)
    .bind(new.sha256)
    .bind(new.component.len() as i64)
    .bind(new.component.to_vec())
    .bind(new.manifest)
    .bind(VersionState::Pending.as_str())
    .bind(new.installed_by)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// A version's sha256 and state, if stored.
pub async fn version_state(
    store: &Store,
    plugin_id: &str,
    version: &str,
) -> Result<Option<(String, String)>, sqlx::Error> {
    let row = sqlx::query("SELECT sha256, state FROM plugin_versions WHERE plugin_id = $1 AND version = $2")
        .bind(plugin_id)
        .bind(version)
        .fetch_optional(store.pool())
        .await?;
    row.map(|row| Ok((row.try_get(0)?, row.try_get(1)?))).transpose()
}

/// Makes `version` the plugin's only active version.
pub async fn activate(store: &Store, plugin_id: &str, version: &str) -> Result<(), sqlx::Error> {
    let mut tx = store.pool().begin().await?;
    sqlx::query("UPDATE plugin_versions SET state = $1 WHERE plugin_id = $2 AND state = $3 AND version <> $4")
        .bind(VersionState::Superseded.as_str())
        .bind(plugin_id)
        .bind(VersionState::Active.as_str())
        .bind(version)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE plugin_versions SET state = $1 WHERE plugin_id = $2 AND version = $3")
        .bind(VersionState::Active.as_str())
        .bind(plugin_id)
        .bind(version)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE plugins SET active_version = $1 WHERE id = $2")
        .bind(version)
        .bind(plugin_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// Every active version, with its bytes, for loading at start.
pub async fn active_versions(store: &Store) -> Result<Vec<StoredVersion>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT plugin_id, version, sha256, component, manifest, state FROM plugin_versions WHERE state = $1 ORDER BY plugin_id",
    )
    .bind(VersionState::Active.as_str())
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(StoredVersion {
                plugin_id: row.try_get("plugin_id")?,
                version: row.try_get("version")?,
                sha256: row.try_get("sha256")?,
                component: row.try_get("component")?,
                manifest: row.try_get("manifest")?,
                state: row.try_get("state")?,
            })
        })
        .collect()
}
