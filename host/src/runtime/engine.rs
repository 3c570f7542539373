//! The process's one wasmtime `Engine`: pooling allocator, epoch
//! interruption driven by a ticker thread, async calls.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::config::RuntimeConfig;

/// How often the epoch advances. At every tick a running guest yields to
/// the executor (and its deadline is checked), so this is also the longest
/// slice a CPU-bound plugin holds a worker thread while other requests wait:
/// with 10 ms, a quiet plugin's answer waited ~36 ms behind two looping
/// plugins on 2 cores; 2 ms keeps that to a few ms for 500 wake-ups a second.
pub const TICK: Duration = Duration::from_millis(2);

/// Bytes of each pooled memory, table and stack kept resident between
/// instances.
const KEEP_RESIDENT: usize = 2 << 20;

/// What one instance may contain. A Rust component needs one memory and a
/// few core instances (its module plus adapter shims); componentize-py
/// links a dozen modules over one memory. Capping them keeps one plugin
/// from claiming the pool's memories and tables for itself, and makes the
/// pool's totals exact: every component-instance slot can be filled.
pub const MAX_MEMORIES_PER_INSTANCE: u32 = 2;
pub const MAX_TABLES_PER_INSTANCE: u32 = 32;
pub const MAX_CORE_INSTANCES_PER_INSTANCE: u32 = 32;

/// Builds the engine.
pub fn build(config: &RuntimeConfig) -> anyhow::Result<Engine> {
    let slots = config.pool_instances.max(1);
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(slots)
        .max_memories_per_component(MAX_MEMORIES_PER_INSTANCE)
        .max_tables_per_component(MAX_TABLES_PER_INSTANCE)
        .max_core_instances_per_component(MAX_CORE_INSTANCES_PER_INSTANCE)
        .total_core_instances(slots * MAX_CORE_INSTANCES_PER_INSTANCE)
        .total_memories(slots * MAX_MEMORIES_PER_INSTANCE)
        .total_tables(slots * MAX_TABLES_PER_INSTANCE)
        .max_memory_size((config.max_memory_mb as usize) << 20)
        // Reset a finished instance's memory by rewriting the pages it
        // touched (found with PAGEMAP_SCAN where the kernel has it) instead
        // of unmapping them: the next instance then starts without page
        // faults. This is most of the cost of a fresh instance per request.
        .pagemap_scan(wasmtime::Enabled::Auto)
        .linear_memory_keep_resident(KEEP_RESIDENT)
        .table_keep_resident(KEEP_RESIDENT)
        .async_stack_keep_resident(KEEP_RESIDENT);

    let mut wasm = Config::new();
    wasm.wasm_component_model(true)
        .epoch_interruption(true)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&wasm).map_err(|e| anyhow::anyhow!("cannot create the wasm engine: {e:#}"))
}

/// Advances the engine's epoch every [`TICK`] until dropped.
pub struct EpochTicker {
    stop: Arc<AtomicBool>,
}

impl EpochTicker {
    /// Starts the ticker on its own thread (so a busy async runtime cannot
    /// delay a deadline).
    pub fn start(engine: Engine) -> EpochTicker {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::Builder::new()
            .name("wasm-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    engine.increment_epoch();
                }
            })
            .expect("spawning the epoch thread");
        EpochTicker { stop }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
