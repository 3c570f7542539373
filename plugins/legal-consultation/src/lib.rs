//! Legal consultation and people's mediation, for the judicial office.
//!
//! - A resident asks a legal question; it is a case with the judicial
//!   office, whose lawyers and mediators answer in a thread the resident
//!   follows up on; once closed the resident rates it with the platform's
//!   own rating (`POST /api/v1/me/cases/{id}/rating`).
//! - A resident requests mediation of a dispute (三调联动): a case with the
//!   judicial office, which brings in the residents' committee of the
//!   requester's community and the community police office — one case, one
//!   history, three units — enters it in the shared disputes register, holds
//!   sessions with them, and records the outcome: a written agreement (which
//!   the parties may take to court for judicial confirmation within 30
//!   days) or none, why, and the routes the parties were told of.
//! - The other party is named only, or invited with a code the requester
//!   passes on, so the requester never learns who has an account.
//!
//! The 12348 public legal service line is shown wherever a resident asks.

mod access;
#[cfg(test)]
mod api_doc;
mod case_flow;
mod forms;
mod guide;
mod invitation;
mod invitations;
mod mediation;
mod mediation_forms;
mod mediation_view;
mod mediations;
mod question;
mod questions;
mod register;
mod sessions;
mod texts;

use onewindow_sdk::prelude::*;

/// The service (public so tests can run it through the SDK's harness).
pub struct LegalConsultation;

impl Service for LegalConsultation {
    fn router() -> Router {
        Router::new()
            .get("/guide", guide::guide)
            .post("/questions", questions::ask)
            .get("/questions", questions::list)
            .get("/questions/{id}", questions::show)
            .post("/questions/{id}/messages", questions::add_message)
            .post("/questions/{id}/close", questions::close)
            .post("/questions/{id}/withdraw", questions::withdraw)
            .post("/questions/{id}/decline", questions::decline)
            .post("/mediations", mediations::open)
            .get("/mediations", mediations::list)
            .get("/mediations/{id}", mediations::show)
            .post("/mediations/{id}/convene", mediations::convene)
            .post("/mediations/{id}/decline", mediations::decline)
            .post("/mediations/{id}/withdraw", mediations::withdraw)
            .post("/mediations/{id}/sessions", sessions::schedule)
            .post("/mediations/{id}/sessions/{session}/held", sessions::held)
            .post("/mediations/{id}/notes", sessions::note)
            .post("/mediations/{id}/outcome", mediations::outcome)
            .post("/invitations/accept", invitations::accept)
            .post("/invitations/decline", invitations::decline)
    }
}

onewindow_sdk::export!(LegalConsultation);
