//! The handlers run in plain `cargo test`, against the SDK's in-memory
//! platform built from this plugin's `plugin.toml`: every story as the
//! resident, the other party and the staff of each unit involved, with the
//! errors, and what must not change.

use legal_consultation::LegalConsultation;
use onewindow_sdk::UnitKind;
use onewindow_sdk::cases::Status;
use onewindow_sdk::harness::{Harness, TestCaller, TestRequest, TestResponse};
use onewindow_sdk::time::today;
use serde_json::{Value, json};

const MANIFEST: &str = include_str!("../plugin.toml");

fn harness() -> Harness {
    Harness::from_manifest(MANIFEST).expect("plugin.toml is valid")
}

fn call(h: &mut Harness, method: &str, path: &str, caller: &TestCaller, body: Option<Value>) -> TestResponse {
    h.call::<LegalConsultation>(method, path, caller, body)
}

fn resident(id: &str) -> TestCaller {
    TestCaller::resident(id).named(&format!("Resident {id}"))
}

fn judicial() -> TestCaller {
    TestCaller::staff("j-1", "judicial-office", UnitKind::Judicial)
}

fn east() -> TestCaller {
    TestCaller::staff("c-1", "community-east", UnitKind::Community)
}

fn west() -> TestCaller {
    TestCaller::staff("w-1", "community-west", UnitKind::Community)
}

fn police() -> TestCaller {
    TestCaller::staff("p-1", "police-east-community", UnitKind::Police)
}

fn central_police() -> TestCaller {
    TestCaller::staff("p-2", "police-central", UnitKind::Police)
}

fn fields(answer: &TestResponse) -> Vec<String> {
    answer.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect()
}

fn case_status(h: &Harness, id: i64) -> Status {
    h.cases().into_iter().find(|c| c.id == id).unwrap().status
}

/// Every message sent names a declared template and fills only placeholders
/// it has in all three languages (the host refuses any other).
fn assert_messages_fit_their_templates(h: &Harness) {
    for message in h.messages() {
        let header = format!("[templates.{}]", message.template);
        let start = MANIFEST.find(&header).unwrap_or_else(|| panic!("no {header}"));
        let block: Vec<&str> = MANIFEST[start + header.len()..].lines().skip(1).take(3).collect();
        assert_eq!(block.len(), 3);
        for (line, language) in block.iter().zip(["zh", "ug", "en"]) {
            assert!(line.starts_with(&format!("{language} = ")), "{header}: {line}");
            for (name, _) in &message.params {
                assert!(line.contains(&format!("{{{name}}}")), "{header} {language} lacks {{{name}}}");
            }
        }
    }
}

fn in_days(days: i64, time: &str) -> String {
    format!("{}T{time}+08:00", today().add_days(days))
}

// ---- the guide ----

#[test]
fn the_guide_shows_the_12348_line_and_mediation_to_anyone_in_their_language() {
    let mut h = harness();
    let english = h.send::<LegalConsultation>(TestRequest::new("GET", "/guide").header("accept-language", "en"));
    assert_eq!(english.status, 200, "{}", english.text());
    let body = english.json();
    assert_eq!(body["hotline"]["number"], "12348");
    assert!(body["hotline"]["text"].as_str().unwrap().contains("12348"));
    assert_eq!(body["categories"].as_array().unwrap().len(), 7);
    assert_eq!(body["mediation"]["judicial_confirmation_days"], 30);
    assert_eq!(body["mediation"]["free"], true);
    let uyghur = h.send::<LegalConsultation>(TestRequest::new("GET", "/guide").header("accept-language", "ug"));
    assert_eq!((uyghur.json()["dir"].as_str(), uyghur.header("content-language")), (Some("rtl"), Some("ug")));
    let chinese = call(&mut h, "GET", "/guide", &TestCaller::anonymous(), None);
    assert_eq!(chinese.json()["categories"][0]["name"], "婚姻家庭");
}

// ---- legal questions ----

fn ask(h: &mut Harness, who: &str) -> Value {
    let body =
        json!({ "category": "tenancy", "question": "My landlord keeps the deposit after I moved out. What can I do?" });
    let answer = call(h, "POST", "/questions", &resident(who), Some(body));
    assert_eq!(answer.status, 201, "{}", answer.text());
    answer.json()
}

