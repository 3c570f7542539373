//! What every handler can reach.

use std::sync::Arc;
use std::time::Duration;

use crate::runtime::Runtime;
use crate::store::Store;

/// Shared state of the API.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub runtime: Arc<Runtime>,
    /// How long a sign-in token lives.
    pub session_ttl: Duration,
}
