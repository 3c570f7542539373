//! Dispatch cost: a fresh instance per request, against native Rust doing
//! the same work.
//!
//! Run with `cargo xtask bench` (it builds the plugins first; plain
//! `cargo bench -p onewindow` works once they are built).
//!
//! - `dispatch/wasm_noop`: instantiate + `handle` (router, 204) + drop;
//! - `dispatch/native_noop`: the same routing and answer in native Rust;
//! - `insert/wasm`: the same, with one table insert committed (SQLite, WAL);
//! - `insert/native`: that insert and commit straight through sqlx.

use std::path::PathBuf;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use onewindow::config::RuntimeConfig;
use onewindow::registry::Installer;
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
    let store = Store::connect(&url, 8).await.unwrap();
    let cache = ArtifactCache::new(onewindow::data_dir::open(&dir.path().join("cache")).unwrap());
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
    Installer::new(store.clone(), runtime.clone()).install_and_activate(&manifest, &bytes, "bench").await.unwrap();
    Bench { runtime, store, _dir: dir }
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
            let mut tx = bench.store.pool().begin().await.unwrap();
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
}

criterion_group!(dispatch, benches);
criterion_main!(dispatch);
