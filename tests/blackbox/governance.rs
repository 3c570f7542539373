//! Plugin governance end to end: a partner unit uploads, an admin reviews
//! and grants, versions change and roll back, and every act is on a
//! verifiable audit trail.

use onewindow_tests::{
    Answer, Backend, FIRST_PARTY, Options, TestApp, first_party_version, on_both_backends, plugins_dir,
};
use serde_json::{Value, json};

on_both_backends!(
    a_partner_plugin_goes_from_upload_to_rollback,
    every_upload_failure_has_its_own_problem_type_and_leaves_only_an_audit_entry,
    review_refuses_grants_beyond_the_request_and_wrong_hashes,
    roles_and_units_bound_who_may_do_what,
    first_party_installs_and_admin_acts_are_on_a_verifiable_trail,
    units_and_staff_are_managed_by_admins,
    later_versions_may_add_nullable_columns_but_not_destroy_data,
    removing_the_newest_entries_is_detected,
    uploads_past_the_platforms_size_limit_are_refused_and_audited,
    a_unit_uploads_within_its_quota,
    a_unique_index_over_duplicate_rows_is_a_clear_conflict,
    a_version_describes_its_routes_in_the_portal_document,
    the_first_party_services_hold_only_the_shared_data_they_use,
);

async fn later_versions_may_add_nullable_columns_but_not_destroy_data(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let partner = app.staff("tv-dev", "partner-cable-tv").await;
    let (v1, wasm) = fixture("tv-notes", "1.0.0");
    let sha = app.client.upload(Some(&partner), &v1, &wasm).await.body["sha256"].as_str().unwrap().to_owned();
    approve(&app, &admin, "tv-notes", "1.0.0", json!({"sha256": sha})).await;
    assert_eq!(app.client.post_empty(&service("tv-notes", "/notes?body=old"), None).await.status, 201);

    let column = r#"{ name = "rank", type = "integer" },"#;
    let (v2, _) = fixture("tv-notes", "1.1.0");
    let v2 = v2.replace(column, &format!(r#"{column} {{ name = "mood", type = "text" }},"#));
    let uploaded = app.client.upload(Some(&partner), &v2, &wasm).await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.body);
    approve(&app, &admin, "tv-notes", "1.1.0", json!({"sha256": uploaded.body["sha256"]})).await;
    assert_eq!(app.client.post_empty(&service("tv-notes", "/notes?body=new"), None).await.status, 201);
    let notes = app.client.get(&service("tv-notes", "/notes"), None).await;
    assert_eq!(notes.body[0]["body"], "old", "old rows survive");
    assert_eq!(notes.body[0]["mood"], Value::Null, "and gain the new column");
    assert_eq!(notes.body[1]["body"], "new");

    let (v3, _) = fixture("tv-notes", "1.2.0");
    let required = v3.replace(
        column,
        &format!(
            r#"{column} {{ name = "mood", type = "text" }}, {{ name = "must", type = "text", required = true }},"#
        ),
    );
    let refused = app.client.upload(Some(&partner), &required, &wasm).await;
    refused.assert_problem(422, "invalid-manifest");
    assert_eq!(refused.body["errors"][0]["field"], "tables[0].columns[6].required");
    let retyped = v3.replace(column, r#"{ name = "rank", type = "text" }, { name = "mood", type = "text" },"#);
    assert!(
        app.client
            .upload(Some(&partner), &retyped, &wasm)
            .await
            .assert_problem(422, "invalid-manifest")
            .contains("`rank` changed")
    );
    let dropped = v3.replace(column, "");
    assert!(
        app.client
            .upload(Some(&partner), &dropped, &wasm)
            .await
            .assert_problem(422, "invalid-manifest")
            .contains("cannot drop")
    );
}

/// The `misbehaving` fixture, renamed and versioned.
fn fixture(id: &str, version: &str) -> (String, Vec<u8>) {
    let dir = plugins_dir().join("fixtures/misbehaving");
    let manifest = std::fs::read_to_string(dir.join("plugin.toml"))
        .unwrap()
        .replace("id = \"misbehaving\"", &format!("id = \"{id}\""))
        .replace("version = \"0.1.0\"", &format!("version = \"{version}\""));
    (manifest, std::fs::read(dir.join("plugin.wasm")).unwrap())
}

fn service(id: &str, rest: &str) -> String {
    format!("/api/v1/services/{id}{rest}")
}

async fn approve(app: &TestApp, admin: &str, id: &str, version: &str, body: Value) -> Answer {
    app.client.post_json(&format!("/api/v1/admin/plugins/{id}/versions/{version}/approve"), Some(admin), &body).await
}

/// Waits until `plugin` has a call in flight (a failsafe ends the test if
/// it never does).
async fn wait_until_in_flight(plugin: &onewindow::runtime::LoadedPlugin) {
    let give_up = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while plugin.in_use() == 0 {
        assert!(std::time::Instant::now() < give_up, "the call never started");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

async fn a_partner_plugin_goes_from_upload_to_rollback(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let partner = app.staff("water-dev", "partner-water").await;

    // Upload: pending, and not callable.
    let (manifest, wasm) = fixture("water-notes", "1.0.0");
    let uploaded = app.client.upload(Some(&partner), &manifest, &wasm).await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.body);
    assert_eq!(uploaded.body["state"], "pending");
    let sha = uploaded.body["sha256"].as_str().unwrap().to_owned();
    assert_eq!(uploaded.body["requested"], json!([{"capability": "data", "scope": ["notes"]}, {"capability": "log"}]));
    app.client.get(&service("water-notes", "/noop"), None).await.assert_problem(404, "not-found");

    // Review: the queue shows what it asks for; nothing is granted yet.
    let queue = app.client.get("/api/v1/admin/reviews", Some(&admin)).await;
    let item = &queue.body[0];
    assert_eq!(item["version"]["plugin_id"], "water-notes");
    assert_eq!(item["current_grants"], Value::Null);
    assert_eq!(
        item["widening"],
        json!([
            "new capability `data` (notes)",
            "new capability `log`",
            "new table `notes` (body, weight, flag, blob, rank, code)"
        ])
    );
    assert_eq!(item["explained"][0], "data: read and write the plugin's own tables (named in the scope): notes");

    // Approve a subset (log only) with lower limits.
    let limits = json!({"memory_mb": 8, "timeout_ms": 150, "max_concurrency": 2});
    let approved = approve(
        &app,
        &admin,
        "water-notes",
        "1.0.0",
        json!({"sha256": sha, "grants": [{"capability": "log"}], "limits": limits}),
    )
    .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(approved.body["state"], "active");
    assert_eq!(app.client.get(&service("water-notes", "/noop"), None).await.status, 204, "callable at once");
    // The lower limits hold ...
    assert!(
        app.client
            .post_empty(&service("water-notes", "/loop"), None)
            .await
            .assert_problem(504, "plugin-timeout")
            .contains("150 ms")
    );
    assert!(
        app.client
            .post_empty(&service("water-notes", "/alloc?mb=12"), None)
            .await
            .assert_problem(502, "plugin-memory-limit")
            .contains("8 MiB")
    );
    // ... and a call that needs the ungranted data capability fails: the
    // plugin's own fault, so the caller gets a generic 500 (the detail is in
    // the plugin's log, not in the answer).
    let denied = app.client.post_empty(&service("water-notes", "/notes"), None).await;
    assert!(!denied.assert_problem(500, "internal").contains("not granted"));

    // Version 2 asks for the same; the admin sees what it adds to the current grants.
    // (It raises the deadline it asks for, so its slow route fits.)
    let (manifest2, wasm2) = fixture("water-notes", "1.1.0");
    let manifest2 = manifest2.replace("timeout-ms = 300", "timeout-ms = 2000");
    let second =
        app.client.upload(Some(&partner), &manifest2.replace("[name]", "# second build\n[name]"), &wasm2).await;
    assert_eq!(second.status, 201, "{}", second.body);
    let queue = app.client.get("/api/v1/admin/reviews", Some(&admin)).await;
    assert_eq!(queue.body[0]["current_grants"], json!([{"capability": "log"}]));
    assert_eq!(
        queue.body[0]["widening"],
        json!([
            "new capability `data` (notes)",
            "limit `memory-mb` raised from 8 to 16",
            "limit `timeout-ms` raised from 150 to 2000",
            "limit `max-concurrency` raised from 2 to 4"
        ]),
        "over what the admin granted v1, not what v1 asked for"
    );
    let sha2 = second.body["sha256"].as_str().unwrap();
    assert_eq!(approve(&app, &admin, "water-notes", "1.1.0", json!({"sha256": sha2})).await.status, 200);
    assert_eq!(app.client.get(&service("water-notes", ""), None).await.body["version"], "1.1.0");
    assert_eq!(app.client.post_empty(&service("water-notes", "/notes"), None).await.status, 201, "v2 has data");

    // A call in flight during an activation finishes on the version it started on.
    let slow = {
        let client = app.client.clone();
        tokio::spawn(async move { client.post_empty(&service("water-notes", "/slow-notes?ms=400"), None).await })
    };
    let serving = app.state.runtime.get("water-notes").unwrap();
    wait_until_in_flight(&serving).await;
    let rolled_mid_call = app
        .client
        .post_json("/api/v1/admin/plugins/water-notes/rollback", Some(&admin), &json!({"version": "1.0.0"}))
        .await;
    assert_eq!(rolled_mid_call.status, 200);
    assert_eq!(slow.await.unwrap().status, 201, "the in-flight call kept v2 and its data grant");
    app.client.post_empty(&service("water-notes", "/notes"), None).await.assert_problem(500, "internal");
    let back = app
        .client
        .post_json("/api/v1/admin/plugins/water-notes/rollback", Some(&admin), &json!({"version": "1.1.0"}))
        .await;
    assert_eq!(back.body["state"], "active");
    // The trail says which way each rollback went.
    let audit = app.client.get("/api/v1/admin/audit?action=plugin.rollback", Some(&admin)).await;
    let directions: Vec<(&str, &str)> = audit
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["details"]["from"].as_str().unwrap(), e["details"]["direction"].as_str().unwrap()))
        .collect();
    assert_eq!(directions, [("1.1.0", "back"), ("1.0.0", "forward")]);

    // Rollback: v1 serves again, with v1's grants.
    let rolled = app
        .client
        .post_json("/api/v1/admin/plugins/water-notes/rollback", Some(&admin), &json!({"version": "1.0.0"}))
        .await;
    assert_eq!(rolled.status, 200, "{}", rolled.body);
    assert_eq!(app.client.get(&service("water-notes", ""), None).await.body["version"], "1.0.0");
    app.client.post_empty(&service("water-notes", "/notes"), None).await.assert_problem(500, "internal");

    // Suspend: 503 at once; resume: serving again.
    let suspended = app
        .client
        .post_json("/api/v1/admin/plugins/water-notes/suspend", Some(&admin), &json!({"reason": "leaking data"}))
        .await;
    assert_eq!(suspended.body["state"], "suspended");
    let unavailable = app.client.get(&service("water-notes", "/noop"), None).await;
    assert!(unavailable.assert_problem(503, "service-unavailable").contains("suspended"));
    assert_eq!(unavailable.header("retry-after"), None, "a suspension is not a momentary overload");
    assert!(!app.client.get("/api/v1/services", None).await.body.to_string().contains("water-notes"));
    assert_eq!(app.client.post_empty("/api/v1/admin/plugins/water-notes/resume", Some(&admin)).await.status, 200);
    assert_eq!(app.client.get(&service("water-notes", "/noop"), None).await.status, 204);

    let shown = app.client.get("/api/v1/plugins/water-notes", Some(&partner)).await;
    assert_eq!(shown.body["plugin"]["active_version"], "1.0.0");
    let states: Vec<(&str, &str)> = shown.body["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["version"].as_str().unwrap(), v["state"].as_str().unwrap()))
        .collect();
    assert_eq!(states, [("1.0.0", "active"), ("1.1.0", "superseded")]);

    // Retire: gone for good, until an explicit rollback.
    app.client
        .post_json("/api/v1/admin/plugins/water-notes/retire", Some(&admin), &json!({"reason": "replaced"}))
        .await;
    app.client.get(&service("water-notes", "/noop"), None).await.assert_problem(503, "service-unavailable");
    app.client
        .post_empty("/api/v1/admin/plugins/water-notes/resume", Some(&admin))
        .await
        .assert_problem(409, "wrong-state");

    let verified = app.client.get("/api/v1/admin/audit/verify", Some(&admin)).await;
    assert_eq!(verified.body["ok"], true, "{}", verified.body);
}

async fn every_upload_failure_has_its_own_problem_type_and_leaves_only_an_audit_entry(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let partner = app.staff("gas-dev", "partner-gas").await;
    let (manifest, wasm) = fixture("gas-notes", "1.0.0");
    let upload = |manifest: String, wasm: Vec<u8>| {
        let (client, token) = (app.client.clone(), partner.clone());
        async move { client.upload(Some(&token), &manifest, &wasm).await }
    };
    let replace = |bytes: &[u8], from: &[u8], to: &[u8]| -> Vec<u8> {
        assert_eq!(from.len(), to.len());
        let mut out = bytes.to_vec();
        let mut found = false;
        for i in 0..out.len().saturating_sub(from.len()) {
            if &out[i..i + from.len()] == from {
                out[i..i + from.len()].copy_from_slice(to);
                found = true;
            }
        }
        assert!(found, "{} not in the component", String::from_utf8_lossy(from));
        out
    };

    upload(manifest.clone(), b"not webassembly at all".to_vec()).await.assert_problem(422, "not-wasm");
    upload(manifest.clone(), b"\0asm\x01\0\0\0".to_vec()).await.assert_problem(422, "core-module");
    upload(manifest.clone(), wasm[..wasm.len() / 2].to_vec()).await.assert_problem(422, "invalid-component");
    let other_world = std::fs::read(plugins_dir().join("fixtures/other-world/plugin.wasm")).unwrap();
    assert!(upload(manifest.clone(), other_world).await.assert_problem(422, "wrong-world").contains("handle"));
    let future = replace(&wasm, b"onewindow:platform/data@0.1.2", b"onewindow:platform/data@0.2.0");
    let detail = upload(manifest.clone(), future).await.assert_problem(422, "unsupported-version");
    assert!(detail.contains("0.2.0") && detail.contains("0.1.0 to 0.1.2"), "{detail}");
    // `wasi:http` stays refused (sockets are allowed: they link to a context that denies every use).
    let http = replace(&wasm, b"wasi:cli/environment", b"wasi:http/abcdefghij");
    let refused = upload(manifest.clone(), http.clone()).await;
    let detail = refused.assert_problem(422, "forbidden-import");
    assert!(detail.contains("wasi:http/abcdefghij") && detail.contains("Allowed: onewindow:platform/"), "{detail}");
    // Every bad import at once, not just the first.
    let two = replace(&http, b"wasi:cli/exit", b"wasi:nfs/exit");
    let refused = upload(manifest.clone(), two).await;
    refused.assert_problem(422, "forbidden-import");
    let messages = refused.body["errors"].as_array().expect("a list of faults").clone();
    assert_eq!(messages.len(), 2, "{:#}", refused.body);
    let names = |needle: &str| messages.iter().any(|m| m["message"].as_str().unwrap_or_default().contains(needle));
    assert!(names("wasi:nfs/exit") && names("wasi:http/abcdefghij"), "{:#}", refused.body);

    let bad_world = upload(manifest.replace("service@0.1.0", "service@0.2.0"), wasm.clone()).await;
    assert!(bad_world.assert_problem(422, "invalid-manifest").contains("supports 0.1.0 to 0.1.2"));
    assert_eq!(bad_world.body["errors"][0]["field"], "world");
    let unknown = upload(manifest.replace(r#"["data", "log"]"#, r#"["data", "teleport"]"#), wasm.clone()).await;
    assert_eq!(unknown.body["errors"][0]["field"], "capabilities");
    unknown.assert_problem(422, "invalid-manifest");
    let bad_table = upload(manifest.replace(r#"name = "notes""#, r#"name = "Notes!""#), wasm.clone()).await;
    assert_eq!(bad_table.body["errors"][0]["field"], "tables[0].name");
    // Every fault of a manifest at once, each with its field.
    let many = manifest
        .replace(r#"name = "notes""#, r#"name = "Notes!""#)
        .replace(r#"en = "Test plugin""#, r#"en = "  ""#)
        .replace(r#"version = "1.0.0""#, r#"version = "one""#);
    let many = upload(many, wasm.clone()).await;
    many.assert_problem(422, "invalid-manifest");
    let fields: Vec<&str> =
        many.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["version", "name.en", "tables[0].name"], "{:#}", many.body);
    upload("this is = not [toml".into(), wasm.clone()).await.assert_problem(422, "invalid-manifest");
    // Limits above the platform's maxima are refused, each by its field,
    // rather than cut at approval without anyone saying so.
    let greedy =
        manifest.replace("memory-mb = 16", "memory-mb = 4096").replace("max-concurrency = 4", "max-concurrency = 500");
    let greedy = upload(greedy, wasm.clone()).await;
    assert!(greedy.assert_problem(422, "invalid-manifest").contains("4096 is above this platform's maximum of 128"));
    let fields: Vec<&str> =
        greedy.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["limits.memory-mb", "limits.max-concurrency"]);
    let huge = vec![0u8; (32 << 20) + 1];
    upload(manifest.clone(), huge).await.assert_problem(413, "payload-too-large");
    let missing = app
        .client
        .send(
            "POST",
            "/api/v1/plugins",
            Some(&partner),
            &[("content-type", "multipart/form-data; boundary=x")],
            Some(b"--x--\r\n".to_vec()),
        )
        .await;
    assert_eq!(missing.problem_fields(), ["manifest", "component"]);

    // None of those left a plugin behind ...
    assert_eq!(
        app.client.get("/api/v1/plugins", Some(&admin)).await.body.as_array().unwrap().len(),
        FIRST_PARTY.len(),
        "only the first-party plugins"
    );
    // ... but each is on the audit trail.
    let refused = app.client.get("/api/v1/admin/audit?action=plugin.upload-refused&limit=100", Some(&admin)).await;
    assert_eq!(refused.body.as_array().unwrap().len(), 14, "every refusal but the unreadable form: {:#}", refused.body);
    assert_eq!(refused.body[0]["actor_unit"], "partner-gas");
    // A refused manifest whose id is readable is filed under that plugin.
    let targets: Vec<&str> = refused.body.as_array().unwrap().iter().filter_map(|e| e["target"].as_str()).collect();
    assert_eq!(targets.iter().filter(|t| **t == "plugin:(unreadable)").count(), 1, "only the broken TOML: {targets:?}");
    assert!(targets.iter().all(|t| *t == "plugin:(unreadable)" || t.starts_with("plugin:gas-notes")), "{targets:?}");

    // Versions only go up.
    assert_eq!(upload(manifest.clone(), wasm.clone()).await.status, 201);
    let same = upload(manifest.clone(), wasm.clone()).await;
    assert!(same.assert_problem(409, "version-not-newer").contains("1.0.0"));
    let (older, _) = fixture("gas-notes", "0.9.0");
    upload(older, wasm.clone()).await.assert_problem(409, "version-not-newer");
}

async fn review_refuses_grants_beyond_the_request_and_wrong_hashes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let partner = app.staff("heat-dev", "partner-heating").await;
    let (manifest, wasm) = fixture("heat-notes", "1.0.0");
    let sha = app.client.upload(Some(&partner), &manifest, &wasm).await.body["sha256"].as_str().unwrap().to_owned();

    let wrong_sha = approve(&app, &admin, "heat-notes", "1.0.0", json!({"sha256": "0".repeat(64)})).await;
    assert!(wrong_sha.assert_problem(409, "sha256-mismatch").contains(&sha));
    let extra = approve(
        &app,
        &admin,
        "heat-notes",
        "1.0.0",
        json!({"sha256": sha, "grants": [{"capability": "data", "scope": ["notes", "secrets"]}]}),
    )
    .await;
    assert!(extra.assert_problem(422, "invalid-grant").contains("secrets"));
    let unknown =
        approve(&app, &admin, "heat-notes", "1.0.0", json!({"sha256": sha, "grants": [{"capability": "cases"}]})).await;
    unknown.assert_problem(422, "invalid-grant");
    let greedy = approve(
        &app,
        &admin,
        "heat-notes",
        "1.0.0",
        json!({"sha256": sha, "limits": {"memory_mb": 64, "timeout_ms": 300, "max_concurrency": 4}}),
    )
    .await;
    assert!(greedy.assert_problem(422, "invalid-grant").contains("memory-mb"));
    approve(&app, &admin, "heat-notes", "9.9.9", json!({"sha256": sha})).await.assert_problem(404, "not-found");
    app.client.get(&service("heat-notes", "/noop"), None).await.assert_problem(404, "not-found");

    let rejected = app
        .client
        .post_json(
            "/api/v1/admin/plugins/heat-notes/versions/1.0.0/reject",
            Some(&admin),
            &json!({"reason": "asks for too much"}),
        )
        .await;
    assert_eq!(rejected.body["state"], "rejected");
    assert_eq!(rejected.body["review_note"], "asks for too much");
    approve(&app, &admin, "heat-notes", "1.0.0", json!({"sha256": sha})).await.assert_problem(409, "wrong-state");
    app.client
        .post_json("/api/v1/admin/plugins/heat-notes/rollback", Some(&admin), &json!({"version": "1.0.0"}))
        .await
        .assert_problem(409, "wrong-state");
    assert!(app.client.get("/api/v1/admin/reviews", Some(&admin)).await.body.as_array().unwrap().is_empty());
}

async fn roles_and_units_bound_who_may_do_what(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let (resident, _) = app.resident("citizen").await;
    let water = app.staff("water-dev2", "partner-water").await;
    let gas = app.staff("gas-dev2", "partner-gas").await;
    let (manifest, wasm) = fixture("water-meter", "1.0.0");

    app.client.upload(None, &manifest, &wasm).await.assert_problem(401, "unauthorized");
    app.client.upload(Some(&resident), &manifest, &wasm).await.assert_problem(403, "forbidden");
    app.client.upload(Some(&admin), &manifest, &wasm).await.assert_problem(403, "forbidden");
    let sha = app.client.upload(Some(&water), &manifest, &wasm).await.body["sha256"].as_str().unwrap().to_owned();

    // Another unit may not upload versions of it, nor see it.
    let (v2, _) = fixture("water-meter", "2.0.0");
    let detail = app.client.upload(Some(&gas), &v2, &wasm).await.assert_problem(403, "forbidden");
    assert!(detail.contains("another owner") && !detail.contains("partner-water"), "{detail}");
    app.client.get("/api/v1/plugins/water-meter", Some(&gas)).await.assert_problem(404, "not-found");
    assert!(app.client.get("/api/v1/plugins", Some(&gas)).await.body.as_array().unwrap().is_empty());
    assert_eq!(app.client.get("/api/v1/plugins", Some(&water)).await.body.as_array().unwrap().len(), 1);
    app.client.get("/api/v1/plugins", Some(&resident)).await.assert_problem(403, "forbidden");
    // The platform's own plugins belong to no unit: no partner can replace them.
    let (hijack, _) = fixture("residence-permit", "9.0.0");
    app.client.upload(Some(&water), &hijack, &wasm).await.assert_problem(403, "forbidden");

    // Only admins review, manage and read the trail.
    for token in [&water, &resident] {
        approve(&app, token, "water-meter", "1.0.0", json!({"sha256": sha})).await.assert_problem(403, "forbidden");
        app.client.get("/api/v1/admin/reviews", Some(token)).await.assert_problem(403, "forbidden");
        app.client.get("/api/v1/admin/audit", Some(token)).await.assert_problem(403, "forbidden");
        app.client
            .post_json("/api/v1/admin/plugins/residence-permit/suspend", Some(token), &json!({"reason": "x"}))
            .await
            .assert_problem(403, "forbidden");
        let unit =
            json!({"id": "police-north", "kind": "police", "name_zh": "北", "name_ug": "شىمال", "name_en": "North"});
        app.client.post_json("/api/v1/admin/units", Some(token), &unit).await.assert_problem(403, "forbidden");
    }
    approve(&app, &admin, "water-meter", "1.0.0", json!({"sha256": sha})).await;
    assert_eq!(app.client.get(&service("water-meter", "/noop"), None).await.status, 204);
}

async fn first_party_installs_and_admin_acts_are_on_a_verifiable_trail(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let system = app.client.get("/api/v1/admin/audit?actor=system", Some(&admin)).await;
    let acts: Vec<(&str, &str)> = system
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["target"].as_str().unwrap()))
        .collect();
    // Each first-party plugin, in id order: uploaded, then approved, by the system.
    let targets: Vec<String> =
        FIRST_PARTY.iter().map(|id| format!("plugin:{id}@{}", first_party_version(id))).collect();
    let expected: Vec<(&str, &str)> =
        targets.iter().flat_map(|t| [("plugin.upload", t.as_str()), ("plugin.approve", t.as_str())]).collect();
    assert_eq!(acts[1..], expected);
    assert_eq!(acts[0].0, "account.create", "the first admin's creation is recorded too");
    assert_eq!(system.body[0]["details"]["via"], "first start");
    let permit = format!("plugin:residence-permit@{}", first_party_version("residence-permit"));
    let approval = system
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "plugin.approve" && e["target"] == permit.as_str())
        .unwrap();
    let grants = approval["details"]["grants"].as_array().unwrap();
    let kinds: Vec<&str> = grants.iter().map(|g| g["capability"].as_str().unwrap()).collect();
    assert_eq!(kinds[..4], ["data", "log", "records", "cases"], "everything the manifest asks for");
    assert!(grants[0]["scope"].as_array().unwrap().contains(&json!("applications")), "its own tables");
    assert_eq!(
        grants[3],
        json!({"capability": "cases", "scope": ["application:police-central", "endorsement:police-central"]})
    );
    assert!(grants[2]["scope"].as_array().unwrap().contains(&json!("resident_profile:rows:caller")));

    // A failed sign-in and an admin act are recorded too.
    app.client
        .post_json("/api/v1/auth/sign-in", None, &json!({"username": "admin", "password": "guessing wrong"}))
        .await;
    app.client
        .post_json("/api/v1/admin/plugins/residence-permit/suspend", Some(&admin), &json!({"reason": "maintenance"}))
        .await;
    let failed = app.client.get("/api/v1/admin/audit?action=auth.sign-in-failed", Some(&admin)).await;
    assert_eq!(failed.body[0]["target"], "username:admin");
    let suspended =
        app.client.get("/api/v1/admin/audit?target=plugin:residence-permit*&action=plugin.suspend", Some(&admin)).await;
    assert_eq!(suspended.body[0]["details"]["reason"], "maintenance");
    assert!(suspended.body[0]["request_id"].as_str().unwrap().len() > 10);

    // Paging and time filters.
    let first = app.client.get("/api/v1/admin/audit?limit=2", Some(&admin)).await;
    assert_eq!(first.body.as_array().unwrap().len(), 2);
    let next = app.client.get("/api/v1/admin/audit?limit=2&after=2", Some(&admin)).await;
    assert_eq!(next.body[0]["seq"], 3);
    assert!(
        app.client
            .get("/api/v1/admin/audit?from=2999-01-01T00:00:00Z", Some(&admin))
            .await
            .body
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(app.client.get("/api/v1/admin/audit?limit=many", Some(&admin)).await.status, 422);

    let verified = app.client.get("/api/v1/admin/audit/verify", Some(&admin)).await;
    assert_eq!(verified.body["ok"], true);
    let count = verified.body["entries"].as_u64().unwrap();

    // Altering one stored row breaks the chain exactly there.
    let sql = "UPDATE audit_log SET details = '{\"reason\":\"nothing to see\"}' WHERE action = 'plugin.suspend'";
    sqlx::query(sql).execute(app.state.store.pool()).await.unwrap();
    let broken = app.client.get("/api/v1/admin/audit/verify", Some(&admin)).await;
    assert_eq!(broken.body["ok"], false);
    assert_eq!(broken.body["first_broken"], suspended.body[0]["seq"]);
    assert!(broken.body["problem"].as_str().unwrap().contains("altered"));
    assert_eq!(broken.body["entries"].as_u64().unwrap(), count);
}

async fn removing_the_newest_entries_is_detected(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let reason = json!({"reason": "covering tracks"});
    app.client.post_json("/api/v1/admin/plugins/residence-permit/suspend", Some(&admin), &reason).await;
    let head = app.client.get("/api/v1/admin/audit/head", Some(&admin)).await;
    let seq = head.body["seq"].as_i64().unwrap();
    let last = app.client.get(&format!("/api/v1/admin/audit?after={}", seq - 1), Some(&admin)).await;
    assert_eq!(last.body[0]["hash"], head.body["hash"], "the head is the last entry");

    let sql = format!("DELETE FROM audit_log WHERE seq = {seq}");
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(app.state.store.pool()).await.unwrap();
    let verdict = app.client.get("/api/v1/admin/audit/verify", Some(&admin)).await;
    assert_eq!(verdict.body["ok"], false);
    assert_eq!(verdict.body["first_broken"], seq);
    assert!(verdict.body["problem"].as_str().unwrap().contains("removed"), "{}", verdict.body);
}

async fn units_and_staff_are_managed_by_admins(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let unit = json!({"id": "police-north", "kind": "police", "name_zh": "北城派出所", "name_ug": "شىمالىي شەھەر ساقچىخانىسى", "name_en": "North Police Station", "contact": "0991-1234567"});
    let created = app.client.post_json("/api/v1/admin/units", Some(&admin), &unit).await;
    assert_eq!(created.status, 201, "{}", created.body);
    app.client.post_json("/api/v1/admin/units", Some(&admin), &unit).await.assert_problem(409, "conflict");
    let bad = json!({"id": "Police North", "kind": "police", "name_zh": "", "name_ug": "x", "name_en": "x"});
    assert_eq!(
        app.client.post_json("/api/v1/admin/units", Some(&admin), &bad).await.problem_fields(),
        ["id", "name_zh"]
    );
    let edited = app
        .client
        .send(
            "PUT",
            "/api/v1/admin/units/police-north",
            Some(&admin),
            &[("content-type", "application/json")],
            Some(
                serde_json::to_vec(
                    &json!({"kind": "police", "name_zh": "北城派出所", "name_ug": "شىمال", "name_en": "North Station"}),
                )
                .unwrap(),
            ),
        )
        .await;
    assert_eq!(edited.body["name_en"], "North Station");

    let officer = app.staff("north-officer", "police-north").await;
    let me = app.client.get("/api/v1/auth/me", Some(&officer)).await;
    let id = me.body["id"].as_str().unwrap().to_owned();
    let staff = app.client.get("/api/v1/admin/accounts?role=staff&unit=police-north", Some(&admin)).await;
    assert_eq!(staff.body.as_array().unwrap().len(), 1);

    assert_eq!(app.client.post_empty(&format!("/api/v1/admin/accounts/{id}/disable"), Some(&admin)).await.status, 204);
    app.client.get("/api/v1/auth/me", Some(&officer)).await.assert_problem(401, "unauthorized");
    let again = app
        .client
        .post_json("/api/v1/auth/sign-in", None, &json!({"username": "north-officer", "password": "staff password 12"}))
        .await;
    again.assert_problem(401, "unauthorized");
    assert_eq!(app.client.post_empty(&format!("/api/v1/admin/accounts/{id}/enable"), Some(&admin)).await.status, 204);
    app.client.sign_in("north-officer", "staff password 12").await;

    let trail = app.client.get("/api/v1/admin/audit?target=unit:police-north", Some(&admin)).await;
    let actions: Vec<&str> = trail.body.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["unit.create", "unit.update"]);
    let accounts = app.client.get(&format!("/api/v1/admin/audit?target=account:{id}"), Some(&admin)).await;
    let actions: Vec<&str> = accounts.body.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["account.create", "account.disable", "account.enable"]);
}

/// The component size limit is the platform's setting: an upload past it is
/// refused naming the size and the limit, and the refusal is on the trail.
async fn a_unique_index_over_duplicate_rows_is_a_clear_conflict(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let partner = app.staff("gas-dev", "partner-gas").await;
    let unique = r#"indexes = [{ columns = ["code"], unique = true }]"#;
    let (v2, wasm) = fixture("gas-notes", "1.1.0");
    assert!(v2.contains(unique));
    let v1 = fixture("gas-notes", "1.0.0").0.replace(unique, "indexes = []");
    let first = app.client.upload(Some(&partner), &v1, &wasm).await;
    assert_eq!(approve(&app, &admin, "gas-notes", "1.0.0", json!({"sha256": first.body["sha256"]})).await.status, 200);
    // Without the index, the same code is stored twice.
    for body in ["one", "two", "three"] {
        let path = service("gas-notes", &format!("/notes?body={body}&code=same"));
        assert_eq!(app.client.post_empty(&path, None).await.status, 201);
    }
    let second = app.client.upload(Some(&partner), &v2, &wasm).await;
    assert_eq!(second.status, 201, "{}", second.body);
    let refused = approve(&app, &admin, "gas-notes", "1.1.0", json!({"sha256": second.body["sha256"]})).await;
    assert!(refused.assert_problem(409, "duplicate-data").contains("the active version stays"));
    // Nothing changed: 1.0.0 serves, 1.1.0 still waits, the rows are all there.
    assert_eq!(app.client.get(&service("gas-notes", ""), None).await.body["version"], "1.0.0");
    let shown = app.client.get("/api/v1/plugins/gas-notes", Some(&admin)).await;
    assert_eq!(shown.body["versions"][1]["state"], "pending", "{}", shown.body);
    let notes = app.client.get(&service("gas-notes", "/notes"), None).await;
    assert_eq!(notes.body.as_array().unwrap().len(), 3, "{}", notes.body);
}

async fn a_unit_uploads_within_its_quota(backend: Backend) {
    // 1 MiB per unit: five fixture builds (about 190 KB each) fit, six do not.
    let app = TestApp::spawn_with(backend, Options { unit_storage_mb: Some(1), ..Options::default() }).await;
    let admin = app.admin_token().await;
    let partner = app.staff("gas-dev", "partner-gas").await;
    let upload = |version: &str| {
        let (client, token, (manifest, wasm)) = (app.client.clone(), partner.clone(), fixture("gas-notes", version));
        async move { client.upload(Some(&token), &manifest, &wasm).await }
    };
    for patch in 0..5 {
        assert_eq!(upload(&format!("1.0.{patch}")).await.status, 201);
    }
    // Five versions wait for review: the sixth waits until one is reviewed.
    let detail = upload("1.0.5").await.assert_problem(409, "upload-quota-exceeded");
    assert!(detail.contains("already has 5 versions waiting for review"), "{detail}");
    let rejected = app
        .client
        .post_json("/api/v1/admin/plugins/gas-notes/versions/1.0.0/reject", Some(&admin), &json!({"reason": "old"}))
        .await;
    assert_eq!(rejected.status, 200, "{}", rejected.body);
    // Now the stored bytes are the limit.
    let detail = upload("1.0.5").await.assert_problem(409, "upload-quota-exceeded");
    assert!(detail.contains("would pass its quota of 1 MiB"), "{detail}");
    let shown = app.client.get("/api/v1/plugins/gas-notes", Some(&partner)).await;
    assert_eq!(shown.body["versions"].as_array().unwrap().len(), 5, "nothing of the refused uploads was kept");
    // Another unit has its own quota.
    let water = app.staff("water-dev", "partner-water").await;
    let (manifest, wasm) = fixture("water-notes", "1.0.0");
    assert_eq!(app.client.upload(Some(&water), &manifest, &wasm).await.status, 201);
}

async fn uploads_past_the_platforms_size_limit_are_refused_and_audited(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { max_component_mb: Some(1), ..Options::default() }).await;
    let admin = app.admin_token().await;
    let partner = app.staff("big-dev", "partner-gas").await;
    let (manifest, _) = fixture("big-notes", "1.0.0");
    let mut huge = b"\0asm\x0d\0\x01\0".to_vec();
    huge.resize(3 << 20, 0);
    let refused = app.client.upload(Some(&partner), &manifest, &huge).await;
    let detail = refused.assert_problem(413, "payload-too-large");
    assert!(detail.contains("1048576 bytes (1 MiB") && detail.contains("max_component_mb"), "{detail}");
    assert!(detail.contains("upload is 3"), "it names the size sent: {detail}");
    let trail = app.client.get("/api/v1/admin/audit?action=plugin.upload-refused", Some(&admin)).await.body;
    let entry = &trail.as_array().unwrap()[0];
    assert_eq!(entry["actor_unit"], "partner-gas");
    assert_eq!(entry["details"]["limit"], 1 << 20);
    assert!(
        app.client.get("/api/v1/plugins", Some(&partner)).await.body.as_array().unwrap().is_empty(),
        "nothing stored"
    );
}

/// `api.json`: checked at upload (every fault at once), shown in the review
/// as the routes a version adds, and merged into `/api/openapi.json` under
/// the service's prefix once the version serves.
async fn a_version_describes_its_routes_in_the_portal_document(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let partner = app.staff("gas-dev", "partner-gas").await;
    let (v1, wasm) = fixture("gas-notes", "1.0.0");
    let notes = json!({"paths": {"/notes": {
        "get": {"summary": "Every note", "responses": {"200": {"description": "The notes"}}},
        "post": {"summary": "Add a note", "parameters": [{"name": "body", "in": "query", "schema": {"type": "string"}}]}
    }}});

    let broken = json!({"info": {}, "paths": {"notes": {"get": {}}, "/x": {"fetch": {}, "post": {"$ref": "#/y"}}}});
    let refused = app.client.upload_with_api(Some(&partner), &v1, &wasm, Some(&broken.to_string())).await;
    refused.assert_problem(422, "invalid-api-doc");
    let faults = refused.body["errors"].as_array().unwrap();
    assert_eq!(faults.len(), 4, "every fault at once: {:#}", refused.body);
    assert!(faults.iter().all(|f| f["field"] == "api"));
    assert_eq!(app.client.get("/api/v1/plugins/gas-notes", Some(&admin)).await.status, 404, "nothing stored");

    let uploaded = app.client.upload_with_api(Some(&partner), &v1, &wasm, Some(&notes.to_string())).await;
    assert_eq!(uploaded.status, 201, "{:#}", uploaded.body);
    assert_eq!(uploaded.body["routes"], json!(["GET /notes", "POST /notes"]));
    let queue = app.client.get("/api/v1/admin/reviews", Some(&admin)).await;
    assert_eq!(queue.body[0]["added_routes"], json!(["GET /notes", "POST /notes"]));
    let document = app.client.get("/api/openapi.json", None).await.body;
    assert!(document["paths"]["/api/v1/services/gas-notes/notes"].is_null(), "not before it serves");

    approve(&app, &admin, "gas-notes", "1.0.0", json!({"sha256": uploaded.body["sha256"]})).await;
    let document = app.client.get("/api/openapi.json", None).await.body;
    let item = &document["paths"]["/api/v1/services/gas-notes/notes"];
    assert_eq!(item["get"]["summary"], "Every note");
    assert_eq!(item["get"]["tags"], json!(["gas-notes"]));
    assert_eq!(item["get"]["responses"]["200"]["description"], "The notes");
    assert!(item["post"]["responses"]["default"]["content"]["application/problem+json"].is_object());
    assert!(document["tags"].as_array().unwrap().iter().any(|t| t["name"] == "gas-notes"));
    assert!(document["paths"]["/api/v1/plugins"].is_object(), "the platform's own routes stay");

    // The next version adds a route: the review shows just that one.
    let (v2, _) = fixture("gas-notes", "1.1.0");
    let mut more = notes.clone();
    more["paths"]["/notes/{id}"] = json!({"get": {"summary": "One note"}});
    let second = app.client.upload_with_api(Some(&partner), &v2, &wasm, Some(&more.to_string())).await;
    assert_eq!(second.status, 201, "{:#}", second.body);
    let queue = app.client.get("/api/v1/admin/reviews", Some(&admin)).await;
    assert_eq!(queue.body[0]["added_routes"], json!(["GET /notes/{id}"]));
    approve(&app, &admin, "gas-notes", "1.1.0", json!({"sha256": second.body["sha256"]})).await;
    let document = app.client.get("/api/openapi.json", None).await.body;
    let one = &document["paths"]["/api/v1/services/gas-notes/notes/{id}"]["get"];
    assert_eq!(
        one["parameters"][0],
        json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string"}})
    );

    // Suspended, its routes leave the document.
    let suspended = app
        .client
        .post_json("/api/v1/admin/plugins/gas-notes/suspend", Some(&admin), &json!({"reason": "checking"}))
        .await;
    assert_eq!(suspended.status, 200, "{:#}", suspended.body);
    let document = app.client.get("/api/openapi.json", None).await.body;
    assert!(document["paths"]["/api/v1/services/gas-notes/notes"].is_null());
}

/// The four services the platform ships reach the shared record and the
/// case queues only as far as their stories need: the row scopes and case
/// units the system approved for them, pinned here so that any widening is a
/// deliberate change (each crate's own tests show it fails closed without
/// each grant).
async fn the_first_party_services_hold_only_the_shared_data_they_use(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let trail = app.client.get("/api/v1/admin/audit?actor=system&action=plugin.approve", Some(&admin)).await.body;
    let granted = |id: &str, capability: &str| -> Vec<String> {
        let target = format!("plugin:{id}@{}", first_party_version(id));
        let approval = trail.as_array().unwrap().iter().find(|e| e["target"] == target.as_str()).unwrap();
        let grants = approval["details"]["grants"].as_array().unwrap();
        let grant = grants.iter().find(|g| g["capability"] == capability);
        let mut scope: Vec<String> = grant
            .map(|g| g["scope"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default();
        // Records: the row scopes say whose rows; cases: which units.
        scope.retain(|s| capability != "records" || s.contains(":rows:"));
        scope.sort();
        scope
    };
    let partners = [
        "partner-cable-tv",
        "partner-electricity",
        "partner-gas",
        "partner-heating",
        "partner-postal",
        "partner-property",
        "partner-sanitation",
        "partner-telecom",
        "partner-water",
    ];
    let referral_units: Vec<String> = ["outage", "routine", "urgent"]
        .iter()
        .flat_map(|kind| partners.iter().map(move |unit| format!("{kind}:{unit}")))
        .collect();
    let expected: [(&str, Vec<&str>, Vec<String>); 4] = [
        (
            "legal-consultation",
            vec!["disputes:rows:unit", "resident_profile:rows:caller"],
            [
                "legal-question:judicial-office",
                "mediation:community-east",
                "mediation:community-west",
                "mediation:judicial-office",
                "mediation:police-east-community",
            ]
            .map(String::from)
            .to_vec(),
        ),
        (
            "lost-id-reissue",
            vec!["resident_profile:rows:unit"],
            ["fraud-referral:police-east-community", "id-reissue:police-central", "temporary-id:police-central"]
                .map(String::from)
                .to_vec(),
        ),
        (
            "residence-permit",
            vec!["floating_population:rows:caller", "rental_housing:rows:caller", "resident_profile:rows:caller"],
            ["application:police-central", "endorsement:police-central"].map(String::from).to_vec(),
        ),
        ("utility-referral", vec!["resident_profile:rows:caller"], referral_units),
    ];
    for (id, records, cases) in expected {
        assert_eq!(granted(id, "records"), records, "{id}: whose shared rows it reaches");
        let mut cases = cases;
        cases.sort();
        assert_eq!(granted(id, "cases"), cases, "{id}: which units its cases go to");
    }
}
