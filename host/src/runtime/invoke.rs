//! One request, one fresh instance, one transaction.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::{Engine, Trap, UpdateDeadline};

use super::compute_lanes::{AtTick, CallCompute};
use super::limits::MemoryLimiter;
use super::loaded::LoadedPlugin;
use super::state::{Capabilities, InstanceState};
use crate::capabilities::cases::CasesContext;
use crate::capabilities::data::DataContext;
use crate::capabilities::grant;
use crate::capabilities::log::LogContext;
use crate::capabilities::notify::NotifyContext;
use crate::capabilities::plugin_info::PluginInfoContext;
use crate::capabilities::records::RecordsContext;
use crate::records::access_log::{self, Via};
use crate::records::engine::{Actor, Session};
use crate::records::sealing::Keyring;
use crate::runtime::plugin_logs::PluginLogs;
use crate::store::Store;
use crate::store::accounts::Role;
use crate::store::tx::RequestTx;
use crate::telemetry::metrics::BusyLimit;
use crate::wit::{Request, Response};

/// Extra wall-clock time past the epoch deadline before the host gives up
/// on a call that is stuck in a host function (e.g. a slow database).
const GRACE: Duration = Duration::from_millis(250);

/// A request to run.
pub struct Invocation {
    pub request: Request,
}

/// Why a call produced no usable response. Each fails only its own request.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// Every instance slot of the plugin is busy.
    #[error("the service is at its limit of {0} concurrent requests")]
    Busy(u32),
    /// The platform's instance pool is full (or the plugin holds more
    /// than its share of it while it runs low).
    #[error("the platform is serving as many requests as it can; retry shortly")]
    PoolBusy,
    /// The call ran past its deadline and was stopped.
    #[error("the service did not answer within {} ms", .0.as_millis())]
    Timeout(Duration),
    /// The call tried to use more memory than the plugin may.
    #[error("the service ran out of its {} MiB of memory", .0 >> 20)]
    MemoryLimit(usize),
    /// The plugin trapped (crashed). The string is the trap kind, safe to show.
    #[error("the service failed while handling the request ({0})")]
    Trapped(String),
    /// The plugin answered something the host will not pass on.
    #[error("the service gave an invalid answer: {0}")]
    BadResponse(String),
    /// The host could not finish the call (e.g. the commit failed).
    #[error("the platform could not complete the request: {0}")]
    Unavailable(String),
}

/// Memory past which a finished instance is given back off the executor:
/// returning tens of MB of touched pages takes milliseconds, which the
/// other requests on the same worker thread would wait for.
const RELEASE_OFF_EXECUTOR_BYTES: usize = 16 << 20;

/// A call's instance with its pool slot, given back together when the
/// call ends (the slot last, so admission never promises a slot wasmtime
/// still holds).
struct Instance {
    store: Option<wasmtime::Store<InstanceState>>,
    pool_slot: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl Instance {
    fn new(store: wasmtime::Store<InstanceState>, pool_slot: tokio::sync::OwnedSemaphorePermit) -> Instance {
        Instance { store: Some(store), pool_slot: Some(pool_slot) }
    }
}

impl std::ops::Deref for Instance {
    type Target = wasmtime::Store<InstanceState>;
    fn deref(&self) -> &Self::Target {
        self.store.as_ref().expect("the store lives until the instance is dropped")
    }
}

impl std::ops::DerefMut for Instance {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.store.as_mut().expect("the store lives until the instance is dropped")
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let (Some(store), slot) = (self.store.take(), self.pool_slot.take()) else { return };
        if store.data().limiter.granted() < RELEASE_OFF_EXECUTOR_BYTES {
            return drop((store, slot));
        }
        let release = move || drop((store, slot));
        // Outside a runtime (never in the host) it is simply dropped here.
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn_blocking(release)),
            Err(_) => release(),
        }
    }
}

/// What admission gives a call: its instance slot, and the bookkeeping
/// of its computation (see `compute_lanes`).
pub struct Admitted {
    pub slot: tokio::sync::OwnedSemaphorePermit,
    pub compute: CallCompute,
}

