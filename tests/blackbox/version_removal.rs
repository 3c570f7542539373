//! A unit frees its upload quota by removing versions it no longer needs:
//! a pending one is withdrawn, a rejected, retired or superseded one keeps
//! its record but loses its component (and can never run again). Serving
//! versions, other units and strangers are refused, and nothing changes.

use onewindow_tests::{Answer, Backend, Options, TestApp, on_both_backends, plugins_dir};
use serde_json::{Value, json};

on_both_backends!(
    a_unit_near_its_quota_removes_versions_and_uploads_again,
    serving_versions_and_strangers_are_refused_and_a_removed_version_cannot_come_back,
    a_restart_drops_the_artifact_of_a_removed_component,
);

/// The `misbehaving` fixture as `id` at `version`, and its component.
fn fixture(id: &str, version: &str) -> (String, Vec<u8>) {
    let dir = plugins_dir().join("fixtures/misbehaving");
    let manifest = std::fs::read_to_string(dir.join("plugin.toml"))
        .unwrap()
        .replace("id = \"misbehaving\"", &format!("id = \"{id}\""))
        .replace("version = \"0.1.0\"", &format!("version = \"{version}\""));
    (manifest, std::fs::read(dir.join("plugin.wasm")).unwrap())
}

async fn remove(app: &TestApp, token: Option<&str>, id: &str, version: &str) -> Answer {
    app.client.send("DELETE", &format!("/api/v1/plugins/{id}/versions/{version}"), token, &[], None).await
}

async fn upload(app: &TestApp, token: &str, id: &str, version: &str) -> Answer {
    let (manifest, wasm) = fixture(id, version);
    app.client.upload(Some(token), &manifest, &wasm).await
}

async fn approve(app: &TestApp, admin: &str, id: &str, version: &str, sha256: &Value) {
    let path = format!("/api/v1/admin/plugins/{id}/versions/{version}/approve");
    let approved = app.client.post_json(&path, Some(admin), &json!({"sha256": sha256})).await;
    assert_eq!(approved.status, 200, "{}", approved.body);
}

/// The version the `gas-notes` service answers from.
async fn serving(app: &TestApp) -> Value {
    app.client.get("/api/v1/services/gas-notes", None).await.body["version"].clone()
}

/// The plugin's versions, oldest upload first.
async fn versions(app: &TestApp, token: &str, id: &str) -> Vec<Value> {
    let shown = app.client.get(&format!("/api/v1/plugins/{id}"), Some(token)).await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    shown.body["versions"].as_array().unwrap().clone()
}

async fn version(app: &TestApp, token: &str, id: &str, version: &str) -> Value {
    let all = versions(app, token, id).await;
    all.into_iter().find(|v| v["version"] == version).unwrap_or_else(|| panic!("{id} {version} is listed"))
}

