//! `api.json`: the routes as the portal's API document shows them. This test
//! fails when the file is out of date with the router and the types;
//! `ONEWINDOW_WRITE_API=1 cargo test -p legal-consultation` rewrites it.

use onewindow_sdk::harness::{ApiDoc, Operation, page_of, schema_of};
use serde_json::{Value, json};

use crate::LegalConsultation;
use crate::guide::Guide;
use crate::invitations::Declined;
use crate::mediation_forms::{Convene, Held, InvitationAnswer, NewMediation, NewOutcome, NewSession, Note, Reason};
use crate::mediation_view::Mediation;
use crate::question::{NewMessage, NewQuestion, Question};

/// An optional body with one optional text field.
fn optional_text(field: &str, description: &str) -> Value {
    json!({
        "type": "object",
        "properties": { field: { "type": "string", "maxLength": 500, "description": description } },
        "additionalProperties": false
    })
}

#[test]
fn api_json_is_current() {
    let question = |summary: &str| Operation::new(summary).answer::<Question>(200, "The question, with its thread");
    let mediation = |summary: &str| Operation::new(summary).answer::<Mediation>(200, "The mediation");
    ApiDoc::of::<LegalConsultation>()
        .route(
            "GET",
            "/guide",
            Operation::new("What the service offers")
                .description("Anyone: the kinds of legal question, the 12348 public legal service line, and what people's mediation is, in the Accept-Language.")
                .answer::<Guide>(200, "The guide"),
        )
        .route(
            "POST",
            "/questions",
            Operation::new("Ask the judicial office a legal question")
                .description("Residents. Opens a case (kind legal-question, LQ-…) with the judicial office; every bad field is named at once (422).")
                .body::<NewQuestion>()
                .answer::<Question>(201, "The question, awaiting an answer"),
        )
        .route(
            "GET",
            "/questions",
            Operation::new("List legal questions").paged()
                .description("A resident's own, or the judicial office's queue (403 for other units).")
                .query("status", "awaiting-answer, answered, closed, withdrawn or declined")
                .query("category", "family, labour, tenancy, neighbour, consumer, fraud or other")
                .answer_schema(200, "A page of questions", page_of(schema_of::<Question>())),
        )
        .route("GET", "/questions/{id}", question("One question with its answers and follow-ups"))
        .route(
            "POST",
            "/questions/{id}/messages",
            Operation::new("Answer, or follow up")
                .description("Judicial office staff answer (text and capacity; the resident is told in their inbox); the resident follows up (text). 409 once closed.")
                .body::<NewMessage>()
                .answer::<Question>(201, "The question with the new message"),
        )
        .route(
            "POST",
            "/questions/{id}/close",
            question("Close an answered question")
                .description("The resident or the judicial office; the case is completed, and the resident rates it with POST /api/v1/me/cases/{case_id}/rating (rating_route).")
                .body_schema(optional_text("note", "how it was settled")),
        )
        .route(
            "POST",
            "/questions/{id}/withdraw",
            question("Withdraw a question")
                .description("The resident, while it is open; the case is cancelled.")
                .body_schema(optional_text("reason", "why")),
        )
        .route(
            "POST",
            "/questions/{id}/decline",
            question("Decline a question")
                .description("The judicial office, before answering; the case is rejected and the resident told why (and of 12348).")
                .body::<Reason>(),
        )
        .route(
            "POST",
            "/mediations",
            Operation::new("Request people's mediation of a dispute")
                .description("Residents. Opens a case (kind mediation, MED-…) with the judicial office. With invite_other_party the answer carries an invitation code to pass on.")
                .body::<NewMediation>()
                .answer::<Mediation>(201, "The mediation request"),
        )
        .route(
            "GET",
            "/mediations",
            Operation::new("List mediations").paged()
                .description("A resident's own (as requester or joined other party); all for the judicial office; those a committee or the police office was convened to.")
                .query("status", "staff only: requested, convened, agreed, no-agreement, declined or withdrawn")
                .answer_schema(200, "A page of mediations", page_of(schema_of::<Mediation>())),
        )
        .route(
            "GET",
            "/mediations/{id}",
            mediation("One mediation with its sessions, outcome and history")
                .description("The parties, and staff of any unit on the case (404 for anyone else)."),
        )
        .route(
            "POST",
            "/mediations/{id}/convene",
            mediation("Convene the three units")
                .description("The judicial office: takes the mediation on, brings in the residents' committee of the requester's area and the community police office (keep = true), and enters the dispute in the shared disputes register.")
                .body::<Convene>(),
        )
        .route(
            "POST",
            "/mediations/{id}/decline",
            mediation("Decline a mediation request")
                .description("The judicial office, before convening; the parties are told why and of their other routes.")
                .body::<Reason>(),
        )
        .route(
            "POST",
            "/mediations/{id}/withdraw",
            mediation("Withdraw a mediation request")
                .description("The requester, before the units convene; afterwards 409 (tell the mediators, who record it as ended without agreement).")
                .body_schema(optional_text("reason", "why")),
        )
        .route(
            "POST",
            "/mediations/{id}/sessions",
            Operation::new("Schedule a session, or record one held")
                .description("Staff of any unit on the case, once convened. Scheduled ahead: the parties are told the time and place. With attendees: recorded as held.")
                .body::<NewSession>()
                .answer::<Mediation>(201, "The mediation with the session"),
        )
        .route(
            "POST",
            "/mediations/{id}/sessions/{session}/held",
            mediation("Record a scheduled session as held, and who attended")
                .description("Staff of any unit on the case.")
                .body::<Held>(),
        )
        .route(
            "POST",
            "/mediations/{id}/notes",
            Operation::new("Add a note to the shared history")
                .description("Staff of any unit on the case; the parties do not see notes.")
                .body::<Note>()
                .answer::<Mediation>(201, "The mediation with its history"),
        )
        .route(
            "POST",
            "/mediations/{id}/outcome",
            mediation("Record how the mediation ended")
                .description("The judicial office: an agreement with its terms (case completed; judicial confirmation within 30 days) or none, why, and the routes told (case failed). The parties are told in their inbox.")
                .body::<NewOutcome>(),
        )
        .route(
            "POST",
            "/invitations/accept",
            Operation::new("Join a mediation as the other party")
                .description("A resident holding the code the requester passed on; a wrong, used or closed code is 404.")
                .body::<InvitationAnswer>()
                .answer::<Mediation>(200, "The mediation, as the other party sees it"),
        )
        .route(
            "POST",
            "/invitations/decline",
            Operation::new("Decline to take part in a mediation")
                .description("A resident holding the code; the mediators read the reason in the case's history.")
                .body::<InvitationAnswer>()
                .answer::<Declined>(200, "Declined"),
        )
        .check_file(concat!(env!("CARGO_MANIFEST_DIR"), "/api.json"));
}
