//! The request's one transaction, shared by every capability that writes
//! (data, records, cases, notify): their writes commit together when
//! `handle` returns normally, or not at all.
//!
//! It lives on the data side of the store (see `store`): begun lazily at
//! the first write, so a request that only reads takes no lock; reads join
//! it once it is open, to see its writes.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Instant;

use futures_util::TryStreamExt;

use sqlx::any::AnyRow;
use sqlx::{Acquire, Any, Transaction};
use tokio::sync::{Mutex, OwnedSemaphorePermit};

use super::statement::query;
use super::{Backend, Store};

pub use super::statement::{Param, Statement};

/// How to run a statement.
#[derive(Clone, Copy)]
pub enum Run {
    FetchAll,
    Execute,
}

/// What running it gave.
pub enum Outcome {
    Rows(Vec<AnyRow>),
    Affected(u64),
}

impl Outcome {
    /// The rows (none for an execute).
    pub fn rows(self) -> Vec<AnyRow> {
        match self {
            Outcome::Rows(rows) => rows,
            Outcome::Affected(_) => Vec::new(),
        }
    }

    /// Rows affected (or returned).
    pub fn affected(self) -> u64 {
        match self {
            Outcome::Rows(rows) => rows.len() as u64,
            Outcome::Affected(n) => n,
        }
    }
}

struct Inner {
    store: Store,
    tx: Option<Transaction<'static, Any>>,
    /// Held with the transaction: see `Store::plugin_connections`.
    _writer_slot: Option<OwnedSemaphorePermit>,
    platform: bool,
    /// Inside `atomically`: a savepoint is taken before its first write.
    call: CallState,
    /// The plugin's deadline: on PostgreSQL no statement of its
    /// transaction may run past it.
    deadline: Option<Instant>,
    /// SQLite gave up the transaction (see [`aborts_sqlite_transaction`]):
    /// nothing more of this request may run or commit.
    aborted: bool,
    /// No write has run in the open transaction yet: on PostgreSQL its
    /// first statement needs no savepoint, since rolling the whole
    /// transaction back undoes exactly that statement (see [`RequestTx::write`]).
    fresh: bool,
}

/// Where the current capability call stands with its savepoint.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CallState {
    Outside,
    NoWriteYet,
    SavepointTaken,
}

impl Inner {
    /// Remembers a failure that ended SQLite's transaction, and passes the
    /// result on.
    fn note<T>(&mut self, result: Result<T, sqlx::Error>) -> Result<T, sqlx::Error> {
        if let Err(error) = &result
            && self.store.backend() == Backend::Sqlite
            && aborts_sqlite_transaction(error)
        {
            tracing::warn!("the database ended a request's transaction: {error}");
            self.aborted = true;
        }
        result
    }

    fn refuse_if_aborted(&self) -> Result<(), sqlx::Error> {
        if self.aborted { Err(aborted()) } else { Ok(()) }
    }

    /// A plugin's share of the data pool's connections, held while it uses
    /// one (the platform's own requests take none).
    fn plugin_slot(&self) -> impl Future<Output = Result<Option<OwnedSemaphorePermit>, sqlx::Error>> + use<> {
        let slots = (!self.platform).then(|| self.store.plugin_connections().clone());
        async move {
            match slots {
                None => Ok(None),
                Some(slots) => {
                    let _waiting = crate::telemetry::metrics::waiting_for_db();
                    slots.acquire_owned().await.map(Some).map_err(|_| sqlx::Error::PoolClosed)
                }
            }
        }
    }
}

/// One request's transaction; cheap to clone (every capability context of
/// the instance holds one).
#[derive(Clone)]
pub struct RequestTx(Arc<Mutex<Inner>>);

impl RequestTx {
    /// A transaction for one plugin request; no connection is taken until
    /// needed, and a writer slot is held while it is open.
    pub fn new(store: Store) -> RequestTx {
        RequestTx(Arc::new(Mutex::new(Inner {
            store,
            tx: None,
            _writer_slot: None,
            platform: false,
            call: CallState::Outside,
            deadline: None,
            aborted: false,
            fresh: false,
        })))
    }

    /// A plugin request's transaction whose statements end by `deadline`
    /// (PostgreSQL's `statement_timeout`; SQLite statements are short and
    /// the call itself is stopped at its deadline).
    pub fn with_deadline(store: Store, deadline: Instant) -> RequestTx {
        let tx = RequestTx::new(store);
        tx.0.try_lock().expect("a new transaction is not shared yet").deadline = Some(deadline);
        tx
    }

