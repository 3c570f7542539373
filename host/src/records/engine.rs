//! Enforces a [`RecordPolicy`] on every read and write of the shared
//! record, for plugins and for the staff console alike:
//!
//! - a table, operation or column outside the policy is `AccessDenied`
//!   naming it (conditions and sort keys count as reads: a filter on a
//!   column is a way to learn its values);
//! - the row scope is added to every statement, so rows outside it simply
//!   do not exist (absent from results, `NotFound` on update);
//! - sensitive columns are sealed on write and opened on read; they are
//!   searched by their blind index, and only by exact match;
//! - every read of personal columns becomes an [`AccessEntry`], and every
//!   write records who wrote each field (provenance);
//! - a partner unit's plugin reads personal columns only of residents who
//!   consented to its service.

use std::collections::BTreeSet;
use std::sync::Arc;

use sqlx::Row;

use super::access_log::{AccessEntry, Via};
use super::policy::{RecordPolicy, TablePolicy};
use super::schema::{self, AREA_COLUMN, RESIDENT_COLUMN, RecordTable, index_column};
use super::sealing::{Keyring, mask};
use super::tables;
use crate::capabilities::data::sql;
use crate::capabilities::data::values;
use crate::registry::linkage::{RecordOp, RowScope};
use crate::registry::manifest::ColumnType;
use crate::store::accounts::Role;
use crate::store::statement::{Param, Statement, query};
use crate::store::tx::{RequestTx, Run};
use crate::store::{Store, areas, timestamp};
use crate::wit::onewindow::platform::data::{Assignment, Condition, Predicate, Rows, SelectQuery, Value};

/// Why a records call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RecordsError {
    #[error("{0}")]
    AccessDenied(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    ConsentRequired(String),
}

impl From<crate::wit::CapabilityError> for RecordsError {
    fn from(error: crate::wit::CapabilityError) -> Self {
        use crate::wit::CapabilityError as E;
        match error {
            E::AccessDenied(m) => RecordsError::AccessDenied(m),
            E::NotFound(m) => RecordsError::NotFound(m),
            E::Invalid(m) => RecordsError::Invalid(m),
            E::Conflict(m) => RecordsError::Conflict(m),
            E::QuotaExceeded(m) | E::Unavailable(m) => RecordsError::Unavailable(m),
        }
    }
}

/// A database failure as the engine reports it.
pub fn database(error: sqlx::Error) -> RecordsError {
    if crate::store::is_unique_violation(&error) {
        return RecordsError::Conflict("a row with the same unique values already exists (one per resident?)".into());
    }
    tracing::error!("records: database error: {error:#}");
    RecordsError::Unavailable("the database could not complete the operation".into())
}

/// Who is acting.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The account id; `None` for an anonymous call.
    pub subject: Option<String>,
    pub role: Option<Role>,
    /// The staff member's unit.
    pub unit: Option<String>,
}

/// One request's session with the shared record.
pub struct Session {
    pub store: Store,
    pub tx: RequestTx,
    pub keyring: Arc<Keyring>,
    pub policy: Arc<RecordPolicy>,
    pub actor: Actor,
    pub via: Via,
    pub request_id: String,
    /// The staff console: granted sensitive columns come back masked
    /// unless they are in `reveal`; plugins get granted ones in clear.
    /// Ungranted columns are refused to both.
    pub mask_sensitive: bool,
    /// The sensitive columns the console asked to see in full.
    pub reveal: Vec<String>,
    /// Reads of personal columns made so far; the caller writes them out.
    pub reads: Vec<AccessEntry>,
}

/// Who last wrote one field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Provenance {
    pub column: String,
    pub unit: Option<String>,
    pub plugin: Option<String>,
    pub plugin_version: Option<String>,
    pub actor: String,
    pub at: String,
}

/// The most rows one update may touch.
const MAX_UPDATE_ROWS: usize = 1000;

impl Session {
    fn table(&self, name: &str, op: RecordOp) -> Result<(&'static RecordTable, &TablePolicy), RecordsError> {
        let Some(table) = schema::schema().table(name) else {
            return Err(RecordsError::NotFound(format!("there is no shared table `{name}`")));
        };
        let policy = self.policy.table(name).filter(|p| p.allows_op(op)).ok_or_else(|| {
            RecordsError::AccessDenied(format!("`{}` on shared table `{name}` is not granted", op.as_str()))
        })?;
        Ok((table, policy))
    }

