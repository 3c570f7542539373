//! Installing plugins: what is refused, with which message, and what a
//! restart does. (Uploads over HTTP come with plugin governance; these go
//! through the same installer the first-party plugins use.)

use onewindow::registry::install::{InstallError, Installed};
use onewindow::registry::validate::ValidationError;
use onewindow::registry::{Installer, Manifest, Upload};
use onewindow_tests::{Backend, FIRST_PARTY, Options, TestApp, first_party_version, on_both_backends, plugins_dir};
use serde_json::json;

on_both_backends!(
    broken_components_are_refused_with_clear_messages,
    a_bad_manifest_is_refused_naming_the_field,
    a_version_cannot_be_replaced_by_other_bytes,
    a_restart_keeps_plugins_active_without_recompiling,
    a_stored_plugin_that_no_longer_loads_is_skipped_at_start,
    a_new_first_party_version_waits_for_review_if_an_admin_stopped_the_plugin,
    a_unit_cannot_claim_a_first_party_id_even_before_it_is_installed,
    a_restart_tidies_a_private_artifact_cache,
);

async fn a_restart_tidies_a_private_artifact_cache(backend: Backend) {
    let options = Options { without_first_party: true, private_cache: true, ..Options::default() };
    let app = TestApp::spawn_with(backend, options).await;
    let cache = app.config.data_dir.join("cache");
    let admin = app.admin_token().await;
    let partner = app.staff("gas-dev", "partner-gas").await;
    let wasm = std::fs::read(plugins_dir().join("fixtures/misbehaving/plugin.wasm")).unwrap();
    let kept = app.client.upload(Some(&partner), &manifest_for("gas-notes"), &wasm).await;
    assert_eq!(kept.status, 201, "{}", kept.body);
    // Another build, uploaded (so compiled) and then rejected: never loaded again.
    let mut other = wasm.clone();
    other.extend_from_slice(b"\0\x02\x01x"); // a custom section `x`: same code, other bytes
    let second = manifest_for("gas-notes").replace("version = \"0.1.0\"", "version = \"0.2.0\"");
    let rejected = app.client.upload(Some(&partner), &second, &other).await;
    assert_eq!(rejected.status, 201, "{}", rejected.body);
    let reason = json!({"reason": "not this one"});
    let path = "/api/v1/admin/plugins/gas-notes/versions/0.2.0/reject";
    assert_eq!(app.client.post_json(path, Some(&admin), &reason).await.status, 200);
    let artifact_of = |sha: &serde_json::Value| {
        let sha = sha.as_str().unwrap().to_owned();
        let cache = cache.clone();
        move || std::fs::read_dir(&cache).unwrap().flatten().any(|e| e.file_name().to_string_lossy().starts_with(&sha))
    };
    let (kept_artifact, rejected_artifact) = (artifact_of(&kept.body["sha256"]), artifact_of(&rejected.body["sha256"]));
    assert!(kept_artifact() && rejected_artifact(), "both were compiled at upload");
    std::fs::write(cache.join("left-by-a-crash.cwasm.tmp"), b"half").unwrap();

    let app = app.restart().await;
    assert!(kept_artifact(), "a pending version's artifact stays");
    assert!(!rejected_artifact(), "a rejected version's artifact is removed");
    assert!(!cache.join("left-by-a-crash.cwasm.tmp").exists());
    assert_eq!(app.client.get("/api/v1/plugins/gas-notes", Some(&partner)).await.status, 200);
}

async fn a_unit_cannot_claim_a_first_party_id_even_before_it_is_installed(backend: Backend) {
    assert_eq!(onewindow::registry::first_party::RESERVED_IDS, FIRST_PARTY, "every shipped service is reserved");
    let app = TestApp::spawn_with(backend, Options { without_first_party: true, ..Options::default() }).await;
    let partner = app.staff("gas-dev", "partner-gas").await;
    let wasm = std::fs::read(plugins_dir().join("fixtures/misbehaving/plugin.wasm")).unwrap();
    for id in FIRST_PARTY {
        let answer = app.client.upload(Some(&partner), &manifest_for(id), &wasm).await;
        let detail = answer.assert_problem(403, "forbidden");
        assert!(detail.contains(&format!("plugin id {id} is reserved")), "{detail}");
    }
    let admin = app.admin_token().await;
    let plugins = app.client.get("/api/v1/plugins", Some(&admin)).await;
    assert_eq!(plugins.body.as_array().map(Vec::len), Some(0), "nothing was stored: {}", plugins.body);
    // Any other id is the unit's to take.
    assert_eq!(app.client.upload(Some(&partner), &manifest_for("gas-notes"), &wasm).await.status, 201);
}

