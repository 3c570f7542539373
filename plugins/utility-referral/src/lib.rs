//! Utility referral: a resident reports a utility problem (no water, a gas
//! smell, a power cut, heating, a property repair, phone or broadband,
//! cable TV, post, rubbish …) once. The service proposes the partner unit
//! from the category (the resident may choose another unit that handles
//! it), files a referral as a platform case with that unit — with the
//! resident's phone and address only if they tick "share" — and the unit's
//! staff work it: accepted → in-progress → completed, or rejected with a
//! reason. Urgent categories get a short response time and their safety
//! steps at once.
//!
//! - `directory`: the nine partner units and who handles what (seeded on
//!   first use, edited by admins), after Open Referral's organisation →
//!   service model;
//! - `referrals`: the reports, their cases, and the hand-off to a partner's
//!   own service;
//! - `catalog` and `safety`: the fixed categories, details and safety steps.

#[cfg(test)]
mod api_doc;
mod catalog;
mod clock;
mod directory;
mod referrals;
mod safety;
mod texts;

use onewindow_sdk::prelude::*;

use directory::routes as directory_routes;
use referrals::routes as referral_routes;

/// The service (public so tests can run it through the SDK's harness).
pub struct UtilityReferral;

impl Service for UtilityReferral {
    fn router() -> Router {
        Router::new()
            .get("/units", directory_routes::list_units)
            .get("/units/{unit}", directory_routes::show_unit)
            .put("/units/{unit}", directory_routes::edit_unit)
            .get("/categories", directory_routes::list_categories)
            .get("/categories/{code}", directory_routes::show_category)
            .put("/categories/{code}", directory_routes::edit_category)
            .post("/referrals", referral_routes::create)
            .get("/referrals", referral_routes::list)
            .get("/referrals/{id}", referral_routes::show)
            .post("/referrals/{id}/transition", referral_routes::transition)
            .post("/referrals/{id}/cancel", referral_routes::cancel)
    }
}

onewindow_sdk::export!(UtilityReferral);
