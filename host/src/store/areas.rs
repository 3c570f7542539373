//! Areas: the communities (社区/村) of the city, and which areas each unit
//! serves. A staff member's `unit` row scope reaches the shared records of
//! exactly these areas.

use sqlx::{Any, Row, Transaction};

use super::{Store, timestamp};

/// An area.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Area {
    pub id: String,
    pub name_zh: String,
    pub name_ug: String,
    pub name_en: String,
}

/// The areas a unit serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Served {
    /// Every area, present and future.
    All,
    /// These areas (possibly none).
    Some(Vec<String>),
}

/// The areas a fresh platform starts with.
const DEFAULT_AREAS: &[(&str, &str, &str, &str)] = &[
    ("east-gate", "东门社区", "شەرقىي دەرۋازا مەھەللىسى", "East Gate Community"),
    ("riverside", "滨河社区", "دەريا بويى مەھەللىسى", "Riverside Community"),
    ("west-market", "西市社区", "غەربىي بازار مەھەللىسى", "West Market Community"),
    ("orchard", "果园社区", "باغ مەھەللىسى", "Orchard Community"),
    ("poplar-village", "白杨村", "تېرەك كەنتى", "Poplar Village"),
];

/// Which default units serve which areas (`*`: all). Units not named here
/// (the judicial office, the partners) serve every area.
const DEFAULT_SERVICE: &[(&str, &[&str])] = &[
    ("police-east-community", &["east-gate", "riverside"]),
    ("community-east", &["east-gate", "riverside"]),
    ("community-west", &["west-market", "orchard"]),
];

/// Seeds the default areas and what each default unit serves, once.
pub async fn seed_defaults(store: &Store) -> Result<(), sqlx::Error> {
    let count: i64 = sqlx::query("SELECT COUNT(*) FROM areas").fetch_one(store.pool()).await?.try_get(0)?;
    if count > 0 {
        return Ok(());
    }
    let now = timestamp::now();
    let mut tx = store.pool().begin().await?;
    for (id, zh, ug, en) in DEFAULT_AREAS {
        sqlx::query("INSERT INTO areas (id, name_zh, name_ug, name_en, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(*id)
            .bind(*zh)
            .bind(*ug)
            .bind(*en)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
    }
    let units: Vec<String> = sqlx::query("SELECT id FROM units")
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    for unit in units {
        let served: &[&str] = DEFAULT_SERVICE.iter().find(|(u, _)| *u == unit).map_or(&["*"], |(_, areas)| areas);
        for area in served {
            sqlx::query("INSERT INTO unit_areas (unit_id, area_id) VALUES ($1, $2)")
                .bind(&unit)
                .bind(*area)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await
}

/// Every area, by id.
pub async fn list(store: &Store) -> Result<Vec<Area>, sqlx::Error> {
    let rows =
        sqlx::query("SELECT id, name_zh, name_ug, name_en FROM areas ORDER BY id").fetch_all(store.pool()).await?;
    rows.iter().map(from_row).collect()
}

/// An area by id.
pub async fn find(store: &Store, id: &str) -> Result<Option<Area>, sqlx::Error> {
    let row = sqlx::query("SELECT id, name_zh, name_ug, name_en FROM areas WHERE id = $1")
        .bind(id)
        .fetch_optional(store.pool())
        .await?;
    row.as_ref().map(from_row).transpose()
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<Area, sqlx::Error> {
    Ok(Area { id: row.try_get(0)?, name_zh: row.try_get(1)?, name_ug: row.try_get(2)?, name_en: row.try_get(3)? })
}

/// Creates or renames an area; true if it was new.
pub async fn upsert(tx: &mut Transaction<'static, Any>, area: &Area) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query("UPDATE areas SET name_zh = $1, name_ug = $2, name_en = $3 WHERE id = $4")
        .bind(&area.name_zh)
        .bind(&area.name_ug)
        .bind(&area.name_en)
        .bind(&area.id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if updated > 0 {
        return Ok(false);
    }
    sqlx::query("INSERT INTO areas (id, name_zh, name_ug, name_en, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&area.id)
        .bind(&area.name_zh)
        .bind(&area.name_ug)
        .bind(&area.name_en)
        .bind(timestamp::now())
        .execute(&mut **tx)
        .await?;
    Ok(true)
}

/// The areas `unit` serves.
pub async fn served_by(store: &Store, unit: &str) -> Result<Served, sqlx::Error> {
    let rows = sqlx::query("SELECT area_id FROM unit_areas WHERE unit_id = $1 ORDER BY area_id")
        .bind(unit)
        .fetch_all(store.pool())
        .await?;
    let areas: Vec<String> = rows.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>()?;
    Ok(if areas.iter().any(|a| a == "*") { Served::All } else { Served::Some(areas) })
}

/// Replaces the areas `unit` serves.
pub async fn set_served(tx: &mut Transaction<'static, Any>, unit: &str, served: &Served) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM unit_areas WHERE unit_id = $1").bind(unit).execute(&mut **tx).await?;
    let areas: Vec<&str> = match served {
        Served::All => vec!["*"],
        Served::Some(list) => list.iter().map(String::as_str).collect(),
    };
    for area in areas {
        sqlx::query("INSERT INTO unit_areas (unit_id, area_id) VALUES ($1, $2)")
            .bind(unit)
            .bind(area)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
