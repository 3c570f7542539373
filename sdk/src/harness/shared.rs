//! The shared record, cases and messages in memory: the subset a service's
//! handlers need, with the grants of the manifest applied.

use super::Fault;
use super::data::{Test, passes, test};
use super::manifest::{CaseKind, Manifest, RecordGrant};
use crate::bindings::onewindow::platform::cases::{CaseFilter, CaseInfo, HistoryEntry, NewCase, Status};
use crate::bindings::onewindow::platform::data::{Assignment, Condition, Rows, SelectQuery, Value};
use crate::bindings::onewindow::platform::types::{Caller, Role};
use crate::cases::status_name;

/// The columns every shared table has besides the granted ones.
const ALWAYS: [&str; 3] = ["id", "resident", "area"];

/// One shared table: rows of named values (`id` kept apart).
#[derive(Debug, Clone, Default)]
pub(crate) struct SharedTable {
    pub rows: Vec<(i64, Vec<(String, Value)>)>,
    next_id: i64,
}

fn get(row: &(i64, Vec<(String, Value)>), column: &str) -> Value {
    if column == "id" {
        return Value::Integer(row.0);
    }
    row.1.iter().find(|(c, _)| c == column).map(|(_, v)| v.clone()).unwrap_or(Value::Null)
}

fn set(row: &mut (i64, Vec<(String, Value)>), column: &str, value: Value) {
    match row.1.iter_mut().find(|(c, _)| c == column) {
        Some(slot) => slot.1 = value,
        None => row.1.push((column.to_owned(), value)),
    }
}

impl SharedTable {
    /// Adds a row as it is (seeding); returns its id.
    pub fn push(&mut self, values: Vec<(String, Value)>) -> i64 {
        self.next_id += 1;
        self.rows.push((self.next_id, values));
        self.next_id
    }
}

/// The grant for `table`, after the capability itself.
fn grant<'m>(manifest: &'m Manifest, table: &str, operation: &str) -> Result<&'m RecordGrant, Fault> {
    if !manifest.has("records") {
        return Err(Fault::Denied(format!("`records` is not granted to {}", manifest.id)));
    }
    let grant = manifest
        .records
        .iter()
        .find(|g| g.table == table)
        .ok_or_else(|| Fault::Denied(format!("shared table `{table}` is not granted to {}", manifest.id)))?;
    if !grant.operations.iter().any(|o| o == operation) {
        return Err(Fault::Denied(format!("`{operation}` on shared table `{table}` is not granted")));
    }
    Ok(grant)
}

fn granted_column(grant: &RecordGrant, column: &str) -> bool {
    ALWAYS.contains(&column) || grant.columns.iter().any(|c| c == column)
}

/// Whether a row is within the grant's scope for `caller` (`caller` scope:
/// the signed-in resident's own rows; `unit` and `all`: every row, since the
/// harness knows no areas).
fn in_scope(grant: &RecordGrant, caller: Option<&Caller>, row: &(i64, Vec<(String, Value)>)) -> bool {
    if grant.scope != "caller" {
        return true;
    }
    match (caller, get(row, "resident")) {
        (Some(caller), Value::Text(resident)) => caller.role == Role::Resident && caller.subject == resident,
        _ => false,
    }
}

fn filters(grant: &RecordGrant, conditions: &[Condition]) -> Result<Vec<(String, Test)>, Fault> {
    conditions
        .iter()
        .map(|condition| {
            if !granted_column(grant, &condition.column) {
                return Err(Fault::Denied(format!(
                    "column `{}` of `{}` is not granted, so it cannot be filtered on",
                    condition.column, grant.table
                )));
            }
            Ok((condition.column.clone(), test(&condition.column, None, &condition.predicate)?))
        })
        .collect()
}

fn writes(grant: &RecordGrant, values: &[Assignment], operation: &str) -> Result<(), Fault> {
    for (i, assignment) in values.iter().enumerate() {
        let column = assignment.column.as_str();
        if column == "id" {
            return Err(Fault::Invalid("`id` is assigned by the platform and cannot be written".into()));
        }
        if !granted_column(grant, column) {
            return Err(Fault::Denied(format!(
                "column `{column}` of `{}` is not granted for {operation}",
                grant.table
            )));
        }
        if values[..i].iter().any(|a| a.column == column) {
            return Err(Fault::Invalid(format!("column `{column}` is set twice")));
        }
    }
    Ok(())
}

