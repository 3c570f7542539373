//! Units: police stations and their community offices, community
//! committees, the judicial office and the utility partner units.

use sqlx::{Any, Row, Transaction};

use super::{Store, timestamp};

/// A unit's kind, as stored (`police`, `community`, `judicial`, `partner`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum UnitKind {
    Police,
    Community,
    Judicial,
    Partner,
}

impl UnitKind {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Police => "police",
            UnitKind::Community => "community",
            UnitKind::Judicial => "judicial",
            UnitKind::Partner => "partner",
        }
    }

    /// Parses the stored text.
    pub fn parse(text: &str) -> Option<UnitKind> {
        Some(match text {
            "police" => UnitKind::Police,
            "community" => UnitKind::Community,
            "judicial" => UnitKind::Judicial,
            "partner" => UnitKind::Partner,
            _ => return None,
        })
    }
}

/// A unit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Unit {
    pub id: String,
    pub kind: UnitKind,
    pub name_zh: String,
    pub name_ug: String,
    pub name_en: String,
    /// Address, phone, opening hours: free text.
    #[serde(default)]
    pub contact: String,
}

/// The units a fresh platform starts with (admins can edit them later).
const DEFAULT_UNITS: &[(&str, UnitKind, &str, &str, &str)] = &[
    ("police-central", UnitKind::Police, "城关派出所", "شەھەر ئىچى ساقچىخانىسى", "Central Police Station"),
    (
        "police-east-community",
        UnitKind::Police,
        "东城社区警务室",
        "شەرقىي شەھەر مەھەللە ساقچى ئىشخانىسى",
        "East Community Police Office",
    ),
    (
        "community-east",
        UnitKind::Community,
        "东城社区居委会",
        "شەرقىي شەھەر مەھەللە ئاھالىلەر كومىتېتى",
        "East Residents' Committee",
    ),
    (
        "community-west",
        UnitKind::Community,
        "西城社区居委会",
        "غەربىي شەھەر مەھەللە ئاھالىلەر كومىتېتى",
        "West Residents' Committee",
    ),
    ("judicial-office", UnitKind::Judicial, "司法所", "ئەدلىيە ئورنى", "Judicial Office"),
    ("partner-electricity", UnitKind::Partner, "供电公司", "توك تەمىنلەش شىركىتى", "Electricity Supply Company"),
    ("partner-water", UnitKind::Partner, "自来水公司", "سۇ تەمىنلەش شىركىتى", "Water Supply Company"),
    ("partner-gas", UnitKind::Partner, "燃气公司", "تەبىئىي گاز شىركىتى", "Gas Company"),
    ("partner-heating", UnitKind::Partner, "供热公司", "ئىسسىقلىق تەمىنلەش شىركىتى", "Heating Company"),
    ("partner-property", UnitKind::Partner, "物业管理公司", "مۈلۈك باشقۇرۇش شىركىتى", "Property Management Company"),
    ("partner-telecom", UnitKind::Partner, "电信公司", "تېلېگراف-تېلېفون شىركىتى", "Telecom Company"),
    (
        "partner-cable-tv",
        UnitKind::Partner,
        "广电网络公司",
        "رادىيو-تېلېۋىزىيە تور شىركىتى",
        "Cable TV Network Company",
    ),
    ("partner-postal", UnitKind::Partner, "邮政公司", "پوچتا شىركىتى", "Postal Company"),
    ("partner-sanitation", UnitKind::Partner, "环卫公司", "مۇھىت تازىلىقى شىركىتى", "Sanitation Company"),
];

