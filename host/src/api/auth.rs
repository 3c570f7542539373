//! Accounts and sign-in: residents register themselves; everyone signs in
//! with username and password and gets a bearer token.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{AuthUser, ClientAddress, Json};
use super::problem::{ApiError, FieldError, Problem};
use super::request_id::RequestId;
use super::state::AppState;
use crate::audit::{self, Act};
use crate::auth::{fields, password, token};
use crate::store::accounts::{self, Account, CreateError, NewAccount, Role};
use crate::store::{sessions, timestamp};
use crate::telemetry::metrics::{self, SignIn};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(sign_in))
        .routes(routes!(sign_out))
        .routes(routes!(me))
        .routes(routes!(change_password))
}

/// A new resident account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    #[schema(schema_with = crate::api::field_schemas::username)]
    username: String,
    /// 10–128 characters.
    #[schema(min_length = 10, max_length = 128)]
    password: String,
    #[schema(schema_with = crate::api::field_schemas::display_name)]
    display_name: String,
}

/// Username and password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    #[schema(schema_with = crate::api::field_schemas::username)]
    username: String,
    #[schema(max_length = 128)]
    password: String,
}

/// A fresh sign-in.
#[derive(Serialize, ToSchema)]
pub struct Session {
    /// Send as `Authorization: Bearer <token>`. Shown only once.
    token: String,
    /// When the token stops working (UTC, RFC 3339).
    expires_at: String,
    account: Account,
}

/// Checks a username, returning it trimmed.
pub fn check_username(username: &str) -> Result<String, FieldError> {
    fields::username(username).map_err(|problem| FieldError::new("username", problem))
}

/// Checks a display name, returning it trimmed.
pub fn check_display_name(name: &str) -> Result<String, FieldError> {
    fields::display_name(name).map_err(|problem| FieldError::new("display_name", problem))
}

/// Register a resident account.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = Registration,
    responses((status = 201, body = Account), (status = 409, body = Problem, description = "username taken"), (status = 422, body = Problem),
        (status = 429, body = Problem, description = "too many attempts (see Retry-After)"),
        (status = 503, body = Problem, description = "busy (see Retry-After)")))]
async fn register(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Json(input): Json<Registration>,
) -> Result<(StatusCode, axum::Json<Account>), ApiError> {
    throttled(state.throttle.admit(address, None))?;
    let mut problems = Vec::new();
    let username = check_username(&input.username).map_err(|e| problems.push(e)).ok();
    let display_name = check_display_name(&input.display_name).map_err(|e| problems.push(e)).ok();
    if let Err(problem) = password::check_strength(&input.password) {
        problems.push(FieldError::new("password", problem));
    }
    let (Some(username), Some(display_name)) = (username, display_name) else {
        return Err(ApiError::Validation(problems));
    };
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let password_hash = hash_off_thread(input.password).await?;
    let new = NewAccount {
        username: &username,
        display_name: &display_name,
        role: Role::Resident,
        unit_id: None,
        password_hash: &password_hash,
    };
    let mut tx = state.store.pool().begin().await?;
    match accounts::create(&mut tx, new).await {
        Ok(account) => {
            tx.commit().await?;
            Ok((StatusCode::CREATED, axum::Json(account)))
        }
        Err(CreateError::UsernameTaken) => Err(ApiError::Conflict(format!("the username `{username}` is taken"))),
        Err(CreateError::Database(e)) => Err(e.into()),
    }
}

/// Sign in; returns a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/sign-in", tag = "auth", request_body = Credentials,
    responses((status = 200, body = Session), (status = 401, body = Problem, description = "wrong username or password"),
        (status = 422, body = Problem), (status = 429, body = Problem, description = "too many attempts (see Retry-After)"),
        (status = 503, body = Problem, description = "busy (see Retry-After)")))]