    /// Checks that `column` may be read (or, for conditions, tested).
    fn readable(&self, table: &RecordTable, policy: &TablePolicy, column: &str) -> Result<Readable, RecordsError> {
        if matches!(column, "id" | RESIDENT_COLUMN | AREA_COLUMN) {
            return Ok(Readable::Clear);
        }
        let Some(def) = table.column(column) else {
            return Err(RecordsError::Invalid(format!("shared table `{}` has no column `{column}`", table.name)));
        };
        if policy.allows(RecordOp::Read, column) {
            // The console lists a granted sensitive column masked until asked.
            let masked = def.sensitive && self.mask_sensitive && !self.reveal.iter().any(|r| r == column);
            return Ok(if masked { Readable::Masked } else { Readable::Clear });
        }
        Err(RecordsError::AccessDenied(format!("column `{column}` of `{}` is not granted for read", table.name)))
    }

    /// The conditions that keep a statement within the row scope; `None`
    /// when no row can be in scope for this actor.
    async fn scope_conditions(&self, scope: RowScope) -> Result<Option<Vec<Condition>>, RecordsError> {
        let text = |s: &str| Value::Text(s.to_owned());
        match scope {
            RowScope::All => Ok(Some(Vec::new())),
            RowScope::Caller => Ok(match (&self.actor.subject, self.actor.role) {
                (Some(subject), Some(Role::Resident)) => {
                    Some(vec![Condition { column: RESIDENT_COLUMN.into(), predicate: Predicate::Eq(text(subject)) }])
                }
                _ => None,
            }),
            RowScope::Unit => {
                let Some(unit) = &self.actor.unit else { return Ok(None) };
                let served = areas::served_by(&self.store, unit).await.map_err(database)?;
                Ok(match served {
                    areas::Served::All => Some(Vec::new()),
                    areas::Served::Some(list) if list.is_empty() => None,
                    areas::Served::Some(list) => Some(vec![Condition {
                        column: AREA_COLUMN.into(),
                        predicate: Predicate::OneOf(list.iter().map(|a| text(a)).collect()),
                    }]),
                })
            }
        }
    }

    /// Rewrites conditions on sensitive columns to their blind index, and
    /// refuses what cannot be answered without decrypting every row.
    fn physical_conditions(
        &self,
        table: &RecordTable,
        policy: &TablePolicy,
        conditions: &[Condition],
        also: RecordOp,
    ) -> Result<Vec<Condition>, RecordsError> {
        let mut out = Vec::with_capacity(conditions.len());
        for condition in conditions {
            let column = condition.column.as_str();
            // A sensitive column the console shows masked is not granted:
            // an exact match on it would tell whose value it is.
            let readable = match self.readable(table, policy, column) {
                Ok(Readable::Clear) => true,
                Ok(Readable::Masked) => policy.allows(RecordOp::Read, column),
                Err(_) => false,
            };
            if !readable && !policy.allows(also, column) {
                return Err(RecordsError::AccessDenied(format!(
                    "column `{column}` of `{}` is not granted, so it cannot be filtered on",
                    table.name
                )));
            }
            let sensitive = table.column(column).is_some_and(|c| c.sensitive);
            if !sensitive {
                out.push(condition.clone());
                continue;
            }
            let aad = format!("{}.{column}", table.name);
            let predicate = match &condition.predicate {
                Predicate::Eq(Value::Text(v)) => Predicate::Eq(Value::Text(self.keyring.blind_index(&aad, v))),
                Predicate::IsNull | Predicate::IsNotNull => {
                    out.push(condition.clone());
                    continue;
                }
                _ => {
                    return Err(RecordsError::Invalid(format!(
                        "`{column}` is sensitive: it can only be matched exactly (eq with text) or tested for null"
                    )));
                }
            };
            out.push(Condition { column: index_column(column), predicate });
        }
        Ok(out)
    }