async fn a_unit_near_its_quota_removes_versions_and_uploads_again(backend: Backend) {
    // 1 MiB per unit: five fixture builds (about 190 KiB each) fit, six do not.
    let app = TestApp::spawn_with(backend, Options { unit_storage_mb: Some(1), ..Options::default() }).await;
    let admin = app.admin_token().await;
    let partner = app.staff("gas-dev", "partner-gas").await;
    let size = fixture("gas-notes", "1.0.0").1.len() as i64;
    for patch in 0..5 {
        assert_eq!(upload(&app, &partner, "gas-notes", &format!("1.0.{patch}")).await.status, 201);
    }

    // Five wait for review: withdrawing one frees its place in the queue.
    let detail = upload(&app, &partner, "gas-notes", "1.0.5").await.assert_problem(409, "upload-quota-exceeded");
    assert!(detail.contains("withdraw the ones you no longer need"), "{detail}");
    let withdrawn = remove(&app, Some(&partner), "gas-notes", "1.0.4").await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.body);
    assert_eq!(
        withdrawn.body,
        json!({"plugin_id": "gas-notes", "version": "1.0.4", "previous_state": "pending", "freed_bytes": size, "withdrawn": true})
    );
    assert!(versions(&app, &partner, "gas-notes").await.iter().all(|v| v["version"] != "1.0.4"), "its row is gone");
    let queue = app.client.get("/api/v1/admin/reviews", Some(&admin)).await.body;
    assert_eq!(queue.as_array().unwrap().len(), 4, "no longer waits for review: {queue}");
    assert_eq!(upload(&app, &partner, "gas-notes", "1.0.5").await.status, 201);

    // Rejected, it still holds its bytes: the stored bytes are the limit now.
    let reject = "/api/v1/admin/plugins/gas-notes/versions/1.0.0/reject";
    assert_eq!(app.client.post_json(reject, Some(&admin), &json!({"reason": "old"})).await.status, 200);
    let detail = upload(&app, &partner, "gas-notes", "1.0.6").await.assert_problem(409, "upload-quota-exceeded");
    assert!(detail.contains("would pass its quota of 1 MiB") && detail.contains("remove the versions"), "{detail}");
    let removed = remove(&app, Some(&partner), "gas-notes", "1.0.0").await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert_eq!(removed.body["previous_state"], "rejected");
    assert_eq!(removed.body["freed_bytes"], size);
    assert_eq!(removed.body["withdrawn"], false);
    // Its record stays, review and all, marked as holding no component.
    let kept = version(&app, &partner, "gas-notes", "1.0.0").await;
    assert_eq!(
        (&kept["state"], &kept["review_note"], &kept["component_removed"]),
        (&json!("rejected"), &json!("old"), &json!(true))
    );
    assert_eq!(version(&app, &partner, "gas-notes", "1.0.1").await["component_removed"], false);
    assert_eq!(upload(&app, &partner, "gas-notes", "1.0.6").await.status, 201, "the same upload is accepted now");

    // Twice: the component is already gone; a withdrawn version is not found.
    let again = remove(&app, Some(&partner), "gas-notes", "1.0.0").await.assert_problem(409, "component-removed");
    assert!(again.contains("already removed"), "{again}");
    remove(&app, Some(&partner), "gas-notes", "1.0.4").await.assert_problem(404, "not-found");

    // Both acts are on the trail, by the unit's staff member.
    let trail = app.client.get("/api/v1/admin/audit?action=plugin.remove-version", Some(&admin)).await.body;
    let entries = trail.as_array().unwrap();
    let targets: Vec<&str> = entries.iter().map(|e| e["target"].as_str().unwrap()).collect();
    assert_eq!(targets, ["plugin:gas-notes@1.0.4", "plugin:gas-notes@1.0.0"]);
    assert!(entries.iter().all(|e| e["actor_unit"] == "partner-gas"));
    assert_eq!(entries[0]["details"]["previous_state"], "pending");
    assert_eq!(entries[1]["details"]["previous_state"], "rejected");
    assert_eq!(entries[1]["details"]["freed_bytes"], size);
    let verified = app.client.get("/api/v1/admin/audit/verify", Some(&admin)).await;
    assert_eq!(verified.body["ok"], true, "{}", verified.body);
}

