//! The audit trail against someone with the database but not the audit key:
//! a rewrite re-hashed without the key is found, a head recorded outside the
//! platform catches entries removed from the end, and on PostgreSQL the
//! host's role can be kept from changing entries at all.

use onewindow::audit::{self, Entry};
use onewindow_tests::{Backend, TestApp, on_both_backends, postgres_admin_url};
use serde_json::{Value, json};
use sqlx::{Connection, Executor, PgConnection};

on_both_backends!(a_rewrite_re_hashed_without_the_key_is_found, a_recorded_head_catches_what_the_database_hides);

async fn verify(app: &TestApp, admin: &str, head: Option<&str>) -> Value {
    let path = match head {
        Some(head) => format!("/api/v1/admin/audit/verify?head={head}"),
        None => "/api/v1/admin/audit/verify".to_owned(),
    };
    let answer = app.client.get(&path, Some(admin)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body
}

async fn entries_after(app: &TestApp, admin: &str, after: i64) -> Vec<Entry> {
    let page = app.client.get(&format!("/api/v1/admin/audit?after={after}&limit=500"), Some(admin)).await;
    serde_json::from_value(page.body).unwrap()
}

async fn suspend_and_resume(app: &TestApp, admin: &str) {
    let suspend = "/api/v1/admin/plugins/residence-permit/suspend";
    assert_eq!(app.client.post_json(suspend, Some(admin), &json!({"reason": "maintenance"})).await.status, 200);
    let resume = "/api/v1/admin/plugins/residence-permit/resume";
    assert_eq!(app.client.post_empty(resume, Some(admin)).await.status, 200);
}

async fn a_rewrite_re_hashed_without_the_key_is_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    suspend_and_resume(&app, &admin).await;
    let before = verify(&app, &admin, None).await;
    assert_eq!(before["ok"], true, "{before}");
    let suspended = app.client.get("/api/v1/admin/audit?action=plugin.suspend", Some(&admin)).await;
    let seq = suspended.body[0]["seq"].as_i64().unwrap();

    // Change the suspension's reason, then recompute plain SHA-256 hashes down
    // the chain and move the head along: every link holds, but no hash is keyed.
    let mut prev = entries_after(&app, &admin, seq - 2).await[0].hash.clone();
    for mut entry in entries_after(&app, &admin, seq - 1).await {
        if entry.seq == seq {
            entry.details = json!({"reason": "nothing to see"});
        }
        entry.prev_hash = prev;
        entry.hash = audit::plain_hash(&entry);
        sqlx::query("UPDATE audit_log SET details = $1, prev_hash = $2, hash = $3 WHERE seq = $4")
            .bind(entry.details.to_string())
            .bind(&entry.prev_hash)
            .bind(&entry.hash)
            .bind(entry.seq)
            .execute(app.state.store.pool())
            .await
            .unwrap();
        prev = entry.hash;
    }
    sqlx::query("UPDATE audit_head SET hash = $1").bind(&prev).execute(app.state.store.pool()).await.unwrap();

    let after = verify(&app, &admin, None).await;
    assert_eq!(after["ok"], false, "{after}");
    assert_eq!(after["first_broken"], seq);
    assert!(after["problem"].as_str().unwrap().contains("without the audit key"), "{after}");
    assert_eq!(after["entries"], before["entries"], "every entry is still read");
    assert_eq!(after["head"], Value::Null, "no head to record from a broken trail");
}

async fn a_recorded_head_catches_what_the_database_hides(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let first = verify(&app, &admin, None).await;
    assert_eq!(first["ok"], true, "{first}");
    let platform_head = app.client.get("/api/v1/admin/audit/head", Some(&admin)).await.body;
    assert_eq!(first["head"], platform_head, "a verified trail names the platform's head");
    let recorded = format!("{}:{}", first["head"]["seq"], first["head"]["hash"].as_str().unwrap());
    let recorded_seq = first["head"]["seq"].as_i64().unwrap();

    // Acts recorded since leave the recorded head on the trail.
    suspend_and_resume(&app, &admin).await;
    let later = verify(&app, &admin, Some(&recorded)).await;
    assert_eq!(later["ok"], true, "{later}");
    assert_eq!(later["head"]["seq"], recorded_seq + 2);

    // Remove the newest entries down to the recorded one and set the stored
    // head back with them: the chain and the platform's own head agree...
    let kept = entries_after(&app, &admin, recorded_seq - 2).await.remove(0);
    assert_eq!(kept.seq, recorded_seq - 1);
    let sql = format!("DELETE FROM audit_log WHERE seq >= {recorded_seq}");
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(app.state.store.pool()).await.unwrap();
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2")
        .bind(kept.seq)
        .bind(&kept.hash)
        .execute(app.state.store.pool())
        .await
        .unwrap();
    let unaided = verify(&app, &admin, None).await;
    assert_eq!(unaided["ok"], true, "without a recorded head this cannot be seen: {unaided}");

    // ... but not the head recorded outside.
    let caught = verify(&app, &admin, Some(&recorded)).await;
    assert_eq!(caught["ok"], false, "{caught}");
    assert_eq!(caught["first_broken"], recorded_seq);
    let problem = caught["problem"].as_str().unwrap();
    assert!(problem.contains("recorded outside the platform") && problem.contains("removed"), "{problem}");

    // The API document describes the parameter (and the list's filters) as query parameters.
    let document = app.client.get("/api/openapi.json", None).await.body;
    let verify = &document["paths"]["/api/v1/admin/audit/verify"]["get"]["parameters"];
    assert_eq!(
        (&verify[0]["name"], &verify[0]["in"], &verify[0]["required"]),
        (&json!("head"), &json!("query"), &json!(false)),
        "{verify}"
    );
    let list = document["paths"]["/api/v1/admin/audit"]["get"]["parameters"].as_array().unwrap();
    assert!(list.len() == 7 && list.iter().all(|p| p["in"] == "query"), "{list:?}");

    // A head that is not SEQ:HASH is refused, naming the parameter.
    for bad in ["12", "x:y", &format!("{recorded_seq}:{}", "Z".repeat(64))] {
        let answer = app.client.get(&format!("/api/v1/admin/audit/verify?head={bad}"), Some(&admin)).await;
        assert_eq!(answer.problem_fields(), ["head"], "{bad}");
        assert!(answer.body["errors"][0]["message"].as_str().unwrap().contains("SEQ:HASH"));
    }
}

