//! Partners see their own plugin: its log lines, what it printed and how
//! its calls failed, for the staff of the unit that owns it (and admins).

use onewindow_tests::{Backend, TestApp, on_both_backends, plugins_dir};
use serde_json::{Value, json};

on_both_backends!(
    a_unit_reads_its_own_plugins_log_and_nobody_elses,
    printing_past_the_capture_drops_output_not_the_request,
);

async fn printing_past_the_capture_drops_output_not_the_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let owner = app.staff("heat-dev", "partner-heating").await;
    let dir = plugins_dir().join("fixtures/misbehaving");
    let wasm = std::fs::read(dir.join("plugin.wasm")).unwrap();
    let manifest = std::fs::read_to_string(dir.join("plugin.toml")).unwrap();
    for (id, capabilities) in [("loud", r#"["data", "log"]"#), ("unlogged", r#"["data"]"#)] {
        let manifest = manifest
            .replace("id = \"misbehaving\"", &format!("id = \"{id}\""))
            .replace(r#"capabilities = ["data", "log"]"#, &format!("capabilities = {capabilities}"));
        let uploaded = app.client.upload(Some(&owner), &manifest, &wasm).await;
        assert_eq!(uploaded.status, 201, "{}", uploaded.body);
        let approval = json!({"sha256": uploaded.body["sha256"]});
        let path = format!("/api/v1/admin/plugins/{id}/versions/0.1.0/approve");
        assert_eq!(app.client.post_json(&path, Some(&admin), &approval).await.status, 200);
        // 256 KiB printed, four times the capture: the request still succeeds.
        let printed = app.client.post_empty(&format!("/api/v1/services/{id}/print-a-lot?kib=256"), None).await;
        assert_eq!(printed.status, 204, "{id}: {}", printed.body);
    }
    let lines = app.client.get("/api/v1/plugins/loud/logs", Some(&owner)).await;
    let stdout: Vec<&str> = lines
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] == "stdout")
        .map(|l| l["message"].as_str().unwrap())
        .collect();
    assert_eq!(stdout.len(), 16 + 1, "the 16 lines that fit (4 KiB each) and a note: {stdout:?}");
    assert!(stdout[0].starts_with("0000 xxx"), "{}", stdout[0]);
    assert_eq!(stdout[16], "… 196608 more bytes dropped (at most 64 KiB are kept per request)");
    // Without the log grant, printing is dropped like any ungranted log line.
    let quiet = app.client.get("/api/v1/plugins/unlogged/logs", Some(&owner)).await;
    assert_eq!(quiet.status, 200, "{}", quiet.body);
    assert!(quiet.body.as_array().unwrap().iter().all(|l| l["kind"] != "stdout"), "{}", quiet.body);
}

async fn a_unit_reads_its_own_plugins_log_and_nobody_elses(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let owner = app.staff("heat-dev", "partner-heating").await;
    let other = app.staff("water-dev", "partner-water").await;
    let dir = plugins_dir().join("fixtures/misbehaving");
    let manifest = std::fs::read_to_string(dir.join("plugin.toml"))
        .unwrap()
        .replace("id = \"misbehaving\"", "id = \"heat-notes\"");
    let uploaded = app.client.upload(Some(&owner), &manifest, &std::fs::read(dir.join("plugin.wasm")).unwrap()).await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.body);
    let approval = json!({"sha256": uploaded.body["sha256"]});
    let approved =
        app.client.post_json("/api/v1/admin/plugins/heat-notes/versions/0.1.0/approve", Some(&admin), &approval).await;
    assert_eq!(approved.status, 200, "{}", approved.body);

    let printed = app.client.post_empty("/api/v1/services/heat-notes/print", None).await;
    assert_eq!(printed.status, 204, "{}", printed.body);
    let trapped = app.client.post_empty("/api/v1/services/heat-notes/trap-after-write", None).await;
    let request_id = trapped.header("x-request-id").unwrap().to_owned();
    trapped.assert_problem(502, "plugin-failed");

    let read = |token: String, query: &str| {
        let (app, path) = (&app, format!("/api/v1/plugins/heat-notes/logs{query}"));
        async move { app.client.get(&path, Some(&token)).await }
    };
    let lines = read(owner.clone(), "").await;
    assert_eq!(lines.status, 200, "{}", lines.body);
    let seen: Vec<(&str, &str)> = lines
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["kind"].as_str().unwrap(), l["message"].as_str().unwrap()))
        .collect();
    assert_eq!(&seen[..2], [("stdout", "hello from stdout"), ("stderr", "hello from stderr")]);
    let failure = lines.body.as_array().unwrap().iter().find(|l| l["kind"] == "failure").expect("the trap is there");
    assert_eq!(failure["request_id"], request_id.as_str());
    assert!(failure["message"].as_str().unwrap().contains("failed"), "{failure}");
    // Where it failed: the guest's frames (named where the component keeps
    // its name section; this one is stripped, so numbered).
    assert!(failure["message"].as_str().unwrap().contains("\n  at function #"), "{failure}");
    assert!(!trapped.body.to_string().contains("at function"), "the caller learns only that it failed");
    assert!(
        lines.body.as_array().unwrap().iter().all(|l| l["version"] == "0.1.0"),
        "every line names the version that wrote it"
    );

    // Paging on: nothing after the last line; `limit` is checked.
    let last = lines.body.as_array().unwrap().last().unwrap()["seq"].as_u64().unwrap();
    assert_eq!(read(owner.clone(), &format!("?after={last}")).await.body, json!([]));
    assert_eq!(read(owner.clone(), "?limit=0").await.problem_fields(), ["limit"]);
    // The admin reads it too; another unit's staff do not know it exists; residents may not ask.
    assert_eq!(read(admin.clone(), "").await.body, lines.body);
    read(other, "").await.assert_problem(404, "not-found");
    let (resident, _) = app.resident("curious").await;
    read(resident, "").await.assert_problem(403, "forbidden");
    // A plugin the platform ships has no unit: only admins read its log.
    let first_party = app.client.get("/api/v1/plugins/residence-permit/logs", Some(&owner)).await;
    first_party.assert_problem(404, "not-found");
    assert_eq!(app.client.get("/api/v1/plugins/residence-permit/logs", Some(&admin)).await.body, Value::Array(vec![]));
}
