//! Staff and admin accounts: create, list, disable, enable.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::auth::{check_display_name, check_username, hash_off_thread};
use crate::api::extract::{AdminUser, Json, PathParams, QueryParams};
use crate::api::problem::{ApiError, FieldError, Problem};
use crate::api::request_id::RequestId;
use crate::api::state::AppState;
use crate::audit::{self, Act};
use crate::auth::password;
use crate::store::accounts::{self, Account, CreateError, NewAccount, Role};
use crate::store::units;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_account, list_accounts))
        .routes(routes!(disable_account))
        .routes(routes!(enable_account))
        .routes(routes!(reset_password))
}

/// A staff or admin account to create.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStaffAccount {
    #[schema(schema_with = crate::api::field_schemas::username)]
    username: String,
    #[schema(schema_with = crate::api::field_schemas::display_name)]
    display_name: String,
    /// `staff` or `admin` (residents register themselves).
    role: Role,
    /// Required for staff: the unit they work for.
    #[serde(default)]
    unit_id: Option<String>,
    /// If omitted, a random password is generated and returned once;
    /// 10–128 characters.
    #[serde(default)]
    #[schema(min_length = 10, max_length = 128)]
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
    request_id: RequestId,
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
    let mut tx = state.store.pool().begin().await?;
    let account = match accounts::create(&mut tx, new).await {
        Ok(account) => account,
        Err(CreateError::UsernameTaken) => {
            return Err(ApiError::Conflict(format!("the username `{username}` is taken")));
        }
        Err(CreateError::Database(e)) => return Err(e.into()),
    };
    let details = serde_json::json!({ "username": account.username, "role": account.role, "unit": account.unit_id });
    let actor = admin.0.actor();
    let target = format!("account:{}", account.id);
    audit::record(
        &state.store,
        &mut tx,
        Act { actor: &actor, action: "account.create", target: &target, details, request_id: &request_id.0 },
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(CreatedAccount { account, generated_password: generated })))
}

/// Which accounts to list.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AccountFilter {
    /// `resident`, `staff` or `admin`.
    role: Option<Role>,
    /// Only staff of this unit.
    unit: Option<String>,
}

/// Accounts, by username.
#[utoipa::path(get, path = "/api/v1/admin/accounts", tag = "admin", security(("bearer" = [])), params(AccountFilter),
    responses((status = 200, body = Vec<Account>), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_accounts(
    State(state): State<AppState>,
    _admin: AdminUser,
    QueryParams(filter): QueryParams<AccountFilter>,
) -> Result<axum::Json<Vec<Account>>, ApiError> {
    Ok(axum::Json(accounts::list(&state.store, filter.role, filter.unit.as_deref()).await?))
}

/// Disable an account: it can no longer sign in, and its sessions end now.
#[utoipa::path(post, path = "/api/v1/admin/accounts/{id}/disable", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "account id")),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn disable_account(
    State(state): State<AppState>,
    admin: AdminUser,
    request_id: RequestId,
    PathParams(id): PathParams<String>,
) -> Result<StatusCode, ApiError> {
    if id == admin.0.account.id {
        return Err(ApiError::Conflict("you cannot disable your own account".into()));
    }
    set_disabled(&state, &admin, &request_id, &id, true).await
}

/// Enable a disabled account again.
#[utoipa::path(post, path = "/api/v1/admin/accounts/{id}/enable", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "account id")),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn enable_account(
    State(state): State<AppState>,
    admin: AdminUser,
    request_id: RequestId,
    PathParams(id): PathParams<String>,
) -> Result<StatusCode, ApiError> {
    set_disabled(&state, &admin, &request_id, &id, false).await
}

async fn set_disabled(
    state: &AppState,
    admin: &AdminUser,
    request_id: &RequestId,
    id: &str,
    disabled: bool,
) -> Result<StatusCode, ApiError> {
    let mut tx = state.store.pool().begin().await?;
    if !accounts::set_disabled(&mut tx, id, disabled).await? {
        return Err(ApiError::NotFound(format!("there is no account {id}")));
    }
    let actor = admin.0.actor();
    let action = if disabled { "account.disable" } else { "account.enable" };
    let act = Act {
        actor: &actor,
        action,
        target: &format!("account:{id}"),
        details: serde_json::json!({}),
        request_id: &request_id.0,
    };
    audit::record(&state.store, &mut tx, act).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A staff member's new password, or none to have one generated.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    /// 10–128 characters.
    #[serde(default)]
    #[schema(min_length = 10, max_length = 128)]
    password: Option<String>,
}

/// The generated password, if one was generated (shown once).
#[derive(Serialize, ToSchema)]
pub struct ResetPassword {
    #[serde(skip_serializing_if = "Option::is_none")]
    generated_password: Option<String>,
}

/// Reset a staff member's password (they forgot it, or it leaked): every
/// session of theirs ends at once. Residents and admins change their own.
#[utoipa::path(post, path = "/api/v1/admin/accounts/{id}/password", tag = "admin", security(("bearer" = [])),
    request_body = PasswordReset, params(("id" = String, Path, description = "account id")),
    responses((status = 200, body = ResetPassword), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn reset_password(
    State(state): State<AppState>,
    admin: AdminUser,
    request_id: RequestId,
    PathParams(id): PathParams<String>,
    Json(input): Json<PasswordReset>,
) -> Result<axum::Json<ResetPassword>, ApiError> {
    if let Some(Err(problem)) = input.password.as_deref().map(password::check_strength) {
        return Err(ApiError::Validation(vec![FieldError::new("password", problem)]));
    }
    let Some(account) = accounts::find_by_id(&state.store, &id).await? else {
        return Err(ApiError::NotFound(format!("there is no account `{id}`")));
    };
    if account.role != Role::Staff {
        return Err(ApiError::Conflict(format!(
            "`{}` is a {} account: only staff passwords are reset by an admin; others change their own",
            account.username,
            account.role.as_str()
        )));
    }
    let generated = input.password.is_none().then(password::generate);
    let password_hash = hash_off_thread(input.password.or_else(|| generated.clone()).unwrap_or_default()).await?;
    let mut tx = state.store.pool().begin().await?;
    accounts::set_password(&mut tx, &account.id, &password_hash, None).await?;
    let details = serde_json::json!({ "username": account.username, "sessions_ended": true });
    let actor = admin.0.actor();
    let target = format!("account:{}", account.id);
    audit::record(
        &state.store,
        &mut tx,
        Act { actor: &actor, action: "account.password-reset", target: &target, details, request_id: &request_id.0 },
    )
    .await?;
    tx.commit().await?;
    Ok(axum::Json(ResetPassword { generated_password: generated }))
}
