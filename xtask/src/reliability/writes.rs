//! Writers that record every write the host acknowledged, and the two
//! scenarios built on them: kill -9 under concurrent writes (both
//! backends), and PostgreSQL backends terminated mid-load.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::host::{Host, HostSpec, Postgres};
use super::{Outcome, wait_for};
use crate::http::Client;

const NOTES: &str = "/api/v1/services/misbehaving/notes";
/// Concurrent writers.
const WRITERS: usize = 12;
/// Acknowledged writes per backend, spread over this many kill rounds.
const ACKNOWLEDGED: usize = 10_000;
const KILL_ROUNDS: usize = 4;
/// PostgreSQL cuts, and how long the host may take to serve again after one.
const CUTS: usize = 3;
const RECOVERY_BOUND: Duration = Duration::from_secs(30);

/// What the writers saw: every body answered 201, every body whose
/// request failed (it may or may not have been stored), and when each
/// answer or failure came.
#[derive(Default)]
struct Ledger {
    acknowledged: Mutex<Vec<String>>,
    failed: Mutex<Vec<String>>,
    events: Mutex<Vec<(Instant, bool)>>,
    acknowledged_count: AtomicUsize,
}

impl Ledger {
    fn record(&self, body: String, ok: bool) {
        self.events.lock().unwrap().push((Instant::now(), ok));
        if ok {
            self.acknowledged.lock().unwrap().push(body);
            self.acknowledged_count.fetch_add(1, Ordering::SeqCst);
        } else {
            self.failed.lock().unwrap().push(body);
        }
    }

    fn acknowledged(&self) -> usize {
        self.acknowledged_count.load(Ordering::SeqCst)
    }
}

/// Writers POSTing unique notes to whatever host `address` names.
struct Writers {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    ledger: Arc<Ledger>,
}

impl Writers {
    fn start(tag: &str, address: &Arc<RwLock<String>>) -> Writers {
        let stop = Arc::new(AtomicBool::new(false));
        let ledger = Arc::new(Ledger::default());
        let threads = (0..WRITERS)
            .map(|writer| {
                let (stop, ledger, address, tag) = (stop.clone(), ledger.clone(), address.clone(), tag.to_owned());
                std::thread::spawn(move || write_until(&stop, &ledger, &address, &format!("{tag}-{writer}")))
            })
            .collect();
        Writers { stop, threads, ledger }
    }

    fn stop(self) -> Arc<Ledger> {
        self.stop.store(true, Ordering::SeqCst);
        for thread in self.threads {
            let _ = thread.join();
        }
        self.ledger
    }
}

