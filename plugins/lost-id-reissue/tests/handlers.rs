//! The stories of the lost-ID service, played through the SDK's in-memory
//! platform built from this plugin's `plugin.toml`: as the resident, as the
//! police station's desk, as the community police office, and as everyone
//! who must be refused.

use lost_id_reissue::LostIdReissue;
use onewindow_sdk::UnitKind;
use onewindow_sdk::cases::Status;
use onewindow_sdk::harness::{Harness, TestCaller, TestRequest, TestResponse};
use onewindow_sdk::time::{Date, today};
use serde_json::{Value, json};

const MANIFEST: &str = include_str!("../plugin.toml");
const NAME: &str = "Aygül Tursun";
const ID_NUMBER: &str = "11010519491231002X";

fn harness() -> Harness {
    Harness::from_manifest(MANIFEST).expect("plugin.toml is valid")
}

fn aygul() -> TestCaller {
    TestCaller::resident("r-1")
}

fn other_resident() -> TestCaller {
    TestCaller::resident("r-2")
}

fn desk() -> TestCaller {
    TestCaller::staff("desk-1", "police-central", UnitKind::Police)
}

fn community_police() -> TestCaller {
    TestCaller::staff("af-1", "police-east-community", UnitKind::Police)
}

/// Everyone who is neither the resident nor the unit that works the route.
fn outsiders() -> Vec<(TestCaller, u16)> {
    vec![
        (TestCaller::anonymous(), 401),
        (TestCaller::staff("c-1", "community-east", UnitKind::Community), 403),
        (TestCaller::staff("j-1", "judicial-office", UnitKind::Judicial), 403),
        (TestCaller::staff("w-1", "partner-water", UnitKind::Partner), 403),
        (TestCaller::admin("admin"), 403),
    ]
}

fn call(h: &mut Harness, method: &str, path: &str, who: &TestCaller, body: Option<Value>) -> TestResponse {
    h.call::<LostIdReissue>(method, path, who, body)
}

fn ok(answer: TestResponse, status: u16) -> Value {
    assert_eq!(answer.status, status, "{}", answer.text());
    answer.json()
}

/// Everything the service can change, to prove a refusal changed nothing.
fn state(h: &Harness) -> String {
    format!(
        "{:?} {:?} {:?} {:?} {:?} {:?}",
        h.rows("reports"),
        h.rows("applications"),
        h.rows("scam_consultations"),
        h.cases(),
        h.messages(),
        h.records("resident_profile"),
    )
}

fn with_profile(h: &mut Harness) {
    h.insert_record("resident_profile", "r-1", json!({ "name": NAME, "id_number": ID_NUMBER, "area": "east-gate" }));
}

fn plain_report() -> Value {
    json!({ "lost_on": today().to_string(), "place": "Bus 7, Jiefang Road", "circumstances": "My wallet was gone when I got off." })
}

fn file_report(h: &mut Harness) -> i64 {
    ok(call(h, "POST", "/reports", &aygul(), Some(plain_report())), 201)["report"]["id"].as_i64().unwrap()
}

fn application(report_id: i64, kind: &str) -> Value {
    json!({ "report_id": report_id, "kind": kind, "full_name": NAME, "id_number": ID_NUMBER, "phone": "13800138000" })
}

fn apply(h: &mut Harness, report_id: i64, kind: &str) -> i64 {
    ok(call(h, "POST", "/applications", &aygul(), Some(application(report_id, kind))), 201)["id"].as_i64().unwrap()
}

fn window() -> Value {
    let (from, to) = (today().add_days(1), today().add_days(5));
    json!({ "place": "Central Police Station, window 3", "from": format!("{from}T09:00:00+08:00"), "to": format!("{to}T18:00:00+08:00") })
}

fn case_status(h: &Harness, id: i64) -> Status {
    h.cases().into_iter().find(|c| c.id == id).expect("the case exists").status
}

