//! The lost-id-reissue service, end to end, as residents and the staff of each unit
//! involved use it: the resident who lost their card, the household registration
//! desk of the central police station (`police-central`), which checks identity
//! and hands out the new card, and the community police office
//! (`police-east-community`), which works the anti-fraud queue.

use onewindow_tests::{Answer, Backend, TestApp, on_both_backends};
use serde_json::{Value, json};

const SERVICE: &str = "/api/v1/services/lost-id-reissue";
const INFO: &str = "/api/v1/services/lost-id-reissue/info";
const REPORTS: &str = "/api/v1/services/lost-id-reissue/reports";
const APPLICATIONS: &str = "/api/v1/services/lost-id-reissue/applications";
const CONSULTATIONS: &str = "/api/v1/services/lost-id-reissue/scam-consultations";
const MY_CASES: &str = "/api/v1/me/cases";
const STAFF_CASES: &str = "/api/v1/staff/cases";

/// The household registration desk, which works applications.
const DESK: &str = "police-central";
/// The community police office, which works the anti-fraud queue.
const ANTI_FRAUD: &str = "police-east-community";

const NAME: &str = "Aygül Tursun";
const ID_NUMBER: &str = "11010519491231002X";
const PLACE: &str = "Central Police Station, window 3";
const EN: [(&str, &str); 1] = [("accept-language", "en")];

on_both_backends!(
    a_lost_card_is_reported_then_reissued_and_collected_at_the_desk,
    a_temporary_card_bridges_the_wait_and_the_loss_stands,
    the_desk_accepts_only_a_verified_identity_and_refuses_with_a_reason,
    withdrawals_and_moves_out_of_order_are_refused_naming_the_allowed_moves,
    bad_requests_name_every_field_and_store_nothing,
    each_party_sees_only_what_is_theirs,
    a_report_with_signs_of_fraud_warns_at_once_and_goes_to_the_community_police,
    is_this_a_scam_lands_in_the_same_queue_and_is_answered,
);

// ---------------------------------------------------------------- helpers

/// Fills in the resident's shared profile (what the desk checks identity against).
async fn fill_profile(app: &TestApp, token: &str, name: &str, id_number: &str) {
    patch_profile(
        app,
        token,
        json!({"name": name, "id_number": id_number, "phone": "138 0013 8000", "area": "east-gate"}),
    )
    .await;
}

/// Changes fields of the resident's own profile (the ID number, once set, only a desk may change).
async fn patch_profile(app: &TestApp, token: &str, profile: Value) {
    let headers = [("content-type", "application/json")];
    let answer =
        app.client.send("PATCH", "/api/v1/me/profile", Some(token), &headers, Some(profile.to_string().into())).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

/// An ordinary loss, with no sign of fraud.
fn plain_report() -> Value {
    json!({"lost_on": city_day(0), "place": "Bus 7, Jiefang Road", "circumstances": "My wallet was gone when I got off."})
}

/// Files a report that must be recorded; returns the answer's body (`report`, `fraud_warning`).
async fn report(app: &TestApp, token: &str, body: &Value) -> Value {
    let answer = app.client.send("POST", REPORTS, Some(token), &json_en(), Some(body.to_string().into())).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    answer.body
}

fn application(report_id: i64, kind: &str) -> Value {
    json!({"report_id": report_id, "kind": kind, "full_name": NAME, "id_number": ID_NUMBER, "phone": "138 0013 8000"})
}

/// Applies, and must succeed; returns the application.
async fn apply(app: &TestApp, token: &str, report_id: i64, kind: &str) -> Value {
    let answer = app.client.post_json(APPLICATIONS, Some(token), &application(report_id, kind)).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    answer.body
}

/// A desk action on an application (`accept`, `reject`, `ready`, `collected`, `withdraw`).
async fn act(app: &TestApp, token: &str, id: i64, action: &str, body: Option<Value>) -> Answer {
    let path = format!("{APPLICATIONS}/{id}/{action}");
    match body {
        Some(body) => app.client.post_json(&path, Some(token), &body).await,
        None => app.client.post_empty(&path, Some(token)).await,
    }
}

/// An action that must succeed, leaving the application in `status`.
async fn moved(app: &TestApp, token: &str, id: i64, action: &str, body: Option<Value>, status: &str) -> Value {
    let answer = act(app, token, id, action, body).await;
    assert_eq!(answer.status, 200, "{action}: {}", answer.body);
    assert_eq!(answer.body["status"], status, "{action}");
    answer.body
}

/// Where and when to collect the card: tomorrow 09:00 to four days later 18:00, city time.
fn window() -> (Value, String, String) {
    let (from, to) = (city_day(1), city_day(5));
    let body = json!({"place": PLACE, "from": format!("{from}T09:00:00+08:00"), "to": format!("{to}T18:00:00+08:00")});
    (body, format!("{from} 09:00"), format!("{to} 18:00"))
}

/// The anti-fraud officer's answer, which must succeed.
async fn answer_consultation(app: &TestApp, token: &str, id: i64, verdict: &str, text: &str) -> Value {
    let path = format!("{CONSULTATIONS}/{id}/answer");
    let answer = app.client.post_json(&path, Some(token), &json!({"verdict": verdict, "answer": text})).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body
}

/// The resident's inbox, oldest first, as `(source, English text)`.
async fn inbox(app: &TestApp, token: &str) -> Vec<(String, String)> {
    let answer = app.client.send("GET", "/api/v1/me/inbox", Some(token), &EN, None).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let mut items: Vec<(String, String)> = answer.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["source"].as_str().unwrap().to_owned(), m["text"].as_str().unwrap().to_owned()))
        .collect();
    items.reverse();
    items
}

/// A platform message about case `reference`, as the inbox shows it.
fn case_message(reference: &str, now: &str) -> (String, String) {
    let text = if now == "opened" {
        format!("Your case {reference} has been opened.")
    } else {
        format!("Your case {reference} is now {now}.")
    };
    ("cases".to_owned(), text)
}

/// A message this service sent.
fn service_message(text: String) -> (String, String) {
    ("lost-id-reissue".to_owned(), text)
}

/// The resident's only case of this service with `reference`.
async fn my_case(app: &TestApp, token: &str, reference: &str) -> Value {
    let cases = app.client.get(MY_CASES, Some(token)).await.body;
    let found: Vec<&Value> =
        cases["items"].as_array().unwrap().iter().filter(|c| c["reference"] == reference).collect();
    assert_eq!(found.len(), 1, "{cases:#}");
    found[0].clone()
}

/// `(action, to_status, actor_unit)` of each history entry.
fn steps(case: &Value) -> Vec<(String, String, String)> {
    case["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
            (text(&h["action"]), text(&h["to_status"]), text(&h["actor_unit"]))
        })
        .collect()
}

fn step(action: &str, to: &str, unit: &str) -> (String, String, String) {
    (action.to_owned(), to.to_owned(), unit.to_owned())
}

