//! A plugin's effective limits: what its manifest asked for, capped by the
//! platform maxima.

use std::time::Duration;

use wasmtime::ResourceLimiter;

use crate::config::RuntimeConfig;
use crate::registry::manifest::Limits;

/// The limits one plugin runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PluginLimits {
    pub memory_bytes: usize,
    pub timeout: Duration,
    pub max_concurrency: u32,
    pub max_request_bytes: usize,
    pub max_response_bytes: usize,
}

impl PluginLimits {
    /// The requested limits, each capped at the platform maximum.
    pub fn new(requested: Limits, platform: &RuntimeConfig) -> PluginLimits {
        PluginLimits {
            memory_bytes: (requested.memory_mb.min(platform.max_memory_mb) as usize) << 20,
            timeout: Duration::from_millis(requested.timeout_ms.min(platform.max_timeout_ms).into()),
            max_concurrency: requested.max_concurrency.min(platform.max_concurrency).max(1),
            max_request_bytes: (platform.max_request_kb as usize) << 10,
            max_response_bytes: (platform.max_response_kb as usize) << 10,
        }
    }
}

/// Caps an instance's memory — all of its linear memories together, since
/// wasmtime asks about each memory on its own — and remembers whether the
/// cap was hit, so a failed call can be reported as "out of memory" rather
/// than a generic trap.
pub struct MemoryLimiter {
    max_bytes: usize,
    /// Bytes of every memory the instance has, as granted so far.
    total: usize,
    hit: bool,
}

impl MemoryLimiter {
    /// A limiter allowing `max_bytes` of linear memory in all.
    pub fn new(max_bytes: usize) -> MemoryLimiter {
        MemoryLimiter { max_bytes, total: 0, hit: false }
    }

    /// Bytes of linear memory the instance has been granted in all.
    pub fn granted(&self) -> usize {
        self.total
    }

    /// True once a growth past the cap was refused.
    pub fn was_hit(&self) -> bool {
        self.hit
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        // A memory being created asks with `current` 0, so the sum counts
        // every memory from its first page.
        let total = (self.total - current.min(self.total)).saturating_add(desired);
        if total > self.max_bytes {
            self.hit = true;
            // Refuse the growth: the guest's allocator sees a failed
            // `memory.grow` and aborts, which ends this request only.
            return Ok(false);
        }
        self.total = total;
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_capped_by_the_platform() {
        let platform =
            RuntimeConfig { max_memory_mb: 64, max_timeout_ms: 1000, max_concurrency: 8, ..RuntimeConfig::default() };
        let limits = PluginLimits::new(Limits { memory_mb: 512, timeout_ms: 300, max_concurrency: 100 }, &platform);
        assert_eq!(limits.memory_bytes, 64 << 20);
        assert_eq!(limits.timeout, Duration::from_millis(300));
        assert_eq!(limits.max_concurrency, 8);
    }

    #[test]
    fn the_limiter_refuses_growth_past_the_cap_and_remembers() {
        let mut limiter = MemoryLimiter::new(1 << 20);
        assert!(limiter.memory_growing(0, 1 << 20, None).unwrap());
        assert!(!limiter.was_hit());
        assert!(!limiter.memory_growing(1 << 20, 2 << 20, None).unwrap());
        assert!(limiter.was_hit());
    }

    #[test]
    fn the_cap_bounds_all_memories_of_the_instance_together() {
        let mut limiter = MemoryLimiter::new(3 << 20);
        // Two memories created at 1 MiB each: 2 MiB in all.
        assert!(limiter.memory_growing(0, 1 << 20, None).unwrap());
        assert!(limiter.memory_growing(0, 1 << 20, None).unwrap());
        // Either may grow by one more MiB, but not both.
        assert!(limiter.memory_growing(1 << 20, 2 << 20, None).unwrap());
        assert!(!limiter.memory_growing(1 << 20, 2 << 20, None).unwrap());
        assert!(limiter.was_hit());
    }
}
