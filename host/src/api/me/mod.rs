//! The resident's own corner of the portal (`/api/v1/me/...`): their shared
//! profile, every case of theirs across services, their inbox, the consents
//! they gave partner units, and who read their data and why.

mod access_log;
pub(super) mod cases;
mod consents;
mod inbox;
mod profile;

use utoipa_axum::router::OpenApiRouter;

use super::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(profile::router())
        .merge(cases::router())
        .merge(inbox::router())
        .merge(consents::router())
        .merge(access_log::router())
}
