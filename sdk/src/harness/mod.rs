//! Run a service's handlers in plain `cargo test`, against an in-memory
//! platform built from the plugin's `plugin.toml` (feature `harness`,
//! native builds only; the plugin's wasm build is unchanged).
//!
//! ```no_run
//! use onewindow_sdk::harness::{Harness, TestCaller};
//! # struct GuestBook;
//! # impl onewindow_sdk::Service for GuestBook { fn router() -> onewindow_sdk::Router { onewindow_sdk::Router::new() } }
//! let mut harness = Harness::from_manifest("plugin.toml").unwrap();
//! let answer = harness.call::<GuestBook>(
//!     "POST",
//!     "/entries",
//!     &TestCaller::resident("r-1"),
//!     Some(serde_json::json!({ "message": "hello" })),
//! );
//! assert_eq!(answer.status, 201);
//! assert_eq!(harness.rows("entries").len(), 1);
//! ```
//!
//! What it guarantees:
//! - tables: the host's checks and messages (unknown column, wrong type,
//!   integers widening to reals, required columns, `id` assigned, conditions
//!   on update/delete, the 1000-row cap, ASCII case-insensitive `like`,
//!   `one-of` of 1 to 1000 values, null only through is-null) and `conflict`
//!   for a unique index;
//! - one transaction per call: tables, shared records, cases and messages are
//!   rolled back when the handler answers 500 or more or panics (a panic
//!   answers 502 `plugin-failed`, as a trap does on the host);
//! - the shared record: per-table grants of the manifest (operations,
//!   columns), the `caller` scope (a resident's own rows); values are not
//!   typed (the harness does not know the platform's record schema);
//! - cases: the host's status model and its `conflict` naming the allowed
//!   moves; kinds and units from `[[case-kinds]]`;
//! - notify: messages captured (see [`Harness::messages`]) for templates
//!   the manifest declares.
//!
//! Not emulated: `records.provenance` (answers `unavailable`), areas of the
//! `unit` row scope (every row is in scope), consent, quotas and rate limits.

mod api_doc;
mod data;
mod manifest;
mod shared;

pub use api_doc::{ApiDoc, Operation, page_of, schema_of};

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::bindings::onewindow::platform::cases::{CaseFilter, CaseInfo, HistoryEntry, NewCase, Status};
use crate::bindings::onewindow::platform::data::{Assignment, Condition, Rows, SelectQuery, Value};
use crate::bindings::onewindow::platform::log::Level;
use crate::bindings::onewindow::platform::records::{FieldProvenance, RecordsError};
use crate::bindings::onewindow::platform::types::{self as wit, Error};
use crate::{Caller, Role, Service, UnitKind};

use data::Table;
use manifest::{ColumnType, Manifest};
pub use shared::SentMessage;
use shared::{Cases, SharedTable};

/// Why an in-memory capability call failed, before it takes the shape of
/// the capability's own error type.
#[derive(Debug)]
pub(crate) enum Fault {
    Invalid(String),
    Denied(String),
    NotFound(String),
    Conflict(String),
}

impl From<Fault> for Error {
    fn from(fault: Fault) -> Error {
        match fault {
            Fault::Invalid(m) => Error::Invalid(m),
            Fault::Denied(m) => Error::AccessDenied(m),
            Fault::NotFound(m) => Error::NotFound(m),
            Fault::Conflict(m) => Error::Conflict(m),
        }
    }
}

impl From<Fault> for RecordsError {
    fn from(fault: Fault) -> RecordsError {
        match fault {
            Fault::Invalid(m) => RecordsError::Invalid(m),
            Fault::Denied(m) => RecordsError::AccessDenied(m),
            Fault::NotFound(m) => RecordsError::NotFound(m),
            Fault::Conflict(m) => RecordsError::Conflict(m),
        }
    }
}

/// What one request may change, and the harness restores on a failed request.
#[derive(Debug, Clone, Default)]
struct State {
    tables: BTreeMap<String, Table>,
    shared: BTreeMap<String, SharedTable>,
    cases: Cases,
    messages: Vec<SentMessage>,
}

/// The in-memory platform the capability calls of the running request reach.
#[derive(Debug)]
pub(crate) struct Host {
    manifest: Manifest,
    state: State,
    logs: Vec<LogLine>,
    caller: Option<Caller>,
    /// What `plugin-info` answers for the owner (see [`Harness::owned_by`]).
    owner: Option<wit::Unit>,
}

thread_local! {
    static CURRENT: RefCell<Option<Host>> = const { RefCell::new(None) };
}