#[test]
fn a_question_is_answered_followed_up_closed_and_left_to_the_platform_rating() {
    let mut h = harness();
    let asked = ask(&mut h, "r-1");
    let id = asked["id"].as_i64().unwrap();
    assert_eq!(asked["status"], "awaiting-answer");
    assert_eq!(asked["hotline"]["number"], "12348");
    let cases = h.cases();
    assert_eq!(cases.len(), 1);
    assert_eq!((cases[0].kind.as_str(), cases[0].unit.as_str()), ("legal-question", "judicial-office"));
    assert_eq!((cases[0].resident.as_str(), cases[0].status), ("r-1", Status::Requested));
    assert!(cases[0].reference.starts_with("LQ-"));
    assert_eq!(asked["reference"], cases[0].reference.as_str());
    let path = format!("/questions/{id}");

    // Nobody else sees it: another resident, a committee, the central police.
    assert_eq!(call(&mut h, "GET", &path, &resident("r-2"), None).status, 404);
    assert_eq!(call(&mut h, "GET", &path, &east(), None).status, 404);
    assert_eq!(call(&mut h, "GET", &path, &central_police(), None).status, 404);
    assert_eq!(call(&mut h, "GET", "/questions", &east(), None).status, 403);
    assert_eq!(call(&mut h, "GET", "/questions", &resident("r-2"), None).json()["total"], 0);
    let queue = call(&mut h, "GET", "/questions?status=awaiting-answer", &judicial(), None);
    assert_eq!(queue.json()["total"], 1);
    assert_eq!(queue.json()["items"][0]["resident"], "r-1");

    // The judicial office answers as a lawyer: the case moves on, the resident is told.
    let messages = format!("{path}/messages");
    let answer = json!({ "text": "Ask in writing; if refused, the 12348 line can help.", "capacity": "lawyer" });
    let answered = call(&mut h, "POST", &messages, &judicial(), Some(answer));
    assert_eq!(answered.status, 201, "{}", answered.text());
    assert_eq!(answered.json()["status"], "answered");
    assert_eq!(answered.json()["messages"][0]["author"], "j-1", "staff see the author");
    assert_eq!(case_status(&h, 1), Status::InProgress);
    assert_eq!(h.messages().len(), 1);
    assert_eq!((h.messages()[0].resident.as_str(), h.messages()[0].template.as_str()), ("r-1", "question-answered"));

    // The resident reads it (staff shown as their unit and capacity, not by account) and follows up.
    let read = call(&mut h, "GET", &path, &resident("r-1"), None).json();
    assert_eq!(read["messages"][0]["unit"], "judicial-office");
    assert_eq!(read["messages"][0]["capacity"], "lawyer");
    assert!(read["messages"][0].get("author").is_none());
    let follow =
        call(&mut h, "POST", &messages, &resident("r-1"), Some(json!({ "text": "What if I have no receipt?" })));
    assert_eq!(follow.status, 201, "{}", follow.text());
    assert_eq!(follow.json()["status"], "awaiting-answer");
    let again = json!({ "text": "Bank transfers prove it too.", "capacity": "mediator" });
    assert_eq!(call(&mut h, "POST", &messages, &judicial(), Some(again)).status, 201);

    // The resident closes it; the case is completed and rated through the platform.
    let closed = call(&mut h, "POST", &format!("{path}/close"), &resident("r-1"), Some(json!({ "note": "thanks" })));
    assert_eq!(closed.status, 200, "{}", closed.text());
    assert_eq!(closed.json()["status"], "closed");
    assert_eq!(closed.json()["case_status"], "completed");
    assert_eq!(closed.json()["rating_route"], "/api/v1/me/cases/1/rating");
    assert_eq!(case_status(&h, 1), Status::Completed);

    // Closed means closed; nothing else changed.
    let late = call(&mut h, "POST", &messages, &resident("r-1"), Some(json!({ "text": "one more thing" })));
    assert_eq!(late.status, 409, "{}", late.text());
    assert_eq!(h.rows("question_messages").len(), 3);
    assert_eq!(h.messages().len(), 2);
    assert_messages_fit_their_templates(&h);
}

