//! The `log` capability: a plugin's log lines, tagged with plugin, version
//! and request id, cut to 4 KiB and limited per request.

use wasmtime::component::{HasSelf, Linker};

use std::sync::Arc;

use crate::registry::manifest::PluginId;
use crate::runtime::plugin_logs::PluginLogs;
use crate::wit::onewindow::platform::log::{self, Level};

/// Longest message kept, and most lines per request.
const MAX_MESSAGE_BYTES: usize = 4096;
const MAX_LINES: u32 = 200;

/// Per-instance log context.
pub struct LogContext {
    plugin: PluginId,
    version: semver::Version,
    request_id: String,
    lines: u32,
    granted: bool,
    /// Where the plugin's own unit reads its lines.
    kept: Arc<PluginLogs>,
}

impl LogContext {
    /// A context for one request; without the grant, lines are dropped.
    pub fn new(
        plugin: PluginId,
        version: semver::Version,
        request_id: String,
        granted: bool,
        kept: Arc<PluginLogs>,
    ) -> LogContext {
        LogContext { plugin, version, request_id, lines: 0, granted, kept }
    }
}

impl LogContext {
    /// A line the plugin printed to stdout or stderr: under the same grant
    /// and the same per-request limits as its log calls.
    pub fn printed(&mut self, stream: Stream, line: &str) {
        let level = match stream {
            Stream::Stdout => Level::Info,
            Stream::Stderr => Level::Warn,
        };
        self.keep(level, stream.name(), line);
    }

    fn keep(&mut self, level: Level, kind: &str, message: &str) {
        if !self.granted {
            // Denied, like any ungranted capability; noted once per request.
            if self.lines == 0 {
                tracing::debug!(target: "plugin", plugin = %self.plugin, request_id = %self.request_id, "log is not granted; dropping lines");
            }
            self.lines = 1;
            return;
        }
        self.lines += 1;
        if self.lines > MAX_LINES {
            if self.lines == MAX_LINES + 1 {
                tracing::warn!(target: "plugin", plugin = %self.plugin, request_id = %self.request_id, "log limit of {MAX_LINES} lines reached; dropping the rest");
            }
            return;
        }
        let message = one_line(truncate(message, MAX_MESSAGE_BYTES));
        let (plugin, version, request_id) = (self.plugin.as_str(), self.version.to_string(), self.request_id.as_str());
        self.kept.push(plugin, &version, request_id, kind, &message);
        match level {
            Level::Trace => tracing::trace!(target: "plugin", plugin, version, request_id, kind, "{message}"),
            Level::Debug => tracing::debug!(target: "plugin", plugin, version, request_id, kind, "{message}"),
            Level::Info => tracing::info!(target: "plugin", plugin, version, request_id, kind, "{message}"),
            Level::Warn => tracing::warn!(target: "plugin", plugin, version, request_id, kind, "{message}"),
            Level::Error => tracing::error!(target: "plugin", plugin, version, request_id, kind, "{message}"),
        }
    }
}

/// Which of a plugin's output streams a line came from.
#[derive(Debug, Clone, Copy)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

impl log::Host for LogContext {
    async fn write(&mut self, level: Level, message: String) {
        let kind = match level {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        };
        self.keep(level, kind, &message);
    }
}

fn truncate(message: &str, max: usize) -> &str {
    if message.len() <= max {
        return message;
    }
    let mut end = max;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    &message[..end]
}

/// Links the `log` interface; `context` finds the per-instance context.
pub fn link<T: Send + 'static>(linker: &mut Linker<T>, context: fn(&mut T) -> &mut LogContext) -> anyhow::Result<()> {
    log::add_to_linker::<T, HasSelf<LogContext>>(linker, context).map_err(|e| anyhow::anyhow!("{e:#}"))
}

/// `text` on one line: CR and LF written as `\r` and `\n`, so a plugin
/// cannot start what looks like another host log line.
pub fn one_line(text: &str) -> String {
    text.replace('\r', "\\r").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_line_cannot_forge_another() {
        let forged = "done\n2026-11-27T00:00:00Z  INFO onewindow: admin signed in\r";
        assert_eq!(super::one_line(forged), "done\\n2026-11-27T00:00:00Z  INFO onewindow: admin signed in\\r");
    }

    #[test]
    fn truncates_on_a_character_boundary() {
        assert_eq!(super::truncate("你好", 4), "你");
        assert_eq!(super::truncate("abc", 4), "abc");
    }
}