/// Runs `call` on the host of the request running on this thread.
pub(crate) fn with_current<T>(call: impl FnOnce(&mut Host) -> T) -> T {
    CURRENT.with(|current| {
        let mut current = current.borrow_mut();
        let host = current.as_mut().unwrap_or_else(|| {
            panic!(
                "a Onewindow capability was called with no harness request running on this thread: \
                 run handlers through onewindow_sdk::harness::Harness::call"
            )
        });
        call(host)
    })
}

impl Host {
    fn table(&mut self, name: &str) -> Result<&mut Table, Fault> {
        if !self.manifest.has("data") {
            return Err(Fault::Denied(format!("`data` is not granted to {}", self.manifest.id)));
        }
        let id = &self.manifest.id;
        self.state.tables.get_mut(name).ok_or_else(|| Fault::NotFound(format!("plugin {id} has no table `{name}`")))
    }

    pub(crate) fn data_select(&mut self, query: &SelectQuery) -> Result<Rows, Error> {
        Ok(self.table(&query.table)?.select(query)?)
    }

    pub(crate) fn data_insert(&mut self, table: &str, values: &[Assignment]) -> Result<i64, Error> {
        Ok(self.table(table)?.insert(values)?)
    }

    pub(crate) fn data_update(
        &mut self,
        table: &str,
        set: &[Assignment],
        conditions: &[Condition],
    ) -> Result<u64, Error> {
        Ok(self.table(table)?.update(set, conditions)?)
    }

    pub(crate) fn data_delete(&mut self, table: &str, conditions: &[Condition]) -> Result<u64, Error> {
        Ok(self.table(table)?.delete(conditions)?)
    }

    pub(crate) fn data_count(&mut self, table: &str, conditions: &[Condition]) -> Result<u64, Error> {
        Ok(self.table(table)?.count(conditions)?)
    }

    pub(crate) fn log_write(&mut self, level: Level, message: &str) {
        let level = match level {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        };
        let message: String = message.chars().take(4096).collect();
        self.logs.push(LogLine { level, message });
    }

    pub(crate) fn records_select(&mut self, query: &SelectQuery) -> Result<Rows, RecordsError> {
        let table = self.state.shared.entry(query.table.clone()).or_default();
        Ok(shared::select(&self.manifest, table, self.caller.as_ref(), query)?)
    }

    pub(crate) fn records_insert(&mut self, name: &str, values: &[Assignment]) -> Result<i64, RecordsError> {
        let table = self.state.shared.entry(name.to_owned()).or_default();
        Ok(shared::insert(&self.manifest, table, self.caller.as_ref(), name, values)?)
    }

    pub(crate) fn records_update(
        &mut self,
        name: &str,
        set: &[Assignment],
        conditions: &[Condition],
    ) -> Result<u64, RecordsError> {
        let table = self.state.shared.entry(name.to_owned()).or_default();
        Ok(shared::update(&self.manifest, table, self.caller.as_ref(), name, set, conditions)?)
    }

    pub(crate) fn records_provenance(
        &mut self,
        _table: &str,
        _id: i64,
        _columns: &[String],
    ) -> Result<Vec<FieldProvenance>, RecordsError> {
        Err(RecordsError::Unavailable("the harness does not emulate records.provenance yet".into()))
    }

    pub(crate) fn cases_create(&mut self, new: &NewCase) -> Result<CaseInfo, Error> {
        Ok(self.state.cases.create(&self.manifest, self.caller.as_ref(), new)?)
    }

    pub(crate) fn cases_get(&mut self, id: i64) -> Result<CaseInfo, Error> {
        Ok(self.state.cases.get(&self.manifest, id)?)
    }

    pub(crate) fn cases_get_by_reference(&mut self, reference: &str) -> Result<CaseInfo, Error> {
        Ok(self.state.cases.get_by_reference(&self.manifest, reference)?)
    }

    pub(crate) fn cases_find(&mut self, filter: &CaseFilter) -> Result<Vec<CaseInfo>, Error> {
        Ok(self.state.cases.find(&self.manifest, filter)?)
    }

    pub(crate) fn cases_history(&mut self, id: i64) -> Result<Vec<HistoryEntry>, Error> {
        Ok(self.state.cases.history(&self.manifest, id)?)
    }

    pub(crate) fn cases_transition(&mut self, id: i64, to: Status, note: &str) -> Result<CaseInfo, Error> {
        Ok(self.state.cases.transition(&self.manifest, self.caller.as_ref(), id, to, note)?)
    }