/// Inserts the default units when the table is empty (the first start).
pub async fn seed_defaults(store: &Store) -> Result<(), sqlx::Error> {
    let count: i64 = sqlx::query("SELECT COUNT(*) FROM units").fetch_one(store.pool()).await?.try_get(0)?;
    if count > 0 {
        return Ok(());
    }
    let now = timestamp::now();
    let mut tx = store.pool().begin().await?;
    for (id, kind, zh, ug, en) in DEFAULT_UNITS {
        sqlx::query(
            "INSERT INTO units (id, kind, name_zh, name_ug, name_en, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(*id)
        .bind(kind.as_str())
        .bind(*zh)
        .bind(*ug)
        .bind(*en)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// A unit by id.
pub async fn find(store: &Store, id: &str) -> Result<Option<Unit>, sqlx::Error> {
    let row = sqlx::query("SELECT id, kind, name_zh, name_ug, name_en, contact FROM units WHERE id = $1")
        .bind(id)
        .fetch_optional(store.pool())
        .await?;
    row.map(|row| from_row(&row)).transpose()
}

/// Every unit, by id.
pub async fn list(store: &Store) -> Result<Vec<Unit>, sqlx::Error> {
    let rows = sqlx::query("SELECT id, kind, name_zh, name_ug, name_en, contact FROM units ORDER BY id")
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(from_row).collect()
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<Unit, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    Ok(Unit {
        id: row.try_get("id")?,
        kind: UnitKind::parse(&kind).ok_or_else(|| sqlx::Error::Decode(format!("unknown unit kind {kind}").into()))?,
        name_zh: row.try_get("name_zh")?,
        name_ug: row.try_get("name_ug")?,
        name_en: row.try_get("name_en")?,
        contact: row.try_get("contact")?,
    })
}

/// Stores a new unit; false if the id is taken.
pub async fn create(tx: &mut Transaction<'static, Any>, unit: &Unit) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "INSERT INTO units (id, kind, name_zh, name_ug, name_en, contact, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&unit.id)
    .bind(unit.kind.as_str())
    .bind(&unit.name_zh)
    .bind(&unit.name_ug)
    .bind(&unit.name_en)
    .bind(&unit.contact)
    .bind(timestamp::now())
    .execute(&mut **tx)
    .await;
    match result {
        Err(e) if super::is_unique_violation(&e) => Ok(false),
        other => other.map(|_| true),
    }
}

/// What stands in the way of changing a unit's kind.
pub enum KindChange {
    /// The unit does not exist.
    NoSuchUnit,
    /// The kind stays, or the unit has no staff: the change may go ahead.
    Allowed,
    /// The unit has this many staff accounts, whose access follows the kind.
    HasStaff(i64),
}

/// Whether `unit` may take `kind` now: a unit's kind decides what its staff
/// see (a partner turned `police` would be handed every police queue), so it
/// changes only while no staff account belongs to it. Read inside the
/// transaction that makes the change.
pub async fn kind_change(
    tx: &mut Transaction<'static, Any>,
    unit: &str,
    kind: UnitKind,
) -> Result<KindChange, sqlx::Error> {
    let current: Option<String> =
        sqlx::query_scalar("SELECT kind FROM units WHERE id = $1").bind(unit).fetch_optional(&mut **tx).await?;
    let Some(current) = current else { return Ok(KindChange::NoSuchUnit) };
    if current == kind.as_str() {
        return Ok(KindChange::Allowed);
    }
    let staff: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE unit_id = $1").bind(unit).fetch_one(&mut **tx).await?;
    Ok(if staff == 0 { KindChange::Allowed } else { KindChange::HasStaff(staff) })
}

/// Replaces a unit's kind, names and contact; false if there is no such unit.
pub async fn update(tx: &mut Transaction<'static, Any>, unit: &Unit) -> Result<bool, sqlx::Error> {
    let result =
        sqlx::query("UPDATE units SET kind = $1, name_zh = $2, name_ug = $3, name_en = $4, contact = $5 WHERE id = $6")
            .bind(unit.kind.as_str())
            .bind(&unit.name_zh)
            .bind(&unit.name_ug)
            .bind(&unit.name_en)
            .bind(&unit.contact)
            .bind(&unit.id)
            .execute(&mut **tx)
            .await?;
    Ok(result.rows_affected() > 0)
}
