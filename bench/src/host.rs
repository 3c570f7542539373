//! The host under load: built as `onewindow serve` builds it (production
//! defaults), served by the host's own HTTP server with its router and the
//! native twins merged in.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use onewindow::api::AppState;
use onewindow::config::Config;
use onewindow::startup::Application;
use tokio::sync::oneshot;

use crate::Options;

/// The fixture whose routes have native twins.
pub const FIXTURE: &str = "misbehaving";

/// A serving host.
pub struct Host {
    pub address: SocketAddr,
    pub state: AppState,
    shutdown: oneshot::Sender<()>,
    server: tokio::task::JoinHandle<()>,
    _data_dir: tempfile::TempDir,
}

impl Host {
    /// Builds the host on `database` (its default SQLite file if `None`)
    /// with the first-party plugins and the fixture, and serves it.
    pub async fn start(database: Option<String>, options: &Options) -> Result<Host, String> {
        std::fs::create_dir_all(&options.work).map_err(|e| format!("{}: {e}", options.work.display()))?;
        let data_dir = tempfile::tempdir_in(&options.work).map_err(|e| format!("{}: {e}", options.work.display()))?;
        let fixtures = stage_fixture(&options.plugins, &data_dir.path().join("fixtures"))?;
        let config = Config {
            listen: ([127, 0, 0, 1], 0).into(),
            database,
            data_dir: data_dir.path().join("data"),
            // Compiled once for every run, not once per run.
            cache_dir: Some(options.work.join("artifact-cache")),
            first_party: vec![options.plugins.join("first-party"), fixtures],
            ..Config::default()
        };
        let http = config.http;
        let app = Application::build(config).await.map_err(|e| format!("the host does not start: {e:#}"))?;
        let state = app.state().clone();
        // `run_until` serves `api::router` alone; serve the same state with
        // the twins merged in, on a listener of our own, through the same
        // HTTP server. (What `run_until` adds besides, following plugin
        // changes made by other hosts, has nothing to do here.)
        drop(app);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.map_err(|e| e.to_string())?;
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        let router = onewindow::api::router(state.clone()).merge(crate::native::router(state.clone())?);
        let (shutdown, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(onewindow::http_server::serve(listener, router, http, async {
            let _ = stopped.await;
        }));
        Ok(Host { address, state, shutdown, server, _data_dir: data_dir })
    }

    /// Stops serving and closes the database connections.
    pub async fn stop(self) {
        let _ = self.shutdown.send(());
        let _ = self.server.await;
        self.state.store.close().await;
    }
}

/// Stages the fixture with a first-party plugin's limits: as a test fixture
/// it asks for 4 instances at once, 16 MiB and 300 ms, which a load of 16
/// connections would meet as 503s rather than measure.
fn stage_fixture(plugins: &Path, into: &Path) -> Result<PathBuf, String> {
    let from = plugins.join("fixtures").join(FIXTURE);
    let to = into.join(FIXTURE);
    std::fs::create_dir_all(&to).map_err(|e| format!("{}: {e}", to.display()))?;
    std::fs::copy(from.join("plugin.wasm"), to.join("plugin.wasm"))
        .map_err(|e| format!("{}: {e} (run `cargo xtask build-plugins`)", from.display()))?;
    let manifest = std::fs::read_to_string(from.join("plugin.toml")).map_err(|e| format!("{}: {e}", from.display()))?;
    let mut manifest: toml::Table = manifest.parse().map_err(|e| format!("{}: {e}", from.display()))?;
    let limits = manifest
        .get_mut("limits")
        .and_then(toml::Value::as_table_mut)
        .ok_or_else(|| format!("{}: no [limits]", from.display()))?;
    for (limit, value) in [("memory-mb", 32), ("timeout-ms", 2000), ("max-concurrency", 32)] {
        limits.insert(limit.into(), toml::Value::Integer(value));
    }
    let manifest = toml::to_string(&manifest).map_err(|e| e.to_string())?;
    std::fs::write(to.join("plugin.toml"), manifest).map_err(|e| format!("{}: {e}", to.display()))?;
    Ok(into.to_path_buf())
}
