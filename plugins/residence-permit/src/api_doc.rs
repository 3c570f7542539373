//! `api.json`: the routes as the portal's API document shows them. This test
//! fails when the file is out of date with the router and the types;
//! `ONEWINDOW_WRITE_API=1 cargo test -p residence-permit` rewrites it.
//!
//! The bodies are read field by field (every bad field named at once), so
//! their schemas are the structs below, written for the document only.

#![allow(dead_code)]

use onewindow_sdk::harness::{ApiDoc, Operation, page_of, schema_of};

use crate::ResidencePermit;
use crate::application::Application;
use crate::endorsement::Endorsement;
use crate::handlers::applications::Prefill;
use crate::handlers::requirements::Requirements;
use crate::permit::Permit;
use crate::registration::Registration;
use crate::rental::Rental;

/// An application. Fields left out (or blank) are taken from the shared
/// record on apply, and keep the application's values on resubmit.
#[derive(schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
struct ApplicationBody {
    /// 1 to 64 characters.
    full_name: Option<String>,
    /// 18 characters with a valid check character (an `x` is answered as `X`).
    id_number: Option<String>,
    /// 5 to 200 characters.
    current_address: Option<String>,
    /// YYYY-MM-DD, not in the future, at least six calendar months before today (UTC+8).
    arrival_date: Option<String>,
    /// The qualifying condition: employment, residence or study.
    reason: Option<String>,
    /// 2 to 100 characters; required for employment and study.
    employer_or_school: Option<String>,
    /// owned or rented; required for residence.
    housing_type: Option<String>,
    /// The property deed number or the lease's registration number, 4 to 64 characters; required for residence.
    housing_certificate: Option<String>,
    /// A mainland mobile, or a landline with its area code; kept as written.
    phone: Option<String>,
}

/// A staff move of an application.
#[derive(schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
struct ApplicationMove {
    /// under-review, more-info-requested, approved, rejected or issued.
    to: String,
    /// Required with rejected (at most 500 characters), refused otherwise.
    reason: Option<String>,
    /// Required with more-info-requested: what is missing (at most 500 characters); refused otherwise.
    message: Option<String>,
    /// With more-info-requested only: codes of the application's checklist that are missing.
    missing_items: Option<Vec<String>>,
}

/// An endorsement request (the body may be left out).
#[derive(schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
struct EndorsementBody {
    /// At most 500 characters.
    note: Option<String>,
}

/// A staff decision on an endorsement.
#[derive(schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
struct EndorsementMove {
    /// approved or rejected.
    to: String,
    /// Required with rejected (at most 500 characters), refused otherwise.
    reason: Option<String>,
}

/// A floating-population registration.
#[derive(schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
struct RegistrationBody {
    /// YYYY-MM-DD, not in the future: the six months count from here.
    arrival_date: String,
    /// Where the household is registered, 2 to 100 characters.
    origin: String,
    /// employment, residence, study, family or other.
    reason: String,
    /// 2 to 100 characters; required for employment and study.
    employer_or_school: Option<String>,
    /// 5 to 200 characters; also written to the shared profile.
    current_address: String,
}

/// A lease the caller rents.
#[derive(schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
struct RentalBody {
    /// 5 to 200 characters.
    address: String,
    /// 1 to 64 characters.
    landlord_name: String,
    /// A mainland mobile, or a landline with its area code.
    landlord_phone: String,
    /// 1 to 20 names of 1 to 64 characters.
    tenants: Vec<String>,
    /// YYYY-MM-DD.
    lease_start: String,
    /// YYYY-MM-DD, after lease_start and not before today.
    lease_end: String,
}

