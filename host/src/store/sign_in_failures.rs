//! Failed sign-ins, counted per username per window (see migration
//! `0004_sign_in_failures`).

use sqlx::{Any, Row, Transaction};

use super::{Store, timestamp};

/// How long one counting window lasts.
pub const WINDOW_MINUTES: i64 = 15;

/// One username's failures in one window.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FailureCount {
    pub username: String,
    /// When the window began (RFC 3339, UTC); it lasts 15 minutes.
    pub window_start: String,
    pub failures: i64,
    /// The latest failure in the window.
    pub last_at: String,
}

/// The start of the window holding `now`.
pub fn window_start(now: time::OffsetDateTime) -> time::OffsetDateTime {
    let window = WINDOW_MINUTES * 60;
    let seconds = now.unix_timestamp();
    time::OffsetDateTime::from_unix_timestamp(seconds - seconds.rem_euclid(window)).expect("a time within range")
}

/// Counts one failure of `username` now; returns the window's start and
/// its count so far (1 for the window's first).
pub async fn count(
    tx: &mut Transaction<'static, Any>,
    username: &str,
    now: time::OffsetDateTime,
) -> Result<(String, i64), sqlx::Error> {
    let window = timestamp::format(window_start(now));
    let row = sqlx::query(
        "INSERT INTO sign_in_failures (username, window_start, failures, last_at) VALUES ($1, $2, 1, $3) \
         ON CONFLICT (username, window_start) DO UPDATE SET failures = sign_in_failures.failures + 1, last_at = $3 \
         RETURNING failures",
    )
    .bind(username)
    .bind(&window)
    .bind(timestamp::format(now))
    .fetch_one(&mut **tx)
    .await?;
    Ok((window, row.try_get(0)?))
}

/// The counts of windows that began at or after `since`, newest first.
pub async fn since(store: &Store, since: &str, limit: i64) -> Result<Vec<FailureCount>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT username, window_start, failures, last_at FROM sign_in_failures WHERE window_start >= $1 \
         ORDER BY window_start DESC, failures DESC, username LIMIT $2",
    )
    .bind(since)
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(FailureCount {
                username: row.try_get(0)?,
                window_start: row.try_get(1)?,
                failures: row.try_get(2)?,
                last_at: row.try_get(3)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_start_on_the_quarter_hour() {
        let at = time::macros::datetime!(2026-11-27 09:31:59 UTC);
        assert_eq!(window_start(at), time::macros::datetime!(2026-11-27 09:30:00 UTC));
        let edge = time::macros::datetime!(2026-11-27 09:45:00 UTC);
        assert_eq!(window_start(edge), edge);
    }
}