async fn serving_versions_and_strangers_are_refused_and_a_removed_version_cannot_come_back(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let partner = app.staff("gas-dev", "partner-gas").await;
    let first = upload(&app, &partner, "gas-notes", "1.0.0").await;
    approve(&app, &admin, "gas-notes", "1.0.0", &first.body["sha256"]).await;
    assert_eq!(serving(&app).await, "1.0.0");

    // The active version: refused, and it serves on with its component.
    let detail = remove(&app, Some(&partner), "gas-notes", "1.0.0").await.assert_problem(409, "wrong-state");
    assert!(detail.contains("is active"), "{detail}");
    let before = versions(&app, &admin, "gas-notes").await;
    assert_eq!(before[0]["component_removed"], false);
    assert_eq!(serving(&app).await, "1.0.0");

    // Another unit's staff, a resident, nobody: refused before anything is looked at.
    let water = app.staff("water-dev", "partner-water").await;
    let detail = remove(&app, Some(&water), "gas-notes", "1.0.0").await.assert_problem(403, "forbidden");
    assert!(detail.contains("belongs to another owner"), "{detail}");
    let second = upload(&app, &partner, "gas-notes", "1.1.0").await;
    remove(&app, Some(&water), "gas-notes", "1.1.0").await.assert_problem(403, "forbidden");
    let (resident, _) = app.resident("ayse").await;
    remove(&app, Some(&resident), "gas-notes", "1.1.0").await.assert_problem(403, "forbidden");
    remove(&app, None, "gas-notes", "1.1.0").await.assert_problem(401, "unauthorized");
    assert_eq!(version(&app, &admin, "gas-notes", "1.1.0").await["state"], "pending", "still waits for review");
    remove(&app, Some(&partner), "no-such-plugin", "1.0.0").await.assert_problem(404, "not-found");
    remove(&app, Some(&partner), "gas-notes", "9.9.9").await.assert_problem(404, "not-found");
    // The platform's own services are the admins' to tidy.
    remove(&app, Some(&partner), "residence-permit", "0.0.1").await.assert_problem(403, "forbidden");

    // Superseded, then removed: a rollback to it is refused, 1.1.0 serves on.
    approve(&app, &admin, "gas-notes", "1.1.0", &second.body["sha256"]).await;
    let removed = remove(&app, Some(&partner), "gas-notes", "1.0.0").await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert_eq!(removed.body["previous_state"], "superseded");
    let rollback = json!({"version": "1.0.0"});
    let refused = app.client.post_json("/api/v1/admin/plugins/gas-notes/rollback", Some(&admin), &rollback).await;
    let detail = refused.assert_problem(409, "component-removed");
    assert!(detail.contains("gas-notes 1.0.0") && detail.contains("new version"), "{detail}");
    assert_eq!(serving(&app).await, "1.1.0");
    assert_eq!(version(&app, &admin, "gas-notes", "1.1.0").await["state"], "active");

    // Suspended: refused too. Retired, an admin may remove it.
    let reason = json!({"reason": "checking"});
    assert_eq!(
        app.client.post_json("/api/v1/admin/plugins/gas-notes/suspend", Some(&admin), &reason).await.status,
        200
    );
    remove(&app, Some(&partner), "gas-notes", "1.1.0").await.assert_problem(409, "wrong-state");
    assert_eq!(app.client.post_json("/api/v1/admin/plugins/gas-notes/retire", Some(&admin), &reason).await.status, 200);
    let by_admin = remove(&app, Some(&admin), "gas-notes", "1.1.0").await;
    assert_eq!(by_admin.status, 200, "{}", by_admin.body);
    assert_eq!(by_admin.body["previous_state"], "retired");
    let trail = app.client.get("/api/v1/admin/audit?target=plugin:gas-notes@1.1.0", Some(&admin)).await.body;
    let last = trail.as_array().unwrap().last().unwrap().clone();
    assert_eq!((&last["action"], &last["actor_unit"]), (&json!("plugin.remove-version"), &Value::Null));
}

async fn a_restart_drops_the_artifact_of_a_removed_component(backend: Backend) {
    let options = Options { without_first_party: true, private_cache: true, ..Options::default() };
    let app = TestApp::spawn_with(backend, options).await;
    let cache = app.config.data_dir.join("cache");
    let admin = app.admin_token().await;
    let partner = app.staff("gas-dev", "partner-gas").await;
    // Two builds with other bytes (a custom section `x`), so two artifacts.
    let (v1, wasm) = fixture("gas-notes", "1.0.0");
    let mut other = wasm.clone();
    other.extend_from_slice(b"\0\x02\x01x");
    let first = app.client.upload(Some(&partner), &v1, &other).await;
    approve(&app, &admin, "gas-notes", "1.0.0", &first.body["sha256"]).await;
    let second = upload(&app, &partner, "gas-notes", "1.1.0").await;
    approve(&app, &admin, "gas-notes", "1.1.0", &second.body["sha256"]).await;
    let artifact_of = |sha: &Value| {
        let (sha, cache) = (sha.as_str().unwrap().to_owned(), cache.clone());
        move || std::fs::read_dir(&cache).unwrap().flatten().any(|e| e.file_name().to_string_lossy().starts_with(&sha))
    };
    let (removed_artifact, active_artifact) = (artifact_of(&first.body["sha256"]), artifact_of(&second.body["sha256"]));
    // A superseded version can be rolled back to, so a restart keeps its artifact ...
    let app = app.restart().await;
    assert!(removed_artifact() && active_artifact(), "both are kept while both can run");
    // ... until its unit removes its component.
    assert_eq!(remove(&app, Some(&partner), "gas-notes", "1.0.0").await.status, 200);
    let app = app.restart().await;
    assert!(!removed_artifact(), "the removed component's artifact is collected");
    assert!(active_artifact(), "the active version's stays");
    assert_eq!(serving(&app).await, "1.1.0");
}
