//! Configuration, layered: built-in defaults, then a TOML file
//! (`--config`, or `onewindow.toml` in the working directory if present),
//! then `ONEWINDOW_*` environment variables, then command-line flags.

use std::net::SocketAddr;
use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::telemetry::LogFormat;

/// Everything `onewindow serve` needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// `sqlite://...` or `postgres://...`; default: `sqlite` file `onewindow.db` in `data_dir`.
    pub database: Option<String>,
    /// The one directory the host keeps files in (database, compiled plugins).
    pub data_dir: PathBuf,
    /// Where compiled plugin artifacts are cached; default `data_dir/cache`.
    pub cache_dir: Option<PathBuf>,
    /// Directories of first-party plugins installed on start, each holding
    /// one sub-directory per plugin with `plugin.toml` and `plugin.wasm`.
    pub first_party: Vec<PathBuf>,
    /// How long a sign-in token is valid.
    pub session_ttl_hours: u32,
    /// Database connections in the pool.
    pub max_connections: u32,
    /// Limits of the plugin runtime.
    pub runtime: RuntimeConfig,
    /// Limits of HTTP serving.
    pub http: HttpConfig,
    /// How the host logs.
    pub log: LogConfig,
}

/// How the host logs (`[log]`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `auto` (human, coloured on a terminal), `plain` or `json`.
    pub format: LogFormat,
}

/// Platform-wide maxima and defaults for plugins. A plugin's manifest asks
/// for limits; it gets what it asks for, capped by these maxima.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuntimeConfig {
    /// Instances that can run at once across all plugins (pooling allocator slots).
    pub pool_instances: u32,
    /// Largest linear memory a plugin may have, in MiB.
    pub max_memory_mb: u32,
    /// Longest wall-clock deadline a plugin may have, in milliseconds.
    pub max_timeout_ms: u32,
    /// Most concurrent instances of one plugin.
    pub max_concurrency: u32,
    /// Largest request body passed to a plugin, in KiB.
    pub max_request_kb: u32,
    /// Largest response body accepted from a plugin, in KiB.
    pub max_response_kb: u32,
    /// Largest component an upload may carry, in MiB (Python and JavaScript
    /// runtimes make components of 12–20 MiB).
    pub max_component_mb: u32,
    /// Most component bytes one unit may keep stored, every version of
    /// every plugin it owns together, in MiB.
    pub unit_storage_mb: u32,
    /// Most versions of one unit's plugins waiting for review at once.
    pub unit_pending_versions: u32,
    /// Cores that calls computing past about 10 ms share (they take turns
    /// on them); the others stay free for short calls. Default: one less
    /// than the host's cores, at least one.
    pub compute_lanes: Option<std::num::NonZeroU32>,
}

/// How long a client may take and how many are served at once, so that slow
/// or abusive clients cannot hold the host (see `http_server`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// A connection that has not sent a whole request header this long after
    /// it opened, or after its previous answer, is closed (this also ends
    /// idle keep-alive connections). In milliseconds.
    pub header_read_timeout_ms: u32,
    /// A request body that sends nothing for this long fails the request
    /// (400 `bad-request`). In milliseconds.
    pub body_read_timeout_ms: u32,
    /// A request not answered this long after its header arrived gets 503
    /// `request-timeout`. In milliseconds; must exceed `runtime.max_timeout_ms`
    /// so a plugin's own deadline always answers first.
    pub request_timeout_ms: u32,
    /// Most connections open at once; past it a new connection is closed
    /// as soon as it is accepted.
    pub max_connections: u32,
    /// Most requests handled at once; past it a request gets 503
    /// `service-busy` with `Retry-After` instead of waiting.
    pub max_requests_in_flight: u32,
    /// On shutdown, how long requests in flight may take to finish before
    /// the connections still open are closed. In milliseconds.
    pub shutdown_grace_ms: u32,
}

impl HttpConfig {
    /// Refuses settings that cannot work: a zero limit, or a request timeout
    /// that would cut off a plugin still within its deadline.
    pub fn check(&self, runtime: &RuntimeConfig) -> anyhow::Result<()> {
        let positive = [
            ("http.header_read_timeout_ms", self.header_read_timeout_ms),
            ("http.body_read_timeout_ms", self.body_read_timeout_ms),
            ("http.request_timeout_ms", self.request_timeout_ms),
            ("http.max_connections", self.max_connections),
            ("http.max_requests_in_flight", self.max_requests_in_flight),
        ];
        if let Some((key, _)) = positive.iter().find(|(_, value)| *value == 0) {
            anyhow::bail!("{key} must be at least 1");
        }
        if self.request_timeout_ms <= runtime.max_timeout_ms {
            anyhow::bail!(
                "http.request_timeout_ms ({}) must exceed runtime.max_timeout_ms ({})",
                self.request_timeout_ms,
                runtime.max_timeout_ms
            );
        }
        Ok(())
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: ([127, 0, 0, 1], 8080).into(),
            database: None,
            data_dir: PathBuf::from("data"),
            cache_dir: None,
            first_party: Vec::new(),
            session_ttl_hours: 12,
            max_connections: 8,
            runtime: RuntimeConfig::default(),
            http: HttpConfig::default(),
            log: LogConfig::default(),
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            header_read_timeout_ms: 30_000,
            body_read_timeout_ms: 30_000,
            request_timeout_ms: 60_000,
            max_connections: 1024,
            max_requests_in_flight: 512,
            shutdown_grace_ms: 10_000,
        }
    }
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            pool_instances: 256,
            max_memory_mb: 128,
            max_timeout_ms: 10_000,
            max_concurrency: 64,
            max_request_kb: 1024,
            max_response_kb: 4096,
            max_component_mb: 32,
            unit_storage_mb: 1024,
            unit_pending_versions: 5,
            compute_lanes: None,
        }
    }
}

