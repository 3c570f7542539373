//! `api.json`: the routes as the portal's API document shows them. This test
//! fails when the file is out of date with the router and the types;
//! `ONEWINDOW_WRITE_API=1 cargo test -p residence-permit` rewrites it.

use onewindow_sdk::harness::{ApiDoc, Operation, schema_of};
use serde_json::json;

use crate::ResidencePermit;
use crate::application::{Application, NewApplication};

fn page_of_applications() -> serde_json::Value {
    json!({
        "type": "object",
        "required": ["items", "total", "limit", "offset"],
        "properties": {
            "items": { "type": "array", "items": schema_of::<Application>() },
            "total": { "type": "integer" },
            "limit": { "type": "integer" },
            "offset": { "type": "integer" }
        }
    })
}

#[test]
fn api_json_is_current() {
    let transition = json!({
        "type": "object",
        "required": ["to"],
        "properties": {
            "to": { "type": "string", "enum": ["under-review", "approved", "rejected", "issued"] },
            "reason": { "type": "string", "maxLength": 500, "description": "required when rejecting" }
        },
        "additionalProperties": false
    });
    ApiDoc::of::<ResidencePermit>()
        .route(
            "GET",
            "/prefill",
            Operation::new("What the platform already knows for an application")
                .description("Residents: fields from the shared profile and floating-population registration.")
                .answer::<NewApplication>(200, "The known fields (unknown ones null)"),
        )
        .route(
            "POST",
            "/applications",
            Operation::new("Apply for a residence permit")
                .description(
                    "Residents. Fields left out are taken from the shared record; every bad field is named (422).",
                )
                .body::<NewApplication>()
                .answer::<Application>(201, "The application, submitted; a case is opened with the registration desk"),
        )
        .route(
            "GET",
            "/applications",
            Operation::new("List applications")
                .description("A resident's own, or every application for police staff; paginated.")
                .query("status", "only applications in this status")
                .query("limit", "1 to 100 (default 20)")
                .query("offset", "rows to skip")
                .answer_schema(200, "A page of applications", page_of_applications()),
        )
        .route(
            "GET",
            "/applications/{id}",
            Operation::new("One application").answer::<Application>(200, "The application"),
        )
        .route(
            "POST",
            "/applications/{id}/withdraw",
            Operation::new("Withdraw a pending application")
                .description("The applicant, while it is submitted or under review; 409 after that.")
                .answer::<Application>(200, "The application, withdrawn"),
        )
        .route(
            "POST",
            "/applications/{id}/transition",
            Operation::new("Move an application on (police staff)")
                .description("submitted → under-review → approved | rejected → issued; 409 names the allowed moves.")
                .body_schema(transition)
                .answer::<Application>(200, "The application in its new status"),
        )
        .check_file(concat!(env!("CARGO_MANIFEST_DIR"), "/api.json"));
}
