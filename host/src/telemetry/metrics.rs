//! Prometheus metrics: one process-wide recorder, named recording functions
//! so call sites stay one line, and the text an admin scrapes at `/metrics`.
//!
//! Labels are bounded: per-plugin series carry the plugin id and version
//! only (plus a fixed set of kinds), never paths, users or request ids.
//! Per-plugin handles are registered once when a version is loaded
//! ([`PluginMetrics`]), so a call pays an atomic add, not a registry lookup.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ::metrics::{Counter, Histogram, Label, counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Request latencies: 100 µs to 10 s.
const LATENCY_BUCKETS: &[f64] =
    &[0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// Instantiation and data calls are microseconds when all is well.
const FINE_BUCKETS: &[f64] =
    &[0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01, 0.1, 1.0];
/// How often histogram samples are folded into their buckets when nobody
/// scrapes (otherwise they pile up in memory until the next scrape).
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the recorder once per process (tests start many hosts in one
/// process; they share it) and returns its handle.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(LATENCY_BUCKETS)
            .and_then(|b| b.set_buckets_for_metric(Matcher::Full(INSTANTIATION.into()), FINE_BUCKETS))
            .and_then(|b| b.set_buckets_for_metric(Matcher::Full(DATA_CALL_DURATION.into()), FINE_BUCKETS))
            .expect("the bucket lists are not empty")
            .build_recorder();
        let handle = recorder.handle();
        if let Err(e) = ::metrics::set_global_recorder(recorder) {
            // Only another recorder installed by hand in this process gets here.
            tracing::warn!("metrics are not recorded: {e}");
        }
        describe();
        let upkeep = handle.clone();
        let _ = std::thread::Builder::new().name("metrics-upkeep".into()).spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_EVERY);
                upkeep.run_upkeep();
            }
        });
        handle
    })
}

/// The exposition text (Prometheus text format 0.0.4).
pub fn render() -> String {
    install().render()
}

const REQUESTS: &str = "onewindow_plugin_requests_total";
const REQUEST_DURATION: &str = "onewindow_plugin_request_duration_seconds";
const TRAPS: &str = "onewindow_plugin_traps_total";
const TIMEOUTS: &str = "onewindow_plugin_timeouts_total";
const MEMORY_KILLS: &str = "onewindow_plugin_memory_kills_total";
const BUSY_REFUSALS: &str = "onewindow_plugin_busy_refusals_total";
const INSTANTIATION: &str = "onewindow_plugin_instantiation_seconds";
const DATA_CALLS: &str = "onewindow_plugin_data_calls_total";
const DATA_CALL_DURATION: &str = "onewindow_plugin_data_call_duration_seconds";
const INSTANCES_IN_USE: &str = "onewindow_instances_in_use";
const INSTANCE_POOL_SIZE: &str = "onewindow_instance_pool_size";
const COMPUTE_LANES: &str = "onewindow_compute_lanes";
const COMPUTE_LANES_IN_USE: &str = "onewindow_compute_lanes_in_use";
const DB_CONNECTIONS: &str = "onewindow_db_connections";
const DB_MAX_CONNECTIONS: &str = "onewindow_db_max_connections";
const DB_WAITING: &str = "onewindow_db_plugin_transactions_waiting";
const SIGN_INS: &str = "onewindow_sign_ins_total";
const UPLOADS: &str = "onewindow_plugin_uploads_total";
const REVIEWS: &str = "onewindow_plugin_reviews_total";

fn describe() {
    use ::metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(REQUESTS, "Calls of a plugin version, by the status class the caller got.");
    describe_histogram!(REQUEST_DURATION, Unit::Seconds, "Time from admission to answer of a plugin call.");
    describe_counter!(TRAPS, "Plugin calls that trapped (crashed).");
    describe_counter!(TIMEOUTS, "Plugin calls stopped at their deadline.");
    describe_counter!(MEMORY_KILLS, "Plugin calls stopped at their memory limit.");
    describe_counter!(BUSY_REFUSALS, "Calls refused as busy: `limit` is the plugin's own concurrency or the pool.");
    describe_histogram!(INSTANTIATION, Unit::Seconds, "Time to instantiate a fresh instance for one call.");
    describe_counter!(DATA_CALLS, "Calls of the data capability, by operation.");
    describe_histogram!(DATA_CALL_DURATION, Unit::Seconds, "Time a data capability call took.");
    describe_gauge!(INSTANCES_IN_USE, "Instance pool slots in use across every plugin.");
    describe_gauge!(INSTANCE_POOL_SIZE, "Instance pool slots in all (runtime.pool_instances).");
    describe_gauge!(COMPUTE_LANES, "Cores that calls computing past about 10 ms share (runtime.compute_lanes).");
    describe_gauge!(COMPUTE_LANES_IN_USE, "Compute lanes held by long calls now.");
    describe_gauge!(DB_CONNECTIONS, "Database connections of a pool, in use or idle.");
    describe_gauge!(DB_MAX_CONNECTIONS, "Most connections a database pool opens (max_connections).");
    describe_gauge!(DB_WAITING, "Plugin transactions waiting for a database connection slot.");
    describe_counter!(SIGN_INS, "Sign-in attempts by outcome.");
    describe_counter!(UPLOADS, "Plugin uploads by outcome.");
    describe_counter!(REVIEWS, "Pending plugin versions approved (and active) or rejected by an admin.");
}