    pub(crate) fn cases_refer(&mut self, id: i64, unit: &str, keep: bool, note: &str) -> Result<CaseInfo, Error> {
        Ok(self.state.cases.refer(&self.manifest, self.caller.as_ref(), id, unit, keep, note)?)
    }

    pub(crate) fn cases_add_note(&mut self, id: i64, note: &str) -> Result<(), Error> {
        Ok(self.state.cases.add_note(&self.manifest, self.caller.as_ref(), id, note)?)
    }

    pub(crate) fn cases_set_data(&mut self, id: i64, data: &str) -> Result<CaseInfo, Error> {
        Ok(self.state.cases.set_data(&self.manifest, id, data)?)
    }

    pub(crate) fn plugin_service_id(&mut self) -> String {
        self.manifest.id.clone()
    }

    pub(crate) fn plugin_owner_unit(&mut self) -> Option<wit::Unit> {
        self.owner.clone()
    }

    pub(crate) fn notify_send(
        &mut self,
        resident: &str,
        template: &str,
        params: &[(String, String)],
    ) -> Result<(), Error> {
        let message = shared::notify(&self.manifest, resident, template, params)?;
        self.state.messages.push(message);
        Ok(())
    }
}

/// One log line the service wrote (log lines are kept even when the request rolls back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// `trace`, `debug`, `info`, `warn` or `error`.
    pub level: &'static str,
    /// The message, cut at 4096 characters as the host cuts it.
    pub message: String,
}

/// Who calls: anonymous, a resident, staff of a unit, or an admin.
#[derive(Debug, Clone)]
pub struct TestCaller(Option<Caller>);

impl TestCaller {
    /// Nobody signed in (`Request::caller` is `None`).
    pub fn anonymous() -> TestCaller {
        TestCaller(None)
    }

    /// A resident with account id `subject`.
    pub fn resident(subject: &str) -> TestCaller {
        Self::signed_in(subject, Role::Resident, None)
    }

    /// A staff member `subject` of unit `unit_id` of `kind`.
    pub fn staff(subject: &str, unit_id: &str, kind: UnitKind) -> TestCaller {
        Self::signed_in(subject, Role::Staff, Some(wit::Unit { id: unit_id.to_owned(), kind }))
    }

    /// A platform admin `subject`.
    pub fn admin(subject: &str) -> TestCaller {
        Self::signed_in(subject, Role::Admin, None)
    }

    /// Sets the display name (by default the subject); no effect when anonymous.
    pub fn named(mut self, display_name: &str) -> TestCaller {
        if let Some(caller) = &mut self.0 {
            caller.display_name = display_name.to_owned();
        }
        self
    }

    /// The caller as the service will see it.
    pub fn caller(&self) -> Option<&Caller> {
        self.0.as_ref()
    }

    fn signed_in(subject: &str, role: Role, unit: Option<wit::Unit>) -> TestCaller {
        TestCaller(Some(Caller { subject: subject.to_owned(), role, unit, display_name: subject.to_owned() }))
    }
}

/// A request to send with [`Harness::send`], for what [`Harness::call`] does not set.
#[derive(Debug, Clone)]
pub struct TestRequest {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    caller: TestCaller,
}

impl TestRequest {
    /// `method` of `path` (which may end in `?query`), anonymous, with no body.
    pub fn new(method: &str, path: &str) -> TestRequest {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        TestRequest {
            method: method.to_ascii_uppercase(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
            caller: TestCaller::anonymous(),
        }
    }

    /// Sets who calls.
    pub fn caller(mut self, caller: &TestCaller) -> TestRequest {
        self.caller = caller.clone();
        self
    }

    /// Adds a header (the name is lower-cased, as the host does).
    pub fn header(mut self, name: &str, value: &str) -> TestRequest {
        self.headers.push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    /// Sets a JSON body and `content-type: application/json`.
    pub fn json(self, body: &serde_json::Value) -> TestRequest {
        self.header("content-type", "application/json").body(body.to_string().into_bytes())
    }

    /// Sets the raw body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> TestRequest {
        self.body = body.into();
        self
    }
}

/// The service's answer, as the host would pass it on.
#[derive(Debug, Clone, PartialEq)]
pub struct TestResponse {
    /// The status code.
    pub status: u16,
    /// The headers the service set (lower-case names).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl TestResponse {
    /// A header by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; panics, showing the body, when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("the answer ({}) is not JSON: {e}: {}", self.status, self.text()))
    }

