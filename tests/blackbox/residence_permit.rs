//! The residence-permit service, end to end, as residents and staff use it.

use onewindow_tests::{Backend, TestApp, first_party_version, on_both_backends};
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
    the_checklist_and_the_six_month_rule_are_told_before_anything_is_stored,
    the_desk_asks_for_more_and_the_resident_resubmits,
    a_permit_is_endorsed_once_a_year_in_the_window_before_it_expires,
    registration_and_rentals_are_written_to_the_shared_record,
);

const SERVICE: &str = "/api/v1/services/residence-permit";

fn application() -> Value {
    json!({
        "full_name": "Aygül Tursun",
        "id_number": "11010519491231002X",
        "current_address": "Room 3, 12 Jiefang South Road, Tianshan District",
        "arrival_date": "2026-03-01",
        "reason": "employment",
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

    // One application at a time: a second waits until the first is settled.
    let twice = app.client.post_json(APPLICATIONS, Some(&token), &application()).await;
    assert!(twice.assert_problem(409, "conflict").contains(&format!("申请 {id}")), "{}", twice.body);
    let withdrawn = app.client.post_empty(&format!("{APPLICATIONS}/{id}/withdraw"), Some(&token)).await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.body);
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
    let year = today().year();
    assert_eq!(permit, format!("JZ{year}000001"), "JZ, the year, a serial");
    assert!(issued["reviewed_by"].is_string());
    // The holder cannot apply again while the permit is valid.
    app.client.post_json(APPLICATIONS, Some(&resident), &application()).await.assert_problem(409, "conflict");

    // Another resident's application is rejected, with the reason shown to the applicant.
    let (other, _) = app.resident("second-applicant").await;
    let second = apply(&app, &other).await["id"].as_i64().unwrap();
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
    let officer = app.staff("officer2", "police-central").await;
    let station = app.staff("other-station", "police-east-community").await;
    let water = app.staff("water-clerk", "partner-water").await;
    let id = apply(&app, &resident).await["id"].as_i64().unwrap();
    let transition = format!("{APPLICATIONS}/{id}/transition");

    let skip = app.client.post_json(&transition, Some(&officer), &json!({"to": "issued"})).await;
    let detail = skip.assert_problem(409, "conflict");
    assert!(detail.contains("allowed: under-review"), "{detail}");
    // Only the desk the cases go to works them: another station and a partner are refused.
    for outsider in [&station, &water] {
        app.client
            .post_json(&transition, Some(outsider), &json!({"to": "under-review"}))
            .await
            .assert_problem(403, "forbidden");
        app.client.get(APPLICATIONS, Some(outsider)).await.assert_problem(403, "forbidden");
    }
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
    let short = json!({"arrival_date": "2026-03-01", "reason": "employment", "employer_or_school": "City Power", "phone": "139 0013 9000"});
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
    assert_eq!(writer("phone").unwrap()["plugin_version"], first_party_version("residence-permit"));
    assert_eq!(writer("name").unwrap()["plugin"], Value::Null, "the resident wrote their name themselves");
    assert_eq!(writer("name").unwrap()["actor"], resident_id.as_str());
    // ... and a second application needs nothing typed twice.
    let again = app.client.get("/api/v1/services/residence-permit/prefill", Some(&resident)).await.body;
    assert_eq!((again["arrival_date"].as_str(), again["reason"].as_str()), (Some("2026-03-01"), Some("employment")));

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
    // The platform's note of each case move, and the service's own word at
    // each step (submitted, under review, approved, issued with its number).
    assert_eq!(inbox["unread"], 8, "{inbox}");
    let texts: Vec<&str> = inbox["items"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert!(texts.contains(&format!("Your case {reference} is now completed.").as_str()), "{texts:?}");
    let number = app.client.get(&format!("{APPLICATIONS}/{id}"), Some(&resident)).await.body["permit_number"].clone();
    assert!(texts.iter().any(|t| t.contains(number.as_str().unwrap())), "the permit number is in the inbox: {texts:?}");
}

/// Today's date in the city (UTC+8), as the service counts days.
fn today() -> time::Date {
    time::OffsetDateTime::now_utc().to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap()).date()
}

/// `date` moved by whole calendar months (the day must exist in the target month).
fn months_later(date: time::Date, months: i32) -> time::Date {
    let index = date.year() * 12 + date.month() as i32 - 1 + months;
    let month = time::Month::try_from((index.rem_euclid(12) + 1) as u8).unwrap();
    time::Date::from_calendar_date(index.div_euclid(12), month, date.day()).unwrap()
}

/// What a resident can see of their own dealings with the service.
async fn footprint(app: &TestApp, token: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    for path in [APPLICATIONS.to_owned(), format!("{SERVICE}/permits"), "/api/v1/me/cases".into()] {
        seen.push(app.client.get(&path, Some(token)).await.body);
    }
    seen.push(app.client.get("/api/v1/me/inbox", Some(token)).await.body["items"].clone());
    seen
}

/// Moves an application through the desk's steps; answers the last body.
async fn desk_moves(app: &TestApp, officer: &str, id: i64, steps: &[Value]) -> Value {
    let mut last = Value::Null;
    for step in steps {
        let moved = app.client.post_json(&format!("{APPLICATIONS}/{id}/transition"), Some(officer), step).await;
        assert_eq!(moved.status, 200, "{step}: {}", moved.body);
        last = moved.body;
    }
    last
}

/// Applies and has the desk issue the permit; answers the permit id.
async fn issued_permit(app: &TestApp, resident: &str, officer: &str) -> i64 {
    let id = apply(app, resident).await["id"].as_i64().unwrap();
    let steps = [json!({"to": "under-review"}), json!({"to": "approved"}), json!({"to": "issued"})];
    desk_moves(app, officer, id, &steps).await["permit_id"].as_i64().unwrap()
}

/// Sets a permit's expiry as if the year had passed (the service reads the
/// date on every call; this stands in for the calendar).
async fn expire_on(app: &TestApp, permit: i64, date: time::Date) {
    let sql = format!("UPDATE p_residence_permit__permits SET valid_until = '{date}' WHERE id = {permit}");
    let done = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(app.state.store.data_pool()).await.unwrap();
    assert_eq!(done.rows_affected(), 1);
}

async fn the_checklist_and_the_six_month_rule_are_told_before_anything_is_stored(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let en = [("accept-language", "en")];
    let requirements = app.client.send("GET", &format!("{SERVICE}/requirements"), None, &en, None).await;
    assert_eq!(requirements.status, 200, "anyone may read the checklist: {}", requirements.body);
    let body = &requirements.body;
    assert_eq!((body["minimum_residence_months"].as_i64(), body["processing_days"].as_i64()), (Some(6), Some(15)));
    let conditions: Vec<&Value> = body["conditions"].as_array().unwrap().iter().collect();
    let codes: Vec<&str> = conditions.iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["employment", "residence", "study"], "one of the three lawful conditions");
    let items = |code: &str| -> Vec<String> {
        let condition = conditions.iter().find(|c| c["code"] == code).unwrap();
        condition["items"].as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap().to_owned()).collect()
    };
    for code in ["employment", "residence", "study"] {
        assert!(items(code).contains(&"resident-id-card".to_owned()), "{code}: {:?}", items(code));
        assert!(items(code).contains(&"floating-registration".to_owned()), "{code}: the six months are proven");
    }
    assert!(items("employment").contains(&"labour-contract".to_owned()));
    assert!(items("study").contains(&"enrolment-certificate".to_owned()));
    let ug = app.client.send("GET", &format!("{SERVICE}/requirements"), None, &[("accept-language", "ug")], None).await;
    assert_eq!(ug.body["dir"], "rtl");

    let (token, _) = app.resident("newcomer").await;
    let before = footprint(&app, &token).await;
    // Arrived on the first of the month two months ago: may apply four months from now.
    let first = today().replace_day(1).unwrap();
    let arrived = months_later(first, -2);
    let mut early = application();
    early["arrival_date"] = json!(arrived.to_string());
    let refused = app
        .client
        .send("POST", APPLICATIONS, Some(&token), &[("accept-language", "en")], Some(early.to_string().into()))
        .await;
    assert_eq!(refused.problem_fields(), ["arrival_date"]);
    let message = refused.body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains(&months_later(arrived, 6).to_string()), "says from when: {message}");
    let mut tomorrow = application();
    tomorrow["arrival_date"] = json!(today().next_day().unwrap().to_string());
    assert_eq!(app.client.post_json(APPLICATIONS, Some(&token), &tomorrow).await.problem_fields(), ["arrival_date"]);
    // Lawful stable residence needs the housing it rests on; "work" is no longer a reason.
    let mut residence = application();
    residence["reason"] = json!("residence");
    residence.as_object_mut().unwrap().remove("employer_or_school");
    assert_eq!(
        app.client.post_json(APPLICATIONS, Some(&token), &residence).await.problem_fields(),
        ["housing_type", "housing_certificate"]
    );
    let mut old_word = application();
    old_word["reason"] = json!("work");
    assert_eq!(app.client.post_json(APPLICATIONS, Some(&token), &old_word).await.problem_fields(), ["reason"]);
    assert_eq!(footprint(&app, &token).await, before, "nothing refused was stored, opened or sent");

    // The same resident with a registered lease qualifies on residence, and the
    // application carries the checklist for that condition.
    residence["housing_type"] = json!("rented");
    residence["housing_certificate"] = json!("ZL-2026-0042");
    let accepted = app.client.post_json(APPLICATIONS, Some(&token), &residence).await;
    assert_eq!(accepted.status, 201, "{}", accepted.body);
    let checklist: Vec<&str> =
        accepted.body["checklist"].as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap()).collect();
    assert!(checklist.contains(&"registered-lease") && !checklist.contains(&"labour-contract"), "{checklist:?}");
    assert!(!accepted.body["what_happens_next"].as_str().unwrap_or("").is_empty());
}

