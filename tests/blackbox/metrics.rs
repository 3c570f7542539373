//! `/metrics`: an admin scrapes Prometheus series per plugin version and
//! for the platform; nobody else reads them.
//!
//! The recorder is process-wide and tests run in parallel, so each test
//! meters a plugin id of its own and compares counts with a scrape taken
//! before its calls; platform-wide counters can only be said to have grown.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use onewindow_tests::{Backend, TestApp, on_both_backends, plugins_dir};
use serde_json::json;

on_both_backends!(plugin_calls_and_their_failures_show_in_the_plugins_series, only_admins_may_scrape);

/// One scrape: every sample, by metric name and label set.
#[derive(Debug)]
struct Scrape(Vec<(String, BTreeMap<String, String>, f64)>);

impl Scrape {
    async fn take(app: &TestApp, admin: &str) -> Scrape {
        let answer = app.client.get("/metrics", Some(admin)).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
        let text = answer.body.as_str().expect("the exposition format is text");
        Scrape(text.lines().filter(|line| !line.starts_with('#') && !line.is_empty()).map(sample).collect())
    }

    /// The value of `name` with exactly `labels`; 0 when there is no such series yet.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let wanted: BTreeMap<String, String> = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        self.0.iter().find(|(n, l, _)| n == name && *l == wanted).map_or(0.0, |(_, _, value)| *value)
    }

    fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _, _)| n == name)
    }
}

/// `name{a="1",b="2"} 3` → (name, {a: 1, b: 2}, 3).
fn sample(line: &str) -> (String, BTreeMap<String, String>, f64) {
    let (series, value) = line.rsplit_once(' ').expect("a sample has a value");
    let value = value.parse().unwrap_or_else(|_| panic!("a number in {line}"));
    let Some((name, labels)) = series.split_once('{') else { return (series.to_owned(), BTreeMap::new(), value) };
    let labels = labels.trim_end_matches('}');
    let labels = labels
        .split("\",")
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once("=\"").expect("label=\"value\"");
            (key.to_owned(), value.trim_end_matches('"').to_owned())
        })
        .collect();
    (name.to_owned(), labels, value)
}

/// The fixture under `id` with one instance slot and a 10 s deadline (a
/// looping call holds its slot long enough to be seen), uploaded by a
/// unit's staff and approved by the admin over HTTP.
async fn upload_and_approve(app: &TestApp, admin: &str, id: &str) {
    let developer = app.staff("metered-dev", "police-central").await;
    let fixture = plugins_dir().join("fixtures/misbehaving");
    let manifest = std::fs::read_to_string(fixture.join("plugin.toml"))
        .unwrap()
        .replace("id = \"misbehaving\"", &format!("id = \"{id}\""))
        .replace("timeout-ms = 300", "timeout-ms = 10000")
        .replace("max-concurrency = 4", "max-concurrency = 1");
    let uploaded =
        app.client.upload(Some(&developer), &manifest, &std::fs::read(fixture.join("plugin.wasm")).unwrap()).await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.body);
    let approve = format!("/api/v1/admin/plugins/{id}/versions/0.1.0/approve");
    let approved = app.client.post_json(&approve, Some(admin), &json!({"sha256": uploaded.body["sha256"]})).await;
    assert_eq!(approved.status, 200, "{}", approved.body);
}

