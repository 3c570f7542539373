//! Test support: start the real host in-process on a random port with a
//! fresh database (SQLite file or a new PostgreSQL database), and talk to it
//! over HTTP like a client would.
//!
//! The plugins are built once per test run by `cargo xtask test`, which
//! points `ONEWINDOW_PLUGINS_DIR` at them; compiled artifacts are shared by
//! every test through one cache directory, so each component is compiled
//! once per run, not once per test.

mod client;
mod database;

use std::path::PathBuf;
use std::sync::Arc;

use onewindow::config::{Config, HttpConfig, RuntimeConfig};
use onewindow::startup::Application;
use tokio::sync::oneshot;

pub use client::{Answer, Client};
pub use database::{Backend, postgres_admin_url};

/// Where `cargo xtask` staged the plugins.
pub fn plugins_dir() -> PathBuf {
    let dir = std::env::var_os("ONEWINDOW_PLUGINS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/plugins"));
    assert!(
        dir.join("first-party").is_dir(),
        "no built plugins in {}: run the tests with `cargo xtask test` (it builds them first)",
        dir.display()
    );
    dir
}

/// The services the platform ships, in id order (as `/api/v1/services`
/// lists them).
pub const FIRST_PARTY: [&str; 4] = ["legal-consultation", "lost-id-reissue", "residence-permit", "utility-referral"];

/// The version of a first-party plugin as staged by `cargo xtask`.
pub fn first_party_version(id: &str) -> String {
    let manifest = std::fs::read_to_string(plugins_dir().join("first-party").join(id).join("plugin.toml"))
        .unwrap_or_else(|e| panic!("first-party plugin {id}: {e}"));
    let line = manifest.lines().find(|l| l.starts_with("version")).expect("a version line");
    line.split('"').nth(1).expect("a quoted version").to_owned()
}

/// What to start besides the first-party plugins.
#[derive(Default, Clone, Copy)]
pub struct Options {
    /// Also install the test fixtures (the `misbehaving` plugin).
    pub fixtures: bool,
    /// Sign-in token lifetime, if not the default.
    pub session_ttl_hours: Option<u32>,
    /// The largest component an upload may carry, in MiB, if not the default.
    pub max_component_mb: Option<u32>,
    /// Compile into the host's own data directory (as production does by
    /// default) instead of the cache every test shares.
    pub private_cache: bool,
    /// The most MiB of components one unit may keep, if not the default.
    pub unit_storage_mb: Option<u32>,
    /// Start without installing the first-party plugins.
    pub without_first_party: bool,
    /// The longest deadline a plugin may have, in milliseconds, if not the default.
    pub max_timeout_ms: Option<u32>,
    /// HTTP serving limits, if not the defaults.
    pub http: Option<HttpConfig>,
}

/// A running host.
pub struct TestApp {
    pub client: Client,
    pub backend: Backend,
    pub admin_password: String,
    pub state: onewindow::api::AppState,
    pub config: Config,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    // Shared with the other hosts of the same platform (`another_host`).
    _database: Arc<database::TestDatabase>,
    _data_dir: Arc<tempfile::TempDir>,
}