async fn the_desk_asks_for_more_and_the_resident_resubmits(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (resident, _) = app.resident("asked-for-more").await;
    let (other, _) = app.resident("bystander").await;
    let officer = app.staff("desk-1", "police-central").await;
    let id = apply(&app, &resident).await["id"].as_i64().unwrap();
    let path = format!("{APPLICATIONS}/{id}");
    desk_moves(&app, &officer, id, &[json!({"to": "under-review"})]).await;

    // Asking for more names what is missing, from this application's checklist.
    let transition = format!("{path}/transition");
    let bare = app.client.post_json(&transition, Some(&officer), &json!({"to": "more-info-requested"})).await;
    assert_eq!(bare.problem_fields(), ["message"]);
    let unknown_item = json!({"to": "more-info-requested", "message": "Bring it.", "missing_items": ["passport"]});
    assert_eq!(
        app.client.post_json(&transition, Some(&officer), &unknown_item).await.problem_fields(),
        ["missing_items"]
    );
    let ask = json!({"to": "more-info-requested", "message": "Please bring your labour contract.", "missing_items": ["labour-contract"]});
    let asked = desk_moves(&app, &officer, id, &[ask]).await;
    assert_eq!(asked["status"], "more-info-requested");
    assert_eq!(asked["info_request"], "Please bring your labour contract.");
    assert_eq!(asked["missing_items"], json!(["labour-contract"]));
    let case = &app.client.get("/api/v1/me/cases", Some(&resident)).await.body["items"][0];
    assert_eq!(case["status"], "on-hold", "the clock waits for the resident");
    let inbox = app.client.get("/api/v1/me/inbox", Some(&resident)).await.body;
    assert!(
        inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["text"].as_str().unwrap().contains("Please bring your labour contract.")),
        "the desk's words reach the resident: {inbox}"
    );
    let seen = app.client.get(&path, Some(&resident)).await.body;
    assert!(!seen["what_happens_next"].as_str().unwrap().is_empty());

    // Only the applicant resubmits, and a bad correction changes nothing.
    let resubmit = format!("{path}/resubmit");
    let fix = json!({"employer_or_school": "City Power Supply Co., Ltd."});
    app.client.post_json(&resubmit, Some(&other), &fix).await.assert_problem(404, "not-found");
    app.client.post_json(&resubmit, Some(&officer), &fix).await.assert_problem(403, "forbidden");
    app.client.post_json(&resubmit, None, &fix).await.assert_problem(401, "unauthorized");
    let bad = json!({"phone": "call me", "reason": "tourism"});
    assert_eq!(app.client.post_json(&resubmit, Some(&resident), &bad).await.problem_fields(), ["reason", "phone"]);
    assert_eq!(app.client.get(&path, Some(&resident)).await.body, seen, "the refused resubmission changed nothing");

    let resubmitted = app.client.post_json(&resubmit, Some(&resident), &fix).await;
    assert_eq!(resubmitted.status, 200, "{}", resubmitted.body);
    assert_eq!(resubmitted.body["status"], "under-review");
    assert_eq!(resubmitted.body["employer_or_school"], "City Power Supply Co., Ltd.");
    assert_eq!(resubmitted.body["info_request"], Value::Null);
    assert_eq!(resubmitted.body["missing_items"], json!([]));
    let case = &app.client.get("/api/v1/me/cases", Some(&resident)).await.body["items"][0];
    assert_eq!(case["status"], "in-progress");
    // Resubmitting again is not a move the application allows now.
    app.client.post_json(&resubmit, Some(&resident), &fix).await.assert_problem(409, "conflict");

    // Approved and issued: a permit valid for one year from today.
    let issued = desk_moves(&app, &officer, id, &[json!({"to": "approved"}), json!({"to": "issued"})]).await;
    let permits = app.client.get(&format!("{SERVICE}/permits"), Some(&resident)).await.body;
    assert_eq!(permits["total"], 1);
    let permit = &permits["items"][0];
    assert_eq!(permit["permit_number"], issued["permit_number"]);
    assert_eq!(permit["valid_from"], today().to_string());
    assert_eq!(
        permit["valid_until"],
        months_later(today().replace_day(1).unwrap(), 12)
            .replace_day(today().day())
            .map(|d| d.to_string())
            .unwrap_or_default()
    );
    assert_eq!(permit["status"], "valid");
    assert_eq!(app.client.get(&format!("{SERVICE}/permits"), Some(&other)).await.body["total"], 0);
}