pub(crate) fn select(
    manifest: &Manifest,
    table: &SharedTable,
    caller: Option<&Caller>,
    query: &SelectQuery,
) -> Result<Rows, Fault> {
    let grant = grant(manifest, &query.table, "read")?;
    let columns: Vec<String> = if query.columns.is_empty() {
        ALWAYS.iter().map(|c| (*c).to_owned()).chain(grant.columns.iter().cloned()).collect()
    } else {
        query.columns.clone()
    };
    if let Some(column) = columns.iter().find(|c| !granted_column(grant, c)) {
        return Err(Fault::Denied(format!("column `{column}` of `{}` is not granted for read", grant.table)));
    }
    let tests = filters(grant, &query.conditions)?;
    let mut rows: Vec<_> = table
        .rows
        .iter()
        .filter(|row| in_scope(grant, caller, row))
        .filter(|row| tests.iter().all(|(column, test)| passes(test, &get(row, column))))
        .collect();
    for order in query.order_by.iter().rev() {
        rows.sort_by(|a, b| {
            let o = super::data::compare(&get(a, &order.column), &get(b, &order.column))
                .unwrap_or(std::cmp::Ordering::Equal);
            if order.descending { o.reverse() } else { o }
        });
    }
    let limit = query.limit.unwrap_or(super::data::MAX_ROWS).min(super::data::MAX_ROWS) as usize;
    Ok(Rows {
        rows: rows
            .into_iter()
            .skip(query.offset.unwrap_or(0) as usize)
            .take(limit)
            .map(|row| columns.iter().map(|c| get(row, c)).collect())
            .collect(),
        columns,
    })
}

pub(crate) fn insert(
    manifest: &Manifest,
    table: &mut SharedTable,
    caller: Option<&Caller>,
    name: &str,
    values: &[Assignment],
) -> Result<i64, Fault> {
    let grant = grant(manifest, name, "insert")?;
    writes(grant, values, "insert")?;
    let mut row: Vec<(String, Value)> = values.iter().map(|a| (a.column.clone(), a.value.clone())).collect();
    if grant.scope == "caller" {
        let Some(caller) = caller.filter(|c| c.role == Role::Resident) else {
            return Err(Fault::Denied("a `caller` scope writes only for a signed-in resident".into()));
        };
        row.retain(|(c, _)| c != "resident");
        row.push(("resident".into(), Value::Text(caller.subject.clone())));
    }
    Ok(table.push(row))
}

pub(crate) fn update(
    manifest: &Manifest,
    table: &mut SharedTable,
    caller: Option<&Caller>,
    name: &str,
    values: &[Assignment],
    conditions: &[Condition],
) -> Result<u64, Fault> {
    let grant = grant(manifest, name, "update")?;
    if values.is_empty() {
        return Err(Fault::Invalid("update needs at least one column to set".into()));
    }
    if conditions.is_empty() {
        return Err(Fault::Invalid("update needs at least one condition".into()));
    }
    writes(grant, values, "update")?;
    if grant.scope == "caller" && values.iter().any(|a| a.column == "resident") {
        return Err(Fault::Denied("a `caller` scope cannot write another resident's row".into()));
    }
    let tests = filters(grant, conditions)?;
    let mut changed = 0;
    for row in table.rows.iter_mut() {
        if in_scope(grant, caller, row) && tests.iter().all(|(column, test)| passes(test, &get(row, column))) {
            for assignment in values {
                set(row, &assignment.column, assignment.value.clone());
            }
            changed += 1;
        }
    }
    if changed == 0 {
        return Err(Fault::NotFound(format!("no row of `{name}` matches within the granted scope")));
    }
    Ok(changed)
}

/// A case and its history.
#[derive(Debug, Clone)]
pub(crate) struct CaseRecord {
    pub info: CaseInfo,
    pub history: Vec<HistoryEntry>,
}

/// Where a case may go from `from` (the host's closed-loop model).
pub(crate) fn allowed_next(from: Status) -> &'static [Status] {
    use Status::*;
    match from {
        Requested => &[Accepted, Rejected, Cancelled],
        Accepted => &[InProgress, Cancelled],
        InProgress => &[OnHold, Completed, Failed, Cancelled],
        OnHold => &[InProgress, Cancelled],
        Rejected | Completed | Cancelled | Failed => &[],
    }
}

fn is_terminal(status: Status) -> bool {
    allowed_next(status).is_empty()
}

