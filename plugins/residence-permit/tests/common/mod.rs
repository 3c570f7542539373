//! What the stories share: the in-memory platform built from this plugin's
//! `plugin.toml`, the people who call, a valid application, and a snapshot
//! of everything the service can change (to prove a refusal changed nothing).

#![allow(dead_code)]

use onewindow_sdk::UnitKind;
use onewindow_sdk::cases::Status;
use onewindow_sdk::harness::{Harness, TestCaller, TestRequest, TestResponse};
use onewindow_sdk::time::{Date, today};
use residence_permit::ResidencePermit;
use residence_permit::calendar;
use serde_json::{Value, json};

pub const MANIFEST: &str = include_str!("../../plugin.toml");

pub fn harness() -> Harness {
    Harness::from_manifest(MANIFEST).expect("plugin.toml is valid")
}

pub fn aygul() -> TestCaller {
    TestCaller::resident("r-1")
}

pub fn erkin() -> TestCaller {
    TestCaller::resident("r-2")
}

/// Staff of the household registration desk.
pub fn desk() -> TestCaller {
    TestCaller::staff("desk-1", "police-central", UnitKind::Police)
}

/// Everyone who is neither a resident nor police staff.
pub fn outsiders() -> Vec<(TestCaller, u16)> {
    vec![
        (TestCaller::anonymous(), 401),
        (TestCaller::staff("c-1", "community-east", UnitKind::Community), 403),
        (TestCaller::staff("j-1", "judicial-office", UnitKind::Judicial), 403),
        (TestCaller::staff("w-1", "partner-water", UnitKind::Partner), 403),
        (TestCaller::admin("admin"), 403),
    ]
}

pub fn call(h: &mut Harness, method: &str, path: &str, who: &TestCaller, body: Option<Value>) -> TestResponse {
    h.call::<ResidencePermit>(method, path, who, body)
}

/// Calls with `Accept-Language: en`.
pub fn call_en(h: &mut Harness, method: &str, path: &str, who: &TestCaller, body: Option<Value>) -> TestResponse {
    let mut request = TestRequest::new(method, path).caller(who).header("accept-language", "en");
    if let Some(body) = body {
        request = request.json(&body);
    }
    h.send::<ResidencePermit>(request)
}

pub fn ok(answer: TestResponse, status: u16) -> Value {
    assert_eq!(answer.status, status, "{}", answer.text());
    answer.json()
}

/// The fields a 422 names, in order.
pub fn fields(answer: &TestResponse) -> Vec<String> {
    assert_eq!(
        (answer.status, answer.problem_type().as_deref()),
        (422, Some("validation-failed")),
        "{}",
        answer.text()
    );
    answer.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect()
}

/// The problem's detail, checking its status and type.
pub fn problem(answer: &TestResponse, status: u16, kind: &str) -> String {
    assert_eq!((answer.status, answer.problem_type().as_deref()), (status, Some(kind)), "{}", answer.text());
    answer.json()["detail"].as_str().unwrap().to_owned()
}

/// An arrival long enough ago (more than six months, always).
pub fn settled() -> String {
    today().add_days(-200).to_string()
}

/// The latest arrival date that may apply today, and the day after it (which may not).
pub fn six_months_boundary() -> (Date, Date) {
    let today = today();
    let latest = (150..=200).map(|days| today.add_days(-days)).find(|a| calendar::may_apply(*a, today)).unwrap();
    (latest, latest.add_days(1))
}

pub fn application() -> Value {
    json!({
        "full_name": "Aygül Tursun",
        "id_number": "11010519491231002X",
        "current_address": "Room 3, 12 Jiefang South Road, Tianshan District",
        "arrival_date": settled(),
        "reason": "employment",
        "employer_or_school": "City Power Supply Co.",
        "phone": "138 0013 8000",
    })
}

