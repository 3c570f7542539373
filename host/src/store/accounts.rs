//! Accounts: residents, staff (bound to one unit) and admins.

use sqlx::Row;

use super::units::UnitKind;
use super::{Store, timestamp};

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Resident,
    Staff,
    Admin,
}

impl Role {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Resident => "resident",
            Role::Staff => "staff",
            Role::Admin => "admin",
        }
    }

    fn parse(text: &str) -> Result<Role, sqlx::Error> {
        match text {
            "resident" => Ok(Role::Resident),
            "staff" => Ok(Role::Staff),
            "admin" => Ok(Role::Admin),
            other => Err(sqlx::Error::Decode(format!("unknown role {other}").into())),
        }
    }
}

/// An account as the rest of the host sees it (never the password hash).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Account {
    /// Stable opaque id (a UUID); this is the `subject` plugins see.
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The staff member's unit.
    pub unit_id: Option<String>,
    /// The kind of that unit.
    pub unit_kind: Option<UnitKind>,
    /// A disabled account cannot sign in.
    pub disabled: bool,
}

/// A new account to store. The password is already hashed.
pub struct NewAccount<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub unit_id: Option<&'a str>,
    pub password_hash: &'a str,
}

/// Why an account could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("the username is already taken")]
    UsernameTaken,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

const SELECT: &str = "SELECT a.id, a.username, a.display_name, a.role, a.unit_id, u.kind AS unit_kind, a.disabled \
                      FROM accounts a LEFT JOIN units u ON u.id = a.unit_id";

/// Stores a new account inside `tx` (so its audit entry can join it) and
/// returns it.
pub async fn create(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    new: NewAccount<'_>,
) -> Result<Account, CreateError> {
    let id = uuid::Uuid::now_v7().to_string();
    let result = sqlx::query(
        "INSERT INTO accounts (id, username, display_name, role, unit_id, password_hash, disabled, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(new.username)
    .bind(new.display_name)
    .bind(new.role.as_str())
    .bind(new.unit_id)
    .bind(new.password_hash)
    .bind(false)
    .bind(timestamp::now())
    .execute(&mut **tx)
    .await;
    match result {
        Err(e) if super::is_unique_violation(&e) => return Err(CreateError::UsernameTaken),
        other => other?,
    };
    let sql = format!("{SELECT} WHERE a.id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&id).fetch_one(&mut **tx).await?;
    Ok(from_row(&row)?)
}

/// An enabled account by username, with its password hash.
pub async fn find_for_sign_in(store: &Store, username: &str) -> Result<Option<(Account, String)>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE a.username = $1 AND a.disabled = $2");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(username).bind(false).fetch_optional(store.pool()).await?;
    let Some(row) = row else { return Ok(None) };
    let hash: String = sqlx::query("SELECT password_hash FROM accounts WHERE id = $1")
        .bind(row.try_get::<String, _>("id")?)
        .fetch_one(store.pool())
        .await?
        .try_get(0)?;
    Ok(Some((from_row(&row)?, hash)))
}

/// An account by id.
pub async fn find_by_id(store: &Store, id: &str) -> Result<Option<Account>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE a.id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(store.pool()).await?;
    row.map(|row| from_row(&row)).transpose()
}

/// Accounts, optionally of one role and/or unit, by username.
pub async fn list(store: &Store, role: Option<Role>, unit: Option<&str>) -> Result<Vec<Account>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE ($1 = '' OR a.role = $1) AND ($2 = '' OR a.unit_id = $2) ORDER BY a.username");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(role.map_or("", Role::as_str))
        .bind(unit.unwrap_or(""))
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(from_row).collect()
}

/// Disables or re-enables an account; disabling also ends its sessions.
/// False if there is no such account.
pub async fn set_disabled(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: &str,
    disabled: bool,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("UPDATE accounts SET disabled = $1 WHERE id = $2")
        .bind(disabled)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    if disabled {
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL")
            .bind(timestamp::now())
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(result.rows_affected() > 0)
}

/// Replaces an account's password hash and ends its sessions, all of them
/// or all but `keep` (the one that made the change); false if there is no
/// such account.
pub async fn set_password(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: &str,
    password_hash: &str,
    keep: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE sessions SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL AND token_hash <> $3",
    )
    .bind(timestamp::now())
    .bind(id)
    .bind(keep.unwrap_or(""))
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() > 0)
}

/// How many enabled admins exist.
pub async fn count_admins(store: &Store) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) FROM accounts WHERE role = $1 AND disabled = $2")
        .bind(Role::Admin.as_str())
        .bind(false)
        .fetch_one(store.pool())
        .await?
        .try_get(0)
}

pub(super) fn from_row(row: &sqlx::any::AnyRow) -> Result<Account, sqlx::Error> {
    let role: String = row.try_get("role")?;
    let unit_kind: Option<String> = row.try_get("unit_kind")?;
    Ok(Account {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        role: Role::parse(&role)?,
        unit_id: row.try_get("unit_id")?,
        unit_kind: unit_kind.as_deref().and_then(UnitKind::parse),
        disabled: decode_bool(row, "disabled")?,
    })
}

/// Booleans are integers on SQLite and booleans on PostgreSQL.
fn decode_bool(row: &sqlx::any::AnyRow, column: &str) -> Result<bool, sqlx::Error> {
    match row.try_get::<bool, _>(column) {
        Ok(value) => Ok(value),
        Err(_) => Ok(row.try_get::<i64, _>(column)? != 0),
    }
}