fn installer(app: &TestApp) -> Installer {
    Installer::new(app.state.store.clone(), app.state.runtime.clone())
}

fn manifest_for(id: &str) -> String {
    std::fs::read_to_string(plugins_dir().join("fixtures/misbehaving/plugin.toml"))
        .unwrap()
        .replace("id = \"misbehaving\"", &format!("id = \"{id}\""))
}

async fn refused(app: &TestApp, manifest: &str, bytes: &[u8]) -> InstallError {
    installer(app).install_and_activate(Upload::new(manifest, bytes), "test").await.expect_err("the install is refused")
}

/// `others` and the first-party services, in id order.
fn with_first_party(others: &[&str]) -> Vec<String> {
    let mut ids: Vec<String> = others.iter().chain(FIRST_PARTY.iter()).map(|id| id.to_string()).collect();
    ids.sort();
    ids
}

async fn service_ids(app: &TestApp) -> Vec<String> {
    let answer = app.client.get("/api/v1/services", None).await;
    answer.body["services"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_owned()).collect()
}

async fn broken_components_are_refused_with_clear_messages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let manifest = manifest_for("candidate");

    let garbage = refused(&app, &manifest, b"this is not webassembly at all").await;
    assert!(matches!(garbage, InstallError::Component(ValidationError::NotWasm)), "{garbage}");

    // The smallest valid core module: magic and version 1.
    let core = refused(&app, &manifest, b"\0asm\x01\0\0\0").await;
    assert!(matches!(core, InstallError::Component(ValidationError::CoreModule)), "{core}");
    assert!(core.to_string().contains("not a component"), "{core}");

    let mut truncated = std::fs::read(plugins_dir().join("fixtures/misbehaving/plugin.wasm")).unwrap();
    truncated.truncate(truncated.len() / 2);
    let broken = refused(&app, &manifest, &truncated).await;
    assert!(matches!(broken, InstallError::Component(ValidationError::InvalidComponent(_))), "{broken}");

    let other_world = std::fs::read(plugins_dir().join("fixtures/other-world/plugin.wasm")).unwrap();
    let wrong = refused(&app, &manifest, &other_world).await;
    match &wrong {
        InstallError::Component(ValidationError::WrongWorld(message)) => {
            assert!(message.contains("handle"), "{message}")
        }
        other => panic!("expected a wrong-world refusal, got {other}"),
    }

    assert_eq!(service_ids(&app).await, FIRST_PARTY, "nothing refused became a service");
}

async fn a_bad_manifest_is_refused_naming_the_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let bytes = std::fs::read(plugins_dir().join("fixtures/misbehaving/plugin.wasm")).unwrap();
    let bad = manifest_for("candidate").replace("service@0.1.0", "service@0.2.0");
    match refused(&app, &bad, &bytes).await {
        InstallError::Manifest(error) => {
            assert_eq!(error.field, "world");
            assert!(error.problem.contains("0.1.0 to 0.1.2"), "{error}");
        }
        other => panic!("expected a manifest error, got {other}"),
    }
    let bad = manifest_for("Bad_Id");
    assert!(matches!(refused(&app, &bad, &bytes).await, InstallError::Manifest(e) if e.field == "id"));
    assert_eq!(service_ids(&app).await, FIRST_PARTY);
}

async fn a_version_cannot_be_replaced_by_other_bytes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let manifest = manifest_for("candidate");
    let bytes = std::fs::read(plugins_dir().join("fixtures/misbehaving/plugin.wasm")).unwrap();
    assert!(matches!(
        installer(&app).install_and_activate(Upload::new(&manifest, &bytes), "test").await.unwrap(),
        Installed::New { .. }
    ));
    assert!(matches!(
        installer(&app).install_and_activate(Upload::new(&manifest, &bytes), "test").await.unwrap(),
        Installed::Unchanged { .. }
    ));

    let other = std::fs::read(plugins_dir().join("first-party/residence-permit/plugin.wasm")).unwrap();
    let error = refused(&app, &manifest, &other).await;
    assert!(matches!(error, InstallError::VersionExists { .. }), "{error}");
    assert_eq!(service_ids(&app).await, with_first_party(&["candidate"]));
    // The active version still answers as before.
    assert_eq!(app.client.get("/api/v1/services/candidate/noop", None).await.status, 204);
}

