//! A resident's consents that a partner unit's service reads their
//! personal data (asked once per service, withdrawable at any time).

use sqlx::Row;

use super::{Store, timestamp};

/// One consent.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Consent {
    pub service: String,
    pub given_at: String,
}

/// The resident's consents, by service.
pub async fn list(store: &Store, resident: &str) -> Result<Vec<Consent>, sqlx::Error> {
    let rows = sqlx::query("SELECT service, given_at FROM consents WHERE resident = $1 ORDER BY service")
        .bind(resident)
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(|r| Ok(Consent { service: r.try_get(0)?, given_at: r.try_get(1)? })).collect()
}

/// Records a consent; false if it was already given.
pub async fn give(store: &Store, resident: &str, service: &str) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "INSERT INTO consents (resident, service, given_at) VALUES ($1, $2, $3) ON CONFLICT (resident, service) DO NOTHING",
    )
    .bind(resident)
    .bind(service)
    .bind(timestamp::now())
    .execute(store.pool())
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Withdraws a consent; false if there was none.
pub async fn withdraw(store: &Store, resident: &str, service: &str) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("DELETE FROM consents WHERE resident = $1 AND service = $2")
        .bind(resident)
        .bind(service)
        .execute(store.pool())
        .await?;
    Ok(result.rows_affected() == 1)
}
