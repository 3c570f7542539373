//! Where SQLite and PostgreSQL differ. Everything else is shared SQL.

use crate::registry::manifest::ColumnType;

/// The database backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Picks the backend from a database URL.
    pub fn from_url(url: &str) -> anyhow::Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            anyhow::bail!("unsupported database URL (expected sqlite:// or postgres://)")
        }
    }

    /// The URL of the data side (see `store`): on SQLite a file beside the
    /// platform's (`x.db` → `x-data.db`), on PostgreSQL the same database.
    pub fn data_url(self, url: &str) -> anyhow::Result<String> {
        if self == Backend::Postgres {
            return Ok(url.to_owned());
        }
        let (path, query) = url.split_once('?').map_or((url, None), |(p, q)| (p, Some(q)));
        if path.contains(":memory:") || path.ends_with("sqlite:") || path.ends_with("sqlite://") {
            anyhow::bail!("an in-memory SQLite database cannot hold two sides; give a file");
        }
        let data_path = match path.rsplit_once('.') {
            Some((stem, ext)) if !ext.contains('/') => format!("{stem}-data.{ext}"),
            _ => format!("{path}-data"),
        };
        Ok(match query {
            Some(query) => format!("{data_path}?{query}"),
            None => data_path,
        })
    }

    /// Statements run on every new data-side connection: as the platform's,
    /// and on SQLite a busy timeout longer than the longest plugin deadline,
    /// so a writer queued behind a plugin's transaction waits instead of failing.
    pub fn data_connection_setup(self) -> &'static [&'static str] {
        match self {
            Backend::Sqlite => &[
                "PRAGMA journal_mode = WAL",
                "PRAGMA synchronous = NORMAL",
                "PRAGMA foreign_keys = ON",
                "PRAGMA busy_timeout = 15000",
            ],
            // A backstop for statements outside a plugin's transaction
            // (which sets its own, to its deadline): longer than any
            // deadline, like SQLite's busy timeout above.
            Backend::Postgres => &["SET statement_timeout = 15000"],
        }
    }

    /// Statements run on every new connection.
    pub fn connection_setup(self) -> &'static [&'static str] {
        match self {
            // WAL lets readers run beside the one writer; NORMAL sync is safe with WAL.
            Backend::Sqlite => {
                &["PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON"]
            }
            Backend::Postgres => &[],
        }
    }

    /// Whether one failed statement dooms the whole transaction (PostgreSQL)
    /// rather than undoing only itself (SQLite).
    pub fn failed_statement_aborts_transaction(self) -> bool {
        self == Backend::Postgres
    }

    /// The column definition of a table's `id` primary key.
    pub fn id_column(self) -> &'static str {
        match self {
            Backend::Sqlite => "\"id\" INTEGER PRIMARY KEY AUTOINCREMENT",
            Backend::Postgres => "\"id\" BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
        }
    }

    /// A query for the column names of table `$1` (no rows if it does not exist).
    pub fn column_names_sql(self) -> &'static str {
        match self {
            Backend::Sqlite => "SELECT name FROM pragma_table_info($1)",
            Backend::Postgres => {
                "SELECT column_name::TEXT FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1"
            }
        }
    }

    /// A query that finds the index named `$1` (no row if it does not exist).
    pub fn index_exists_sql(self) -> &'static str {
        match self {
            Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'index' AND name = $1",
            Backend::Postgres => {
                "SELECT indexname::TEXT FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1"
            }
        }
    }

    /// The SQL type of a plugin column type.
    pub fn column_type(self, ty: ColumnType) -> &'static str {
        match (self, ty) {
            (_, ColumnType::Integer) => "BIGINT",
            (_, ColumnType::Text) => "TEXT",
            // sqlx's Any driver cannot read SQLite's BOOLEAN affinity; store
            // 0/1 integers there (decoding accepts both, see data::values).
            (Backend::Sqlite, ColumnType::Boolean) => "INTEGER",
            (Backend::Postgres, ColumnType::Boolean) => "BOOLEAN",
            (Backend::Sqlite, ColumnType::Real) => "REAL",
            (Backend::Postgres, ColumnType::Real) => "DOUBLE PRECISION",
            (Backend::Sqlite, ColumnType::Bytes) => "BLOB",
            (Backend::Postgres, ColumnType::Bytes) => "BYTEA",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_side_of_sqlite_is_a_sibling_file() {
        let data = Backend::Sqlite.data_url("sqlite:///tmp/x/onewindow.db?mode=rwc").unwrap();
        assert_eq!(data, "sqlite:///tmp/x/onewindow-data.db?mode=rwc");
        assert_eq!(Backend::Sqlite.data_url("sqlite://a.b/db").unwrap(), "sqlite://a.b/db-data");
        assert!(Backend::Sqlite.data_url("sqlite::memory:").is_err());
        assert_eq!(Backend::Postgres.data_url("postgres://h/db").unwrap(), "postgres://h/db");
    }
}
