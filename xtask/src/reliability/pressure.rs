//! Abuse while others are served: a slowloris and a sign-in flood against a
//! signed-in resident (scenario 3); two plugins exhausting memory, the
//! instance pool, connections and the CPU against a third (scenario 4).

use std::collections::BTreeMap;
use std::io::Write;
use std::net::TcpStream;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::json;

use super::host::{Host, HostSpec};
use super::{Outcome, wait_for};
use crate::http::{self, Client};

/// How long the quiet caller is measured before and during the abuse.
const BEFORE: Duration = Duration::from_secs(5);
const DURING: Duration = Duration::from_secs(15);
const SLOWLORIS_CONNECTIONS: usize = 500;
const FLOODERS: usize = 4;

/// A caller's latencies and failures over a while.
struct Probe {
    latencies: Vec<Duration>,
    errors: usize,
    first_error: Option<String>,
}

impl Probe {
    /// Calls `paths` in turn (GETs, with `token`) for `how_long`.
    fn run(address: &str, paths: &[&str], token: Option<&str>, how_long: Duration) -> Probe {
        let mut client = Client::new(address);
        let mut probe = Probe { latencies: Vec::new(), errors: 0, first_error: None };
        let until = Instant::now() + how_long;
        for path in paths.iter().cycle() {
            if Instant::now() >= until {
                break;
            }
            let started = Instant::now();
            let failure = match client.get(path, token) {
                Ok(answer) if (200..300).contains(&answer.status) => None,
                Ok(answer) => Some(format!("{path} answered {}: {}", answer.status, answer.text())),
                Err(e) => Some(e),
            };
            probe.latencies.push(started.elapsed());
            if let Some(failure) = failure {
                probe.errors += 1;
                probe.first_error.get_or_insert(failure);
            }
        }
        probe.latencies.sort();
        probe
    }

    fn percentile(&self, p: usize) -> f64 {
        let Some(last) = self.latencies.len().checked_sub(1) else { return f64::NAN };
        self.latencies[last * p / 100].as_secs_f64() * 1000.0
    }

    fn summary(&self) -> String {
        format!(
            "p50 {:.1} ms, p99 {:.1} ms, {} calls, {} errors",
            self.percentile(50),
            self.percentile(99),
            self.latencies.len(),
            self.errors
        )
    }
}

/// Threads running until told to stop.
struct Crowd {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Crowd {
    fn new() -> Crowd {
        Crowd { stop: Arc::new(AtomicBool::new(false)), threads: Vec::new() }
    }

    fn spawn(&mut self, work: impl FnOnce(&AtomicBool) + Send + 'static) {
        let stop = self.stop.clone();
        self.threads.push(std::thread::spawn(move || work(&stop)));
    }

    fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        for thread in self.threads {
            let _ = thread.join();
        }
    }
}

/// Counts of answers by status ("error" for no answer).
#[derive(Default, Clone)]
struct Tally(Arc<Mutex<BTreeMap<String, usize>>>);

impl Tally {
    /// Counts an answer; answers the back-off it asked for.
    fn count(&self, outcome: Result<http::Answer, String>) -> Option<Duration> {
        let (key, retry_after) = match outcome {
            Ok(answer) => (answer.status.to_string(), answer.retry_after.map(Duration::from_secs)),
            Err(_) => ("error".to_owned(), None),
        };
        *self.0.lock().unwrap().entry(key).or_default() += 1;
        retry_after
    }

    fn total(&self) -> usize {
        self.0.lock().unwrap().values().sum()
    }

    fn show(&self) -> String {
        let counts = self.0.lock().unwrap();
        counts.iter().map(|(status, n)| format!("{n}×{status}")).collect::<Vec<_>>().join(" ")
    }

    fn any_but(&self, status: &str) -> bool {
        self.0.lock().unwrap().keys().any(|s| s != status)
    }

