//! Dispatch cost: a fresh instance per request, against native Rust doing
//! the same work.
//!
//! Run with `cargo xtask bench` (it builds the plugins first; plain
//! `cargo bench -p onewindow` works once they are built).
//!
//! - `dispatch/wasm_noop`: instantiate + `handle` (router, 204) + drop;
//! - `dispatch/native_noop`: the same routing and answer in native Rust;
//! - `insert/wasm`: the same, with one table insert committed (SQLite, WAL);
//! - `insert/native`: that insert and commit straight through sqlx;
//! - `linkage/own_table_select`: one row of a plugin's own table by id;
//! - `linkage/record_select`: one row of the shared resident profile under
//!   a `caller` grant (scope, column checks, opening the sealed ID number,
//!   and the access-log entry written for the resident);
//! - `linkage/record_select_unlogged`: the same row without personal
//!   columns (the difference is the access-log write);
//! - `linkage/case_transition`: one case transition (history entry and the
//!   resident's notification in the same transaction);
//! - `services/<id>`: one typical read of each first-party service, as its
//!   users call it (the whole dispatch: instance, router, the service's own
//!   queries and records, JSON out).

use std::path::PathBuf;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use onewindow::config::RuntimeConfig;
use onewindow::registry::{Installer, Upload};
use onewindow::runtime::{ArtifactCache, Invocation, Runtime};
use onewindow::store::Store;
use onewindow::wit;

struct Bench {
    runtime: Arc<Runtime>,
    store: Store,
    _dir: tempfile::TempDir,
}

fn plugins_dir() -> PathBuf {
    let dir = std::env::var_os("ONEWINDOW_PLUGINS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/plugins"));
    assert!(
        dir.join("fixtures/misbehaving/plugin.wasm").is_file(),
        "run `cargo xtask bench` (it builds the plugins first)"
    );
    dir
}

async fn setup() -> Bench {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
    // Installs are audited, and audit entries are keyed.
    let audit_key = onewindow::audit::AuditKey::from_bytes(&[7; 32]).unwrap();
    let store = Store::connect(&url, 8).await.unwrap().with_audit_key(audit_key);
    // What `Application::build` seeds: units, areas, the shared record's tables.
    onewindow::store::units::seed_defaults(&store).await.unwrap();
    onewindow::store::areas::seed_defaults(&store).await.unwrap();
    onewindow::records::tables::ensure(&store).await.unwrap();
    let cache = ArtifactCache::open(&dir.path().join("cache")).unwrap();
    let config = RuntimeConfig { max_concurrency: 64, ..RuntimeConfig::default() };
    let keyring = Arc::new(
        onewindow::records::sealing::Keyring::from_text(&onewindow::records::sealing::Keyring::generate_text())
            .unwrap(),
    );
    let runtime = Arc::new(Runtime::new(config, cache, store.clone(), keyring).unwrap());
    let fixture = plugins_dir().join("fixtures/misbehaving");
    // A bench-only copy of the fixture with room for concurrent callers.
    let manifest = std::fs::read_to_string(fixture.join("plugin.toml"))
        .unwrap()
        .replace("max-concurrency = 4", "max-concurrency = 64");
    let bytes = std::fs::read(fixture.join("plugin.wasm")).unwrap();
    Installer::new(store.clone(), runtime.clone())
        .install_and_activate(Upload::new(&manifest, &bytes), "bench")
        .await
        .unwrap();
    let probe = plugins_dir().join("fixtures/linkage-probe");
    let manifest = std::fs::read_to_string(probe.join("plugin.toml"))
        .unwrap()
        .replace("max-concurrency = 16", "max-concurrency = 64");
    let bytes = std::fs::read(probe.join("plugin.wasm")).unwrap();
    Installer::new(store.clone(), runtime.clone())
        .install_and_activate(Upload::new(&manifest, &bytes), "bench")
        .await
        .unwrap();
    // The services the platform ships, as `Application::build` installs them.
    let installer = Installer::new(store.clone(), runtime.clone());
    onewindow::registry::first_party::install_all(&installer, &plugins_dir().join("first-party")).await.unwrap();
    Bench { runtime, store, _dir: dir }
}

/// One typical read per first-party service: (service, path, as a resident?).
const SERVICE_READS: &[(&str, &str, bool)] = &[
    ("residence-permit", "/applications", true),
    ("lost-id-reissue", "/info", false),
    ("legal-consultation", "/guide", false),
    ("utility-referral", "/units", false),
];

/// A resident account for the linkage benches.
async fn resident(store: &Store) -> wit::Caller {
    let mut tx = store.pool().begin().await.unwrap();
    let new = onewindow::store::accounts::NewAccount {
        username: "bench-resident",
        display_name: "Bench",
        role: onewindow::store::accounts::Role::Resident,
        unit_id: None,
        password_hash: "not a hash",
    };
    let account = onewindow::store::accounts::create(&mut tx, new).await.unwrap();
    tx.commit().await.unwrap();
    wit::Caller { subject: account.id, role: wit::Role::Resident, unit: None, display_name: "Bench".into() }
}

/// A JSON call to the probe as `caller`; returns the answer's JSON.
async fn probe(bench: &Bench, caller: &wit::Caller, path: &str, body: serde_json::Value) -> serde_json::Value {
    let plugin = bench.runtime.get("linkage-probe").unwrap();
    let mut request = request("POST", path, "");
    request.body = body.to_string().into_bytes();
    request.headers.push(("content-type".into(), "application/json".into()));
    request.caller = Some(caller.clone());
    let response = bench.runtime.invoke(&plugin, Invocation { request }).await.unwrap();
    assert!(response.status < 300, "{path}: {} {}", response.status, String::from_utf8_lossy(&response.body));
    serde_json::from_slice(&response.body).unwrap_or_default()
}

