//! `cargo xtask load`: an HTTP load benchmark of the host on loopback.
//!
//! Starts a release host in this process (the same router and HTTP server
//! as `onewindow serve`, production defaults) on a fresh SQLite database,
//! then on a fresh PostgreSQL database, with the first-party plugins and the
//! `misbehaving` fixture; merges native twins of the fixture's routes into
//! the host's router (`native.rs`: plain axum handlers doing the same SQL on
//! the same table, behind the same middleware); drives each route with a
//! fixed number of requests (`drive.rs`) and prints, per backend, req/s,
//! p50 and p99 of every scenario and each plugin figure as a ratio to its
//! native twin (`report.rs`).
//!
//! The host and the load generator share the machine: the host runs on a
//! runtime of its own (one worker per core, as `onewindow serve`), the
//! generator on another with two workers.
//!
//! Options: `--plugins DIR` (staged by `cargo xtask build-plugins`),
//! `--work DIR` (artifact cache, data directories), `--requests N` per
//! scenario (default 20000), `--applications N` (default 400),
//! `--connections N` (default 16), `--backend sqlite|postgres` (default
//! both), `--quick` (a smoke run: few requests), `--only NAME` (only the
//! scenarios whose name contains NAME, e.g. `--only "select 50 rows, plugin"`:
//! one scenario run long under a profiler).

mod database;
mod drive;
mod host;
mod native;
mod report;
mod scenarios;

use std::path::PathBuf;
use std::process::ExitCode;

use database::Backend;

/// What one run measures.
#[derive(Debug, Clone)]
pub struct Options {
    pub plugins: PathBuf,
    pub work: PathBuf,
    /// Requests per scenario (after the warm-up).
    pub requests: usize,
    /// Whole residence-permit applications.
    pub applications: usize,
    pub connections: usize,
    pub backends: Vec<Backend>,
    /// Runs only the scenarios whose name contains this.
    pub only: Option<String>,
}

impl Options {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
        let mut options = Options {
            plugins: PathBuf::from("target/plugins"),
            work: PathBuf::from("target/load"),
            requests: 20_000,
            applications: 400,
            connections: 16,
            backends: vec![Backend::Sqlite, Backend::Postgres],
            only: None,
        };
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
            match arg.as_str() {
                "--plugins" => options.plugins = value()?.into(),
                "--work" => options.work = value()?.into(),
                "--requests" => options.requests = number(&arg, &value()?)?,
                "--applications" => options.applications = number(&arg, &value()?)?,
                "--connections" => options.connections = number(&arg, &value()?)?,
                "--backend" => options.backends = vec![Backend::parse(&value()?)?],
                "--quick" => (options.requests, options.applications) = (200, 16),
                "--only" => options.only = Some(value()?),
                other => return Err(format!("unknown option {other} (see bench/src/main.rs)")),
            }
        }
        Ok(options)
    }

    /// Untimed requests before each timed run: connections, statement
    /// caches and the instance pool warm up.
    pub fn warm_up(&self) -> usize {
        (self.requests / 10).max(self.connections)
    }

    /// Whether the scenario named `scenario` is to run.
    pub fn runs(&self, scenario: &str) -> bool {
        self.only.as_deref().is_none_or(|only| scenario.contains(only))
    }
}

fn number(option: &str, value: &str) -> Result<usize, String> {
    match value.parse() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{option} needs a positive number, not `{value}`")),
    }
}

fn main() -> ExitCode {
    let options = match Options::parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("onewindow-load: {message}");
            return ExitCode::FAILURE;
        }
    };
    // As deployed: INFO and above, plain lines; the per-request lines are DEBUG.
    onewindow::telemetry::init(onewindow::telemetry::LogFormat::Plain);
    let host_runtime = tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("host").build();
    let load_runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().thread_name("load").build();
    let (Ok(host_runtime), Ok(load_runtime)) = (host_runtime, load_runtime) else {
        eprintln!("onewindow-load: cannot start the async runtimes");
        return ExitCode::FAILURE;
    };
    let mut failed = false;
    for backend in options.backends.clone() {
        match load_runtime.block_on(scenarios::measure(backend, &options, host_runtime.handle())) {
            Ok(table) => println!("{table}"),
            Err(message) => {
                eprintln!("onewindow-load: {backend}: {message}");
                failed = true;
            }
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