    /// Reads rows of a shared table.
    pub async fn select(&mut self, query: &SelectQuery) -> Result<Rows, RecordsError> {
        let (table, policy) = self.table(&query.table, RecordOp::Read)?;
        let policy = policy.clone();
        let names: Vec<String> = if query.columns.is_empty() {
            let mut all = vec!["id".to_owned(), RESIDENT_COLUMN.to_owned(), AREA_COLUMN.to_owned()];
            all.extend(
                table.columns.iter().filter(|c| self.readable(table, &policy, &c.name).is_ok()).map(|c| c.name.clone()),
            );
            all
        } else {
            query.columns.clone()
        };
        let mut how = Vec::with_capacity(names.len());
        for name in &names {
            how.push(self.readable(table, &policy, name)?);
        }
        for order in &query.order_by {
            self.readable(table, &policy, &order.column)?;
            if table.column(&order.column).is_some_and(|c| c.sensitive) {
                return Err(RecordsError::Invalid(format!("`{}` is sensitive and cannot be sorted by", order.column)));
            }
        }
        let Some(mut conditions) = self.scope_conditions(policy.scope).await? else {
            return Ok(Rows { columns: names, rows: Vec::new() });
        };
        conditions.extend(self.physical_conditions(table, &policy, &query.conditions, RecordOp::Read)?);
        // `id` and `resident` are fetched too (after the asked columns, unless
        // asked for), to log which row of whose data was read.
        let mut fetched = names.clone();
        let mut at = |column: &str| match fetched.iter().position(|n| n == column) {
            Some(i) => i,
            None => {
                fetched.push(column.to_owned());
                fetched.len() - 1
            }
        };
        let (id_at, owner_at) = (at("id"), at(RESIDENT_COLUMN));
        let physical = tables::physical(table);
        let physical_query = SelectQuery {
            table: query.table.clone(),
            columns: fetched,
            conditions,
            order_by: query.order_by.clone(),
            limit: query.limit,
            offset: query.offset,
        };
        let select = sql::select(&physical, &physical_query)?;
        let raw = self.tx.read(select.statement).await.map_err(database)?;
        let mut rows = Vec::with_capacity(raw.len());
        let mut owners = Vec::with_capacity(raw.len());
        for row in &raw {
            let mut values = values::decode_row(row, &select.columns)?;
            let owner = match values.get(owner_at) {
                Some(Value::Text(owner)) => Some(owner.clone()),
                _ => None,
            };
            let row_id = match values.get(id_at) {
                Some(Value::Integer(id)) => *id,
                _ => 0,
            };
            values.truncate(names.len());
            for ((name, value), how) in names.iter().zip(values.iter_mut()).zip(&how) {
                self.reveal(table, name, value, *how)?;
            }
            rows.push(values);
            owners.push((row_id, owner));
        }
        let personal = touched_personal(table, &names, &how, query);
        if !personal.is_empty() {
            let (kept_rows, kept_owners) = self.consented(policy.scope, rows, owners).await?;
            rows = kept_rows;
            self.log_reads(table, &kept_owners, &personal, &policy);
        }
        Ok(Rows { columns: names, rows })
    }

    /// Opens (or masks) a sensitive value in place.
    fn reveal(&self, table: &RecordTable, name: &str, value: &mut Value, how: Readable) -> Result<(), RecordsError> {
        if !table.column(name).is_some_and(|c| c.sensitive) {
            return Ok(());
        }
        if let Value::Text(sealed) = value {
            let clear = self.keyring.open(&format!("{}.{name}", table.name), sealed).map_err(|e| {
                tracing::error!(table = table.name, column = name, "cannot open a sealed value: {e}");
                RecordsError::Unavailable(format!("the stored value of `{name}` could not be read"))
            })?;
            *value = Value::Text(if how == Readable::Masked { mask(&clear) } else { clear });
        }
        Ok(())
    }