#[test]
fn api_json_is_current() {
    let readers = "The resident's own (another resident's is 404), or any for police staff; 403 for anyone else.";
    let desk = "Staff of police-central only (403 for anyone else, 401 when anonymous).";
    let language = "Texts in the caller's language (Accept-Language: zh, ug, en; zh by default).";
    ApiDoc::of::<ResidencePermit>()
        .route(
            "GET",
            "/requirements",
            Operation::new("The rules and the documents checklist per qualifying condition")
                .description(&format!("Anyone, signed in or not. {language}"))
                .answer::<Requirements>(200, "The rules, the checklist and the form's labels"),
        )
        .route(
            "GET",
            "/prefill",
            Operation::new("What the platform already knows for an application")
                .description("Residents: fields from the shared profile and floating-population registration.")
                .answer::<Prefill>(200, "The known fields (\"\" or null where unknown)"),
        )
        .route(
            "POST",
            "/applications",
            Operation::new("Apply for a residence permit")
                .description(&format!(
                    "Residents. Fields left out are taken from the shared record, and what is new goes back to it. \
                     Every bad field is named (422); an arrival less than six calendar months ago names \
                     arrival_date with the date from which one may apply. 409 while another application is under \
                     way or a permit has not lapsed. Opens a case (RP-…, due in 15 days) with police-central and \
                     sends an inbox message. {language}"
                ))
                .body::<ApplicationBody>()
                .answer::<Application>(201, "The application, submitted, with its checklist and what happens next"),
        )
        .route(
            "GET",
            "/applications",
            Operation::new("List applications")
                .paged()
                .description(readers)
                .query("status", "only applications in this status")
                .answer_schema(200, "A page of applications, newest first", page_of(schema_of::<Application>())),
        )
        .route(
            "GET",
            "/applications/{id}",
            Operation::new("One application").description(readers).answer::<Application>(200, "The application"),
        )
        .route(
            "POST",
            "/applications/{id}/withdraw",
            Operation::new("Withdraw an application before approval")
                .description(
                    "The applicant, while submitted, under-review or more-info-requested (409 naming the allowed \
                     moves otherwise). The case is cancelled.",
                )
                .answer::<Application>(200, "The application, withdrawn"),
        )
        .route(
            "POST",
            "/applications/{id}/resubmit",
            Operation::new("Resubmit with corrected fields after a request for more")
                .description(
                    "The applicant, while more-info-requested (409 otherwise). Fields left out keep the \
                     application's values; all are checked as on apply (422). Back to under-review; the case \
                     resumes.",
                )
                .body::<ApplicationBody>()
                .answer::<Application>(200, "The application, under review again"),
        )
        .route(
            "POST",
            "/applications/{id}/transition",
            Operation::new("Move an application on (police staff)")
                .description(&format!(
                    "{desk} submitted → under-review | rejected; under-review → approved | more-info-requested | \
                     rejected; more-info-requested → rejected; approved → issued. Any other move is a 409 naming \
                     the allowed ones. Issuing numbers the permit (JZ + year + 6-digit serial), valid one year."
                ))
                .body::<ApplicationMove>()
                .answer::<Application>(200, "The application in its new status"),
        )
        .route(
            "GET",
            "/permits",
            Operation::new("List permits")
                .paged()
                .description(&format!("{readers} The status is computed from today."))
                .answer_schema(200, "A page of permits, newest first", page_of(schema_of::<Permit>())),
        )
        .route(
            "GET",
            "/permits/{id}",
            Operation::new("One permit").description(readers).answer::<Permit>(200, "The permit"),
        )
        .route(
            "POST",
            "/permits/{id}/endorsements",
            Operation::new("Ask for the yearly endorsement")
                .description(&format!(
                    "The holder, in the 30 days before valid_until (409 saying when the window opens, that the \
                     permit lapsed, or that an endorsement is already under way). Opens a case (RPE-…, due in 5 \
                     days). {language}"
                ))
                .body::<EndorsementBody>()
                .answer::<Endorsement>(201, "The endorsement request, submitted"),
        )
        .route(
            "GET",
            "/permits/{id}/endorsements",
            Operation::new("The endorsements of one permit").paged().description(readers).answer_schema(
                200,
                "A page of endorsements, newest first",
                page_of(schema_of::<Endorsement>()),
            ),
        )
        .route(
            "GET",
            "/endorsements",
            Operation::new("List endorsement requests")
                .paged()
                .description(readers)
                .query("status", "submitted, approved or rejected")
                .answer_schema(200, "A page of endorsements, newest first", page_of(schema_of::<Endorsement>())),
        )
        .route(
            "GET",
            "/endorsements/{id}",
            Operation::new("One endorsement request").description(readers).answer::<Endorsement>(200, "It"),
        )
        .route(
            "POST",
            "/endorsements/{id}/transition",
            Operation::new("Decide an endorsement (police staff)")
                .description(&format!(
                    "{desk} submitted → approved (valid_until moves on one year, endorsements + 1) | rejected \
                     (with a reason); 409 once decided."
                ))
                .body::<EndorsementMove>()
                .answer::<Endorsement>(200, "The endorsement request, decided"),
        )
        .route(
            "POST",
            "/registration",
            Operation::new("Register as a newcomer (floating-population registration)")
                .description(&format!(
                    "Residents. Writes the shared floating_population record and the profile's current address; \
                     the arrival date starts the six-month clock. Every bad field is named (422). {language}"
                ))
                .body::<RegistrationBody>()
                .answer::<Registration>(201, "Registered (200 when an existing registration was updated)"),
        )
        .route(
            "GET",
            "/registration",
            Operation::new("The caller's registration")
                .description(&format!("Residents; 404 before they register. {language}"))
                .answer::<Registration>(200, "The registration, with the first day one may apply"),
        )
        .route(
            "POST",
            "/rentals",
            Operation::new("Register a rented home")
                .description(
                    "Residents. Writes a shared rental_housing record for the caller (422 names every bad field).",
                )
                .body::<RentalBody>()
                .answer::<Rental>(201, "The registered lease"),
        )
        .route(
            "GET",
            "/rentals",
            Operation::new("The caller's registered rented homes").paged().description("Residents.").answer_schema(
                200,
                "A page of leases, newest first",
                page_of(schema_of::<Rental>()),
            ),
        )
        .check_file(concat!(env!("CARGO_MANIFEST_DIR"), "/api.json"));
}
