//! Platform administration: accounts, units, plugin review and lifecycle,
//! and the audit trail. Every route here needs an admin, save one read: a
//! staff member may list their own unit. Every change is recorded on the
//! audit trail.

mod accounts;
mod audit;
mod linkage;
mod reviews;
mod sign_in_failures;
mod units;

use utoipa_axum::router::OpenApiRouter;

use super::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(accounts::router())
        .merge(units::router())
        .merge(reviews::router())
        .merge(audit::router())
        .merge(linkage::router())
        .merge(sign_in_failures::router())
}