async fn sign_in(
    State(state): State<AppState>,
    request_id: RequestId,
    ClientAddress(address): ClientAddress,
    Json(input): Json<Credentials>,
) -> Result<axum::Json<Session>, ApiError> {
    // A name that could never be a username is refused before any hashing
    // or auditing: neither may be had for free with megabyte-long names.
    let username = fields::username(&input.username).map_err(|problem| ApiError::field("username", problem))?;
    if input.password.chars().count() > password::MAX_LEN {
        metrics::sign_in(SignIn::Refused);
        return Err(ApiError::Unauthorized("wrong username or password".into()));
    }
    throttled(state.throttle.admit(address, Some(&username))).inspect_err(|_| metrics::sign_in(SignIn::Throttled))?;
    let found = accounts::find_for_sign_in(&state.store, &username).await?;
    let password = input.password;
    let account = off_thread(move || match found {
        Some((account, hash)) if password::verify(&password, &hash) => Some(account),
        Some(_) => None,
        None => {
            password::verify_dummy(&password);
            None
        }
    })
    .await?;
    let Some(account) = account else {
        metrics::sign_in(SignIn::Refused);
        state.throttle.failed(&username);
        tracing::warn!(%username, "sign-in failed");
        crate::auth::failures::record(&state.store, &username, &request_id.0).await?;
        return Err(ApiError::Unauthorized("wrong username or password".into()));
    };
    // Expired and revoked sessions are dropped as people sign in, so the
    // table stays the size of the live ones.
    sessions::delete_dead(&state.store).await?;
    let token = token::generate();
    let expires_at = timestamp::format(time::OffsetDateTime::now_utc() + state.session_ttl);
    sessions::create(&state.store, &token::hash(&token), &account.id, &expires_at).await?;
    metrics::sign_in(SignIn::Succeeded);
    Ok(axum::Json(Session { token, expires_at, account }))
}

/// Sign out: revokes the token used for this request.
#[utoipa::path(post, path = "/api/v1/auth/sign-out", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "signed out"), (status = 401, body = Problem)))]
async fn sign_out(State(state): State<AppState>, user: AuthUser) -> Result<StatusCode, ApiError> {
    sessions::revoke(&state.store, &user.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Account), (status = 401, body = Problem)))]
async fn me(user: AuthUser) -> axum::Json<Account> {
    axum::Json(user.account)
}

/// A new password for the signed-in account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    current_password: String,
    /// 10–128 characters, not the current password.
    #[schema(min_length = 10, max_length = 128)]
    new_password: String,
}

/// Change your own password: the current one proves it is you; every other
/// session of the account ends (this one stays signed in).
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", security(("bearer" = [])), request_body = PasswordChange,
    responses((status = 204, description = "changed"), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn change_password(
    State(state): State<AppState>,
    user: AuthUser,
    request_id: RequestId,
    Json(input): Json<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    let mut problems = Vec::new();
    if let Err(problem) = password::check_strength(&input.new_password) {
        problems.push(FieldError::new("new_password", problem));
    } else if input.new_password == input.current_password {
        problems.push(FieldError::new("new_password", "must differ from the current password"));
    }
    let found = accounts::find_for_sign_in(&state.store, &user.account.username).await?;
    let current = input.current_password;
    let proven = off_thread(move || found.is_some_and(|(_, hash)| password::verify(&current, &hash))).await?;
    if !proven {
        problems.insert(0, FieldError::new("current_password", "is not your current password"));
    }
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let password_hash = hash_off_thread(input.new_password).await?;
    let mut tx = state.store.pool().begin().await?;
    accounts::set_password(&mut tx, &user.account.id, &password_hash, Some(&user.token_hash)).await?;
    let act = Act {
        actor: &user.actor(),
        action: "account.password-change",
        target: &format!("account:{}", user.account.id),
        details: serde_json::json!({}),
        request_id: &request_id.0,
    };
    audit::record(&state.store, &mut tx, act).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A throttle's refusal as a 429.
fn throttled(admitted: Result<(), std::time::Duration>) -> Result<(), ApiError> {
    admitted.map_err(|retry_after| ApiError::TooManyRequests {
        detail: format!("too many attempts; try again in {} s", retry_after.as_secs().max(1)),
        retry_after,
    })
}

/// Hashes on a blocking thread (Argon2 takes tens of milliseconds by design).
pub async fn hash_off_thread(password: String) -> Result<String, ApiError> {
    off_thread(move || password::hash(&password)).await
}

/// Runs Argon2 work on a blocking thread, a few at a time: each hash takes
/// 19 MiB and tens of milliseconds by design, so unbounded concurrency would
/// let a flood of sign-ins exhaust memory.
/// How long a request waits for a hashing slot before a 503 `service-busy`.
const HASHING_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

async fn off_thread<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
    static SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);
    // A bounded wait: under a flood, callers are told to come back rather
    // than queue without end (and hold their connections meanwhile).
    let slot = tokio::time::timeout(HASHING_WAIT, SLOTS.acquire())
        .await
        .map_err(|_| ApiError::Busy("every password-hashing slot is taken; try again in a moment".into()))?;
    let _slot = slot.map_err(|e| anyhow::anyhow!("hashing slots closed: {e}"))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("password hashing failed: {e}")))
}
