//! `api.json`: the routes as the portal's API document shows them. This test
//! fails when the file is out of date with the router and the types;
//! `ONEWINDOW_WRITE_API=1 cargo test -p lost-id-reissue` rewrites it.

use onewindow_sdk::harness::{ApiDoc, Operation, page_of, schema_of};
use serde_json::json;

use crate::LostIdReissue;
use crate::application::{Application, NewApplication};
use crate::consultation::{Answer, Consultation, NewConsultation};
use crate::handlers::consultations::ConsultationOpened;
use crate::handlers::info::Info;
use crate::handlers::reports::ReportFiled;
use crate::pickup::PickupWindow;
use crate::report::{NewReport, Report};

#[test]
fn api_json_is_current() {
    let reason = json!({
        "type": "object",
        "required": ["reason"],
        "properties": { "reason": { "type": "string", "minLength": 2, "maxLength": 500 } },
        "additionalProperties": false
    });
    let desk = "Staff of police-central only (403 for anyone else).";
    ApiDoc::of::<LostIdReissue>()
        .route(
            "GET",
            "/info",
            Operation::new("What the service does, its fees and limits, the anti-fraud numbers")
                .description("Anyone, signed in or not; in the caller's language (Accept-Language: zh, ug, en).")
                .answer::<Info>(200, "The service's facts"),
        )
        .route(
            "POST",
            "/reports",
            Operation::new("Report a lost resident ID card")
                .description(
                    "Residents. Recorded at once as reported-lost. When the place or circumstances show signs of \
                     telecom fraud, the answer carries a warning to show at once, the warning goes to the inbox \
                     and a consultation opens with the community police office. Every bad field is named (422).",
                )
                .body::<NewReport>()
                .answer::<ReportFiled>(201, "The report, with a fraud warning when signs were found"),
        )
        .route(
            "GET",
            "/reports",
            Operation::new("List loss reports")
                .paged()
                .description("A resident's own, or every report for staff of police-central.")
                .query("status", "reported-lost or replaced")
                .answer_schema(200, "A page of reports", page_of(schema_of::<Report>())),
        )
        .route("GET", "/reports/{id}", Operation::new("One loss report").answer::<Report>(200, "The report"))
        .route(
            "POST",
            "/applications",
            Operation::new("Apply for a reissued or a temporary card")
                .description(
                    "Residents, on one of their reports still reported-lost; one application of each kind under \
                     way per report (409). Opens a case with police-central: due in 60 days for a reissue, 3 for a \
                     temporary card. The fee (reissue ¥20, temporary ¥10) is shown, not taken.",
                )
                .body::<NewApplication>()
                .answer::<Application>(201, "The application, submitted"),
        )
        .route(
            "GET",
            "/applications",
            Operation::new("List applications")
                .paged()
                .description("A resident's own, or every application for staff of police-central.")
                .query("status", "submitted, accepted, ready-for-pickup, collected, rejected or withdrawn")
                .query("kind", "reissue or temporary")
                .answer_schema(200, "A page of applications", page_of(schema_of::<Application>())),
        )
        .route(
            "GET",
            "/applications/{id}",
            Operation::new("One application").answer::<Application>(200, "The application"),
        )
        .route(
            "POST",
            "/applications/{id}/withdraw",
            Operation::new("Withdraw a submitted application")
                .description("The applicant, while it is submitted; 409 after that. The case is cancelled.")
                .answer::<Application>(200, "The application, withdrawn"),
        )
        .route(
            "POST",
            "/applications/{id}/accept",
            Operation::new("Check the applicant's identity and accept")
                .description(&format!(
                    "{desk} The name and ID number applied with must match the applicant's shared profile \
                     exactly; a 409 says which differ (or that there is no profile) and changes nothing."
                ))
                .answer::<Application>(200, "The application, accepted"),
        )
        .route(
            "POST",
            "/applications/{id}/reject",
            Operation::new("Refuse an application, saying why")
                .description(&format!("{desk} From submitted or accepted; the reason goes to the inbox."))
                .body_schema(reason)
                .answer::<Application>(200, "The application, rejected"),
        )
        .route(
            "POST",
            "/applications/{id}/ready",
            Operation::new("The card is ready: where and when to collect it")
                .description(&format!(
                    "{desk} From accepted. Sets the issue date (today) and, for a temporary card, its last valid \
                     day (3 months on); the place and window go to the inbox."
                ))
                .body::<PickupWindow>()
                .answer::<Application>(200, "The application, ready for pickup"),
        )
        .route(
            "POST",
            "/applications/{id}/collected",
            Operation::new("The card was collected")
                .description(&format!(
                    "{desk} From ready-for-pickup. Closes the case; a reissued card marks the report replaced."
                ))
                .answer::<Application>(200, "The application, collected"),
        )
        .route(
            "POST",
            "/scam-consultations",
            Operation::new("Ask whether something is a scam")
                .description(
                    "Residents. Always answered at once with advice and the hotlines (a warning when signs of \
                     telecom fraud were found); the question goes to the community police office's queue.",
                )
                .body::<NewConsultation>()
                .answer::<ConsultationOpened>(201, "The consultation, open, with the warning or advice"),
        )
        .route(
            "GET",
            "/scam-consultations",
            Operation::new("List anti-fraud consultations")
                .paged()
                .description("A resident's own, or the whole queue for staff of police-east-community.")
                .query("status", "open or answered")
                .answer_schema(200, "A page of consultations", page_of(schema_of::<Consultation>())),
        )
        .route(
            "GET",
            "/scam-consultations/{id}",
            Operation::new("One anti-fraud consultation").answer::<Consultation>(200, "The consultation"),
        )
        .route(
            "POST",
            "/scam-consultations/{id}/answer",
            Operation::new("Answer a consultation")
                .description(
                    "Staff of police-east-community only. From open (409 once answered); closes the case and \
                     sends the verdict and answer to the inbox.",
                )
                .body::<Answer>()
                .answer::<Consultation>(200, "The consultation, answered"),
        )
        .check_file(concat!(env!("CARGO_MANIFEST_DIR"), "/api.json"));
}