async fn a_permit_is_endorsed_once_a_year_in_the_window_before_it_expires(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (holder, _) = app.resident("holder").await;
    let (other, _) = app.resident("not-the-holder").await;
    let officer = app.staff("desk-2", "police-central").await;
    let permit = issued_permit(&app, &holder, &officer).await;
    let permit_path = format!("{SERVICE}/permits/{permit}");
    let endorse = format!("{permit_path}/endorsements");

    // Too early: the window opens 30 days before the anniversary, and the answer says when.
    let shown = app.client.get(&permit_path, Some(&holder)).await.body;
    let opens = shown["endorsement_window_opens"].as_str().unwrap().to_owned();
    let early = app.client.post_empty(&endorse, Some(&holder)).await;
    assert!(early.assert_problem(409, "conflict").contains(&opens), "{}", early.body);

    // A year later (ten days before the anniversary) it is due.
    let anniversary = today() + time::Duration::days(10);
    expire_on(&app, permit, anniversary).await;
    assert_eq!(app.client.get(&permit_path, Some(&holder)).await.body["status"], "endorsement-due");
    app.client.post_empty(&endorse, Some(&other)).await.assert_problem(404, "not-found");
    app.client.post_empty(&endorse, Some(&officer)).await.assert_problem(403, "forbidden");
    let requested = app.client.post_empty(&endorse, Some(&holder)).await;
    assert_eq!(requested.status, 201, "{}", requested.body);
    let endorsement = requested.body["id"].as_i64().unwrap();
    assert!(requested.body["case_reference"].as_str().unwrap().starts_with("RPE-"));
    app.client.post_empty(&endorse, Some(&holder)).await.assert_problem(409, "conflict");
    let cases = app.client.get("/api/v1/me/cases", Some(&holder)).await.body;
    assert_eq!(cases["total"], 2, "the application's case and the endorsement's");

    // The desk approves: one more year from the old expiry.
    let decide = format!("{SERVICE}/endorsements/{endorsement}/transition");
    let with_reason = json!({"to": "approved", "reason": "why not"});
    assert_eq!(app.client.post_json(&decide, Some(&officer), &with_reason).await.problem_fields(), ["reason"]);
    app.client.post_json(&decide, Some(&holder), &json!({"to": "approved"})).await.assert_problem(403, "forbidden");
    let approved = app.client.post_json(&decide, Some(&officer), &json!({"to": "approved"})).await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    let renewed = app.client.get(&permit_path, Some(&holder)).await.body;
    assert_eq!(
        renewed["valid_until"],
        months_later(anniversary.replace_day(1).unwrap(), 12)
            .replace_day(anniversary.day())
            .map(|d| d.to_string())
            .unwrap_or_default()
    );
    assert_eq!((renewed["endorsements"].as_i64(), renewed["status"].as_str()), (Some(1), Some("valid")));
    app.client
        .post_json(&decide, Some(&officer), &json!({"to": "rejected", "reason": "late"}))
        .await
        .assert_problem(409, "conflict");

    // Not endorsed by the anniversary: the permit lapses, and only a new application helps.
    expire_on(&app, permit, today() - time::Duration::days(1)).await;
    assert_eq!(app.client.get(&permit_path, Some(&holder)).await.body["status"], "lapsed");
    app.client.post_empty(&endorse, Some(&holder)).await.assert_problem(409, "conflict");
    assert_eq!(app.client.post_json(APPLICATIONS, Some(&holder), &application()).await.status, 201);
}

