//! The request's one transaction, shared by every capability that writes
//! (data, records, cases, notify): their writes commit together when
//! `handle` returns normally, or not at all.
//!
//! It lives on the data side of the store (see `store`): begun lazily at
//! the first write, so a request that only reads takes no lock; reads join
//! it once it is open, to see its writes.

use std::sync::Arc;

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
    /// Held with the transaction: see `Store::plugin_writers`.
    _writer_slot: Option<OwnedSemaphorePermit>,
    platform: bool,
    /// Inside `atomically`: a savepoint is taken before its first write.
    call: CallState,
}

/// Where the current capability call stands with its savepoint.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CallState {
    Outside,
    NoWriteYet,
    SavepointTaken,
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
        })))
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
        })))
    }

    /// Runs a read: inside the transaction once there is one, else on a
    /// pooled connection.
    pub async fn read(&self, statement: Statement) -> Result<Vec<AnyRow>, sqlx::Error> {
        let mut inner = self.0.lock().await;
        let backend = inner.store.backend();
        match inner.tx.as_mut() {
            Some(tx) => in_transaction(tx, backend, statement, Run::FetchAll).await.map(Outcome::rows),
            None => query(statement).fetch_all(inner.store.data_pool()).await,
        }
    }

    /// Runs a write inside the transaction, beginning it if needed. A
    /// failed statement undoes only itself.
    pub async fn write(&self, statement: Statement, run: Run) -> Result<Outcome, sqlx::Error> {
        let mut inner = self.0.lock().await;
        let backend = inner.store.backend();
        if inner.tx.is_none() && !inner.platform {
            let slot =
                inner.store.plugin_writers().clone().acquire_owned().await.map_err(|_| sqlx::Error::PoolClosed)?;
            inner._writer_slot = Some(slot);
        }
        if inner.tx.is_none() {
            let tx = inner.store.data_pool().begin().await?;
            inner.tx = Some(tx);
        }
        let first_write_of_call = inner.call == CallState::NoWriteYet;
        let tx = inner.tx.as_mut().expect("just begun");
        if first_write_of_call {
            sqlx::query("SAVEPOINT ow_call").execute(&mut **tx).await?;
            inner.call = CallState::SavepointTaken;
        }
        let tx = inner.tx.as_mut().expect("just begun");
        in_transaction(tx, backend, statement, run).await
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

async fn execute(connection: &mut sqlx::AnyConnection, statement: Statement, run: Run) -> Result<Outcome, sqlx::Error> {
    let query = query(statement);
    match run {
        Run::FetchAll => query.fetch_all(connection).await.map(Outcome::Rows),
        Run::Execute => query.execute(connection).await.map(|r| Outcome::Affected(r.rows_affected())),
    }
}