    /// A partner unit's plugin sees personal columns only of residents who
    /// consented to its service: under a `caller` scope an unconsented read
    /// is `ConsentRequired` (the plugin asks the resident); under wider
    /// scopes the other residents' rows are left out.
    async fn consented(
        &self,
        scope: RowScope,
        rows: Vec<Vec<Value>>,
        owners: Vec<(i64, Option<String>)>,
    ) -> Result<(Vec<Vec<Value>>, Vec<(i64, Option<String>)>), RecordsError> {
        let Via::Plugin { id, partner: true, .. } = &self.via else { return Ok((rows, owners)) };
        let residents: BTreeSet<&str> = owners.iter().filter_map(|(_, o)| o.as_deref()).collect();
        let consenting = consents_among(&self.store, id, &residents).await.map_err(database)?;
        if scope == RowScope::Caller && !rows.is_empty() && consenting.is_empty() {
            return Err(RecordsError::ConsentRequired(format!(
                "the resident has not consented to `{id}` reading their personal data; ask them to consent first"
            )));
        }
        Ok(rows
            .into_iter()
            .zip(owners)
            // A row that belongs to nobody cannot have been consented to.
            .filter(|(_, (_, owner))| owner.as_ref().is_some_and(|o| consenting.contains(o)))
            .unzip())
    }

    fn log_reads(
        &mut self,
        table: &RecordTable,
        owners: &[(i64, Option<String>)],
        personal: &[String],
        policy: &TablePolicy,
    ) {
        if self.via == Via::Portal {
            return; // A resident reading their own record.
        }
        for (row_id, owner) in owners {
            let Some(resident) = owner else { continue };
            self.reads.push(AccessEntry {
                resident: resident.clone(),
                table: table.name.clone(),
                row_id: *row_id,
                columns: personal.to_vec(),
                via: self.via.clone(),
                unit: self.actor.unit.clone(),
                actor: self.actor.subject.clone().unwrap_or_else(|| "anonymous".into()),
                request_id: self.request_id.clone(),
                purpose: policy.purpose.clone(),
            });
        }
    }

    /// Inserts a row; returns its id.
    pub async fn insert(&mut self, table_name: &str, values: &[Assignment]) -> Result<i64, RecordsError> {
        let (table, policy) = self.table(table_name, RecordOp::Insert)?;
        let policy = policy.clone();
        let mut assignments = Vec::with_capacity(values.len() + 2);
        let mut resident = None;
        for assignment in values {
            let column = assignment.column.as_str();
            if column == RESIDENT_COLUMN {
                resident = Some(assignment.value.clone());
                continue;
            }
            self.writable(table, &policy, RecordOp::Insert, column)?;
            assignments.push(assignment.clone());
        }
        match policy.scope {
            RowScope::Caller => {
                let Some(subject) = self.actor.subject.clone().filter(|_| self.actor.role == Some(Role::Resident))
                else {
                    return Err(RecordsError::AccessDenied(
                        "a `caller` scope writes only the signed-in resident's own rows".into(),
                    ));
                };
                if resident.as_ref().is_some_and(|r| !matches!(r, Value::Text(s) if *s == subject)) {
                    return Err(RecordsError::AccessDenied(
                        "a `caller` scope cannot write another resident's row".into(),
                    ));
                }
                resident = Some(Value::Text(subject));
            }
            RowScope::Unit => self.check_area(&assignments, true).await?,
            RowScope::All => {}
        }
        if let Some(resident) = &resident {
            self.check_resident(resident).await?;
        }
        if let Some(resident) = resident {
            assignments.push(Assignment { column: RESIDENT_COLUMN.into(), value: resident });
        }
        let written: Vec<String> = assignments.iter().map(|a| a.column.clone()).collect();
        let sealed = self.seal_assignments(table, assignments);
        let statement = sql::insert(&tables::physical(table), &sealed)?;
        let rows = self.tx.write(statement, Run::FetchAll).await.map_err(database)?.rows();
        let id: i64 = rows
            .first()
            .ok_or_else(|| RecordsError::Unavailable("the insert returned no id".into()))?
            .try_get(0)
            .map_err(database)?;
        self.record_provenance(table, &[id], &written).await?;
        Ok(id)
    }