impl TestApp {
    /// The host with the first-party plugins.
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, Options::default()).await
    }

    /// The host with extra options.
    pub async fn spawn_with(backend: Backend, options: Options) -> TestApp {
        onewindow::telemetry::init_for_tests();
        let data_dir = tempfile::tempdir().expect("temp dir");
        let database = database::TestDatabase::create(backend, data_dir.path()).await;
        let plugins = plugins_dir();
        // One cache for every test of the run: each component compiles once.
        let cache_dir = plugins.join("artifact-cache");
        let mut first_party = vec![];
        if !options.without_first_party {
            first_party.push(plugins.join("first-party"));
        }
        if options.fixtures {
            first_party.push(plugins.join("fixtures"));
        }
        let config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            database: Some(database.url().to_owned()),
            data_dir: data_dir.path().to_path_buf(),
            cache_dir: (!options.private_cache).then_some(cache_dir),
            first_party,
            max_connections: 8,
            session_ttl_hours: options.session_ttl_hours.unwrap_or(12),
            runtime: RuntimeConfig {
                pool_instances: 32,
                max_component_mb: options.max_component_mb.unwrap_or(RuntimeConfig::default().max_component_mb),
                unit_storage_mb: options.unit_storage_mb.unwrap_or(RuntimeConfig::default().unit_storage_mb),
                max_timeout_ms: options.max_timeout_ms.unwrap_or(RuntimeConfig::default().max_timeout_ms),
                ..RuntimeConfig::default()
            },
            http: options.http.unwrap_or_default(),
            log: Default::default(),
        };
        let app = Application::build(config.clone()).await.expect("the host starts");
        let admin_password = app.initial_admin().expect("a fresh database gets an admin").password.clone();
        let (shutdown, server, client, state) = serve(app);
        TestApp {
            client,
            backend,
            admin_password,
            state,
            config,
            shutdown: Some(shutdown),
            server: Some(server),
            _database: Arc::new(database),
            _data_dir: Arc::new(data_dir),
        }
    }

    /// Stops the server gracefully, then starts a new host on the same
    /// data directory and database (as a restart in production would).
    pub async fn restart(mut self) -> TestApp {
        self.stop_server().await;
        let app = Application::build(self.config.clone()).await.expect("the host restarts");
        assert!(app.initial_admin().is_none(), "a restart must not create another admin");
        let (shutdown, server, client, state) = serve(app);
        self.shutdown = Some(shutdown);
        self.server = Some(server);
        self.client = client;
        self.state = state;
        self
    }

    /// A second host of the same platform: a whole application with its own
    /// runtime, on this one's database and data directory (so the same
    /// keys), serving on a port of its own, as another process behind a
    /// load balancer would.
    pub async fn another_host(&self) -> TestApp {
        let app = Application::build(self.config.clone()).await.expect("another host starts");
        assert!(app.initial_admin().is_none(), "the platform already has its admin");
        let (shutdown, server, client, state) = serve(app);
        TestApp {
            client,
            backend: self.backend,
            admin_password: self.admin_password.clone(),
            state,
            config: self.config.clone(),
            shutdown: Some(shutdown),
            server: Some(server),
            _database: self._database.clone(),
            _data_dir: self._data_dir.clone(),
        }
    }

    /// Signals the server to shut down and hands back its task, which ends
    /// once the server has stopped.
    pub fn shut_down(&mut self) -> tokio::task::JoinHandle<()> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        self.server.take().expect("the server is running")
    }

    async fn stop_server(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    /// Signs in the first admin.
    pub async fn admin_token(&self) -> String {
        self.client.sign_in("admin", &self.admin_password).await
    }

    /// Registers and signs in a resident; returns (token, account id).
    pub async fn resident(&self, username: &str) -> (String, String) {
        let password = "resident password 1";
        let answer = self
            .client
            .post_json(
                "/api/v1/auth/register",
                None,
                &serde_json::json!({"username": username, "password": password, "display_name": username}),
            )
            .await;
        assert_eq!(answer.status, 201, "register {username}: {}", answer.body);
        let id = answer.body["id"].as_str().unwrap().to_owned();
        (self.client.sign_in(username, password).await, id)
    }

    /// Creates a staff member of `unit` (as the admin) and signs them in.
    pub async fn staff(&self, username: &str, unit: &str) -> String {
        let admin = self.admin_token().await;
        let password = "staff password 12";
        let answer = self
            .client
            .post_json(
                "/api/v1/admin/accounts",
                Some(&admin),
                &serde_json::json!({"username": username, "display_name": username, "role": "staff", "unit_id": unit, "password": password}),
            )
            .await;
        assert_eq!(answer.status, 201, "create staff {username}: {}", answer.body);
        self.client.sign_in(username, password).await
    }
}

/// Serves `app` on a task until the returned sender fires.
fn serve(app: Application) -> (oneshot::Sender<()>, tokio::task::JoinHandle<()>, Client, onewindow::api::AppState) {
    let client = Client::new(format!("http://{}", app.local_addr()));
    let state = app.state().clone();
    let (shutdown, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        app.run_until(async {
            let _ = stopped.await;
        })
        .await
        .expect("the host serves");
    });
    (shutdown, server, client, state)
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Runs each named async test function on both backends:
/// `on_both_backends!(my_test)` defines `sqlite::my_test` and
/// `postgres::my_test`, each calling `my_test(Backend::…)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Postgres).await
                }
            )*
        }
    };
}
