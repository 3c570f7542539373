//! Creates the tables a plugin declares, in the plugin's own namespace:
//! table `t` of plugin `a-b` is `p_a_b__t`. Names come only from a checked
//! [`Manifest`], so they are safe to splice into DDL.

use crate::registry::manifest::{Manifest, PluginId, TableDef};

use sha2::{Digest, Sha256};
use sqlx::Row;

use super::{Backend, Store};

/// The physical name of a plugin's table.
pub fn physical_name(plugin: &PluginId, table: &str) -> String {
    format!("{}__{table}", plugin.sql_prefix())
}

/// The DDL statements that create `table` of `plugin` if it does not exist.
pub fn create_statements(backend: Backend, plugin: &PluginId, table: &TableDef) -> Vec<String> {
    table_statements(backend, &physical_name(plugin, &table.name), table)
}

/// The DDL statements that create table `name` as `table` defines it, if
/// it does not exist (plugin tables and the shared record tables alike).
pub fn table_statements(backend: Backend, name: &str, table: &TableDef) -> Vec<String> {
    let mut columns = vec![backend.id_column().to_owned()];
    for column in &table.columns {
        let not_null = if column.required { " NOT NULL" } else { "" };
        columns.push(format!("\"{}\" {}{not_null}", column.name, backend.column_type(column.ty)));
    }
    let mut statements = vec![format!("CREATE TABLE IF NOT EXISTS \"{name}\" ({})", columns.join(", "))];
    statements.extend(index_statements(name, table).into_iter().map(|(_, sql)| sql));
    statements
}

/// Each index of `table` as (its name, the DDL that creates it if missing).
/// Named after what it indexes, so a later version re-declaring it finds it,
/// and one declaring another index gets a new one; hashed, so it stays
/// within PostgreSQL's 63-byte identifiers.
fn index_statements(name: &str, table: &TableDef) -> Vec<(String, String)> {
    table
        .indexes
        .iter()
        .map(|index| {
            let unique = if index.unique { "UNIQUE " } else { "" };
            let columns = index.columns.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
            let key = hex::encode(Sha256::digest(format!("{name} {unique}{columns}")));
            let index_name = format!("i_{}", &key[..24]);
            let sql = format!("CREATE {unique}INDEX IF NOT EXISTS \"{index_name}\" ON \"{name}\" ({columns})");
            (index_name, sql)
        })
        .collect()
}

/// `ALTER TABLE ... ADD COLUMN` for the declared columns a table lacks.
/// Only nullable columns are ever added (uploads that would add required
/// columns to an existing table are refused), so existing rows stay valid.
pub fn add_column_statements(
    backend: Backend,
    plugin: &PluginId,
    table: &TableDef,
    existing: &[String],
) -> Vec<String> {
    added_column_statements(backend, &physical_name(plugin, &table.name), table, existing)
}

/// `ALTER TABLE name ADD COLUMN` for the columns of `table` not in `existing`.
pub fn added_column_statements(backend: Backend, name: &str, table: &TableDef, existing: &[String]) -> Vec<String> {
    table
        .columns
        .iter()
        .filter(|c| !existing.contains(&c.name))
        .map(|c| format!("ALTER TABLE \"{name}\" ADD COLUMN \"{}\" {}", c.name, backend.column_type(c.ty)))
        .collect()
}

/// Creates every table of `manifest` (those that do not exist yet, and
/// the columns a later version added) on the data side, in one transaction
/// of its own: both backends have transactional DDL, so a failure leaves
/// nothing half made. It runs before the approval's own transaction on the
/// platform side; an approval that then fails leaves empty tables, which
/// the next approval of the plugin reuses.
pub async fn create_all(store: &Store, manifest: &Manifest) -> Result<(), sqlx::Error> {
    let tables: Vec<(String, &TableDef)> =
        manifest.tables.iter().map(|t| (physical_name(&manifest.id, &t.name), t)).collect();
    ensure_tables(store, &tables).await
}

