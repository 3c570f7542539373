//! A fresh database per test: a SQLite file in the test's temp directory,
//! or a new PostgreSQL database (dropped again when the test ends).

use std::path::Path;

use sqlx::{Connection, Executor, PgConnection};

/// Which database a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server tests use (as a superuser); `ONEWINDOW_TEST_POSTGRES` overrides it.
pub fn postgres_admin_url() -> String {
    std::env::var("ONEWINDOW_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A test's database.
pub struct TestDatabase {
    url: String,
    postgres_name: Option<String>,
}

impl TestDatabase {
    /// Creates the database.
    pub async fn create(backend: Backend, dir: &Path) -> TestDatabase {
        match backend {
            Backend::Sqlite => TestDatabase {
                url: format!("sqlite://{}?mode=rwc", dir.join("test.db").display()),
                postgres_name: None,
            },
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let name = format!("ow_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = PgConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("PostgreSQL at {admin} is needed for the postgres tests: {e}"));
                conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                    .await
                    .expect("create test database");
                let (base, _) = admin.rsplit_once('/').expect("a database URL");
                TestDatabase { url: format!("{base}/{name}"), postgres_name: Some(name) }
            }
        }
    }

    /// The URL to give the host.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(name) = self.postgres_name.take() else { return };
        // Drop runs outside async; use a private runtime on a plain thread.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let mut conn = PgConnection::connect(&postgres_admin_url()).await.ok()?;
                conn.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))).await.ok()
            })
        })
        .join();
    }
}
