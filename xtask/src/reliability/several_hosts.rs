//! Scenario 5: two `onewindow serve` processes on one PostgreSQL database,
//! set up as README "Running several hosts" tells an operator (host A
//! starts first; its `record-keys` and `audit-key` are copied into host B's
//! data directory). A lifecycle act through either host must reach the
//! other within a second; admins racing on both hosts must leave the
//! database and both hosts in agreement, the loser getting 409
//! `wrong-state`; a host killed with SIGKILL and started again must serve
//! what was decided while it was down, at once.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::Outcome;
use super::host::{Host, HostSpec, Postgres};
use crate::http::{self, Answer, Client};

/// How long a change may take to reach the other host (issue 9).
const PROPAGATION_BOUND: Duration = Duration::from_secs(1);
/// How long to keep looking past the bound, to say how late a change was.
const FAILSAFE: Duration = Duration::from_secs(15);
const RACE_ROUNDS: usize = 50;
/// The probe: the misbehaving fixture uploaded under its own id.
const PROBE: &str = "hosts-probe";
const NOOP: &str = "/api/v1/services/hosts-probe/noop";
/// Findings printed as they happen; the rest only counted.
const PRINTED_FINDINGS: usize = 10;

/// What the database says of the probe's first version, and so what every
/// host must serve.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    Active,
    Suspended,
}

impl State {
    /// The act allowed from this state (the other one is a `wrong-state`).
    fn allowed_act(self) -> Act {
        match self {
            State::Active => Act::Suspend,
            State::Suspended => Act::Resume,
        }
    }

    fn after_acts(self, succeeded: usize) -> State {
        if succeeded.is_multiple_of(2) { self } else { self.allowed_act().leads_to() }
    }
}

#[derive(Clone, Copy, Debug)]
enum Act {
    Suspend,
    Resume,
}

impl Act {
    fn leads_to(self) -> State {
        match self {
            Act::Suspend => State::Suspended,
            Act::Resume => State::Active,
        }
    }

    fn send(self, client: &mut Client, admin: &str) -> Result<Answer, String> {
        match self {
            Act::Suspend => {
                let path = format!("/api/v1/admin/plugins/{PROBE}/suspend");
                client.post_json(&path, Some(admin), &json!({"reason": "reliability drill"}))
            }
            Act::Resume => client.post(&format!("/api/v1/admin/plugins/{PROBE}/resume"), Some(admin), None),
        }
    }
}

/// Broken guarantees, each with what was seen.
#[derive(Default)]
struct Findings(Vec<String>);

impl Findings {
    fn check(&mut self, holds: bool, problem: impl FnOnce() -> String) {
        if holds {
            return;
        }
        let problem = problem();
        if self.0.len() < PRINTED_FINDINGS {
            println!("reliability:   several hosts: {problem}");
        }
        self.0.push(problem);
    }

    fn in_time(&mut self, what: &str, took: Duration) {
        self.check(took <= PROPAGATION_BOUND, || format!("{what} took {} ms", took.as_millis()));
    }
}

/// What the racing admins got, and how soon both hosts served the outcome.
#[derive(Default)]
struct RaceTally {
    won: usize,
    lost: usize,
    opposite_rounds: usize,
    /// Opposite acts where the disallowed one came second, and so was allowed.
    both_won: usize,
    settles: Vec<Duration>,
}

impl RaceTally {
    fn figures(&mut self) -> String {
        self.settles.sort();
        let median = self.settles.get(self.settles.len() / 2).copied().unwrap_or_default();
        let worst = self.settles.last().copied().unwrap_or_default();
        format!(
            "race: {RACE_ROUNDS} rounds, {} acts won, {} lost with 409 wrong-state \
             (opposite acts: {} rounds, both won in {}); both hosts serving the outcome after median {} ms, \
             worst {} ms",
            self.won,
            self.lost,
            self.opposite_rounds,
            self.both_won,
            median.as_millis(),
            worst.as_millis()
        )
    }
}

/// The two hosts, clients to them, and what the run found.
struct Platform {
    /// Held, not used: dropping a `Host` kills its process.
    _host_a: Host,
    /// `None` while killed.
    host_b: Option<Host>,
    spec_b: HostSpec,
    a: Client,
    b: Client,
    admin: String,
    developer: String,
    findings: Findings,
    postgres: Postgres,
}