/// Runs `invocation` against a fresh instance of `plugin`.
pub async fn invoke(
    engine: &Engine,
    store: &Store,
    keyring: &Arc<Keyring>,
    logs: &Arc<PluginLogs>,
    plugin: &LoadedPlugin,
    admit: impl FnOnce() -> Option<Admitted>,
    invocation: Invocation,
) -> Result<Response, InvokeError> {
    let limits = *plugin.limits();
    let metrics = plugin.metrics();
    let Ok(_slot) = plugin.slots().clone().try_acquire_owned() else {
        metrics.refused_busy(BusyLimit::Plugin);
        return Err(InvokeError::Busy(limits.max_concurrency));
    };
    let Some(Admitted { slot: pool_slot, mut compute }) = admit() else {
        metrics.refused_busy(BusyLimit::Pool);
        return Err(InvokeError::PoolBusy);
    };
    let manifest = plugin.manifest();
    let request_id = invocation.request.request_id.clone();

    // The deadline counts from now, instantiation included.
    let deadline = Instant::now() + limits.timeout;
    let tx = RequestTx::with_deadline(store.clone(), deadline);
    let actor = actor_of(&invocation.request);
    let session = Session {
        store: store.clone(),
        tx: tx.clone(),
        keyring: keyring.clone(),
        policy: plugin.records().clone(),
        actor: actor.clone(),
        via: Via::Plugin {
            id: manifest.id.to_string(),
            version: manifest.version.to_string(),
            partner: plugin.owned_by_partner(),
        },
        request_id: request_id.clone(),
        mask_sensitive: false,
        reveal: Vec::new(),
        reads: Vec::new(),
    };
    let capabilities = Capabilities {
        data: DataContext::new(plugin.schema().clone(), tx.clone(), metrics.clone()),
        log: LogContext::new(
            manifest.id.clone(),
            manifest.version.clone(),
            request_id.clone(),
            grant::allows(plugin.grants(), "log", None),
            logs.clone(),
        ),
        records: RecordsContext::new(session),
        cases: CasesContext::new(
            plugin.cases().clone(),
            store.clone(),
            tx.clone(),
            actor.subject.clone().unwrap_or_else(|| "anonymous".into()),
            actor.unit.clone(),
        ),
        notify: NotifyContext::new(plugin.templates().clone(), store.clone(), tx.clone()),
        plugin_info: PluginInfoContext::new(manifest.id.as_str().to_owned(), plugin.owner().cloned()),
    };
    let state = InstanceState::new(capabilities, MemoryLimiter::new(limits.memory_bytes));
    let mut wasm_store = Instance::new(wasmtime::Store::new(engine, state), pool_slot);
    wasm_store.limiter(|state| &mut state.limiter);
    // At every epoch tick a guest that has computed yields to the executor,
    // so a plugin that computes for long never holds a worker thread from
    // other requests (and past `compute_lanes::LONG_AFTER` it runs only on
    // a compute lane); past the deadline it is interrupted.
    wasm_store.call_hook(|mut store, hook| {
        store.data_mut().compute.hook(hook, Instant::now);
        Ok(())
    });
    wasm_store.set_epoch_deadline(1);
    let lane = compute.release_handle();
    wasm_store.epoch_deadline_callback(move |store| {
        let now = Instant::now();
        if now >= deadline {
            return Ok(UpdateDeadline::Interrupt);
        }
        Ok(match compute.on_tick(store.data().compute.spent(now), deadline) {
            AtTick::RunOn => UpdateDeadline::Continue(1),
            AtTick::Wait(wait) => UpdateDeadline::YieldCustom(1, wait),
        })
    });

    let call = async {
        let started = Instant::now();
        let service = plugin.pre().instantiate_async(&mut *wasm_store).await?;
        metrics.instantiated(started.elapsed());
        service.call_handle(&mut *wasm_store, &invocation.request).await
    };
    let outcome = tokio::time::timeout(limits.timeout + GRACE, call).await;
    lane.release();
    wasm_store.data_mut().log_printed_output();
    // The reads happened whatever the outcome: log them before anything
    // else, and let no answer out whose reads could not be logged.
    let reads = wasm_store.data_mut().records.take_reads();
    access_log::write(store, &reads).await.map_err(|e| {
        tracing::error!(plugin = %manifest.id, request_id, "access log write failed: {e:#}");
        InvokeError::Unavailable("its reads of personal data could not be logged".into())
    })?;

    let response = match outcome {
        Err(_elapsed) => {
            metrics.timed_out();
            let failure = InvokeError::Timeout(limits.timeout);
            logs.push(
                manifest.id.as_str(),
                &manifest.version.to_string(),
                &request_id,
                "failure",
                &failure.to_string(),
            );
            return Err(failure);
        }
        Ok(Err(error)) => {
            // The owner's log gets where it failed; the caller only the kind.
            let backtrace = guest_backtrace(&error);
            let failure = classify_failure(error, wasm_store.data(), &limits, manifest.id.as_str(), &request_id);
            match &failure {
                InvokeError::Timeout(_) => metrics.timed_out(),
                InvokeError::MemoryLimit(_) => metrics.memory_killed(),
                InvokeError::Trapped(_) => metrics.trapped(),
                InvokeError::PoolBusy => metrics.refused_busy(BusyLimit::Pool),
                _ => {}
            }
            logs.push(
                manifest.id.as_str(),
                &manifest.version.to_string(),
                &request_id,
                "failure",
                &format!("{failure}{backtrace}"),
            );
            return Err(failure);
        }
        Ok(Ok(response)) => response,
    };
    check_response(&response, limits.max_response_bytes)?;
    if response.status >= 500 {
        // The plugin says it failed: keep none of its half-done work (a
        // client retrying must not find the first attempt's rows).
        return Ok(response);
    }
    // Only a normal return with a usable, non-failure answer commits the
    // plugin's writes; every other path drops the transaction, which rolls
    // it back.
    tx.commit().await.map_err(|e| {
        tracing::error!(plugin = %manifest.id, request_id, "commit failed: {e:#}");
        InvokeError::Unavailable("its changes could not be saved".into())
    })?;
    Ok(response)
}

