//! `cargo xtask reliability`: the reliability suite. Builds the host (debug)
//! and the plugins, then drives the real `onewindow serve` binary as a
//! child process through five scenarios, each printing its figures:
//!
//! 1. kill -9 under concurrent writes, on SQLite and on PostgreSQL: no
//!    acknowledged write may be lost (over at least 10,000 per backend);
//! 2. every PostgreSQL backend of the host's database terminated mid-load,
//!    a few times: the same host process must serve again within a bound;
//! 3. a slowloris and a sign-in flood while a resident is served: the
//!    resident must get every answer;
//! 4. two plugins exhausting memory, the instance pool, connections and the
//!    CPU while a third answers `/noop`: the third must get every answer,
//!    at its median latency of before (within 2× + 1 ms);
//! 5. two host processes on one PostgreSQL database: a lifecycle act
//!    through either reaches the other within 1 s, racing admins leave both
//!    serving what the database says, a host killed -9 serves the new state
//!    on its restart.
//!
//! `cargo xtask reliability [sqlite|postgres|flood|hogs|several-hosts]...` runs only the
//! named scenarios. Fails if any guarantee broke. PostgreSQL is the server the tests use
//! (`ONEWINDOW_TEST_POSTGRES`, default `postgres://postgres@127.0.0.1:5432/postgres`),
//! reached with `psql`; each run creates a database `rel_<random>` and drops it.

mod host;
mod pressure;
mod several_hosts;
mod writes;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use host::{HostSpec, Postgres};

use super::{cargo, run, target_dir};

/// One scenario's result, for the summary table.
pub struct Outcome {
    scenario: String,
    figures: String,
    held: bool,
}

impl Outcome {
    fn new(scenario: &str, figures: String, held: bool) -> Outcome {
        Outcome { scenario: scenario.to_owned(), figures, held }
    }
}

/// Runs every scenario, or those named in `only` (`sqlite`, `postgres`,
/// `flood`, `hogs`, `several-hosts`).
pub fn run_suite(staged: &Path, only: &[String]) -> Result<(), String> {
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    run(cargo().args(["build", "-p", "onewindow"]))?;
    let started = Instant::now();
    let work = target_dir().join("reliability");
    let first_party = vec![staged.join("first-party"), stage_writable_fixture(staged, &work)?];
    let fixture = staged.join("fixtures").join("misbehaving");
    let mut outcomes = Vec::new();

    if wanted("sqlite") {
        let sqlite = HostSpec::fresh(&work, "kill9-sqlite", &first_party)?;
        let result = writes::kill9("sqlite", &sqlite, None, &mut outcomes);
        record_failure(&mut outcomes, "kill -9, sqlite", result.map(drop));
    }

    if wanted("postgres") {
        let result = Postgres::create().and_then(|postgres| {
            let spec = HostSpec {
                database: Some(postgres.url.clone()),
                ..HostSpec::fresh(&work, "kill9-postgres", &first_party)?
            };
            let host = writes::kill9("postgres", &spec, Some(&postgres), &mut outcomes)?;
            let host = host.ok_or("no host left running")?;
            writes::terminate_backends(&host, &postgres, &mut outcomes)
        });
        record_failure(&mut outcomes, "postgres scenarios", result);
    }

    if wanted("flood") {
        let spec = HostSpec::fresh(&work, "slowloris", &first_party)?;
        let result = pressure::slowloris_and_sign_in_flood(&spec, &mut outcomes);
        record_failure(&mut outcomes, "slowloris + sign-in flood", result);
    }

    if wanted("hogs") {
        let spec = HostSpec::fresh(&work, "hogs", &first_party)?;
        let result = pressure::plugin_hogs(&spec, &fixture, &mut outcomes);
        record_failure(&mut outcomes, "plugin hogs vs quiet plugin", result);
    }

    if wanted("several-hosts") {
        let result = several_hosts::lifecycle_across_hosts(&work, &first_party, &fixture, &mut outcomes);
        record_failure(&mut outcomes, "several hosts, one database", result);
    }

    print_summary(&outcomes, started.elapsed());
    let broken: Vec<_> = outcomes.iter().filter(|o| !o.held).map(|o| o.scenario.as_str()).collect();
    if broken.is_empty() {
        let _ = std::fs::remove_dir_all(&work);
        Ok(())
    } else {
        Err(format!("reliability: broken: {} (host logs under {})", broken.join(", "), work.display()))
    }
}

/// The `misbehaving` fixture as a first-party plugin with room for the
/// writers: 16 concurrent calls and a 10 s deadline (its own 4 and 300 ms
/// would turn a busy debug build's slow answers into refusals, which test
/// nothing here).
fn stage_writable_fixture(staged: &Path, work: &Path) -> Result<PathBuf, String> {
    let from = staged.join("fixtures").join("misbehaving");
    let into = work.join("first-party");
    let dir = into.join("misbehaving");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let manifest = std::fs::read_to_string(from.join("plugin.toml")).map_err(|e| format!("{}: {e}", from.display()))?;
    let manifest = manifest
        .replace("timeout-ms = 300", "timeout-ms = 10000")
        .replace("max-concurrency = 4", "max-concurrency = 16");
    std::fs::write(dir.join("plugin.toml"), manifest).map_err(|e| format!("{}: {e}", dir.display()))?;
    std::fs::copy(from.join("plugin.wasm"), dir.join("plugin.wasm")).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(into)
}

/// A scenario that could not even run counts as broken.
fn record_failure(outcomes: &mut Vec<Outcome>, scenario: &str, result: Result<(), String>) {
    if let Err(error) = result {
        println!("reliability: {scenario}: {error}");
        outcomes.push(Outcome::new(scenario, format!("did not complete: {error}"), false));
    }
}

fn print_summary(outcomes: &[Outcome], took: Duration) {
    println!("\nreliability summary ({:.0} s)", took.as_secs_f64());
    let width = outcomes.iter().map(|o| o.scenario.chars().count()).max().unwrap_or(0);
    for outcome in outcomes {
        let verdict = if outcome.held { "held  " } else { "BROKEN" };
        println!("  {verdict} {:width$}  {}", outcome.scenario, outcome.figures);
    }
}

/// Waits until `done` holds, checking every 10 ms; gives up after `limit`.
pub fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) -> Result<(), String> {
    let give_up = Instant::now() + limit;
    while !done() {
        if Instant::now() >= give_up {
            return Err(format!("gave up after {} s waiting for {what}", limit.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}