async fn registration_and_rentals_are_written_to_the_shared_record(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (newcomer, _) = app.resident("just-arrived").await;
    let (other, _) = app.resident("someone-else").await;
    let registration = format!("{SERVICE}/registration");
    app.client.get(&registration, Some(&newcomer)).await.assert_problem(404, "not-found");

    let form = json!({
        "arrival_date": "2026-03-01",
        "origin": "Kashgar",
        "reason": "employment",
        "employer_or_school": "City Power Supply Co.",
        "current_address": "Room 3, 12 Jiefang South Road"
    });
    let bad = json!({"arrival_date": "soon", "origin": "K", "reason": "holiday", "current_address": "x"});
    assert_eq!(
        app.client.post_json(&registration, Some(&newcomer), &bad).await.problem_fields(),
        ["arrival_date", "origin", "reason", "current_address"]
    );
    app.client.get(&registration, Some(&newcomer)).await.assert_problem(404, "not-found");
    let registered = app.client.post_json(&registration, Some(&newcomer), &form).await;
    assert_eq!(registered.status, 201, "{}", registered.body);
    assert_eq!(registered.body["eligible_from"], "2026-09-01", "six months from arrival");
    assert_eq!(registered.body["may_apply"], true);
    // The registration pre-fills the permit application, and the address is the profile's.
    let prefill = app.client.get(&format!("{SERVICE}/prefill"), Some(&newcomer)).await.body;
    assert_eq!((prefill["arrival_date"].as_str(), prefill["origin"].as_str()), (Some("2026-03-01"), Some("Kashgar")));
    let profile = app.client.get("/api/v1/me/profile", Some(&newcomer)).await.body;
    assert_eq!(profile["profile"]["current_address"], "Room 3, 12 Jiefang South Road");
    // A second registration updates the first.
    let mut moved = form.clone();
    moved["current_address"] = json!("Flat 5, 8 Xinhua North Road");
    let updated = app.client.post_json(&registration, Some(&newcomer), &moved).await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(
        app.client.get(&registration, Some(&newcomer)).await.body["current_address"],
        "Flat 5, 8 Xinhua North Road"
    );
    app.client.get(&registration, Some(&other)).await.assert_problem(404, "not-found");

    // Rental housing: the lease that proves a stable residence.
    let rentals = format!("{SERVICE}/rentals");
    let lease = json!({
        "address": "Flat 5, 8 Xinhua North Road",
        "landlord_name": "Zhang Wei",
        "landlord_phone": "13900139000",
        "tenants": ["Aygül Tursun"],
        "lease_start": "2026-03-01",
        "lease_end": (today() + time::Duration::days(365)).to_string()
    });
    let mut backwards = lease.clone();
    backwards["lease_end"] = json!("2026-02-01");
    backwards["tenants"] = json!([]);
    assert_eq!(
        app.client.post_json(&rentals, Some(&newcomer), &backwards).await.problem_fields(),
        ["tenants", "lease_end"]
    );
    let officer = app.staff("desk-3", "police-central").await;
    app.client.post_json(&rentals, Some(&officer), &lease).await.assert_problem(403, "forbidden");
    app.client.post_json(&rentals, None, &lease).await.assert_problem(401, "unauthorized");
    assert_eq!(app.client.get(&rentals, Some(&newcomer)).await.body["total"], 0, "nothing refused was stored");
    let rented = app.client.post_json(&rentals, Some(&newcomer), &lease).await;
    assert_eq!(rented.status, 201, "{}", rented.body);
    assert_eq!(rented.body["tenants"], json!(["Aygül Tursun"]));
    let mine = app.client.get(&rentals, Some(&newcomer)).await.body;
    assert_eq!(mine["total"], 1);
    assert_eq!(mine["items"][0]["landlord_name"], "Zhang Wei");
    assert_eq!(app.client.get(&rentals, Some(&other)).await.body["total"], 0);
}