/// Every message the service sent fills placeholders that each language of
/// its template has (the platform refuses a message otherwise; the harness
/// does not check it).
fn assert_messages_render(h: &Harness) {
    for message in h.messages() {
        let texts = templates(&message.template);
        assert_eq!(texts.len(), 3, "template `{}` has zh, ug and en", message.template);
        for (name, value) in &message.params {
            assert!(value.chars().count() <= 500, "{name} is too long for the platform");
            for text in &texts {
                assert!(text.contains(&format!("{{{name}}}")), "`{}` lacks {{{name}}}: {text}", message.template);
            }
        }
    }
}

/// The three texts of `[templates.NAME]` in the manifest.
fn templates(name: &str) -> Vec<String> {
    let header = format!("[templates.{name}]");
    let start = MANIFEST.find(&header).unwrap_or_else(|| panic!("no template {name}")) + header.len();
    let section = MANIFEST[start..].split("\n[").next().unwrap_or_default();
    section.lines().filter(|line| line.contains(" = \"")).map(|line| line.to_owned()).collect()
}

#[test]
fn the_service_s_facts_are_public_and_in_the_caller_s_language() {
    let mut h = harness();
    let en = h.send::<LostIdReissue>(TestRequest::new("GET", "/info").header("accept-language", "en"));
    let body = ok(en, 200);
    assert_eq!((body["fee_reissue_yuan"].as_i64(), body["fee_temporary_yuan"].as_i64()), (Some(20), Some(10)));
    assert_eq!((body["reissue_days"].as_i64(), body["temporary_valid_months"].as_i64()), (Some(60), Some(3)));
    assert_eq!(body["hotlines"], json!(["96110", "110"]));
    assert!(body["payment"].as_str().unwrap().contains("takes no payment"));
    let ug = ok(h.send::<LostIdReissue>(TestRequest::new("GET", "/info").header("accept-language", "ug")), 200);
    assert_eq!((ug["language"].as_str(), ug["dir"].as_str()), (Some("ug"), Some("rtl")));
    let zh = ok(call(&mut h, "GET", "/info", &aygul(), None), 200);
    assert!(zh["about"].as_str().unwrap().contains("60 日"));
}

#[test]
fn a_loss_is_recorded_at_once_and_seen_only_by_its_resident_and_the_desk() {
    let mut h = harness();
    let answer = call(&mut h, "POST", "/reports", &aygul(), Some(plain_report()));
    assert_eq!(answer.status, 201, "{}", answer.text());
    let body = answer.json();
    let id = body["report"]["id"].as_i64().unwrap();
    assert_eq!(answer.header("location"), Some(format!("/reports/{id}").as_str()));
    assert_eq!(body["report"]["status"], "reported-lost");
    assert_eq!(body["report"]["fraud_signs"], json!([]));
    assert!(body["fraud_warning"].is_null(), "an ordinary loss warns nobody");
    assert!(h.rows("scam_consultations").is_empty() && h.cases().is_empty() && h.messages().is_empty());

    let path = format!("/reports/{id}");
    assert_eq!(ok(call(&mut h, "GET", &path, &aygul(), None), 200)["place"], "Bus 7, Jiefang Road");
    assert_eq!(ok(call(&mut h, "GET", &path, &desk(), None), 200)["resident"], "r-1");
    assert_eq!(call(&mut h, "GET", &path, &other_resident(), None).status, 404);
    assert_eq!(ok(call(&mut h, "GET", "/reports", &other_resident(), None), 200)["total"], 0);
    assert_eq!(ok(call(&mut h, "GET", "/reports?status=reported-lost", &desk(), None), 200)["total"], 1);
    assert_eq!(call(&mut h, "GET", &path, &community_police(), None).status, 403, "the fraud queue's unit only");
    for (who, status) in outsiders() {
        assert_eq!(call(&mut h, "GET", &path, &who, None).status, status);
        assert_eq!(call(&mut h, "GET", "/reports", &who, None).status, status);
    }
    let before = state(&h);
    for (who, status) in [(desk(), 403), (community_police(), 403), (TestCaller::anonymous(), 401)] {
        assert_eq!(call(&mut h, "POST", "/reports", &who, Some(plain_report())).status, status);
    }
    assert_eq!(state(&h), before);
}

