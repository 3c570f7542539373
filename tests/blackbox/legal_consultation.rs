//! The legal-consultation service, end to end, as residents and the staff of each unit
//! involved use it: a legal question answered by the judicial office, and a noise dispute
//! mediated by the judicial office, the residents' committee and the community police office
//! on one case with one history.

use onewindow_tests::{Answer, Backend, TestApp, on_both_backends};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime, UtcOffset};

const GUIDE: &str = "/api/v1/services/legal-consultation/guide";
const QUESTIONS: &str = "/api/v1/services/legal-consultation/questions";
const MEDIATIONS: &str = "/api/v1/services/legal-consultation/mediations";
const ACCEPT: &str = "/api/v1/services/legal-consultation/invitations/accept";
const DECLINE: &str = "/api/v1/services/legal-consultation/invitations/decline";
const MY_CASES: &str = "/api/v1/me/cases";
const INBOX: &str = "/api/v1/me/inbox";
const PROFILE: &str = "/api/v1/me/profile";
const STAFF_CASES: &str = "/api/v1/staff/cases";
const DISPUTES: &str = "/api/v1/staff/records/disputes";

const NOISE: &str = "Loud music and furniture dragged across the floor of the flat above, every night after midnight.";
const TERMS: &str = "No loud music after 22:00; felt pads under the chairs of flat 502 within a week.";

on_both_backends!(
    a_legal_question_is_answered_followed_up_closed_and_rated,
    bad_questions_and_wrong_callers_are_refused_and_change_nothing,
    a_question_is_declined_with_a_reason_or_withdrawn_by_the_resident,
    a_noise_dispute_is_mediated_by_three_units_on_one_case_to_an_agreement,
    a_mediation_without_agreement_tells_the_requester_the_other_routes,
    mediation_requests_are_refused_declined_or_withdrawn_and_change_nothing,
    the_other_party_accepts_or_declines_the_invitation_and_is_only_named,
);

// ---- helpers ----