    /// For a problem answer, the slug of its `type` (`conflict` for
    /// `urn:onewindow:problem:conflict`); None for any other answer.
    pub fn problem_type(&self) -> Option<String> {
        let value: serde_json::Value = serde_json::from_slice(&self.body).ok()?;
        value.get("type")?.as_str()?.strip_prefix("urn:onewindow:problem:").map(str::to_owned)
    }
}

/// An in-memory platform for one plugin: its declared tables, the shared
/// record, cases, messages and log, and a way to call its handlers.
#[derive(Debug)]
pub struct Harness {
    host: Option<Host>,
    requests: u64,
}

impl Harness {
    /// A harness for the plugin whose `plugin.toml` is at `path_or_text`
    /// (a path to an existing file) or is `path_or_text` itself. The tables
    /// are checked as the host checks them (names, column types, `id` not
    /// declared, index columns); the error names the field at fault. All
    /// the capabilities, tables, shared-record grants and case units the
    /// manifest asks for are taken as granted.
    pub fn from_manifest(path_or_text: &str) -> Result<Harness, String> {
        let path = std::path::Path::new(path_or_text);
        let text = if !path_or_text.contains('\n') && path.is_file() {
            std::fs::read_to_string(path).map_err(|e| format!("{path_or_text}: {e}"))?
        } else {
            path_or_text.to_owned()
        };
        let manifest = Manifest::parse(&text)?;
        let tables = manifest.tables.iter().map(|def| (def.name.clone(), Table::new(def.clone()))).collect();
        let state = State { tables, ..State::default() };
        Ok(Harness { host: Some(Host { manifest, state, logs: Vec::new(), caller: None, owner: None }), requests: 0 })
    }

    /// The plugin is owned by unit `id` of `kind`, as a partner's upload is
    /// (by default it has no owner, as a first-party plugin).
    /// [`crate::plugin::owner_unit`] answers with it.
    pub fn owned_by(mut self, id: &str, kind: UnitKind) -> Harness {
        self.host_mut().owner = Some(wit::Unit { id: id.to_owned(), kind });
        self
    }

    fn host(&self) -> &Host {
        self.host.as_ref().expect("the harness lost its host to a panic")
    }

    fn host_mut(&mut self) -> &mut Host {
        self.host.as_mut().expect("the harness lost its host to a panic")
    }

    /// Calls `S`'s handler for `method` `path` (which may end in `?query`)
    /// as `caller`, with `body` as JSON (`content-type: application/json`)
    /// if given. See [`Harness::send`].
    pub fn call<S: Service>(
        &mut self,
        method: &str,
        path: &str,
        caller: &TestCaller,
        body: Option<serde_json::Value>,
    ) -> TestResponse {
        let mut request = TestRequest::new(method, path).caller(caller);
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send::<S>(request)
    }