    /// Updates the rows within scope that match `conditions`; `NotFound`
    /// when none does.
    pub async fn update(
        &mut self,
        table_name: &str,
        set: &[Assignment],
        conditions: &[Condition],
    ) -> Result<u64, RecordsError> {
        let (table, policy) = self.table(table_name, RecordOp::Update)?;
        let policy = policy.clone();
        if set.is_empty() || conditions.is_empty() {
            return Err(RecordsError::Invalid("an update needs columns to set and at least one condition".into()));
        }
        for assignment in set {
            self.writable(table, &policy, RecordOp::Update, &assignment.column)?;
        }
        if policy.scope == RowScope::Unit {
            self.check_area(set, false).await?;
        }
        let Some(mut physical_conditions) = self.scope_conditions(policy.scope).await? else {
            return Err(RecordsError::NotFound(format!("no row of `{table_name}` matches")));
        };
        physical_conditions.extend(self.physical_conditions(table, &policy, conditions, RecordOp::Update)?);
        let physical = tables::physical(table);
        // Counted first: a select is capped at 1000 rows, so it could not tell.
        let count = sql::count(&physical, &physical_conditions)?;
        let matching: i64 = self
            .tx
            .read(count)
            .await
            .map_err(database)?
            .first()
            .map(|r| r.try_get(0))
            .transpose()
            .map_err(database)?
            .unwrap_or(0);
        if matching > MAX_UPDATE_ROWS as i64 {
            return Err(RecordsError::Invalid(format!(
                "an update may change at most {MAX_UPDATE_ROWS} rows; {matching} match"
            )));
        }
        let ids_query = SelectQuery {
            table: table_name.into(),
            columns: vec!["id".into()],
            conditions: physical_conditions.clone(),
            order_by: vec![],
            limit: Some(MAX_UPDATE_ROWS as u32),
            offset: None,
        };
        let select = sql::select(&physical, &ids_query)?;
        let ids: Vec<i64> = self
            .tx
            .read(select.statement)
            .await
            .map_err(database)?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()
            .map_err(database)?;
        if ids.is_empty() {
            return Err(RecordsError::NotFound(format!("no row of `{table_name}` matches")));
        }
        physical_conditions.push(Condition {
            column: "id".into(),
            predicate: Predicate::OneOf(ids.iter().map(|id| Value::Integer(*id)).collect()),
        });
        let written: Vec<String> = set.iter().map(|a| a.column.clone()).collect();
        let sealed = self.seal_assignments(table, set.to_vec());
        let statement = sql::update(&physical, &sealed, &physical_conditions)?;
        let changed = self.tx.write(statement, Run::Execute).await.map_err(database)?.affected();
        self.record_provenance(table, &ids, &written).await?;
        Ok(changed)
    }

    /// Who last wrote `columns` (all readable ones if empty) of row `id`.
    pub async fn provenance(
        &mut self,
        table_name: &str,
        id: i64,
        columns: &[String],
    ) -> Result<Vec<Provenance>, RecordsError> {
        let (table, policy) = self.table(table_name, RecordOp::Read)?;
        let policy = policy.clone();
        let wanted: Vec<String> = if columns.is_empty() {
            let mut all = vec![AREA_COLUMN.to_owned(), RESIDENT_COLUMN.to_owned()];
            all.extend(table.columns.iter().filter(|c| policy.allows(RecordOp::Read, &c.name)).map(|c| c.name.clone()));
            all
        } else {
            for column in columns {
                if self.readable(table, &policy, column)? == Readable::Masked {
                    return Err(RecordsError::AccessDenied(format!("column `{column}` is not granted for read")));
                }
            }
            columns.to_vec()
        };
        let Some(mut conditions) = self.scope_conditions(policy.scope).await? else {
            return Err(RecordsError::NotFound(format!("row {id} of `{table_name}` does not exist")));
        };
        conditions.push(Condition { column: "id".into(), predicate: Predicate::Eq(Value::Integer(id)) });
        let exists = SelectQuery {
            table: table_name.into(),
            columns: vec!["id".into(), RESIDENT_COLUMN.into()],
            conditions,
            order_by: vec![],
            limit: Some(1),
            offset: None,
        };
        let select = sql::select(&tables::physical(table), &exists)?;
        let found = self.tx.read(select.statement).await.map_err(database)?;
        let Some(row) = found.first() else {
            return Err(RecordsError::NotFound(format!("row {id} of `{table_name}` does not exist")));
        };
        // Who changed a resident's data, and when, is theirs too.
        let owner: Option<String> = row.try_get(1).map_err(database)?;
        let (kept, _) = self.consented(policy.scope, vec![vec![]], vec![(id, owner)]).await?;
        if kept.is_empty() {
            return Err(RecordsError::NotFound(format!("row {id} of `{table_name}` does not exist")));
        }
        let rows = self
            .tx
            .read(Statement {
                sql: "SELECT column_name, unit, plugin, plugin_version, actor, at FROM record_provenance \
                      WHERE table_name = $1 AND row_id = $2 ORDER BY column_name"
                    .into(),
                params: vec![Param::Text(table_name.into()), Param::Integer(id)],
            })
            .await
            .map_err(database)?;
        let mut out = Vec::new();
        for row in &rows {
            let column: String = row.try_get(0).map_err(database)?;
            if !wanted.contains(&column) {
                continue;
            }
            out.push(Provenance {
                column,
                unit: row.try_get(1).map_err(database)?,
                plugin: row.try_get(2).map_err(database)?,
                plugin_version: row.try_get(3).map_err(database)?,
                actor: row.try_get(4).map_err(database)?,
                at: row.try_get(5).map_err(database)?,
            });
        }
        Ok(out)
    }

