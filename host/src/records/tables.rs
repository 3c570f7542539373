//! The shared record tables as the database holds them: `r_<name>` with
//! `id`, `resident`, `area`, the declared columns, and for each sensitive
//! column a `<column>__index` blind index (exact-match search without
//! decrypting). Created, and grown, at every start from the schema.

use crate::capabilities::data::sql::SchemaTable;
use crate::registry::manifest::{ColumnDef, ColumnType, IndexDef, TableDef};
use crate::store::{Store, plugin_tables};

use super::schema::{self, AREA_COLUMN, RESIDENT_COLUMN, RecordTable, index_column};

/// The physical definition of a shared table.
pub fn physical(table: &RecordTable) -> SchemaTable {
    let text = |name: &str| ColumnDef { name: name.to_owned(), ty: ColumnType::Text, required: false };
    let mut columns = vec![text(RESIDENT_COLUMN), text(AREA_COLUMN)];
    let mut indexes = vec![
        IndexDef { columns: vec![RESIDENT_COLUMN.into()], unique: table.one_per_resident },
        IndexDef { columns: vec![AREA_COLUMN.into()], unique: false },
    ];
    for column in &table.columns {
        columns.push(ColumnDef { name: column.name.clone(), ty: column.ty, required: false });
        if column.sensitive {
            columns.push(text(&index_column(&column.name)));
            indexes.push(IndexDef { columns: vec![index_column(&column.name)], unique: false });
        }
    }
    SchemaTable { physical: table.physical(), def: TableDef { name: table.name.clone(), columns, indexes } }
}

/// Creates the shared tables that do not exist yet and adds new columns.
pub async fn ensure(store: &Store) -> Result<(), sqlx::Error> {
    let tables: Vec<SchemaTable> = schema::schema().tables.iter().map(physical).collect();
    let pairs: Vec<(String, &TableDef)> = tables.iter().map(|t| (t.physical.clone(), &t.def)).collect();
    plugin_tables::ensure_tables(store, &pairs).await
}