/// The README's grant, run as written but for the role names.
fn readme_grant(host_role: &str, audit_role: &str) -> String {
    let readme = include_str!("../../README.md");
    let section = readme.split("### The audit trail on PostgreSQL").nth(1).expect("the README's PostgreSQL section");
    let sql = section.split("```sql\n").nth(1).and_then(|s| s.split("```").next()).expect("its SQL block");
    sql.replace("onewindow_audit", audit_role).replace("onewindow", host_role)
}

/// Runs each of `statements` (one string may hold several, run as one
/// transaction) as the PostgreSQL superuser on `database`.
async fn as_superuser(database: &str, statements: &[&str]) {
    let admin = postgres_admin_url();
    let (base, _) = admin.rsplit_once('/').unwrap();
    let mut conn = PgConnection::connect(&format!("{base}/{database}")).await.unwrap();
    for sql in statements {
        conn.execute(sqlx::AssertSqlSafe(sql.to_string())).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    conn.close().await.unwrap();
}

/// A database and two roles of its own, dropped when the test ends.
struct OwnDatabase {
    name: String,
    roles: [String; 2],
}

impl Drop for OwnDatabase {
    fn drop(&mut self) {
        // DROP DATABASE must run alone, outside a transaction.
        let statements = [
            format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name),
            format!("DROP ROLE IF EXISTS \"{}\"", self.roles[0]),
            format!("DROP ROLE IF EXISTS \"{}\"", self.roles[1]),
        ];
        // Drop runs outside async; use a private runtime on a plain thread.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let mut conn = PgConnection::connect(&postgres_admin_url()).await.ok()?;
                for sql in statements {
                    conn.execute(sqlx::AssertSqlSafe(sql)).await.ok()?;
                }
                Some(())
            })
        })
        .join();
    }
}

/// What the README promises: with its grant, the host starts, records and
/// verifies as before, and its role can no longer change or remove entries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_the_hosts_role_appends_but_cannot_rewrite_the_trail() {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let own = OwnDatabase { name: format!("ow_test_{id}"), roles: [format!("ow_host_{id}"), format!("ow_audit_{id}")] };
    let host_role = &own.roles[0];
    let create_role = format!("CREATE ROLE \"{host_role}\" LOGIN NOSUPERUSER");
    let create_database = format!("CREATE DATABASE \"{}\" OWNER \"{host_role}\"", own.name);
    as_superuser("postgres", &[&create_role, &create_database]).await;
    let admin = postgres_admin_url();
    let (server, _) = admin.split_once('@').map(|(_, rest)| rest).unwrap().split_once('/').unwrap();
    let url = format!("postgres://{host_role}@{server}/{}", own.name);
    let data_dir = tempfile::tempdir().unwrap();
    let config = onewindow::config::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        database: Some(url),
        data_dir: data_dir.path().to_path_buf(),
        max_connections: 4,
        runtime: onewindow::config::RuntimeConfig { pool_instances: 8, ..Default::default() },
        ..Default::default()
    };

    // The first start, as the host's role: it creates and owns the tables.
    let app = onewindow::startup::Application::build(config.clone()).await.expect("the host starts as its role");
    app.state().store.close().await;
    drop(app);
    as_superuser(&own.name, &[&readme_grant(host_role, &own.roles[1])]).await;

    // Starting again and recording works as before.
    let app = onewindow::startup::Application::build(config).await.expect("the host starts under the grant");
    let store = &app.state().store;
    let act = audit::Act {
        actor: &audit::Actor::system(),
        action: "test.append",
        target: "audit",
        details: json!({}),
        request_id: "test",
    };
    let appended = audit::record_alone(store, act).await.expect("the host's role may append");
    let verified = audit::verify_stored(store, None).await.unwrap();
    assert!(verified.ok, "{verified:?}");
    assert_eq!(verified.head.as_ref().map(|h| h.seq), Some(appended.seq));

    // Changing or removing entries is refused to the host's role, and nothing changed.
    for sql in [
        "UPDATE audit_log SET details = '{\"reason\":\"nothing to see\"}'",
        "DELETE FROM audit_log WHERE seq = 1",
        "TRUNCATE audit_log",
    ] {
        let error = sqlx::query(sql).execute(store.pool()).await.expect_err(sql).to_string();
        assert!(error.contains("permission denied"), "{sql}: {error}");
    }
    assert_eq!(audit::verify_stored(store, None).await.unwrap(), verified);
    store.close().await;
}