/// Everything a resident can see of this service and their cases and inbox,
/// to prove a refused request changed nothing.
async fn everything_seen_by(app: &TestApp, token: &str) -> Value {
    let mut seen = serde_json::Map::new();
    for path in [REPORTS, APPLICATIONS, CONSULTATIONS, MY_CASES, "/api/v1/me/inbox"] {
        let answer = app.client.get(path, Some(token)).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        seen.insert(path.to_owned(), answer.body);
    }
    Value::Object(seen)
}

/// The account id behind a token.
async fn account_id(app: &TestApp, token: &str) -> String {
    app.client.get("/api/v1/auth/me", Some(token)).await.body["id"].as_str().unwrap().to_owned()
}

fn json_en() -> [(&'static str, &'static str); 2] {
    [("content-type", "application/json"), ("accept-language", "en")]
}

fn id_of(body: &Value) -> i64 {
    body["id"].as_i64().expect("an id")
}

/// The city's date (UTC+8) `days` from today, `YYYY-MM-DD`.
fn city_day(days: i64) -> String {
    let city = time::UtcOffset::from_hms(8, 0, 0).unwrap();
    let day = time::OffsetDateTime::now_utc().to_offset(city).date() + time::Duration::days(days);
    format!("{:04}-{:02}-{:02}", day.year(), u8::from(day.month()), day.day())
}

/// Unix seconds of a stored UTC timestamp (`YYYY-MM-DDTHH:MM:SS...`).
fn seconds(at: &str) -> i64 {
    let number = |range: std::ops::Range<usize>| at[range].parse::<i64>().unwrap();
    let month = time::Month::try_from(number(5..7) as u8).unwrap();
    let date = time::Date::from_calendar_date(number(0..4) as i32, month, number(8..10) as u8).unwrap();
    let days = i64::from(date.to_julian_day()) - 2_440_588;
    days * 86_400 + number(11..13) * 3600 + number(14..16) * 60 + number(17..19)
}

/// `YYYY-MM-DD` plus three calendar months, the day clamped to the month's end.
fn three_months_after(day: &str) -> String {
    let (year, month, date) =
        (day[0..4].parse::<i32>().unwrap(), day[5..7].parse::<u8>().unwrap(), day[8..10].parse::<u8>().unwrap());
    let (year, month) = if month > 9 { (year + 1, month - 9) } else { (year, month + 3) };
    let month_of = time::Month::try_from(month).unwrap();
    let date = (1..=date).rev().find(|d| time::Date::from_calendar_date(year, month_of, *d).is_ok()).unwrap();
    format!("{year:04}-{month:02}-{date:02}")
}

// ---------------------------------------------------------------- stories

