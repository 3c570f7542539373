//! Admission to the instance pool. The pool has a fixed number of instance
//! slots for every plugin together, while each plugin may ask for up to the
//! platform's concurrency maximum: the sum can exceed the pool. A request is
//! admitted only while a slot is free, so exhaustion is a prompt 503 and
//! never a failed instantiation. And the last quarter of the pool is kept
//! for quiet plugins: once it is reached, a plugin that already has many
//! calls in flight is refused, so one or two busy plugins cannot crowd out
//! the others.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The share of the pool kept for quiet plugins: 1/4.
const RESERVE_DIVISOR: usize = 4;
/// "Quiet" is fewer than 1/16 of the pool in flight (at least one call).
const QUIET_DIVISOR: usize = 16;

/// The platform-wide instance slots.
pub struct Admission {
    slots: Arc<Semaphore>,
    size: usize,
}

impl Admission {
    /// Admission to a pool of `size` instances.
    pub fn new(size: usize) -> Admission {
        Admission { slots: Arc::new(Semaphore::new(size)), size }
    }

    /// A slot for a plugin that already runs `in_use` calls (not counting
    /// this one), or `None` when the pool is full, or when only the reserve
    /// is left and the plugin is not quiet.
    pub fn admit(&self, in_use: usize) -> Option<OwnedSemaphorePermit> {
        let in_reserve = self.slots.available_permits() * RESERVE_DIVISOR < self.size;
        if in_reserve && in_use >= (self.size / QUIET_DIVISOR).max(1) {
            return None;
        }
        self.slots.clone().try_acquire_owned().ok()
    }

    /// Slots in use now.
    pub fn in_use(&self) -> usize {
        self.size - self.slots.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_pool_admits_no_one() {
        let admission = Admission::new(2);
        let held: Vec<_> = (0..2).map(|_| admission.admit(0).expect("free slot")).collect();
        assert!(admission.admit(0).is_none());
        drop(held);
        assert!(admission.admit(0).is_some());
    }

    #[test]
    fn busy_plugins_cannot_take_the_reserve_quiet_ones_can() {
        let admission = Admission::new(32);
        // A busy plugin gets three quarters of the pool, and no more.
        let mut busy: Vec<_> = (0..).map_while(|in_use| admission.admit(in_use)).collect();
        assert_eq!(busy.len(), 25, "free slots fell below 8 at the 25th");
        // A second busy plugin gets what "quiet" allows (2 of 32), no more.
        let second: Vec<_> = (0..).map_while(|in_use| admission.admit(in_use)).collect();
        assert_eq!(second.len(), 2);
        // A third plugin still gets in.
        let quiet = admission.admit(0).expect("the reserve serves a quiet plugin");
        assert_eq!(admission.in_use(), 28);
        busy.truncate(0);
        drop((second, quiet));
        assert_eq!(admission.in_use(), 0);
    }
}
