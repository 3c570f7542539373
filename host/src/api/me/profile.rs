//! `GET/PATCH /api/v1/me/profile`: the resident reads and corrects their
//! own entry in the shared resident profile, with who wrote each field.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::extract::{Json, ResidentUser};
use crate::api::problem::{ApiError, FieldError, Problem};
use crate::api::request_id::RequestId;
use crate::api::state::AppState;
use crate::records::access_log::Via;
use crate::records::engine::{Actor, Provenance, Session};
use crate::records::policy::{SELF_CORRECTABLE, resident_self};
use crate::records::schema::{self, AREA_COLUMN};
use crate::registry::manifest::Localized;
use crate::store::accounts::Role;
use crate::store::areas;
use crate::store::tx::RequestTx;
use crate::wit::onewindow::platform::data::{Assignment, Condition, Predicate, SelectQuery, Value};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(read_profile, update_profile))
}

/// The resident's profile and who last wrote each field.
#[derive(Serialize, ToSchema)]
pub struct Profile {
    /// Column → value; `null` when the resident has no profile yet.
    #[schema(value_type = Option<Object>)]
    profile: Option<BTreeMap<String, Option<String>>>,
    provenance: Vec<Provenance>,
}

fn session(state: &AppState, user: &ResidentUser, request_id: &RequestId, tx: RequestTx) -> Session {
    let purpose =
        Localized { zh: "本人查阅".into(), ug: "ئۆزى كۆرۈش".into(), en: "your own request".into() };
    Session {
        store: state.store.clone(),
        tx,
        keyring: state.runtime.keyring().clone(),
        policy: Arc::new(resident_self(purpose)),
        actor: Actor { subject: Some(user.0.account.id.clone()), role: Some(Role::Resident), unit: None },
        via: Via::Portal,
        request_id: request_id.0.clone(),
        mask_sensitive: false,
        reveal: Vec::new(),
        reads: Vec::new(),
    }
}

async fn load(session: &mut Session) -> Result<(Option<i64>, Profile), ApiError> {
    let rows = session
        .select(&SelectQuery {
            table: "resident_profile".into(),
            columns: vec![],
            conditions: vec![],
            order_by: vec![],
            limit: Some(1),
            offset: None,
        })
        .await?;
    let Some(row) = rows.rows.first() else { return Ok((None, Profile { profile: None, provenance: vec![] })) };
    let mut profile = BTreeMap::new();
    let mut id = None;
    for (column, value) in rows.columns.iter().zip(row) {
        match (column.as_str(), value) {
            ("id", Value::Integer(n)) => id = Some(*n),
            ("resident", _) => {}
            (_, Value::Text(text)) => {
                profile.insert(column.clone(), Some(text.clone()));
            }
            _ => {
                profile.insert(column.clone(), None);
            }
        }
    }
    let provenance = match id {
        Some(id) => session.provenance("resident_profile", id, &[]).await?,
        None => vec![],
    };
    Ok((id, Profile { profile: Some(profile), provenance }))
}