/// Story 1, the whole way: the resident reads the fees, reports the loss
/// (recorded at once), applies for a reissue; the desk checks identity
/// against the shared profile, accepts, sets the pickup, closes it on
/// collection; the resident follows the case and the inbox throughout.
async fn a_lost_card_is_reported_then_reissued_and_collected_at_the_desk(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    // Anyone may read what it costs and how long it takes.
    let info = app.client.send("GET", INFO, None, &EN, None).await;
    assert_eq!(info.status, 200, "{}", info.body);
    assert_eq!(info.header("content-language"), Some("en"));
    assert_eq!(
        (info.body["fee_reissue_yuan"].as_i64(), info.body["fee_temporary_yuan"].as_i64()),
        (Some(20), Some(10))
    );
    assert_eq!((info.body["reissue_days"].as_i64(), info.body["temporary_valid_months"].as_i64()), (Some(60), Some(3)));
    assert_eq!(info.body["hotlines"], json!(["96110", "110"]));
    assert!(info.body["payment"].as_str().unwrap().contains("this service takes no payment"), "{}", info.body);
    let zh = app.client.get(INFO, None).await.body;
    assert!(zh["about"].as_str().unwrap().contains("60 日"), "Chinese by default: {zh}");

    let (resident, resident_id) = app.resident("aygul").await;
    fill_profile(&app, &resident, NAME, ID_NUMBER).await;
    let desk = app.staff("desk-officer", DESK).await;
    let desk_id = account_id(&app, &desk).await;

    // The loss is recorded at once; an ordinary loss warns nobody and opens no case.
    let loss = plain_report();
    let filed = report(&app, &resident, &loss).await;
    let report_id = id_of(&filed["report"]);
    assert_eq!(filed["report"]["status"], "reported-lost");
    assert_eq!(filed["report"]["resident"], resident_id.as_str());
    assert_eq!(filed["report"]["lost_on"], loss["lost_on"]);
    assert_eq!(filed["report"]["fraud_signs"], json!([]));
    assert_eq!(filed["fraud_warning"], Value::Null);
    let read = app.client.get(&format!("{REPORTS}/{report_id}"), Some(&resident)).await;
    assert_eq!(read.body, filed["report"]);
    assert_eq!(app.client.get(MY_CASES, Some(&resident)).await.body["total"], 0);
    assert_eq!(inbox(&app, &resident).await, []);

    // The reissue application: the fee shown, a case due in 60 days.
    let answer = app.client.post_json(APPLICATIONS, Some(&resident), &application(report_id, "reissue")).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let applied = answer.body;
    let id = id_of(&applied);
    assert_eq!(answer.headers["location"], format!("{APPLICATIONS}/{id}"));
    assert_eq!((applied["status"].as_str(), applied["kind"].as_str()), (Some("submitted"), Some("reissue")));
    assert_eq!(applied["fee_yuan"], 20);
    assert_eq!(applied["report_id"], report_id);
    assert_eq!(applied["resident"], resident_id.as_str(), "the applicant is the caller, not the body");
    assert_eq!(applied["phone"], "13800138000", "normalised");
    let reference = applied["case_reference"].as_str().unwrap().to_owned();
    assert!(
        reference.starts_with("IDR-") && reference.ends_with(&format!("{:06}", applied["case_id"].as_i64().unwrap())),
        "{reference}"
    );

    let case = my_case(&app, &resident, &reference).await;
    assert_eq!((case["service"].as_str(), case["kind"].as_str()), (Some("lost-id-reissue"), Some("id-reissue")));
    assert_eq!((case["unit"].as_str(), case["status"].as_str()), (Some(DESK), Some("requested")));
    assert_eq!(case["area"], "east-gate");
    assert_eq!(case["due_at"], applied["due_at"]);
    let (opened, due) = (case["opened_at"].as_str().unwrap(), case["due_at"].as_str().unwrap());
    assert_eq!(seconds(due) - seconds(opened), 60 * 86_400, "the law's 60 days: {opened} → {due}");

    // The desk finds it in the service's list and in the unit's case queue.
    let queue = app.client.get(&format!("{APPLICATIONS}?status=submitted"), Some(&desk)).await;
    assert_eq!(queue.body["total"], 1);
    assert_eq!(queue.body["items"][0], applied);
    let cases = app.client.get(&format!("{STAFF_CASES}?service=lost-id-reissue"), Some(&desk)).await.body;
    assert_eq!((cases["total"].as_i64(), cases["items"][0]["reference"].as_str()), (Some(1), Some(reference.as_str())));
    let behind = app.client.get(&format!("{REPORTS}/{report_id}"), Some(&desk)).await;
    assert_eq!(behind.body, filed["report"], "the desk reads the report behind the application");

    // Accepted once name and ID number match the shared profile.
    let accepted = moved(&app, &desk, id, "accept", None, "accepted").await;
    assert_eq!(accepted["verified_by"], desk_id.as_str());
    assert_eq!(accepted["handled_by"], desk_id.as_str());
    assert!(accepted["verified_at"].is_string());
    assert_eq!(my_case(&app, &resident, &reference).await["status"], "in-progress");
    // The check is in the resident's access log, with the desk and its purpose.
    let log = app.client.send("GET", "/api/v1/me/access-log", Some(&resident), &EN, None).await.body;
    let checks: Vec<&Value> = log.as_array().unwrap().iter().filter(|e| e["service"] == "lost-id-reissue").collect();
    assert!(!checks.is_empty(), "{log:#}");
    for check in checks {
        assert_eq!((check["table"].as_str(), check["unit"].as_str()), (Some("resident_profile"), Some(DESK)));
        assert!(
            check["purpose"].as_str().unwrap().starts_with("Lost ID reissue: the police station's registration desk")
        );
    }

    // Ready: the place and the time window reach the inbox.
    let (pickup, from, to) = window();
    let ready = moved(&app, &desk, id, "ready", Some(pickup.clone()), "ready-for-pickup").await;
    assert_eq!(ready["pickup_place"], PLACE);
    assert_eq!((&ready["pickup_from"], &ready["pickup_to"]), (&pickup["from"], &pickup["to"]));
    assert!(ready["issued_on"].is_string());
    assert_eq!(ready["valid_until"], Value::Null, "a reissued card has no three-month limit");
    assert_eq!(my_case(&app, &resident, &reference).await["status"], "in-progress", "open until collected");

    // Collected: the application and its case close; the lost card is replaced.
    let collected = moved(&app, &desk, id, "collected", None, "collected").await;
    assert!(collected["collected_at"].is_string());
    let replaced = app.client.get(&format!("{REPORTS}/{report_id}"), Some(&resident)).await.body;
    assert_eq!(replaced["status"], "replaced");
    let mine = app.client.get(&format!("{APPLICATIONS}/{id}"), Some(&resident)).await.body;
    assert_eq!(mine, collected, "the resident reads what the desk wrote");

    // One history, as the resident sees it (no internal notes) and as the desk does.
    let case = my_case(&app, &resident, &reference).await;
    assert_eq!(case["status"], "completed");
    assert!(case["closed_at"].is_string());
    assert_eq!(
        steps(&case),
        [
            step("opened", "requested", ""),
            step("transition", "accepted", DESK),
            step("transition", "in-progress", DESK),
            step("transition", "completed", DESK)
        ]
    );
    assert!(case["history"].as_array().unwrap().iter().all(|h| h["via"] == "lost-id-reissue"));
    let case_id = applied["case_id"].as_i64().unwrap();
    let staff_view = app.client.get(&format!("{STAFF_CASES}/{case_id}"), Some(&desk)).await.body;
    assert_eq!(
        steps(&staff_view),
        [
            step("opened", "requested", ""),
            step("transition", "accepted", DESK),
            step("transition", "in-progress", DESK),
            step("note", "", DESK),
            step("transition", "completed", DESK)
        ]
    );
    assert_eq!(staff_view["history"][3]["note"], format!("ready for pickup at {PLACE} from {from} to {to}"));
    assert_eq!(staff_view["history"][1]["note"], "identity checked against the shared profile");

    assert_eq!(
        inbox(&app, &resident).await,
        [
            case_message(&reference, "opened"),
            case_message(&reference, "accepted"),
            case_message(&reference, "in progress"),
            service_message(format!(
                "Your reissued resident ID card is ready ({reference}). Place: {PLACE}; time: {from} to {to}. \
                 Collect it in person; the ¥20 fee is paid when you collect it."
            )),
            case_message(&reference, "completed"),
        ]
    );

    // Finished: nothing moves it again, and the replaced card takes no new application.
    let again = act(&app, &desk, id, "collected", None).await;
    assert!(again.assert_problem(409, "conflict").contains("allowed: none"));
    let late = app.client.post_json(APPLICATIONS, Some(&resident), &application(report_id, "temporary")).await;
    assert!(late.assert_problem(409, "conflict").contains("replaced"));
    assert_eq!(app.client.get(APPLICATIONS, Some(&resident)).await.body["total"], 1);
}

/// A temporary card (10 yuan, valid three months, due in three days) while
/// the loss stands; one application of each kind at a time.
async fn a_temporary_card_bridges_the_wait_and_the_loss_stands(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (resident, _) = app.resident("rustam").await;
    fill_profile(&app, &resident, NAME, ID_NUMBER).await;
    let desk = app.staff("desk-officer", DESK).await;
    let report_id = id_of(&report(&app, &resident, &plain_report()).await["report"]);

    let temporary = apply(&app, &resident, report_id, "temporary").await;
    let id = id_of(&temporary);
    assert_eq!((temporary["kind"].as_str(), temporary["fee_yuan"].as_i64()), (Some("temporary"), Some(10)));
    let reference = temporary["case_reference"].as_str().unwrap().to_owned();
    assert!(reference.starts_with("TID-"), "{reference}");
    let case = my_case(&app, &resident, &reference).await;
    assert_eq!((case["kind"].as_str(), case["unit"].as_str()), (Some("temporary-id"), Some(DESK)));
    let (opened, due) = (case["opened_at"].as_str().unwrap(), case["due_at"].as_str().unwrap());
    assert_eq!(seconds(due) - seconds(opened), 3 * 86_400, "a temporary card within 3 days");

    // One temporary application at a time on a report; a reissue may run alongside.
    let before = everything_seen_by(&app, &resident).await;
    let twice = app.client.post_json(APPLICATIONS, Some(&resident), &application(report_id, "temporary")).await;
    assert!(twice.assert_problem(409, "conflict").contains("already under way"));
    assert_eq!(everything_seen_by(&app, &resident).await, before, "the refused application stored nothing");

    moved(&app, &desk, id, "accept", None, "accepted").await;
    let (pickup, from, to) = window();
    let ready = moved(&app, &desk, id, "ready", Some(pickup), "ready-for-pickup").await;
    let issued = ready["issued_on"].as_str().unwrap();
    let until = ready["valid_until"].as_str().unwrap().to_owned();
    assert_eq!(until, three_months_after(issued), "valid three months from {issued}");
    moved(&app, &desk, id, "collected", None, "collected").await;

    // A temporary card does not replace the lost one: a reissue may follow on the same report.
    let still = app.client.get(&format!("{REPORTS}/{report_id}"), Some(&resident)).await.body;
    assert_eq!(still["status"], "reported-lost");
    let reissue = apply(&app, &resident, report_id, "reissue").await;
    let second = reissue["case_reference"].as_str().unwrap().to_owned();

    assert_eq!(
        inbox(&app, &resident).await,
        [
            case_message(&reference, "opened"),
            case_message(&reference, "accepted"),
            case_message(&reference, "in progress"),
            service_message(format!(
                "Your temporary resident ID card is ready ({reference}). Place: {PLACE}; time: {from} to {to}. \
                 It is valid until {until}. The ¥10 fee is paid when you collect it."
            )),
            case_message(&reference, "completed"),
            case_message(&second, "opened"),
        ]
    );
    let list = app.client.get(&format!("{APPLICATIONS}?kind=temporary"), Some(&resident)).await.body;
    assert_eq!((list["total"].as_i64(), list["items"][0]["status"].as_str()), (Some(1), Some("collected")));
    assert_eq!(app.client.get(&format!("{APPLICATIONS}?status=submitted"), Some(&desk)).await.body["total"], 1);
}

