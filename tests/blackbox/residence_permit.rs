//! The residence-permit service, end to end, as residents and staff use it.

use onewindow_tests::{Backend, TestApp, on_both_backends};
use serde_json::{Value, json};

const APPLICATIONS: &str = "/api/v1/services/residence-permit/applications";

on_both_backends!(
    a_resident_applies_and_reads_their_application_back,
    bad_applications_are_refused_with_field_names_and_store_nothing,
    residents_never_see_each_others_applications,
    police_staff_move_an_application_to_issued,
    illegal_or_unauthorised_transitions_are_refused,
    a_pending_application_can_be_withdrawn_once,
    an_application_reuses_the_shared_record_and_moves_as_a_case,
);

fn application() -> Value {
    json!({
        "full_name": "Aygül Tursun",
        "id_number": "11010519491231002X",
        "current_address": "Room 3, 12 Jiefang South Road, Tianshan District",
        "arrival_date": "2026-03-01",
        "reason": "work",
        "employer_or_school": "City Power Supply Co.",
        "phone": "138 0013 8000"
    })
}

async fn apply(app: &TestApp, token: &str) -> Value {
    let answer = app.client.post_json(APPLICATIONS, Some(token), &application()).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    answer.body
}

async fn a_resident_applies_and_reads_their_application_back(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (token, resident_id) = app.resident("aygul").await;
    let answer = app.client.post_json(APPLICATIONS, Some(&token), &application()).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let created = answer.body;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(answer.headers["location"], format!("{APPLICATIONS}/{id}"));
    assert_eq!(
        answer.headers["content-security-policy"], "sandbox; default-src 'none'",
        "plugin answers run no script"
    );
    assert_eq!(created["status"], "submitted");
    assert_eq!(created["applicant"], resident_id, "the owner is the authenticated caller, not anything in the body");
    assert_eq!(created["full_name"], "Aygül Tursun");

    let read = app.client.get(&format!("{APPLICATIONS}/{id}"), Some(&token)).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body, created);

    apply(&app, &token).await;
    let list = app.client.get(APPLICATIONS, Some(&token)).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body["total"], 2);
    let ids: Vec<i64> = list.body["items"].as_array().unwrap().iter().map(|a| a["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [id + 1, id], "newest first");
    let page = app.client.get(&format!("{APPLICATIONS}?limit=1&offset=1"), Some(&token)).await;
    assert_eq!(page.body["items"][0]["id"], id);
    assert_eq!(app.client.get(&format!("{APPLICATIONS}?limit=ten"), Some(&token)).await.problem_fields(), ["limit"]);
}

async fn bad_applications_are_refused_with_field_names_and_store_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (token, _) = app.resident("careless").await;

    let mut bad = application();
    bad["id_number"] = json!("110105194912310021"); // wrong check digit
    bad["arrival_date"] = json!("2026-02-30");
    bad["reason"] = json!("tourism");
    bad["phone"] = json!("call me");
    let answer = app.client.post_json(APPLICATIONS, Some(&token), &bad).await;
    assert_eq!(answer.problem_fields(), ["id_number", "arrival_date", "reason", "phone"]);

    let missing = app.client.post_json(APPLICATIONS, Some(&token), &json!({"full_name": "Only A Name"})).await;
    assert_eq!(missing.problem_fields(), ["id_number", "current_address", "arrival_date", "reason", "phone"]);

    let mut no_employer = application();
    no_employer.as_object_mut().unwrap().remove("employer_or_school");
    assert_eq!(
        app.client.post_json(APPLICATIONS, Some(&token), &no_employer).await.problem_fields(),
        ["employer_or_school"]
    );

    let mut wrong_type = application();
    wrong_type["arrival_date"] = json!(20260301);
    assert_eq!(app.client.post_json(APPLICATIONS, Some(&token), &wrong_type).await.problem_fields(), ["arrival_date"]);

    let mut extra = application();
    extra["status"] = json!("approved");
    assert_eq!(app.client.post_json(APPLICATIONS, Some(&token), &extra).await.problem_fields(), ["status"]);

    app.client
        .post_raw(APPLICATIONS, Some(&token), "application/json", b"{\"full_name\": ")
        .await
        .assert_problem(400, "bad-request");
    app.client
        .post_raw(APPLICATIONS, Some(&token), "text/plain", b"hello")
        .await
        .assert_problem(415, "unsupported-media-type");
    app.client.post_json(APPLICATIONS, None, &application()).await.assert_problem(401, "unauthorized");

    let list = app.client.get(APPLICATIONS, Some(&token)).await;
    assert_eq!(list.body["total"], 0, "no rejected request stored anything");
}