/// Creates each `(physical name, definition)` table that does not exist,
/// and adds the columns an existing one lacks. When nothing is missing (a
/// resume, a rollback, a restart) it only reads, so it never waits for a
/// plugin's open transaction on the data side.
pub async fn ensure_tables(store: &Store, tables: &[(String, &TableDef)]) -> Result<(), sqlx::Error> {
    if missing_statements(store, tables, None).await?.is_empty() {
        return Ok(());
    }
    let mut tx = store.data_pool().begin().await?;
    // A write first: on SQLite that takes the write lock at once, so the
    // column reads below cannot be invalidated by another writer.
    sqlx::query("UPDATE record_provenance SET at = at WHERE 1 = 0").execute(&mut *tx).await?;
    for statement in missing_statements(store, tables, Some(&mut tx)).await? {
        sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut *tx).await?;
    }
    tx.commit().await
}

/// The DDL that would bring `tables` up to their definitions (read in `tx`
/// if given, else on a pooled connection).
async fn missing_statements(
    store: &Store,
    tables: &[(String, &TableDef)],
    mut tx: Option<&mut sqlx::Transaction<'static, sqlx::Any>>,
) -> Result<Vec<String>, sqlx::Error> {
    let backend = store.backend();
    let mut statements = Vec::new();
    for (physical, table) in tables {
        let query = sqlx::query(backend.column_names_sql()).bind(physical);
        let rows = match tx.as_deref_mut() {
            Some(tx) => query.fetch_all(&mut **tx).await?,
            None => query.fetch_all(store.data_pool()).await?,
        };
        let existing = rows.iter().map(|row| row.try_get::<String, _>(0)).collect::<Result<Vec<_>, _>>()?;
        if existing.is_empty() {
            statements.extend(table_statements(backend, physical, table));
            continue;
        }
        statements.extend(added_column_statements(backend, physical, table, &existing));
        for (index, sql) in index_statements(physical, table) {
            let query = sqlx::query(backend.index_exists_sql()).bind(&index);
            let found = match tx.as_deref_mut() {
                Some(tx) => query.fetch_optional(&mut **tx).await?,
                None => query.fetch_optional(store.data_pool()).await?,
            };
            if found.is_none() {
                statements.push(sql);
            }
        }
    }
    Ok(statements)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::manifest::{ColumnDef, ColumnType, IndexDef};

    #[test]
    fn creates_namespaced_typed_tables() {
        let plugin = PluginId::parse("guest-book").unwrap();
        let table = TableDef {
            name: "entries".into(),
            columns: vec![
                ColumnDef { name: "author".into(), ty: ColumnType::Text, required: true },
                ColumnDef { name: "photo".into(), ty: ColumnType::Bytes, required: false },
            ],
            indexes: vec![IndexDef { columns: vec!["author".into()], unique: true }],
        };
        let pg = create_statements(Backend::Postgres, &plugin, &table);
        assert_eq!(
            pg[0],
            "CREATE TABLE IF NOT EXISTS \"p_guest_book__entries\" (\"id\" BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \"author\" TEXT NOT NULL, \"photo\" BYTEA)"
        );
        assert!(pg[1].starts_with("CREATE UNIQUE INDEX IF NOT EXISTS \"i_"), "{}", pg[1]);
        assert!(pg[1].ends_with("ON \"p_guest_book__entries\" (\"author\")"), "{}", pg[1]);
        let added = add_column_statements(Backend::Sqlite, &plugin, &table, &["id".into(), "author".into()]);
        assert_eq!(added, ["ALTER TABLE \"p_guest_book__entries\" ADD COLUMN \"photo\" BLOB"]);
        let sqlite = create_statements(Backend::Sqlite, &plugin, &table);
        assert!(sqlite[0].contains("\"id\" INTEGER PRIMARY KEY AUTOINCREMENT") && sqlite[0].contains("\"photo\" BLOB"));
    }
}