/// The desk accepts only when the applicant's name and ID number match the
/// shared profile (and never tells what the profile holds); otherwise it
/// rejects with a reason the resident reads, before or after acceptance.
async fn the_desk_accepts_only_a_verified_identity_and_refuses_with_a_reason(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (resident, _) = app.resident("gulnar").await;
    let desk = app.staff("desk-officer", DESK).await;
    let report_id = id_of(&report(&app, &resident, &plain_report()).await["report"]);
    let first = apply(&app, &resident, report_id, "reissue").await;
    let (id, reference) = (id_of(&first), first["case_reference"].as_str().unwrap().to_owned());

    // No profile yet: the desk cannot check, and nothing changes.
    let before = everything_seen_by(&app, &resident).await;
    let no_profile = act(&app, &desk, id, "accept", None).await;
    assert!(no_profile.assert_problem(409, "conflict").contains("no shared profile"));
    assert_eq!(everything_seen_by(&app, &resident).await, before);

    // A profile that differs: the fields named, their values never told.
    let other_number = "110105198001010016";
    fill_profile(&app, &resident, "Gulnar Tursunova", other_number).await;
    let differs = act(&app, &desk, id, "accept", None).await;
    let detail = differs.assert_problem(409, "conflict");
    assert!(detail.contains("full_name and id_number do not match the shared profile"), "{detail}");
    assert!(!detail.contains("Tursunova") && !detail.contains(other_number), "{detail}");
    // The resident corrects their name; the ID number only a registration desk may change.
    patch_profile(&app, &resident, json!({"name": NAME})).await;
    let detail = act(&app, &desk, id, "accept", None).await.assert_problem(409, "conflict");
    assert!(detail.contains("the identity check failed: id_number does not match"), "{detail}");
    assert_eq!(everything_seen_by(&app, &resident).await, before, "no failed check changed anything");

    // So the desk rejects, with a reason (required): the case is rejected and the resident told why.
    let no_reason = act(&app, &desk, id, "reject", Some(json!({"because": "x"}))).await;
    assert_eq!(no_reason.problem_fields(), ["reason", "because"]);
    let short = act(&app, &desk, id, "reject", Some(json!({"reason": "x"}))).await;
    assert_eq!(short.problem_fields(), ["reason"]);
    assert_eq!(everything_seen_by(&app, &resident).await, before);
    let reason = "The ID number does not match your registration; please bring your household register.";
    let rejected = moved(&app, &desk, id, "reject", Some(json!({"reason": reason})), "rejected").await;
    assert_eq!(rejected["rejection_reason"], reason);
    let case = my_case(&app, &resident, &reference).await;
    assert_eq!(case["status"], "rejected");
    assert_eq!(steps(&case), [step("opened", "requested", ""), step("transition", "rejected", DESK)]);
    assert_eq!(case["history"][1]["note"], reason);
    assert_eq!(
        inbox(&app, &resident).await,
        [
            case_message(&reference, "opened"),
            case_message(&reference, "rejected"),
            service_message(format!("Your ID card application {reference} was not accepted. Reason: {reason}")),
        ]
    );
    // A rejected application does not block a new one on the same report.
    apply(&app, &resident, report_id, "reissue").await;

    // Another applicant, verified and accepted; then the card cannot be made: the case failed.
    let (second, _) = app.resident("dilnur").await;
    fill_profile(&app, &second, NAME, ID_NUMBER).await;
    let second_report = id_of(&report(&app, &second, &plain_report()).await["report"]);
    let applied = apply(&app, &second, second_report, "reissue").await;
    let (second_id, second_reference) = (id_of(&applied), applied["case_reference"].as_str().unwrap().to_owned());
    moved(&app, &desk, second_id, "accept", None, "accepted").await;
    let failed_reason = "The photo could not be used; please come to the desk for a new one.";
    let rejected = moved(&app, &desk, second_id, "reject", Some(json!({"reason": failed_reason})), "rejected").await;
    assert_eq!(rejected["verified_by"], rejected["handled_by"], "verified, then refused, by the same officer");
    let failed = my_case(&app, &second, &second_reference).await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(
        steps(&failed),
        [
            step("opened", "requested", ""),
            step("transition", "accepted", DESK),
            step("transition", "in-progress", DESK),
            step("transition", "failed", DESK)
        ]
    );
    assert_eq!(failed["history"][3]["note"], failed_reason);
    assert_eq!(
        inbox(&app, &second).await,
        [
            case_message(&second_reference, "opened"),
            case_message(&second_reference, "accepted"),
            case_message(&second_reference, "in progress"),
            case_message(&second_reference, "failed"),
            service_message(format!(
                "Your ID card application {second_reference} was not accepted. Reason: {failed_reason}"
            )),
        ]
    );
}

