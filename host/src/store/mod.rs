//! Persistence with sqlx over SQLite (the embedded default) or PostgreSQL.
//!
//! The SQL is written once, in the subset both dialects share (`$n`
//! placeholders work on SQLite too), and the few places where they differ
//! live in [`dialect`].
//!
//! Two pools, one rule: **plugins write only the data side.** The platform
//! side (accounts, sessions, units and areas, plugins and grants, the audit
//! trail, the access log, consents) is written by the platform alone; the
//! data side (plugin tables, the shared records, cases, inboxes) is what a
//! plugin's request transaction may touch, together with the staff and
//! resident APIs that edit the same data. On SQLite the two sides are two
//! files, so a plugin's open transaction (which holds its file's single
//! write lock until the call returns) can never make a sign-in, an audit
//! entry or an admin's suspend wait; writers on the data side queue behind
//! it for at most one plugin deadline (the data file's busy timeout is
//! longer than the longest deadline). On PostgreSQL both pools reach one
//! database, where locks are per row; the separate pool still keeps plugins
//! from taking the platform's connections.

pub mod accounts;
pub mod areas;
pub mod cases;
pub mod consents;
pub mod dialect;
pub mod layout;
pub mod notifications;
pub mod plugin_tables;
pub mod plugins;
pub mod sessions;
pub mod sign_in_failures;
pub mod statement;
pub mod timestamp;
pub mod tx;
pub mod unit_grants;
pub mod units;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, ConnectOptions};
use tokio::sync::Semaphore;

pub use dialect::Backend;

/// The database: a pool and which backend it talks to.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    data: AnyPool,
    backend: Backend,
    plugin_connections: Arc<Semaphore>,
    /// What the audit chain's hashes are keyed with (see `audit`).
    audit_key: Option<Arc<crate::audit::AuditKey>>,
}

impl Store {
    /// Connects, prepares the backend (WAL for SQLite) and runs migrations.
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Store> {
        install_default_drivers();
        let backend = Backend::from_url(url)?;
        let pool = open_pool(url, backend, max_connections, backend.connection_setup()).await?;
        let data =
            open_pool(&backend.data_url(url)?, backend, max_connections, backend.data_connection_setup()).await?;
        // Plugin transactions may hold a data connection while their plugin
        // computes, and many plugin reads at once would take them all;
        // leave two for the staff and resident APIs.
        let plugin_connections = Arc::new(Semaphore::new(max_connections.saturating_sub(2).max(1) as usize));
        let store = Store { pool, data, backend, plugin_connections, audit_key: None };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> anyhow::Result<()> {
        match self.backend {
            Backend::Sqlite => {
                sqlx::migrate!("./migrations/sqlite").run(&self.pool).await?;
                sqlx::migrate!("./migrations/sqlite-data").run(&self.data).await?;
            }
            Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&self.pool).await?,
        }
        Ok(())
    }

    /// The platform side: written by the platform alone.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The data side: plugin tables, shared records, cases, inboxes.
    pub fn data_pool(&self) -> &AnyPool {
        &self.data
    }

    /// Slots for plugins' reads and write transactions, fewer than the
    /// data pool's connections so plugins can never starve the staff APIs
    /// of them.
    pub fn plugin_connections(&self) -> &Arc<Semaphore> {
        &self.plugin_connections
    }

    /// This store, recording audit entries keyed with `key`.
    pub fn with_audit_key(mut self, key: crate::audit::AuditKey) -> Store {
        self.audit_key = Some(Arc::new(key));
        self
    }

    /// The audit key, once [`Store::with_audit_key`] gave one.
    pub fn audit_key(&self) -> Option<&crate::audit::AuditKey> {
        self.audit_key.as_deref()
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes every connection (waits for checked-out ones to come back).
    pub async fn close(&self) {
        self.pool.close().await;
        self.data.close().await;
    }
}

async fn open_pool(
    url: &str,
    backend: Backend,
    max_connections: u32,
    setup: &'static [&'static str],
) -> anyhow::Result<AnyPool> {
    let options = AnyConnectOptions::from_str(url)?.log_statements(tracing::log::LevelFilter::Trace);
    let pool = AnyPoolOptions::new()
        .max_connections(max_connections)
        // A PostgreSQL connection may have been closed by the server; a
        // SQLite one is a file opened in this process, and pinging it only
        // cost every acquire a round trip to its worker thread (~15 µs of
        // a plugin's read under load).
        .test_before_acquire(backend == Backend::Postgres)
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(move |conn, _| {
            Box::pin(async move {
                for pragma in setup {
                    sqlx::query(*pragma).execute(&mut *conn).await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await?;
    Ok(pool)
}

/// True when `error` is a unique-constraint violation (on either backend).
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

#[cfg(test)]
mod tests {
    /// The PostgreSQL migrations are the SQLite ones but for the identity
    /// column: kept by hand, proven in step here.
    #[test]
    fn both_backends_migrate_to_the_same_schema() {
        let same = |sqlite: &str, postgres: &str| {
            let translated =
                sqlite.replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY");
            assert_eq!(translated, postgres);
        };
        same(
            include_str!("../../migrations/sqlite/0002_linkage_platform.sql"),
            include_str!("../../migrations/postgres/0002_linkage_platform.sql"),
        );
        same(
            include_str!("../../migrations/sqlite/0003_plugin_api.sql"),
            include_str!("../../migrations/postgres/0004_plugin_api.sql"),
        );
        same(
            include_str!("../../migrations/sqlite/0004_sign_in_failures.sql"),
            include_str!("../../migrations/postgres/0005_sign_in_failures.sql"),
        );
        same(
            include_str!("../../migrations/sqlite-data/0001_linkage_data.sql"),
            include_str!("../../migrations/postgres/0003_linkage_data.sql"),
        );
    }
}