    fn only(&self, allowed: &[&str]) -> bool {
        self.0.lock().unwrap().keys().all(|status| allowed.contains(&status.as_str()))
    }
}

/// Scenario 3: a resident reads the service list and their cases while
/// 500 connections dribble a request header and a flood of wrong passwords
/// hits sign-in. The resident must get every answer.
pub fn slowloris_and_sign_in_flood(spec: &HostSpec, outcomes: &mut Vec<Outcome>) -> Result<(), String> {
    let host = Host::start(spec)?;
    let mut client = Client::new(&host.address);
    let (username, password) = ("reliability-resident", "reliability resident password");
    let registration = json!({"username": username, "password": password, "display_name": "Reliability"});
    expect(client.post_json("/api/v1/auth/register", None, &registration)?, 201, "registering the resident")?;
    let token = sign_in(&mut client, username, password)?;
    let paths = ["/api/v1/services", "/api/v1/me/cases"];
    let before = Probe::run(&host.address, &paths, Some(&token), BEFORE);

    let mut crowd = Crowd::new();
    let open = Arc::new(AtomicUsize::new(0));
    let closed_by_host = Arc::new(AtomicUsize::new(0));
    let (address, counts) = (host.address.clone(), (open.clone(), closed_by_host.clone()));
    crowd.spawn(move |stop| slowloris(&address, stop, &counts.0, &counts.1));
    let sign_ins = Tally::default();
    for flooder in 0..FLOODERS {
        let (address, sign_ins) = (host.address.clone(), sign_ins.clone());
        crowd.spawn(move |stop| {
            let mut client = Client::new(&address);
            for attempt in 0.. {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let wrong = json!({"username": format!("flood-{flooder}-{attempt}"), "password": "not the password"});
                // A flood ignores Retry-After.
                sign_ins.count(client.post_json("/api/v1/auth/sign-in", None, &wrong));
            }
        });
    }
    wait_for("the slowloris connections to open", Duration::from_secs(60), || {
        open.load(Ordering::SeqCst) >= SLOWLORIS_CONNECTIONS
    })?;
    let during = Probe::run(&host.address, &paths, Some(&token), DURING);
    crowd.stop();

    let figures = format!(
        "resident before: {}; during: {}; slowloris {} connections held open ({} closed by the host); \
         sign-in flood {} attempts ({})",
        before.summary(),
        during.summary(),
        SLOWLORIS_CONNECTIONS,
        closed_by_host.load(Ordering::SeqCst),
        sign_ins.total(),
        sign_ins.show()
    );
    println!("reliability: slowloris + sign-in flood: {figures}");
    if let Some(error) = &during.first_error {
        println!("reliability:   first resident error: {error}");
    }
    // Wrong passwords must only ever be refused or throttled.
    let held = before.errors == 0 && during.errors == 0 && sign_ins.only(&["401", "429"]);
    outcomes.push(Outcome::new("slowloris + sign-in flood", figures, held));
    Ok(())
}

