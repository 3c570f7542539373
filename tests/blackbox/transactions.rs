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