/// The applicant may withdraw only a submitted application; every move out
/// of order is a 409 naming the allowed moves, and changes nothing.
async fn withdrawals_and_moves_out_of_order_are_refused_naming_the_allowed_moves(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (resident, _) = app.resident("changed-mind").await;
    let (other, _) = app.resident("other").await;
    fill_profile(&app, &resident, NAME, ID_NUMBER).await;
    let desk = app.staff("desk-officer", DESK).await;
    let report_id = id_of(&report(&app, &resident, &plain_report()).await["report"]);
    let first = apply(&app, &resident, report_id, "reissue").await;
    let (id, reference) = (id_of(&first), first["case_reference"].as_str().unwrap().to_owned());

    let before = everything_seen_by(&app, &resident).await;
    let (pickup, _, _) = window();
    let early = act(&app, &desk, id, "ready", Some(pickup.clone())).await;
    assert!(early.assert_problem(409, "conflict").contains("allowed: accepted, rejected, withdrawn"));
    let early = act(&app, &desk, id, "collected", None).await;
    assert!(early.assert_problem(409, "conflict").contains("allowed: accepted, rejected, withdrawn"));
    act(&app, &other, id, "withdraw", None).await.assert_problem(404, "not-found");
    act(&app, &desk, id, "withdraw", None).await.assert_problem(403, "forbidden");
    act(&app, &resident, id, "accept", None).await.assert_problem(403, "forbidden");
    assert_eq!(everything_seen_by(&app, &resident).await, before);

    let withdrawn = moved(&app, &resident, id, "withdraw", None, "withdrawn").await;
    assert_eq!(withdrawn["handled_by"], Value::Null);
    assert_eq!(my_case(&app, &resident, &reference).await["status"], "cancelled");
    let before = everything_seen_by(&app, &resident).await;
    let twice = act(&app, &resident, id, "withdraw", None).await;
    assert!(twice.assert_problem(409, "conflict").contains("allowed: none"));
    act(&app, &desk, id, "accept", None).await.assert_problem(409, "conflict");
    assert_eq!(everything_seen_by(&app, &resident).await, before);

    // Once accepted it is the desk's: too late to withdraw, and no step may be skipped back.
    let second = id_of(&apply(&app, &resident, report_id, "reissue").await);
    moved(&app, &desk, second, "accept", None, "accepted").await;
    let before = everything_seen_by(&app, &resident).await;
    let late = act(&app, &resident, second, "withdraw", None).await;
    assert!(late.assert_problem(409, "conflict").contains("allowed: ready-for-pickup, rejected"));
    let again = act(&app, &desk, second, "accept", None).await;
    assert!(again.assert_problem(409, "conflict").contains("allowed: ready-for-pickup, rejected"));
    act(&app, &desk, second, "collected", None).await.assert_problem(409, "conflict");
    assert_eq!(everything_seen_by(&app, &resident).await, before);
    moved(&app, &desk, second, "ready", Some(pickup), "ready-for-pickup").await;
    let refused = act(&app, &desk, second, "reject", Some(json!({"reason": "changed our mind"}))).await;
    assert!(refused.assert_problem(409, "conflict").contains("allowed: collected"));
    act(&app, &resident, second, "withdraw", None).await.assert_problem(409, "conflict");

    act(&app, &desk, 999_999, "accept", None).await.assert_problem(404, "not-found");
    app.client.post_empty(&format!("{APPLICATIONS}/abc/accept"), Some(&desk)).await.assert_problem(404, "not-found");
    app.client.post_empty(&format!("{SERVICE}/no-such-route"), Some(&desk)).await.assert_problem(404, "not-found");
}

/// Every bad field is named at once, and a refused request stores nothing.
async fn bad_requests_name_every_field_and_store_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (resident, _) = app.resident("careless").await;
    fill_profile(&app, &resident, NAME, ID_NUMBER).await;
    let desk = app.staff("desk-officer", DESK).await;
    let officer = app.staff("anti-fraud-officer", ANTI_FRAUD).await;
    let empty = everything_seen_by(&app, &resident).await;

    let post = |path: &'static str, body: Value| {
        let (client, token) = (&app.client, resident.clone());
        async move { client.post_json(path, Some(&token), &body).await }
    };
    assert_eq!(post(REPORTS, json!({})).await.problem_fields(), ["lost_on", "place", "circumstances"]);
    let bad = json!({"lost_on": city_day(2), "place": "x", "circumstances": "shrt", "reward": 100});
    assert_eq!(post(REPORTS, bad).await.problem_fields(), ["lost_on", "place", "circumstances", "reward"]);
    let before_cards = json!({"lost_on": "1983-12-31", "place": "home", "circumstances": "fell out of my bag"});
    assert_eq!(post(REPORTS, before_cards).await.problem_fields(), ["lost_on"]);
    let not_a_date = json!({"lost_on": "26/11/2026", "place": "home", "circumstances": "fell out of my bag"});
    assert_eq!(post(REPORTS, not_a_date).await.problem_fields(), ["lost_on"]);
    let wrong_type = json!({"lost_on": city_day(0), "place": 7, "circumstances": "fell out of my bag"});
    assert_eq!(post(REPORTS, wrong_type).await.problem_fields(), ["place"]);
    app.client
        .post_raw(REPORTS, Some(&resident), "application/json", b"{\"place\": ")
        .await
        .assert_problem(400, "bad-request");
    app.client.post_json(REPORTS, None, &plain_report()).await.assert_problem(401, "unauthorized");
    app.client.post_json(REPORTS, Some(&desk), &plain_report()).await.assert_problem(403, "forbidden");
    assert_eq!(everything_seen_by(&app, &resident).await, empty, "no refused report was stored");

    let report_id = id_of(&report(&app, &resident, &plain_report()).await["report"]);
    let with_report = everything_seen_by(&app, &resident).await;
    let bad = json!({"report_id": "one", "kind": "new", "id_number": "123", "phone": "call me", "fee_yuan": 0});
    assert_eq!(
        post(APPLICATIONS, bad).await.problem_fields(),
        ["report_id", "full_name", "kind", "id_number", "phone", "fee_yuan"]
    );
    let mut bad_check_digit = application(report_id, "reissue");
    bad_check_digit["id_number"] = json!("110105194912310021");
    bad_check_digit["full_name"] = json!("");
    assert_eq!(post(APPLICATIONS, bad_check_digit).await.problem_fields(), ["full_name", "id_number"]);
    let mut status = application(report_id, "reissue");
    status["status"] = json!("accepted");
    assert_eq!(post(APPLICATIONS, status).await.problem_fields(), ["status"]);
    post(APPLICATIONS, application(999_999, "reissue")).await.assert_problem(404, "not-found");
    app.client
        .post_json(APPLICATIONS, None, &application(report_id, "reissue"))
        .await
        .assert_problem(401, "unauthorized");
    app.client
        .post_json(APPLICATIONS, Some(&desk), &application(report_id, "reissue"))
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(everything_seen_by(&app, &resident).await, with_report, "no refused application was stored");

    // The desk's pickup window and the anti-fraud answer name their bad fields too.
    let id = id_of(&apply(&app, &resident, report_id, "reissue").await);
    moved(&app, &desk, id, "accept", None, "accepted").await;
    let accepted = everything_seen_by(&app, &resident).await;
    assert_eq!(act(&app, &desk, id, "ready", Some(json!({}))).await.problem_fields(), ["place", "from", "to"]);
    let (from, to) = (format!("{}T09:00:00+08:00", city_day(5)), format!("{}T09:00:00+08:00", city_day(1)));
    let backwards = json!({"place": PLACE, "from": from, "to": to});
    assert_eq!(act(&app, &desk, id, "ready", Some(backwards)).await.problem_fields(), ["to"]);
    let past = json!({"place": PLACE, "from": format!("{}T09:00:00+08:00", city_day(-3)),
                      "to": format!("{}T09:00:00+08:00", city_day(-2))});
    assert_eq!(act(&app, &desk, id, "ready", Some(past)).await.problem_fields(), ["to"]);
    let too_long = json!({"place": PLACE, "from": format!("{}T09:00:00+08:00", city_day(1)),
                          "to": format!("{}T09:00:00+08:00", city_day(100))});
    assert_eq!(act(&app, &desk, id, "ready", Some(too_long)).await.problem_fields(), ["to"]);
    let no_offset = json!({"place": "W", "from": "2099-12-01 09:00", "to": "2099-12-01T18:00:00Z", "window": 3});
    assert_eq!(act(&app, &desk, id, "ready", Some(no_offset)).await.problem_fields(), ["place", "from", "window"]);
    assert_eq!(everything_seen_by(&app, &resident).await, accepted, "no refused window was stored");

    let question = json!({"question": "Someone phoned about a parcel at the post office."});
    let asked = app.client.post_json(CONSULTATIONS, Some(&resident), &question).await;
    assert_eq!(asked.status, 201, "{}", asked.body);
    let consultation = id_of(&asked.body["consultation"]);
    let open = everything_seen_by(&app, &resident).await;
    assert_eq!(post(CONSULTATIONS, json!({"question": "hm"})).await.problem_fields(), ["question"]);
    assert_eq!(post(CONSULTATIONS, json!({"text": "is this a scam?"})).await.problem_fields(), ["question", "text"]);
    let path = format!("{CONSULTATIONS}/{consultation}/answer");
    let bad = json!({"verdict": "maybe", "answer": "x".repeat(501), "urgent": true});
    assert_eq!(
        app.client.post_json(&path, Some(&officer), &bad).await.problem_fields(),
        ["verdict", "answer", "urgent"]
    );
    assert_eq!(app.client.post_json(&path, Some(&officer), &json!({})).await.problem_fields(), ["verdict", "answer"]);
    assert_eq!(everything_seen_by(&app, &resident).await, open, "no refused question or answer was stored");

    // Paging parameters are checked too.
    let limit = app.client.get(&format!("{APPLICATIONS}?limit=0"), Some(&desk)).await;
    assert_eq!(limit.problem_fields(), ["limit"]);
    assert_eq!(app.client.get(&format!("{REPORTS}?limit=ten"), Some(&resident)).await.problem_fields(), ["limit"]);
}

