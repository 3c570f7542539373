//! The example services written in Python and JavaScript (`examples/`),
//! built by their languages' own toolchains, go through the same upload,
//! review and calls as a Rust plugin: the WIT is the contract, not the Rust
//! SDK. Both examples answer the same routes, so one story checks each.
//!
//! `cargo xtask build-polyglot` (and `cargo xtask test`) stages them under
//! `polyglot/` in the plugins directory. Where they are absent the tests
//! skip, unless `ONEWINDOW_POLYGLOT_REQUIRED` is set (CI sets it): then they
//! fail.

use std::path::PathBuf;

use onewindow_tests::{Backend, TestApp, on_both_backends, plugins_dir};
use serde_json::json;

on_both_backends!(
    a_python_service_serves_residents_like_a_rust_one,
    a_javascript_service_serves_residents_like_a_rust_one
);

/// One example: its plugin id, the partner unit that uploads it, what its
/// greeting says its language is, and a meter number it accepts.
struct Example {
    id: &'static str,
    unit: &'static str,
    language: &'static str,
    meter: &'static str,
}

async fn a_python_service_serves_residents_like_a_rust_one(backend: Backend) {
    let example = Example { id: "python-example", unit: "partner-water", language: "python", meter: "W-1001" };
    residents_record_and_read_their_own_readings(backend, example).await;
}

async fn a_javascript_service_serves_residents_like_a_rust_one(backend: Backend) {
    let example = Example { id: "js-example", unit: "partner-electricity", language: "javascript", meter: "E-2002" };
    residents_record_and_read_their_own_readings(backend, example).await;
}

/// Where the example is staged, or `None` (having said why) when it is not
/// built and not required.
fn staged(id: &str) -> Option<PathBuf> {
    let dir = plugins_dir().join("polyglot").join(id);
    if dir.join("plugin.toml").is_file() && dir.join("plugin.wasm").is_file() {
        return Some(dir);
    }
    let missing = format!("{} holds no plugin.toml and plugin.wasm: run `cargo xtask build-polyglot`", dir.display());
    assert!(
        std::env::var_os("ONEWINDOW_POLYGLOT_REQUIRED").is_none(),
        "ONEWINDOW_POLYGLOT_REQUIRED is set, but {missing}"
    );
    eprintln!("skipped: the {id} example is not built; {missing}");
    None
}

async fn residents_record_and_read_their_own_readings(backend: Backend, example: Example) {
    let Some(dir) = staged(example.id) else { return };
    let Example { id, unit, language, meter } = example;
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;

    // The partner's staff upload it; the admin approves what it asks for.
    let owner = app.staff(&format!("{language}-dev"), unit).await;
    let manifest = std::fs::read_to_string(dir.join("plugin.toml")).unwrap();
    let uploaded = app.client.upload(Some(&owner), &manifest, &std::fs::read(dir.join("plugin.wasm")).unwrap()).await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.body);
    let approval = json!({"sha256": uploaded.body["sha256"]});
    let approve = format!("/api/v1/admin/plugins/{id}/versions/0.1.0/approve");
    let approved = app.client.post_json(&approve, Some(&admin), &approval).await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    let route = |rest: &str| format!("/api/v1/services/{id}{rest}");

    // Anyone may call the public route.
    let hello = app.client.get(&route("/hello"), None).await;
    assert_eq!(hello.status, 200, "{}", hello.body);
    assert_eq!(hello.header("content-type"), Some("application/json"));
    assert_eq!(hello.body["language"], language, "{}", hello.body);

    // A signed-in resident records a reading, through the data interface.
    let (aygul, _) = app.resident("aygul").await;
    let recorded =
        app.client.post_json(&route("/readings"), Some(&aygul), &json!({"meter": meter, "reading": 12.5})).await;
    assert_eq!(recorded.status, 201, "{}", recorded.body);
    let first = recorded.body["id"].as_i64().expect("the new row's id");
    assert_eq!(recorded.body, json!({"id": first, "meter": meter, "reading": 12.5}));

    // Bad input is refused as the host and the Rust SDK refuse it, and stores nothing.
    let not_json = app.client.post_raw(&route("/readings"), Some(&aygul), "application/json", b"{\"meter\": ").await;
    let detail = not_json.assert_problem(400, "bad-request");
    assert!(detail.contains("not JSON"), "{detail}");
    assert_eq!(not_json.body["title"], "Bad request");
    let bad = json!({"meter": "", "reading": -1, "colour": "red"});
    let invalid = app.client.post_json(&route("/readings"), Some(&aygul), &bad).await;
    assert_eq!(invalid.problem_fields(), ["meter", "reading", "colour"]);
    assert!(invalid.assert_problem(422, "validation-failed").starts_with("meter: must be a meter number"));
    let anonymous = app.client.post_json(&route("/readings"), None, &json!({"meter": meter, "reading": 1})).await;
    anonymous.assert_problem(401, "unauthorized");
    let staff = app.client.post_json(&route("/readings"), Some(&owner), &json!({"meter": meter, "reading": 1})).await;
    staff.assert_problem(403, "forbidden");
    app.client.get(&route("/nowhere"), None).await.assert_problem(404, "not-found");
    let wrong_method = app.client.send("DELETE", &route("/readings"), Some(&aygul), &[], None).await;
    wrong_method.assert_problem(405, "method-not-allowed");
    assert_eq!(wrong_method.header("allow"), Some("GET, POST"));

    // Each resident reads back their own rows only: the refusals stored nothing.
    let mine = |token: String| {
        let (app, path) = (&app, route("/readings"));
        async move {
            let answer = app.client.get(&path, Some(&token)).await;
            assert_eq!(answer.status, 200, "{}", answer.body);
            answer.body
        }
    };
    assert_eq!(mine(aygul.clone()).await, json!([{"id": first, "meter": meter, "reading": 12.5}]));
    let (bilal, _) = app.resident("bilal").await;
    assert_eq!(mine(bilal.clone()).await, json!([]), "a second resident sees none of the first's rows");
    let theirs = app.client.post_json(&route("/readings"), Some(&bilal), &json!({"meter": meter, "reading": 3})).await;
    assert_eq!(theirs.status, 201, "{}", theirs.body);
    let rows = mine(bilal).await;
    assert_eq!((rows[0]["id"].as_i64(), rows[0]["meter"].as_str()), (theirs.body["id"].as_i64(), Some(meter)));
    // A `real` column reads back as a float; JSON from JavaScript writes 3.0 as 3.
    assert_eq!((rows.as_array().unwrap().len(), rows[0]["reading"].as_f64()), (1, Some(3.0)), "{rows}");
    assert_eq!(mine(aygul).await.as_array().unwrap().len(), 1);
    app.client.get(&route("/readings"), None).await.assert_problem(401, "unauthorized");

    // What it wrote to the log interface reaches its unit's staff.
    let logs = app.client.get(&format!("/api/v1/plugins/{id}/logs"), Some(&owner)).await;
    assert_eq!(logs.status, 200, "{}", logs.body);
    let recorded_lines = logs.body.as_array().unwrap().iter().filter(|line| {
        line["kind"] == "info" && line["message"].as_str().is_some_and(|m| m.contains("recorded for meter"))
    });
    assert_eq!(recorded_lines.count(), 2, "{:#}", logs.body);
}
