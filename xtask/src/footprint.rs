//! `cargo xtask footprint`: what the release host costs to keep and to
//! restart with many plugins installed.
//!
//! Builds the release host, the plugins and the Python and JavaScript
//! examples, starts `onewindow serve` on a fresh SQLite data directory
//! under `target/footprint/` and installs copies of them over HTTP, as
//! partner units and the admin would (each copy with its own id and
//! byte-distinct component, so each is compiled and cached on its own):
//!
//! 1. 20 plugins (4 Python, 4 JavaScript, 12 Rust), each upload traced
//!    (time, RSS before and after, the upload's peak RSS); then a few calls
//!    to each, with the RSS each plugin's first calls add; then the host's
//!    RSS and where it is (mapped artifacts, instance pool, heap);
//! 2. 30 more (50 in all), SIGTERM, and 5 restarts on the same data: the
//!    time from spawn to a plugin's first 200 and to the "serving on" line,
//!    the RSS right after, and the host's start-up log lines on that clock.
//!
//! A table of figures against the targets closes the run. Missed targets
//! are reported, not failed: only errors fail the command.

mod catalogue;
mod component;
mod host;
mod memory;
mod timeline;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::http::Client;
use catalogue::{Installed, Language, Uploaders};
use host::Host;
use memory::{Breakdown, Kind, Status, mb, mb_delta};

use super::{cargo, polyglot, run, target_dir};

/// Plugins installed before the RSS is measured, and in all before the
/// restarts.
const FIRST: usize = 20;
const TOTAL: usize = 50;
const RESTARTS: usize = 5;
/// Calls to each plugin after the uploads.
const CALLS_PER_PLUGIN: usize = 5;
/// Issue 10's targets.
const RSS_TARGET: u64 = 150_000_000;
const RESTART_TARGET: Duration = Duration::from_millis(50);
/// How long a restarted host may take to answer before it counts as failed.
const RESTART_TIMEOUT: Duration = Duration::from_secs(120);

