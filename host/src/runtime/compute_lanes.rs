//! Long computations share fewer cores than the host has, so short calls
//! always find one free.
//!
//! A guest yields to the executor at every epoch tick, but that alone is
//! not enough: with as many CPU-bound calls as cores, every worker thread
//! spends its time slicing between them, and a quiet plugin's 0.3 ms call
//! waited several ms for its turn. So a call that has computed for
//! [`LONG_AFTER`] must hold a *lane* to go on, and there are fewer lanes
//! than cores (one less, at least one). Computing is time spent running the
//! guest's own code ([`ComputeMeter`]): waiting on the database or for the
//! executor does not count, so a call is not made long by a busy host. Calls past the mark take
//! turns on the lanes tick by tick, in arrival order (tokio's semaphore is
//! fair), so no long call starves another either; they only run slower
//! when there are more of them than lanes. Short calls never take a lane.

use std::future::Future;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime::CallHook;

use super::engine::TICK;

/// Computation after which a call counts as long: well above a normal
/// request of any of the first-party plugins or of the Python and
/// JavaScript examples.
pub const LONG_AFTER: Duration = Duration::from_millis(10);

/// A slice shorter than this since the last tick is not worth a yield: the
/// tick fired because the epoch went on while the guest was not running
/// (in a host call, or waiting at the previous tick).
const MIN_SLICE: Duration = Duration::from_micros(TICK.as_micros() as u64 / 2);

/// Time spent running guest code, fed by wasmtime's call hook: the clock
/// runs from entering wasm (a call, or a return from the host) to leaving
/// it (a return, or a call into the host: host functions, and the epoch
/// tick itself, with any wait at it). Calls into the guest made while the
/// host runs (its allocator, while a host function hands back 50 rows) are
/// part of that host call and read no clock: a few hundred of them per
/// request would cost more than everything else here.
#[derive(Debug, Default)]
pub struct ComputeMeter {
    since: Option<Instant>,
    spent: Duration,
    /// Host calls under way (a host call may call into the guest, which
    /// may call the host again).
    in_host: u32,
}

impl ComputeMeter {
    /// Counts what the guest computed until `now` (read only when needed)
    /// and whether it still runs.
    pub fn hook(&mut self, hook: CallHook, now: impl FnOnce() -> Instant) {
        match hook {
            CallHook::CallingHost => {
                self.in_host += 1;
                if self.in_host == 1 {
                    self.stop(now());
                }
            }
            CallHook::ReturningFromHost => {
                self.in_host = self.in_host.saturating_sub(1);
                if self.in_host == 0 {
                    self.since = Some(now());
                }
            }
            CallHook::CallingWasm if self.in_host == 0 => self.since = Some(now()),
            CallHook::ReturningFromWasm if self.in_host == 0 => self.stop(now()),
            CallHook::CallingWasm | CallHook::ReturningFromWasm => {}
        }
    }

    fn stop(&mut self, now: Instant) {
        if let Some(since) = self.since.take() {
            self.spent += now.saturating_duration_since(since);
        }
    }

    /// What the guest has computed until `now`.
    pub fn spent(&self, now: Instant) -> Duration {
        self.spent + self.since.map_or(Duration::ZERO, |since| now.saturating_duration_since(since))
    }
}

/// The host's lanes for long computations.
pub struct ComputeLanes {
    lanes: Arc<Semaphore>,
    count: usize,
}

impl ComputeLanes {
    /// `count` lanes, or by default one less than the cores the host may
    /// use (at least one).
    pub fn new(count: Option<NonZeroU32>) -> ComputeLanes {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let count = count.map_or(cores.saturating_sub(1).max(1), |n| n.get() as usize);
        ComputeLanes { lanes: Arc::new(Semaphore::new(count)), count }
    }

    /// The lanes there are.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Lanes held right now.
    pub fn in_use(&self) -> usize {
        self.count - self.lanes.available_permits()
    }

