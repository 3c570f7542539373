//! Configuration, layered: built-in defaults, then a TOML file
//! (`--config`, or `onewindow.toml` in the working directory if present),
//! then `ONEWINDOW_*` environment variables, then command-line flags.

use std::net::SocketAddr;
use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

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
        let config = figment.merge(env).merge(Serialized::defaults(overrides)).extract()?;
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