fn write_until(stop: &AtomicBool, ledger: &Ledger, address: &RwLock<String>, prefix: &str) {
    let mut client = Client::new(&address.read().unwrap());
    for seq in 0.. {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let current = address.read().unwrap().clone();
        if client.address() != current {
            client = Client::new(&current);
        }
        let body = format!("{prefix}-{seq}");
        match client.post(&format!("{NOTES}?body={body}"), None, None) {
            Ok(answer) => ledger.record(body, answer.status == 201),
            Err(_) => {
                ledger.record(body, false);
                // The host is down or restarting: do not spin.
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// Every note body the host has, read page by page.
fn stored_bodies(address: &str) -> Result<HashSet<String>, String> {
    let mut client = Client::new(address);
    let (mut bodies, mut after) = (HashSet::new(), 0i64);
    loop {
        let answer = client.get(&format!("{NOTES}?after={after}&limit=1000"), None)?;
        if answer.status != 200 {
            return Err(format!("reading notes answered {}: {}", answer.status, answer.text()));
        }
        let rows = answer.json()?;
        let rows = rows.as_array().ok_or("the notes are not a list")?;
        let Some(last) = rows.last() else { return Ok(bodies) };
        after = last["id"].as_i64().ok_or("a note without an id")?;
        bodies.extend(rows.iter().filter_map(|row| row["body"].as_str().map(str::to_owned)));
    }
}

/// Compares what the writers were told with what the host has.
struct Audit {
    acknowledged: usize,
    lost: usize,
    failed: usize,
    failed_but_present: usize,
}

fn audit(ledger: &Ledger, address: &str) -> Result<Audit, String> {
    let stored = stored_bodies(address)?;
    let acknowledged = ledger.acknowledged.lock().unwrap();
    let failed = ledger.failed.lock().unwrap();
    Ok(Audit {
        acknowledged: acknowledged.len(),
        lost: acknowledged.iter().filter(|body| !stored.contains(*body)).count(),
        failed: failed.len(),
        failed_but_present: failed.iter().filter(|body| stored.contains(*body)).count(),
    })
}

/// Scenario 1 on one backend: writers run while the host is killed with
/// SIGKILL every ACKNOWLEDGED / KILL_ROUNDS acknowledged writes and started
/// again on the same data; then every acknowledged note must be there.
/// On PostgreSQL the host is left running for scenario 2.
pub fn kill9(
    backend: &str,
    spec: &HostSpec,
    postgres: Option<&Postgres>,
    outcomes: &mut Vec<Outcome>,
) -> Result<Option<Host>, String> {
    let started = Instant::now();
    let mut host = Host::start(spec)?;
    let address = Arc::new(RwLock::new(host.address.clone()));
    let writers = Writers::start(&format!("kill9-{backend}"), &address);
    let per_round = ACKNOWLEDGED.div_ceil(KILL_ROUNDS);
    for round in 1..=KILL_ROUNDS {
        let ledger = &writers.ledger;
        wait_for(&format!("{} acknowledged writes", round * per_round), Duration::from_secs(300), || {
            ledger.acknowledged() >= round * per_round
        })?;
        host.kill9();
        if round == KILL_ROUNDS {
            break;
        }
        host = Host::start(spec)?;
        *address.write().unwrap() = host.address.clone();
    }
    // Stopped right after the last kill, so the last writes in flight died with the host.
    let ledger = writers.stop();
    let host = Host::start(spec)?;
    let audit = audit(&ledger, &host.address)?;
    let figures = format!(
        "{} acknowledged over {KILL_ROUNDS} SIGKILLs, {WRITERS} writers; lost {}; {} unacknowledged, {} of them stored; {:.0} s",
        audit.acknowledged,
        audit.lost,
        audit.failed,
        audit.failed_but_present,
        started.elapsed().as_secs_f64()
    );
    println!("reliability: kill -9 ({backend}): {figures}");
    let held = audit.lost == 0 && audit.acknowledged >= ACKNOWLEDGED;
    outcomes.push(Outcome::new(&format!("kill -9, {backend}"), figures, held));
    Ok(postgres.map(|_| host))
}

/// Scenario 2: while writers run, every PostgreSQL backend of the host's
/// database is terminated, CUTS times; the same host process must serve
/// again within RECOVERY_BOUND each time, and keep every acknowledged write.
pub fn terminate_backends(host: &Host, postgres: &Postgres, outcomes: &mut Vec<Outcome>) -> Result<(), String> {
    let address = Arc::new(RwLock::new(host.address.clone()));
    let writers = Writers::start("cut", &address);
    let ledger = writers.ledger.clone();
    wait_for("the first writes", Duration::from_secs(60), || ledger.acknowledged() >= 200)?;
    let (mut terminated, mut recoveries) = (0, Vec::new());
    for _ in 0..CUTS {
        let cut = Instant::now();
        terminated += postgres.terminate_backends()?;
        // Recovered: a write acknowledged after the cut, and later than the last failure since.
        let recovered = || {
            let events = ledger.events.lock().unwrap();
            let since: Vec<_> = events.iter().filter(|(at, _)| *at >= cut).collect();
            let last_failure = since.iter().filter(|(_, ok)| !ok).map(|(at, _)| *at).max();
            let success = since.iter().filter(|(at, ok)| *ok && last_failure.is_none_or(|f| *at > f)).count();
            (success >= WRITERS).then(|| last_failure.map_or(Duration::ZERO, |f| f - cut))
        };
        wait_for("writes succeeding again after the cut", RECOVERY_BOUND, || recovered().is_some())?;
        recoveries.push(recovered().unwrap_or_default());
        // Let the host write on for a while before the next cut.
        let resumed = ledger.acknowledged();
        wait_for("writes going on after the cut", RECOVERY_BOUND, || ledger.acknowledged() >= resumed + 1000)?;
    }
    let ledger = writers.stop();
    let errors = ledger.events.lock().unwrap().iter().filter(|(_, ok)| !ok).count();
    let audit = audit(&ledger, &host.address)?;
    let worst = recoveries.iter().max().copied().unwrap_or_default();
    let figures = format!(
        "{CUTS} cuts ({terminated} backends terminated); {} acknowledged, {errors} failed writes, lost {}; \
         recovery ≤ {} ms (per cut: {}); no restart",
        audit.acknowledged,
        audit.lost,
        worst.as_millis(),
        recoveries.iter().map(|r| format!("{} ms", r.as_millis())).collect::<Vec<_>>().join(", ")
    );
    println!("reliability: PostgreSQL backends terminated: {figures}");
    outcomes.push(Outcome::new("pg backends terminated", figures, audit.lost == 0 && worst < RECOVERY_BOUND));
    Ok(())
}