/// Residents see only their own; the desk works applications and reads
/// reports, the community police office works the fraud queue, and nobody
/// else (other units, admins) sees anything.
async fn each_party_sees_only_what_is_theirs(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (owner, _) = app.resident("owner").await;
    let (other, _) = app.resident("other").await;
    fill_profile(&app, &owner, NAME, ID_NUMBER).await;
    let desk = app.staff("desk-officer", DESK).await;
    let officer = app.staff("anti-fraud-officer", ANTI_FRAUD).await;
    let committee = app.staff("committee-clerk", "community-east").await;
    let water = app.staff("water-clerk", "partner-water").await;
    let admin = app.admin_token().await;

    let report_id = id_of(&report(&app, &owner, &plain_report()).await["report"]);
    let application_id = id_of(&apply(&app, &owner, report_id, "reissue").await);
    let question = json!({"question": "Someone phoned about a parcel at the post office."});
    let asked = app.client.post_json(CONSULTATIONS, Some(&owner), &question).await;
    let consultation_id = id_of(&asked.body["consultation"]);
    let before = everything_seen_by(&app, &owner).await;

    let report_path = format!("{REPORTS}/{report_id}");
    let application_path = format!("{APPLICATIONS}/{application_id}");
    let consultation_path = format!("{CONSULTATIONS}/{consultation_id}");

    // Another resident: the items do not exist for them; their lists are empty.
    for path in [&report_path, &application_path, &consultation_path] {
        app.client.get(path, Some(&other)).await.assert_problem(404, "not-found");
    }
    app.client
        .post_json(APPLICATIONS, Some(&other), &application(report_id, "temporary"))
        .await
        .assert_problem(404, "not-found");
    act(&app, &other, application_id, "withdraw", None).await.assert_problem(404, "not-found");
    let others = everything_seen_by(&app, &other).await;
    for path in [REPORTS, APPLICATIONS, CONSULTATIONS, MY_CASES] {
        assert_eq!(others[path]["total"], 0, "{path}");
    }
    assert_eq!(others["/api/v1/me/inbox"]["items"], json!([]));

    // Anonymous callers are asked to sign in.
    for path in [REPORTS, APPLICATIONS, CONSULTATIONS, &report_path, &application_path, &consultation_path] {
        app.client.get(path, None).await.assert_problem(401, "unauthorized");
    }
    app.client.post_empty(&format!("{application_path}/accept"), None).await.assert_problem(401, "unauthorized");

    // The desk: applications and reports, not the fraud queue.
    assert_eq!(app.client.get(&report_path, Some(&desk)).await.status, 200);
    assert_eq!(app.client.get(&application_path, Some(&desk)).await.status, 200);
    app.client.get(CONSULTATIONS, Some(&desk)).await.assert_problem(403, "forbidden");
    app.client.get(&consultation_path, Some(&desk)).await.assert_problem(403, "forbidden");
    let answer = json!({"verdict": "not-scam", "answer": "It is a real parcel."});
    app.client
        .post_json(&format!("{consultation_path}/answer"), Some(&desk), &answer)
        .await
        .assert_problem(403, "forbidden");

    // The community police office: the fraud queue, not applications or reports.
    assert_eq!(app.client.get(&consultation_path, Some(&officer)).await.status, 200);
    for path in [REPORTS, APPLICATIONS, &report_path, &application_path] {
        app.client.get(path, Some(&officer)).await.assert_problem(403, "forbidden");
    }
    for action in ["accept", "collected"] {
        act(&app, &officer, application_id, action, None).await.assert_problem(403, "forbidden");
    }

    // Other units and the admin: nothing at all.
    for token in [&committee, &water, &admin] {
        for path in [REPORTS, APPLICATIONS, CONSULTATIONS, &report_path, &application_path, &consultation_path] {
            app.client.get(path, Some(token)).await.assert_problem(403, "forbidden");
        }
        act(&app, token, application_id, "accept", None).await.assert_problem(403, "forbidden");
        let (pickup, _, _) = window();
        act(&app, token, application_id, "ready", Some(pickup)).await.assert_problem(403, "forbidden");
        act(&app, token, application_id, "reject", Some(json!({"reason": "no"})))
            .await
            .assert_problem(403, "forbidden");
        app.client
            .post_json(&format!("{consultation_path}/answer"), Some(token), &answer)
            .await
            .assert_problem(403, "forbidden");
    }
    // In the platform's case queues, each case is with its own unit only.
    let queue = |token: &str| {
        let (client, token) = (&app.client, token.to_owned());
        async move { client.get(&format!("{STAFF_CASES}?service=lost-id-reissue"), Some(&token)).await.body }
    };
    let (desk_cases, fraud_cases) = (queue(&desk).await, queue(&officer).await);
    assert_eq!((desk_cases["total"].as_i64(), desk_cases["items"][0]["kind"].as_str()), (Some(1), Some("id-reissue")));
    assert_eq!(
        (fraud_cases["total"].as_i64(), fraud_cases["items"][0]["kind"].as_str()),
        (Some(1), Some("fraud-referral"))
    );
    assert_eq!(queue(&committee).await["total"], 0);
    let fraud_case = fraud_cases["items"][0]["id"].as_i64().unwrap();
    let desk_case = desk_cases["items"][0]["id"].as_i64().unwrap();
    app.client.get(&format!("{STAFF_CASES}/{fraud_case}"), Some(&desk)).await.assert_problem(404, "not-found");
    app.client.get(&format!("{STAFF_CASES}/{desk_case}"), Some(&officer)).await.assert_problem(404, "not-found");

    assert_eq!(everything_seen_by(&app, &owner).await, before, "nothing anyone tried changed anything");
    let still = app.client.get(&application_path, Some(&owner)).await.body;
    assert_eq!(still["status"], "submitted");
}