#[test]
fn a_bad_report_names_every_field_and_writes_nothing() {
    let mut h = harness();
    let bad = json!({ "lost_on": today().add_days(1).to_string(), "place": "x", "extra": true });
    let answer = call(&mut h, "POST", "/reports", &aygul(), Some(bad));
    assert_eq!((answer.status, answer.problem_type().as_deref()), (422, Some("validation-failed")));
    let fields: Vec<String> =
        answer.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect();
    assert_eq!(fields, ["circumstances", "lost_on", "place", "extra"]);
    assert!(h.rows("reports").is_empty());
}

#[test]
fn a_report_with_signs_of_fraud_warns_at_once_and_goes_to_the_community_police() {
    let mut h = harness();
    let story = json!({
        "lost_on": today().to_string(),
        "place": "a phone call",
        "circumstances": "A caller said my card is used in a crime, my account will be FROZEN and I must move money to a safe account and read him the verification code."
    });
    let answer = h.send::<LostIdReissue>(
        TestRequest::new("POST", "/reports").caller(&aygul()).header("accept-language", "en").json(&story),
    );
    let body = ok(answer, 201);
    let warning = &body["fraud_warning"];
    assert_eq!(warning["level"], "warning");
    assert_eq!(warning["signs"], json!(["frozen-account", "safe-account", "verification-code"]));
    let message = warning["message"].as_str().unwrap();
    assert!(message.contains("Stop transferring or paying") && message.contains("verification code"));
    assert_eq!(warning["hotlines"], json!(["96110", "110"]));
    assert_eq!(body["report"]["status"], "reported-lost", "the loss is recorded all the same");
    assert_eq!(body["report"]["fraud_signs"], json!(["frozen-account", "safe-account", "verification-code"]));

    let consultations = h.rows("scam_consultations");
    assert_eq!(consultations.len(), 1);
    let consultation = &consultations[0];
    assert_eq!((consultation["source"].as_str(), consultation["status"].as_str()), (Some("report"), Some("open")));
    assert_eq!(consultation["report_id"], body["report"]["id"]);
    assert_eq!(body["report"]["consultation_id"], consultation["id"]);
    let cases = h.cases();
    assert_eq!(cases.len(), 1);
    assert_eq!((cases[0].kind.as_str(), cases[0].unit.as_str()), ("fraud-referral", "police-east-community"));
    assert!(cases[0].reference.starts_with("AF-"));
    assert_eq!(consultation["case_reference"], cases[0].reference.as_str());
    let messages = h.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!((messages[0].resident.as_str(), messages[0].template.as_str()), ("r-1", "fraud-warning"));
    assert_eq!(messages[0].params, [("reference".to_owned(), cases[0].reference.clone())]);
    assert_messages_render(&h);

    // It is in the community police office's queue, and only there.
    let queue = ok(call(&mut h, "GET", "/scam-consultations?status=open", &community_police(), None), 200);
    assert_eq!(queue["total"], 1);
    assert_eq!(call(&mut h, "GET", "/scam-consultations", &desk(), None).status, 403);
    assert_eq!(ok(call(&mut h, "GET", "/scam-consultations", &aygul(), None), 200)["total"], 1);
}

