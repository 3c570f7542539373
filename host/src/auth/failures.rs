//! Failed sign-ins on the evidence trail without flooding it: the first
//! failure of a username in each 15-minute window is a chained audit entry;
//! the rest of the window only adds to its count (`store::sign_in_failures`).
//! A guessing attack is then one entry and one number per window, not ten
//! thousand entries to hash, store and verify.

use crate::audit::{self, Act, Actor};
use crate::store::{Store, sign_in_failures};

/// Counts a failed sign-in of `username`, and chains it if it is the first
/// of its window.
pub async fn record(store: &Store, username: &str, request_id: &str) -> Result<(), sqlx::Error> {
    let mut tx = store.pool().begin().await?;
    let (window, failures) = sign_in_failures::count(&mut tx, username, time::OffsetDateTime::now_utc()).await?;
    if failures == 1 {
        let act = Act {
            actor: &Actor::anonymous(),
            action: "auth.sign-in-failed",
            target: &format!("username:{username}"),
            details: serde_json::json!({
                "window_start": window,
                "note": "later failures of this username in the window are counted, not chained: see /api/v1/admin/sign-in-failures",
            }),
            request_id,
        };
        audit::record(store, &mut tx, act).await?;
    }
    tx.commit().await
}
