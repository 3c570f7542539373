//! The one seam between the SDK's builders and the platform: every
//! capability call of the SDK goes through a function of this module.
//!
//! - On `wasm32` these are the generated imports themselves (re-exported, so
//!   the plugin's code is exactly what it would be without the seam).
//! - Off-wasm with the `harness` feature they reach the in-memory host of
//!   the [`crate::harness::Harness`] running the current request.
//! - Off-wasm without it they panic, saying how to run handlers in `cargo test`.

#[cfg(target_arch = "wasm32")]
pub(crate) use wasm::*;

#[cfg(target_arch = "wasm32")]
mod wasm {
    pub(crate) use crate::bindings::onewindow::platform::cases::{
        add_note as cases_add_note, create as cases_create, find as cases_find, get as cases_get,
        get_by_reference as cases_get_by_reference, history as cases_history, refer as cases_refer,
        set_data as cases_set_data, transition as cases_transition,
    };
    pub(crate) use crate::bindings::onewindow::platform::data::{
        count as data_count, delete as data_delete, insert as data_insert, select as data_select, update as data_update,
    };
    pub(crate) use crate::bindings::onewindow::platform::log::write as log_write;
    pub(crate) use crate::bindings::onewindow::platform::notify::send as notify_send;
    pub(crate) use crate::bindings::onewindow::platform::plugin_info::{
        owner_unit as plugin_owner_unit, service_id as plugin_service_id,
    };
    pub(crate) use crate::bindings::onewindow::platform::records::{
        insert as records_insert, provenance as records_provenance, select as records_select, update as records_update,
    };
}

#[cfg(not(target_arch = "wasm32"))]
pub(crate) use native::*;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use crate::bindings::onewindow::platform::cases::{CaseFilter, CaseInfo, HistoryEntry, NewCase, Status};
    use crate::bindings::onewindow::platform::data::{Assignment, Condition, Rows, SelectQuery};
    use crate::bindings::onewindow::platform::log::Level;
    use crate::bindings::onewindow::platform::records::{FieldProvenance, RecordsError};
    use crate::bindings::onewindow::platform::types::{Error, Unit};

    /// Runs `call` against the in-memory host of the running harness.
    #[cfg(feature = "harness")]
    fn with<T>(call: impl FnOnce(&mut crate::harness::Host) -> T) -> T {
        crate::harness::with_current(call)
    }

    /// Without the harness there is no platform to call.
    #[cfg(not(feature = "harness"))]
    fn with<T>(_call: impl FnOnce(&mut Unavailable) -> T) -> T {
        panic!(
            "a Onewindow capability was called outside a plugin: there is no platform here. \
             Enable the `harness` feature to run handlers in cargo test \
             (onewindow-sdk = {{ ..., features = [\"harness\"] }} under [dev-dependencies])"
        )
    }

    /// Stands in for the harness's host when the feature is off; never built.
    #[cfg(not(feature = "harness"))]
    #[allow(dead_code)]
    struct Unavailable;

    #[cfg(not(feature = "harness"))]
    macro_rules! forward {
        ($host:ident . $method:ident ( $($arg:expr),* )) => {{
            $(let _ = $arg;)*
            with(|_: &mut Unavailable| unreachable!())
        }};
    }

    #[cfg(feature = "harness")]
    macro_rules! forward {
        ($host:ident . $method:ident ( $($arg:expr),* )) => {
            with(|$host| $host.$method($($arg),*))
        };
    }

    pub(crate) fn data_select(query: &SelectQuery) -> Result<Rows, Error> {
        forward!(host.data_select(query))
    }

    pub(crate) fn data_insert(table: &str, values: &[Assignment]) -> Result<i64, Error> {
        forward!(host.data_insert(table, values))
    }

    pub(crate) fn data_update(table: &str, set: &[Assignment], conditions: &[Condition]) -> Result<u64, Error> {
        forward!(host.data_update(table, set, conditions))
    }

    pub(crate) fn data_delete(table: &str, conditions: &[Condition]) -> Result<u64, Error> {
        forward!(host.data_delete(table, conditions))
    }

    pub(crate) fn data_count(table: &str, conditions: &[Condition]) -> Result<u64, Error> {
        forward!(host.data_count(table, conditions))
    }

    pub(crate) fn log_write(level: Level, message: &str) {
        forward!(host.log_write(level, message))
    }

    pub(crate) fn records_select(query: &SelectQuery) -> Result<Rows, RecordsError> {
        forward!(host.records_select(query))
    }

    pub(crate) fn records_insert(table: &str, values: &[Assignment]) -> Result<i64, RecordsError> {
        forward!(host.records_insert(table, values))
    }

    pub(crate) fn records_update(
        table: &str,
        set: &[Assignment],
        conditions: &[Condition],
    ) -> Result<u64, RecordsError> {
        forward!(host.records_update(table, set, conditions))
    }

    pub(crate) fn records_provenance(
        table: &str,
        id: i64,
        columns: &[String],
    ) -> Result<Vec<FieldProvenance>, RecordsError> {
        forward!(host.records_provenance(table, id, columns))
    }

    pub(crate) fn cases_create(new: &NewCase) -> Result<CaseInfo, Error> {
        forward!(host.cases_create(new))
    }

    pub(crate) fn cases_get(id: i64) -> Result<CaseInfo, Error> {
        forward!(host.cases_get(id))
    }

    pub(crate) fn cases_get_by_reference(reference: &str) -> Result<CaseInfo, Error> {
        forward!(host.cases_get_by_reference(reference))
    }

    pub(crate) fn cases_find(filter: &CaseFilter) -> Result<Vec<CaseInfo>, Error> {
        forward!(host.cases_find(filter))
    }

    pub(crate) fn cases_history(id: i64) -> Result<Vec<HistoryEntry>, Error> {
        forward!(host.cases_history(id))
    }

    pub(crate) fn cases_transition(id: i64, to: Status, note: &str) -> Result<CaseInfo, Error> {
        forward!(host.cases_transition(id, to, note))
    }

    pub(crate) fn cases_refer(id: i64, unit: &str, keep: bool, note: &str) -> Result<CaseInfo, Error> {
        forward!(host.cases_refer(id, unit, keep, note))
    }

    pub(crate) fn cases_add_note(id: i64, note: &str) -> Result<(), Error> {
        forward!(host.cases_add_note(id, note))
    }

    pub(crate) fn cases_set_data(id: i64, data: &str) -> Result<CaseInfo, Error> {
        forward!(host.cases_set_data(id, data))
    }

    pub(crate) fn plugin_service_id() -> String {
        forward!(host.plugin_service_id())
    }

    pub(crate) fn plugin_owner_unit() -> Option<Unit> {
        forward!(host.plugin_owner_unit())
    }

    pub(crate) fn notify_send(resident: &str, template: &str, params: &[(String, String)]) -> Result<(), Error> {
        forward!(host.notify_send(resident, template, params))
    }
}