    /// The bookkeeping of one call.
    pub fn for_call(&self) -> CallCompute {
        CallCompute { lanes: self.lanes.clone(), at_last_tick: Duration::ZERO, lane: Arc::default() }
    }
}

/// One call's place on the lanes.
pub struct CallCompute {
    lanes: Arc<Semaphore>,
    /// What the call had computed at its last yield.
    at_last_tick: Duration,
    lane: Arc<Mutex<Option<OwnedSemaphorePermit>>>,
}

/// What the guest waits on at a tick before it runs on.
pub type TickWait = Pin<Box<dyn Future<Output = ()> + Send>>;

/// What a call does at an epoch tick.
pub enum AtTick {
    /// Run on without yielding: it has hardly computed since its last yield.
    RunOn,
    /// Wait on this first.
    Wait(TickWait),
}

impl CallCompute {
    /// Called at every epoch tick the guest reaches, with what it has
    /// `computed` so far. A short call only yields (tokio's yield puts the
    /// task at the back of the queue; a plain self-wake could be polled
    /// again at once). A long call gives its lane back, yields, and queues
    /// for a lane again, giving up at `deadline` (the next tick then
    /// interrupts it).
    pub fn on_tick(&mut self, computed: Duration, deadline: Instant) -> AtTick {
        if computed.saturating_sub(self.at_last_tick) < MIN_SLICE {
            return AtTick::RunOn;
        }
        self.at_last_tick = computed;
        if computed < LONG_AFTER {
            return AtTick::Wait(Box::pin(tokio::task::yield_now()));
        }
        let (lanes, lane) = (self.lanes.clone(), self.lane.clone());
        AtTick::Wait(Box::pin(async move {
            drop(take(&lane));
            tokio::task::yield_now().await;
            if let Ok(Ok(permit)) = tokio::time::timeout_at(deadline.into(), lanes.acquire_owned()).await {
                *lock(&lane) = Some(permit);
            }
        }))
    }

    /// A handle that gives the lane back when the guest has returned, so
    /// the commit and the answer do not hold it.
    pub fn release_handle(&self) -> LaneRelease {
        LaneRelease(self.lane.clone())
    }
}

/// Gives a call's lane back (see [`CallCompute::release_handle`]).
pub struct LaneRelease(Arc<Mutex<Option<OwnedSemaphorePermit>>>);

impl LaneRelease {
    pub fn release(&self) {
        drop(take(&self.0));
    }
}

