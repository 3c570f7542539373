//! `api.json`: the routes as the portal's API document shows them. This test
//! fails when the file is out of date with the router and the types;
//! `ONEWINDOW_WRITE_API=1 cargo test -p utility-referral` rewrites it.

use onewindow_sdk::harness::{ApiDoc, Operation, page_of, schema_of};
use serde_json::{Value, json};

use crate::UtilityReferral;
use crate::directory::edit::{DefaultEdit, EntryEdit};
use crate::directory::{CategoryView, UnitView};
use crate::referrals::model::ReferralView;
use crate::referrals::report::NewReport;
use crate::safety::SafetyView;

fn items_of(item: Value) -> Value {
    json!({ "type": "object", "required": ["items"], "properties": { "items": { "type": "array", "items": item } } })
}

fn handed_off() -> Value {
    json!({
        "type": "object",
        "description": "application/problem+json; nothing was filed",
        "required": ["type", "title", "status", "detail", "request_id", "service", "href", "unit", "category"],
        "properties": {
            "type": { "const": "urn:onewindow:problem:handed-off" },
            "title": { "type": "string" },
            "status": { "const": 409 },
            "detail": { "type": "string" },
            "request_id": { "type": "string" },
            "service": { "type": "string", "description": "the service id that takes the report" },
            "href": { "type": "string", "description": "/api/v1/services/{service}" },
            "unit": { "type": "string" },
            "unit_name": { "type": "string" },
            "category": { "type": "string" },
            "safety": { "anyOf": [schema_of::<SafetyView>(), { "type": "null" }] }
        }
    })
}

fn transition() -> Value {
    json!({
        "type": "object",
        "required": ["to"],
        "properties": {
            "to": { "type": "string", "enum": ["accepted", "rejected", "in-progress", "completed"] },
            "reason": { "type": "string", "maxLength": 500, "description": "required when rejecting, refused otherwise" },
            "note": { "type": "string", "maxLength": 500, "description": "sent to the resident's inbox" }
        },
        "additionalProperties": false
    })
}

#[test]
fn api_json_is_current() {
    let referral = || schema_of::<ReferralView>();
    ApiDoc::of::<UtilityReferral>()
        .route(
            "GET",
            "/units",
            Operation::new("The directory of partner units")
                .description("Anyone. The nine partner units: names, what each handles, details required, hours, contact, and a hand-off service if set.")
                .answer_schema(200, "Every entry", items_of(schema_of::<UnitView>())),
        )
        .route(
            "GET",
            "/units/{unit}",
            Operation::new("One directory entry").description("Anyone.").answer::<UnitView>(200, "The entry"),
        )
        .route(
            "PUT",
            "/units/{unit}",
            Operation::new("Replace a directory entry (admins)")
                .description("Every bad field is named at once (422); categories proposed to the unit must stay until pointed elsewhere.")
                .body::<EntryEdit>()
                .answer::<UnitView>(200, "The entry as stored"),
        )
        .route(
            "GET",
            "/categories",
            Operation::new("Problem categories and the unit proposed for each")
                .description("Anyone; texts in the caller's language (Accept-Language). Urgent categories carry their safety steps.")
                .answer_schema(200, "Every category", items_of(schema_of::<CategoryView>())),
        )
        .route(
            "GET",
            "/categories/{code}",
            Operation::new("What the service proposes for one category")
                .description("The unit, the units the resident may choose instead, the details to give, a hand-off service if any, and the safety steps.")
                .answer::<CategoryView>(200, "The proposal"),
        )
        .route(
            "PUT",
            "/categories/{code}",
            Operation::new("Point a category at another default unit (admins)")
                .description("The unit's entry must handle the category (422 otherwise).")
                .body::<DefaultEdit>()
                .answer::<CategoryView>(200, "The new proposal"),
        )
        .route(
            "POST",
            "/referrals",
            Operation::new("Report a problem (residents)")
                .description("Files a referral with the proposed or chosen unit as a platform case. The phone and address go to the unit only with share_contact: true (from the profile unless given). Urgent categories need only the category and answer the safety steps at once.")
                .body::<NewReport>()
                .answer_schema(201, "Filed; the safety steps come with it for urgent categories", referral())
                .answer_schema(409, "The unit takes reports in its own service: go there (handed-off)", handed_off()),
        )
        .route(
            "GET",
            "/referrals",
            Operation::new("List referrals")
                .description("A resident's own (newest first), or a partner unit's staff's unit's (urgent first). Statuses as last seen by this service.")
                .query("status", "only referrals in this status")
                .query("limit", "1 to 100 (default 20)")
                .query("offset", "rows to skip")
                .answer_schema(200, "A page of referrals", page_of(referral())),
        )
        .route(
            "GET",
            "/referrals/{id}",
            Operation::new("One referral")
                .description("The resident's own or the unit's; its status read from its case.")
                .answer_schema(200, "The referral", referral()),
        )
        .route(
            "POST",
            "/referrals/{id}/transition",
            Operation::new("Move a referral on (the unit's staff)")
                .description("requested → accepted | rejected (with a reason) → in-progress → completed; 409 names the allowed moves.")
                .body_schema(transition())
                .answer_schema(200, "The referral in its new status", referral()),
        )
        .route(
            "POST",
            "/referrals/{id}/cancel",
            Operation::new("Withdraw a report (the resident)")
                .description("While it is requested or accepted; 409 once work started.")
                .answer_schema(200, "The referral, cancelled", referral()),
        )
        .check_file(concat!(env!("CARGO_MANIFEST_DIR"), "/api.json"));
}
