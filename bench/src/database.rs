//! A fresh database per run: the host's default SQLite file in its data
//! directory, or a new PostgreSQL database, dropped again afterwards.

use sqlx::{Connection, Executor, PgConnection};

/// Which database the host runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn parse(name: &str) -> Result<Backend, String> {
        match name {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" => Ok(Backend::Postgres),
            other => Err(format!("unknown backend `{other}` (sqlite or postgres)")),
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        })
    }
}

/// The PostgreSQL server (as a superuser), the one the tests use:
/// `ONEWINDOW_TEST_POSTGRES` overrides it.
fn postgres_admin_url() -> String {
    std::env::var("ONEWINDOW_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// The run's database.
pub struct Database {
    /// What to give the host; `None`: its default SQLite file.
    pub url: Option<String>,
    postgres_name: Option<String>,
}

impl Database {
    pub async fn create(backend: Backend) -> Result<Database, String> {
        if backend == Backend::Sqlite {
            return Ok(Database { url: None, postgres_name: None });
        }
        let admin = postgres_admin_url();
        let name = format!("ow_load_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::connect(&admin).await.map_err(|e| format!("PostgreSQL at {admin}: {e}"))?;
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .await
            .map_err(|e| format!("creating database {name}: {e}"))?;
        let (base, _) = admin.rsplit_once('/').ok_or_else(|| format!("{admin} names no database"))?;
        Ok(Database { url: Some(format!("{base}/{name}")), postgres_name: Some(name) })
    }

    /// Drops the PostgreSQL database (the SQLite file goes with the data directory).
    pub async fn drop_database(self) -> Result<(), String> {
        let Some(name) = self.postgres_name else { return Ok(()) };
        let mut conn = PgConnection::connect(&postgres_admin_url()).await.map_err(|e| e.to_string())?;
        conn.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")))
            .await
            .map_err(|e| format!("dropping database {name}: {e}"))?;
        Ok(())
    }
}
