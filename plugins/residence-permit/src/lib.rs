//! Residence permit: a signed-in resident applies, follows and may withdraw
//! their applications; police staff review them through
//! submitted → under-review → approved | rejected → issued.

mod application;
mod handlers;

use onewindow_sdk::prelude::*;

struct ResidencePermit;

impl Service for ResidencePermit {
    fn router() -> Router {
        Router::new()
            .post("/applications", handlers::apply)
            .get("/applications", handlers::list)
            .get("/applications/{id}", handlers::show)
            .post("/applications/{id}/withdraw", handlers::withdraw)
            .post("/applications/{id}/transition", handlers::transition)
    }
}

onewindow_sdk::export!(ResidencePermit);
