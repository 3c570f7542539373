//! The per-request store state: each capability's context, the WASI context
//! (empty but for clocks and random), captured stdout/stderr and the memory
//! limiter. Small, and dropped with the instance after one request.

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::capabilities::cases::CasesContext;
use crate::capabilities::data::DataContext;
use crate::capabilities::log::{LogContext, Stream};
use crate::capabilities::notify::NotifyContext;
use crate::capabilities::plugin_info::PluginInfoContext;
use crate::capabilities::records::RecordsContext;

use super::compute_lanes::ComputeMeter;
use super::limits::MemoryLimiter;
use super::output::CappedOutput;

/// How much of a plugin's stdout and stderr is kept per request.
const CAPTURE_BYTES: usize = 64 * 1024;

/// Each capability's context for one request.
pub struct Capabilities {
    pub data: DataContext,
    pub log: LogContext,
    pub records: RecordsContext,
    pub cases: CasesContext,
    pub notify: NotifyContext,
    pub plugin_info: PluginInfoContext,
}

/// Everything one instance can reach.
pub struct InstanceState {
    pub data: DataContext,
    pub log: LogContext,
    pub records: RecordsContext,
    pub cases: CasesContext,
    pub notify: NotifyContext,
    pub plugin_info: PluginInfoContext,
    pub limiter: MemoryLimiter,
    /// How long the guest's own code has run (see `compute_lanes`).
    pub compute: ComputeMeter,
    wasi: WasiCtx,
    table: ResourceTable,
    stdout: CappedOutput,
    stderr: CappedOutput,
}

impl InstanceState {
    /// State for one request.
    pub fn new(capabilities: Capabilities, limiter: MemoryLimiter) -> InstanceState {
        let Capabilities { data, log, records, cases, notify, plugin_info } = capabilities;
        let stdout = CappedOutput::new(CAPTURE_BYTES);
        let stderr = CappedOutput::new(CAPTURE_BYTES);
        // No preopened directories, no environment, no arguments, no network
        // (the builder's socket check denies every address by default).
        let wasi = WasiCtx::builder().stdout(stdout.clone()).stderr(stderr.clone()).build();
        InstanceState {
            data,
            log,
            records,
            cases,
            notify,
            plugin_info,
            limiter,
            compute: ComputeMeter::default(),
            wasi,
            table: ResourceTable::new(),
            stdout,
            stderr,
        }
    }

    /// Passes what the plugin printed to its log, line by line, under the
    /// log grant and limits; a note says how much did not fit the capture.
    pub fn log_printed_output(&mut self) {
        for (stream, output) in [(Stream::Stdout, self.stdout.clone()), (Stream::Stderr, self.stderr.clone())] {
            let (kept, dropped) = output.contents();
            for line in String::from_utf8_lossy(&kept).lines().filter(|l| !l.trim().is_empty()) {
                self.log.printed(stream, line);
            }
            if dropped > 0 {
                let note = format!(
                    "… {dropped} more bytes dropped (at most {} KiB are kept per request)",
                    CAPTURE_BYTES >> 10
                );
                self.log.printed(stream, &note);
            }
        }
    }
}

impl WasiView for InstanceState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

/// A linker with every capability a plugin may import.
pub fn linker(engine: &wasmtime::Engine) -> anyhow::Result<wasmtime::component::Linker<InstanceState>> {
    use crate::capabilities::{cases, data, log, notify, plugin_info, records, wasi};
    let mut linker = wasmtime::component::Linker::<InstanceState>::new(engine);
    wasi::link(&mut linker)?;
    data::link(&mut linker, |state| &mut state.data)?;
    log::link(&mut linker, |state| &mut state.log)?;
    records::link(&mut linker, |state| &mut state.records)?;
    cases::link(&mut linker, |state| &mut state.cases)?;
    notify::link(&mut linker, |state| &mut state.notify)?;
    plugin_info::link(&mut linker, |state| &mut state.plugin_info)?;
    Ok(linker)
}