#[test]
fn a_reissue_goes_from_application_to_collection_with_its_case_and_messages() {
    let mut h = harness();
    with_profile(&mut h);
    let report = file_report(&mut h);
    let answer = call(&mut h, "POST", "/applications", &aygul(), Some(application(report, "reissue")));
    assert_eq!(answer.status, 201, "{}", answer.text());
    let applied = answer.json();
    let id = applied["id"].as_i64().unwrap();
    assert_eq!(answer.header("location"), Some(format!("/applications/{id}").as_str()));
    assert_eq!((applied["status"].as_str(), applied["fee_yuan"].as_i64()), (Some("submitted"), Some(20)));
    let case = h.cases()[0].clone();
    assert_eq!(
        (case.kind.as_str(), case.unit.as_str(), case.status),
        ("id-reissue", "police-central", Status::Requested)
    );
    assert!(case.reference.starts_with("IDR-"));
    assert_eq!(applied["case_reference"], case.reference.as_str());
    let due = applied["due_at"].as_str().unwrap();
    assert!(due.starts_with(&today().add_days(60).to_string()), "due in 60 days: {due}");

    let path = format!("/applications/{id}");
    assert_eq!(call(&mut h, "GET", &path, &other_resident(), None).status, 404);
    assert_eq!(call(&mut h, "GET", &path, &community_police(), None).status, 403);
    assert_eq!(ok(call(&mut h, "GET", "/applications?status=submitted", &desk(), None), 200)["total"], 1);

    let accepted = ok(call(&mut h, "POST", &format!("{path}/accept"), &desk(), None), 200);
    assert_eq!((accepted["status"].as_str(), accepted["verified_by"].as_str()), (Some("accepted"), Some("desk-1")));
    assert_eq!(case_status(&h, case.id), Status::InProgress);

    let ready = ok(call(&mut h, "POST", &format!("{path}/ready"), &desk(), Some(window())), 200);
    assert_eq!(ready["status"], "ready-for-pickup");
    assert_eq!(ready["pickup_place"], "Central Police Station, window 3");
    assert_eq!(ready["issued_on"], today().to_string());
    assert!(ready["valid_until"].is_null(), "a reissued card has no three-month limit");
    assert_eq!(case_status(&h, case.id), Status::InProgress, "the case closes on collection");
    let message = h.messages().last().unwrap().clone();
    assert_eq!(message.template, "reissue-ready");
    let from = message.params.iter().find(|(n, _)| n == "from").map(|(_, v)| v.clone()).unwrap();
    assert_eq!(from, format!("{} 09:00", today().add_days(1)));
    assert_messages_render(&h);

    let collected = ok(call(&mut h, "POST", &format!("{path}/collected"), &desk(), None), 200);
    assert_eq!(collected["status"], "collected");
    assert!(collected["collected_at"].is_string());
    assert_eq!(case_status(&h, case.id), Status::Completed);
    assert_eq!(h.rows("reports")[0]["status"], "replaced");
    let history: Vec<_> = h.case_history(case.id).iter().map(|e| (e.action.clone(), e.to_status)).collect();
    let expected = [
        ("opened", Some(Status::Requested)),
        ("transition", Some(Status::Accepted)),
        ("transition", Some(Status::InProgress)),
        ("note", None),
        ("transition", Some(Status::Completed)),
    ]
    .map(|(action, to)| (action.to_owned(), to));
    assert_eq!(history, expected);
    assert!(h.case_history(case.id)[3].note.starts_with("ready for pickup at Central Police Station, window 3"));

    // Finished: nothing moves it again, and no new application on the replaced card.
    assert_eq!(call(&mut h, "POST", &format!("{path}/collected"), &desk(), None).status, 409);
    let again = call(&mut h, "POST", "/applications", &aygul(), Some(application(report, "temporary")));
    assert_eq!(again.status, 409, "{}", again.text());
}

#[test]
fn a_temporary_card_is_valid_for_three_months_and_does_not_replace_the_lost_one() {
    let mut h = harness();
    with_profile(&mut h);
    let report = file_report(&mut h);
    let id = apply(&mut h, report, "temporary");
    let case = h.cases()[0].clone();
    assert_eq!((case.kind.as_str(), case.unit.as_str()), ("temporary-id", "police-central"));
    assert!(case.reference.starts_with("TID-"));
    assert_eq!(h.rows("applications")[0]["fee_yuan"], 10);
    let path = format!("/applications/{id}");
    ok(call(&mut h, "POST", &format!("{path}/accept"), &desk(), None), 200);
    let ready = ok(call(&mut h, "POST", &format!("{path}/ready"), &desk(), Some(window())), 200);
    let until = ready["valid_until"].as_str().unwrap().to_owned();
    let days = today().days_until(Date::parse(&until).unwrap());
    assert!((89..=92).contains(&days), "three months from today: {until}");
    let message = h.messages().last().unwrap().clone();
    assert_eq!(message.template, "temporary-ready");
    assert!(message.params.contains(&("valid_until".to_owned(), until)));
    assert_messages_render(&h);
    ok(call(&mut h, "POST", &format!("{path}/collected"), &desk(), None), 200);
    assert_eq!(h.rows("reports")[0]["status"], "reported-lost", "a temporary card bridges; the loss stands");
    // A reissue may still be applied for on the same report.
    apply(&mut h, report, "reissue");
}

