//! Logging, set up once per process, and metrics (`metrics`). `RUST_LOG`
//! overrides the default filter.

pub mod metrics;

use std::io::IsTerminal;

use serde::{Deserialize, Serialize};
use tracing_subscriber::EnvFilter;

/// How log lines are written (the `log.format` setting).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable, coloured on a terminal, plain otherwise.
    #[default]
    Auto,
    /// Human-readable, never coloured.
    Plain,
    /// One JSON object per line, for a log collector.
    Json,
}

/// Per-request lines (`tower_http`) are DEBUG: at tens of thousands of
/// requests a second, a line each would cost a share of throughput.
const DEFAULT_FILTER: &str = "info,sqlx=warn,wasmtime=warn,cranelift_codegen=warn";

/// Installs the global `tracing` subscriber (a second call is a no-op).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    // Logs go to stderr; stdout is for what the command itself reports.
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(true).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().with_current_span(true).with_span_list(false).try_init(),
        LogFormat::Plain => builder.with_ansi(false).try_init(),
        // Colour codes only where a terminal turns them into colour: in a
        // file or a journal they are noise.
        LogFormat::Auto => builder.with_ansi(std::io::stderr().is_terminal()).try_init(),
    };
}

/// Logging for tests: captured per test by the test harness, `warn` and
/// above unless `RUST_LOG` says otherwise.
pub fn init_for_tests() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
}
