//! Residence permit (居住证), per the Interim Regulations on Residence
//! Permits (居住证暂行条例, 2016): a citizen who has lived here at least six
//! months with lawful stable employment, a lawful stable residence or
//! continuous study applies; the police station's household registration
//! desk reviews (asking for more when something is missing), approves and
//! issues a permit valid for one year, endorsed (签注) every year.
//!
//! - `GET /requirements`: the rules and the documents checklist, for anyone.
//! - `GET /prefill`, `POST/GET /applications`, `GET /applications/{id}`,
//!   `POST /applications/{id}/{withdraw,resubmit,transition}`: applications
//!   (see `application` for the moves).
//! - `GET /permits`, `GET /permits/{id}`, `POST/GET /permits/{id}/endorsements`,
//!   `GET /endorsements`, `GET /endorsements/{id}`,
//!   `POST /endorsements/{id}/transition`: permits and their endorsement.
//! - `POST/GET /registration`, `POST/GET /rentals`: the newcomer's
//!   floating-population and rental-housing registrations.
//!
//! Built on the shared record: an application is pre-filled from the
//! resident's profile and floating-population registration and writes back
//! what is new; every application and endorsement is a case with the desk
//! that moves with it (the resident's "my cases", the desk's figures), and
//! every status change reaches the resident's inbox.
//!
//! Why the two registrations are routes of this service, not a service of
//! their own: they are the same desk's work and the first step of the same
//! story. The floating-population registration (居住登记) is taken by the
//! police station's household registration desk that issues the permit, and
//! its arrival date starts the six-month clock the application is judged
//! by: a newcomer registers on arrival, comes back when `GET /registration`
//! says the six months are complete, and applies with everything pre-filled
//! from what they registered. A registered lease is the proof a `residence`
//! application names. Splitting them off would give the resident two windows
//! for one desk, and put the rule "six months since registration" in a
//! service that never sees the registration. The data itself is not this
//! service's: it lives in the platform's shared tables, so the community
//! office and other services read the same registration under their own
//! grants.

mod access;
#[cfg(test)]
mod api_doc;
mod application;
pub mod calendar;
mod endorsement;
mod handlers;
mod linkage;
mod permit;
mod registration;
mod rental;
mod requirements;
mod shared;
mod texts;

use onewindow_sdk::prelude::*;

use handlers::{applications, endorsements, permits, registration as registrations, rentals, requirements as rules};

/// The service (public so tests can run it through the SDK's harness).
pub struct ResidencePermit;

impl Service for ResidencePermit {
    fn router() -> Router {
        Router::new()
            .get("/requirements", rules::show)
            .get("/prefill", applications::prefill)
            .post("/applications", applications::apply)
            .get("/applications", applications::list)
            .get("/applications/{id}", applications::show)
            .post("/applications/{id}/withdraw", applications::withdraw)
            .post("/applications/{id}/resubmit", applications::resubmit)
            .post("/applications/{id}/transition", applications::transition)
            .get("/permits", permits::list)
            .get("/permits/{id}", permits::show)
            .post("/permits/{id}/endorsements", permits::endorse)
            .get("/permits/{id}/endorsements", permits::endorsements)
            .get("/endorsements", endorsements::list)
            .get("/endorsements/{id}", endorsements::show)
            .post("/endorsements/{id}/transition", endorsements::transition)
            .post("/registration", registrations::register)
            .get("/registration", registrations::show)
            .post("/rentals", rentals::add)
            .get("/rentals", rentals::list)
    }
}

onewindow_sdk::export!(ResidencePermit);
