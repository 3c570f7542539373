//! Builds the application from its configuration, so `main` stays tiny and
//! tests start exactly what production starts.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::api::{self, AppState};
use crate::audit;
use crate::auth::password;
use crate::config::{Config, HttpConfig};
use crate::data_dir;
use crate::http_server;
use crate::records::sealing::{KeyOrigin, Keyring};
use crate::records::tables as record_tables;
use crate::registry::{Installer, Registry, first_party, propagation};
use crate::runtime::{ArtifactCache, Runtime};
use crate::store::accounts::{self, NewAccount, Role};
use crate::store::{Store, areas, layout, unit_grants, units};

/// Credentials of an admin created on first start, to show once.
#[derive(Debug, Clone)]
pub struct InitialAdmin {
    pub username: String,
    pub password: String,
}

/// A built, bound, not yet serving application.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    http: HttpConfig,
    initial_admin: Option<InitialAdmin>,
    /// Following lifecycle changes made on other hosts (PostgreSQL only).
    propagation: Option<propagation::Propagation>,
}

impl Application {
    /// Opens the data directory and database, seeds a fresh platform,
    /// loads the active plugins, installs the first-party ones and binds.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        config.http.check(&config.runtime)?;
        keep_freed_heap_small();
        // Before any plugin loads: each registers its series with the recorder.
        crate::telemetry::metrics::install();
        data_dir::open(&config.data_dir)
            .map_err(|e| anyhow::anyhow!("data directory {}: {e}", config.data_dir.display()))?;
        let cache_path = config.cache_dir.clone().unwrap_or_else(|| config.data_dir.join("cache"));
        let cache = ArtifactCache::open(&cache_path)
            .map_err(|e| anyhow::anyhow!("cache directory {}: {e}", cache_path.display()))?;

        let store = Store::connect(&config.database_url(), config.max_connections).await?;
        let store = keyed_audit_trail(store, &config.data_dir).await?;
        layout::move_plugin_tables_to_data_side(&store, &config.database_url()).await?;
        units::seed_defaults(&store).await?;
        areas::seed_defaults(&store).await?;
        unit_grants::seed_defaults(&store).await?;
        record_tables::ensure(&store).await?;
        let initial_admin = ensure_admin(&store).await?;
        let keyring = Arc::new(Keyring::load(&config.data_dir)?);
        if let KeyOrigin::Generated(path) = keyring.origin() {
            tracing::warn!(path = %path.display(), "generated the keys that seal sensitive record columns: back this file up; without it those columns cannot be read");
        }

        let runtime = Arc::new(Runtime::new(config.runtime.clone(), cache, store.clone(), keyring)?);
        let installer = Installer::new(store.clone(), runtime.clone());
        let loaded = installer.load_active().await?;
        tracing::info!(loaded, "active plugins loaded");
        for dir in &config.first_party {
            for (name, outcome) in first_party::install_all(&installer, dir).await? {
                tracing::info!(plugin = %name, ?outcome, "first-party plugin ready");
            }
        }
        // A cache in this host's own data directory is this host's alone to
        // tidy; a configured one may be shared (see `ArtifactCache::collect`).
        if config.cache_dir.is_none() {
            let keep = crate::store::plugins::kept_components(&store).await?;
            match runtime.collect_artifacts(&keep) {
                Ok(0) => {}
                Ok(removed) => tracing::info!(removed, "removed compiled artifacts no stored version needs"),
                Err(error) => tracing::warn!("could not tidy the artifact cache: {error}"),
            }
        }

        // Other hosts on the same PostgreSQL database change plugins too.
        let registry = Registry::new(store.clone(), runtime.clone());
        let propagation = propagation::start(registry, store.backend(), &config.database_url());

        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
        let session_ttl = Duration::from_secs(u64::from(config.session_ttl_hours) * 3600);
        let state = AppState { store, runtime, session_ttl, throttle: Default::default() };
        Ok(Application { listener, state, http: config.http, initial_admin, propagation })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// The admin created on this start, if the database had none.
    pub fn initial_admin(&self) -> Option<&InitialAdmin> {
        self.initial_admin.as_ref()
    }

    /// The shared state (tests use it to reach the installer and store).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then lets in-flight requests
    /// finish for up to the configured grace period.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let store = self.state.store.clone();
        let propagation = self.propagation;
        let app = api::router(self.state);
        http_server::serve(self.listener, app, self.http, shutdown).await;
        drop(propagation);
        store.close().await;
        Ok(())
    }
}

