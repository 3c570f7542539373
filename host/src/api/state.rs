//! What every handler can reach.

use std::sync::Arc;
use std::time::Duration;

use crate::auth::throttle::SignInThrottle;
use crate::runtime::Runtime;
use crate::store::Store;

/// Shared state of the API.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub runtime: Arc<Runtime>,
    /// How long a sign-in token lives.
    pub session_ttl: Duration,
    /// Limits on sign-in and registration attempts.
    pub throttle: Arc<SignInThrottle>,
}