    fn writable(
        &self,
        table: &RecordTable,
        policy: &TablePolicy,
        op: RecordOp,
        column: &str,
    ) -> Result<(), RecordsError> {
        if column == "id" || column == RESIDENT_COLUMN {
            return Err(RecordsError::Invalid(format!("`{column}` is kept by the platform and cannot be written")));
        }
        if !table.has_column(column) {
            return Err(RecordsError::Invalid(format!("shared table `{}` has no column `{column}`", table.name)));
        }
        if !policy.allows(op, column) {
            return Err(RecordsError::AccessDenied(format!(
                "column `{column}` of `{}` is not granted for {}",
                table.name,
                op.as_str()
            )));
        }
        Ok(())
    }

    /// A row names its resident by account id; it must be a resident's.
    async fn check_resident(&self, resident: &Value) -> Result<(), RecordsError> {
        let Value::Text(id) = resident else {
            return Err(RecordsError::Invalid("`resident` is the resident's account id (text)".into()));
        };
        let account = crate::store::accounts::find_by_id(&self.store, id).await.map_err(database)?;
        if !account.is_some_and(|a| a.role == Role::Resident) {
            return Err(RecordsError::NotFound(format!("there is no resident `{id}`")));
        }
        Ok(())
    }

    /// Under a `unit` scope, the row's area must be one the unit serves
    /// (and, on insert, must be given).
    async fn check_area(&self, assignments: &[Assignment], required: bool) -> Result<(), RecordsError> {
        let area = assignments.iter().find(|a| a.column == AREA_COLUMN).map(|a| &a.value);
        let Some(area) = area else {
            return if required {
                Err(RecordsError::Invalid("under a `unit` scope a new row needs its `area`".into()))
            } else {
                Ok(())
            };
        };
        let Some(unit) = &self.actor.unit else {
            return Err(RecordsError::AccessDenied("a `unit` scope needs a staff member of a unit".into()));
        };
        let served = areas::served_by(&self.store, unit).await.map_err(database)?;
        let ok = match (served, area) {
            (areas::Served::All, _) => true,
            (areas::Served::Some(list), Value::Text(area)) => list.contains(area),
            _ => false,
        };
        if !ok {
            return Err(RecordsError::AccessDenied(format!("unit `{unit}` does not serve that area")));
        }
        Ok(())
    }

    /// Seals sensitive values and adds their blind index.
    fn seal_assignments(&self, table: &RecordTable, assignments: Vec<Assignment>) -> Vec<Assignment> {
        let mut out = Vec::with_capacity(assignments.len() + 1);
        for assignment in assignments {
            let sensitive = table.column(&assignment.column).is_some_and(|c| c.sensitive);
            match (&assignment.value, sensitive) {
                (Value::Text(clear), true) => {
                    let aad = format!("{}.{}", table.name, assignment.column);
                    out.push(Assignment {
                        column: index_column(&assignment.column),
                        value: Value::Text(self.keyring.blind_index(&aad, clear)),
                    });
                    out.push(Assignment {
                        column: assignment.column.clone(),
                        value: Value::Text(self.keyring.seal(&aad, clear)),
                    });
                }
                (Value::Null, true) => {
                    out.push(Assignment { column: index_column(&assignment.column), value: Value::Null });
                    out.push(assignment);
                }
                _ => out.push(assignment),
            }
        }
        out
    }