async fn residents_never_see_each_others_applications(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (owner, _) = app.resident("owner").await;
    let (other, _) = app.resident("other").await;
    let id = apply(&app, &owner).await["id"].as_i64().unwrap();
    let path = format!("{APPLICATIONS}/{id}");

    app.client.get(&path, Some(&other)).await.assert_problem(404, "not-found");
    app.client.post_empty(&format!("{path}/withdraw"), Some(&other)).await.assert_problem(404, "not-found");
    assert_eq!(app.client.get(APPLICATIONS, Some(&other)).await.body["total"], 0);
    app.client.get(&path, None).await.assert_problem(401, "unauthorized");
    // A resident cannot act as staff either.
    let transition =
        app.client.post_json(&format!("{path}/transition"), Some(&other), &json!({"to": "under-review"})).await;
    transition.assert_problem(403, "forbidden");
    // Admins govern the platform; they do not read residents' applications.
    let admin = app.admin_token().await;
    app.client.get(&path, Some(&admin)).await.assert_problem(403, "forbidden");

    let still = app.client.get(&path, Some(&owner)).await;
    assert_eq!(still.body["status"], "submitted", "nothing the others tried changed it");
}

async fn police_staff_move_an_application_to_issued(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (resident, _) = app.resident("applicant").await;
    let officer = app.staff("officer", "police-central").await;
    let id = apply(&app, &resident).await["id"].as_i64().unwrap();
    let path = format!("{APPLICATIONS}/{id}");

    let queue = app.client.get(&format!("{APPLICATIONS}?status=submitted"), Some(&officer)).await;
    assert_eq!(queue.body["total"], 1, "staff see every submitted application");

    for to in ["under-review", "approved", "issued"] {
        let answer = app.client.post_json(&format!("{path}/transition"), Some(&officer), &json!({"to": to})).await;
        assert_eq!(answer.status, 200, "to {to}: {}", answer.body);
        assert_eq!(answer.body["status"], to);
    }
    let issued = app.client.get(&path, Some(&resident)).await.body;
    assert_eq!(issued["status"], "issued");
    let permit = issued["permit_number"].as_str().unwrap();
    assert!(permit.starts_with("RP-") && permit.ends_with(&format!("{id:06}")), "{permit}");
    assert!(issued["reviewed_by"].is_string());

    // A second application is rejected, with the reason shown to the applicant.
    let second = apply(&app, &resident).await["id"].as_i64().unwrap();
    let second_path = format!("{APPLICATIONS}/{second}/transition");
    app.client.post_json(&second_path, Some(&officer), &json!({"to": "under-review"})).await;
    let no_reason = app.client.post_json(&second_path, Some(&officer), &json!({"to": "rejected"})).await;
    assert_eq!(no_reason.problem_fields(), ["reason"]);
    let rejected = app
        .client
        .post_json(&second_path, Some(&officer), &json!({"to": "rejected", "reason": "Address could not be verified"}))
        .await;
    assert_eq!(rejected.body["status"], "rejected");
    assert_eq!(rejected.body["rejection_reason"], "Address could not be verified");
}