pub fn run_footprint(staged: &Path) -> Result<(), String> {
    let polyglot = polyglot::build()?;
    run(cargo().args(["build", "--release", "-p", "onewindow"]))?;
    let sources = catalogue::sources(staged, &polyglot)?;
    let lineup = catalogue::lineup(&sources, TOTAL);
    let data = target_dir().join("footprint").join("data");
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;

    let mut host = Host::spawn(&data, "127.0.0.1:0")?;
    let serving = host.wait_serving()?;
    let password = host.admin_password.clone().ok_or("the fresh host printed no admin password")?;
    println!("footprint: fresh host (pid {}), no plugins: {}", host.pid, Status::read(host.pid)?);
    let mut client = Client::new(&serving.address);
    let uploaders = Uploaders::create(&mut client, &password, &sources)?;

    let mut installed = Vec::new();
    let mut upload_peak = 0;
    for (n, source) in lineup.iter().enumerate().take(FIRST) {
        upload_peak = upload_peak.max(install_traced(&mut client, &uploaders, &host, source, n, &mut installed)?);
    }
    let after_uploads = Status::read(host.pid)?;
    println!("footprint: {FIRST} plugins, after their uploads: {after_uploads}");
    println!("footprint:   where: {}", Breakdown::read(host.pid)?);
    memory::reset_peak(host.pid)?;
    let calls = call_each(&mut client, host.pid, &installed)?;
    let with_first = Status::read(host.pid)?;
    let where_first = Breakdown::read(host.pid)?;
    println!("footprint: {FIRST} plugins, after their uploads and {CALLS_PER_PLUGIN} calls each: {with_first}");
    println!("footprint:   where: {where_first}");
    println!(
        "footprint:   instance pool: {} resident of {} reserved",
        mb(where_first.resident(Kind::InstancePool)),
        mb(where_first.reserved(Kind::InstancePool))
    );
    print_per_language(&calls);

    for (n, source) in lineup.iter().enumerate().skip(FIRST) {
        upload_peak = upload_peak.max(install_traced(&mut client, &uploaders, &host, source, n, &mut installed)?);
    }
    let with_all = Status::read(host.pid)?;
    println!("footprint: {TOTAL} plugins installed, before the restarts: {with_all}");
    drop(client);
    host.stop()?;

    // The largest plugin's public route: the slowest one to be ready.
    let probe = installed
        .iter()
        .rev()
        .find(|plugin| plugin.language == Language::Python)
        .map(|plugin| plugin.probe.clone())
        .ok_or("no Python plugin installed")?;
    let mut restarts = Vec::new();
    for n in 1..=RESTARTS {
        let restart = restart(&data, &probe, n == 1)?;
        println!(
            "footprint: restart {n}/{RESTARTS} with {TOTAL} plugins: {probe} answered 200 after {:.1} ms, \
             \"serving on\" after {:.1} ms; then {}",
            ms(restart.answered),
            ms(restart.serving_line),
            restart.status
        );
        restarts.push(restart);
    }
    let last = restarts.last().expect("at least one restart");
    println!("footprint:   where, after the last restart: {}", last.breakdown);

    let answered = Spread::of(restarts.iter().map(|r| r.answered));
    let serving_line = Spread::of(restarts.iter().map(|r| r.serving_line));
    println!("footprint: restart to a plugin's 200 (ms): {answered}; to \"serving on\" (ms): {serving_line}");
    print_table(&[
        Row::new(
            &format!("host VmRSS, {FIRST} plugins, after uploads"),
            mb(after_uploads.rss),
            &format!("<= {}", mb(RSS_TARGET)),
            Some(after_uploads.rss <= RSS_TARGET),
        ),
        Row::new(
            &format!("host VmRSS, {FIRST} plugins, after uploads + calls"),
            mb(with_first.rss),
            &format!("<= {}", mb(RSS_TARGET)),
            Some(with_first.rss <= RSS_TARGET),
        ),
        Row::new(
            "  of which RssAnon / RssFile",
            format!("{} / {}", mb(with_first.anon), mb(with_first.file)),
            "",
            None,
        ),
        Row::new("largest peak RSS during one upload (VmHWM)", mb(upload_peak), "", None),
        Row::new(
            &format!("restart to a plugin's 200, {TOTAL} plugins (median of {RESTARTS})"),
            format!("{:.1} ms", ms(answered.median)),
            &format!("<= {} ms", RESTART_TARGET.as_millis()),
            Some(answered.median <= RESTART_TARGET),
        ),
        Row::new("  min / max", format!("{:.1} / {:.1} ms", ms(answered.min), ms(answered.max)), "", None),
        Row::new("restart to \"serving on\" line (median)", format!("{:.1} ms", ms(serving_line.median)), "", None),
        Row::new(&format!("host VmRSS right after restart, {TOTAL} plugins"), mb(last.status.rss), "", None),
    ]);
    Ok(())
}

/// Installs `source` as the copy number `n` (from 0), printing the upload's
/// time and what it did to the host's memory; answers the upload's peak RSS.
fn install_traced(
    client: &mut Client,
    uploaders: &Uploaders,
    host: &Host,
    source: &catalogue::Source,
    n: usize,
    installed: &mut Vec<Installed>,
) -> Result<u64, String> {
    let id = format!("fp-{}-{:02}", short(source.language), n + 1);
    let before = Status::read(host.pid)?;
    memory::reset_peak(host.pid)?;
    let plugin = catalogue::install(client, uploaders, source, &id)?;
    let after = Status::read(host.pid)?;
    println!(
        "footprint: [{:02}/{TOTAL}] {id} ({}, {:.1} MB): upload {:.2} s, approve {:.2} s; \
         VmRSS {} -> {} ({}), peak {}",
        n + 1,
        source.name,
        plugin.component_bytes as f64 / 1e6,
        plugin.upload_took.as_secs_f64(),
        plugin.approve_took.as_secs_f64(),
        mb(before.rss),
        mb(after.rss),
        mb_delta(before.rss, after.rss),
        mb(after.hwm)
    );
    installed.push(plugin);
    Ok(after.hwm)
}

