//! Several hosts on one PostgreSQL database serve one platform. A lifecycle
//! act on any host commits with a notification on [`LIFECYCLE_CHANNEL`]
//! naming the plugin, and every host's listener syncs that plugin at once
//! (see `Registry::sync_plugin`). Notifications are not queued for a
//! listener that is not connected, so every host also compares every plugin
//! with the database on (re)connecting and every [`RECONCILE_EVERY`].
//!
//! On SQLite there is one host, and nothing to follow.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use super::{Registry, RegistryError, Synced};
use crate::store::Backend;
use crate::store::plugins::LIFECYCLE_CHANNEL;

/// How often every plugin is compared with the database, whatever the
/// listener heard.
pub const RECONCILE_EVERY: Duration = Duration::from_secs(30);

/// The first wait before connecting the listener again; it doubles with
/// each failure, up to [`LONGEST_RETRY`].
const FIRST_RETRY: Duration = Duration::from_millis(500);
const LONGEST_RETRY: Duration = Duration::from_secs(30);

/// The tasks following the other hosts' lifecycle changes; dropping this
/// stops them.
pub struct Propagation {
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Propagation {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Starts following lifecycle changes made on any host, on PostgreSQL;
/// `None` on SQLite. Needs a tokio runtime.
pub fn start(registry: Registry, backend: Backend, database_url: &str) -> Option<Propagation> {
    if backend != Backend::Postgres {
        return None;
    }
    let follower = Follower { registry, failures: Arc::default() };
    let listener = tokio::spawn(follower.clone().listen(database_url.to_owned()));
    let reconciler = tokio::spawn(follower.reconcile_every(RECONCILE_EVERY));
    Some(Propagation { tasks: vec![listener, reconciler] })
}

#[derive(Clone)]
struct Follower {
    registry: Registry,
    /// The last failure logged for each plugin, so one that keeps failing to
    /// load is logged once rather than on every reconcile.
    failures: Arc<Mutex<HashMap<String, String>>>,
}

impl Follower {
    /// Listens for announced changes for as long as the host runs,
    /// reconnecting after a failure with a growing pause.
    async fn listen(self, url: String) {
        let mut retry = FIRST_RETRY;
        loop {
            match subscribe(&url).await {
                Ok(mut listener) => {
                    retry = FIRST_RETRY;
                    // What changed while this host was not listening was
                    // announced to no one here.
                    self.reconcile().await;
                    let error = self.follow(&mut listener).await;
                    tracing::warn!("the lifecycle listener failed: {error}; reconnecting in {retry:?}");
                }
                Err(error) => tracing::warn!("cannot listen for lifecycle changes: {error}; retrying in {retry:?}"),
            }
            tokio::time::sleep(retry).await;
            retry = (retry * 2).min(LONGEST_RETRY);
        }
    }

    /// Syncs each plugin announced; answers the error that ends listening.
    async fn follow(&self, listener: &mut PgListener) -> sqlx::Error {
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => {
                    let plugin = notification.payload();
                    self.report(plugin, self.registry.sync_plugin(plugin).await);
                }
                // The connection dropped and sqlx opened it again: whatever
                // was announced in between is lost.
                Ok(None) => {
                    tracing::warn!("the lifecycle listener reconnected; comparing every plugin with the database");
                    self.reconcile().await;
                }
                Err(error) => return error,
            }
        }
    }

    async fn reconcile_every(self, period: Duration) {
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // The first tick is at once, and the listener reconciles on connecting.
        ticks.tick().await;
        loop {
            ticks.tick().await;
            self.reconcile().await;
        }
    }

    async fn reconcile(&self) {
        match self.registry.reconcile().await {
            Ok(outcomes) => {
                for (plugin, outcome) in outcomes {
                    self.report(&plugin, outcome);
                }
            }
            Err(error) => tracing::warn!("cannot compare the plugins served with the database: {error}"),
        }
    }

    fn report(&self, plugin: &str, outcome: Result<Synced, RegistryError>) {
        let mut failures = self.failures.lock().expect("failure log poisoned");
        match outcome {
            Ok(synced) => {
                failures.remove(plugin);
                match synced {
                    Synced::Unchanged => {}
                    Synced::Loaded(version) => tracing::info!(plugin, version, "serving the version now active"),
                    Synced::Stopped => tracing::info!(plugin, "stopped serving: no version is active now"),
                }
            }
            Err(error) => {
                let message = error.to_string();
                if failures.get(plugin) != Some(&message) {
                    tracing::error!(plugin, "cannot serve the plugin as the database has it: {message}");
                    failures.insert(plugin.to_owned(), message);
                }
            }
        }
    }
}

async fn subscribe(url: &str) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen(LIFECYCLE_CHANNEL).await?;
    Ok(listener)
}