async fn illegal_or_unauthorised_transitions_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (resident, _) = app.resident("waiting").await;
    let officer = app.staff("officer2", "police-east-community").await;
    let water = app.staff("water-clerk", "partner-water").await;
    let id = apply(&app, &resident).await["id"].as_i64().unwrap();
    let transition = format!("{APPLICATIONS}/{id}/transition");

    let skip = app.client.post_json(&transition, Some(&officer), &json!({"to": "issued"})).await;
    let detail = skip.assert_problem(409, "conflict");
    assert!(detail.contains("allowed: under-review"), "{detail}");
    app.client
        .post_json(&transition, Some(&water), &json!({"to": "under-review"}))
        .await
        .assert_problem(403, "forbidden");
    app.client.get(APPLICATIONS, Some(&water)).await.assert_problem(403, "forbidden");
    assert_eq!(app.client.post_json(&transition, Some(&officer), &json!({"to": 5})).await.problem_fields(), ["to"]);
    app.client
        .post_json(&format!("{APPLICATIONS}/999999/transition"), Some(&officer), &json!({"to": "under-review"}))
        .await
        .assert_problem(404, "not-found");
    app.client
        .post_json(&format!("{APPLICATIONS}/abc/transition"), Some(&officer), &json!({"to": "under-review"}))
        .await
        .assert_problem(404, "not-found");

    assert_eq!(app.client.get(&format!("{APPLICATIONS}/{id}"), Some(&resident)).await.body["status"], "submitted");
}

async fn a_pending_application_can_be_withdrawn_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (resident, _) = app.resident("changed-mind").await;
    let officer = app.staff("officer3", "police-central").await;
    let id = apply(&app, &resident).await["id"].as_i64().unwrap();
    let path = format!("{APPLICATIONS}/{id}");

    let withdrawn = app.client.post_empty(&format!("{path}/withdraw"), Some(&resident)).await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.body);
    assert_eq!(withdrawn.body["status"], "withdrawn");
    app.client.post_empty(&format!("{path}/withdraw"), Some(&resident)).await.assert_problem(409, "conflict");
    app.client
        .post_json(&format!("{path}/transition"), Some(&officer), &json!({"to": "under-review"}))
        .await
        .assert_problem(409, "conflict");

    let approved = apply(&app, &resident).await["id"].as_i64().unwrap();
    for to in ["under-review", "approved"] {
        app.client
            .post_json(&format!("{APPLICATIONS}/{approved}/transition"), Some(&officer), &json!({"to": to}))
            .await;
    }
    let late = app.client.post_empty(&format!("{APPLICATIONS}/{approved}/withdraw"), Some(&resident)).await;
    assert!(late.assert_problem(409, "conflict").contains("approved"));
}

