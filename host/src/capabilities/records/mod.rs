//! The `records` capability: the shared resident record, through the
//! engine in `crate::records` that enforces the plugin's grant on every call
//! (columns, operations, row scope, consent, sealing, provenance) and
//! collects the access log, which the runtime writes when the call ends.

pub mod grant;

use wasmtime::component::{HasSelf, Linker};

use crate::records::access_log::AccessEntry;
use crate::records::engine::{RecordsError, Session, database};
use crate::wit::onewindow::platform::data::{Assignment, Condition, Rows, SelectQuery};
use crate::wit::onewindow::platform::records::{self as wit_records, FieldProvenance, RecordsError as WitError};

/// Per-instance state of the records capability.
pub struct RecordsContext {
    session: Session,
}

impl RecordsContext {
    pub fn new(session: Session) -> RecordsContext {
        RecordsContext { session }
    }

    /// The reads of personal columns made during the call, to write out.
    pub fn take_reads(&mut self) -> Vec<AccessEntry> {
        std::mem::take(&mut self.session.reads)
    }

    fn granted(&self) -> Result<(), WitError> {
        if self.session.policy.is_empty() {
            return Err(WitError::AccessDenied("`records` is not granted to this plugin".into()));
        }
        Ok(())
    }
}

/// The shared engine's errors, as the WIT says them.
pub fn to_wit(error: RecordsError) -> WitError {
    match error {
        RecordsError::AccessDenied(m) => WitError::AccessDenied(m),
        RecordsError::NotFound(m) => WitError::NotFound(m),
        RecordsError::Invalid(m) => WitError::Invalid(m),
        RecordsError::Conflict(m) => WitError::Conflict(m),
        RecordsError::Unavailable(m) => WitError::Unavailable(m),
        RecordsError::ConsentRequired(m) => WitError::ConsentRequired(m),
    }
}

impl wit_records::Host for RecordsContext {
    async fn select(&mut self, query: SelectQuery) -> Result<Rows, WitError> {
        self.granted()?;
        self.session.select(&query).await.map_err(to_wit)
    }

    async fn insert(&mut self, table: String, values: Vec<Assignment>) -> Result<i64, WitError> {
        self.granted()?;
        let tx = self.session.tx.clone();
        tx.atomically(self.session.insert(&table, &values), database).await.map_err(to_wit)
    }

    async fn update(
        &mut self,
        table: String,
        set: Vec<Assignment>,
        conditions: Vec<Condition>,
    ) -> Result<u64, WitError> {
        self.granted()?;
        let tx = self.session.tx.clone();
        tx.atomically(self.session.update(&table, &set, &conditions), database).await.map_err(to_wit)
    }

    async fn provenance(
        &mut self,
        table: String,
        id: i64,
        columns: Vec<String>,
    ) -> Result<Vec<FieldProvenance>, WitError> {
        self.granted()?;
        let entries = self.session.provenance(&table, id, &columns).await.map_err(to_wit)?;
        Ok(entries
            .into_iter()
            .map(|p| FieldProvenance {
                column: p.column,
                unit: p.unit,
                plugin: p.plugin,
                plugin_version: p.plugin_version,
                actor: p.actor,
                at: p.at,
            })
            .collect())
    }
}

/// Links the `records` interface; `context` finds the per-instance context.
pub fn link<T: Send + 'static>(
    linker: &mut Linker<T>,
    context: fn(&mut T) -> &mut RecordsContext,
) -> anyhow::Result<()> {
    wit_records::add_to_linker::<T, HasSelf<RecordsContext>>(linker, context).map_err(|e| anyhow::anyhow!("{e:#}"))
}