/// Values given on the command line; `None` leaves the lower layers alone.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub first_party: Vec<PathBuf>,
}

impl Config {
    /// Loads the layers. A missing explicit file, an unknown key or a value
    /// of the wrong type is an error that names the key.
    pub fn load(file: Option<&std::path::Path>, overrides: Overrides) -> anyhow::Result<Config> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) if !path.exists() => anyhow::bail!("config file {} does not exist", path.display()),
            Some(path) => figment = figment.merge(Toml::file(path)),
            None => figment = figment.merge(Toml::file("onewindow.toml")),
        }
        let env = Env::prefixed("ONEWINDOW_").only(&[
            "listen",
            "database",
            "data_dir",
            "cache_dir",
            "session_ttl_hours",
            "max_connections",
        ]);
        // `ONEWINDOW_LOG_FORMAT` is `log.format`.
        let log_env = Env::prefixed("ONEWINDOW_LOG_").only(&["format"]).map(|key| format!("log.{key}").into());
        let config = figment.merge(env).merge(log_env).merge(Serialized::defaults(overrides)).extract()?;
        Ok(config)
    }

    /// The database URL, defaulting to a SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        match &self.database {
            Some(url) => url.clone(),
            None => format!("sqlite://{}?mode=rwc", self.data_dir.join("onewindow.db").display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_toml(text: &str) -> anyhow::Result<Config> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("onewindow.toml");
        std::fs::write(&path, text)?;
        Config::load(Some(&path), Overrides::default())
    }

    #[test]
    fn http_limits_come_from_the_http_table_and_the_rest_keep_their_defaults() {
        let config = load_toml("[http]\nmax_connections = 64\nshutdown_grace_ms = 2500\n").unwrap();
        let expected = HttpConfig { max_connections: 64, shutdown_grace_ms: 2500, ..HttpConfig::default() };
        assert_eq!(config.http, expected);
        assert_eq!(config.runtime.max_timeout_ms, RuntimeConfig::default().max_timeout_ms);
    }

    #[test]
    fn an_unknown_http_key_is_an_error_that_names_it() {
        let error = load_toml("[http]\nmax_conections = 64\n").unwrap_err();
        assert!(format!("{error:#}").contains("max_conections"), "{error:#}");
    }

    #[test]
    fn the_default_http_limits_pass_their_check() {
        HttpConfig::default().check(&RuntimeConfig::default()).unwrap();
    }

    #[test]
    fn a_request_timeout_within_the_plugin_deadline_is_refused() {
        let runtime = RuntimeConfig { max_timeout_ms: 20_000, ..RuntimeConfig::default() };
        let http = HttpConfig { request_timeout_ms: 20_000, ..HttpConfig::default() };
        let error = http.check(&runtime).unwrap_err().to_string();
        assert!(
            error.contains("http.request_timeout_ms (20000) must exceed runtime.max_timeout_ms (20000)"),
            "{error}"
        );
    }

    #[test]
    fn the_log_format_comes_from_the_log_table_and_an_unknown_one_is_named() {
        assert_eq!(load_toml("").unwrap().log.format, LogFormat::Auto);
        assert_eq!(load_toml("[log]\nformat = \"json\"\n").unwrap().log.format, LogFormat::Json);
        let error = load_toml("[log]\nformat = \"colourful\"\n").unwrap_err();
        assert!(format!("{error:#}").contains("colourful"), "{error:#}");
    }

    #[test]
    fn compute_lanes_default_to_the_cores_and_cannot_be_zero() {
        assert_eq!(load_toml("").unwrap().runtime.compute_lanes, None);
        let one = load_toml("[runtime]\ncompute_lanes = 1\n").unwrap().runtime.compute_lanes;
        assert_eq!(one.map(std::num::NonZeroU32::get), Some(1));
        let error = load_toml("[runtime]\ncompute_lanes = 0\n").unwrap_err();
        assert!(format!("{error:#}").contains("compute_lanes"), "{error:#}");
    }

    #[test]
    fn a_zero_limit_is_refused_by_name() {
        let http = HttpConfig { max_requests_in_flight: 0, ..HttpConfig::default() };
        let error = http.check(&RuntimeConfig::default()).unwrap_err().to_string();
        assert_eq!(error, "http.max_requests_in_flight must be at least 1");
    }
}