pub fn lifecycle_across_hosts(
    work: &Path,
    first_party: &[PathBuf],
    fixture: &Path,
    outcomes: &mut Vec<Outcome>,
) -> Result<(), String> {
    let started = Instant::now();
    let mut platform = Platform::start(work, first_party)?;
    let mut figures = vec![platform.approve_on_a_serve_on_b(fixture)?];
    figures.push(platform.suspend_on_b_resume_on_a()?);
    figures.push(platform.race()?);
    figures.push(platform.restart_b(fixture)?);
    figures.push(platform.verify_audit_trail()?);
    figures.push(format!("{:.0} s", started.elapsed().as_secs_f64()));
    let figures = format!("{}; {} findings", figures.join("; "), platform.findings.0.len());
    println!("reliability: several hosts: {figures}");
    let held = platform.findings.0.is_empty();
    outcomes.push(Outcome::new("several hosts, one database", figures, held));
    Ok(())
}

impl Platform {
    /// Host A on a fresh database, then host B with A's keys, as the README says.
    fn start(work: &Path, first_party: &[PathBuf]) -> Result<Platform, String> {
        let postgres = Postgres::create()?;
        let on_database = |name: &str| -> Result<HostSpec, String> {
            Ok(HostSpec { database: Some(postgres.url.clone()), ..HostSpec::fresh(work, name, first_party)? })
        };
        let (spec_a, spec_b) = (on_database("hosts-a")?, on_database("hosts-b")?);
        let host_a = Host::start(&spec_a)?;
        for key in ["record-keys", "audit-key"] {
            std::fs::copy(spec_a.data.join(key), spec_b.data.join(key))
                .map_err(|e| format!("copying host A's {key} to host B: {e}"))?;
        }
        let host_b = Host::start(&spec_b)?;
        if host_b.admin_password.is_some() {
            return Err("host B created an admin of its own: it did not find host A's platform".into());
        }
        let admin_password = host_a.admin_password.clone().ok_or("host A printed no admin password")?;
        let (mut a, b) = (Client::new(&host_a.address), Client::new(&host_b.address));
        let admin = sign_in(&mut a, "admin", &admin_password)?;
        let (developer, password) = ("hosts-developer", "reliability developer password");
        let account = json!({"username": developer, "display_name": "Reliability", "role": "staff",
            "unit_id": "police-central", "password": password});
        expect(a.post_json("/api/v1/admin/accounts", Some(&admin), &account)?, 201, "creating the developer")?;
        let developer = sign_in(&mut a, developer, password)?;
        println!("reliability: several hosts: host A on {}, host B on {}", host_a.address, host_b.address);
        Ok(Platform {
            _host_a: host_a,
            host_b: Some(host_b),
            spec_b,
            a,
            b,
            admin,
            developer,
            findings: Findings::default(),
            postgres,
        })
    }

    /// The probe uploaded and approved through A; B must serve it within the bound.
    fn approve_on_a_serve_on_b(&mut self, fixture: &Path) -> Result<String, String> {
        let approved = self.install_through_a(fixture, "0.1.0")?;
        let first_on_a = observe(&mut self.a)?;
        self.findings.check(first_on_a == Seen::Is(State::Active), || {
            format!("host A, which approved, answered {first_on_a} right after")
        });
        let took = until_serving(&mut self.b, State::Active, approved)?;
        self.findings.in_time("approval through A reaching B", took);
        // A session made through A is good on B: sign-ins live in the database.
        let on_b = self.b.get(&format!("/api/v1/plugins/{PROBE}"), Some(&self.admin))?;
        self.findings.check(on_b.status == 200, || format!("A's admin token on B answered {}", on_b.status));
        Ok(format!("approve on A → served by B in {} ms", took.as_millis()))
    }

    fn suspend_on_b_resume_on_a(&mut self) -> Result<String, String> {
        let suspended = self.act_alone(Act::Suspend, Side::B)?;
        let suspend_took = until_serving(&mut self.a, State::Suspended, suspended)?;
        self.findings.in_time("suspension through B reaching A", suspend_took);
        let resumed = self.act_alone(Act::Resume, Side::A)?;
        let resume_took = until_serving(&mut self.b, State::Active, resumed)?;
        self.findings.in_time("resumption through A reaching B", resume_took);
        Ok(format!(
            "suspend on B → A answers 503 suspended in {} ms; resume on A → B serves in {} ms",
            suspend_took.as_millis(),
            resume_took.as_millis()
        ))
    }

