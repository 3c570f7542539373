//! Limits on sign-in and registration, checked before any password hashing
//! (Argon2 is slow on purpose, so an unthrottled flood of attempts would be
//! a cheap way to tie up the host and to guess passwords):
//!
//! - every sign-in and registration attempt counts against its client
//!   address: a burst of [`ADDRESS_BURST`], then [`ADDRESS_PER_MINUTE`] a
//!   minute;
//! - failed sign-ins count against the username: after [`FAILURE_BURST`]
//!   failures, one more try every [`FAILURE_EVERY`], whoever asks.
//!
//! Over a limit the answer is 429 with `Retry-After`. Limits are kept in
//! memory, per host ([governor]'s keyed GCRA limiters).

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock, Reference};
use governor::{DefaultKeyedRateLimiter, Quota};

/// Attempts one client address may make at once.
pub const ADDRESS_BURST: u32 = 120;
/// Attempts one client address may make a minute, after the burst.
pub const ADDRESS_PER_MINUTE: u32 = 120;
/// Failed sign-ins a username takes before it is slowed down.
pub const FAILURE_BURST: u32 = 5;
/// How often a slowed-down username may try again.
pub const FAILURE_EVERY: Duration = Duration::from_secs(12);
/// Keys kept before old, idle ones are dropped.
const MAX_KEYS: usize = 100_000;

/// The throttle of one host.
pub struct SignInThrottle {
    by_address: DefaultKeyedRateLimiter<IpAddr>,
    failures: DefaultKeyedRateLimiter<String>,
    /// Usernames that used up their failures, and until when.
    slowed: Mutex<HashMap<String, governor::clock::QuantaInstant>>,
    clock: DefaultClock,
}

impl Default for SignInThrottle {
    fn default() -> Self {
        let per_address = Quota::per_minute(NonZeroU32::new(ADDRESS_PER_MINUTE).unwrap())
            .allow_burst(NonZeroU32::new(ADDRESS_BURST).unwrap());
        let per_username = Quota::with_period(FAILURE_EVERY)
            .expect("a non-zero period")
            .allow_burst(NonZeroU32::new(FAILURE_BURST).unwrap());
        SignInThrottle {
            by_address: DefaultKeyedRateLimiter::keyed(per_address),
            failures: DefaultKeyedRateLimiter::keyed(per_username),
            slowed: Mutex::new(HashMap::new()),
            clock: DefaultClock::default(),
        }
    }
}

impl SignInThrottle {
    /// Whether an attempt from `address` (for `username`, on sign-in) may
    /// go ahead; `Err` says how long to wait. Counts the attempt.
    pub fn admit(&self, address: Option<IpAddr>, username: Option<&str>) -> Result<(), Duration> {
        let now = self.clock.now();
        if let Some(username) = username {
            let mut slowed = self.slowed.lock().unwrap_or_else(|e| e.into_inner());
            match slowed.get(username) {
                Some(until) if *until > now => return Err(until.duration_since(now).into()),
                Some(_) => {
                    slowed.remove(username);
                }
                None => {}
            }
        }
        if let Some(address) = address {
            self.by_address.check_key(&address).map_err(|not_until| not_until.wait_time_from(now))?;
            if self.by_address.len() > MAX_KEYS {
                self.by_address.retain_recent();
            }
        }
        Ok(())
    }

    /// Records a failed sign-in for `username`.
    pub fn failed(&self, username: &str) {
        let key = username.to_owned();
        if let Err(not_until) = self.failures.check_key(&key) {
            let until = not_until.earliest_possible();
            let mut slowed = self.slowed.lock().unwrap_or_else(|e| e.into_inner());
            if slowed.len() > MAX_KEYS {
                let now = self.clock.now();
                slowed.retain(|_, until| *until > now);
            }
            slowed.insert(key, until);
        }
        if self.failures.len() > MAX_KEYS {
            self.failures.retain_recent();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_username_is_slowed_after_its_failures_and_others_are_not() {
        let throttle = SignInThrottle::default();
        for _ in 0..=FAILURE_BURST {
            assert!(throttle.admit(None, Some("admin")).is_ok());
            throttle.failed("admin");
        }
        let wait = throttle.admit(None, Some("admin")).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= FAILURE_EVERY, "{wait:?}");
        assert!(throttle.admit(None, Some("aygul")).is_ok(), "another username is not affected");
    }

    #[test]
    fn an_address_is_limited_after_its_burst() {
        let throttle = SignInThrottle::default();
        let address: IpAddr = "192.0.2.7".parse().unwrap();
        for _ in 0..ADDRESS_BURST {
            assert!(throttle.admit(Some(address), None).is_ok());
        }
        assert!(throttle.admit(Some(address), None).is_err());
        assert!(throttle.admit(Some("192.0.2.8".parse().unwrap()), None).is_ok());
    }
}