/// Any call in English with an optional JSON body.
async fn call(app: &TestApp, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Answer {
    let headers = [("accept-language", "en"), ("content-type", "application/json")];
    let body = body.map(|b| serde_json::to_vec(&b).unwrap());
    app.client.send(method, path, token, &headers, body).await
}

async fn get(app: &TestApp, path: &str, token: &str) -> Answer {
    call(app, "GET", path, Some(token), None).await
}

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> Answer {
    call(app, "POST", path, Some(token), Some(body)).await
}

/// The body of an answer that must have `status`.
#[track_caller]
fn ok(answer: Answer, status: u16) -> Value {
    assert_eq!(answer.status, status, "{:#}", answer.body);
    answer.body
}

fn id_of(value: &Value) -> i64 {
    value["id"].as_i64().expect("an id")
}

fn case_of(value: &Value) -> i64 {
    value["case_id"].as_i64().expect("a case id")
}

/// A staff member of each unit a story needs, and of one that has no part in it.
struct Staff {
    judicial: String,
    east: String,
    west: String,
    police: String,
    partner: String,
}

async fn staff(app: &TestApp) -> Staff {
    Staff {
        judicial: app.staff("mediator-wang", "judicial-office").await,
        east: app.staff("committee-li", "community-east").await,
        west: app.staff("committee-zhao", "community-west").await,
        police: app.staff("officer-ma", "police-east-community").await,
        partner: app.staff("property-clerk", "partner-property").await,
    }
}

fn tenancy_question() -> Value {
    json!({"category": "tenancy", "question": "My landlord keeps the deposit after I moved out. What can I do?"})
}

async fn ask(app: &TestApp, token: &str) -> Value {
    ok(post(app, QUESTIONS, token, tenancy_question()).await, 201)
}

fn answer_as(capacity: &str, text: &str) -> Value {
    json!({"text": text, "capacity": capacity})
}

fn noise_dispute(invite: bool) -> Value {
    json!({
        "kind": "neighbour",
        "summary": NOISE,
        "other_party_name": "The family in 502",
        "other_party_contact": "Room 502, Building 3",
        "invite_other_party": invite,
    })
}

async fn request_mediation(app: &TestApp, token: &str, body: Value) -> Value {
    ok(post(app, MEDIATIONS, token, body).await, 201)
}

/// Sets the resident's community in their shared profile.
async fn live_in(app: &TestApp, token: &str, area: &str) {
    let body = json!({"area": area}).to_string().into_bytes();
    let headers = [("content-type", "application/json")];
    let answer = app.client.send("PATCH", PROFILE, Some(token), &headers, Some(body)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

/// The resident's inbox in English, newest first.
async fn inbox(app: &TestApp, token: &str) -> Vec<String> {
    let answer = ok(get(app, INBOX, token).await, 200);
    answer["items"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap().to_owned()).collect()
}

/// The resident's cases on the platform (`/me/cases`).
async fn my_cases(app: &TestApp, token: &str) -> Value {
    ok(get(app, MY_CASES, token).await, 200)
}

/// `(action, to_status or to_unit)` of each history entry.
fn moves(history: &Value) -> Vec<(String, String)> {
    history
        .as_array()
        .expect("a history")
        .iter()
        .map(|e| {
            let to = e["to_status"].as_str().or(e["to_unit"].as_str()).unwrap_or("");
            (e["action"].as_str().unwrap().to_owned(), to.to_owned())
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
}

fn city_now() -> OffsetDateTime {
    OffsetDateTime::now_utc().to_offset(UtcOffset::from_hms(8, 0, 0).unwrap())
}

/// The city's date `days` from today, `YYYY-MM-DD`.
fn city_date(days: i64) -> String {
    let date = (city_now() + Duration::days(days)).date();
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

/// `HH:MM` on the city's date `days` from today, RFC 3339 with the city's offset.
fn city_time(days: i64, time: &str) -> String {
    format!("{}T{time}:00+08:00", city_date(days))
}

// ---- legal questions ----

/// A resident asks the judicial office a tenancy question; a lawyer answers, the resident
/// follows up, a mediator answers again, the resident closes it and rates it on the platform.
async fn a_legal_question_is_answered_followed_up_closed_and_rated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (resident, resident_id) = app.resident("gulnar").await;
    let (neighbour, _) = app.resident("neighbour").await;
    let units = staff(&app).await;

    // Anyone can read what the service offers: the 12348 line, the kinds of question, mediation.
    let guide = app.client.get(GUIDE, None).await;
    assert_eq!(guide.status, 200, "{}", guide.body);
    assert_eq!(guide.body["language"], "zh", "Chinese by default");
    assert_eq!(guide.body["hotline"]["number"], "12348");
    assert!(guide.body["hotline"]["text"].as_str().unwrap().contains("12348"));
    let english = call(&app, "GET", GUIDE, None, None).await.body;
    assert_eq!(english["categories"][2], json!({"code": "tenancy", "name": "Tenancy"}));
    let codes: Vec<&str> =
        english["categories"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["family", "labour", "tenancy", "neighbour", "consumer", "fraud", "other"]);
    let mediation = &english["mediation"];
    assert_eq!((&mediation["free"], &mediation["voluntary"]), (&json!(true), &json!(true)));
    assert_eq!(mediation["judicial_confirmation_days"], 30);
    let routes: Vec<&str> =
        mediation["routes"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(routes, ["arbitration", "litigation", "administrative", "legal-aid"]);
    let uyghur = app.client.send("GET", GUIDE, None, &[("accept-language", "ug")], None).await;
    assert_eq!((uyghur.body["dir"].as_str(), uyghur.header("content-language")), (Some("rtl"), Some("ug")));

    // The resident asks: a legal question is a case with the judicial office.
    let asked = post(&app, QUESTIONS, &resident, tenancy_question()).await;
    assert_eq!(asked.status, 201, "{}", asked.body);
    let id = id_of(&asked.body);
    assert_eq!(id, 1, "a fresh host numbers from 1, as the README tour shows");
    let path = format!("{QUESTIONS}/{id}");
    assert_eq!(asked.header("location"), Some(path.as_str()));
    let question = asked.body;
    assert_eq!(question["status"], "awaiting-answer");
    assert_eq!(question["case_status"], "requested");
    assert_eq!(question["category_name"], "Tenancy");
    assert_eq!(question["hotline"]["number"], "12348");
    assert_eq!(question["messages"], json!([]));
    assert!(question.get("resident").is_none(), "the resident is not shown their own account");
    let reference = question["reference"].as_str().unwrap().to_owned();
    let case_id = case_of(&question);
    assert!(reference.starts_with("LQ-") && reference.ends_with(&format!("-{case_id:06}")), "{reference}");
    assert_eq!(ok(get(&app, &path, &resident).await, 200), question, "read back as created");

    // The judicial office's queue has it, with the resident's account; nobody else sees it.
    let queue = ok(get(&app, &format!("{QUESTIONS}?status=awaiting-answer"), &units.judicial).await, 200);
    assert_eq!(queue["total"], 1);
    assert_eq!(queue["items"][0]["resident"], resident_id.as_str());
    get(&app, &path, &neighbour).await.assert_problem(404, "not-found");
    assert_eq!(ok(get(&app, QUESTIONS, &neighbour).await, 200)["total"], 0);
    for outsider in [&units.east, &units.police, &units.partner] {
        get(&app, &path, outsider).await.assert_problem(404, "not-found");
        get(&app, QUESTIONS, outsider).await.assert_problem(403, "forbidden");
    }
    app.client.get(&path, None).await.assert_problem(401, "unauthorized");

    // A lawyer of the judicial office answers: the case moves on and the resident is told.
    let messages = format!("{path}/messages");
    let first = "Ask for it back in writing; keep the contract and every receipt.";
    let answered = ok(post(&app, &messages, &units.judicial, answer_as("lawyer", first)).await, 201);
    assert_eq!(answered["status"], "answered");
    assert_eq!(answered["case_status"], "in-progress");
    assert_eq!(answered["resident"], resident_id.as_str(), "staff see whose question it is");
    assert!(answered["messages"][0]["author"].is_string(), "staff see who answered");
    assert!(answered["answered_at"].is_string());

    // The resident reads the answer from the unit, in its capacity, not from an account; and follows up.
    let read = ok(get(&app, &path, &resident).await, 200);
    let message = &read["messages"][0];
    assert_eq!(
        (message["from"].as_str(), message["unit"].as_str(), message["capacity"].as_str(), message["text"].as_str()),
        (Some("staff"), Some("judicial-office"), Some("lawyer"), Some(first))
    );
    assert!(message.get("author").is_none());
    assert!(read.get("rating_route").is_none(), "nothing to rate while it is open");
    let follow =
        ok(post(&app, &messages, &resident, json!({"text": "What if I paid the deposit in cash?"})).await, 201);
    assert_eq!(follow["status"], "awaiting-answer");
    assert_eq!(follow["messages"][1]["from"], "resident");
    let again = answer_as("mediator", "A witness or a bank record of the withdrawal proves it too.");
    assert_eq!(ok(post(&app, &messages, &units.judicial, again).await, 201)["status"], "answered");

    // Answered enough: the resident closes it; the case is completed and can be rated on the platform.
    let closed = ok(post(&app, &format!("{path}/close"), &resident, json!({"note": "thank you, clear"})).await, 200);
    assert_eq!((closed["status"].as_str(), closed["case_status"].as_str()), (Some("closed"), Some("completed")));
    assert_eq!(closed["closing_note"], "thank you, clear");
    let rating_route = format!("{MY_CASES}/{case_id}/rating");
    assert_eq!(closed["rating_route"], rating_route.as_str());
    let texts: Vec<&str> = closed["messages"].as_array().unwrap().iter().map(|m| m["from"].as_str().unwrap()).collect();
    assert_eq!(texts, ["staff", "resident", "staff"]);
    let rated = ok(post(&app, &rating_route, &resident, json!({"rating": 5, "comment": "clear answer"})).await, 200);
    assert_eq!(rated["rating"], 5);
    post(&app, &rating_route, &resident, json!({"rating": 1})).await.assert_problem(409, "conflict");
    let shown = ok(get(&app, &path, &resident).await, 200);
    assert_eq!(shown["rating"], 5);
    assert!(shown.get("rating_route").is_none(), "rated once");

    // Closed means closed.
    let late = post(&app, &messages, &resident, json!({"text": "One more thing"})).await;
    assert!(late.assert_problem(409, "conflict").contains("allowed: none"), "{}", late.body);
    let late_answer = post(&app, &messages, &units.judicial, answer_as("lawyer", "Also...")).await;
    late_answer.assert_problem(409, "conflict");
    assert_eq!(ok(get(&app, &path, &resident).await, 200)["messages"].as_array().unwrap().len(), 3);

    // One case on the platform, with its whole history; every change reached the inbox.
    let cases = my_cases(&app, &resident).await;
    assert_eq!(cases["total"], 1);
    let case = &cases["items"][0];
    assert_eq!(
        (case["reference"].as_str(), case["service"].as_str(), case["kind"].as_str(), case["unit"].as_str()),
        (Some(reference.as_str()), Some("legal-consultation"), Some("legal-question"), Some("judicial-office"))
    );
    assert_eq!(case["status"], "completed");
    assert_eq!(
        moves(&case["history"]),
        pairs(&[
            ("opened", "requested"),
            ("transition", "accepted"),
            ("transition", "in-progress"),
            ("transition", "completed"),
            ("rated", "")
        ])
    );
    assert_eq!(case["history"][3]["note"], "thank you, clear");
    assert_eq!(case["history"][1]["actor"], "staff of judicial-office");
    assert_eq!(
        inbox(&app, &resident).await,
        [
            format!("Your case {reference} is now completed."),
            format!(
                "Your legal question {reference} has an answer: read it under Legal consultation, and ask a follow-up if anything is unclear. The 12348 public legal service line can also help."
            ),
            format!(
                "Your legal question {reference} has an answer: read it under Legal consultation, and ask a follow-up if anything is unclear. The 12348 public legal service line can also help."
            ),
            format!("Your case {reference} is now in progress."),
            format!("Your case {reference} is now accepted."),
            format!("Your case {reference} has been opened."),
        ]
    );
    assert!(inbox(&app, &neighbour).await.is_empty());

    // The judicial office's console shows the same case; a committee's shows nothing.
    let console = ok(get(&app, &format!("{STAFF_CASES}?service=legal-consultation"), &units.judicial).await, 200);
    assert_eq!(console["total"], 1);
    assert_eq!(console["items"][0]["reference"], reference.as_str());
    assert_eq!(console["items"][0]["history"][1]["via"], "legal-consultation");
    assert_eq!(ok(get(&app, &format!("{STAFF_CASES}?role=all"), &units.east).await, 200)["total"], 0);
    get(&app, &format!("{STAFF_CASES}/{case_id}"), &units.east).await.assert_problem(404, "not-found");
}

/// Bad questions name every bad field; the wrong callers are refused; nothing is stored.
async fn bad_questions_and_wrong_callers_are_refused_and_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (resident, _) = app.resident("careless").await;
    let (other, _) = app.resident("other").await;
    let units = staff(&app).await;
    let admin = app.admin_token().await;

    let bad = post(&app, QUESTIONS, &resident, json!({"category": "taxes", "question": "short", "urgent": true})).await;
    assert_eq!(bad.problem_fields(), ["urgent", "category", "question"]);
    assert_eq!(post(&app, QUESTIONS, &resident, json!({})).await.problem_fields(), ["category", "question"]);
    let long = json!({"category": "fraud", "question": "x".repeat(2001)});
    assert_eq!(post(&app, QUESTIONS, &resident, long).await.problem_fields(), ["question"]);
    let typed = json!({"category": 7, "question": "Someone called claiming to be the police."});
    assert_eq!(post(&app, QUESTIONS, &resident, typed).await.problem_fields(), ["category"]);
    app.client
        .post_raw(QUESTIONS, Some(&resident), "application/json", b"{\"category\": ")
        .await
        .assert_problem(400, "bad-request");
    let good = json!({"category": "fraud", "question": "Someone called claiming to be the police."});
    app.client.post_json(QUESTIONS, None, &good).await.assert_problem(401, "unauthorized");
    post(&app, QUESTIONS, &units.judicial, good.clone()).await.assert_problem(403, "forbidden");
    get(&app, QUESTIONS, &admin).await.assert_problem(403, "forbidden");
    let filters = get(&app, &format!("{QUESTIONS}?status=lost&category=taxes&limit=0"), &units.judicial).await;
    assert_eq!(filters.problem_fields(), ["limit", "status", "category"]);

    // Nothing was stored: no question, no case, no message.
    assert_eq!(ok(get(&app, QUESTIONS, &resident).await, 200)["total"], 0);
    assert_eq!(ok(get(&app, QUESTIONS, &units.judicial).await, 200)["total"], 0);
    assert_eq!(my_cases(&app, &resident).await["total"], 0);
    assert!(inbox(&app, &resident).await.is_empty());

    // A real question: staff must say in what capacity they answer; only the judicial office answers.
    let question = ask(&app, &resident).await;
    let path = format!("{QUESTIONS}/{}", id_of(&question));
    let messages = format!("{path}/messages");
    let no_capacity = post(&app, &messages, &units.judicial, json!({"text": "Call 110."})).await;
    assert_eq!(no_capacity.problem_fields(), ["capacity"]);
    let judge = post(&app, &messages, &units.judicial, answer_as("judge", "Call 110.")).await;
    assert_eq!(judge.problem_fields(), ["capacity"]);
    let empty = post(&app, &messages, &units.judicial, json!({"text": "", "capacity": "lawyer", "cc": "x"})).await;
    assert_eq!(empty.problem_fields(), ["text", "cc"]);
    for outsider in [&units.east, &units.police, &units.partner] {
        post(&app, &messages, outsider, answer_as("lawyer", "We can help.")).await.assert_problem(404, "not-found");
    }
    post(&app, &messages, &other, json!({"text": "Hello?"})).await.assert_problem(404, "not-found");
    post(&app, &messages, &admin, json!({"text": "Hello?"})).await.assert_problem(403, "forbidden");
    call(&app, "POST", &messages, None, Some(json!({"text": "Hello?"}))).await.assert_problem(401, "unauthorized");
    get(&app, &format!("{QUESTIONS}/999999"), &resident).await.assert_problem(404, "not-found");
    get(&app, &format!("{QUESTIONS}/abc"), &resident).await.assert_problem(404, "not-found");

    // The resident cannot decline it, nor close it unanswered; the other resident cannot withdraw it.
    post(&app, &format!("{path}/decline"), &resident, json!({"reason": "x"})).await.assert_problem(403, "forbidden");
    let close = post(&app, &format!("{path}/close"), &resident, json!({})).await;
    assert!(close.assert_problem(409, "conflict").contains("withdraw or decline"), "{}", close.body);
    post(&app, &format!("{path}/withdraw"), &other, json!({})).await.assert_problem(404, "not-found");
    post(&app, &format!("{path}/withdraw"), &units.judicial, json!({})).await.assert_problem(403, "forbidden");

    // Nothing any of them tried changed it.
    let still = ok(get(&app, &path, &resident).await, 200);
    assert_eq!((still["status"].as_str(), still["case_status"].as_str()), (Some("awaiting-answer"), Some("requested")));
    assert_eq!(still["messages"], json!([]));
    let case = &my_cases(&app, &resident).await["items"][0];
    assert_eq!(moves(&case["history"]), pairs(&[("opened", "requested")]));
    assert_eq!(inbox(&app, &resident).await.len(), 1, "only the case's opening");
    assert!(inbox(&app, &other).await.is_empty());
}

/// The judicial office declines a question it does not take up, saying why and pointing to
/// 12348; the resident withdraws a question they no longer need answered.
async fn a_question_is_declined_with_a_reason_or_withdrawn_by_the_resident(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (resident, _) = app.resident("rustam").await;
    let units = staff(&app).await;

    // Declined, with a reason the resident reads.
    let first = ask(&app, &resident).await;
    let (reference, case_id) = (first["reference"].as_str().unwrap().to_owned(), case_of(&first));
    let decline = format!("{QUESTIONS}/{}/decline", id_of(&first));
    assert_eq!(post(&app, &decline, &units.judicial, json!({})).await.problem_fields(), ["reason"]);
    let too_long = json!({"reason": "x".repeat(501)});
    assert_eq!(post(&app, &decline, &units.judicial, too_long).await.problem_fields(), ["reason"]);
    post(&app, &decline, &units.east, json!({"reason": "not ours"})).await.assert_problem(404, "not-found");
    let reason = "a criminal matter: report it to the police (110)";
    let declined = ok(post(&app, &decline, &units.judicial, json!({"reason": reason})).await, 200);
    assert_eq!(declined["status"], "declined");
    assert_eq!(declined["case_status"], "rejected");
    assert_eq!(declined["closing_note"], reason);
    let again = post(&app, &decline, &units.judicial, json!({"reason": reason})).await;
    assert!(again.assert_problem(409, "conflict").contains("allowed: none"), "{}", again.body);
    let mine = ok(get(&app, &format!("{QUESTIONS}/{}", id_of(&first)), &resident).await, 200);
    assert_eq!(mine["closing_note"], reason);
    assert_eq!(mine["rating_route"], format!("{MY_CASES}/{case_id}/rating"), "a declined question can be rated too");
    let told = inbox(&app, &resident).await;
    assert_eq!(
        told[0],
        format!(
            "Your legal question {reference} was not taken up: {reason}. You can call the 12348 public legal service line for advice."
        )
    );
    assert_eq!(told[1], format!("Your case {reference} is now rejected."));

    // Once answered, a question is closed, not declined; the judicial office may close it.
    let second = ask(&app, &resident).await;
    let path = format!("{QUESTIONS}/{}", id_of(&second));
    ok(post(&app, &format!("{path}/messages"), &units.judicial, answer_as("lawyer", "Keep the contract.")).await, 201);
    let late = post(&app, &format!("{path}/decline"), &units.judicial, json!({"reason": "no"})).await;
    assert!(late.assert_problem(409, "conflict").contains("allowed: awaiting-answer, answered, closed, withdrawn"));
    let closed =
        ok(post(&app, &format!("{path}/close"), &units.judicial, json!({"note": "answered in full"})).await, 200);
    assert_eq!((closed["status"].as_str(), closed["case_status"].as_str()), (Some("closed"), Some("completed")));
    assert!(closed.get("rating_route").is_none(), "only the resident is shown where to rate");

    // Withdrawn by the resident: the case is cancelled, and the question is final.
    let third = ask(&app, &resident).await;
    let path = format!("{QUESTIONS}/{}", id_of(&third));
    let withdrawn =
        ok(post(&app, &format!("{path}/withdraw"), &resident, json!({"reason": "the landlord paid"})).await, 200);
    assert_eq!(
        (withdrawn["status"].as_str(), withdrawn["case_status"].as_str()),
        (Some("withdrawn"), Some("cancelled"))
    );
    assert_eq!(withdrawn["closing_note"], "the landlord paid");
    post(&app, &format!("{path}/withdraw"), &resident, json!({})).await.assert_problem(409, "conflict");
    let answer = post(&app, &format!("{path}/messages"), &units.judicial, answer_as("lawyer", "Too late")).await;
    answer.assert_problem(409, "conflict");

    // The resident's list and the judicial office's queue show each question where it ended.
    let list = ok(get(&app, QUESTIONS, &resident).await, 200);
    let statuses: Vec<&str> = list["items"].as_array().unwrap().iter().map(|q| q["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["withdrawn", "closed", "declined"], "newest first");
    let queue = ok(get(&app, &format!("{QUESTIONS}?status=awaiting-answer"), &units.judicial).await, 200);
    assert_eq!(queue["total"], 0);
    let cases = my_cases(&app, &resident).await;
    let case_statuses: Vec<&str> =
        cases["items"].as_array().unwrap().iter().map(|c| c["status"].as_str().unwrap()).collect();
    assert_eq!(case_statuses, ["cancelled", "completed", "rejected"]);
}

// ---- mediation ----

/// The whole 三调联动 story: a noise dispute with the flat above. The resident requests
/// mediation and invites the neighbour, who accepts; the judicial office convenes the
/// residents' committee of the resident's community and the community police office; the
/// three units see one case with one history, schedule a session, record it as held, add
/// notes; the judicial office records the agreement, which the parties are told they may have
/// confirmed by the court within 30 days. A fourth unit never sees any of it.
async fn a_noise_dispute_is_mediated_by_three_units_on_one_case_to_an_agreement(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (resident, resident_id) = app.resident("aygul").await;
    let (neighbour, neighbour_id) = app.resident("upstairs").await;
    let (stranger, _) = app.resident("stranger").await;
    let units = staff(&app).await;
    live_in(&app, &resident, "east-gate").await;

    // The request: free of charge, a case with the judicial office alone for now.
    let requested = request_mediation(&app, &resident, noise_dispute(true)).await;
    let id = id_of(&requested);
    let path = format!("{MEDIATIONS}/{id}");
    let case_id = case_of(&requested);
    let reference = requested["reference"].as_str().unwrap().to_owned();
    assert!(reference.starts_with("MED-") && reference.ends_with(&format!("-{case_id:06}")), "{reference}");
    assert_eq!((requested["status"].as_str(), requested["area"].as_str()), (Some("requested"), Some("east-gate")));
    assert_eq!(
        (requested["your_role"].as_str(), requested["kind_name"].as_str()),
        (Some("requester"), Some("Neighbour dispute"))
    );
    assert_eq!(requested["requester_name"], "aygul");
    assert_eq!(requested["units"], json!(["judicial-office"]));
    assert!(requested["about"].as_str().unwrap().starts_with("People's mediation is free and voluntary."));
    assert_eq!(requested["hotline"]["number"], "12348");
    let code = requested["invitation_code"].as_str().unwrap().to_owned();

    // The neighbour joins with the code the resident passed on.
    get(&app, &path, &neighbour).await.assert_problem(404, "not-found");
    let joined = ok(post(&app, ACCEPT, &neighbour, json!({"code": code})).await, 200);
    assert_eq!(joined["your_role"], "other-party");

    // Before it is convened, only the judicial office works it.
    for unit in [&units.east, &units.police, &units.west, &units.partner] {
        get(&app, &path, unit).await.assert_problem(404, "not-found");
    }
    let convene = format!("{path}/convene");
    post(&app, &convene, &units.east, json!({})).await.assert_problem(404, "not-found");
    post(&app, &convene, &resident, json!({})).await.assert_problem(403, "forbidden");

    // The judicial office convenes: the committee of east-gate and the community police join the case.
    let convened = ok(post(&app, &convene, &units.judicial, json!({"note": "taken on; quiet hours first"})).await, 200);
    assert_eq!(convened["status"], "convened");
    assert_eq!(convened["units"], json!(["judicial-office", "community-east", "police-east-community"]));
    assert_eq!(
        (convened["committee_unit"].as_str(), convened["police_unit"].as_str()),
        (Some("community-east"), Some("police-east-community"))
    );
    assert_eq!(convened["case_status"], "in-progress");
    post(&app, &convene, &units.judicial, json!({})).await.assert_problem(409, "conflict");

    // Each of the three units reads it and finds it in its list and its console; no other unit does.
    for unit in [&units.judicial, &units.east, &units.police] {
        let seen = ok(get(&app, &path, unit).await, 200);
        assert_eq!((seen["your_role"].as_str(), seen["reference"].as_str()), (Some("staff"), Some(reference.as_str())));
        assert_eq!(seen["other_party"]["contact"], "Room 502, Building 3");
        let list = ok(get(&app, MEDIATIONS, unit).await, 200);
        assert_eq!((list["total"].as_i64(), list["items"][0]["id"].as_i64()), (Some(1), Some(id)));
        let console = ok(get(&app, &format!("{STAFF_CASES}/{case_id}"), unit).await, 200);
        let roles: Vec<(&str, &str)> = console["units"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| (u["unit"].as_str().unwrap(), u["role"].as_str().unwrap()))
            .collect();
        assert_eq!(
            roles,
            [("judicial-office", "lead"), ("community-east", "assist"), ("police-east-community", "assist")]
        );
    }
    for unit in [&units.west, &units.partner] {
        get(&app, &path, unit).await.assert_problem(404, "not-found");
        get(&app, &format!("{STAFF_CASES}/{case_id}"), unit).await.assert_problem(404, "not-found");
        post(&app, &format!("{path}/notes"), unit, json!({"note": "ours?"})).await.assert_problem(404, "not-found");
    }
    assert_eq!(ok(get(&app, MEDIATIONS, &units.west).await, 200)["total"], 0);
    get(&app, MEDIATIONS, &units.partner).await.assert_problem(403, "forbidden");
    get(&app, &path, &stranger).await.assert_problem(404, "not-found");

    // The dispute is in the shared disputes register, where the east committee keeps it.
    let register = ok(get(&app, DISPUTES, &units.east).await, 200);
    assert_eq!(register["rows"].as_array().unwrap().len(), 1, "{register:#}");
    let row = &register["rows"][0];
    assert_eq!(
        (row["kind"].as_str(), row["status"].as_str(), row["area"].as_str()),
        (Some("neighbour"), Some("mediating"), Some("east-gate"))
    );
    assert_eq!(row["parties"], "aygul / The family in 502");
    assert_eq!(ok(get(&app, DISPUTES, &units.west).await, 200)["rows"], json!([]), "not in the west's areas");

    // The committee schedules a session: both parties are told when and where.
    let sessions = format!("{path}/sessions");
    let when = city_time(3, "09:30");
    let place = "East Gate community hall, room 2";
    let past = json!({"scheduled_for": city_time(-1, "09:30"), "place": place});
    assert_eq!(post(&app, &sessions, &units.east, past).await.problem_fields(), ["scheduled_for"]);
    let sloppy = json!({"scheduled_for": "next Tuesday", "place": "X", "attendees": []});
    assert_eq!(
        post(&app, &sessions, &units.east, sloppy).await.problem_fields(),
        ["scheduled_for", "place", "attendees"]
    );
    post(&app, &sessions, &resident, json!({"scheduled_for": when, "place": place}))
        .await
        .assert_problem(403, "forbidden");
    let scheduled = ok(post(&app, &sessions, &units.east, json!({"scheduled_for": when, "place": place})).await, 201);
    let session = &scheduled["sessions"][0];
    assert_eq!(
        (session["status"].as_str(), session["unit"].as_str(), session["scheduled_for"].as_str()),
        (Some("scheduled"), Some("community-east"), Some(when.as_str()))
    );
    let session_id = id_of(session);
    assert_eq!((id, session_id), (1, 1), "a fresh host numbers from 1, as the README tour shows");
    let announcement = format!(
        "A mediation session for {reference} is scheduled: {} 09:30 at {place}. People's mediation is free and voluntary.",
        city_date(3)
    );
    assert_eq!(inbox(&app, &resident).await[0], announcement);
    assert_eq!(inbox(&app, &neighbour).await, std::slice::from_ref(&announcement));

    // The police office records it as held, and who attended; the judicial office adds a note.
    let held_path = format!("{sessions}/{session_id}/held");
    let attendees = json!([
        "Aygül (requester)",
        "The family in 502 (other party)",
        "Mediator Wang (judicial office)",
        "Ms Li (residents' committee)",
        "Officer Ma (community police)"
    ]);
    let confidential = "The upstairs family asks for patience with their baby.";
    assert_eq!(post(&app, &held_path, &units.police, json!({"notes": "x"})).await.problem_fields(), ["attendees"]);
    let held =
        ok(post(&app, &held_path, &units.police, json!({"attendees": attendees, "notes": confidential})).await, 200);
    assert_eq!(held["sessions"][0]["status"], "held");
    assert_eq!(held["sessions"][0]["attendees"], attendees);
    assert_eq!(held["sessions"][0]["notes"], confidential);
    let twice = post(&app, &held_path, &units.police, json!({"attendees": ["Officer Ma"]})).await;
    assert!(twice.assert_problem(409, "conflict").contains("already recorded as held"));
    post(&app, &format!("{sessions}/999999/held"), &units.police, json!({"attendees": ["A"]}))
        .await
        .assert_problem(404, "not-found");
    let noted = post(&app, &format!("{path}/notes"), &units.judicial, json!({"note": "502 fitted floor mats"})).await;
    assert_eq!(noted.status, 201, "{}", noted.body);
    assert_eq!(post(&app, &format!("{path}/notes"), &units.east, json!({})).await.problem_fields(), ["note"]);
    post(&app, &format!("{path}/notes"), &resident, json!({"note": "hi"})).await.assert_problem(403, "forbidden");

    // Only the judicial office, which leads, records the outcome; a bad one names its fields.
    let outcome = format!("{path}/outcome");
    let agreement = json!({"result": "agreement", "terms": TERMS});
    post(&app, &outcome, &units.east, agreement.clone()).await.assert_problem(403, "forbidden");
    post(&app, &outcome, &units.police, agreement.clone()).await.assert_problem(403, "forbidden");
    post(&app, &outcome, &resident, agreement.clone()).await.assert_problem(403, "forbidden");
    post(&app, &outcome, &units.partner, agreement.clone()).await.assert_problem(404, "not-found");
    let short = json!({"result": "agreement", "terms": "ok", "reason": "none"});
    assert_eq!(post(&app, &outcome, &units.judicial, short).await.problem_fields(), ["terms", "reason"]);
    assert_eq!(post(&app, &outcome, &units.judicial, json!({"result": "maybe"})).await.problem_fields(), ["result"]);
    let before = city_date(30);
    let agreed = ok(post(&app, &outcome, &units.judicial, agreement.clone()).await, 200);
    let after = city_date(30);
    assert_eq!((agreed["status"].as_str(), agreed["case_status"].as_str()), (Some("agreed"), Some("completed")));
    let result = &agreed["outcome"];
    assert_eq!((result["result"].as_str(), result["agreement_terms"].as_str()), (Some("agreement"), Some(TERMS)));
    let deadline = result["confirmation_deadline"].as_str().unwrap().to_owned();
    assert!(deadline == before || deadline == after, "30 days from today: {deadline}");
    assert!(result["notice"].as_str().unwrap().contains("Within 30 days"), "{result}");
    post(&app, &outcome, &units.judicial, agreement).await.assert_problem(409, "conflict");
    let late = json!({"scheduled_for": city_time(5, "10:00"), "place": place});
    post(&app, &sessions, &units.east, late).await.assert_problem(409, "conflict");

    // The register shows it resolved.
    assert_eq!(ok(get(&app, DISPUTES, &units.east).await, 200)["rows"][0]["status"], "resolved");

    // One history across the three units, as every unit's console shows it.
    let console = ok(get(&app, &format!("{STAFF_CASES}/{case_id}"), &units.police).await, 200);
    let history = console["history"].as_array().unwrap();
    let steps: Vec<(&str, &str, &str)> = history
        .iter()
        .map(|e| {
            let to = e["to_status"].as_str().or(e["to_unit"].as_str()).unwrap_or("");
            (e["action"].as_str().unwrap(), to, e["actor_unit"].as_str().unwrap_or("resident"))
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("opened", "requested", "resident"),
            ("note", "", "resident"),
            ("transition", "accepted", "judicial-office"),
            ("transition", "in-progress", "judicial-office"),
            ("involved", "community-east", "judicial-office"),
            ("involved", "police-east-community", "judicial-office"),
            ("note", "", "community-east"),
            ("note", "", "police-east-community"),
            ("note", "", "judicial-office"),
            ("transition", "completed", "judicial-office"),
        ]
    );
    assert_eq!(history[0]["actor"], resident_id.as_str());
    assert_eq!(history[1]["actor"], neighbour_id.as_str(), "the neighbour's joining is on record");
    assert!(history.iter().all(|e| e["via"] == "legal-consultation"));
    assert_eq!(history[3]["note"], "taken on; quiet hours first");
    let held_note = history[7]["note"].as_str().unwrap();
    assert!(
        held_note.starts_with(&format!("session held {} 09:30 at {place}; attended: Aygül (requester)", city_date(3))),
        "{held_note}"
    );
    let for_east = ok(get(&app, &path, &units.east).await, 200);
    assert_eq!(for_east["history"].as_array().unwrap().len(), history.len(), "the service shows the same history");

    // The parties read the outcome, the sessions (not the staff's notes) and a history without internal notes.
    let mine = ok(get(&app, &path, &resident).await, 200);
    assert_eq!(mine["outcome"]["agreement_terms"], TERMS);
    assert_eq!(mine["outcome"]["confirmation_deadline"], deadline.as_str());
    assert_eq!(mine["rating_route"], format!("{MY_CASES}/{case_id}/rating"));
    assert!(mine["sessions"][0].get("notes").is_none());
    assert!(!mine.to_string().contains(confidential) && !mine.to_string().contains("floor mats"));
    let actors: Vec<(&str, &str)> = mine["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["actor"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actors,
        [
            ("opened", "you"),
            ("transition", "staff of judicial-office"),
            ("transition", "staff of judicial-office"),
            ("involved", "staff of judicial-office"),
            ("involved", "staff of judicial-office"),
            ("transition", "staff of judicial-office"),
        ]
    );
    let theirs = ok(get(&app, &path, &neighbour).await, 200);
    assert_eq!((theirs["your_role"].as_str(), theirs["status"].as_str()), (Some("other-party"), Some("agreed")));
    assert_eq!(theirs["history"][0]["actor"], "requester");
    assert!(theirs["other_party"].get("contact").is_none());
    assert!(theirs.get("rating_route").is_none(), "the requester rates the case");
    assert_eq!(theirs["sessions"][0]["attendees"], attendees);

    // The inboxes: the requester follows the case and the outcome; the neighbour the session and the outcome.
    let agreement_text = format!(
        "The mediation {reference} ended in a mediation agreement: read its terms under Mediation. Within 30 days (by {deadline}) both parties may together ask the people's court to confirm it judicially."
    );
    assert_eq!(
        inbox(&app, &resident).await,
        [
            agreement_text.clone(),
            format!("Your case {reference} is now completed."),
            announcement.clone(),
            format!("Your case {reference} is now in progress."),
            format!("Your case {reference} is now accepted."),
            format!("Your case {reference} has been opened."),
        ]
    );
    assert_eq!(inbox(&app, &neighbour).await, [agreement_text, announcement]);
    assert!(inbox(&app, &stranger).await.is_empty());

    // On the platform the case is the requester's, completed, and rated once.
    let cases = my_cases(&app, &resident).await;
    assert_eq!((cases["total"].as_i64(), cases["items"][0]["status"].as_str()), (Some(1), Some("completed")));
    assert_eq!(cases["items"][0]["kind"], "mediation");
    assert!(!cases.to_string().contains("floor mats"), "internal notes stay with the units");
    let rating = ok(post(&app, &format!("{MY_CASES}/{case_id}/rating"), &resident, json!({"rating": 4})).await, 200);
    assert_eq!(rating["rating"], 4);
    let rated = ok(get(&app, &path, &resident).await, 200);
    assert_eq!(rated["rating"], 4);
    assert!(rated.get("rating_route").is_none());
    post(&app, &format!("{MY_CASES}/{case_id}/rating"), &neighbour, json!({"rating": 1}))
        .await
        .assert_problem(404, "not-found");
}

/// An invitation the other party never answers, a community given in the request (orchard: the
/// west committee), a session recorded afterwards, and no agreement: the requester is told why and
/// the routes left, and the unanswered invitation is void.
async fn a_mediation_without_agreement_tells_the_requester_the_other_routes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (resident, _) = app.resident("mahmut").await;
    let units = staff(&app).await;

    let mut body = noise_dispute(true);
    body["area"] = json!("orchard");
    let requested = request_mediation(&app, &resident, body).await;
    let (id, case_id) = (id_of(&requested), case_of(&requested));
    let reference = requested["reference"].as_str().unwrap().to_owned();
    let path = format!("{MEDIATIONS}/{id}");
    assert_eq!(requested["area"], "orchard", "the platform did not know the community: the request says it");
    let other = &requested["other_party"];
    assert_eq!(
        (other["name"].as_str(), other["joined"].as_bool(), other["invitation"].as_str()),
        (Some("The family in 502"), Some(false), Some("pending"))
    );
    let code = requested["invitation_code"].as_str().unwrap().to_owned();

    // Convened with the committee serving orchard.
    // Convened with no body at all: the committee follows from the area.
    let convened = ok(app.client.post_empty(&format!("{path}/convene"), Some(&units.judicial)).await, 200);
    assert_eq!(convened["units"], json!(["judicial-office", "community-west", "police-east-community"]));
    for unit in [&units.west, &units.police] {
        assert_eq!(ok(get(&app, &path, unit).await, 200)["status"], "convened");
    }
    get(&app, &path, &units.east).await.assert_problem(404, "not-found");
    assert_eq!(ok(get(&app, MEDIATIONS, &units.east).await, 200)["total"], 0);
    assert_eq!(ok(get(&app, DISPUTES, &units.west).await, 200)["rows"][0]["area"], "orchard");

    // Once convened, the requester ends it through the mediators, not by withdrawing.
    let withdraw = post(&app, &format!("{path}/withdraw"), &resident, json!({})).await;
    assert!(withdraw.assert_problem(409, "conflict").contains("tell the mediators"), "{}", withdraw.body);

    // No agreement without a session at which the parties agreed.
    let outcome = format!("{path}/outcome");
    let agreement = json!({"result": "agreement", "terms": "They shake hands and agree."});
    let early = post(&app, &outcome, &units.judicial, agreement).await;
    assert!(early.assert_problem(409, "conflict").contains("record the session"), "{}", early.body);

    // The west committee records a session held on the spot yesterday (nobody is told of a past session).
    let spot = json!({"scheduled_for": city_time(-1, "15:00"), "place": "Stairwell of building 3",
                      "attendees": ["Mahmut (requester)", "Ms Zhao (residents' committee)"]});
    let future_held = json!({"scheduled_for": city_time(2, "15:00"), "place": "Hall", "attendees": ["A"]});
    assert_eq!(
        post(&app, &format!("{path}/sessions"), &units.west, future_held).await.problem_fields(),
        ["scheduled_for"]
    );
    let recorded = ok(post(&app, &format!("{path}/sessions"), &units.west, spot).await, 201);
    assert_eq!(
        (recorded["sessions"][0]["status"].as_str(), recorded["sessions"][0]["unit"].as_str()),
        (Some("held"), Some("community-west"))
    );
    assert_eq!(inbox(&app, &resident).await.len(), 3, "opened, accepted, in progress: no session announcement");

    // Without agreement: why, and at least one route, each a known one.
    let sloppy = post(&app, &outcome, &units.judicial, json!({"result": "no-agreement", "terms": "x"})).await;
    assert_eq!(sloppy.problem_fields(), ["terms", "reason", "routes_told"]);
    let unknown = json!({"result": "no-agreement", "reason": "the other party refused", "routes_told": ["prayer"]});
    assert_eq!(post(&app, &outcome, &units.judicial, unknown).await.problem_fields(), ["routes_told"]);
    let none = json!({"result": "no-agreement", "reason": "the other party refused", "routes_told": []});
    assert_eq!(post(&app, &outcome, &units.judicial, none).await.problem_fields(), ["routes_told"]);
    post(
        &app,
        &outcome,
        &units.west,
        json!({"result": "no-agreement", "reason": "refused", "routes_told": ["litigation"]}),
    )
    .await
    .assert_problem(403, "forbidden");
    assert_eq!(ok(get(&app, &path, &resident).await, 200)["status"], "convened", "nothing refused changed it");

    let reason = "the other party refused to take part";
    let ended =
        json!({"result": "no-agreement", "reason": reason, "routes_told": ["litigation", "arbitration", "litigation"]});
    let failed = ok(post(&app, &outcome, &units.judicial, ended).await, 200);
    assert_eq!((failed["status"].as_str(), failed["case_status"].as_str()), (Some("no-agreement"), Some("failed")));
    let result = &failed["outcome"];
    assert_eq!((result["result"].as_str(), result["reason"].as_str()), (Some("no-agreement"), Some(reason)));
    assert_eq!(
        result["routes_told"],
        json!([
            {"code": "litigation", "name": "Bring a lawsuit in the people's court"},
            {"code": "arbitration", "name": "Apply for arbitration"}
        ])
    );
    assert_eq!(result["confirmation_deadline"], Value::Null);
    assert!(result["notice"].as_str().unwrap().starts_with("The mediation ended without agreement."));
    let again = post(&app, &outcome, &units.judicial, json!({"result": "agreement", "terms": TERMS})).await;
    assert!(again.assert_problem(409, "conflict").contains("allowed: none"), "{}", again.body);
    assert_eq!(ok(get(&app, DISPUTES, &units.west).await, 200)["rows"][0]["status"], "unresolved");

    // The invitation nobody answered is void: no code to pass on, and the code joins nothing.
    let mine = ok(get(&app, &path, &resident).await, 200);
    assert!(mine.get("invitation_code").is_none(), "{mine:#}");
    assert_eq!(mine["other_party"]["joined"], false);
    let (late, _) = app.resident("late-neighbour").await;
    post(&app, ACCEPT, &late, json!({"code": code})).await.assert_problem(404, "not-found");
    get(&app, &path, &late).await.assert_problem(404, "not-found");

    // Only the requester, who is on the platform, is told.
    let told = inbox(&app, &resident).await;
    assert_eq!(
        told[..2],
        [
            format!(
                "The mediation {reference} ended without an agreement: {reason}. You may apply for arbitration or bring a lawsuit in the people's court, as the law allows; the 12348 line can advise you."
            ),
            format!("Your case {reference} is now failed."),
        ]
    );
    assert_eq!(told.len(), 5);
    let case = &my_cases(&app, &resident).await["items"][0];
    assert_eq!((case["id"].as_i64(), case["status"].as_str()), (Some(case_id), Some("failed")));
    assert!(case["history"].as_array().unwrap().last().unwrap()["note"].as_str().unwrap().contains("arbitration"));
}

/// Bad requests name their fields and store nothing; the judicial office declines one (the
/// requester is told why and what else they can do); the requester withdraws another; nothing
/// that was refused changed anything, and nothing reached the disputes register.
async fn mediation_requests_are_refused_declined_or_withdrawn_and_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (resident, _) = app.resident("zainab").await;
    let (other, _) = app.resident("nosy").await;
    let units = staff(&app).await;
    let admin = app.admin_token().await;

    let bad =
        post(&app, MEDIATIONS, &resident, json!({"kind": "noise", "summary": "loud", "area": "East Gate", "fee": 10}))
            .await;
    assert_eq!(bad.problem_fields(), ["other_party_name", "fee", "kind", "summary", "area"]);
    let long = json!({"kind": "neighbour", "summary": NOISE, "other_party_name": "x".repeat(65),
                      "other_party_contact": "y".repeat(201)});
    assert_eq!(
        post(&app, MEDIATIONS, &resident, long).await.problem_fields(),
        ["other_party_name", "other_party_contact"]
    );
    let typed = json!({"kind": "neighbour", "summary": NOISE, "other_party_name": "502", "invite_other_party": "yes"});
    assert_eq!(post(&app, MEDIATIONS, &resident, typed).await.problem_fields(), ["invite_other_party"]);
    app.client.post_json(MEDIATIONS, None, &noise_dispute(false)).await.assert_problem(401, "unauthorized");
    post(&app, MEDIATIONS, &units.judicial, noise_dispute(false)).await.assert_problem(403, "forbidden");
    get(&app, MEDIATIONS, &admin).await.assert_problem(403, "forbidden");
    let queue_only = get(&app, &format!("{MEDIATIONS}?status=agreed&limit=0"), &resident).await;
    assert_eq!(queue_only.problem_fields(), ["limit", "status"]);
    assert_eq!(get(&app, &format!("{MEDIATIONS}?status=settled"), &units.judicial).await.problem_fields(), ["status"]);
    assert_eq!(ok(get(&app, MEDIATIONS, &resident).await, 200)["total"], 0);
    assert_eq!(ok(get(&app, MEDIATIONS, &units.judicial).await, 200)["total"], 0);
    assert_eq!(my_cases(&app, &resident).await["total"], 0);

    // A request whose community the platform does not know.
    let first = request_mediation(&app, &resident, noise_dispute(false)).await;
    let path = format!("{MEDIATIONS}/{}", id_of(&first));
    assert_eq!(first["area"], Value::Null);
    assert_eq!(
        (first["other_party"]["invitation"].as_str(), first["other_party"]["joined"].as_bool()),
        (Some("none"), Some(false))
    );
    assert!(first.get("invitation_code").is_none(), "named only: no code");
    get(&app, &path, &other).await.assert_problem(404, "not-found");
    post(&app, &format!("{path}/withdraw"), &other, json!({})).await.assert_problem(404, "not-found");
    post(&app, &format!("{path}/withdraw"), &units.judicial, json!({})).await.assert_problem(403, "forbidden");
    post(&app, &format!("{path}/decline"), &resident, json!({"reason": "x"})).await.assert_problem(403, "forbidden");

    // Nothing happens before the judicial office convenes it; convening needs the community.
    let session = json!({"scheduled_for": city_time(3, "09:30"), "place": "Community hall"});
    let early = post(&app, &format!("{path}/sessions"), &units.judicial, session).await;
    assert!(early.assert_problem(409, "conflict").contains("convened"), "{}", early.body);
    let outcome =
        post(&app, &format!("{path}/outcome"), &units.judicial, json!({"result": "agreement", "terms": TERMS})).await;
    assert!(
        outcome.assert_problem(409, "conflict").contains("allowed: convened, declined, withdrawn"),
        "{}",
        outcome.body
    );
    let convene = format!("{path}/convene");
    assert_eq!(post(&app, &convene, &units.judicial, json!({})).await.problem_fields(), ["area"]);
    let village = post(&app, &convene, &units.judicial, json!({"area": "poplar-village"})).await;
    assert_eq!(village.problem_fields(), ["committee"]);
    let wrong = post(
        &app,
        &convene,
        &units.judicial,
        json!({"committee": "police-central", "area": "Orchard!", "note": "x".repeat(501)}),
    )
    .await;
    assert_eq!(wrong.problem_fields(), ["committee", "area", "note"]);
    let unchanged = ok(get(&app, &path, &units.judicial).await, 200);
    assert_eq!(
        (unchanged["status"].as_str(), unchanged["case_status"].as_str()),
        (Some("requested"), Some("requested"))
    );
    assert_eq!(unchanged["units"], json!(["judicial-office"]));
    assert_eq!(moves(&unchanged["history"]), pairs(&[("opened", "requested")]));

    // Declined, with the reason and the routes left.
    let decline = format!("{path}/decline");
    assert_eq!(post(&app, &decline, &units.judicial, json!({})).await.problem_fields(), ["reason"]);
    let reason = "the dispute is already before the court";
    let declined = ok(post(&app, &decline, &units.judicial, json!({"reason": reason})).await, 200);
    assert_eq!((declined["status"].as_str(), declined["case_status"].as_str()), (Some("declined"), Some("rejected")));
    assert_eq!(declined["decline_reason"], reason);
    let reference = declined["reference"].as_str().unwrap().to_owned();
    post(&app, &decline, &units.judicial, json!({"reason": reason})).await.assert_problem(409, "conflict");
    post(&app, &convene, &units.judicial, json!({"area": "east-gate"})).await.assert_problem(409, "conflict");
    assert_eq!(
        inbox(&app, &resident).await[0],
        format!(
            "Your mediation request {reference} was not taken up: {reason}. You may apply for arbitration or bring a lawsuit in the people's court, as the law allows; the 12348 line can advise you."
        )
    );

    // Withdrawn by the requester before it is convened.
    live_in(&app, &resident, "riverside").await;
    let second = request_mediation(&app, &resident, noise_dispute(true)).await;
    assert_eq!(second["area"], "riverside", "from the shared profile");
    let path = format!("{MEDIATIONS}/{}", id_of(&second));
    let code = second["invitation_code"].as_str().unwrap().to_owned();
    let withdrawn =
        ok(post(&app, &format!("{path}/withdraw"), &resident, json!({"reason": "we talked it over"})).await, 200);
    assert_eq!(
        (withdrawn["status"].as_str(), withdrawn["case_status"].as_str()),
        (Some("withdrawn"), Some("cancelled"))
    );
    assert!(withdrawn.get("invitation_code").is_none(), "the code is void");
    post(&app, ACCEPT, &other, json!({"code": code})).await.assert_problem(404, "not-found");
    post(&app, &format!("{path}/withdraw"), &resident, json!({})).await.assert_problem(409, "conflict");
    post(&app, &format!("{path}/convene"), &units.judicial, json!({})).await.assert_problem(409, "conflict");

    // The lists, the platform's cases, and the register agree; no committee or police saw anything.
    let list = ok(get(&app, MEDIATIONS, &resident).await, 200);
    let statuses: Vec<&str> = list["items"].as_array().unwrap().iter().map(|m| m["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["withdrawn", "declined"]);
    assert_eq!(ok(get(&app, &format!("{MEDIATIONS}?status=requested"), &units.judicial).await, 200)["total"], 0);
    assert_eq!(ok(get(&app, &format!("{MEDIATIONS}?status=declined"), &units.judicial).await, 200)["total"], 1);
    let cases = my_cases(&app, &resident).await;
    let case_statuses: Vec<&str> =
        cases["items"].as_array().unwrap().iter().map(|c| c["status"].as_str().unwrap()).collect();
    assert_eq!(case_statuses, ["cancelled", "rejected"]);
    for unit in [&units.east, &units.west, &units.police] {
        assert_eq!(ok(get(&app, MEDIATIONS, unit).await, 200)["total"], 0);
        assert_eq!(ok(get(&app, &format!("{STAFF_CASES}?role=all"), unit).await, 200)["total"], 0);
    }
    assert_eq!(ok(get(&app, DISPUTES, &units.east).await, 200)["rows"], json!([]));
    assert_eq!(ok(get(&app, DISPUTES, &units.judicial).await, 200)["rows"], json!([]));
    assert!(inbox(&app, &other).await.is_empty());
}

/// The other party is named by the requester and, if the requester wants, invited with a code
/// passed on by hand: the requester never learns who has an account. A resident holding the
/// code accepts (then follows the case) or declines (the mediators read why); a code works once.
async fn the_other_party_accepts_or_declines_the_invitation_and_is_only_named(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (resident, _) = app.resident("dilnur").await;
    let (neighbour, _) = app.resident("downstairs").await;
    let (third, _) = app.resident("third").await;
    let units = staff(&app).await;
    live_in(&app, &resident, "east-gate").await;

    // Declined: mediation is voluntary.
    let first = request_mediation(&app, &resident, noise_dispute(true)).await;
    let first_path = format!("{MEDIATIONS}/{}", id_of(&first));
    let code = first["invitation_code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 11, "shown as ABCDE-23456: {code}");
    assert_eq!(&code[5..6], "-");
    post(&app, ACCEPT, &resident, json!({"code": code})).await.assert_problem(409, "conflict");
    post(&app, DECLINE, &resident, json!({"code": code})).await.assert_problem(409, "conflict");
    post(&app, DECLINE, &neighbour, json!({"code": "AAAAA-AAAAA"})).await.assert_problem(404, "not-found");
    post(&app, DECLINE, &neighbour, json!({"code": "not a code"})).await.assert_problem(404, "not-found");
    assert_eq!(post(&app, ACCEPT, &neighbour, json!({})).await.problem_fields(), ["code"]);
    let long = json!({"code": code, "reason": "x".repeat(501)});
    assert_eq!(post(&app, DECLINE, &neighbour, long).await.problem_fields(), ["reason"]);
    post(&app, ACCEPT, &units.judicial, json!({"code": code})).await.assert_problem(403, "forbidden");
    call(&app, "POST", ACCEPT, None, Some(json!({"code": code}))).await.assert_problem(401, "unauthorized");
    let why = "we will talk to them ourselves";
    let turned = ok(post(&app, DECLINE, &neighbour, json!({"code": code, "reason": why})).await, 200);
    assert_eq!(turned, json!({"invitation": "declined"}));
    post(&app, ACCEPT, &neighbour, json!({"code": code})).await.assert_problem(404, "not-found");
    get(&app, &first_path, &neighbour).await.assert_problem(404, "not-found");
    assert_eq!(ok(get(&app, MEDIATIONS, &neighbour).await, 200)["total"], 0);
    let seen = ok(get(&app, &first_path, &units.judicial).await, 200);
    assert_eq!(seen["other_party"]["invitation"], "declined");
    let last = seen["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "note");
    assert_eq!(last["note"], format!("the other party declined the invitation to mediate: {why}"));
    let mine = ok(get(&app, &first_path, &resident).await, 200);
    assert_eq!(
        (mine["other_party"]["invitation"].as_str(), mine["other_party"]["joined"].as_bool()),
        (Some("declined"), Some(false))
    );
    assert!(mine.get("invitation_code").is_none());
    assert!(!mine.to_string().contains(why), "the reason is for the mediators");
    assert!(!mine.to_string().contains("downstairs"), "the requester never learns who the account is");

    // Accepted, however the code was typed: the neighbour follows the case from now on.
    let second = request_mediation(&app, &resident, noise_dispute(true)).await;
    let (id, path) = (id_of(&second), format!("{MEDIATIONS}/{}", id_of(&second)));
    let code = second["invitation_code"].as_str().unwrap().to_owned();
    let typed = code.replace('-', " ").to_lowercase();
    let joined = ok(post(&app, ACCEPT, &neighbour, json!({"code": typed})).await, 200);
    assert_eq!((joined["id"].as_i64(), joined["your_role"].as_str()), (Some(id), Some("other-party")));
    assert_eq!(joined["other_party"]["name"], "The family in 502");
    assert!(joined["other_party"].get("contact").is_none(), "what the requester noted about them stays private");
    assert!(joined.get("invitation_code").is_none());
    assert_eq!(joined["requester_name"], "dilnur");
    assert_eq!(moves(&joined["history"]), pairs(&[("opened", "requested")]), "no internal notes");
    assert_eq!(joined["history"][0]["actor"], "requester");
    post(&app, ACCEPT, &third, json!({"code": code})).await.assert_problem(404, "not-found");
    get(&app, &path, &third).await.assert_problem(404, "not-found");
    let list = ok(get(&app, MEDIATIONS, &neighbour).await, 200);
    assert_eq!((list["total"].as_i64(), list["items"][0]["your_role"].as_str()), (Some(1), Some("other-party")));
    let mine = ok(get(&app, &path, &resident).await, 200);
    assert_eq!(
        (mine["other_party"]["joined"].as_bool(), mine["other_party"]["invitation"].as_str()),
        (Some(true), Some("accepted"))
    );
    assert!(!mine.to_string().contains("downstairs"));
    assert_eq!(ok(get(&app, MEDIATIONS, &resident).await, 200)["total"], 2);

    // The other party follows, but does not steer: no withdrawing, convening or rating the requester's case.
    post(&app, &format!("{path}/withdraw"), &neighbour, json!({})).await.assert_problem(403, "forbidden");
    post(&app, &format!("{path}/convene"), &neighbour, json!({})).await.assert_problem(403, "forbidden");
    assert_eq!(my_cases(&app, &neighbour).await["total"], 0, "the platform case is the requester's");

    // Convened, the neighbour is told of the session like the requester; staff see who joined.
    ok(post(&app, &format!("{path}/convene"), &units.judicial, json!({})).await, 200);
    let when = city_time(4, "18:00");
    ok(
        post(
            &app,
            &format!("{path}/sessions"),
            &units.police,
            json!({"scheduled_for": when, "place": "Police office"}),
        )
        .await,
        201,
    );
    let announcement = format!(
        "A mediation session for {} is scheduled: {} 18:00 at Police office. People's mediation is free and voluntary.",
        second["reference"].as_str().unwrap(),
        city_date(4)
    );
    assert_eq!(inbox(&app, &neighbour).await, std::slice::from_ref(&announcement));
    assert_eq!(inbox(&app, &resident).await[0], announcement);
    assert!(inbox(&app, &third).await.is_empty());
    let staff_view = ok(get(&app, &path, &units.east).await, 200);
    assert_eq!(staff_view["other_party"]["joined"], true);
    let notes: Vec<&str> = staff_view["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "note")
        .map(|e| e["note"].as_str().unwrap())
        .collect();
    assert_eq!(notes[0], "the other party accepted the invitation and follows the case online");
}