fn capability(manifest: &Manifest, name: &str) -> Result<(), Fault> {
    if manifest.has(name) { Ok(()) } else { Err(Fault::Denied(format!("`{name}` is not granted to {}", manifest.id))) }
}

fn kind<'m>(manifest: &'m Manifest, name: &str) -> Result<&'m CaseKind, Fault> {
    manifest
        .case_kinds
        .iter()
        .find(|k| k.name == name)
        .ok_or_else(|| Fault::Invalid(format!("case kind `{name}` is not declared in the manifest")))
}

fn unit_granted(kind: &CaseKind, unit: &str) -> Result<(), Fault> {
    if kind.units.iter().any(|u| u == unit) {
        Ok(())
    } else {
        Err(Fault::Denied(format!("unit `{unit}` is not granted to this service for `{}` cases", kind.name)))
    }
}

/// The cases of the service in memory.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cases {
    pub cases: Vec<CaseRecord>,
}

impl Cases {
    fn entry(caller: Option<&Caller>, action: &str, note: &str) -> HistoryEntry {
        HistoryEntry {
            at: crate::time::now_rfc3339(),
            actor: caller.map_or_else(|| "system".to_owned(), |c| c.subject.clone()),
            unit: caller.and_then(|c| c.unit.as_ref()).map(|u| u.id.clone()),
            action: action.to_owned(),
            from_status: None,
            to_status: None,
            from_unit: None,
            to_unit: None,
            note: note.to_owned(),
        }
    }

    fn find_mut(&mut self, manifest: &Manifest, id: i64) -> Result<&mut CaseRecord, Fault> {
        capability(manifest, "cases")?;
        self.cases.iter_mut().find(|c| c.info.id == id).ok_or_else(|| Fault::NotFound(format!("no case {id}")))
    }

    pub fn create(&mut self, manifest: &Manifest, caller: Option<&Caller>, new: &NewCase) -> Result<CaseInfo, Fault> {
        capability(manifest, "cases")?;
        let kind = kind(manifest, &new.kind)?;
        unit_granted(kind, &new.unit)?;
        if new.resident.trim().is_empty() {
            return Err(Fault::Invalid("a case needs a resident".into()));
        }
        check_data(&new.data)?;
        let id = self.cases.len() as i64 + 1;
        let now = crate::time::now_rfc3339();
        let prefix = kind.reference_prefix.clone().unwrap_or_else(|| "CASE".to_owned());
        let due_at = kind
            .time_limit_days
            .map(|days| format!("{}{}", crate::time::today().add_days(days), now.get(10..).unwrap_or("T00:00:00Z")));
        let info = CaseInfo {
            id,
            reference: format!("{prefix}-{}-{id:06}", now.get(..4).unwrap_or("2026")),
            service: manifest.id.clone(),
            kind: new.kind.clone(),
            resident: new.resident.clone(),
            unit: new.unit.clone(),
            units: vec![new.unit.clone()],
            status: Status::Requested,
            opened_at: now,
            due_at,
            closed_at: None,
            data: new.data.clone(),
            rating: None,
        };
        let mut opened = Self::entry(caller, "opened", &new.note);
        opened.to_status = Some(Status::Requested);
        opened.to_unit = Some(new.unit.clone());
        self.cases.push(CaseRecord { info: info.clone(), history: vec![opened] });
        Ok(info)
    }

    pub fn get(&mut self, manifest: &Manifest, id: i64) -> Result<CaseInfo, Fault> {
        Ok(self.find_mut(manifest, id)?.info.clone())
    }

    pub fn get_by_reference(&self, manifest: &Manifest, reference: &str) -> Result<CaseInfo, Fault> {
        capability(manifest, "cases")?;
        self.cases
            .iter()
            .find(|c| c.info.reference == reference)
            .map(|c| c.info.clone())
            .ok_or_else(|| Fault::NotFound(format!("no case {reference}")))
    }

    pub fn find(&self, manifest: &Manifest, filter: &CaseFilter) -> Result<Vec<CaseInfo>, Fault> {
        capability(manifest, "cases")?;
        Ok(self
            .cases
            .iter()
            .rev()
            .map(|c| &c.info)
            .filter(|c| filter.resident.as_ref().is_none_or(|r| &c.resident == r))
            .filter(|c| filter.unit.as_ref().is_none_or(|u| c.units.contains(u)))
            .filter(|c| filter.kind.as_ref().is_none_or(|k| &c.kind == k))
            .filter(|c| filter.status.is_none_or(|s| c.status == s))
            .skip(filter.offset.unwrap_or(0) as usize)
            .take(filter.limit.unwrap_or(200).min(200) as usize)
            .cloned()
            .collect())
    }

