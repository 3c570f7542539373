//! Two hosts on one PostgreSQL database serve one platform: a lifecycle act
//! through either reaches the other on its own (no restart), and admins
//! racing on both hosts leave the database and what each host serves in
//! agreement. PostgreSQL only: several hosts need it.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use onewindow_tests::{Answer, Backend, FIRST_PARTY, Options, TestApp, plugins_dir};
use serde_json::{Value, json};

/// How long a change may take to reach the other host before a test gives
/// up; it normally takes milliseconds. A failsafe, not a measurement.
const FAILSAFE: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspension_through_one_host_stops_the_service_on_the_other() {
    let a = TestApp::spawn_with(Backend::Postgres, Options { fixtures: true, ..Options::default() }).await;
    let b = a.another_host().await;
    let noop = service("misbehaving", "/noop");
    for host in [&a, &b] {
        assert_eq!(host.client.get(&noop, None).await.status, 204);
    }
    let admin = a.admin_token().await;
    let mut before = served(&b).await;

    let suspended = a
        .client
        .post_json("/api/v1/admin/plugins/misbehaving/suspend", Some(&admin), &json!({"reason": "investigating"}))
        .await;
    assert_eq!(suspended.status, 200, "{}", suspended.body);
    assert!(a.client.get(&noop, None).await.assert_problem(503, "service-unavailable").contains("suspended"));
    let on_b = eventually("host B answers 503 for the suspended service", || answers(&b, &noop, 503)).await;
    assert!(on_b.assert_problem(503, "service-unavailable").contains("suspended"), "{}", on_b.body);
    // Nothing else changed there.
    assert_eq!(before.remove("misbehaving").as_deref(), Some("0.1.0"));
    assert_eq!(served(&b).await, before);
    assert!(FIRST_PARTY.iter().all(|id| before.contains_key(*id)), "{before:?}");

    // Resumed through B (the sign-in made on A is good there: sessions are in the database).
    let resumed = b.client.post_empty("/api/v1/admin/plugins/misbehaving/resume", Some(&admin)).await;
    assert_eq!(resumed.status, 200, "{}", resumed.body);
    assert_eq!(b.client.get(&noop, None).await.status, 204, "at once on the host that acted");
    eventually("host A serves the resumed service again", || answers(&a, &noop, 204)).await;
    assert_eq!(served(&a).await, served(&b).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approvals_rollbacks_and_retirements_through_either_host_reach_the_other() {
    let a = TestApp::spawn(Backend::Postgres).await;
    let b = a.another_host().await;
    let admin = a.admin_token().await;
    let partner = a.staff("water-dev", "partner-water").await;

    // Uploaded through B, approved through A: B serves it without a restart.
    let sha1 = upload(&b, &partner, "water-notes", "1.0.0").await;
    approve(&a, &admin, "water-notes", "1.0.0", &sha1).await;
    eventually("host B serves 1.0.0", || serves(&b, "water-notes", Some("1.0.0"))).await;

    // And the other way round.
    let sha2 = upload(&a, &partner, "water-notes", "1.1.0").await;
    approve(&b, &admin, "water-notes", "1.1.0", &sha2).await;
    eventually("host A serves 1.1.0", || serves(&a, "water-notes", Some("1.1.0"))).await;

    let rollback = |host: &TestApp, version: &str| {
        let (client, admin, body) = (host.client.clone(), admin.clone(), json!({"version": version}));
        async move { client.post_json("/api/v1/admin/plugins/water-notes/rollback", Some(&admin), &body).await }
    };
    assert_eq!(rollback(&a, "1.0.0").await.status, 200);
    eventually("host B rolled back to 1.0.0", || serves(&b, "water-notes", Some("1.0.0"))).await;

    let retired = b
        .client
        .post_json("/api/v1/admin/plugins/water-notes/retire", Some(&admin), &json!({"reason": "replaced"}))
        .await;
    assert_eq!(retired.status, 200, "{}", retired.body);
    let noop = service("water-notes", "/noop");
    let on_a = eventually("host A stops serving the retired service", || answers(&a, &noop, 503)).await;
    assert!(on_a.assert_problem(503, "service-unavailable").contains("retired"));

    assert_eq!(rollback(&a, "1.1.0").await.status, 200);
    eventually("host B serves 1.1.0 again", || serves(&b, "water-notes", Some("1.1.0"))).await;
    assert_eq!(b.client.get(&noop, None).await.status, 204);
    assert_eq!(served(&a).await, served(&b).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_racing_on_two_hosts_leave_both_serving_what_the_database_says() {
    let a = TestApp::spawn_with(Backend::Postgres, Options { fixtures: true, ..Options::default() }).await;
    let b = a.another_host().await;
    let admin = a.admin_token().await;
    let partner = a.staff("race-dev", "partner-water").await;

    // A new version each round, approved through one host while it is
    // rejected through the other: exactly one of them wins.
    for round in 0..6 {
        let version = format!("1.{round}.0");
        let sha = upload(&a, &partner, "race-notes", &version).await;
        let (approver, rejecter) = if round % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let approve_path = format!("/api/v1/admin/plugins/race-notes/versions/{version}/approve");
        let reject_path = format!("/api/v1/admin/plugins/race-notes/versions/{version}/reject");
        let (approval, rejection) = (json!({"sha256": sha}), json!({"reason": "not now"}));
        let (approved, rejected) = tokio::join!(
            approver.client.post_json(&approve_path, Some(&admin), &approval),
            rejecter.client.post_json(&reject_path, Some(&admin), &rejection),
        );
        match (approved.status, rejected.status) {
            (200, 409) => {
                assert!(refused(&rejected).contains("active"), "the loser names the state: {}", rejected.body)
            }
            (409, 200) => {
                assert!(refused(&approved).contains("rejected"), "the loser names the state: {}", approved.body)
            }
            other => panic!(
                "round {round}: one act must win and the other get 409, got {other:?}: {} / {}",
                approved.body, rejected.body
            ),
        }
    }

    // Suspend and resume the always-installed fixture, the same act on
    // both hosts at once (one wins) and opposite acts (either order).
    let act = |host: &TestApp, act: &'static str| {
        let (client, admin) = (host.client.clone(), admin.clone());
        async move {
            let path = format!("/api/v1/admin/plugins/misbehaving/{act}");
            client.post_json(&path, Some(&admin), &json!({"reason": "drill"})).await
        }
    };
    let resume = |host: &TestApp| {
        let (client, admin) = (host.client.clone(), admin.clone());
        async move { client.post_empty("/api/v1/admin/plugins/misbehaving/resume", Some(&admin)).await }
    };
    for round in 0..6 {
        let (first, second) = tokio::join!(act(&a, "suspend"), act(&b, "suspend"));
        one_wins(round, "suspend", &first, &second);
        let (first, second) = tokio::join!(resume(&a), resume(&b));
        one_wins(round, "resume", &first, &second);
        let (suspended, resumed) = tokio::join!(act(&b, "suspend"), resume(&a));
        assert_eq!(suspended.status, 200, "round {round}: {}", suspended.body);
        if resumed.status != 200 {
            assert!(refused(&resumed).contains("active"), "round {round}: {}", resumed.body);
            assert_eq!(resume(&a).await.status, 200);
        }
    }

    // Both hosts end up serving exactly what the database says is active.
    let database = database_view(&a, &admin).await;
    assert_eq!(database.get("misbehaving").map(String::as_str), Some("0.1.0"));
    for (name, host) in [("A", &a), ("B", &b)] {
        eventually(&format!("host {name} serves what the database says"), || async {
            let serving = served(host).await;
            if serving == database { Ok(()) } else { Err(format!("{serving:?} while the database says {database:?}")) }
        })
        .await;
    }
    // The database itself is consistent: the active version is the one version in state `active`.
    let shown = a.client.get("/api/v1/plugins/race-notes", Some(&admin)).await;
    let active: Vec<&str> = shown.body["versions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["state"] == "active")
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(active.first().copied(), shown.body["plugin"]["active_version"].as_str());
    assert!(active.len() <= 1, "{active:?}");
    // Every act the two hosts recorded is on one unbroken chain.
    let verified = b.client.get("/api/v1/admin/audit/verify", Some(&admin)).await;
    assert_eq!(verified.body["ok"], true, "{}", verified.body);
}

/// Exactly one of two identical acts succeeds; the other is a 409 `wrong-state`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_host_without_the_first_hosts_keys_refuses_to_start_and_says_what_to_copy() {
    let a = TestApp::spawn_with(Backend::Postgres, Options::default()).await;
    let own_dir = tempfile::tempdir().unwrap();
    let config = onewindow::config::Config { data_dir: own_dir.path().to_path_buf(), ..a.config.clone() };
    let refused = match onewindow::startup::Application::build(config.clone()).await {
        Ok(_) => panic!("a host with a new audit key must not write to a trail keyed with another"),
        Err(error) => format!("{error:#}"),
    };
    assert!(refused.contains("Copy the files `audit-key` and `record-keys`"), "{refused}");
    assert!(refused.contains(&own_dir.path().display().to_string()), "{refused}");
    assert!(!own_dir.path().join("audit-key").exists(), "the unused key was removed, so a restart refuses too");
    // Nothing was written to the shared trail meanwhile.
    let admin = a.admin_token().await;
    let verified = a.client.get("/api/v1/admin/audit/verify", Some(&admin)).await;
    assert_eq!(verified.body["ok"], true, "{}", verified.body);

    // With the keys copied as the README says, it starts and serves.
    for file in ["audit-key", "record-keys"] {
        std::fs::copy(a.config.data_dir.join(file), own_dir.path().join(file)).unwrap();
    }
    let b = onewindow::startup::Application::build(config).await.expect("with the keys it starts");
    assert!(b.initial_admin().is_none());
}

fn one_wins(round: usize, act: &str, first: &Answer, second: &Answer) {
    match (first.status, second.status) {
        (200, 409) => drop(refused(second)),
        (409, 200) => drop(refused(first)),
        other => {
            panic!("round {round}, {act} on both hosts: one must win, got {other:?}: {} / {}", first.body, second.body)
        }
    }
}

/// The detail of a refusal, which must be a 409 `wrong-state`.
fn refused(answer: &Answer) -> String {
    answer.assert_problem(409, "wrong-state")
}

/// Repeats `probe` until it succeeds; past [`FAILSAFE`] the test fails with
/// what was last seen.
async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + FAILSAFE;
    loop {
        match probe().await {
            Ok(value) => return value,
            Err(last) if Instant::now() >= deadline => panic!("{what}: not within {FAILSAFE:?}; last seen: {last}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

/// `host`'s answer to GET `path`, once it has `status`.
async fn answers(host: &TestApp, path: &str, status: u16) -> Result<Answer, String> {
    let answer = host.client.get(path, None).await;
    if answer.status == status { Ok(answer) } else { Err(format!("{} {}", answer.status, answer.body)) }
}

/// Succeeds once `host` serves `version` of `id` (`None`: serves no version).
async fn serves(host: &TestApp, id: &str, version: Option<&str>) -> Result<(), String> {
    let serving = served(host).await.remove(id);
    if serving.as_deref() == version { Ok(()) } else { Err(format!("serves {serving:?}")) }
}

/// What `host` serves: each service's id and version, from `/api/v1/services`.
async fn served(host: &TestApp) -> BTreeMap<String, String> {
    let answer = host.client.get("/api/v1/services", None).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let field = |service: &Value, name: &str| service[name].as_str().expect("a string field").to_owned();
    answer.body["services"].as_array().unwrap().iter().map(|s| (field(s, "id"), field(s, "version"))).collect()
}

/// What the database says is active: each plugin's active version.
async fn database_view(host: &TestApp, admin: &str) -> BTreeMap<String, String> {
    let answer = host.client.get("/api/v1/plugins", Some(admin)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let plugins = answer.body.as_array().unwrap().iter();
    plugins.filter_map(|p| Some((p["id"].as_str()?.to_owned(), p["active_version"].as_str()?.to_owned()))).collect()
}

/// Uploads the `misbehaving` fixture as `id` `version` through `host`; answers its sha256.
async fn upload(host: &TestApp, partner: &str, id: &str, version: &str) -> String {
    let dir = plugins_dir().join("fixtures/misbehaving");
    let manifest = std::fs::read_to_string(dir.join("plugin.toml"))
        .unwrap()
        .replace("id = \"misbehaving\"", &format!("id = \"{id}\""))
        .replace("version = \"0.1.0\"", &format!("version = \"{version}\""));
    let uploaded = host.client.upload(Some(partner), &manifest, &std::fs::read(dir.join("plugin.wasm")).unwrap()).await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.body);
    uploaded.body["sha256"].as_str().unwrap().to_owned()
}

async fn approve(host: &TestApp, admin: &str, id: &str, version: &str, sha256: &str) {
    let path = format!("/api/v1/admin/plugins/{id}/versions/{version}/approve");
    let approved = host.client.post_json(&path, Some(admin), &json!({"sha256": sha256})).await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(approved.body["state"], "active");
}

fn service(id: &str, rest: &str) -> String {
    format!("/api/v1/services/{id}{rest}")
}