/// Makes glibc's malloc hand large freed blocks back at once. By default
/// it raises its mmap and trim thresholds to the largest block freed so far
/// (up to 32 MiB), after which each thread's arena keeps up to 64 MiB of
/// freed memory for good: a 19 MiB Argon2 buffer per hashing thread (+120 MB
/// of RSS after seven sign-ins on a release host), an upload's component, a
/// compile's buffers. Setting the thresholds turns that off.
fn keep_freed_heap_small() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes two of malloc's tuning parameters.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 20);
    }
}

/// Gives the store the audit key (from the data directory or the
/// environment) and makes sure the trail goes on keyed; `onewindow admin
/// create` uses it too, since it records an entry.
pub async fn keyed_audit_trail(store: Store, data_dir: &std::path::Path) -> anyhow::Result<Store> {
    let key = audit::AuditKey::load(data_dir)?;
    if let audit::KeyOrigin::Generated(path) = key.origin() {
        tracing::warn!(path = %path.display(), "generated the audit trail's key: back this file up apart from the database; without it the trail cannot be verified");
    }
    let store = store.with_audit_key(key);
    match audit::ensure_keyed(&store).await? {
        audit::Keying::Empty | audit::Keying::Keyed => {}
        audit::Keying::SwitchedOver(seq) => {
            tracing::info!(seq, "the audit trail is keyed from this entry on; older entries keep their unkeyed hashes");
        }
        // A key made just now cannot be the one a written trail was keyed
        // with: most likely a second host whose operator did not copy the
        // keys. Its entries would break the trail for every host, so it
        // does not start (and forgets the unused key, so the next start
        // does not take it for the right one).
        audit::Keying::Unverifiable(problem)
            if matches!(store_key_origin(&store), Some(audit::KeyOrigin::Generated(_))) =>
        {
            if let Some(audit::KeyOrigin::Generated(path)) = store_key_origin(&store) {
                let _ = std::fs::remove_file(&path);
            }
            anyhow::bail!(
                "the database's audit trail was written with an audit key this host does not have ({problem}); \
                 this data directory had none, so the one just generated was removed again. Copy the files \
                 `audit-key` and `record-keys` of a host that serves this database into {} (or set \
                 ONEWINDOW_AUDIT_KEY and ONEWINDOW_RECORD_KEYS), as README \"Running several hosts\" shows. \
                 If the trail's key is lost for good, create a new key file on purpose \
                 (`openssl rand -base64 32 > audit-key`): verification then breaks at this point",
                data_dir.display()
            );
        }
        // Refusing to start would keep admins from investigating; the
        // verification they run names the break.
        audit::Keying::Unverifiable(problem) => {
            tracing::error!(%problem, "the audit trail does not check out with the audit key: restore the key it was written with, or run `onewindow audit verify`");
        }
    }
    Ok(store)
}

fn store_key_origin(store: &Store) -> Option<audit::KeyOrigin> {
    store.audit_key().map(|key| key.origin().clone())
}

/// Creates the first admin when there is none, with a random password.
async fn ensure_admin(store: &Store) -> anyhow::Result<Option<InitialAdmin>> {
    if accounts::count_admins(store).await? > 0 {
        return Ok(None);
    }
    let secret = password::generate();
    let hash = tokio::task::spawn_blocking({
        let secret = secret.clone();
        move || password::hash(&secret)
    })
    .await?;
    let new = NewAccount {
        username: "admin",
        display_name: "Platform admin",
        role: Role::Admin,
        unit_id: None,
        password_hash: &hash,
    };
    let mut tx = store.pool().begin().await?;
    match accounts::create(&mut tx, new).await {
        Ok(account) => {
            record_admin_created(store, &mut tx, &account, "first start").await?;
            tx.commit().await?;
            Ok(Some(InitialAdmin { username: "admin".into(), password: secret }))
        }
        // Another host created it at the same moment (shared PostgreSQL).
        Err(accounts::CreateError::UsernameTaken) => Ok(None),
        Err(accounts::CreateError::Database(e)) => Err(e.into()),
    }
}

/// Records an admin the platform itself created (first start, or
/// `onewindow admin create`), in the transaction that created it.
pub async fn record_admin_created(
    store: &Store,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    account: &crate::store::accounts::Account,
    via: &str,
) -> Result<(), sqlx::Error> {
    let target = format!("account:{}", account.id);
    let details = serde_json::json!({ "username": account.username, "role": "admin", "via": via });
    let act = audit::Act {
        actor: &audit::Actor::system(),
        action: "account.create",
        target: &target,
        details,
        request_id: "startup",
    };
    audit::record(store, tx, act).await.map(|_| ())
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