    /// One act through one host, which must win and take effect there at
    /// once; answers when it was answered.
    fn act_alone(&mut self, act: Act, on: Side) -> Result<Instant, String> {
        let (acting, name) = match on {
            Side::A => (&mut self.a, "A"),
            Side::B => (&mut self.b, "B"),
        };
        let answer = act.send(acting, &self.admin)?;
        let answered = Instant::now();
        self.findings.check(answer.status == 200, || format!("{act:?} through {name} answered {}", answer.status));
        let there = observe(acting)?;
        self.findings.check(there == Seen::Is(act.leads_to()), || {
            format!("host {name}, which did {act:?}, answered {there} right after")
        });
        Ok(answered)
    }

    /// RACE_ROUNDS rounds of two admins acting on the probe at once, one
    /// through each host: the same act (one must win), or opposite acts
    /// (the allowed one wins; the other wins too if it came second). After
    /// each, both hosts must serve what the answers imply within the bound,
    /// and the database must hold just that.
    fn race(&mut self) -> Result<String, String> {
        let mut acts = (Client::new(self.a.address()), Client::new(self.b.address()));
        let mut tally = RaceTally::default();
        for round in 0..RACE_ROUNDS {
            self.race_round(round, &mut acts, &mut tally)?;
        }
        Ok(tally.figures())
    }

    fn race_round(&mut self, round: usize, acts: &mut (Client, Client), tally: &mut RaceTally) -> Result<(), String> {
        let before = self.database_state()?;
        let (act_a, act_b, same_act) = match round % 3 {
            0 => (before.allowed_act(), before.allowed_act(), true),
            1 => (Act::Suspend, Act::Resume, false),
            _ => (Act::Resume, Act::Suspend, false),
        };
        let (answer_a, answer_b) = at_once((&mut acts.0, act_a), (&mut acts.1, act_b), &self.admin)?;
        let answered = Instant::now();
        let mut succeeded = 0;
        for (name, act, answer) in [("A", act_a, &answer_a), ("B", act_b, &answer_b)] {
            match racing_verdict(answer) {
                Ok(true) => succeeded += 1,
                Ok(false) => tally.lost += 1,
                Err(seen) => self.findings.check(false, || format!("round {round}: {act:?} on {name} {seen}")),
            }
        }
        tally.won += succeeded;
        if !same_act {
            tally.opposite_rounds += 1;
            tally.both_won += usize::from(succeeded == 2);
        }
        self.findings.check(if same_act { succeeded == 1 } else { succeeded >= 1 }, || {
            format!("round {round}: {act_a:?} on A and {act_b:?} on B from {before:?}: {succeeded} won")
        });
        // The hosts are watched before the database is read, so that the
        // delay measured is theirs, not padded by the checks below.
        let implied = before.after_acts(succeeded);
        for (name, client) in [("A", &mut self.a), ("B", &mut self.b)] {
            let took = match until_serving(client, implied, answered) {
                Ok(took) => took,
                Err(e) => return Err(format!("round {round}: {e}; psql: {:?}", database_view(&self.postgres))),
            };
            self.findings.in_time(&format!("round {round}: host {name} serving {implied:?}"), took);
            tally.settles.push(took);
        }
        let after = self.database_state()?;
        self.findings.check(after == implied, || {
            format!("round {round}: the database says {after:?}, the answers imply {implied:?}")
        });
        self.hosts_read_the_database(round)
    }

    /// Each host's view of the probe (it reads the database) must be psql's.
    fn hosts_read_the_database(&mut self, round: usize) -> Result<(), String> {
        let database = database_view(&self.postgres)?;
        for (name, client) in [("A", &mut self.a), ("B", &mut self.b)] {
            let shown = expect(client.get(&format!("/api/v1/plugins/{PROBE}"), Some(&self.admin))?, 200, "the probe")?;
            let version = shown["versions"].as_array().and_then(|v| v.iter().find(|v| v["version"] == "0.1.0"));
            let seen = (
                version.and_then(|v| v["state"].as_str()).unwrap_or_default().to_owned(),
                shown["plugin"]["active_version"].as_str().map(str::to_owned),
            );
            self.findings
                .check(seen == database, || format!("round {round}: host {name} shows {seen:?}, psql {database:?}"));
        }
        Ok(())
    }