fn short(language: Language) -> &'static str {
    match language {
        Language::Python => "py",
        Language::JavaScript => "js",
        Language::Rust => "rs",
    }
}

/// What a plugin's first calls added to the host's memory.
struct Calls {
    language: Language,
    rss: i64,
    by_kind: BTreeMap<Kind, i64>,
}

/// Calls each plugin CALLS_PER_PLUGIN times on its route, one plugin after
/// the other, measuring what its first calls leave resident (mostly its
/// warm instance-pool slot and the artifact pages it touched).
fn call_each(client: &mut Client, pid: u32, installed: &[Installed]) -> Result<Vec<Calls>, String> {
    let mut calls = Vec::new();
    for plugin in installed {
        let (status_before, before) = (Status::read(pid)?, Breakdown::read(pid)?);
        let mut statuses = BTreeMap::<u16, usize>::new();
        for _ in 0..CALLS_PER_PLUGIN {
            *statuses.entry(client.get(&plugin.probe, None)?.status).or_default() += 1;
        }
        if let Some(status) = statuses.keys().find(|&&status| status >= 500) {
            return Err(format!("{} answered {status}: the plugin does not work", plugin.probe));
        }
        let (status_after, after) = (Status::read(pid)?, Breakdown::read(pid)?);
        let delta = |kind| after.resident(kind) as i64 - before.resident(kind) as i64;
        let by_kind: BTreeMap<Kind, i64> =
            [Kind::Artifacts, Kind::ArtifactCopies, Kind::InstancePool, Kind::HeapAndStacks]
                .into_iter()
                .map(|kind| (kind, delta(kind)))
                .collect();
        let answered: Vec<String> = statuses.iter().map(|(status, n)| format!("{n}x{status}")).collect();
        println!(
            "footprint:   {} {} ({}): VmRSS {}; artifacts read {}, written {}, pool {}, heap/stacks {}",
            plugin.probe,
            answered.join(" "),
            plugin.source,
            mb_delta(status_before.rss, status_after.rss),
            signed_mb(by_kind[&Kind::Artifacts]),
            signed_mb(by_kind[&Kind::ArtifactCopies]),
            signed_mb(by_kind[&Kind::InstancePool]),
            signed_mb(by_kind[&Kind::HeapAndStacks])
        );
        calls.push(Calls {
            language: plugin.language,
            rss: status_after.rss as i64 - status_before.rss as i64,
            by_kind,
        });
    }
    Ok(calls)
}

/// The median of what a plugin's first calls added, per language: the
/// per-instance memory of the pool (a warm slot per plugin) and the
/// artifact pages its calls touch.
fn print_per_language(calls: &[Calls]) {
    let languages: std::collections::BTreeSet<Language> = calls.iter().map(|c| c.language).collect();
    for language in languages {
        let of: Vec<&Calls> = calls.iter().filter(|c| c.language == language).collect();
        let median = |value: &dyn Fn(&Calls) -> i64| {
            let mut values: Vec<i64> = of.iter().map(|c| value(c)).collect();
            values.sort();
            values[values.len() / 2]
        };
        println!(
            "footprint:   a {language} plugin's first calls add (median of {}): VmRSS {}; artifacts read {}, \
             written {}, instance pool {}, heap/stacks {}",
            of.len(),
            signed_mb(median(&|c| c.rss)),
            signed_mb(median(&|c| c.by_kind[&Kind::Artifacts])),
            signed_mb(median(&|c| c.by_kind[&Kind::ArtifactCopies])),
            signed_mb(median(&|c| c.by_kind[&Kind::InstancePool])),
            signed_mb(median(&|c| c.by_kind[&Kind::HeapAndStacks]))
        );
    }
}

fn signed_mb(bytes: i64) -> String {
    format!("{:+.1} MB", bytes as f64 / 1e6)
}