/// The class of an HTTP status the caller got: `2xx` … `5xx` (a plugin's
/// 1xx never reaches a caller: the host refuses it as a bad response).
fn status_class(status: u16) -> usize {
    (status / 100).clamp(2, 5) as usize - 2
}

const STATUS_CLASSES: [&str; 4] = ["2xx", "3xx", "4xx", "5xx"];

/// Why a call was refused as busy.
#[derive(Debug, Clone, Copy)]
pub enum BusyLimit {
    /// The plugin's own `max-concurrency`.
    Plugin,
    /// The platform's instance pool.
    Pool,
}

/// An operation of the data capability.
#[derive(Debug, Clone, Copy)]
pub enum DataOp {
    Select,
    Insert,
    Update,
    Delete,
    Count,
}

const DATA_OPS: [&str; 5] = ["select", "insert", "update", "delete", "count"];

/// The series of one plugin version, registered when it is loaded.
pub struct PluginMetrics {
    requests: [Counter; 4],
    request_duration: Histogram,
    traps: Counter,
    timeouts: Counter,
    memory_kills: Counter,
    busy: [Counter; 2],
    instantiation: Histogram,
    data_calls: [Counter; 5],
    data_call_duration: Histogram,
}

impl PluginMetrics {
    /// Registers the series of `plugin` at `version` (no-ops before
    /// [`install`], e.g. in unit tests and benches).
    pub fn new(plugin: &str, version: &str) -> PluginMetrics {
        let labels = || vec![Label::new("plugin", plugin.to_owned()), Label::new("version", version.to_owned())];
        let with = |key: &'static str, value: &'static str| {
            let mut labels = labels();
            labels.push(Label::new(key, value));
            labels
        };
        PluginMetrics {
            requests: STATUS_CLASSES.map(|class| counter!(REQUESTS, with("status_class", class))),
            request_duration: histogram!(REQUEST_DURATION, labels()),
            traps: counter!(TRAPS, labels()),
            timeouts: counter!(TIMEOUTS, labels()),
            memory_kills: counter!(MEMORY_KILLS, labels()),
            busy: ["plugin", "pool"].map(|limit| counter!(BUSY_REFUSALS, with("limit", limit))),
            instantiation: histogram!(INSTANTIATION, labels()),
            data_calls: DATA_OPS.map(|op| counter!(DATA_CALLS, with("operation", op))),
            data_call_duration: histogram!(DATA_CALL_DURATION, labels()),
        }
    }

    /// A call answered with `status` after `elapsed`.
    pub fn call_finished(&self, status: u16, elapsed: Duration) {
        self.requests[status_class(status)].increment(1);
        self.request_duration.record(elapsed);
    }

    pub fn trapped(&self) {
        self.traps.increment(1);
    }

    pub fn timed_out(&self) {
        self.timeouts.increment(1);
    }

    pub fn memory_killed(&self) {
        self.memory_kills.increment(1);
    }

    pub fn refused_busy(&self, limit: BusyLimit) {
        self.busy[limit as usize].increment(1);
    }

    pub fn instantiated(&self, elapsed: Duration) {
        self.instantiation.record(elapsed);
    }

    /// Times one data call until the returned guard is dropped, whichever
    /// way the call returns.
    pub fn data_call(self: &Arc<Self>, op: DataOp) -> DataCallTimer {
        DataCallTimer { metrics: self.clone(), op, started: Instant::now() }
    }
}

/// Records a data call when dropped.
pub struct DataCallTimer {
    metrics: Arc<PluginMetrics>,
    op: DataOp,
    started: Instant,
}

impl Drop for DataCallTimer {
    fn drop(&mut self) {
        self.metrics.data_calls[self.op as usize].increment(1);
        self.metrics.data_call_duration.record(self.started.elapsed());
    }
}

