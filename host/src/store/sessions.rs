//! Sign-in sessions. Only the SHA-256 of a token is stored, so a copy of the
//! database does not let anyone sign in.

use super::accounts::{self, Account};
use super::{Store, timestamp};

/// Stores a session for `account_id`, valid until `expires_at`.
pub async fn create(store: &Store, token_hash: &str, account_id: &str, expires_at: &str) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(account_id)
        .bind(timestamp::now())
        .bind(expires_at)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// The account of a live session: not expired, not revoked, account enabled.
pub async fn account_for(store: &Store, token_hash: &str) -> Result<Option<Account>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT a.id, a.username, a.display_name, a.role, a.unit_id, u.kind AS unit_kind, a.disabled \
         FROM sessions s JOIN accounts a ON a.id = s.account_id LEFT JOIN units u ON u.id = a.unit_id \
         WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND a.disabled = $3",
    )
    .bind(token_hash)
    .bind(timestamp::now())
    .bind(false)
    .fetch_optional(store.pool())
    .await?;
    row.map(|row| accounts::from_row(&row)).transpose()
}

/// Revokes a session; true if it was live.
pub async fn revoke(store: &Store, token_hash: &str) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL")
        .bind(timestamp::now())
        .bind(token_hash)
        .execute(store.pool())
        .await?;
    Ok(result.rows_affected() > 0)
}

/// Deletes sessions that can no longer be used (expired or revoked); answers
/// how many. Run on sign-in, so the table holds live sessions only.
pub async fn delete_dead(store: &Store) -> Result<u64, sqlx::Error> {
    let result = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR revoked_at IS NOT NULL")
        .bind(timestamp::now())
        .execute(store.pool())
        .await?;
    Ok(result.rows_affected())
}