/// Keeps SLOWLORIS_CONNECTIONS connections sending a request header one
/// line every second; reopens those the host closes.
fn slowloris(address: &str, stop: &AtomicBool, open: &AtomicUsize, closed_by_host: &AtomicUsize) {
    let connect = || {
        let mut stream = http::connect(address).ok()?;
        stream.write_all(format!("GET /api/v1/services HTTP/1.1\r\nHost: {address}\r\n").as_bytes()).ok()?;
        Some(stream)
    };
    let mut streams: Vec<Option<TcpStream>> = (0..SLOWLORIS_CONNECTIONS).map(|_| connect()).collect();
    open.store(streams.iter().flatten().count(), Ordering::SeqCst);
    while !stop.load(Ordering::SeqCst) {
        for slot in &mut streams {
            let alive = slot.as_mut().is_some_and(|stream| stream.write_all(b"X-Slow: 1\r\n").is_ok());
            if !alive {
                closed_by_host.fetch_add(usize::from(slot.is_some()), Ordering::SeqCst);
                *slot = connect();
            }
        }
        open.store(streams.iter().flatten().count(), Ordering::SeqCst);
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// The two hogs' limits: what the platform allows at most.
const HOG_LIMITS: &[(&str, &str)] = &[
    ("memory-mb = 16", "memory-mb = 128"),
    ("timeout-ms = 300", "timeout-ms = 3000"),
    ("max-concurrency = 4", "max-concurrency = 64"),
];
/// Per hog: callers sleeping in the pool, allocating, looping, and idle connections.
const SLEEPERS: usize = 16;
const ALLOCATORS: usize = 4;
const LOOPERS: usize = 1;
const IDLE_CONNECTIONS: usize = 100;

/// Scenario 4: two copies of the misbehaving fixture, uploaded and approved
/// over HTTP, hold the instance pool, allocate past their memory, loop and
/// hold connections, while the quiet `misbehaving` answers `/noop` with no
/// errors and its median latency within twice its own before, plus 1 ms. The host runs with a pool of 32 instances, so the hogs really
/// reach the reserve the admission keeps for quiet plugins.
pub fn plugin_hogs(spec: &HostSpec, fixture: &Path, outcomes: &mut Vec<Outcome>) -> Result<(), String> {
    let config = spec.data.join("onewindow.toml");
    std::fs::write(&config, "[runtime]\npool_instances = 32\n").map_err(|e| format!("{}: {e}", config.display()))?;
    let spec = HostSpec { config: Some(config), ..spec.clone() };
    let host = Host::start(&spec)?;
    let mut client = Client::new(&host.address);
    let admin_password = host.admin_password.clone().ok_or("the fresh host printed no admin password")?;
    let admin = sign_in(&mut client, "admin", &admin_password)?;
    // Plugins are uploaded by a unit's staff and approved by the admin.
    let (developer, password) = ("reliability-developer", "reliability developer password");
    let account = json!({"username": developer, "display_name": "Reliability", "role": "staff",
        "unit_id": "police-central", "password": password});
    expect(client.post_json("/api/v1/admin/accounts", Some(&admin), &account)?, 201, "creating the developer")?;
    let developer = sign_in(&mut client, developer, password)?;
    for hog in ["hog-a", "hog-b"] {
        install_copy(&mut client, (&developer, &admin), fixture, hog)?;
    }
    let noop = ["/api/v1/services/misbehaving/noop"];
    let before = Probe::run(&host.address, &noop, None, BEFORE);

    let mut crowd = Crowd::new();
    let mut tallies = Vec::new();
    for hog in ["hog-a", "hog-b"] {
        // 200 MiB is past the hog's 128 MiB: it traps.
        let calls = [("sleep?ms=2500", SLEEPERS), ("alloc?mb=100", ALLOCATORS), ("alloc?mb=200", 1), ("loop", LOOPERS)];
        for (call, callers) in calls {
            let tally = Tally::default();
            tallies.push((format!("{hog} {call}"), tally.clone()));
            for _ in 0..callers {
                let (address, tally, path) =
                    (host.address.clone(), tally.clone(), format!("/api/v1/services/{hog}/{call}"));
                crowd.spawn(move |stop| {
                    let mut client = Client::new(&address);
                    // The sleepers back off as a refusal asks (the load on the
                    // host is the plugins', not a flood of requests); the
                    // others retry sooner, so that they too win freed slots.
                    let patient = path.contains("/sleep");
                    while !stop.load(Ordering::SeqCst) {
                        if let Some(back_off) = tally.count(client.post(&path, None, None)) {
                            std::thread::sleep(if patient { back_off } else { Duration::from_millis(20) });
                        }
                    }
                });
            }
        }
        let address = host.address.clone();
        crowd.spawn(move |stop| {
            let idle: Vec<_> = (0..IDLE_CONNECTIONS).filter_map(|_| http::connect(&address).ok()).collect();
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(50));
            }
            drop(idle);
        });
    }
    // Saturated: each hog's sleepers have been refused for want of slots.
    wait_for("both hogs to fill their share of the pool", Duration::from_secs(60), || {
        tallies.iter().filter(|(call, _)| call.contains("sleep")).all(|(_, t)| t.0.lock().unwrap().contains_key("503"))
    })?;
    let during = Probe::run(&host.address, &noop, None, DURING);
    crowd.stop();

    let hogs: Vec<_> = tallies.iter().map(|(call, tally)| format!("{call}: {}", tally.show())).collect();
    let figures = format!(
        "quiet plugin before: {}; during: {}; pool of 32; hog calls (status counts) {}",
        before.summary(),
        during.summary(),
        hogs.join(", ")
    );
    println!("reliability: plugin hogs: {figures}");
    if let Some(error) = &during.first_error {
        println!("reliability:   first quiet-plugin error: {error}");
    }
    // Every kind of hog call must really have run (been answered other than 503).
    let idle: Vec<_> =
        tallies.iter().filter(|(_, tally)| !tally.any_but("503")).map(|(call, _)| call.as_str()).collect();
    if !idle.is_empty() {
        println!("reliability:   these hog calls never got a slot, so did not load the host: {}", idle.join(", "));
    }
    // "Its normal latency": the median may not move by more than the
    // machine's noise (the tail is printed, not judged: it carries the load
    // generator's own scheduling on a 2-core machine).
    let normal = during.percentile(50) <= 2.0 * before.percentile(50) + 1.0;
    if !normal {
        println!("reliability:   the quiet plugin's median latency left its normal range");
    }
    let held = before.errors == 0 && during.errors == 0 && idle.is_empty() && normal;
    outcomes.push(Outcome::new("plugin hogs vs quiet plugin", figures, held));
    Ok(())
}