fn lock(lane: &Mutex<Option<OwnedSemaphorePermit>>) -> std::sync::MutexGuard<'_, Option<OwnedSemaphorePermit>> {
    lane.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn take(lane: &Mutex<Option<OwnedSemaphorePermit>>) -> Option<OwnedSemaphorePermit> {
    lock(lane).take()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    /// A call's bookkeeping with what it has computed, tick by tick.
    struct Call {
        compute: CallCompute,
        computed: Duration,
    }

    impl Call {
        fn new(lanes: &ComputeLanes) -> Call {
            Call { compute: lanes.for_call(), computed: Duration::ZERO }
        }

        /// The guest computes one tick, then reaches the epoch check.
        fn computes_a_tick(&mut self) -> AtTick {
            self.computed += TICK;
            self.compute.on_tick(self.computed, far())
        }

        /// Computes ticks (waiting at each) until the call is long.
        async fn becomes_long(&mut self) {
            while self.computed < LONG_AFTER {
                if let AtTick::Wait(wait) = self.computes_a_tick() {
                    wait.await;
                }
            }
        }

        fn waits_at_next_tick(&mut self) -> tokio::task::JoinHandle<()> {
            match self.computes_a_tick() {
                AtTick::Wait(wait) => tokio::spawn(wait),
                AtTick::RunOn => panic!("a call that computed a tick yields"),
            }
        }
    }

    #[test]
    fn by_default_one_core_is_left_for_short_calls() {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        assert_eq!(ComputeLanes::new(None).count(), cores.saturating_sub(1).max(1));
        assert_eq!(ComputeLanes::new(NonZeroU32::new(3)).count(), 3);
    }

    #[test]
    fn only_time_in_guest_code_counts() {
        let start = Instant::now();
        let at = |ms| move || start + Duration::from_millis(ms);
        let mut meter = ComputeMeter::default();
        meter.hook(CallHook::CallingWasm, at(0));
        meter.hook(CallHook::CallingHost, at(3));
        // 50 ms in a host call (the database, a wait at a tick) do not
        // count, nor the guest's allocator called by the host meanwhile.
        meter.hook(CallHook::CallingWasm, || panic!("no clock is read for a call made by the host"));
        meter.hook(CallHook::ReturningFromWasm, || panic!("no clock is read for a call made by the host"));
        assert_eq!(meter.spent(at(53)()), Duration::from_millis(3));
        meter.hook(CallHook::ReturningFromHost, at(53));
        assert_eq!(meter.spent(at(55)()), Duration::from_millis(5), "running now counts");
        meter.hook(CallHook::ReturningFromWasm, at(56));
        assert_eq!(meter.spent(at(90)()), Duration::from_millis(6));
    }

    #[tokio::test]
    async fn short_calls_take_no_lane_and_ticks_without_computation_do_not_yield() {
        let lanes = ComputeLanes::new(NonZeroU32::new(1));
        let mut call = Call::new(&lanes);
        // Back from a long host call with nothing computed: no yield.
        assert!(matches!(call.compute.on_tick(Duration::ZERO, far()), AtTick::RunOn));
        while call.computed + TICK < LONG_AFTER {
            assert!(matches!(call.computes_a_tick(), AtTick::Wait(_)), "a computing call yields at each tick");
        }
        assert_eq!(lanes.in_use(), 0, "a short call takes no lane");
        call.becomes_long().await;
        assert_eq!(lanes.in_use(), 1, "the call became long and holds the lane");
        // The epoch went on while it queued for the lane: the next tick
        // fires at once, and the call computes its slice first.
        assert!(matches!(call.compute.on_tick(call.computed, far()), AtTick::RunOn));
        call.compute.release_handle().release();
        assert_eq!(lanes.in_use(), 0);
    }

    #[tokio::test]
    async fn long_calls_take_turns_on_one_lane() {
        let lanes = ComputeLanes::new(NonZeroU32::new(1));
        let (mut first, mut second) = (Call::new(&lanes), Call::new(&lanes));
        first.becomes_long().await;
        assert_eq!(lanes.in_use(), 1);
        while second.computed + TICK < LONG_AFTER {
            if let AtTick::Wait(wait) = second.computes_a_tick() {
                wait.await;
            }
        }
        // The second call is long now and waits for the lane the first holds.
        let mut second_waits = second.waits_at_next_tick();
        // On this one-thread runtime a few yields let it reach the queue.
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        assert!(!second_waits.is_finished());
        // At its next tick the first gives the lane back and queues behind.
        let mut first_waits = first.waits_at_next_tick();
        (&mut second_waits).await.expect("the second call gets the lane");
        assert!(!first_waits.is_finished(), "the first waits its turn");
        second.compute.release_handle().release();
        (&mut first_waits).await.expect("the first gets the lane back");
        assert_eq!(lanes.in_use(), 1);
    }

    #[tokio::test]
    async fn a_call_waiting_for_a_lane_gives_up_at_its_deadline() {
        let lanes = ComputeLanes::new(NonZeroU32::new(1));
        let mut holder = Call::new(&lanes);
        holder.becomes_long().await;
        let mut late = Call::new(&lanes);
        late.computed = LONG_AFTER;
        if let AtTick::Wait(wait) = late.compute.on_tick(late.computed, Instant::now() + Duration::from_millis(20)) {
            wait.await;
        }
        assert_eq!(lanes.in_use(), 1, "only the holder has a lane");
    }
}