/// One restart on the data directory.
struct Restart {
    /// From spawn to the probe's first 200.
    answered: Duration,
    /// From spawn to the "serving on" line.
    serving_line: Duration,
    status: Status,
    breakdown: Breakdown,
}

/// Starts the host on `data` at a port chosen beforehand, calls `probe`
/// from the moment of the spawn until it answers 200, reads the memory,
/// and stops the host. With `show_log`, prints the start-up log lines on
/// the spawn's clock.
fn restart(data: &Path, probe: &str, show_log: bool) -> Result<Restart, String> {
    let address = format!("127.0.0.1:{}", host::free_port()?);
    let mut host = Host::spawn(data, &address)?;
    let answered = first_200(&mut host, &address, probe)?;
    let serving = host.wait_serving()?;
    let (status, breakdown) = (Status::read(host.pid)?, Breakdown::read(host.pid)?);
    if show_log {
        println!("footprint:   the host's start-up log (ms after spawn):");
        for line in timeline::since(&host.log, host.log_offset, host.spawned_wall)? {
            println!("footprint:     {:>7.1}  {}", ms(line.after), line.text);
        }
    }
    host.stop()?;
    Ok(Restart { answered, serving_line: serving.after, status, breakdown })
}

/// Knocks on `address` until `probe` answers 200; answers the time since
/// the spawn. Refused connections are retried at once (a fraction of a
/// millisecond apart) so the figure is the host's, not the poll's.
fn first_200(host: &mut Host, address: &str, probe: &str) -> Result<Duration, String> {
    loop {
        if let Some(status) = host.exited() {
            return Err(format!("the host exited with {status} while starting ({})", host.log_hint()));
        }
        if host.spawned.elapsed() > RESTART_TIMEOUT {
            return Err(format!("{probe} did not answer 200 within {RESTART_TIMEOUT:?} ({})", host.log_hint()));
        }
        match Client::new(address).get(probe, None) {
            Ok(answer) if answer.status == 200 => return Ok(host.spawned.elapsed()),
            _ => std::thread::sleep(Duration::from_micros(200)),
        }
    }
}

/// Minimum, median and maximum of some durations.
struct Spread {
    min: Duration,
    median: Duration,
    max: Duration,
}

impl Spread {
    fn of(values: impl Iterator<Item = Duration>) -> Spread {
        let mut values: Vec<Duration> = values.collect();
        values.sort();
        Spread { min: values[0], median: values[values.len() / 2], max: values[values.len() - 1] }
    }
}

impl std::fmt::Display for Spread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "min {:.1}, median {:.1}, max {:.1}", ms(self.min), ms(self.median), ms(self.max))
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// A row of the closing table; `met` is `None` for figures without a target.
struct Row {
    figure: String,
    measured: String,
    target: String,
    met: Option<bool>,
}

impl Row {
    fn new(figure: &str, measured: String, target: &str, met: Option<bool>) -> Row {
        Row { figure: figure.to_owned(), measured, target: target.to_owned(), met }
    }
}

fn print_table(rows: &[Row]) {
    let widths = [
        rows.iter().map(|r| r.figure.chars().count()).max().unwrap_or(0).max(6),
        rows.iter().map(|r| r.measured.chars().count()).max().unwrap_or(0).max(8),
        rows.iter().map(|r| r.target.chars().count()).max().unwrap_or(0).max(6),
    ];
    let line = |cells: [&str; 4]| {
        println!(
            "| {:w0$} | {:>w1$} | {:w2$} | {:5} |",
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        );
    };
    println!();
    line(["figure", "measured", "target", "met?"]);
    println!("|{}|{}|{}|-------|", "-".repeat(widths[0] + 2), "-".repeat(widths[1] + 2), "-".repeat(widths[2] + 2));
    for row in rows {
        let met = match row.met {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "",
        };
        line([&row.figure, &row.measured, &row.target, met]);
    }
}