/// Applies as `who` with a valid application; its id.
pub fn apply(h: &mut Harness, who: &TestCaller) -> i64 {
    ok(call(h, "POST", "/applications", who, Some(application())), 201)["id"].as_i64().unwrap()
}

/// Moves application `id` as the desk; the answer.
pub fn moved(h: &mut Harness, id: i64, body: Value) -> Value {
    ok(call(h, "POST", &format!("/applications/{id}/transition"), &desk(), Some(body)), 200)
}

/// Applies as `who` and has the desk issue the permit; (application id, permit id).
pub fn issued(h: &mut Harness, who: &TestCaller) -> (i64, i64) {
    let id = apply(h, who);
    for to in ["under-review", "approved", "issued"] {
        moved(h, id, json!({ "to": to }));
    }
    let permit = h.rows("applications").into_iter().find(|a| a["id"] == id).unwrap()["permit_id"].as_i64().unwrap();
    (id, permit)
}

/// Seeds a permit of `holder` valid until `valid_until`; its id.
pub fn seed_permit(h: &mut Harness, holder: &str, number: &str, valid_until: Date) -> i64 {
    h.insert(
        "permits",
        json!({
            "holder": holder, "application_id": 900 + h.rows("permits").len() as i64, "permit_number": number,
            "full_name": "Aygül Tursun", "id_number": "11010519491231002X",
            "current_address": "Room 3, 12 Jiefang South Road", "reason": "employment",
            "valid_from": valid_until.add_days(-365).to_string(), "valid_until": valid_until.to_string(),
            "endorsements": 0, "issued_by": "desk-0", "issued_at": "2025-01-01T00:00:00Z",
            "updated_at": "2025-01-01T00:00:00Z",
        }),
    )
}

pub fn case_status(h: &Harness, id: i64) -> Status {
    h.cases().into_iter().find(|c| c.id == id).expect("the case exists").status
}

/// The transitions of case `id`, as (action, to-status) pairs.
pub fn case_moves(h: &Harness, id: i64) -> Vec<(String, Option<Status>)> {
    h.case_history(id).into_iter().map(|e| (e.action, e.to_status)).collect()
}

/// The templates of the messages sent so far, in order.
pub fn templates_sent(h: &Harness) -> Vec<String> {
    h.messages().iter().map(|m| m.template.clone()).collect()
}

/// Everything the service can change.
pub fn state(h: &Harness) -> String {
    format!(
        "{:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
        h.rows("applications"),
        h.rows("permits"),
        h.rows("permit_serials"),
        h.rows("endorsements"),
        h.records("resident_profile"),
        h.records("floating_population"),
        h.records("rental_housing"),
        h.cases(),
        h.messages(),
    )
}

/// Every message sent fills placeholders that each language of its
/// template has (the platform refuses a message otherwise; the harness
/// does not check it), with values the platform accepts.
pub fn assert_messages_render(h: &Harness) {
    for message in h.messages() {
        let texts = template_texts(&message.template);
        assert_eq!(texts.len(), 3, "template `{}` has zh, ug and en", message.template);
        for (name, value) in &message.params {
            assert!(value.chars().count() <= 500, "{name} is too long for the platform");
            for text in &texts {
                assert!(text.contains(&format!("{{{name}}}")), "`{}` lacks {{{name}}}: {text}", message.template);
            }
        }
        for text in &texts {
            let placeholders = text.matches('{').count();
            assert_eq!(placeholders, message.params.len(), "`{}` fills every placeholder: {text}", message.template);
        }
    }
}

/// The three texts of `[templates.NAME]` in the manifest.
pub fn template_texts(name: &str) -> Vec<String> {
    let header = format!("[templates.{name}]");
    let start = MANIFEST.find(&header).unwrap_or_else(|| panic!("no template {name}")) + header.len();
    let section = MANIFEST[start..].split("\n[").next().unwrap_or_default();
    section.lines().filter(|line| line.contains(" = \"")).map(|line| line.to_owned()).collect()
}
