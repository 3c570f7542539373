//! Lost resident ID card: a resident reports the loss (recorded at once as
//! reported lost) and applies for a reissued card (补领, within 60 days) or
//! a temporary one (valid 3 months). The household registration desk of
//! the police station checks the applicant's identity against the shared
//! profile, accepts, sets a pickup place and time, and closes the
//! application when the card is collected.
//!
//! Lost cards attract telecom fraud ("your account is frozen", "pay a
//! deposit", "move your money to a safe account"). A report whose story
//! shows such signs warns the resident at once and puts a consultation in
//! the community police office's anti-fraud queue, where a resident's own
//! "is this a scam?" questions land too.
//!
//! Every application and consultation is a platform case, so it shows in
//! the resident's "my cases" and the units' queues and figures.

mod access;
#[cfg(test)]
mod api_doc;
mod application;
mod consultation;
mod fraud;
mod handlers;
mod identity;
mod length;
mod linkage;
mod pickup;
mod report;
mod texts;
mod warning;

use onewindow_sdk::prelude::*;

use handlers::{applications, consultations, info, reports};

/// The service (public so tests can run it through the SDK's harness).
pub struct LostIdReissue;

impl Service for LostIdReissue {
    fn router() -> Router {
        Router::new()
            .get("/info", info::show)
            .post("/reports", reports::file)
            .get("/reports", reports::list)
            .get("/reports/{id}", reports::show)
            .post("/applications", applications::apply)
            .get("/applications", applications::list)
            .get("/applications/{id}", applications::show)
            .post("/applications/{id}/withdraw", applications::withdraw)
            .post("/applications/{id}/accept", applications::accept)
            .post("/applications/{id}/reject", applications::reject)
            .post("/applications/{id}/ready", applications::ready)
            .post("/applications/{id}/collected", applications::collected)
            .post("/scam-consultations", consultations::ask)
            .get("/scam-consultations", consultations::list)
            .get("/scam-consultations/{id}", consultations::show)
            .post("/scam-consultations/{id}/answer", consultations::answer)
    }
}

onewindow_sdk::export!(LostIdReissue);
