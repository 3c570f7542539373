//! Residence permit: a signed-in resident applies, follows and may withdraw
//! their applications; police staff review them through
//! submitted → under-review → approved | rejected → issued.
//!
//! Built on the shared record: an application is pre-filled from the
//! resident's profile and floating-population registration, writes back
//! what is new, and opens a case with the registration desk that moves
//! with it (so it shows in the resident's "my cases" and the desk's figures).

#[cfg(test)]
mod api_doc;
mod application;
mod handlers;
mod shared;

use onewindow_sdk::prelude::*;

/// The service (public so tests can run it through the SDK's harness).
pub struct ResidencePermit;

impl Service for ResidencePermit {
    fn router() -> Router {
        Router::new()
            .get("/prefill", handlers::prefill)
            .post("/applications", handlers::apply)
            .get("/applications", handlers::list)
            .get("/applications/{id}", handlers::show)
            .post("/applications/{id}/withdraw", handlers::withdraw)
            .post("/applications/{id}/transition", handlers::transition)
    }
}

onewindow_sdk::export!(ResidencePermit);
