//! The API document tells the truth: every refusal it documents is a
//! problem document (`application/problem+json`), its parameters are where
//! it says, and inputs the extractors cannot read — path segments, query
//! strings, multipart forms — are refused with a problem carrying the
//! request id, not a plain-text line. (`cargo xtask schemathesis` checks
//! the whole document against the running host; this keeps the rules it
//! relies on in the test suite.)
//!
//! The document and the extractors do not depend on the database: SQLite only.

use onewindow_tests::{Backend, Options, TestApp};
use serde_json::{Value, json};

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch"];

async fn spawn() -> TestApp {
    TestApp::spawn_with(Backend::Sqlite, Options::default()).await
}

/// (label, operation) of every operation in the served document.
fn operations(document: &Value) -> Vec<(String, String, &Value)> {
    let paths = document["paths"].as_object().expect("paths");
    let mut found = Vec::new();
    for (path, item) in paths {
        for method in METHODS {
            if let Some(operation) = item.get(*method) {
                found.push((format!("{} {path}", method.to_uppercase()), path.clone(), operation));
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_refusal_is_a_problem_document() {
    let app = spawn().await;
    let document = app.client.get("/api/openapi.json", None).await;
    assert_eq!(document.status, 200);
    let operations = operations(&document.body);
    assert!(operations.len() > 100, "the platform's and the services' operations: {}", operations.len());

    let mut wrong = Vec::new();
    for (label, _, operation) in &operations {
        let responses = operation["responses"].as_object().expect("responses");
        for (status, response) in responses {
            if status.starts_with('2') || status.starts_with('3') {
                continue;
            }
            let types: Vec<&String> = response["content"].as_object().map(|c| c.keys().collect()).unwrap_or_default();
            if types != ["application/problem+json"] {
                wrong.push(format!("{label} {status}: {types:?}"));
            }
        }
        // A bad token is refused before any route runs.
        if !responses.contains_key("401") && !responses.contains_key("default") {
            wrong.push(format!("{label}: no 401"));
        }
        // Whatever takes a JSON body can be sent one it cannot read.
        if operation["requestBody"]["content"].get("application/json").is_some() && !label.contains("/services/") {
            for status in ["400", "413", "415", "422"] {
                if !responses.contains_key(status) {
                    wrong.push(format!("{label}: a JSON body, but no {status}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "undocumented or mistyped refusals:\n{}", wrong.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameters_are_where_the_document_says() {
    let app = spawn().await;
    let document = app.client.get("/api/openapi.json", None).await.body;
    let mut wrong = Vec::new();
    for (label, path, operation) in operations(&document) {
        let in_template: Vec<&str> =
            path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect();
        let parameters = operation["parameters"].as_array().cloned().unwrap_or_default();
        for parameter in &parameters {
            let name = parameter["name"].as_str().unwrap_or_default();
            if parameter["in"] == "path" && !in_template.contains(&name) {
                wrong.push(format!("{label}: `{name}` is documented in the path but is not in it"));
            }
        }
        for name in in_template {
            if !parameters.iter().any(|p| p["in"] == "path" && p["name"] == name) {
                wrong.push(format!("{label}: path segment `{name}` is not documented"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // The new unit's body is one closed object a client can satisfy, not an
    // `allOf` of two closed ones.
    let new_unit = &document["components"]["schemas"]["NewUnit"];
    assert!(new_unit.get("allOf").is_none(), "{new_unit:#}");
    assert_eq!(new_unit["properties"]["id"]["pattern"], "^[a-z0-9-]{2,40}$");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_path_segments_and_queries_are_problems_naming_the_parameter() {
    let app = spawn().await;
    let (resident, _) = app.resident("ayse").await;
    let admin = app.admin_token().await;

    let not_a_number =
        app.client.post_json("/api/v1/me/cases/first/rating", Some(&resident), &json!({"rating": 5})).await;
    assert_eq!(not_a_number.problem_fields(), ["id"]);
    let not_a_number = app.client.post_empty("/api/v1/me/inbox/latest/read", Some(&resident)).await;
    assert_eq!(not_a_number.problem_fields(), ["id"]);

    // What axum's own `Query` answered in plain text.
    let unknown_role = app.client.get("/api/v1/admin/accounts?role=king", Some(&admin)).await;
    assert_eq!(unknown_role.problem_fields(), ["role"]);
    let bad_limit = app.client.get("/api/v1/admin/audit?limit=many", Some(&admin)).await;
    assert_eq!(bad_limit.problem_fields(), ["limit"]);
    // The document says `after` is at least 0; the host says so too.
    let before_the_start = app.client.get("/api/v1/admin/audit?after=-1", Some(&admin)).await;
    assert_eq!(before_the_start.problem_fields(), ["after"]);
    let from_the_start = app.client.get("/api/v1/admin/audit?after=0&limit=1", Some(&admin)).await;
    assert_eq!(from_the_start.status, 200, "{}", from_the_start.body);
    assert_eq!(from_the_start.body.as_array().map(Vec::len), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_that_is_not_a_multipart_form_is_a_problem() {
    let app = spawn().await;
    let staff = app.staff("heat-dev", "partner-heating").await;
    let before = app.client.get("/api/v1/plugins", Some(&staff)).await;
    assert_eq!(before.status, 200, "{}", before.body);

    let as_json = app.client.post_json("/api/v1/plugins", Some(&staff), &json!({"manifest": "id = 'x'"})).await;
    assert!(as_json.assert_problem(415, "unsupported-media-type").contains("multipart/form-data"));
    let no_boundary = app.client.post_raw("/api/v1/plugins", Some(&staff), "multipart/form-data", b"--x\r\n").await;
    no_boundary.assert_problem(415, "unsupported-media-type");

    let after = app.client.get("/api/v1/plugins", Some(&staff)).await;
    assert_eq!(after.body, before.body, "a refused upload leaves nothing behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_is_created_from_the_documented_body_and_an_unknown_field_is_refused() {
    let app = spawn().await;
    let admin = app.admin_token().await;
    let unit = json!({"id": "police-south", "kind": "police", "name_zh": "南区派出所", "name_ug": "جەنۇبىي ساقچىخانا", "name_en": "South police station"});

    let mut with_extra = unit.clone();
    with_extra["colour"] = json!("blue");
    let refused = app.client.post_json("/api/v1/admin/units", Some(&admin), &with_extra).await;
    assert_eq!(refused.problem_fields(), ["colour"]);
    let units = app.client.get("/api/v1/admin/units", Some(&admin)).await.body;
    assert!(!units.as_array().unwrap().iter().any(|u| u["id"] == "police-south"), "nothing was created: {units}");

    let created = app.client.post_json("/api/v1/admin/units", Some(&admin), &unit).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["name_en"], "South police station");
    assert_eq!(created.body["contact"], "");
}
