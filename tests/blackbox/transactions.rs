//! The transaction model: a plugin's open write transaction never makes the
//! platform's own writes wait (DESIGN §4). On SQLite the plugin's writes go
//! to the data file; sign-in, the audit trail and an admin's suspend write
//! the platform file, whose lock the plugin never takes.

use std::time::Duration;

use onewindow_tests::{Backend, Options, TestApp};

/// Whether the data file's write lock is taken now (an immediate
/// transaction with no busy timeout fails at once when it is).
async fn data_file_locked(app: &TestApp) -> bool {
    use sqlx::{Connection, Executor};
    let url = app.config.database_url().replace("test.db", "test-data.db");
    let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("open the data file");
    conn.execute("PRAGMA busy_timeout = 0").await.unwrap();
    let locked = conn.execute("BEGIN IMMEDIATE").await.is_err();
    if !locked {
        conn.execute("ROLLBACK").await.unwrap();
    }
    locked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_audit_and_suspend_do_not_wait_for_a_plugin_transaction() {
    let app = TestApp::spawn_with(Backend::Sqlite, Options { fixtures: true, ..Options::default() }).await;
    let (_, _) = app.resident("waiting-resident").await;
    let admin = app.admin_token().await;

    // A plugin inserts, then computes for 8 s holding its transaction open.
    let client = app.client.clone();
    let held = tokio::spawn(async move {
        client
            .post_json("/api/v1/services/linkage-probe/data/insert-then-spin?ms=8000", None, &serde_json::json!({}))
            .await
    });
    // Wait (bounded) until the plugin holds the data file's write lock.
    let mut waited = 0;
    while !data_file_locked(&app).await {
        assert!(!held.is_finished(), "the plugin call ended before it was seen holding the lock");
        waited += 1;
        assert!(waited < 400, "the plugin never took the data file's lock");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // Meanwhile the platform writes: a sign-in (a session), a failed sign-in
    // (an audit entry), and an admin suspending and resuming a service.
    app.client.sign_in("waiting-resident", "resident password 1").await;
    let wrong = app
        .client
        .post_json(
            "/api/v1/auth/sign-in",
            None,
            &serde_json::json!({"username": "waiting-resident", "password": "not it"}),
        )
        .await;
    assert_eq!(wrong.status, 401);
    let suspended = app
        .client
        .post_json("/api/v1/admin/plugins/old-world/suspend", Some(&admin), &serde_json::json!({"reason": "test"}))
        .await;
    assert_eq!(suspended.status, 200, "{}", suspended.body);
    // Resuming re-activates a version whose tables exist: nothing to wait for.
    let resumed = app.client.post_empty("/api/v1/admin/plugins/old-world/resume", Some(&admin)).await;
    assert_eq!(resumed.status, 200, "{}", resumed.body);
    assert!(data_file_locked(&app).await, "all of that happened while the plugin still held its transaction");
    assert!(!held.is_finished(), "... and before the plugin call ended");

    // The plugin's call itself completes and commits normally.
    let answer = held.await.unwrap();
    assert!(answer.status == 504 || answer.status == 200, "{} {}", answer.status, answer.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_reads_wait_for_a_plugin_connection_and_leave_the_staffs_alone() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let app = TestApp::spawn_with(backend, Options { fixtures: true, ..Options::default() }).await;
        let (resident, _) = app.resident("reader").await;
        // Every connection plugins may use is taken (as by many slow reads).
        let slots = app.state.store.plugin_connections().clone();
        let taken = slots.clone().acquire_many_owned(slots.available_permits() as u32).await.unwrap();
        // A plugin's read waits for one, up to its deadline (300 ms) ...
        let read = app.client.get("/api/v1/services/misbehaving/notes", None).await;
        read.assert_problem(504, "plugin-timeout");
        // ... while the resident's own data-side API is served at once.
        let cases = app.client.get("/api/v1/me/cases", Some(&resident)).await;
        assert_eq!(cases.status, 200, "{}", cases.body);
        drop(taken);
        assert_eq!(app.client.get("/api/v1/services/misbehaving/notes", None).await.status, 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_a_plugins_statement_cannot_outlive_its_deadline() {
    use onewindow::store::tx::{RequestTx, Run, Statement};
    let app = TestApp::spawn(Backend::Postgres).await;
    let deadline = std::time::Instant::now() + Duration::from_millis(300);
    let tx = RequestTx::with_deadline(app.state.store.clone(), deadline);
    let slow = Statement { sql: "SELECT pg_sleep(30)".into(), params: vec![] };
    let Err(error) = tx.write(slow, Run::Execute).await else { panic!("pg_sleep(30) outlived its deadline") };
    let code = error.as_database_error().and_then(|e| e.code()).map(|c| c.into_owned());
    assert_eq!(code.as_deref(), Some("57014"), "query_canceled by statement_timeout: {error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_sqlite_gives_up_a_transaction_nothing_more_of_the_request_runs() {
    use onewindow::store::tx::{Param, RequestTx, Run, Statement};
    use sqlx::Row;
    let app = TestApp::spawn(Backend::Sqlite).await;
    let store = app.state.store.clone();
    sqlx::query("CREATE TABLE t_full (v BLOB)").execute(store.data_pool()).await.unwrap();
    let statement = |sql: &str, params: Vec<Param>| Statement { sql: sql.into(), params };
    let tx = RequestTx::new(store.clone());
    tx.write(statement("INSERT INTO t_full (v) VALUES (x'00')", vec![]), Run::Execute).await.unwrap();
    // Cap the file at its size now, so the next large write finds the disk full.
    let pages = tx.read(statement("PRAGMA page_count", vec![])).await.unwrap()[0].get::<i64, _>(0);
    tx.write(statement(&format!("PRAGMA max_page_count = {pages}"), vec![]), Run::FetchAll).await.unwrap();
    let big = statement("INSERT INTO t_full (v) VALUES ($1)", vec![Param::Bytes(vec![7; 1 << 20])]);
    let Err(full) = tx.write(big, Run::Execute).await else { panic!("the capped file took 1 MiB") };
    assert_eq!(full.as_database_error().and_then(|e| e.code()).as_deref(), Some("13"), "SQLITE_FULL: {full}");
    // Nothing more of this request runs, and nothing of it is kept.
    let Err(refused) = tx.write(statement("INSERT INTO t_full (v) VALUES (x'01')", vec![]), Run::Execute).await else {
        panic!("a write after SQLite gave up the transaction ran")
    };
    assert!(refused.to_string().contains("ended this request's transaction"), "{refused}");
    assert!(tx.read(statement("SELECT COUNT(*) FROM t_full", vec![])).await.is_err());
    assert!(tx.commit().await.is_err(), "the commit is refused too");
    let count: i64 = sqlx::query("SELECT COUNT(*) FROM t_full").fetch_one(store.data_pool()).await.unwrap().get(0);
    assert_eq!(count, 0, "not even the write before the failure was kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lifecycle_act_on_sqlite_takes_the_write_lock_before_it_reads() {
    use onewindow::store::plugins;
    use sqlx::{Connection, Executor};
    let app = TestApp::spawn(Backend::Sqlite).await;
    // Whether the platform file's write lock is free now (no waiting).
    let url = app.config.database_url();
    let mut other = sqlx::SqliteConnection::connect(&url).await.expect("open the platform file");
    other.execute("PRAGMA busy_timeout = 0").await.unwrap();
    let mut lock_is_free = async || {
        let free = other.execute("BEGIN IMMEDIATE").await.is_ok();
        if free {
            other.execute("ROLLBACK").await.unwrap();
        }
        free
    };
    assert!(lock_is_free().await);
    // An act holds the lock from its start: a transaction that read first
    // would hold a snapshot, and its first write would fail for good
    // (SQLITE_BUSY_SNAPSHOT) whenever a sign-in or an audit entry committed
    // in between.
    let mut act = plugins::begin_lifecycle(&app.state.store).await.unwrap();
    assert!(!lock_is_free().await, "the act took the write lock at once");
    sqlx::query("SELECT COUNT(*) FROM plugin_versions").fetch_one(&mut *act).await.unwrap();
    act.commit().await.unwrap();
    assert!(lock_is_free().await);
}