    /// A transaction for the staff and resident APIs on the data side: like
    /// a plugin's, but it takes no plugin writer slot.
    pub fn for_platform(store: Store) -> RequestTx {
        RequestTx(Arc::new(Mutex::new(Inner {
            store,
            tx: None,
            _writer_slot: None,
            platform: true,
            call: CallState::Outside,
            deadline: None,
            aborted: false,
            fresh: false,
        })))
    }

    /// Runs a read: inside the transaction once there is one, else on a
    /// pooled connection.
    pub async fn read(&self, statement: Statement) -> Result<Vec<AnyRow>, sqlx::Error> {
        let mut inner = self.0.lock().await;
        let backend = inner.store.backend();
        inner.refuse_if_aborted()?;
        match inner.tx.as_mut() {
            Some(tx) => {
                let result = in_transaction(tx, backend, statement, Run::FetchAll).await;
                inner.note(result).map(Outcome::rows)
            }
            None => {
                let _slot = inner.plugin_slot().await?;
                query(statement).fetch_all(inner.store.data_pool()).await
            }
        }
    }

    /// Runs a read like [`RequestTx::read`], handing over the rows one at a
    /// time as they arrive; `visit` may stop it early (a result that grows
    /// past its budget is never held whole).
    pub async fn read_each(
        &self,
        statement: Statement,
        mut visit: impl FnMut(&AnyRow) -> ControlFlow<()> + Send,
    ) -> Result<(), sqlx::Error> {
        let mut inner = self.0.lock().await;
        inner.refuse_if_aborted()?;
        let backend = inner.store.backend();
        let Some(tx) = inner.tx.as_mut() else {
            let _slot = inner.plugin_slot().await?;
            let mut connection = inner.store.data_pool().acquire().await?;
            return stream_rows(&mut connection, statement, &mut visit).await;
        };
        if !backend.failed_statement_aborts_transaction() {
            let result = stream_rows(tx, statement, &mut visit).await;
            return inner.note(result);
        }
        let mut savepoint = tx.begin().await?;
        match stream_rows(&mut savepoint, statement, &mut visit).await {
            Ok(()) => savepoint.commit().await,
            Err(error) => {
                savepoint.rollback().await?;
                Err(error)
            }
        }
    }

    /// Runs a write inside the transaction, beginning it if needed. A
    /// failed statement undoes only itself.
    pub async fn write(&self, statement: Statement, run: Run) -> Result<Outcome, sqlx::Error> {
        let mut inner = self.0.lock().await;
        inner.refuse_if_aborted()?;
        let backend = inner.store.backend();
        if inner.tx.is_none() {
            let slot = inner.plugin_slot().await?;
            inner._writer_slot = slot;
            let tx = match (backend, inner.deadline) {
                (Backend::Postgres, Some(deadline)) => {
                    let left = deadline.saturating_duration_since(Instant::now()).as_millis().max(1);
                    // One round trip for both (a simple query may hold several
                    // statements); a number this code formats itself (SET takes
                    // no parameters).
                    let begin = format!("BEGIN; SET LOCAL statement_timeout = {left}");
                    inner.store.data_pool().begin_with(sqlx::AssertSqlSafe(begin)).await?
                }
                _ => inner.store.data_pool().begin().await?,
            };
            inner.tx = Some(tx);
            inner.fresh = true;
        }
        if inner.call == CallState::NoWriteYet {
            let tx = inner.tx.as_mut().expect("just begun");
            sqlx::query("SAVEPOINT ow_call").execute(&mut **tx).await?;
            inner.call = CallState::SavepointTaken;
            inner.fresh = false;
        }
        // The first write of a PostgreSQL transaction runs without a
        // savepoint (two round trips saved on every single-write request):
        // if it fails, the transaction, holding nothing else, is rolled back
        // and the next write begins a new one.
        let alone = std::mem::replace(&mut inner.fresh, false) && backend.failed_statement_aborts_transaction();
        let tx = inner.tx.as_mut().expect("just begun");
        let result =
            if alone { execute(tx, statement, run).await } else { in_transaction(tx, backend, statement, run).await };
        if alone && result.is_err() {
            if let Some(tx) = inner.tx.take() {
                // Should the rollback itself fail, dropping the transaction
                // rolls it back when its connection is next used.
                let _ = tx.rollback().await;
            }
            inner._writer_slot = None;
        }
        inner.note(result)
    }