    /// SIGKILL host B, act through A, start B again: its first answers must
    /// be the new state. Twice: a suspension, then a new version approved.
    fn restart_b(&mut self, fixture: &Path) -> Result<String, String> {
        if self.database_state()? == State::Suspended {
            self.act_alone(Act::Resume, Side::A)?;
        }
        self.kill_b();
        self.act_alone(Act::Suspend, Side::A)?;
        let first_suspended = self.start_b()?;
        self.findings.check(first_suspended == Seen::Is(State::Suspended), || {
            format!("host B restarted after a suspension first answered {first_suspended}")
        });

        self.kill_b();
        let approved = self.install_through_a(fixture, "0.2.0")?;
        let first_active = self.start_b()?;
        let version = served_version(&mut self.b)?;
        self.findings.check(first_active == Seen::Is(State::Active) && version.as_deref() == Some("0.2.0"), || {
            format!("host B restarted after 0.2.0 was approved first answered {first_active}, version {version:?}")
        });
        let started_b = approved.elapsed();

        // The restarted host follows the other again.
        let suspended = self.act_alone(Act::Suspend, Side::A)?;
        let took = until_serving(&mut self.b, State::Suspended, suspended)?;
        self.findings.in_time("suspension through A reaching the restarted B", took);
        Ok(format!(
            "B killed -9 twice: its first answer after restart {first_suspended}, then {first_active} for {} \
             ({:.1} s from approval to B serving); suspend on A → restarted B in {} ms",
            version.unwrap_or_default(),
            started_b.as_secs_f64(),
            took.as_millis()
        ))
    }

    fn kill_b(&mut self) {
        if let Some(host_b) = self.host_b.take() {
            host_b.kill9();
        }
    }

    /// Starts B again on its data; answers its first answer to the probe.
    fn start_b(&mut self) -> Result<Seen, String> {
        let host_b = self.host_b.insert(Host::start(&self.spec_b)?);
        self.b = Client::new(&host_b.address);
        observe(&mut self.b)
    }

    /// Both hosts check the one chain every act was recorded on, with the
    /// key they were given: a host with a key of its own would break it.
    fn verify_audit_trail(&mut self) -> Result<String, String> {
        let mut verdicts = Vec::new();
        for (name, client) in [("A", &mut self.a), ("B", &mut self.b)] {
            let verified = expect(client.get("/api/v1/admin/audit/verify", Some(&self.admin))?, 200, "audit verify")?;
            self.findings.check(verified["ok"] == true, || format!("audit verify on host {name}: {verified}"));
            verdicts.push(format!("{name} ok={}", verified["ok"]));
        }
        Ok(format!("audit chain verified on {}", verdicts.join(", ")))
    }

    /// Uploads the fixture as the probe `version` and approves it, through
    /// A; answers when the approval was answered.
    fn install_through_a(&mut self, fixture: &Path, version: &str) -> Result<Instant, String> {
        let read = |file: &str| std::fs::read(fixture.join(file)).map_err(|e| format!("{}: {e}", fixture.display()));
        // Room for a busy debug build: the fixture's own 300 ms deadline would turn slowness into 504s.
        let manifest = String::from_utf8_lossy(&read("plugin.toml")?)
            .replace("id = \"misbehaving\"", &format!("id = \"{PROBE}\""))
            .replace("version = \"0.1.0\"", &format!("version = \"{version}\""))
            .replace("timeout-ms = 300", "timeout-ms = 10000");
        let (content_type, body) =
            http::multipart(&[("manifest", &manifest)], ("component", "plugin.wasm", &read("plugin.wasm")?));
        let uploaded = self.a.post("/api/v1/plugins", Some(&self.developer), Some((&content_type, &body)))?;
        let uploaded = expect(uploaded, 201, "uploading the probe")?;
        let approve = format!("/api/v1/admin/plugins/{PROBE}/versions/{version}/approve");
        let approval = json!({"sha256": uploaded["sha256"]});
        expect(self.a.post_json(&approve, Some(&self.admin), &approval)?, 200, "approving the probe")?;
        Ok(Instant::now())
    }

    fn database_state(&self) -> Result<State, String> {
        match database_view(&self.postgres)? {
            (state, Some(active)) if state == "active" && active == "0.1.0" => Ok(State::Active),
            (state, None) if state == "suspended" => Ok(State::Suspended),
            other => Err(format!("the database holds neither an active nor a suspended probe: {other:?}")),
        }
    }
}

#[derive(Clone, Copy)]
enum Side {
    A,
    B,
}

