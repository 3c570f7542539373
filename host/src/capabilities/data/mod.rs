//! The `data` capability: structured access to a plugin's own tables.
//!
//! The grant today is "own tables": a plugin reaches exactly the tables its
//! manifest declares, in its own namespace, and nothing else. Every call is
//! checked against that schema (`sql`), runs as parameterised SQL, and joins
//! the request's transaction (`tx::RequestTx`): begun lazily at the first
//! write, committed by the runtime only when `handle` returns normally.

pub mod sql;
#[cfg(test)]
mod sql_properties;
pub(crate) mod values;

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::Arc;

use wasmtime::component::{HasSelf, Linker};

use crate::capabilities::grant::{self, Grant};
use crate::registry::manifest::{Manifest, PluginId};
use crate::store::plugin_tables;
use crate::store::tx::{Outcome, RequestTx, Run};
use crate::telemetry::metrics::{DataOp, PluginMetrics};
use crate::wit::CapabilityError as DataError;
use crate::wit::onewindow::platform::data::{self, Assignment, Condition, Rows, SelectQuery};

use sql::{SchemaTable, Statement};

/// The tables one plugin may reach, by manifest name: those it declared
/// and was granted.
#[derive(Debug)]
pub struct PluginSchema {
    plugin: PluginId,
    granted: HashMap<String, SchemaTable>,
    declared_only: Vec<String>,
}

impl PluginSchema {
    /// The schema of a manifest's own tables, narrowed to the `data` grant.
    pub fn new(manifest: &Manifest, grants: &[Grant]) -> PluginSchema {
        let (mut granted, mut declared_only) = (HashMap::new(), Vec::new());
        for def in &manifest.tables {
            if grant::allows(grants, "data", Some(&def.name)) {
                let physical = plugin_tables::physical_name(&manifest.id, &def.name);
                granted.insert(def.name.clone(), SchemaTable { physical, def: def.clone() });
            } else {
                declared_only.push(def.name.clone());
            }
        }
        PluginSchema { plugin: manifest.id.clone(), granted, declared_only }
    }

    fn table(&self, name: &str) -> Result<&SchemaTable, DataError> {
        if let Some(table) = self.granted.get(name) {
            return Ok(table);
        }
        if self.declared_only.iter().any(|t| t == name) {
            return Err(DataError::AccessDenied(format!("table `{name}` is not granted to plugin {}", self.plugin)));
        }
        // Anything else (another plugin's table, say) behaves as if it did not exist.
        Err(DataError::NotFound(format!("plugin {} has no table `{name}`", self.plugin)))
    }
}

/// Per-instance state of the data capability: one request's view of the
/// plugin's own tables, writing through the request's transaction.
pub struct DataContext {
    schema: Arc<PluginSchema>,
    tx: RequestTx,
    metrics: Arc<PluginMetrics>,
}

impl DataContext {
    /// A context for one request.
    pub fn new(schema: Arc<PluginSchema>, tx: RequestTx, metrics: Arc<PluginMetrics>) -> DataContext {
        DataContext { schema, tx, metrics }
    }

    async fn fetch_all(&mut self, statement: Statement) -> Result<Vec<sqlx::any::AnyRow>, DataError> {
        self.tx.read(statement).await.map_err(|e| database_error(&self.schema.plugin, e))
    }

    async fn write(&mut self, statement: Statement, run: Run) -> Result<Outcome, DataError> {
        self.tx.write(statement, run).await.map_err(|e| database_error(&self.schema.plugin, e))
    }
}

impl data::Host for DataContext {
    async fn select(&mut self, query: SelectQuery) -> Result<Rows, DataError> {
        let _timed = self.metrics.data_call(DataOp::Select);
        let table = self.schema.table(&query.table)?;
        let select = sql::select(table, &query)?;
        let (columns, mut budget) = (&select.columns, values::Budget::new(sql::MAX_SELECT_BYTES));
        let mut decoded = Vec::new();
        let mut failure = None;
        let read = self.tx.read_each(select.statement, |row| {
            match values::decode_row(row, columns).and_then(|row| budget.spend(row)) {
                Ok(row) => decoded.push(row),
                Err(error) => failure = Some(error),
            }
            if failure.is_some() { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        });
        read.await.map_err(|e| database_error(&self.schema.plugin, e))?;
        if let Some(error) = failure {
            return Err(error);
        }
        Ok(Rows { columns: select.columns.into_iter().map(|(name, _)| name).collect(), rows: decoded })
    }

    async fn insert(&mut self, table: String, values: Vec<Assignment>) -> Result<i64, DataError> {
        let _timed = self.metrics.data_call(DataOp::Insert);
        let statement = sql::insert(self.schema.table(&table)?, &values)?;
        let rows = self.write(statement, Run::FetchAll).await?.rows();
        let row = rows.first().ok_or_else(|| DataError::Unavailable("the insert returned no id".into()))?;
        values::decode_id(row)
    }

    async fn update(
        &mut self,
        table: String,
        set: Vec<Assignment>,
        conditions: Vec<Condition>,
    ) -> Result<u64, DataError> {
        let _timed = self.metrics.data_call(DataOp::Update);
        let statement = sql::update(self.schema.table(&table)?, &set, &conditions)?;
        Ok(self.write(statement, Run::Execute).await?.affected())
    }

    async fn delete(&mut self, table: String, conditions: Vec<Condition>) -> Result<u64, DataError> {
        let _timed = self.metrics.data_call(DataOp::Delete);
        let statement = sql::delete(self.schema.table(&table)?, &conditions)?;
        Ok(self.write(statement, Run::Execute).await?.affected())
    }

    async fn count(&mut self, table: String, conditions: Vec<Condition>) -> Result<u64, DataError> {
        let _timed = self.metrics.data_call(DataOp::Count);
        let statement = sql::count(self.schema.table(&table)?, &conditions)?;
        let rows = self.fetch_all(statement).await?;
        let count = rows.first().map(values::decode_id).transpose()?.unwrap_or(0);
        Ok(count.max(0) as u64)
    }
}

/// Database failures reach the plugin without details: a unique violation
/// is a conflict it can act on; anything else is logged here in full and
/// reported as unavailable.
pub(crate) fn database_error(plugin: &PluginId, error: sqlx::Error) -> DataError {
    if crate::store::is_unique_violation(&error) {
        return DataError::Conflict("a row with the same unique values already exists".into());
    }
    tracing::error!(%plugin, "data capability: database error: {error:#}");
    DataError::Unavailable("the database could not complete the operation".into())
}

/// Links the `data` interface; `context` finds the per-instance context.
pub fn link<T: Send + 'static>(linker: &mut Linker<T>, context: fn(&mut T) -> &mut DataContext) -> anyhow::Result<()> {
    data::add_to_linker::<T, HasSelf<DataContext>>(linker, context).map_err(|e| anyhow::anyhow!("{e:#}"))
}
