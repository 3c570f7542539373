//! What is measured: each fixture route against its native twin, then whole
//! residence-permit applications (a first-party service; no twin).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use hyper::{Method, StatusCode};
use onewindow::api::AppState;
use onewindow::auth::{password, token};
use onewindow::store::accounts::{self, NewAccount, Role};
use onewindow::store::{sessions, timestamp};
use serde_json::{Value, json};

use crate::Options;
use crate::database::{Backend, Database};
use crate::drive::{self, Conn, Outcome, Unit};
use crate::host::{FIXTURE, Host};
use crate::native::PREFIX;
use crate::report::{Line, Table};

/// Notes in the table before the selects (the 50-row select reads them all).
const NOTES: usize = 50;
const APPLICATIONS: &str = "/api/v1/services/residence-permit/applications";
const PERMITS: &str = "/api/v1/services/residence-permit/permits";

/// One call, answered with `expected`.
struct Call {
    method: Method,
    path: String,
    expected: StatusCode,
}

impl Unit for Call {
    async fn run(&self, conn: &mut Conn, _: usize) -> Result<u64, String> {
        conn.call(self.method.clone(), &self.path, None, None).await?.expect(self.expected, &self.path)?;
        Ok(1)
    }
}

/// A fixture route and its native twin (paths under the service and [`PREFIX`]).
struct Pair {
    name: &'static str,
    method: Method,
    path: &'static str,
    expected: StatusCode,
}

const PAIRS: [Pair; 4] = [
    Pair { name: "no-op", method: Method::GET, path: "/noop", expected: StatusCode::NO_CONTENT },
    Pair { name: "select 1 row", method: Method::GET, path: "/notes/1", expected: StatusCode::OK },
    Pair { name: "select 50 rows", method: Method::GET, path: "/notes?limit=50", expected: StatusCode::OK },
    Pair { name: "insert 1 row", method: Method::POST, path: "/notes?body=load", expected: StatusCode::CREATED },
];

fn plugin_path(path: &str) -> String {
    format!("/api/v1/services/{FIXTURE}{path}")
}

fn native_path(path: &str) -> String {
    format!("{PREFIX}{path}")
}

/// Measures every scenario on a fresh host and database of `backend`.
pub async fn measure(backend: Backend, options: &Options, host: &tokio::runtime::Handle) -> Result<Table, String> {
    let database = Database::create(backend).await?;
    let (url, host_options) = (database.url.clone(), options.clone());
    let started = host.spawn(async move { Host::start(url, &host_options).await }).await;
    let measured = match started.map_err(|e| e.to_string()).and_then(|started| started) {
        Ok(running) => {
            let measured = measure_on(&running, backend, options, host).await;
            let _ = host.spawn(running.stop()).await;
            measured
        }
        Err(message) => Err(message),
    };
    if let Err(message) = database.drop_database().await {
        eprintln!("onewindow-load: {message}");
    }
    measured
}

async fn measure_on(
    running: &Host,
    backend: Backend,
    options: &Options,
    host: &tokio::runtime::Handle,
) -> Result<Table, String> {
    let mut table = Table::new(backend, options);
    let mut conn = Conn::open(running.address).await?;
    for _ in 0..NOTES {
        conn.call(Method::POST, &plugin_path("/notes?body=note"), None, None)
            .await?
            .expect(StatusCode::CREATED, "a note")?;
    }
    // A twin is a twin only if it answers what the plugin answers, through
    // the same middleware (which gives every answer a request id).
    for path in ["/noop", "/notes/1", "/notes?limit=50"] {
        let plugin = conn.call(Method::GET, &plugin_path(path), None, None).await?;
        let native = conn.call(Method::GET, &native_path(path), None, None).await?;
        let same = plugin.status == native.status && plugin.json() == native.json();
        let ids = [&plugin, &native].map(|answer| answer.headers.contains_key("x-request-id"));
        if !same || !plugin.status.is_success() || ids != [true, true] {
            return Err(format!(
                "{path}: the plugin answered {} {} (request id: {}), its native twin {} {} (request id: {})",
                plugin.status,
                plugin.json(),
                ids[0],
                native.status,
                native.json(),
                ids[1]
            ));
        }
    }
    drop(conn);

    for pair in PAIRS {
        let call = |path: String| Arc::new(Call { method: pair.method.clone(), path, expected: pair.expected });
        let (native_name, plugin_name) = (format!("{}, native", pair.name), format!("{}, plugin", pair.name));
        let mut native_rate = None;
        if options.runs(&native_name) {
            let native = timed(running, call(native_path(pair.path)), options.requests, options).await?;
            native_rate = Some(native.rate());
            table.push(Line { scenario: native_name, outcome: native, ratio: None });
        }
        if options.runs(&plugin_name) {
            let plugin = timed(running, call(plugin_path(pair.path)), options.requests, options).await?;
            let ratio = native_rate.map(|native| plugin.rate() / native);
            table.push(Line { scenario: plugin_name, outcome: plugin, ratio });
        }
    }

    let scenario = format!("residence-permit application ({} calls), per application", Application::CALLS);
    if !options.runs(&scenario) {
        return Ok(table);
    }
    let warm = (options.applications / 10).max(options.connections);
    let state = running.state.clone();
    let residents = warm + options.applications;
    let (residents, officer) =
        host.spawn(async move { accounts(&state, residents).await }).await.map_err(|e| e.to_string())??;
    let unit = Arc::new(Application { residents, officer, body: application(), retries: AtomicU64::new(0) });
    let outcome = timed(running, unit.clone(), options.applications, options).await?;
    table.push(Line { scenario, outcome, ratio: None });
    let retries = unit.retries.load(Ordering::Relaxed);
    if retries > 0 {
        table.note(format!(
            "residence-permit: {retries} transition(s) sent again after a 503 \"another permit was numbered at the same moment\" (warm-up included)"
        ));
    }
    Ok(table)
}