/// Uploads the fixture as `id` with HOG_LIMITS as the developer, and approves it as the admin.
fn install_copy(client: &mut Client, (developer, admin): (&str, &str), fixture: &Path, id: &str) -> Result<(), String> {
    let read = |file: &str| std::fs::read(fixture.join(file)).map_err(|e| format!("{}: {e}", fixture.display()));
    let mut manifest =
        String::from_utf8_lossy(&read("plugin.toml")?).replace("id = \"misbehaving\"", &format!("id = \"{id}\""));
    for (from, to) in HOG_LIMITS {
        manifest = manifest.replace(from, to);
    }
    let (content_type, body) =
        http::multipart(&[("manifest", &manifest)], ("component", "plugin.wasm", &read("plugin.wasm")?));
    let uploaded =
        expect(client.post("/api/v1/plugins", Some(developer), Some((&content_type, &body)))?, 201, "uploading")?;
    let sha256 = uploaded["sha256"].clone();
    let approve = format!("/api/v1/admin/plugins/{id}/versions/0.1.0/approve");
    expect(client.post_json(&approve, Some(admin), &json!({"sha256": sha256}))?, 200, "approving")?;
    let noop = format!("/api/v1/services/{id}/noop");
    wait_for(&format!("{id} to answer"), Duration::from_secs(60), || {
        client.get(&noop, None).is_ok_and(|a| a.status == 204)
    })
}

fn sign_in(client: &mut Client, username: &str, password: &str) -> Result<String, String> {
    let answer =
        client.post_json("/api/v1/auth/sign-in", None, &json!({"username": username, "password": password}))?;
    let body = expect(answer, 200, &format!("signing in {username}"))?;
    body["token"].as_str().map(str::to_owned).ok_or_else(|| format!("no token in {body}"))
}

fn expect(answer: http::Answer, status: u16, what: &str) -> Result<serde_json::Value, String> {
    if answer.status != status {
        return Err(format!("{what} answered {}: {}", answer.status, answer.text()));
    }
    if answer.body.is_empty() { Ok(serde_json::Value::Null) } else { answer.json() }
}