    async fn record_provenance(
        &self,
        table: &RecordTable,
        ids: &[i64],
        columns: &[String],
    ) -> Result<(), RecordsError> {
        let (plugin, version) = match &self.via {
            Via::Plugin { id, version, .. } => (Param::Text(id.clone()), Param::Text(version.clone())),
            Via::StaffConsole | Via::Portal => (Param::Null(ColumnType::Text), Param::Null(ColumnType::Text)),
        };
        let unit = self.actor.unit.clone().map_or(Param::Null(ColumnType::Text), Param::Text);
        let actor = Param::Text(self.actor.subject.clone().unwrap_or_else(|| "anonymous".into()));
        let at = Param::Text(timestamp::now());
        for id in ids {
            for column in columns {
                let statement = Statement {
                    sql: "INSERT INTO record_provenance (table_name, row_id, column_name, unit, plugin, plugin_version, actor, at) \
                          VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (table_name, row_id, column_name) DO UPDATE SET \
                          unit = excluded.unit, plugin = excluded.plugin, plugin_version = excluded.plugin_version, \
                          actor = excluded.actor, at = excluded.at"
                        .into(),
                    params: vec![
                        Param::Text(table.name.clone()),
                        Param::Integer(*id),
                        Param::Text(column.clone()),
                        unit.clone(),
                        plugin.clone(),
                        version.clone(),
                        actor.clone(),
                        at.clone(),
                    ],
                };
                self.tx.write(statement, Run::Execute).await.map_err(database)?;
            }
        }
        Ok(())
    }
}

/// The personal information a select touches: personal columns it returns
/// (masked ones marked so) or filters or sorts on (a filter is a way to
/// learn a value); failing those, whose rows they are if it asks for `resident`.
fn touched_personal(table: &RecordTable, names: &[String], how: &[Readable], query: &SelectQuery) -> Vec<String> {
    let personal = |name: &str| table.column(name).is_some_and(|c| c.personal);
    let mut touched: Vec<String> = names
        .iter()
        .zip(how)
        .filter(|(n, _)| personal(n))
        .map(|(n, how)| if *how == Readable::Masked { format!("{n} (masked)") } else { n.clone() })
        .collect();
    let tested = query.conditions.iter().map(|c| &c.column).chain(query.order_by.iter().map(|o| &o.column));
    for column in tested {
        let note = format!("{column} (filter)");
        if personal(column) && !touched.contains(column) && !touched.contains(&note) {
            touched.push(note);
        }
    }
    // Whose row it is, when nothing else personal is read: being in the
    // care-visit register is personal in itself.
    if touched.is_empty() && names.iter().any(|n| n == RESIDENT_COLUMN) {
        touched.push(RESIDENT_COLUMN.to_owned());
    }
    touched
}

/// How a column comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Readable {
    Clear,
    Masked,
}

/// The residents among `residents` who consented to `service`.
pub async fn consents_among(
    store: &Store,
    service: &str,
    residents: &BTreeSet<&str>,
) -> Result<BTreeSet<String>, sqlx::Error> {
    if residents.is_empty() {
        return Ok(BTreeSet::new());
    }
    let mut params = vec![Param::Text(service.to_owned())];
    let placeholders: Vec<String> = residents
        .iter()
        .map(|r| {
            params.push(Param::Text((*r).to_owned()));
            format!("${}", params.len())
        })
        .collect();
    let sql = format!("SELECT resident FROM consents WHERE service = $1 AND resident IN ({})", placeholders.join(", "));
    let rows = query(Statement { sql, params }).fetch_all(store.pool()).await?;
    rows.iter().map(|r| r.try_get(0)).collect()
}