/// Warms up with untimed units, then times `count` more.
async fn timed<U: Unit>(running: &Host, unit: Arc<U>, count: usize, options: &Options) -> Result<Outcome, String> {
    let warm = (count / 10).max(options.connections);
    let warming = drive::run(running.address, unit.clone(), 0..warm, options.connections).await?;
    if let Some(failure) = warming.first_failure {
        return Err(format!("warming up: {failure}"));
    }
    drive::run(running.address, unit, warm..warm + count, options.connections).await
}

/// A whole application as the README's tour makes it: the resident applies
/// and reads it back; the police desk moves it to issued; the resident reads
/// the permit. Each unit is a resident of its own (one application at a time
/// each, and none while a permit is valid).
struct Application {
    residents: Vec<String>,
    officer: String,
    body: Value,
    /// Transitions sent again after a 503.
    retries: AtomicU64,
}

impl Application {
    const CALLS: u64 = 6;
}

impl Unit for Application {
    async fn run(&self, conn: &mut Conn, i: usize) -> Result<u64, String> {
        let resident = self.residents.get(i).ok_or("more applications than residents")?;
        let created = conn.call(Method::POST, APPLICATIONS, Some(resident), Some(&self.body)).await?;
        let id = created.expect(StatusCode::CREATED, "applying")?.json()["id"].as_i64().ok_or("no application id")?;
        let path = format!("{APPLICATIONS}/{id}");
        conn.call(Method::GET, &path, Some(resident), None).await?.expect(StatusCode::OK, "reading it back")?;
        let transition = format!("{path}/transition");
        let mut calls = Self::CALLS;
        for to in ["under-review", "approved", "issued"] {
            let mut answer =
                conn.call(Method::POST, &transition, Some(&self.officer), Some(&json!({ "to": to }))).await?;
            // Two permits numbered at the same moment: the service answers
            // 503 "try again" (PostgreSQL), and a client does.
            while answer.status == StatusCode::SERVICE_UNAVAILABLE && calls < Self::CALLS + 100 {
                self.retries.fetch_add(1, Ordering::Relaxed);
                calls += 1;
                answer = conn.call(Method::POST, &transition, Some(&self.officer), Some(&json!({ "to": to }))).await?;
            }
            answer.expect(StatusCode::OK, to)?;
        }
        conn.call(Method::GET, PERMITS, Some(resident), None).await?.expect(StatusCode::OK, "reading the permit")?;
        Ok(calls)
    }
}

fn application() -> Value {
    json!({
        "full_name": "Aygül Tursun",
        "id_number": "11010519491231002X",
        "current_address": "Room 3, 12 Jiefang South Road, Tianshan District",
        "arrival_date": "2026-03-01",
        "reason": "employment",
        "employer_or_school": "City Power Supply Co.",
        "phone": "138 0013 8000"
    })
}

/// `residents` residents and a police-desk officer, each with a session,
/// written straight into the store: registering and signing in hundreds of
/// accounts over HTTP would spend minutes hashing passwords and meet the
/// sign-in throttle, and is not what is measured.
async fn accounts(state: &AppState, residents: usize) -> Result<(Vec<String>, String), String> {
    let hash = tokio::task::spawn_blocking(|| password::hash("load test password")).await.map_err(|e| e.to_string())?;
    let expires = timestamp::format(time::OffsetDateTime::now_utc() + time::Duration::hours(12));
    let mut tokens = Vec::with_capacity(residents);
    for i in 0..residents {
        let username = format!("load-resident-{i}");
        tokens.push(account(state, &username, Role::Resident, None, &hash, &expires).await?);
    }
    let officer = account(state, "load-officer", Role::Staff, Some("police-central"), &hash, &expires).await?;
    Ok((tokens, officer))
}

async fn account(
    state: &AppState,
    username: &str,
    role: Role,
    unit_id: Option<&str>,
    password_hash: &str,
    expires: &str,
) -> Result<String, String> {
    let mut tx = state.store.pool().begin().await.map_err(|e| e.to_string())?;
    let new = NewAccount { username, display_name: username, role, unit_id, password_hash };
    let account = accounts::create(&mut tx, new).await.map_err(|e| format!("{username}: {e}"))?;
    tx.commit().await.map_err(|e| e.to_string())?;
    let token = token::generate();
    sessions::create(&state.store, &token::hash(&token), &account.id, expires).await.map_err(|e| e.to_string())?;
    Ok(token)
}