/// Story 2: a report whose story shows signs of telecom fraud is recorded,
/// warns the resident at once (in the answer and the inbox) and refers a
/// case to the community police office, who answer it; the desk of the
/// police station does not see it.
async fn a_report_with_signs_of_fraud_warns_at_once_and_goes_to_the_community_police(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (resident, resident_id) = app.resident("worried").await;
    fill_profile(&app, &resident, NAME, ID_NUMBER).await;
    let desk = app.staff("desk-officer", DESK).await;
    let officer = app.staff("anti-fraud-officer", ANTI_FRAUD).await;
    let officer_id = account_id(&app, &officer).await;

    let story = json!({
        "lost_on": city_day(0),
        "place": "一个陌生电话",
        "circumstances": "丢了身份证后有人打电话说我的银行账户被冻结，要先交保证金，再把钱转到安全账户。"
    });
    let filed = report(&app, &resident, &story).await;
    let report_id = id_of(&filed["report"]);
    assert_eq!(filed["report"]["status"], "reported-lost", "the loss is recorded all the same");
    let signs = json!(["frozen-account", "deposit", "safe-account"]);
    assert_eq!(filed["report"]["fraud_signs"], signs);

    // The warning, at once: stop paying, share no codes, call 96110 or 110.
    let warning = &filed["fraud_warning"];
    assert_eq!((warning["level"].as_str(), &warning["signs"]), (Some("warning"), &signs));
    let message = warning["message"].as_str().unwrap();
    assert!(message.contains("Stop transferring or paying money"), "{message}");
    assert!(message.contains("do not give anyone a verification code"), "{message}");
    assert!(message.contains("96110") && message.contains("110"), "{message}");
    assert_eq!(warning["hotlines"], json!(["96110", "110"]));
    assert_eq!((warning["language"].as_str(), warning["dir"].as_str()), (Some("en"), Some("ltr")));
    // In Uyghur, right to left, the same numbers.
    let ug = [("content-type", "application/json"), ("accept-language", "ug")];
    let in_ug = app.client.send("POST", REPORTS, Some(&resident), &ug, Some(story.to_string().into())).await;
    assert_eq!(in_ug.status, 201, "{}", in_ug.body);
    assert_eq!(in_ug.body["fraud_warning"]["dir"], "rtl");
    assert!(in_ug.body["fraud_warning"]["message"].as_str().unwrap().contains("96110"));

    // A consultation in the anti-fraud queue, with its case at the community police office.
    let consultation_id = filed["report"]["consultation_id"].as_i64().unwrap();
    let path = format!("{CONSULTATIONS}/{consultation_id}");
    let consultation = app.client.get(&path, Some(&resident)).await.body;
    assert_eq!((consultation["source"].as_str(), consultation["status"].as_str()), (Some("report"), Some("open")));
    assert_eq!(consultation["report_id"], report_id);
    assert_eq!(consultation["signs"], signs);
    assert!(consultation["question"].as_str().unwrap().contains("保证金"));
    let reference = consultation["case_reference"].as_str().unwrap().to_owned();
    assert!(reference.starts_with("AF-"), "{reference}");
    let case = my_case(&app, &resident, &reference).await;
    assert_eq!((case["kind"].as_str(), case["unit"].as_str()), (Some("fraud-referral"), Some(ANTI_FRAUD)));
    let (opened, due) = (case["opened_at"].as_str().unwrap(), case["due_at"].as_str().unwrap());
    assert_eq!(seconds(due) - seconds(opened), 3 * 86_400, "answered within 3 days");
    assert_eq!(case["history"][0]["note"], "signs of telecom fraud: frozen-account, deposit, safe-account");
    let warned = service_message(format!(
        "Fraud alert ({reference}): what you described has the signs of telecom fraud. Stop transferring or \
         paying money now, do not give anyone a verification code, and call the anti-fraud line 96110 or the \
         police on 110. The community police office will contact you soon."
    ));
    let messages = inbox(&app, &resident).await;
    assert_eq!(messages[..2], [case_message(&reference, "opened"), warned.clone()]);

    // The community police office sees both reports' consultations; the desk sees none of them.
    let queue = app.client.get(&format!("{CONSULTATIONS}?status=open"), Some(&officer)).await.body;
    assert_eq!(queue["total"], 2);
    assert!(queue["items"].as_array().unwrap().iter().all(|c| c["resident"] == resident_id.as_str()));
    let cases = app.client.get(&format!("{STAFF_CASES}?service=lost-id-reissue"), Some(&officer)).await.body;
    assert_eq!(cases["total"], 2);
    app.client.get(CONSULTATIONS, Some(&desk)).await.assert_problem(403, "forbidden");
    assert_eq!(app.client.get(STAFF_CASES, Some(&desk)).await.body["total"], 0);
    let case_id = case["id"].as_i64().unwrap();
    app.client.get(&format!("{STAFF_CASES}/{case_id}"), Some(&desk)).await.assert_problem(404, "not-found");
    // ... while the desk still sees the loss report itself, for a reissue.
    assert_eq!(
        app.client.get(&format!("{REPORTS}/{report_id}"), Some(&desk)).await.body["consultation_id"],
        consultation_id
    );

    // The officer answers: the case closes and the resident reads the answer.
    let advice = "This is the safe account scam. Do not pay anything; we will visit you today.";
    let answered = answer_consultation(&app, &officer, consultation_id, "scam", advice).await;
    assert_eq!((answered["status"].as_str(), answered["verdict"].as_str()), (Some("answered"), Some("scam")));
    assert_eq!(answered["answered_by"], officer_id.as_str());
    let seen = app.client.get(&path, Some(&resident)).await.body;
    assert_eq!((seen["answer"].as_str(), seen["status"].as_str()), (Some(advice), Some("answered")));
    let case = my_case(&app, &resident, &reference).await;
    assert_eq!(case["status"], "completed");
    assert_eq!(
        steps(&case),
        [
            step("opened", "requested", ""),
            step("transition", "accepted", ANTI_FRAUD),
            step("transition", "in-progress", ANTI_FRAUD),
            step("transition", "completed", ANTI_FRAUD)
        ]
    );
    let again = app
        .client
        .post_json(&format!("{path}/answer"), Some(&officer), &json!({"verdict": "scam", "answer": "again"}))
        .await;
    assert!(again.assert_problem(409, "conflict").contains("already answered"));

    let messages = inbox(&app, &resident).await;
    let second_reference = app.client.get(CONSULTATIONS, Some(&resident)).await.body["items"][0]["case_reference"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        messages,
        [
            case_message(&reference, "opened"),
            warned,
            case_message(&second_reference, "opened"),
            service_message(format!(
                "Fraud alert ({second_reference}): what you described has the signs of telecom fraud. Stop \
                 transferring or paying money now, do not give anyone a verification code, and call the \
                 anti-fraud line 96110 or the police on 110. The community police office will contact you soon."
            )),
            case_message(&reference, "accepted"),
            case_message(&reference, "in progress"),
            case_message(&reference, "completed"),
            service_message(format!(
                "Answer to your scam question {reference}: this is a scam. Do not pay and do not give anyone a \
                 verification code; if you have paid, call the police on 110 now. The officer says: {advice}"
            )),
        ]
    );
    let open = app.client.get(&format!("{CONSULTATIONS}?status=open"), Some(&officer)).await.body;
    assert_eq!(open["total"], 1, "the other one still waits");
}

