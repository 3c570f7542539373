//! Logging, set up once per process. `RUST_LOG` overrides the default filter.

use tracing_subscriber::EnvFilter;

/// Installs the global `tracing` subscriber (a second call is a no-op).
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,wasmtime=warn,cranelift_codegen=warn,tower_http=info"));
    // Logs go to stderr; stdout is for what the command itself reports.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(true).with_writer(std::io::stderr).try_init();
}

/// Logging for tests: captured per test by the test harness, `warn` and
/// above unless `RUST_LOG` says otherwise.
pub fn init_for_tests() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
}