fn classify_failure(
    error: wasmtime::Error,
    state: &InstanceState,
    limits: &super::PluginLimits,
    plugin: &str,
    request_id: &str,
) -> InvokeError {
    // The full error (with host and guest backtraces) goes to the log only.
    tracing::warn!(plugin, request_id, "plugin call failed: {error:#}");
    if state.limiter.was_hit() {
        return InvokeError::MemoryLimit(limits.memory_bytes);
    }
    // Admission keeps the pool from running out; should it still, the
    // caller is told to retry, as for any other busy pool.
    if error.downcast_ref::<wasmtime::PoolConcurrencyLimitError>().is_some() {
        return InvokeError::PoolBusy;
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => InvokeError::Timeout(limits.timeout),
        Some(trap) => InvokeError::Trapped(trap.to_string()),
        None => InvokeError::Trapped("host error".into()),
    }
}

/// The guest functions on the stack when `error` happened, innermost
/// first, named from the component's name section where it kept one.
fn guest_backtrace(error: &wasmtime::Error) -> String {
    const MAX_FRAMES: usize = 16;
    let Some(backtrace) = error.downcast_ref::<wasmtime::WasmBacktrace>() else { return String::new() };
    let mut text = String::new();
    for frame in backtrace.frames().iter().take(MAX_FRAMES) {
        let name = frame.func_name().map_or_else(|| format!("function #{}", frame.func_index()), demangle);
        text.push_str(&format!("\n  at {name}"));
    }
    if backtrace.frames().len() > MAX_FRAMES {
        text.push_str(&format!("\n  … {} more", backtrace.frames().len() - MAX_FRAMES));
    }
    text
}

/// Rust symbol names as a developer writes them (`gas::handlers::open`).
fn demangle(name: &str) -> String {
    rustc_demangle::try_demangle(name).map_or_else(|_| name.to_owned(), |d| format!("{d:#}"))
}

/// The most headers one answer may carry.
const MAX_RESPONSE_HEADERS: usize = 32;

/// A plugin's answer must be a final HTTP answer (no 1xx: the host, not the
/// plugin, speaks the protocol) within the response size limit, headers
/// included.
fn check_response(response: &Response, max_size: usize) -> Result<(), InvokeError> {
    if !(200..=599).contains(&response.status) {
        return Err(InvokeError::BadResponse(format!(
            "status {} is not a final HTTP answer (200 to 599)",
            response.status
        )));
    }
    if response.headers.len() > MAX_RESPONSE_HEADERS {
        return Err(InvokeError::BadResponse(format!(
            "{} headers exceed the limit of {MAX_RESPONSE_HEADERS}",
            response.headers.len()
        )));
    }
    let header_bytes: usize = response.headers.iter().map(|(name, value)| name.len() + value.len()).sum();
    if response.body.len() + header_bytes > max_size {
        return Err(InvokeError::BadResponse(format!(
            "answer of {} bytes (body {}, headers {header_bytes}) exceeds the {max_size}-byte limit",
            response.body.len() + header_bytes,
            response.body.len()
        )));
    }
    Ok(())
}

/// Who the caller is, as the records engine sees them.
fn actor_of(request: &Request) -> Actor {
    match &request.caller {
        None => Actor { subject: None, role: None, unit: None },
        Some(caller) => Actor {
            subject: Some(caller.subject.clone()),
            role: Some(match caller.role {
                crate::wit::Role::Resident => Role::Resident,
                crate::wit::Role::Staff => Role::Staff,
                crate::wit::Role::Admin => Role::Admin,
            }),
            unit: caller.unit.as_ref().map(|u| u.id.clone()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Response {
        Response {
            status,
            headers: headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
            body: body.to_vec(),
        }
    }

    #[test]
    fn only_final_answers_within_the_size_limit_pass() {
        assert!(check_response(&answer(204, &[], b""), 100).is_ok());
        for status in [100, 101, 103, 199, 600] {
            let refused = check_response(&answer(status, &[], b""), 100).unwrap_err().to_string();
            assert!(refused.contains("not a final HTTP answer"), "{status}: {refused}");
        }
        // Headers count toward the size, and their number is capped.
        assert!(check_response(&answer(200, &[("etag", "x")], &[0; 95]), 100).is_ok());
        assert!(check_response(&answer(200, &[("etag", "xx")], &[0; 95]), 100).is_err());
        let many: Vec<(&str, &str)> = (0..=MAX_RESPONSE_HEADERS).map(|_| ("link", "</api/v1/services/a>")).collect();
        assert!(check_response(&answer(200, &many, b""), 1 << 20).unwrap_err().to_string().contains("headers exceed"));
    }
}
