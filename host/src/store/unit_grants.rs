//! What a unit's staff may do with the shared record through the staff
//! console: `records` grants in the same terms as a plugin's, set by admins.
//! A unit without grants sees nothing (deny by default).

use sqlx::{Any, Row, Transaction};

use super::{Store, timestamp};
use crate::capabilities::grant::Grant;

/// The grants of `unit` (empty when none were set).
pub async fn get(store: &Store, unit: &str) -> Result<Vec<Grant>, sqlx::Error> {
    let row = sqlx::query("SELECT grants FROM unit_grants WHERE unit_id = $1")
        .bind(unit)
        .fetch_optional(store.pool())
        .await?;
    let Some(row) = row else { return Ok(Vec::new()) };
    let text: String = row.try_get(0)?;
    serde_json::from_str(&text).map_err(|e| sqlx::Error::Decode(e.into()))
}

/// Replaces the grants of `unit`.
pub async fn set(
    tx: &mut Transaction<'static, Any>,
    unit: &str,
    grants: &[Grant],
    actor: &str,
) -> Result<(), sqlx::Error> {
    let text = serde_json::to_string(grants).expect("grants serialise");
    sqlx::query(
        "INSERT INTO unit_grants (unit_id, grants, updated_by, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (unit_id) DO UPDATE SET grants = excluded.grants, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(unit)
    .bind(text)
    .bind(actor)
    .bind(timestamp::now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The staff-console grants a fresh platform gives its default units:
/// police offices keep the population registers of their areas, community
/// committees their care and feedback registers, the judicial office the
/// disputes register. Partner units get nothing.
pub async fn seed_defaults(store: &Store) -> Result<(), sqlx::Error> {
    let count: i64 = sqlx::query("SELECT COUNT(*) FROM unit_grants").fetch_one(store.pool()).await?.try_get(0)?;
    if count > 0 {
        return Ok(());
    }
    let profile_read = [
        "resident_profile:read:name",
        "resident_profile:read:id_number",
        "resident_profile:read:gender",
        "resident_profile:read:date_of_birth",
        "resident_profile:read:phone",
        "resident_profile:read:current_address",
        "resident_profile:read:area",
        "resident_profile:rows:unit",
    ];
    let registers = |tables: &[&str]| -> Vec<String> {
        let mut items = Vec::new();
        for table in tables {
            let def = crate::records::schema::schema().table(table).expect("a table of the schema");
            for op in ["read", "insert", "update"] {
                for column in def.columns.iter().map(|c| c.name.as_str()).chain(["area"]) {
                    items.push(format!("{table}:{op}:{column}"));
                }
            }
            items.push(format!("{table}:rows:unit"));
        }
        items
    };
    let mut police: Vec<String> = profile_read.iter().map(|s| (*s).to_owned()).collect();
    police.extend(registers(&["floating_population", "rental_housing", "business_premises"]));
    let mut community: Vec<String> =
        profile_read.iter().filter(|s| !s.contains("id_number")).map(|s| (*s).to_owned()).collect();
    community.extend(registers(&["household", "care_visits", "community_feedback", "disputes"]));
    let judicial = registers(&["disputes"]);
    let units: Vec<(String, String)> = sqlx::query("SELECT id, kind FROM units")
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, sqlx::Error>>()?;
    let mut tx = store.pool().begin().await?;
    for (unit, kind) in units {
        let scope = match kind.as_str() {
            "police" => police.clone(),
            "community" => community.clone(),
            "judicial" => judicial.clone(),
            _ => continue,
        };
        set(&mut tx, &unit, &[Grant { capability: "records".into(), scope, reason: None }], "system").await?;
    }
    tx.commit().await
}
