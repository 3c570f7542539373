//! `cargo xtask load`: the HTTP load benchmark (`bench/`, binary
//! `onewindow-load`). Builds the plugins and the harness in release, then
//! runs it on SQLite and on PostgreSQL (the server the tests use,
//! `ONEWINDOW_TEST_POSTGRES`, where it creates a fresh database and drops
//! it afterwards); the harness prints one table per backend.
//!
//! ARGS go to the harness: `--quick` (a smoke run of a few hundred
//! requests), `--requests N`, `--applications N`, `--connections N`,
//! `--backend sqlite|postgres`.

use std::path::Path;
use std::process::Command;

use super::{cargo, run, target_dir};

pub fn run_load(staged: &Path, args: &[String]) -> Result<(), String> {
    run(cargo().args(["build", "--release", "-p", "onewindow-bench"]))?;
    let harness = target_dir().join("release").join("onewindow-load");
    // The artifact cache and each run's data directory.
    let work = target_dir().join("load");
    run(Command::new(&harness).arg("--plugins").arg(staged).arg("--work").arg(&work).args(args))
}