/// "The data runs, not the resident": what the resident already told the
/// platform pre-fills the application, what is new is written back (with
/// this service as its writer), and the application is a case the resident
/// and the registration desk both follow.
async fn an_application_reuses_the_shared_record_and_moves_as_a_case(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (resident, resident_id) = app.resident("returning").await;
    let en = [("accept-language", "en"), ("content-type", "application/json")];
    let profile = json!({
        "name": "Aygül Tursun",
        "id_number": "11010519491231002X",
        "phone": "138 0013 8000",
        "current_address": "Room 3, 12 Jiefang South Road",
        "area": "east-gate"
    });
    let patched =
        app.client.send("PATCH", "/api/v1/me/profile", Some(&resident), &en, Some(profile.to_string().into())).await;
    assert_eq!(patched.status, 200, "{}", patched.body);

    let prefill = app.client.get("/api/v1/services/residence-permit/prefill", Some(&resident)).await;
    assert_eq!(prefill.status, 200, "{}", prefill.body);
    assert_eq!(prefill.body["full_name"], "Aygül Tursun");
    assert_eq!(prefill.body["id_number"], "11010519491231002X");
    assert_eq!(prefill.body["arrival_date"], "", "nothing known yet about the arrival");

    // Only what the platform does not know yet, and a new phone number.
    let short = json!({"arrival_date": "2026-03-01", "reason": "work", "employer_or_school": "City Power", "phone": "139 0013 9000"});
    let created = app.client.post_json(APPLICATIONS, Some(&resident), &short).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["full_name"], "Aygül Tursun", "pre-filled from the profile");
    assert_eq!(created.body["current_address"], "Room 3, 12 Jiefang South Road");
    let reference = created.body["case_reference"].as_str().unwrap().to_owned();
    assert!(reference.starts_with("RP-"), "{reference}");

    // The new phone went back to the shared profile, written by this service.
    let mine = app.client.get("/api/v1/me/profile", Some(&resident)).await.body;
    assert_eq!(mine["profile"]["phone"], "139 0013 9000");
    let writer = |column: &str| mine["provenance"].as_array().unwrap().iter().find(|p| p["column"] == column).cloned();
    assert_eq!(writer("phone").unwrap()["plugin"], "residence-permit");
    assert_eq!(writer("phone").unwrap()["plugin_version"], "0.2.0");
    assert_eq!(writer("name").unwrap()["plugin"], Value::Null, "the resident wrote their name themselves");
    assert_eq!(writer("name").unwrap()["actor"], resident_id.as_str());
    // ... and a second application needs nothing typed twice.
    let again = app.client.get("/api/v1/services/residence-permit/prefill", Some(&resident)).await.body;
    assert_eq!((again["arrival_date"].as_str(), again["reason"].as_str()), (Some("2026-03-01"), Some("work")));

    // Every read of personal data by the service is in the resident's access log, with its purpose.
    let log = app.client.send("GET", "/api/v1/me/access-log", Some(&resident), &en, None).await.body;
    let read = log.as_array().unwrap().iter().find(|e| e["table"] == "resident_profile").expect("a logged read");
    assert_eq!(read["service"], "residence-permit");
    assert_eq!(read["purpose"], "Residence permit: pre-fill and update your basic details");
    assert!(read["fields"].as_array().unwrap().contains(&json!("id_number")), "{read}");

    // The application is a case the resident and the desk both follow.
    let cases = app.client.get("/api/v1/me/cases", Some(&resident)).await.body;
    assert_eq!(cases["total"], 1);
    let case = &cases["items"][0];
    assert_eq!(
        (case["reference"].as_str(), case["service"].as_str()),
        (Some(reference.as_str()), Some("residence-permit"))
    );
    assert_eq!((case["unit"].as_str(), case["status"].as_str()), (Some("police-central"), Some("requested")));
    assert_eq!(case["area"], "east-gate");
    let officer = app.staff("desk-officer", "police-central").await;
    let queue = app.client.get("/api/v1/staff/cases?service=residence-permit", Some(&officer)).await.body;
    assert_eq!(queue["items"][0]["reference"], reference.as_str());
    let elsewhere = app.staff("elsewhere", "police-east-community").await;
    assert_eq!(app.client.get("/api/v1/staff/cases", Some(&elsewhere)).await.body["total"], 0);

    let id = created.body["id"].as_i64().unwrap();
    for to in ["under-review", "approved", "issued"] {
        let moved =
            app.client.post_json(&format!("{APPLICATIONS}/{id}/transition"), Some(&officer), &json!({"to": to})).await;
        assert_eq!(moved.status, 200, "to {to}: {}", moved.body);
    }
    let case = &app.client.get("/api/v1/me/cases", Some(&resident)).await.body["items"][0];
    assert_eq!(case["status"], "completed");
    let moves: Vec<(&str, &str)> = case["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["action"].as_str().unwrap(), h["to_status"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(
        moves,
        [
            ("opened", "requested"),
            ("transition", "accepted"),
            ("transition", "in-progress"),
            ("transition", "completed")
        ]
    );
    assert!(case["history"].as_array().unwrap().iter().all(|h| h["via"] == "residence-permit"));
    let inbox = app.client.send("GET", "/api/v1/me/inbox", Some(&resident), &en, None).await.body;
    assert_eq!(inbox["unread"], 4, "one message per status: {inbox}");
    assert_eq!(inbox["items"][0]["text"], format!("Your case {reference} is now completed."));
}
