//! Persistence with sqlx over SQLite (the embedded default) or PostgreSQL.
//!
//! One `Any` pool serves both: the SQL is written once, in the subset both
//! dialects share (`$n` placeholders work on SQLite too), and the few places
//! where they differ live in [`dialect`].

pub mod accounts;
pub mod dialect;
pub mod plugin_tables;
pub mod plugins;
pub mod sessions;
pub mod timestamp;
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
    backend: Backend,
    plugin_writers: Arc<Semaphore>,
}

impl Store {
    /// Connects, prepares the backend (WAL for SQLite) and runs migrations.
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Store> {
        install_default_drivers();
        let backend = Backend::from_url(url)?;
        let options = AnyConnectOptions::from_str(url)?.log_statements(tracing::log::LevelFilter::Trace);
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    for pragma in backend.connection_setup() {
                        sqlx::query(*pragma).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        // Plugin transactions may hold a connection while their plugin
        // computes; leave two for the platform (sign-in, token checks).
        let plugin_writers = Arc::new(Semaphore::new(max_connections.saturating_sub(2).max(1) as usize));
        let store = Store { pool, backend, plugin_writers };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> anyhow::Result<()> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&self.pool).await?,
            Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&self.pool).await?,
        }
        Ok(())
    }

    /// The connection pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Slots for plugin write transactions, fewer than the pool's
    /// connections so plugins can never starve the platform of them.
    pub fn plugin_writers(&self) -> &Arc<Semaphore> {
        &self.plugin_writers
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes every connection (waits for checked-out ones to come back).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// True when `error` is a unique-constraint violation (on either backend).
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}