/// Platform-wide figures read at scrape time.
pub struct PlatformGauges {
    pub instances_in_use: usize,
    pub instance_pool_size: u32,
    /// `(lanes, lanes held)`: see `runtime::compute_lanes`.
    pub compute_lanes: (usize, usize),
    /// `(pool name, connections open, idle, most it opens)`.
    pub db_pools: Vec<(&'static str, u32, usize, u32)>,
}

/// Sets the platform gauges just before rendering.
pub fn set_platform(figures: &PlatformGauges) {
    gauge!(INSTANCES_IN_USE).set(figures.instances_in_use as f64);
    gauge!(INSTANCE_POOL_SIZE).set(figures.instance_pool_size);
    gauge!(COMPUTE_LANES).set(figures.compute_lanes.0 as f64);
    gauge!(COMPUTE_LANES_IN_USE).set(figures.compute_lanes.1 as f64);
    for &(pool, size, idle, max) in &figures.db_pools {
        let in_use = (size as usize).saturating_sub(idle);
        gauge!(DB_CONNECTIONS, "pool" => pool, "state" => "in_use").set(in_use as f64);
        gauge!(DB_CONNECTIONS, "pool" => pool, "state" => "idle").set(idle as f64);
        gauge!(DB_MAX_CONNECTIONS, "pool" => pool).set(max);
    }
    gauge!(DB_WAITING).set(DB_WAITERS.load(Ordering::Relaxed) as f64);
}

/// Plugin transactions waiting now for their share of the data pool; a
/// plain atomic, read at scrape time (cheaper on the hot path than a gauge).
static DB_WAITERS: AtomicUsize = AtomicUsize::new(0);

/// Counts the caller as waiting for a database connection until the
/// returned guard is dropped.
pub fn waiting_for_db() -> DbWaiter {
    DB_WAITERS.fetch_add(1, Ordering::Relaxed);
    DbWaiter(())
}

/// One waiter; see [`waiting_for_db`].
pub struct DbWaiter(());

impl Drop for DbWaiter {
    fn drop(&mut self) {
        DB_WAITERS.fetch_sub(1, Ordering::Relaxed);
    }
}

/// How a sign-in ended.
#[derive(Debug, Clone, Copy)]
pub enum SignIn {
    Succeeded,
    /// Wrong username or password.
    Refused,
    /// Too many attempts (429).
    Throttled,
}

pub fn sign_in(outcome: SignIn) {
    let outcome = match outcome {
        SignIn::Succeeded => "succeeded",
        SignIn::Refused => "refused",
        SignIn::Throttled => "throttled",
    };
    counter!(SIGN_INS, "outcome" => outcome).increment(1);
}

/// An upload was stored as pending (`accepted`) or refused.
pub fn upload_finished(accepted: bool) {
    counter!(UPLOADS, "outcome" => if accepted { "accepted" } else { "refused" }).increment(1);
}

/// An admin approved a pending version (now active) or rejected it.
pub fn version_reviewed(approved: bool) {
    counter!(REVIEWS, "decision" => if approved { "approved" } else { "rejected" }).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_fall_into_their_class() {
        assert_eq!(STATUS_CLASSES[status_class(204)], "2xx");
        assert_eq!(STATUS_CLASSES[status_class(308)], "3xx");
        assert_eq!(STATUS_CLASSES[status_class(429)], "4xx");
        assert_eq!(STATUS_CLASSES[status_class(504)], "5xx");
    }

    #[test]
    fn a_plugins_series_carry_its_id_and_version_only() {
        install();
        let metrics = PluginMetrics::new("unit-test-plugin", "1.2.3");
        metrics.call_finished(201, Duration::from_millis(3));
        metrics.refused_busy(BusyLimit::Pool);
        let text = render();
        let line = |name: &str| text.lines().find(|l| l.starts_with(name)).map(str::to_owned);
        assert_eq!(
            line(r#"onewindow_plugin_requests_total{plugin="unit-test-plugin",version="1.2.3",status_class="2xx"}"#)
                .as_deref(),
            Some(r#"onewindow_plugin_requests_total{plugin="unit-test-plugin",version="1.2.3",status_class="2xx"} 1"#)
        );
        assert!(
            text.contains(
                r#"onewindow_plugin_busy_refusals_total{plugin="unit-test-plugin",version="1.2.3",limit="pool"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"onewindow_plugin_request_duration_seconds_count{plugin="unit-test-plugin",version="1.2.3"} 1"#
            ),
            "{text}"
        );
    }
}