#[test]
fn the_desk_accepts_only_when_name_and_id_number_match_the_shared_profile() {
    let mut h = harness();
    let report = file_report(&mut h);
    let id = apply(&mut h, report, "reissue");
    let accept = format!("/applications/{id}/accept");

    let before = state(&h);
    let none = call(&mut h, "POST", &accept, &desk(), None);
    assert_eq!(none.status, 409, "{}", none.text());
    assert!(none.json()["detail"].as_str().unwrap().contains("no shared profile"));
    assert_eq!(state(&h), before, "a failed check changes nothing");

    h.insert_record("resident_profile", "r-1", json!({ "name": "Aygul Tursunova", "id_number": "110105194912310021" }));
    let before = state(&h);
    let differs = call(&mut h, "POST", &accept, &desk(), None);
    assert_eq!(differs.status, 409);
    let detail = differs.json()["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("full_name and id_number do not match"), "{detail}");
    assert!(!detail.contains("Tursunova") && !detail.contains("110105194912310021"), "the profile is not told");
    assert_eq!(state(&h), before);
    assert_eq!(case_status(&h, h.cases()[0].id), Status::Requested);
}

#[test]
fn a_different_id_number_alone_is_refused() {
    let mut h = harness();
    h.insert_record("resident_profile", "r-1", json!({ "name": NAME, "id_number": "11010519800101001X" }));
    // Another resident's matching profile does not stand in for the applicant's.
    h.insert_record("resident_profile", "r-2", json!({ "name": NAME, "id_number": ID_NUMBER }));
    let report = file_report(&mut h);
    let id = apply(&mut h, report, "reissue");
    let answer = call(&mut h, "POST", &format!("/applications/{id}/accept"), &desk(), None);
    assert_eq!(answer.status, 409);
    assert!(answer.json()["detail"].as_str().unwrap().contains(": id_number does not match"));
    assert_eq!(h.rows("applications")[0]["status"], "submitted");
}

#[test]
fn only_the_desk_works_applications() {
    let mut h = harness();
    with_profile(&mut h);
    let report = file_report(&mut h);
    let id = apply(&mut h, report, "reissue");
    let path = format!("/applications/{id}");
    let before = state(&h);
    let mut refused: Vec<(TestCaller, u16)> = outsiders();
    refused.extend([(community_police(), 403), (aygul(), 403), (other_resident(), 403)]);
    for (who, status) in refused {
        for (action, body) in [
            ("accept", None),
            ("reject", Some(json!({ "reason": "no" }))),
            ("ready", Some(window())),
            ("collected", None),
        ] {
            let answer = call(&mut h, "POST", &format!("{path}/{action}"), &who, body);
            assert_eq!(answer.status, status, "{action} as {:?}: {}", who.caller(), answer.text());
        }
    }
    assert_eq!(state(&h), before);
}

#[test]
fn the_desk_refuses_with_a_reason_that_reaches_the_inbox() {
    let mut h = harness();
    let report = file_report(&mut h);
    let id = apply(&mut h, report, "reissue");
    let reject = format!("/applications/{id}/reject");
    let before = state(&h);
    let missing = call(&mut h, "POST", &reject, &desk(), Some(json!({ "because": "x" })));
    assert_eq!(missing.status, 422);
    let fields: Vec<_> = missing.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].clone()).collect();
    assert_eq!(fields, [json!("reason"), json!("because")]);
    assert_eq!(state(&h), before);

    let reason = "Your household registration is not at this station; apply at your home station.";
    let rejected = ok(call(&mut h, "POST", &reject, &desk(), Some(json!({ "reason": reason }))), 200);
    assert_eq!((rejected["status"].as_str(), rejected["rejection_reason"].as_str()), (Some("rejected"), Some(reason)));
    assert_eq!(case_status(&h, h.cases()[0].id), Status::Rejected);
    let message = h.messages().last().unwrap().clone();
    assert_eq!(message.template, "application-rejected");
    assert!(message.params.contains(&("reason".to_owned(), reason.to_owned())));
    assert_messages_render(&h);
    // The resident may apply again on the same report.
    apply(&mut h, report, "reissue");
}