#[test]
fn bad_questions_and_wrong_callers_are_refused_and_write_nothing() {
    let mut h = harness();
    let bad = json!({ "category": "taxes", "question": "short", "urgent": true });
    let refused = call(&mut h, "POST", "/questions", &resident("r-1"), Some(bad));
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert_eq!(fields(&refused), ["urgent", "category", "question"]);
    let missing = call(&mut h, "POST", "/questions", &resident("r-1"), Some(json!({})));
    assert_eq!(fields(&missing), ["category", "question"]);
    let good = json!({ "category": "fraud", "question": "Someone called claiming to be the police." });
    assert_eq!(call(&mut h, "POST", "/questions", &TestCaller::anonymous(), Some(good.clone())).status, 401);
    assert_eq!(call(&mut h, "POST", "/questions", &judicial(), Some(good.clone())).status, 403);
    assert_eq!(call(&mut h, "GET", "/questions", &TestCaller::admin("a-1"), None).status, 403);
    assert_eq!(call(&mut h, "GET", "/questions?status=lost&limit=0", &judicial(), None).status, 422);
    assert!(h.rows("questions").is_empty() && h.cases().is_empty() && h.messages().is_empty());

    // Staff must say in what capacity they answer; a committee cannot answer at all.
    let id = ask(&mut h, "r-1")["id"].as_i64().unwrap();
    let messages = format!("/questions/{id}/messages");
    let no_capacity = call(&mut h, "POST", &messages, &judicial(), Some(json!({ "text": "Call 110." })));
    assert_eq!(fields(&no_capacity), ["capacity"]);
    let committee = call(&mut h, "POST", &messages, &east(), Some(json!({ "text": "x", "capacity": "lawyer" })));
    assert_eq!(committee.status, 404);
    assert!(h.rows("question_messages").is_empty());
    assert_eq!(case_status(&h, 1), Status::Requested);

    // An unanswered question cannot be closed; the resident withdraws it instead.
    let close = call(&mut h, "POST", &format!("/questions/{id}/close"), &resident("r-1"), None);
    assert_eq!(close.status, 409, "{}", close.text());
    let other = call(&mut h, "POST", &format!("/questions/{id}/withdraw"), &resident("r-2"), None);
    assert_eq!(other.status, 404);
    let withdrawn = call(&mut h, "POST", &format!("/questions/{id}/withdraw"), &resident("r-1"), None);
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.text());
    assert_eq!(withdrawn.json()["status"], "withdrawn");
    assert_eq!(case_status(&h, 1), Status::Cancelled);
    assert!(h.messages().is_empty());
}

#[test]
fn the_judicial_office_declines_a_question_before_answering_it_and_says_why() {
    let mut h = harness();
    let id = ask(&mut h, "r-1")["id"].as_i64().unwrap();
    let path = format!("/questions/{id}/decline");
    assert_eq!(fields(&call(&mut h, "POST", &path, &judicial(), Some(json!({})))), ["reason"]);
    assert_eq!(call(&mut h, "POST", &path, &resident("r-1"), Some(json!({ "reason": "x" }))).status, 403);
    let reason = json!({ "reason": "a criminal matter: report it to the police (110)" });
    let declined = call(&mut h, "POST", &path, &judicial(), Some(reason.clone()));
    assert_eq!(declined.status, 200, "{}", declined.text());
    assert_eq!(declined.json()["closing_note"], "a criminal matter: report it to the police (110)");
    assert_eq!(case_status(&h, 1), Status::Rejected);
    assert_eq!(h.messages()[0].template, "question-declined");
    assert_eq!(call(&mut h, "POST", &path, &judicial(), Some(reason)).status, 409);

    // Once answered, a question is closed, not declined.
    let second = ask(&mut h, "r-1")["id"].as_i64().unwrap();
    let answer = json!({ "text": "Keep the contract.", "capacity": "lawyer" });
    call(&mut h, "POST", &format!("/questions/{second}/messages"), &judicial(), Some(answer));
    let late =
        call(&mut h, "POST", &format!("/questions/{second}/decline"), &judicial(), Some(json!({ "reason": "no" })));
    assert_eq!(late.status, 409);
    let closed = call(&mut h, "POST", &format!("/questions/{second}/close"), &judicial(), None);
    assert_eq!(closed.status, 200, "{}", closed.text());
    assert!(closed.json().get("rating_route").is_none(), "only the resident is shown where to rate");
    assert_messages_fit_their_templates(&h);
}

// ---- mediation ----

fn request_mediation(h: &mut Harness, who: &str, invite: bool) -> Value {
    let body = json!({
        "kind": "neighbour",
        "summary": "Loud music and furniture dragging from the flat above after midnight.",
        "other_party_name": "The family in 502",
        "other_party_contact": "Room 502, Building 3",
        "invite_other_party": invite,
    });
    let answer = call(h, "POST", "/mediations", &resident(who), Some(body));
    assert_eq!(answer.status, 201, "{}", answer.text());
    answer.json()
}

