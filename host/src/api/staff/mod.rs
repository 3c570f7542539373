//! Unit staff (`/api/v1/staff/...`): their unit's case queue, the shared
//! record of the areas their unit serves (within the unit's grants), alerts
//! to those areas, and their unit's figures. Everything is scoped to the
//! staff member's own unit: another unit's case does not exist here.

mod alerts;
pub(super) mod cases;
mod records;
mod reports;

use utoipa_axum::router::OpenApiRouter;

use super::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(cases::router())
        .merge(records::router())
        .merge(alerts::router())
        .merge(reports::router())
}