/// Your entry in the shared resident profile (collected once, used by every
/// unit allowed to), with who last wrote each field and when.
#[utoipa::path(get, path = "/api/v1/me/profile", tag = "me", security(("bearer" = [])),
    responses((status = 200, body = Profile), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn read_profile(
    State(state): State<AppState>,
    user: ResidentUser,
    request_id: RequestId,
) -> Result<axum::Json<Profile>, ApiError> {
    let mut session = session(&state, &user, &request_id, RequestTx::for_platform(state.store.clone()));
    Ok(axum::Json(load(&mut session).await?.1))
}

/// Fill in or correct your profile: a JSON object of column → text (or
/// `null` to clear). The first time, any column may be given; afterwards
/// the ID number, date of birth, gender and ethnicity are changed only at a
/// registration desk. Every field you write is recorded as written by you.
#[utoipa::path(patch, path = "/api/v1/me/profile", tag = "me", security(("bearer" = [])),
    request_body(content = Object, description = "column → text or null"),
    responses((status = 200, body = Profile), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn update_profile(
    State(state): State<AppState>,
    user: ResidentUser,
    request_id: RequestId,
    Json(changes): Json<BTreeMap<String, Option<String>>>,
) -> Result<axum::Json<Profile>, ApiError> {
    let tx = RequestTx::for_platform(state.store.clone());
    let mut session = session(&state, &user, &request_id, tx.clone());
    let (existing, _) = load(&mut session).await?;
    check_changes(&state, &changes, existing.is_some()).await?;
    let assignments: Vec<Assignment> = changes
        .into_iter()
        .map(|(column, value)| {
            let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
            Assignment { column, value: value.map_or(Value::Null, Value::Text) }
        })
        .collect();
    match existing {
        None => {
            session.insert("resident_profile", &assignments).await?;
        }
        Some(id) => {
            let this_row = Condition { column: "id".into(), predicate: Predicate::Eq(Value::Integer(id)) };
            session.update("resident_profile", &assignments, &[this_row]).await?;
        }
    }
    tx.commit().await?;
    let mut session = session_after(&state, &user, &request_id);
    Ok(axum::Json(load(&mut session).await?.1))
}

fn session_after(state: &AppState, user: &ResidentUser, request_id: &RequestId) -> Session {
    session(state, user, request_id, RequestTx::for_platform(state.store.clone()))
}

/// Every fault at once: unknown columns, identity facts after the first
/// time, an unknown area, a malformed ID number or phone.
async fn check_changes(
    state: &AppState,
    changes: &BTreeMap<String, Option<String>>,
    exists: bool,
) -> Result<(), ApiError> {
    let table = schema::schema().table("resident_profile").expect("the schema has resident_profile");
    let mut errors = Vec::new();
    if changes.is_empty() {
        errors.push(FieldError::new("(body)", "give at least one column to change"));
    }
    for (column, value) in changes {
        let value = value.as_deref().map(str::trim).unwrap_or_default();
        if column != AREA_COLUMN && table.column(column).is_none() {
            errors.push(FieldError::new(column, "is not a column of the resident profile"));
            continue;
        }
        if exists && !SELF_CORRECTABLE.contains(&column.as_str()) {
            errors.push(FieldError::new(column, "is verified at a registration desk; ask there to change it"));
            continue;
        }
        if value.chars().count() > 200 {
            errors.push(FieldError::new(column, "must be at most 200 characters"));
        } else if column == "id_number" && !value.is_empty() && !valid_id_number(value) {
            errors.push(FieldError::new(column, "must be an 18-character resident ID number with a valid check digit"));
        } else if column == AREA_COLUMN && !value.is_empty() && areas::find(&state.store, value).await?.is_none() {
            errors.push(FieldError::new(column, format!("there is no area `{value}`")));
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(ApiError::Validation(errors)) }
}

/// GB 11643: 17 digits and an ISO 7064 MOD 11-2 check character.
pub fn valid_id_number(value: &str) -> bool {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let chars: Vec<char> = value.chars().collect();
    if chars.len() != 18 || !chars[..17].iter().all(char::is_ascii_digit) {
        return false;
    }
    let sum: u32 = chars[..17].iter().zip(WEIGHTS).map(|(c, w)| c.to_digit(10).unwrap_or(0) * w).sum();
    chars[17].to_ascii_uppercase() == CHECK[(sum % 11) as usize]
}

#[cfg(test)]
mod tests {
    #[test]
    fn id_numbers_need_their_check_digit() {
        assert!(super::valid_id_number("11010519491231002X"));
        assert!(super::valid_id_number("11010519491231002x"));
        assert!(!super::valid_id_number("110105194912310021"));
        assert!(!super::valid_id_number("1101051949123100"));
    }
}