async fn a_restart_keeps_plugins_active_without_recompiling(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { fixtures: true, ..Options::default() }).await;
    let (token, _) = app.resident("persistent").await;
    assert_eq!(app.client.post_empty("/api/v1/services/misbehaving/notes?body=before", None).await.status, 201);

    let mut app = app.restart().await;
    // Not even the first-party directory is needed now: active versions load from the database.
    app.config.first_party.clear();
    let app = app.restart().await;

    assert_eq!(service_ids(&app).await, with_first_party(&["linkage-probe", "misbehaving", "old-world"]));
    let notes = app.client.get("/api/v1/services/misbehaving/notes", None).await;
    assert_eq!(notes.body[0]["body"], "before");
    assert_eq!(app.client.get("/api/v1/auth/me", Some(&token)).await.status, 200, "sessions survive a restart");

    let manifest = Manifest::parse(
        &std::fs::read_to_string(plugins_dir().join("first-party/residence-permit/plugin.toml")).unwrap(),
    )
    .unwrap();
    let plugin = app.state.runtime.get(manifest.id.as_str()).expect("active after restart");
    assert_eq!(plugin.manifest().version, manifest.version);
}

/// One stored plugin that no longer parses (written by an older host, or
/// damaged) is logged and left out at start; the platform and every other
/// service still come up.
async fn a_stored_plugin_that_no_longer_loads_is_skipped_at_start(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { fixtures: true, ..Options::default() }).await;
    let damaged = sqlx::query("UPDATE plugin_versions SET manifest = 'id = [' WHERE plugin_id = 'misbehaving'")
        .execute(app.state.store.pool())
        .await
        .unwrap();
    assert_eq!(damaged.rows_affected(), 1);

    let mut app = app.restart().await;
    // Not reinstalled from the fixtures directory either: only what is stored.
    app.config.first_party.clear();
    let app = app.restart().await;
    assert_eq!(service_ids(&app).await, with_first_party(&["linkage-probe", "old-world"]));
    assert_eq!(app.client.get("/api/v1/services/linkage-probe/whoami", None).await.status, 200);
    let detail =
        app.client.get("/api/v1/services/misbehaving/noop", None).await.assert_problem(503, "service-unavailable");
    assert!(detail.contains("could not be loaded"), "{detail}");
}

/// A host upgrade brings a new version of a first-party service: it goes
/// live by itself, unless an admin stopped that service; then it waits for
/// review and the service stays stopped.
async fn a_new_first_party_version_waits_for_review_if_an_admin_stopped_the_plugin(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let suspend = json!({"reason": "the desk is closed for the move"});
    let suspended =
        app.client.post_json("/api/v1/admin/plugins/residence-permit/suspend", Some(&admin), &suspend).await;
    assert_eq!(suspended.status, 200, "{}", suspended.body);

    // The next release ships both services with a higher version.
    let release = tempfile::tempdir().unwrap();
    let shipped = plugins_dir().join("first-party");
    for id in ["residence-permit", "lost-id-reissue"] {
        let dir = release.path().join(id);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(shipped.join(id).join("plugin.wasm"), dir.join("plugin.wasm")).unwrap();
        let manifest = std::fs::read_to_string(shipped.join(id).join("plugin.toml")).unwrap();
        let current = first_party_version(id);
        let bumped = manifest.replacen(&format!("version = \"{current}\""), "version = \"9.0.0\"", 1);
        assert_ne!(bumped, manifest);
        std::fs::write(dir.join("plugin.toml"), bumped).unwrap();
    }
    let mut app = app.restart().await;
    app.config.first_party = vec![release.path().to_path_buf()];
    let app = app.restart().await;

    let info = |id: &'static str| {
        let client = app.client.clone();
        async move { client.get(&format!("/api/v1/services/{id}"), None).await }
    };
    assert_eq!(info("lost-id-reissue").await.body["version"], "9.0.0", "a running service moves on");
    let stopped = app.client.get("/api/v1/services/residence-permit/requirements", None).await;
    assert!(stopped.assert_problem(503, "service-unavailable").contains("suspended"), "{}", stopped.body);
    let admin = app.admin_token().await;
    let queue = app.client.get("/api/v1/admin/reviews", Some(&admin)).await.body;
    let waiting: Vec<(&str, &str)> = queue
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            let version = &item["version"];
            (version["plugin_id"].as_str().unwrap_or_default(), version["version"].as_str().unwrap_or_default())
        })
        .collect();
    assert_eq!(waiting, [("residence-permit", "9.0.0")], "for the admin to decide: {queue:#}");
}