#[test]
fn three_units_mediate_one_case_with_an_invited_neighbour_and_reach_an_agreement() {
    let mut h = harness();
    h.insert_record("resident_profile", "r-1", json!({ "area": "east-gate" }));
    let requested = request_mediation(&mut h, "r-1", true);
    let id = requested["id"].as_i64().unwrap();
    let path = format!("/mediations/{id}");
    assert_eq!((requested["status"].as_str(), requested["area"].as_str()), (Some("requested"), Some("east-gate")));
    assert_eq!(requested["your_role"], "requester");
    assert_eq!(requested["other_party"]["contact"], "Room 502, Building 3");
    let code = requested["invitation_code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 11, "shown as ABCDE-23456: {code}");
    let case = &h.cases()[0];
    assert_eq!((case.kind.as_str(), case.unit.as_str(), case.units.len()), ("mediation", "judicial-office", 1));
    assert!(case.reference.starts_with("MED-"));

    // The other party is not told who has an account: they join with the code, if they choose.
    assert_eq!(call(&mut h, "GET", &path, &resident("r-2"), None).status, 404);
    let typed = code.replace('-', " ").to_lowercase();
    let joined = call(&mut h, "POST", "/invitations/accept", &resident("r-2"), Some(json!({ "code": typed })));
    assert_eq!(joined.status, 200, "{}", joined.text());
    assert_eq!(joined.json()["your_role"], "other-party");
    assert!(joined.json()["other_party"].get("contact").is_none(), "the requester's notes on them stay private");
    assert!(joined.json().get("invitation_code").is_none());
    let reused = call(&mut h, "POST", "/invitations/accept", &resident("r-3"), Some(json!({ "code": code })));
    assert_eq!(reused.status, 404, "a code works once");
    assert_eq!(call(&mut h, "GET", &path, &resident("r-1"), None).json()["other_party"]["joined"], true);

    // Before the judicial office convenes, the committee and police do not see it.
    assert_eq!(call(&mut h, "GET", &path, &east(), None).status, 404);
    assert_eq!(call(&mut h, "GET", &path, &police(), None).status, 404);
    let early = json!({ "scheduled_for": in_days(3, "09:30:00"), "place": "Community hall" });
    assert_eq!(call(&mut h, "POST", &format!("{path}/sessions"), &judicial(), Some(early.clone())).status, 409);
    assert_eq!(call(&mut h, "POST", &format!("{path}/convene"), &east(), None).status, 404);

    // The judicial office convenes: one case, three units, and the disputes register.
    let convened = call(&mut h, "POST", &format!("{path}/convene"), &judicial(), None);
    assert_eq!(convened.status, 200, "{}", convened.text());
    let body = convened.json();
    assert_eq!(body["status"], "convened");
    assert_eq!(body["units"], json!(["judicial-office", "community-east", "police-east-community"]));
    assert_eq!(
        (body["committee_unit"].as_str(), body["police_unit"].as_str()),
        (Some("community-east"), Some("police-east-community"))
    );
    assert_eq!(case_status(&h, 1), Status::InProgress);
    let register = h.records("disputes");
    assert_eq!(register.len(), 1);
    assert_eq!((register[0]["resident"].as_str(), register[0]["area"].as_str()), (Some("r-1"), Some("east-gate")));
    assert_eq!((register[0]["kind"].as_str(), register[0]["status"].as_str()), (Some("neighbour"), Some("mediating")));
    assert_eq!(call(&mut h, "POST", &format!("{path}/convene"), &judicial(), None).status, 409);

    // Every unit on the case reads it; other units do not.
    for staff in [east(), police(), judicial()] {
        assert_eq!(call(&mut h, "GET", &path, &staff, None).status, 200);
    }
    assert_eq!(call(&mut h, "GET", &path, &west(), None).status, 404);
    assert_eq!(call(&mut h, "GET", &path, &central_police(), None).status, 404);

    // The committee schedules a session: both parties are told the time and place.
    let scheduled = call(&mut h, "POST", &format!("{path}/sessions"), &east(), Some(early));
    assert_eq!(scheduled.status, 201, "{}", scheduled.text());
    let session = scheduled.json()["sessions"][0]["id"].as_i64().unwrap();
    let told: Vec<(&str, &str)> = h.messages().iter().map(|m| (m.resident.as_str(), m.template.as_str())).collect();
    assert_eq!(told, [("r-1", "mediation-session-scheduled"), ("r-2", "mediation-session-scheduled")]);
    let time = format!("{} 09:30", today().add_days(3));
    assert!(h.messages()[0].params.contains(&("time".to_owned(), time)), "{:?}", h.messages()[0].params);

    // The police office records who attended; the committee adds a note.
    let attended = json!({
        "attendees": ["Resident r-1 (requester)", "The family in 502", "Mediator Wang (judicial office)",
                      "Ms Li (residents' committee)", "Officer Ma (community police)"],
        "notes": "Both agreed to quiet hours; the upstairs family asks for patience with the baby.",
    });
    let held = call(&mut h, "POST", &format!("{path}/sessions/{session}/held"), &police(), Some(attended.clone()));
    assert_eq!(held.status, 200, "{}", held.text());
    assert_eq!(held.json()["sessions"][0]["status"], "held");
    assert_eq!(call(&mut h, "POST", &format!("{path}/sessions/{session}/held"), &police(), Some(attended)).status, 409);
    let noted = call(
        &mut h,
        "POST",
        &format!("{path}/notes"),
        &east(),
        Some(json!({ "note": "visited 502: floor mats fitted" })),
    );
    assert_eq!(noted.status, 201, "{}", noted.text());
    let history = h.case_history(1);
    let units: Vec<Option<&str>> = history.iter().filter(|e| e.action == "note").map(|e| e.unit.as_deref()).collect();
    // The other party's joining (a resident: no unit), then the units' notes.
    assert_eq!(units, [None, Some("community-east"), Some("police-east-community"), Some("community-east")]);
    assert!(history.iter().any(|e| e.action == "involved" && e.to_unit.as_deref() == Some("community-east")));
    assert!(history.iter().any(|e| e.action == "involved" && e.to_unit.as_deref() == Some("police-east-community")));

    // Parties see no internal notes, nor the session's notes, nor staff accounts.
    let seen = call(&mut h, "GET", &path, &resident("r-2"), None).json();
    let actions: Vec<&str> =
        seen["history"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(!actions.contains(&"note"), "{actions:?}");
    assert!(seen["sessions"][0].get("notes").is_none());
    assert_eq!(seen["sessions"][0]["attendees"].as_array().unwrap().len(), 5);
    assert!(!seen["history"].to_string().contains("j-1"));
    let staff_view = call(&mut h, "GET", &path, &police(), None).json();
    assert!(staff_view["sessions"][0]["notes"].is_string());

    // Only the judicial office records the outcome.
    let agreement =
        json!({ "result": "agreement", "terms": "No noise after 22:00; felt pads under chairs within a week." });
    assert_eq!(call(&mut h, "POST", &format!("{path}/outcome"), &east(), Some(agreement.clone())).status, 403);
    assert_eq!(call(&mut h, "POST", &format!("{path}/outcome"), &resident("r-1"), Some(agreement.clone())).status, 403);
    let before = h.messages().len();
    let agreed = call(&mut h, "POST", &format!("{path}/outcome"), &judicial(), Some(agreement.clone()));
    assert_eq!(agreed.status, 200, "{}", agreed.text());
    let deadline = today().add_days(30).to_string();
    assert_eq!(agreed.json()["status"], "agreed");
    assert_eq!(agreed.json()["outcome"]["confirmation_deadline"], deadline.as_str());
    assert_eq!(case_status(&h, 1), Status::Completed);
    assert_eq!(h.records("disputes")[0]["status"], "resolved");
    let told: Vec<(&str, &str)> =
        h.messages()[before..].iter().map(|m| (m.resident.as_str(), m.template.as_str())).collect();
    assert_eq!(told, [("r-1", "mediation-agreement"), ("r-2", "mediation-agreement")]);
    assert!(h.messages()[before].params.contains(&("deadline".to_owned(), deadline)));

    // The parties read the terms; the requester is shown where to rate; nothing moves any more.
    let mine = call(&mut h, "GET", &path, &resident("r-1"), None).json();
    assert_eq!(mine["outcome"]["agreement_terms"], "No noise after 22:00; felt pads under chairs within a week.");
    assert_eq!(mine["rating_route"], "/api/v1/me/cases/1/rating");
    assert!(call(&mut h, "GET", &path, &resident("r-2"), None).json().get("rating_route").is_none());
    assert_eq!(call(&mut h, "POST", &format!("{path}/outcome"), &judicial(), Some(agreement)).status, 409);
    let late = json!({ "scheduled_for": in_days(5, "10:00:00"), "place": "Hall" });
    assert_eq!(call(&mut h, "POST", &format!("{path}/sessions"), &east(), Some(late)).status, 409);
    assert_messages_fit_their_templates(&h);
}

#[test]
fn a_named_party_an_unknown_area_and_a_mediation_without_agreement() {
    let mut h = harness();
    let id = request_mediation(&mut h, "r-1", false)["id"].as_i64().unwrap();
    let path = format!("/mediations/{id}");
    let shown = call(&mut h, "GET", &path, &resident("r-1"), None).json();
    assert_eq!((shown["other_party"]["invitation"].as_str(), shown["area"].as_str()), (Some("none"), None));

    // The platform does not know the requester's community: the judicial office names it.
    let convene = format!("{path}/convene");
    assert_eq!(fields(&call(&mut h, "POST", &convene, &judicial(), Some(json!({})))), ["area"]);
    let village = call(&mut h, "POST", &convene, &judicial(), Some(json!({ "area": "poplar-village" })));
    assert_eq!(fields(&village), ["committee"]);
    let bad =
        call(&mut h, "POST", &convene, &judicial(), Some(json!({ "committee": "police-central", "area": "Orchard!" })));
    assert_eq!(fields(&bad), ["committee", "area"]);
    assert!(h.records("disputes").is_empty());
    assert_eq!(case_status(&h, 1), Status::Requested);
    let body =
        json!({ "area": "poplar-village", "committee": "community-west", "note": "west committee knows the family" });
    let convened = call(&mut h, "POST", &convene, &judicial(), Some(body));
    assert_eq!(convened.status, 200, "{}", convened.text());
    assert_eq!(convened.json()["units"], json!(["judicial-office", "community-west", "police-east-community"]));
    assert_eq!(h.records("disputes")[0]["area"], "poplar-village");
    assert_eq!(call(&mut h, "GET", &path, &west(), None).status, 200);
    assert_eq!(call(&mut h, "GET", &path, &east(), None).status, 404);

    // No agreement without a session at which the parties agreed.
    let outcome = format!("{path}/outcome");
    let agreement = json!({ "result": "agreement", "terms": "They shake hands and agree." });
    assert_eq!(call(&mut h, "POST", &outcome, &judicial(), Some(agreement)).status, 409);
    let sloppy = call(&mut h, "POST", &outcome, &judicial(), Some(json!({ "result": "no-agreement", "terms": "x" })));
    assert_eq!(fields(&sloppy), ["terms", "reason", "routes_told"]);
    let unknown_route =
        json!({ "result": "no-agreement", "reason": "the other party refused", "routes_told": ["prayer"] });
    assert_eq!(fields(&call(&mut h, "POST", &outcome, &judicial(), Some(unknown_route))), ["routes_told"]);
    assert_eq!(case_status(&h, 1), Status::InProgress);

    // A session on the spot, recorded as held (past time); then no agreement.
    let spot = json!({ "scheduled_for": in_days(-1, "15:00:00"), "place": "Stairwell of building 3",
                       "attendees": ["Resident r-1", "Mediator Wang"] });
    let recorded = call(&mut h, "POST", &format!("{path}/sessions"), &west(), Some(spot));
    assert_eq!(recorded.status, 201, "{}", recorded.text());
    assert!(h.messages().is_empty(), "a session recorded afterwards is not announced");
    let future_held = json!({ "scheduled_for": in_days(2, "15:00:00"), "place": "Hall", "attendees": ["A"] });
    assert_eq!(
        fields(&call(&mut h, "POST", &format!("{path}/sessions"), &west(), Some(future_held))),
        ["scheduled_for"]
    );
    let none = json!({ "result": "no-agreement", "reason": "the other party refused to take part",
                       "routes_told": ["litigation", "arbitration", "litigation"] });
    let ended = call(
        &mut h,
        "POST",
        &outcome,
        &TestCaller::staff("j-1", "judicial-office", UnitKind::Judicial).named("Mediator Wang"),
        Some(none),
    );
    assert_eq!(ended.status, 200, "{}", ended.text());
    let body = ended.json();
    assert_eq!(body["status"], "no-agreement");
    let routes: Vec<&str> =
        body["outcome"]["routes_told"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(routes, ["litigation", "arbitration"]);
    assert_eq!(case_status(&h, 1), Status::Failed);
    assert_eq!(h.records("disputes")[0]["status"], "unresolved");
    let told: Vec<(&str, &str)> = h.messages().iter().map(|m| (m.resident.as_str(), m.template.as_str())).collect();
    assert_eq!(told, [("r-1", "mediation-no-agreement")], "a named-only party is not on the platform");
    assert_messages_fit_their_templates(&h);
}

#[test]
fn requests_are_declined_or_withdrawn_and_invitations_can_be_turned_down() {
    let mut h = harness();
    // Declined by the judicial office, with the routes left.
    let first = request_mediation(&mut h, "r-1", false)["id"].as_i64().unwrap();
    let decline = format!("/mediations/{first}/decline");
    assert_eq!(call(&mut h, "POST", &decline, &resident("r-1"), Some(json!({ "reason": "x" }))).status, 403);
    let declined = call(&mut h, "POST", &decline, &judicial(), Some(json!({ "reason": "already before the court" })));
    assert_eq!(declined.status, 200, "{}", declined.text());
    assert_eq!(declined.json()["decline_reason"], "already before the court");
    assert_eq!(case_status(&h, 1), Status::Rejected);
    assert_eq!(h.messages()[0].template, "mediation-declined");
    assert!(h.records("disputes").is_empty());

    // Invited, turned down by the neighbour, then withdrawn by the requester.
    let second = request_mediation(&mut h, "r-1", true);
    let (id, code) = (second["id"].as_i64().unwrap(), second["invitation_code"].as_str().unwrap().to_owned());
    let own = call(&mut h, "POST", "/invitations/accept", &resident("r-1"), Some(json!({ "code": code })));
    assert_eq!(own.status, 409);
    let wrong = call(&mut h, "POST", "/invitations/decline", &resident("r-2"), Some(json!({ "code": "AAAAA-AAAAA" })));
    assert_eq!(wrong.status, 404);
    let no = json!({ "code": code, "reason": "we will talk to them ourselves" });
    let turned = call(&mut h, "POST", "/invitations/decline", &resident("r-2"), Some(no));
    assert_eq!(turned.status, 200, "{}", turned.text());
    assert_eq!(turned.json(), json!({ "invitation": "declined" }));
    assert_eq!(call(&mut h, "GET", &format!("/mediations/{id}"), &resident("r-2"), None).status, 404);
    assert_eq!(
        call(&mut h, "POST", "/invitations/accept", &resident("r-2"), Some(json!({ "code": code }))).status,
        404
    );
    let seen = call(&mut h, "GET", &format!("/mediations/{id}"), &judicial(), None).json();
    assert_eq!(seen["other_party"]["invitation"], "declined");
    assert!(seen["history"].to_string().contains("we will talk to them ourselves"));
    let withdrawn = call(&mut h, "POST", &format!("/mediations/{id}/withdraw"), &resident("r-1"), None);
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.text());
    assert_eq!(case_status(&h, 2), Status::Cancelled);

    // Once convened, a party ends it through the mediators, not by withdrawing.
    h.insert_record("resident_profile", "r-1", json!({ "area": "riverside" }));
    let third = request_mediation(&mut h, "r-1", false)["id"].as_i64().unwrap();
    assert_eq!(call(&mut h, "POST", &format!("/mediations/{third}/convene"), &judicial(), None).status, 200);
    let too_late = call(&mut h, "POST", &format!("/mediations/{third}/withdraw"), &resident("r-1"), None);
    assert_eq!(too_late.status, 409, "{}", too_late.text());
    assert!(too_late.json()["detail"].as_str().unwrap().contains("tell the mediators"));
    assert_eq!(case_status(&h, 3), Status::InProgress);
}

#[test]
fn lists_show_each_caller_their_own_mediations() {
    let mut h = harness();
    h.insert_record("resident_profile", "r-1", json!({ "area": "east-gate" }));
    let invited = request_mediation(&mut h, "r-1", true);
    let code = invited["invitation_code"].as_str().unwrap().to_owned();
    request_mediation(&mut h, "r-1", false);
    request_mediation(&mut h, "r-3", false);
    call(&mut h, "POST", "/invitations/accept", &resident("r-2"), Some(json!({ "code": code })));
    assert_eq!(call(&mut h, "POST", "/mediations/1/convene", &judicial(), None).status, 200);

    let total = |h: &mut Harness, caller: &TestCaller, query: &str| {
        let answer = call(h, "GET", &format!("/mediations{query}"), caller, None);
        assert_eq!(answer.status, 200, "{}", answer.text());
        answer.json()["total"].as_u64().unwrap()
    };
    assert_eq!(total(&mut h, &resident("r-1"), ""), 2);
    assert_eq!(total(&mut h, &resident("r-2"), ""), 1);
    assert_eq!(
        call(&mut h, "GET", "/mediations", &resident("r-2"), None).json()["items"][0]["your_role"],
        "other-party"
    );
    assert_eq!(total(&mut h, &resident("r-4"), ""), 0);
    assert_eq!(total(&mut h, &judicial(), ""), 3);
    assert_eq!(total(&mut h, &judicial(), "?status=requested"), 2);
    assert_eq!(total(&mut h, &east(), ""), 1);
    assert_eq!(total(&mut h, &police(), ""), 1);
    assert_eq!(total(&mut h, &west(), ""), 0);
    let partner = TestCaller::staff("g-1", "partner-gas", UnitKind::Partner);
    assert_eq!(call(&mut h, "GET", "/mediations", &partner, None).status, 403);
    assert_eq!(fields(&call(&mut h, "GET", "/mediations?status=agreed", &resident("r-1"), None)), ["status"]);
    let bad = call(
        &mut h,
        "POST",
        "/mediations",
        &resident("r-1"),
        Some(json!({ "kind": "noise", "summary": "loud", "area": "East" })),
    );
    assert_eq!(fields(&bad), ["other_party_name", "kind", "summary", "area"]);
    assert_eq!(h.rows("mediations").len(), 3);
}

#[test]
fn a_bad_list_query_names_every_bad_parameter_at_once() {
    let mut h = harness();
    let questions = call(&mut h, "GET", "/questions?status=lost&limit=0&offset=-1", &judicial(), None);
    assert_eq!(fields(&questions), ["limit", "offset", "status"]);
    let mediations = call(&mut h, "GET", "/mediations?status=settled&limit=101", &judicial(), None);
    assert_eq!(fields(&mediations), ["limit", "status"]);
    let mine = call(&mut h, "GET", "/mediations?status=agreed&offset=x", &resident("r-1"), None);
    assert_eq!(fields(&mine), ["offset", "status"]);
}

#[test]
fn an_invitation_nobody_answered_is_void_once_the_mediation_ended() {
    let mut h = harness();
    h.insert_record("resident_profile", "r-1", json!({ "area": "east-gate" }));
    let requested = request_mediation(&mut h, "r-1", true);
    let (id, code) = (requested["id"].as_i64().unwrap(), requested["invitation_code"].as_str().unwrap().to_owned());
    assert_eq!(call(&mut h, "POST", &format!("/mediations/{id}/convene"), &judicial(), None).status, 200);
    let none =
        json!({ "result": "no-agreement", "reason": "the other party never came", "routes_told": ["litigation"] });
    assert_eq!(call(&mut h, "POST", &format!("/mediations/{id}/outcome"), &judicial(), Some(none)).status, 200);
    let mine = call(&mut h, "GET", &format!("/mediations/{id}"), &resident("r-1"), None).json();
    assert!(mine.get("invitation_code").is_none(), "no code to pass on for an ended mediation: {mine}");
    let late = call(&mut h, "POST", "/invitations/accept", &resident("r-2"), Some(json!({ "code": code })));
    assert_eq!(late.status, 404);
}

// ---- failing closed ----

/// The manifest with one `[[records]]` entry (the one for `table`) removed.
fn without_records(table: &str) -> String {
    let start = MANIFEST.find(&format!("[[records]]\ntable = \"{table}\"")).expect("the entry exists");
    let end = start + MANIFEST[start..].find("\n\n").expect("entries end with a blank line");
    format!("{}{}", &MANIFEST[..start], &MANIFEST[end..])
}

/// The manifest without one capability.
fn without_capability(capability: &str) -> String {
    let line = "capabilities = [\"data\", \"log\", \"records\", \"cases\", \"notify\"]";
    assert!(MANIFEST.contains(line));
    let kept: Vec<String> = ["data", "log", "records", "cases", "notify"]
        .iter()
        .filter(|c| **c != capability)
        .map(|c| format!("\"{c}\""))
        .collect();
    MANIFEST.replace(line, &format!("capabilities = [{}]", kept.join(", ")))
}

#[test]
fn without_the_disputes_register_grant_convening_fails_and_changes_nothing() {
    let mut h = Harness::from_manifest(&without_records("disputes")).unwrap();
    let id = request_mediation(&mut h, "r-1", false)["id"].as_i64().unwrap();
    let before = h.rows("mediations");
    let refused =
        call(&mut h, "POST", &format!("/mediations/{id}/convene"), &judicial(), Some(json!({ "area": "east-gate" })));
    assert_eq!(refused.status, 500, "{}", refused.text());
    assert_eq!(refused.problem_type().as_deref(), Some("internal"));
    assert!(h.records("disputes").is_empty());
    assert_eq!(h.rows("mediations"), before);
    let case = &h.cases()[0];
    assert_eq!((case.status, case.units.len()), (Status::Requested, 1), "the case moves back too");
    assert!(h.logs().iter().any(|l| l.message.contains("disputes")), "{:?}", h.logs());
}

#[test]
fn without_the_profile_grant_a_mediation_request_fails_and_writes_nothing() {
    let mut h = Harness::from_manifest(&without_records("resident_profile")).unwrap();
    let body = json!({ "kind": "neighbour", "summary": "Water drips from the flat above.", "other_party_name": "502" });
    let refused = call(&mut h, "POST", "/mediations", &resident("r-1"), Some(body));
    assert_eq!(refused.status, 500, "{}", refused.text());
    assert!(h.rows("mediations").is_empty() && h.rows("mediation_parties").is_empty() && h.cases().is_empty());
}

#[test]
fn without_notify_an_answer_fails_and_changes_nothing() {
    let mut h = Harness::from_manifest(&without_capability("notify")).unwrap();
    let id = ask(&mut h, "r-1")["id"].as_i64().unwrap();
    let answer = json!({ "text": "Keep every receipt.", "capacity": "lawyer" });
    let refused = call(&mut h, "POST", &format!("/questions/{id}/messages"), &judicial(), Some(answer));
    assert_eq!(refused.status, 500, "{}", refused.text());
    assert!(h.rows("question_messages").is_empty() && h.messages().is_empty());
    assert_eq!(h.rows("questions")[0]["status"], "awaiting-answer");
    assert_eq!(h.cases()[0].status, Status::Requested);
}

#[test]
fn without_cases_a_question_fails_and_writes_nothing() {
    let mut h = Harness::from_manifest(&without_capability("cases")).unwrap();
    let body = json!({ "category": "labour", "question": "My employer has not paid me for two months." });
    let refused = call(&mut h, "POST", "/questions", &resident("r-1"), Some(body));
    assert_eq!(refused.status, 500, "{}", refused.text());
    assert!(h.rows("questions").is_empty());
}