#[test]
fn a_refusal_after_acceptance_fails_the_case() {
    let mut h = harness();
    with_profile(&mut h);
    let report = file_report(&mut h);
    let id = apply(&mut h, report, "reissue");
    ok(call(&mut h, "POST", &format!("/applications/{id}/accept"), &desk(), None), 200);
    let body = json!({ "reason": "The card could not be produced; please come to the desk." });
    ok(call(&mut h, "POST", &format!("/applications/{id}/reject"), &desk(), Some(body)), 200);
    assert_eq!(case_status(&h, h.cases()[0].id), Status::Failed);
}

#[test]
fn moves_out_of_order_are_refused_and_change_nothing() {
    let mut h = harness();
    with_profile(&mut h);
    let report = file_report(&mut h);
    let id = apply(&mut h, report, "reissue");
    let path = format!("/applications/{id}");
    let before = state(&h);
    let early = call(&mut h, "POST", &format!("{path}/ready"), &desk(), Some(window()));
    assert_eq!(early.status, 409);
    assert!(early.json()["detail"].as_str().unwrap().contains("allowed: accepted, rejected, withdrawn"));
    assert_eq!(call(&mut h, "POST", &format!("{path}/collected"), &desk(), None).status, 409);
    assert_eq!(state(&h), before);

    ok(call(&mut h, "POST", &format!("{path}/accept"), &desk(), None), 200);
    let before = state(&h);
    let bad_window =
        json!({ "place": "W3", "from": "tomorrow", "to": format!("{}T09:00:00+08:00", today().add_days(-1)) });
    let answer = call(&mut h, "POST", &format!("{path}/ready"), &desk(), Some(bad_window));
    assert_eq!(answer.status, 422);
    let fields: Vec<_> = answer.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].clone()).collect();
    assert_eq!(fields, [json!("from")]);
    assert_eq!(call(&mut h, "POST", &format!("{path}/accept"), &desk(), None).status, 409);
    assert_eq!(call(&mut h, "POST", "/applications/999/accept", &desk(), None).status, 404);
    assert_eq!(state(&h), before);
}

#[test]
fn the_applicant_may_withdraw_only_before_acceptance() {
    let mut h = harness();
    with_profile(&mut h);
    let report = file_report(&mut h);
    let first = apply(&mut h, report, "reissue");
    assert_eq!(call(&mut h, "POST", &format!("/applications/{first}/withdraw"), &other_resident(), None).status, 404);
    assert_eq!(call(&mut h, "POST", &format!("/applications/{first}/withdraw"), &desk(), None).status, 403);
    let withdrawn = ok(call(&mut h, "POST", &format!("/applications/{first}/withdraw"), &aygul(), None), 200);
    assert_eq!(withdrawn["status"], "withdrawn");
    assert_eq!(case_status(&h, h.cases()[0].id), Status::Cancelled);

    let second = apply(&mut h, report, "reissue");
    ok(call(&mut h, "POST", &format!("/applications/{second}/accept"), &desk(), None), 200);
    let before = state(&h);
    let late = call(&mut h, "POST", &format!("/applications/{second}/withdraw"), &aygul(), None);
    assert_eq!(late.status, 409);
    assert_eq!(state(&h), before);
}