/// The probe's 0.1.0 state and the plugin's active version, read with psql.
fn database_view(postgres: &Postgres) -> Result<(String, Option<String>), String> {
    let sql = format!(
        "SELECT v.state || '|' || coalesce(p.active_version, '') FROM plugins p \
         JOIN plugin_versions v ON v.plugin_id = p.id WHERE p.id = '{PROBE}' AND v.version = '0.1.0'"
    );
    let output = Command::new("psql")
        .args([postgres.url.as_str(), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", &sql])
        .output()
        .map_err(|e| format!("cannot run psql: {e}"))?;
    if !output.status.success() {
        return Err(format!("psql: {}", String::from_utf8_lossy(&output.stderr)));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let (state, active) = text.trim().split_once('|').ok_or_else(|| format!("psql answered {text:?}"))?;
    Ok((state.to_owned(), Some(active.to_owned()).filter(|a| !a.is_empty())))
}

/// Two acts sent at the same moment, one through each client.
fn at_once(
    (client_a, act_a): (&mut Client, Act),
    (client_b, act_b): (&mut Client, Act),
    admin: &str,
) -> Result<(Answer, Answer), String> {
    let barrier = Barrier::new(2);
    let (answer_a, answer_b) = std::thread::scope(|scope| {
        let on_a = scope.spawn(|| {
            barrier.wait();
            act_a.send(client_a, admin)
        });
        let on_b = scope.spawn(|| {
            barrier.wait();
            act_b.send(client_b, admin)
        });
        (on_a.join(), on_b.join())
    });
    let joined =
        |answer: std::thread::Result<Result<Answer, String>>| answer.map_err(|_| "an admin thread panicked")?;
    Ok((joined(answer_a)?, joined(answer_b)?))
}

/// A racing act won (200) or lost (409 `wrong-state`); anything else, a
/// 5xx above all, is a broken guarantee.
fn racing_verdict(answer: &Answer) -> Result<bool, String> {
    match (answer.status, problem_type(answer).as_deref()) {
        (200, _) => Ok(true),
        (409, Some("urn:onewindow:problem:wrong-state")) => Ok(false),
        (status, _) => Err(format!("answered {status}: {}", answer.text())),
    }
}

fn problem_type(answer: &Answer) -> Option<String> {
    answer.json().ok()?["type"].as_str().map(str::to_owned)
}

/// What the probe's `/noop` answered on a host.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Is(State),
    /// Anything else, e.g. the 503 "could not be loaded" of a host that has
    /// not loaded a version the database made active yet.
    Else(u16, String),
}

impl std::fmt::Display for Seen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Seen::Is(State::Active) => write!(f, "204 (serving)"),
            Seen::Is(State::Suspended) => write!(f, "503 suspended"),
            Seen::Else(status, detail) => write!(f, "{status} {detail:?}"),
        }
    }
}

/// One call to the probe. A failure of the call itself (500, 502, 504) is
/// an error: the hosts must never answer those here.
fn observe(client: &mut Client) -> Result<Seen, String> {
    let answer = client.get(NOOP, None)?;
    let detail = || answer.json().ok().and_then(|p| p["detail"].as_str().map(str::to_owned)).unwrap_or_default();
    match answer.status {
        204 => Ok(Seen::Is(State::Active)),
        503 if problem_type(&answer).as_deref() == Some("urn:onewindow:problem:service-unavailable")
            && detail().contains("is suspended") =>
        {
            Ok(Seen::Is(State::Suspended))
        }
        404 | 503 => Ok(Seen::Else(answer.status, detail())),
        status => Err(format!("{} answered {status} to {NOOP}: {}", client.address(), answer.text())),
    }
}

/// Polls `client` until the probe answers as `wanted`; answers how long
/// after `since` that was. Gives up past FAILSAFE.
fn until_serving(client: &mut Client, wanted: State, since: Instant) -> Result<Duration, String> {
    loop {
        let seen = observe(client)?;
        if seen == Seen::Is(wanted) {
            return Ok(since.elapsed());
        }
        if since.elapsed() > FAILSAFE {
            let address = client.address();
            return Err(format!("{address} still answered {seen} {FAILSAFE:?} after a change to {wanted:?}"));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The version of the probe a host serves, from `/api/v1/services/{id}`.
fn served_version(client: &mut Client) -> Result<Option<String>, String> {
    let answer = client.get(&format!("/api/v1/services/{PROBE}"), None)?;
    if answer.status != 200 {
        return Ok(None);
    }
    Ok(answer.json()?["version"].as_str().map(str::to_owned))
}

fn sign_in(client: &mut Client, username: &str, password: &str) -> Result<String, String> {
    let answer =
        client.post_json("/api/v1/auth/sign-in", None, &json!({"username": username, "password": password}))?;
    let body = expect(answer, 200, &format!("signing in {username}"))?;
    body["token"].as_str().map(str::to_owned).ok_or_else(|| format!("no token in {body}"))
}

fn expect(answer: Answer, status: u16, what: &str) -> Result<Value, String> {
    if answer.status != status {
        return Err(format!("{what} answered {}: {}", answer.status, answer.text()));
    }
    if answer.body.is_empty() { Ok(Value::Null) } else { answer.json() }
}