fn request(method: &str, path: &str, query: &str) -> wit::Request {
    wit::Request {
        method: method.into(),
        path: path.into(),
        query: query.into(),
        headers: vec![("accept".into(), "application/json".into())],
        body: Vec::new(),
        request_id: "bench".into(),
        caller: None,
    }
}

/// Native stand-in for the SDK router's work on `GET /noop`.
fn native_handle(request: &wit::Request) -> wit::Response {
    let routes: [(&str, &str); 4] = [("GET", "/noop"), ("POST", "/notes"), ("GET", "/notes"), ("POST", "/loop")];
    let segments: Vec<&str> = request.path.split('/').filter(|s| !s.is_empty()).collect();
    for (method, pattern) in routes {
        let pattern: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
        if method == request.method && pattern == segments {
            return wit::Response { status: 204, headers: Vec::new(), body: Vec::new() };
        }
    }
    wit::Response { status: 404, headers: Vec::new(), body: Vec::new() }
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let bench = rt.block_on(setup());
    let plugin = bench.runtime.get("misbehaving").unwrap();

    let mut dispatch = c.benchmark_group("dispatch");
    dispatch.bench_function("wasm_noop", |b| {
        b.to_async(&rt).iter(|| async {
            let response =
                bench.runtime.invoke(&plugin, Invocation { request: request("GET", "/noop", "") }).await.unwrap();
            assert_eq!(response.status, 204);
        })
    });
    dispatch.bench_function("native_noop", |b| {
        b.iter(|| {
            let request = request("GET", "/noop", "");
            let response = native_handle(std::hint::black_box(&request));
            assert_eq!(response.status, 204);
        })
    });
    dispatch.finish();

    let mut insert = c.benchmark_group("insert");
    insert.bench_function("wasm", |b| {
        b.to_async(&rt).iter(|| async {
            let response = bench
                .runtime
                .invoke(&plugin, Invocation { request: request("POST", "/notes", "body=bench") })
                .await
                .unwrap();
            assert_eq!(response.status, 201);
        })
    });
    insert.bench_function("native", |b| {
        b.to_async(&rt).iter(|| async {
            let mut tx = bench.store.data_pool().begin().await.unwrap();
            let row = sqlx::query(
                "INSERT INTO \"p_misbehaving__notes\" (\"body\", \"rank\") VALUES ($1, $2) RETURNING \"id\"",
            )
            .bind("bench")
            .bind(1_i64)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
            tx.commit().await.unwrap();
            std::hint::black_box(row);
        })
    });
    insert.finish();

    let caller = rt.block_on(resident(&bench.store));
    let (note, case) = rt.block_on(async {
        let profile = serde_json::json!({"table": "resident_profile", "values": {"name": "Bench", "id_number": "11010519491231002X", "area": "east-gate"}});
        probe(&bench, &caller, "/records/insert", profile).await;
        let note = probe(&bench, &caller, "/data/insert", serde_json::json!({"note": "bench"})).await["id"].as_i64().unwrap();
        let new_case = serde_json::json!({"kind": "probe", "resident": caller.subject, "unit": "police-central"});
        let case = probe(&bench, &caller, "/cases/create", new_case).await["id"].as_i64().unwrap();
        for to in ["accepted", "in-progress"] {
            probe(&bench, &caller, &format!("/cases/{case}/transition"), serde_json::json!({"to": to})).await;
        }
        (note, case)
    });
    let mut linkage = c.benchmark_group("linkage");
    linkage.bench_function("own_table_select", |b| {
        b.to_async(&rt).iter(|| probe(&bench, &caller, "/data/select", serde_json::json!({"id": note})))
    });
    linkage.bench_function("record_select", |b| {
        let query =
            serde_json::json!({"table": "resident_profile", "columns": ["id", "name", "id_number"], "limit": 1});
        b.to_async(&rt).iter(|| probe(&bench, &caller, "/records/select", query.clone()))
    });
    linkage.bench_function("record_select_unlogged", |b| {
        // The same row, without personal columns: no access-log entry to write.
        let query = serde_json::json!({"table": "resident_profile", "columns": ["id", "area"], "limit": 1});
        b.to_async(&rt).iter(|| probe(&bench, &caller, "/records/select", query.clone()))
    });
    let toggle = std::sync::atomic::AtomicBool::new(false);
    linkage.bench_function("case_transition", |b| {
        b.to_async(&rt).iter(|| {
            // in-progress ⇄ on-hold: every iteration is a legal move.
            let hold = !toggle.fetch_xor(true, std::sync::atomic::Ordering::Relaxed);
            let to = if hold { "on-hold" } else { "in-progress" };
            let path = format!("/cases/{case}/transition");
            let (bench, caller) = (&bench, &caller);
            async move { probe(bench, caller, &path, serde_json::json!({"to": to})).await }
        })
    });
    linkage.finish();

    let mut services = c.benchmark_group("services");
    for (id, path, as_resident) in SERVICE_READS {
        let plugin = bench.runtime.get(id).unwrap_or_else(|| panic!("first-party {id} is installed"));
        services.bench_function(*id, |b| {
            b.to_async(&rt).iter(|| async {
                let mut request = request("GET", path, "");
                request.caller = as_resident.then(|| caller.clone());
                let response = bench.runtime.invoke(&plugin, Invocation { request }).await.unwrap();
                assert_eq!(response.status, 200, "{id} GET {path}: {}", String::from_utf8_lossy(&response.body));
            })
        });
    }
    services.finish();
}

criterion_group!(dispatch, benches);
criterion_main!(dispatch);