    /// Runs `request` through `S::router()` exactly as the plugin's export
    /// does (errors become problem answers), in one transaction: everything
    /// the handler wrote (tables, shared records, cases, messages) is kept
    /// if it answers below 500, and undone if it answers 500 or more or
    /// panics. A panic answers 502 `plugin-failed`, as a trap does, and is
    /// logged at error level.
    pub fn send<S: Service>(&mut self, request: TestRequest) -> TestResponse {
        self.requests += 1;
        let request_id = format!("test-{}", self.requests);
        let mut host = self.host.take().expect("the harness lost its host to a panic");
        let snapshot = host.state.clone();
        host.caller = request.caller.0.clone();
        CURRENT.with(|current| {
            assert!(current.borrow().is_none(), "a harness call is already running on this thread");
            *current.borrow_mut() = Some(host);
        });
        let wit_request = wit::Request {
            method: request.method,
            path: request.path,
            query: request.query,
            headers: request.headers,
            body: request.body,
            request_id: request_id.clone(),
            caller: request.caller.0,
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| crate::respond::<S>(wit_request).into_wit()));
        let mut host = CURRENT.with(|current| current.borrow_mut().take()).expect("the harness host went missing");
        host.caller = None;
        let response = match outcome {
            Ok(response) => response,
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic".to_owned());
                host.logs.push(LogLine { level: "error", message: format!("the plugin panicked: {message}") });
                crate::Error::new(502, "plugin-failed", "Service failed", "the service failed; quote the request id")
                    .into_response(&request_id)
                    .into_wit()
            }
        };
        if response.status >= 500 {
            host.state = snapshot;
        }
        self.host = Some(host);
        TestResponse { status: response.status, headers: response.headers, body: response.body }
    }

    /// Every row of the plugin table `table`, in id order, as JSON objects
    /// (`id` first; bytes as arrays of numbers). Panics for an undeclared table.
    pub fn rows(&self, table: &str) -> Vec<serde_json::Value> {
        let table = self.host().state.tables.get(table).unwrap_or_else(|| panic!("no table `{table}` declared"));
        let mut columns = vec!["id".to_owned()];
        columns.extend(table.def.columns.iter().map(|c| c.name.clone()));
        table
            .rows
            .iter()
            .map(|(id, values)| {
                let values: Vec<Value> = std::iter::once(Value::Integer(*id)).chain(values.iter().cloned()).collect();
                crate::data::Rows::from_parts(columns.clone(), vec![values]).to_json()[0].clone()
            })
            .collect()
    }

    /// Seeds a row of `table` from a JSON object, with the same checks as a
    /// handler's insert (JSON numbers, strings, booleans, null and arrays of
    /// bytes map onto the column's type); returns its id. Panics with the
    /// host's message when the row is refused: a seed is the test's own.
    pub fn insert(&mut self, table: &str, row: serde_json::Value) -> i64 {
        let host = self.host_mut();
        let def = match host.state.tables.get(table) {
            Some(t) => t.def.clone(),
            None => panic!("no table `{table}` declared"),
        };
        let values: Vec<Assignment> = object(&row)
            .iter()
            .map(|(column, value)| {
                let ty = def.columns.iter().find(|c| &c.name == column).map(|c| c.ty);
                Assignment { column: column.clone(), value: json_value(value, ty) }
            })
            .collect();
        match host.state.tables.get_mut(table).map(|t| t.insert(&values)) {
            Some(Ok(id)) => id,
            Some(Err(fault)) => panic!("seeding `{table}` failed: {fault:?}"),
            None => unreachable!(),
        }
    }

    /// Every row of the shared table `table` (all columns, `id` first), whoever it belongs to.
    pub fn records(&self, table: &str) -> Vec<serde_json::Value> {
        let Some(table) = self.host().state.shared.get(table) else { return Vec::new() };
        table
            .rows
            .iter()
            .map(|(id, values)| {
                let mut object = serde_json::Map::new();
                object.insert("id".into(), (*id).into());
                for (column, value) in values {
                    object.insert(column.clone(), crate::data::value_to_json(value));
                }
                serde_json::Value::Object(object)
            })
            .collect()
    }

    /// Seeds a row of the shared table `table` belonging to `resident`
    /// (its `resident` column); values are stored as given. Returns its id.
    pub fn insert_record(&mut self, table: &str, resident: &str, row: serde_json::Value) -> i64 {
        let mut values: Vec<(String, Value)> =
            object(&row).iter().map(|(c, v)| (c.clone(), json_value(v, None))).collect();
        values.retain(|(c, _)| c != "resident" && c != "id");
        values.push(("resident".into(), Value::Text(resident.to_owned())));
        self.host_mut().state.shared.entry(table.to_owned()).or_default().push(values)
    }

    /// The cases the service opened (committed ones), oldest first.
    pub fn cases(&self) -> Vec<CaseInfo> {
        self.host().state.cases.cases.iter().map(|c| c.info.clone()).collect()
    }

    /// A case's history, oldest first (empty for an unknown id).
    pub fn case_history(&self, id: i64) -> Vec<HistoryEntry> {
        self.host().state.cases.cases.iter().find(|c| c.info.id == id).map(|c| c.history.clone()).unwrap_or_default()
    }

    /// The messages sent by committed requests, in order.
    pub fn messages(&self) -> &[SentMessage] {
        &self.host().state.messages
    }

    /// Every log line written so far, rolled-back requests included.
    pub fn logs(&self) -> &[LogLine] {
        &self.host().logs
    }
}

fn object(row: &serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    row.as_object().cloned().unwrap_or_else(|| panic!("a row is a JSON object, got {row}"))
}

/// A JSON value as a column value, read as `ty` when known.
fn json_value(value: &serde_json::Value, ty: Option<ColumnType>) -> Value {
    use serde_json::Value as J;
    match (value, ty) {
        (J::Null, _) => Value::Null,
        (J::Bool(b), _) => Value::Boolean(*b),
        (J::Number(n), Some(ColumnType::Real)) => Value::Real(n.as_f64().unwrap_or_default()),
        (J::Number(n), _) => n.as_i64().map_or_else(|| Value::Real(n.as_f64().unwrap_or_default()), Value::Integer),
        (J::String(s), _) => Value::Text(s.clone()),
        (J::Array(items), _) => Value::Bytes(items.iter().map(|i| i.as_u64().unwrap_or_default() as u8).collect()),
        (J::Object(_), _) => Value::Text(value.to_string()),
    }
}
