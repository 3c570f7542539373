//! Units: list, create, edit.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::extract::{AdminUser, AuthUser, Json, PathParams};
use crate::api::problem::{ApiError, FieldError, Problem};
use crate::api::request_id::RequestId;
use crate::api::state::AppState;
use crate::audit::{self, Act};
use crate::store::accounts::Role;
use crate::store::units::{self, Unit, UnitKind};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_units, create_unit)).routes(routes!(update_unit))
}

/// Every unit to an admin; to a staff member, their own unit only (they
/// need its id, not the others'). Anyone else is refused.
#[utoipa::path(get, path = "/api/v1/admin/units", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<Unit>, description = "every unit (admin), or the caller's own unit (staff)"),
        (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_units(State(state): State<AppState>, user: AuthUser) -> Result<axum::Json<Vec<Unit>>, ApiError> {
    let visible = match (user.account.role, user.account.unit_id.as_deref()) {
        (Role::Admin, _) => units::list(&state.store).await?,
        (Role::Staff, Some(own)) => units::find(&state.store, own).await?.into_iter().collect(),
        // Deny by default: residents, staff without a unit, any role to come.
        _ => return Err(ApiError::Forbidden("only platform admins and staff of a unit may list units".into())),
    };
    Ok(axum::Json(visible))
}

/// A unit's editable fields.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitFields {
    kind: UnitKind,
    /// The name in Chinese.
    #[schema(schema_with = crate::api::field_schemas::unit_name)]
    name_zh: String,
    /// The name in Uyghur.
    #[schema(schema_with = crate::api::field_schemas::unit_name)]
    name_ug: String,
    /// The name in English.
    #[schema(schema_with = crate::api::field_schemas::unit_name)]
    name_en: String,
    /// How to reach the unit, at most 500 characters.
    #[serde(default)]
    #[schema(max_length = 500)]
    contact: String,
}

/// A new unit: its id and its editable fields. (Spelled out rather than
/// `#[serde(flatten)]`ed: flattening defeats `deny_unknown_fields`, and its
/// schema, an `allOf` of two closed objects, no body could satisfy.)
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUnit {
    /// 2–40 characters: lower-case letters, digits and hyphens, e.g. `police-north`.
    #[schema(pattern = "^[a-z0-9-]{2,40}$")]
    id: String,
    kind: UnitKind,
    /// The name in Chinese.
    #[schema(schema_with = crate::api::field_schemas::unit_name)]
    name_zh: String,
    /// The name in Uyghur.
    #[schema(schema_with = crate::api::field_schemas::unit_name)]
    name_ug: String,
    /// The name in English.
    #[schema(schema_with = crate::api::field_schemas::unit_name)]
    name_en: String,
    /// How to reach the unit, at most 500 characters.
    #[serde(default)]
    #[schema(max_length = 500)]
    contact: String,
}

impl NewUnit {
    fn split(self) -> (String, UnitFields) {
        let NewUnit { id, kind, name_zh, name_ug, name_en, contact } = self;
        (id, UnitFields { kind, name_zh, name_ug, name_en, contact })
    }
}

fn check(id: &str, fields: UnitFields) -> Result<Unit, ApiError> {
    let mut problems = Vec::new();
    let id_ok =
        (2..=40).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !id_ok {
        problems.push(FieldError::new("id", "must be 2 to 40 lower-case letters, digits and hyphens"));
    }
    for (field, value) in [("name_zh", &fields.name_zh), ("name_ug", &fields.name_ug), ("name_en", &fields.name_en)] {
        // Blank is not a name; the length bound is on what is sent, as the
        // document says.
        if value.trim().is_empty() || value.chars().count() > 80 {
            problems.push(FieldError::new(field, "must be 1 to 80 characters"));
        }
    }
    if fields.contact.chars().count() > 500 {
        problems.push(FieldError::new("contact", "must be at most 500 characters"));
    }
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    Ok(Unit {
        id: id.to_owned(),
        kind: fields.kind,
        name_zh: fields.name_zh.trim().to_owned(),
        name_ug: fields.name_ug.trim().to_owned(),
        name_en: fields.name_en.trim().to_owned(),
        contact: fields.contact.trim().to_owned(),
    })
}

/// Create a unit.
#[utoipa::path(post, path = "/api/v1/admin/units", tag = "admin", security(("bearer" = [])), request_body = NewUnit,
    responses((status = 201, body = Unit), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_unit(
    State(state): State<AppState>,
    admin: AdminUser,
    request_id: RequestId,
    Json(input): Json<NewUnit>,
) -> Result<(StatusCode, axum::Json<Unit>), ApiError> {
    let (id, fields) = input.split();
    let unit = check(&id, fields)?;
    let mut tx = state.store.pool().begin().await?;
    if !units::create(&mut tx, &unit).await? {
        return Err(ApiError::Conflict(format!("there is already a unit `{}`", unit.id)));
    }
    record(&state.store, &mut tx, &admin, &request_id, "unit.create", &unit).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(unit)))
}

/// Edit a unit's kind, names and contact details. The kind changes only
/// while the unit has no staff (409 otherwise).
#[utoipa::path(put, path = "/api/v1/admin/units/{id}", tag = "admin", security(("bearer" = [])), request_body = UnitFields,
    params(("id" = String, Path, description = "unit id")),
    responses((status = 200, body = Unit), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_unit(
    State(state): State<AppState>,
    admin: AdminUser,
    request_id: RequestId,
    PathParams(id): PathParams<String>,
    Json(input): Json<UnitFields>,
) -> Result<axum::Json<Unit>, ApiError> {
    let unit = check(&id, input)?;
    let mut tx = state.store.pool().begin().await?;
    match units::kind_change(&mut tx, &id, unit.kind).await? {
        units::KindChange::NoSuchUnit => return Err(ApiError::NotFound(format!("there is no unit `{id}`"))),
        units::KindChange::HasStaff(staff) => {
            return Err(ApiError::Conflict(format!(
                "unit `{id}` has {staff} staff account(s), and its kind decides what they may see: \
                 its kind cannot change while it has staff (move them to another unit first)"
            )));
        }
        units::KindChange::Allowed => {}
    }
    if !units::update(&mut tx, &unit).await? {
        return Err(ApiError::NotFound(format!("there is no unit `{id}`")));
    }
    record(&state.store, &mut tx, &admin, &request_id, "unit.update", &unit).await?;
    tx.commit().await?;
    Ok(axum::Json(unit))
}

async fn record(
    store: &crate::store::Store,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    admin: &AdminUser,
    request_id: &RequestId,
    action: &str,
    unit: &Unit,
) -> Result<(), ApiError> {
    let actor = admin.0.actor();
    let details = serde_json::to_value(unit).unwrap_or_default();
    audit::record(
        store,
        tx,
        Act { actor: &actor, action, target: &format!("unit:{}", unit.id), details, request_id: &request_id.0 },
    )
    .await?;
    Ok(())
}