/// Story 3: a resident asks "is this a scam?" directly. With signs, a
/// warning; without, advice; either way the question lands in the
/// community police office's queue and is answered.
async fn is_this_a_scam_lands_in_the_same_queue_and_is_answered(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (asker, _) = app.resident("asker").await;
    let (calm, _) = app.resident("calm").await;
    let officer = app.staff("anti-fraud-officer", ANTI_FRAUD).await;

    let question =
        json!({"question": "A man on WeChat says I must pay a deposit before my loan is released. Is this a scam?"});
    let answer =
        app.client.send("POST", CONSULTATIONS, Some(&asker), &json_en(), Some(question.to_string().into())).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let id = id_of(&answer.body["consultation"]);
    assert_eq!(answer.headers["location"], format!("{CONSULTATIONS}/{id}"));
    let warning = &answer.body["fraud_warning"];
    assert_eq!((warning["level"].as_str(), &warning["signs"]), (Some("warning"), &json!(["deposit"])));
    assert!(warning["message"].as_str().unwrap().contains("Stop transferring or paying money"));
    let consultation = &answer.body["consultation"];
    assert_eq!((consultation["source"].as_str(), consultation["status"].as_str()), (Some("question"), Some("open")));
    assert_eq!(consultation["report_id"], Value::Null);
    let reference = consultation["case_reference"].as_str().unwrap().to_owned();

    // No sign: advice with the same numbers, no alarm in the inbox, but still a question for the police.
    let parcel = json!({"question": "Someone phoned to say my parcel is waiting at the post office."});
    let answer = app.client.send("POST", CONSULTATIONS, Some(&calm), &json_en(), Some(parcel.to_string().into())).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let calm_id = id_of(&answer.body["consultation"]);
    let advice = &answer.body["fraud_warning"];
    assert_eq!((advice["level"].as_str(), &advice["signs"]), (Some("advice"), &json!([])));
    assert!(advice["message"].as_str().unwrap().contains("96110"));
    assert_eq!(advice["hotlines"], json!(["96110", "110"]));
    let calm_reference = answer.body["consultation"]["case_reference"].as_str().unwrap().to_owned();
    assert_eq!(my_case(&app, &calm, &calm_reference).await["history"][0]["note"], "asked whether this is a scam");
    assert_eq!(inbox(&app, &calm).await, [case_message(&calm_reference, "opened")]);

    // One queue, both questions; each resident sees only their own.
    let queue = app.client.get(&format!("{CONSULTATIONS}?status=open"), Some(&officer)).await.body;
    let ids: Vec<i64> = queue["items"].as_array().unwrap().iter().map(id_of).collect();
    assert_eq!(ids, [calm_id, id], "newest first");
    assert_eq!(app.client.get(CONSULTATIONS, Some(&asker)).await.body["total"], 1);
    app.client.get(&format!("{CONSULTATIONS}/{calm_id}"), Some(&asker)).await.assert_problem(404, "not-found");

    let scam = "It is a loan scam: real lenders never ask for a deposit first.";
    answer_consultation(&app, &officer, id, "scam", scam).await;
    let real = "We called the post office: the parcel is real. Collect it with your ID.";
    let answered = answer_consultation(&app, &officer, calm_id, "not-scam", real).await;
    assert_eq!(answered["verdict"], "not-scam");
    assert_eq!(app.client.get(&format!("{CONSULTATIONS}?status=open"), Some(&officer)).await.body["total"], 0);
    assert_eq!(app.client.get(&format!("{CONSULTATIONS}?status=answered"), Some(&officer)).await.body["total"], 2);

    assert_eq!(
        inbox(&app, &asker).await,
        [
            case_message(&reference, "opened"),
            service_message(format!(
                "Fraud alert ({reference}): what you described has the signs of telecom fraud. Stop transferring \
                 or paying money now, do not give anyone a verification code, and call the anti-fraud line 96110 \
                 or the police on 110. The community police office will contact you soon."
            )),
            case_message(&reference, "accepted"),
            case_message(&reference, "in progress"),
            case_message(&reference, "completed"),
            service_message(format!(
                "Answer to your scam question {reference}: this is a scam. Do not pay and do not give anyone a \
                 verification code; if you have paid, call the police on 110 now. The officer says: {scam}"
            )),
        ]
    );
    let calm_inbox = inbox(&app, &calm).await;
    assert_eq!(
        calm_inbox.last().unwrap(),
        &service_message(format!(
            "Answer to your scam question {calm_reference}: no scam was found. The officer says: {real}"
        ))
    );
    assert_eq!(calm_inbox.len(), 5, "opened, three moves, the answer: {calm_inbox:?}");

    // An unsure verdict says so, and still tells the resident to stay alert.
    let third =
        app.client.post_json(CONSULTATIONS, Some(&calm), &json!({"question": "A text says I won a prize."})).await;
    let third_id = id_of(&third.body["consultation"]);
    let third_reference = third.body["consultation"]["case_reference"].as_str().unwrap().to_owned();
    answer_consultation(&app, &officer, third_id, "unsure", "Send us the number that texted you.").await;
    assert_eq!(
        inbox(&app, &calm).await.last().unwrap().1,
        format!(
            "Answer to your scam question {third_reference}: it is not yet clear. Stay alert: do not pay, do not \
             give anyone a verification code, and in doubt call 96110. The officer says: Send us the number that \
             texted you."
        )
    );
}
