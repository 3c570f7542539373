//! What each plugin said, kept for its own unit to read: log lines, what it
//! printed, and how its calls failed. A bounded ring per plugin, in the
//! memory of this host (it starts empty on a restart and is not shared
//! between hosts; the host's own log keeps everything).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Lines kept per plugin; older ones are dropped first.
const KEPT_PER_PLUGIN: usize = 1000;

/// One line of a plugin's log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct PluginLogLine {
    /// Increasing across the host: pass the last one seen as `after`.
    pub seq: u64,
    pub at: String,
    pub version: String,
    pub request_id: String,
    /// `trace` … `error` for log lines; `stdout` / `stderr` for what it
    /// printed; `failure` for a trap, timeout or memory kill.
    pub kind: String,
    pub message: String,
}

/// Every plugin's recent lines.
#[derive(Default)]
pub struct PluginLogs {
    lines: Mutex<HashMap<String, VecDeque<PluginLogLine>>>,
    next: AtomicU64,
}

impl PluginLogs {
    /// Keeps one line of `plugin`.
    pub fn push(&self, plugin: &str, version: &str, request_id: &str, kind: &str, message: &str) {
        let line = PluginLogLine {
            seq: self.next.fetch_add(1, Ordering::Relaxed) + 1,
            at: crate::store::timestamp::now(),
            version: version.to_owned(),
            request_id: request_id.to_owned(),
            kind: kind.to_owned(),
            message: message.to_owned(),
        };
        let mut all = self.lines.lock().expect("plugin log lock poisoned");
        let ring = all.entry(plugin.to_owned()).or_default();
        if ring.len() == KEPT_PER_PLUGIN {
            ring.pop_front();
        }
        ring.push_back(line);
    }

    /// `plugin`'s lines after `after`, oldest first, at most `limit`.
    pub fn read(&self, plugin: &str, after: u64, limit: usize) -> Vec<PluginLogLine> {
        let all = self.lines.lock().expect("plugin log lock poisoned");
        all.get(plugin)
            .map(|ring| ring.iter().filter(|l| l.seq > after).take(limit).cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_lines_per_plugin_in_order() {
        let logs = PluginLogs::default();
        for n in 0..KEPT_PER_PLUGIN + 5 {
            logs.push("gas", "1.0.0", "r", "info", &format!("line {n}"));
        }
        logs.push("water", "1.0.0", "r", "info", "other plugin");
        let gas = logs.read("gas", 0, usize::MAX);
        assert_eq!(gas.len(), KEPT_PER_PLUGIN);
        assert_eq!(gas[0].message, "line 5", "the oldest went first");
        let last = gas.last().unwrap().seq;
        assert!(logs.read("gas", last, 10).is_empty());
        assert_eq!(logs.read("water", 0, 10)[0].message, "other plugin");
        assert_eq!(
            logs.read("gas", gas[9].seq, 2).iter().map(|l| &l.message[..]).collect::<Vec<_>>(),
            ["line 15", "line 16"]
        );
    }
}
