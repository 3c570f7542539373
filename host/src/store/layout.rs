//! Upgrading an embedded database from the one-file layout (before the
//! linkage layer) to the two sides of `store`: plugin tables written before
//! the split still live in the platform file; they move, with their rows,
//! indexes and id sequences, into the data file once, at start.

use sqlx::{Connection, Executor, Row};

use super::{Backend, Store};

/// Moves every plugin table (`p_...`) from the platform file into the data
/// file, in one transaction; returns how many moved. PostgreSQL has one
/// database for both sides, so nothing moves there.
pub async fn move_plugin_tables_to_data_side(store: &Store, url: &str) -> anyhow::Result<usize> {
    if store.backend() != Backend::Sqlite {
        return Ok(0);
    }
    let mut conn = store.pool().acquire().await?;
    let tables: Vec<(String, String)> = sqlx::query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name LIKE 'p\\_%' ESCAPE '\\' ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
    .collect::<Result<_, sqlx::Error>>()?;
    if tables.is_empty() {
        return Ok(0);
    }
    let data_path = sqlite_path(&store.backend().data_url(url)?);
    // The names come from sqlite_master and were made from checked manifests.
    conn.execute(sqlx::AssertSqlSafe(format!("ATTACH DATABASE '{}' AS data", data_path.replace('\'', "''")))).await?;
    let moved = move_all(&mut conn, &tables).await;
    conn.execute("DETACH DATABASE data").await?;
    moved?;
    tracing::info!(tables = tables.len(), "moved plugin tables to the data file (one-time upgrade)");
    Ok(tables.len())
}

async fn move_all(conn: &mut sqlx::pool::PoolConnection<sqlx::Any>, tables: &[(String, String)]) -> anyhow::Result<()> {
    let mut tx = conn.begin().await?;
    for (name, create) in tables {
        let quoted = format!("\"{name}\"");
        let create = create.replacen(&quoted, &format!("data.{quoted}"), 1);
        tx.execute(sqlx::AssertSqlSafe(create)).await?;
        tx.execute(sqlx::AssertSqlSafe(format!("INSERT INTO data.{quoted} SELECT * FROM main.{quoted}"))).await?;
        let indexes: Vec<(String, String)> = sqlx::query(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL",
        )
        .bind(name)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, sqlx::Error>>()?;
        tx.execute(sqlx::AssertSqlSafe(format!("DROP TABLE main.{quoted}"))).await?;
        for (index, sql) in indexes {
            let index = format!("\"{index}\"");
            tx.execute(sqlx::AssertSqlSafe(sql.replacen(&index, &format!("data.{index}"), 1))).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// The file path of a `sqlite://PATH?...` URL.
fn sqlite_path(url: &str) -> String {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    path.split('?').next().unwrap_or(path).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn plugin_tables_of_the_one_file_layout_move_with_their_rows() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("onewindow.db").display());
        // The old layout: a plugin table in the one file, with rows and an index.
        {
            sqlx::any::install_default_drivers();
            let mut old = sqlx::AnyConnection::connect(&url).await.unwrap();
            old.execute(
                "CREATE TABLE IF NOT EXISTS \"p_demo__notes\" (\"id\" INTEGER PRIMARY KEY AUTOINCREMENT, \"body\" TEXT NOT NULL)",
            )
            .await
            .unwrap();
            old.execute("CREATE INDEX IF NOT EXISTS \"i_demo\" ON \"p_demo__notes\" (\"body\")").await.unwrap();
            old.execute("INSERT INTO \"p_demo__notes\" (\"body\") VALUES ('kept'), ('also kept')").await.unwrap();
        }
        let store = Store::connect(&url, 2).await.unwrap();
        assert_eq!(move_plugin_tables_to_data_side(&store, &url).await.unwrap(), 1);
        assert_eq!(move_plugin_tables_to_data_side(&store, &url).await.unwrap(), 0, "once");

        let bodies: Vec<String> = sqlx::query("SELECT body FROM p_demo__notes ORDER BY id")
            .fetch_all(store.data_pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get(0).unwrap())
            .collect();
        assert_eq!(bodies, ["kept", "also kept"]);
        let gone = sqlx::query("SELECT COUNT(*) FROM sqlite_master WHERE name = 'p_demo__notes'")
            .fetch_one(store.pool())
            .await
            .unwrap()
            .try_get::<i64, _>(0)
            .unwrap();
        assert_eq!(gone, 0, "no longer in the platform file");
        let index = sqlx::query("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'i_demo'")
            .fetch_one(store.data_pool())
            .await
            .unwrap()
            .try_get::<i64, _>(0)
            .unwrap();
        assert_eq!(index, 1, "its index moved too");
        // Ids go on after the moved rows.
        let next: i64 = sqlx::query("INSERT INTO p_demo__notes (body) VALUES ('new') RETURNING id")
            .fetch_one(store.data_pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert_eq!(next, 3);
    }
}