    pub fn history(&mut self, manifest: &Manifest, id: i64) -> Result<Vec<HistoryEntry>, Fault> {
        Ok(self.find_mut(manifest, id)?.history.clone())
    }

    pub fn transition(
        &mut self,
        manifest: &Manifest,
        caller: Option<&Caller>,
        id: i64,
        to: Status,
        note: &str,
    ) -> Result<CaseInfo, Fault> {
        let case = self.find_mut(manifest, id)?;
        let from = case.info.status;
        let allowed = allowed_next(from);
        if !allowed.contains(&to) {
            let names: Vec<&str> = allowed.iter().map(|s| status_name(*s)).collect();
            let names = if names.is_empty() { "none".to_owned() } else { names.join(", ") };
            return Err(Fault::Conflict(format!(
                "a {} case cannot become {}; allowed: {names}",
                status_name(from),
                status_name(to)
            )));
        }
        case.info.status = to;
        if is_terminal(to) {
            case.info.closed_at = Some(crate::time::now_rfc3339());
        }
        let mut entry = Self::entry(caller, "transition", note);
        entry.from_status = Some(from);
        entry.to_status = Some(to);
        case.history.push(entry);
        Ok(case.info.clone())
    }

    pub fn refer(
        &mut self,
        manifest: &Manifest,
        caller: Option<&Caller>,
        id: i64,
        unit: &str,
        keep: bool,
        note: &str,
    ) -> Result<CaseInfo, Fault> {
        let kind = kind(manifest, &self.find_mut(manifest, id)?.info.kind)?.clone();
        unit_granted(&kind, unit)?;
        let case = self.find_mut(manifest, id)?;
        if is_terminal(case.info.status) {
            return Err(Fault::Conflict(format!("a {} case cannot be referred", status_name(case.info.status))));
        }
        let mut entry = Self::entry(caller, if keep { "involved" } else { "referred" }, note);
        entry.from_unit = Some(case.info.unit.clone());
        entry.to_unit = Some(unit.to_owned());
        case.info.units.retain(|u| u != unit);
        if keep {
            case.info.units.push(unit.to_owned());
        } else {
            case.info.units.insert(0, unit.to_owned());
            case.info.unit = unit.to_owned();
        }
        case.history.push(entry);
        Ok(case.info.clone())
    }

    pub fn add_note(&mut self, manifest: &Manifest, caller: Option<&Caller>, id: i64, note: &str) -> Result<(), Fault> {
        self.find_mut(manifest, id)?.history.push(Self::entry(caller, "note", note));
        Ok(())
    }

    pub fn set_data(&mut self, manifest: &Manifest, id: i64, data: &str) -> Result<CaseInfo, Fault> {
        check_data(data)?;
        let case = self.find_mut(manifest, id)?;
        case.info.data = data.to_owned();
        Ok(case.info.clone())
    }
}

fn check_data(data: &str) -> Result<(), Fault> {
    if data.len() > 64 * 1024 {
        return Err(Fault::Invalid("case data is limited to 64 KiB".into()));
    }
    serde_json::from_str::<serde_json::Value>(data)
        .map(|_| ())
        .map_err(|e| Fault::Invalid(format!("case data is not JSON: {e}")))
}

/// A message the service sent (kept only if the request commits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    /// The resident's account id.
    pub resident: String,
    /// The template's name in the manifest.
    pub template: String,
    /// The placeholders filled, in the order given.
    pub params: Vec<(String, String)>,
}

pub(crate) fn notify(
    manifest: &Manifest,
    resident: &str,
    template: &str,
    params: &[(String, String)],
) -> Result<SentMessage, Fault> {
    capability(manifest, "notify")?;
    if !manifest.templates.iter().any(|t| t == template) {
        return Err(Fault::Invalid(format!("template `{template}` is not declared in the manifest")));
    }
    if resident.trim().is_empty() {
        return Err(Fault::Invalid("a message needs a resident".into()));
    }
    Ok(SentMessage { resident: resident.to_owned(), template: template.to_owned(), params: params.to_vec() })
}