#[test]
fn an_application_needs_an_own_report_and_one_of_each_kind_at_a_time() {
    let mut h = harness();
    let report = file_report(&mut h);
    let before = state(&h);
    let bad = json!({ "report_id": "one", "kind": "new", "id_number": "123", "phone": "call me", "fee": 20 });
    let answer = call(&mut h, "POST", "/applications", &aygul(), Some(bad));
    assert_eq!(answer.status, 422);
    let fields: Vec<_> = answer.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].clone()).collect();
    assert_eq!(
        fields,
        [json!("report_id"), json!("full_name"), json!("kind"), json!("id_number"), json!("phone"), json!("fee")]
    );
    let not_hers = call(&mut h, "POST", "/applications", &other_resident(), Some(application(report, "reissue")));
    assert_eq!(not_hers.status, 404);
    assert_eq!(call(&mut h, "POST", "/applications", &desk(), Some(application(report, "reissue"))).status, 403);
    assert_eq!(state(&h), before);

    apply(&mut h, report, "reissue");
    apply(&mut h, report, "temporary");
    let before = state(&h);
    let twice = call(&mut h, "POST", "/applications", &aygul(), Some(application(report, "reissue")));
    assert_eq!(twice.status, 409, "{}", twice.text());
    assert_eq!(state(&h), before);
    let mine = ok(call(&mut h, "GET", "/applications?kind=temporary", &aygul(), None), 200);
    assert_eq!(mine["total"], 1);
    assert_eq!(ok(call(&mut h, "GET", "/applications", &other_resident(), None), 200)["total"], 0);
    assert_eq!(call(&mut h, "GET", "/applications?limit=0", &desk(), None).status, 422);
    for (who, status) in outsiders() {
        assert_eq!(call(&mut h, "GET", "/applications", &who, None).status, status);
    }
}

#[test]
fn is_this_a_scam_lands_in_the_same_queue_and_the_community_police_answer() {
    let mut h = harness();
    let question =
        json!({ "question": "A man on WeChat says I must pay a 保证金 before my loan is released. Is this a scam?" });
    let asked = ok(call(&mut h, "POST", "/scam-consultations", &aygul(), Some(question)), 201);
    assert_eq!(asked["fraud_warning"]["level"], "warning");
    assert_eq!(asked["fraud_warning"]["signs"], json!(["deposit"]));
    assert!(asked["fraud_warning"]["message"].as_str().unwrap().contains("96110"), "Chinese by default");
    assert_eq!(
        (asked["consultation"]["source"].as_str(), asked["consultation"]["status"].as_str()),
        (Some("question"), Some("open"))
    );
    let id = asked["consultation"]["id"].as_i64().unwrap();
    let case = h.cases()[0].clone();
    assert_eq!((case.kind.as_str(), case.unit.as_str()), ("fraud-referral", "police-east-community"));
    assert!(asked["consultation"]["due_at"].as_str().unwrap().starts_with(&today().add_days(3).to_string()));
    assert_eq!(h.messages()[0].template, "fraud-warning");

    // A question without signs gets advice, and still goes to the queue.
    let calm = json!({ "question": "Someone phoned to say my parcel is at the post office." });
    let advice = ok(call(&mut h, "POST", "/scam-consultations", &other_resident(), Some(calm)), 201);
    assert_eq!(
        (advice["fraud_warning"]["level"].as_str(), advice["fraud_warning"]["signs"].clone()),
        (Some("advice"), json!([]))
    );
    assert_eq!(h.messages().len(), 1, "no alarm for advice");
    assert_eq!(h.cases().len(), 2);

    let path = format!("/scam-consultations/{id}");
    assert_eq!(call(&mut h, "GET", &path, &other_resident(), None).status, 404);
    assert_eq!(call(&mut h, "GET", &path, &desk(), None).status, 403);
    assert_eq!(ok(call(&mut h, "GET", "/scam-consultations?status=open", &community_police(), None), 200)["total"], 2);

    let reply = json!({ "verdict": "scam", "answer": "This is a loan scam. Do not pay; we will call you today." });
    let before = state(&h);
    let mut refused: Vec<(TestCaller, u16)> = outsiders();
    refused.extend([(desk(), 403), (aygul(), 403)]);
    for (who, status) in refused {
        assert_eq!(call(&mut h, "POST", &format!("{path}/answer"), &who, Some(reply.clone())).status, status);
    }
    for (who, status) in outsiders() {
        assert_eq!(call(&mut h, "GET", "/scam-consultations", &who, None).status, status);
        assert_eq!(call(&mut h, "GET", &path, &who, None).status, status);
    }
    let bad = call(&mut h, "POST", &format!("{path}/answer"), &community_police(), Some(json!({ "verdict": "maybe" })));
    assert_eq!(bad.status, 422);
    assert_eq!(state(&h), before);

    let answered = ok(call(&mut h, "POST", &format!("{path}/answer"), &community_police(), Some(reply.clone())), 200);
    assert_eq!((answered["status"].as_str(), answered["verdict"].as_str()), (Some("answered"), Some("scam")));
    assert_eq!(answered["answered_by"], "af-1");
    assert_eq!(case_status(&h, case.id), Status::Completed);
    let message = h.messages().last().unwrap().clone();
    assert_eq!((message.resident.as_str(), message.template.as_str()), ("r-1", "answer-scam"));
    assert_messages_render(&h);
    assert_eq!(ok(call(&mut h, "GET", &path, &aygul(), None), 200)["answer"], reply["answer"]);
    assert_eq!(call(&mut h, "POST", &format!("{path}/answer"), &community_police(), Some(reply)).status, 409);
    assert_eq!(ok(call(&mut h, "GET", "/scam-consultations?status=open", &community_police(), None), 200)["total"], 1);
}

