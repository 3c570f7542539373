//! Admin operations available so far: staff and admin accounts, and the
//! list of units. (Plugin review, grants and the audit trail come with
//! plugin governance.)

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{check_display_name, check_username, hash_off_thread};
use super::extract::{AdminUser, Json};
use super::problem::{ApiError, FieldError, Problem};
use super::state::AppState;
use crate::auth::password;
use crate::store::accounts::{self, Account, CreateError, NewAccount, Role};
use crate::store::units::{self, Unit};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_account)).routes(routes!(list_units))
}

/// A staff or admin account to create.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStaffAccount {
    username: String,
    display_name: String,
    /// `staff` or `admin` (residents register themselves).
    role: Role,
    /// Required for staff: the unit they work for.
    #[serde(default)]
    unit_id: Option<String>,
    /// If omitted, a random password is generated and returned once.
    #[serde(default)]
    password: Option<String>,
}

/// The created account, with the generated password if one was generated.
#[derive(Serialize, ToSchema)]
pub struct CreatedAccount {
    account: Account,
    #[serde(skip_serializing_if = "Option::is_none")]
    generated_password: Option<String>,
}

/// Create a staff member (bound to a unit) or another admin.
#[utoipa::path(post, path = "/api/v1/admin/accounts", tag = "admin", security(("bearer" = [])), request_body = NewStaffAccount,
    responses((status = 201, body = CreatedAccount), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_account(
    State(state): State<AppState>,
    admin: AdminUser,
    Json(input): Json<NewStaffAccount>,
) -> Result<(StatusCode, axum::Json<CreatedAccount>), ApiError> {
    let mut problems = Vec::new();
    let username = check_username(&input.username).map_err(|e| problems.push(e)).ok();
    let display_name = check_display_name(&input.display_name).map_err(|e| problems.push(e)).ok();
    match (input.role, &input.unit_id) {
        (Role::Resident, _) => {
            problems.push(FieldError::new("role", "must be staff or admin; residents register themselves"))
        }
        (Role::Staff, None) => problems.push(FieldError::new("unit_id", "is required for staff")),
        (Role::Staff, Some(unit)) if units::find(&state.store, unit).await?.is_none() => {
            problems.push(FieldError::new("unit_id", format!("there is no unit `{unit}`")))
        }
        (Role::Admin, Some(_)) => problems.push(FieldError::new("unit_id", "admins do not belong to a unit")),
        _ => {}
    }
    if let Some(Err(problem)) = input.password.as_deref().map(password::check_strength) {
        problems.push(FieldError::new("password", problem));
    }
    let (Some(username), Some(display_name), true) = (username, display_name, problems.is_empty()) else {
        return Err(ApiError::Validation(problems));
    };
    let generated = input.password.is_none().then(password::generate);
    let password_hash = hash_off_thread(input.password.or_else(|| generated.clone()).unwrap_or_default()).await?;
    let new = NewAccount {
        username: &username,
        display_name: &display_name,
        role: input.role,
        unit_id: input.unit_id.as_deref(),
        password_hash: &password_hash,
    };
    let account = match accounts::create(&state.store, new).await {
        Ok(account) => account,
        Err(CreateError::UsernameTaken) => {
            return Err(ApiError::Conflict(format!("the username `{username}` is taken")));
        }
        Err(CreateError::Database(e)) => return Err(e.into()),
    };
    tracing::info!(admin = %admin.0.account.id, account = %account.id, role = account.role.as_str(), "account created");
    Ok((StatusCode::CREATED, axum::Json(CreatedAccount { account, generated_password: generated })))
}

/// Every unit.
#[utoipa::path(get, path = "/api/v1/admin/units", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<Unit>), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_units(State(state): State<AppState>, _admin: AdminUser) -> Result<axum::Json<Vec<Unit>>, ApiError> {
    Ok(axum::Json(units::list(&state.store).await?))
}
