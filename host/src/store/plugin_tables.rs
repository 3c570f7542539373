//! Creates the tables a plugin declares, in the plugin's own namespace:
//! table `t` of plugin `a-b` is `p_a_b__t`. Names come only from a checked
//! [`Manifest`], so they are safe to splice into DDL.

use crate::registry::manifest::{Manifest, PluginId, TableDef};

use sha2::{Digest, Sha256};
use sqlx::{Any, Row, Transaction};

use super::Backend;

/// The physical name of a plugin's table.
pub fn physical_name(plugin: &PluginId, table: &str) -> String {
    format!("{}__{table}", plugin.sql_prefix())
}

/// The DDL statements that create `table` of `plugin` if it does not exist.
pub fn create_statements(backend: Backend, plugin: &PluginId, table: &TableDef) -> Vec<String> {
    let name = physical_name(plugin, &table.name);
    let mut columns = vec![backend.id_column().to_owned()];
    for column in &table.columns {
        let not_null = if column.required { " NOT NULL" } else { "" };
        columns.push(format!("\"{}\" {}{not_null}", column.name, backend.column_type(column.ty)));
    }
    let mut statements = vec![format!("CREATE TABLE IF NOT EXISTS \"{name}\" ({})", columns.join(", "))];
    for index in &table.indexes {
        let unique = if index.unique { "UNIQUE " } else { "" };
        let columns = index.columns.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
        // Named after what it indexes, so a later version re-declaring it
        // finds it, and one declaring another index gets a new one.
        // Hashed, so it stays within PostgreSQL's 63-byte identifiers.
        let key = hex::encode(Sha256::digest(format!("{name} {unique}{columns}")));
        statements.push(format!("CREATE {unique}INDEX IF NOT EXISTS \"i_{}\" ON \"{name}\" ({columns})", &key[..24]));
    }
    statements
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
    let name = physical_name(plugin, &table.name);
    table
        .columns
        .iter()
        .filter(|c| !existing.contains(&c.name))
        .map(|c| format!("ALTER TABLE \"{name}\" ADD COLUMN \"{}\" {}", c.name, backend.column_type(c.ty)))
        .collect()
}

/// Creates every table of `manifest` (those that do not exist yet) inside
/// `tx`: both backends have transactional DDL, so a failed approval leaves
/// no tables behind.
pub async fn create_all(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    manifest: &Manifest,
) -> Result<(), sqlx::Error> {
    for table in &manifest.tables {
        let physical = physical_name(&manifest.id, &table.name);
        let rows = sqlx::query(backend.column_names_sql()).bind(&physical).fetch_all(&mut **tx).await?;
        let existing = rows.iter().map(|row| row.try_get::<String, _>(0)).collect::<Result<Vec<_>, _>>()?;
        let mut statements = add_column_statements(backend, &manifest.id, table, &existing);
        if existing.is_empty() {
            statements.clear(); // A new table gets every column from CREATE TABLE.
        }
        statements.extend(create_statements(backend, &manifest.id, table));
        for statement in statements {
            sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut **tx).await?;
        }
    }
    Ok(())
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