/// The manifest with `[[records]]` or one capability taken away: the
/// routes that need it answer an error and write nothing; the rest work.
#[test]
fn the_service_fails_closed_when_a_grant_is_taken_away() {
    // No shared-record grant: the desk cannot check identity, so cannot accept.
    let start = MANIFEST.find("[[records]]").unwrap();
    let end = start + MANIFEST[start..].find("\n[[case-kinds]]").unwrap();
    let without_records = format!("{}{}", &MANIFEST[..start], &MANIFEST[end..]);
    let mut h = Harness::from_manifest(&without_records).unwrap();
    with_profile(&mut h);
    let report = file_report(&mut h);
    let id = apply(&mut h, report, "reissue");
    let before = state(&h);
    let answer = call(&mut h, "POST", &format!("/applications/{id}/accept"), &desk(), None);
    assert_eq!((answer.status, answer.problem_type().as_deref()), (500, Some("internal")));
    assert_eq!(state(&h), before);
    assert!(h.logs().iter().any(|l| l.level == "error" && l.message.contains("records")));

    // No cases: an application cannot open its case, so it is not kept.
    let mut h =
        Harness::from_manifest(&MANIFEST.replace("\"records\", \"cases\", \"notify\"", "\"records\", \"notify\""))
            .unwrap();
    let report = file_report(&mut h);
    let before = state(&h);
    let answer = call(&mut h, "POST", "/applications", &aygul(), Some(application(report, "reissue")));
    assert_eq!(answer.status, 500, "{}", answer.text());
    assert_eq!(state(&h), before);

    // No notify: a report with signs of fraud cannot warn the inbox, so it is
    // not kept either (the resident sees the error and can call 96110);
    // an ordinary report still works.
    let mut h =
        Harness::from_manifest(&MANIFEST.replace("\"records\", \"cases\", \"notify\"", "\"records\", \"cases\""))
            .unwrap();
    let scam = json!({ "lost_on": today().to_string(), "place": "phone", "circumstances": "He asked for the verification code." });
    let answer = call(&mut h, "POST", "/reports", &aygul(), Some(scam));
    assert_eq!(answer.status, 500, "{}", answer.text());
    assert!(h.rows("reports").is_empty() && h.rows("scam_consultations").is_empty() && h.cases().is_empty());
    file_report(&mut h);
}