    /// Runs one capability call made of several statements as a unit: if
    /// it fails, every write it made is undone (a case closed without its
    /// history entry would be worse than no change), and the request's
    /// transaction goes on.
    pub async fn atomically<T, E>(
        &self,
        call: impl std::future::Future<Output = Result<T, E>>,
        database_error: impl Fn(sqlx::Error) -> E,
    ) -> Result<T, E> {
        self.0.lock().await.call = CallState::NoWriteYet;
        let result = call.await;
        let mut inner = self.0.lock().await;
        let state = std::mem::replace(&mut inner.call, CallState::Outside);
        if state != CallState::SavepointTaken {
            return result;
        }
        let tx = inner.tx.as_mut().expect("a savepoint is taken inside the transaction");
        let end = if result.is_ok() { "RELEASE SAVEPOINT ow_call" } else { "ROLLBACK TO SAVEPOINT ow_call" };
        sqlx::query(end).execute(&mut **tx).await.map_err(&database_error)?;
        if result.is_err() {
            sqlx::query("RELEASE SAVEPOINT ow_call").execute(&mut **tx).await.map_err(&database_error)?;
        }
        result
    }

    /// Commits the request's writes, if it made any.
    pub async fn commit(&self) -> Result<(), sqlx::Error> {
        let mut inner = self.0.lock().await;
        let result = match inner.tx.take() {
            // Dropping it rolls back whatever SQLite still holds of it.
            Some(_) if inner.aborted => Err(aborted()),
            Some(tx) => tx.commit().await,
            None => Ok(()),
        };
        inner._writer_slot = None;
        result
    }

    /// The database backend (for SQL that differs).
    pub async fn backend(&self) -> Backend {
        self.0.lock().await.store.backend()
    }
}

/// After a full disk, an I/O error, running out of memory, a busy
/// database or an interrupt, SQLite may roll the whole transaction back on
/// its own and go on in autocommit: the request's later statements would
/// then each commit alone, and its earlier ones would be gone. So after any
/// of those the transaction is treated as lost.
fn aborts_sqlite_transaction(error: &sqlx::Error) -> bool {
    const BUSY: i64 = 5;
    const NOMEM: i64 = 7;
    const INTERRUPT: i64 = 9;
    const IOERR: i64 = 10;
    const FULL: i64 = 13;
    let Some(code) = error.as_database_error().and_then(|e| e.code()).and_then(|c| c.parse::<i64>().ok()) else {
        return false;
    };
    // Extended codes keep the primary code in their low byte.
    matches!(code & 0xff, BUSY | NOMEM | INTERRUPT | IOERR | FULL)
}

fn aborted() -> sqlx::Error {
    sqlx::Error::Protocol("the database ended this request's transaction; none of its changes were kept".into())
}

/// Runs one statement of the request's transaction. A failed statement (a
/// unique violation the plugin handles, say) must undo only itself: SQLite
/// does that by itself, PostgreSQL would abort the whole transaction and turn
/// the final COMMIT into a silent ROLLBACK of every earlier write, so there
/// each statement runs in a savepoint.
async fn in_transaction(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    statement: Statement,
    run: Run,
) -> Result<Outcome, sqlx::Error> {
    if !backend.failed_statement_aborts_transaction() {
        return execute(tx, statement, run).await;
    }
    let mut savepoint = tx.begin().await?;
    let result = execute(&mut savepoint, statement, run).await;
    match result {
        Ok(outcome) => {
            savepoint.commit().await?;
            Ok(outcome)
        }
        Err(error) => {
            savepoint.rollback().await?;
            Err(error)
        }
    }
}

async fn stream_rows(
    connection: &mut sqlx::AnyConnection,
    statement: Statement,
    visit: &mut (impl FnMut(&AnyRow) -> ControlFlow<()> + Send),
) -> Result<(), sqlx::Error> {
    let mut rows = query(statement).fetch(connection);
    while let Some(row) = rows.try_next().await? {
        if visit(&row).is_break() {
            break;
        }
    }
    Ok(())
}

async fn execute(connection: &mut sqlx::AnyConnection, statement: Statement, run: Run) -> Result<Outcome, sqlx::Error> {
    let query = query(statement);
    match run {
        Run::FetchAll => query.fetch_all(connection).await.map(Outcome::Rows),
        Run::Execute => query.execute(connection).await.map(|r| Outcome::Affected(r.rows_affected())),
    }
}