async fn plugin_calls_and_their_failures_show_in_the_plugins_series(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let id = format!("metered-{}", format!("{backend:?}").to_lowercase());
    let before = Scrape::take(&app, &admin).await;
    upload_and_approve(&app, &admin, &id).await;
    let base = format!("/api/v1/services/{id}");

    for _ in 0..3 {
        assert_eq!(app.client.get(&format!("{base}/noop"), None).await.status, 204);
    }
    assert_eq!(app.client.post_empty(&format!("{base}/notes?body=metered"), None).await.status, 201);
    assert_eq!(app.client.get(&format!("{base}/notes"), None).await.status, 200);
    app.client.post_empty(&format!("{base}/trap-after-write"), None).await.assert_problem(502, "plugin-failed");
    app.client.post_empty(&format!("{base}/alloc?mb=64"), None).await.assert_problem(502, "plugin-memory-limit");
    // A looping call holds the one slot until its deadline: the next call is refused as busy.
    let looping = {
        let (client, path) = (app.client.clone(), format!("{base}/loop"));
        tokio::spawn(async move { client.post_empty(&path, None).await })
    };
    let give_up = Instant::now() + Duration::from_secs(60);
    while app.state.runtime.instances_in_use() == 0 {
        assert!(Instant::now() < give_up, "the looping call never started");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    app.client.get(&format!("{base}/noop"), None).await.assert_problem(503, "service-busy");
    looping.await.unwrap().assert_problem(504, "plugin-timeout");
    // A failed sign-in is counted too.
    assert_eq!(
        app.client
            .post_json("/api/v1/auth/sign-in", None, &json!({"username": "admin", "password": "not the password"}))
            .await
            .status,
        401
    );
    app.admin_token().await;

    let after = Scrape::take(&app, &admin).await;
    let plugin = [("plugin", id.as_str()), ("version", "0.1.0")];
    let with = |key, value| [plugin[0], plugin[1], (key, value)];
    let grew = |name: &str, labels: &[(&str, &str)]| after.value(name, labels) - before.value(name, labels);
    // 3 no-ops, the insert and the list answered 2xx; the trap, the memory
    // kill, the busy refusal and the timeout 5xx; nothing 4xx.
    assert_eq!(grew("onewindow_plugin_requests_total", &with("status_class", "2xx")), 5.0);
    assert_eq!(grew("onewindow_plugin_requests_total", &with("status_class", "5xx")), 4.0);
    assert_eq!(grew("onewindow_plugin_requests_total", &with("status_class", "4xx")), 0.0);
    assert_eq!(grew("onewindow_plugin_request_duration_seconds_count", &plugin), 9.0);
    assert_eq!(grew("onewindow_plugin_request_duration_seconds_bucket", &with("le", "+Inf")), 9.0);
    assert_eq!(grew("onewindow_plugin_traps_total", &plugin), 1.0);
    assert_eq!(grew("onewindow_plugin_memory_kills_total", &plugin), 1.0);
    assert_eq!(grew("onewindow_plugin_timeouts_total", &plugin), 1.0);
    assert_eq!(grew("onewindow_plugin_busy_refusals_total", &with("limit", "plugin")), 1.0);
    assert_eq!(grew("onewindow_plugin_busy_refusals_total", &with("limit", "pool")), 0.0);
    // Every call but the refused one got an instance.
    assert_eq!(grew("onewindow_plugin_instantiation_seconds_count", &plugin), 8.0);
    // Two inserts (one before the trap) and one select.
    assert_eq!(grew("onewindow_plugin_data_calls_total", &with("operation", "insert")), 2.0);
    assert_eq!(grew("onewindow_plugin_data_calls_total", &with("operation", "select")), 1.0);
    assert_eq!(grew("onewindow_plugin_data_calls_total", &with("operation", "update")), 0.0);
    assert_eq!(grew("onewindow_plugin_data_call_duration_seconds_count", &plugin), 3.0);

    // Per-plugin series carry the plugin and its version, and nothing unbounded.
    let allowed = ["plugin", "version", "status_class", "limit", "operation", "le"];
    for (name, labels, _) in after.0.iter().filter(|(_, labels, _)| labels.contains_key("plugin")) {
        assert!(labels.keys().all(|key| allowed.contains(&key.as_str())), "{name} {labels:?}");
    }

    // Platform-wide: the pools as the scrape saw them, and counters that grew.
    assert!(after.has("onewindow_instances_in_use"));
    assert!(after.value("onewindow_instance_pool_size", &[]) > 0.0);
    assert!(after.value("onewindow_compute_lanes", &[]) >= 1.0);
    assert!(after.has("onewindow_compute_lanes_in_use"));
    for pool in ["platform", "data"] {
        assert!(after.value("onewindow_db_max_connections", &[("pool", pool)]) > 0.0, "{pool}");
        assert!(after.has("onewindow_db_connections"), "{pool}");
    }
    assert!(after.has("onewindow_db_plugin_transactions_waiting"));
    assert!(grew("onewindow_sign_ins_total", &[("outcome", "succeeded")]) >= 1.0);
    assert!(grew("onewindow_sign_ins_total", &[("outcome", "refused")]) >= 1.0);
    assert!(grew("onewindow_plugin_uploads_total", &[("outcome", "accepted")]) >= 1.0);
    assert!(grew("onewindow_plugin_reviews_total", &[("decision", "approved")]) >= 1.0);
}

async fn only_admins_may_scrape(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.client.get("/metrics", None).await.assert_problem(401, "unauthorized");
    let (resident, _) = app.resident("metrics-resident").await;
    app.client.get("/metrics", Some(&resident)).await.assert_problem(403, "forbidden");
    let staff = app.staff("metrics-staff", "police-central").await;
    app.client.get("/metrics", Some(&staff)).await.assert_problem(403, "forbidden");
    // The scrape is documented: admin-only text, problems otherwise.
    let spec = app.client.get("/api/openapi.json", None).await.body;
    let scrape = &spec["paths"]["/metrics"]["get"];
    assert!(scrape["responses"]["200"]["content"]["text/plain"].is_object(), "{scrape:#}");
    for status in ["401", "403"] {
        assert!(scrape["responses"][status]["content"]["application/problem+json"].is_object(), "{status}: {scrape:#}");
    }
}
