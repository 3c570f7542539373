//! The utility-referral service, end to end, as residents and the staff of each unit
//! involved use it.
//!
//! A resident reports a utility problem once; the service proposes the partner unit from a
//! directory admins keep (the resident may choose another that handles it), files a referral
//! as a platform case with that unit — with the resident's phone and address only when they
//! tick "share" — and the unit's staff work it. Urgent problems get their safety steps at
//! once; a unit with a service of its own gets its reports handed off there.

use onewindow_tests::{Answer, Backend, TestApp, on_both_backends};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const SERVICE: &str = "utility-referral";
const UNITS: &str = "/api/v1/services/utility-referral/units";
const CATEGORIES: &str = "/api/v1/services/utility-referral/categories";
const REFERRALS: &str = "/api/v1/services/utility-referral/referrals";
const MY_CASES: &str = "/api/v1/me/cases";
const INBOX: &str = "/api/v1/me/inbox";
const ACCESS_LOG: &str = "/api/v1/me/access-log";
const STAFF_CASES: &str = "/api/v1/staff/cases";

/// The platform's nine partner units, in the directory's order.
const PARTNERS: [&str; 9] = [
    "partner-electricity",
    "partner-water",
    "partner-gas",
    "partner-heating",
    "partner-property",
    "partner-telecom",
    "partner-cable-tv",
    "partner-postal",
    "partner-sanitation",
];

/// Every category, in the directory's order.
const CATEGORY_CODES: [&str; 12] = [
    "gas-smell",
    "no-gas",
    "power-line-down",
    "power-cut",
    "no-water",
    "water-leak",
    "heating",
    "property-repair",
    "phone-broadband",
    "cable-tv",
    "post",
    "rubbish",
];

on_both_backends!(
    anyone_reads_the_directory_of_the_nine_partner_units_and_what_each_category_proposes,
    only_an_admin_edits_the_directory_and_a_bad_edit_changes_nothing,
    a_resident_reports_no_water_without_sharing_and_the_water_company_works_it_to_completion,
    with_the_residents_tick_their_phone_and_address_go_to_the_unit_they_chose_and_no_other,
    a_unit_declines_with_a_reason_and_a_resident_withdraws_until_work_starts,
    urgent_problems_are_due_soonest_and_show_the_safety_steps_at_once,
    a_unit_with_its_own_service_gets_its_reports_handed_off_and_nothing_is_filed_here,
);

// ---------------------------------------------------------------- helpers

/// A request with a JSON body (or none), answered in English.
async fn send(app: &TestApp, method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> Answer {
    let headers = [("accept-language", "en"), ("content-type", "application/json")];
    let body = body.map(|b| serde_json::to_vec(b).unwrap());
    let headers = if body.is_some() { &headers[..] } else { &headers[..1] };
    app.client.send(method, path, token, headers, body).await
}

async fn get(app: &TestApp, path: &str, token: Option<&str>) -> Answer {
    send(app, "GET", path, token, None).await
}

async fn put(app: &TestApp, path: &str, token: Option<&str>, body: &Value) -> Answer {
    send(app, "PUT", path, token, Some(body)).await
}

async fn post(app: &TestApp, path: &str, token: Option<&str>, body: &Value) -> Answer {
    send(app, "POST", path, token, Some(body)).await
}

/// A report of no water at home, with the details the water company asks for.
fn no_water() -> Value {
    json!({
        "category": "no-water",
        "description": "No water since this morning, the neighbours too",
        "details": {"account_number": "1002003004", "started_at": "today 07:00"},
        "share_contact": false,
    })
}

/// Files a report that must be accepted; returns the referral.
async fn report(app: &TestApp, token: &str, body: &Value) -> Value {
    let answer = post(app, REFERRALS, Some(token), body).await;
    assert_eq!(answer.status, 201, "report {body}: {}", answer.body);
    answer.body
}

fn id_of(referral: &Value) -> i64 {
    referral["id"].as_i64().expect("a referral id")
}

fn reference_of(referral: &Value) -> String {
    referral["reference"].as_str().expect("a case reference").to_owned()
}

/// A unit's staff move a referral (`{"to", "reason"?, "note"?}`).
async fn work(app: &TestApp, staff: &str, id: i64, body: &Value) -> Answer {
    post(app, &format!("{REFERRALS}/{id}/transition"), Some(staff), body).await
}

/// A move that must succeed; returns the referral.
async fn move_to(app: &TestApp, staff: &str, id: i64, body: Value) -> Value {
    let answer = work(app, staff, id, &body).await;
    assert_eq!(answer.status, 200, "{body}: {}", answer.body);
    assert_eq!(answer.body["status"], body["to"]);
    answer.body
}

/// The resident's inbox, newest first, as (source, English text).
async fn inbox(app: &TestApp, token: &str) -> Vec<(String, String)> {
    let answer = get(app, INBOX, Some(token)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["source"].as_str().unwrap().to_owned(), m["text"].as_str().unwrap().to_owned()))
        .collect()
}

/// The platform's (source, text) of a case status message.
fn status_message(reference: &str, status: &str) -> (String, String) {
    ("cases".to_owned(), format!("Your case {reference} is now {status}."))
}

fn opened_message(reference: &str) -> (String, String) {
    ("cases".to_owned(), format!("Your case {reference} has been opened."))
}

fn service_message(text: String) -> (String, String) {
    (SERVICE.to_owned(), text)
}

/// The resident's case with `reference` in "my cases".
async fn my_case(app: &TestApp, token: &str, reference: &str) -> Value {
    let cases = get(app, MY_CASES, Some(token)).await.body;
    let found = cases["items"].as_array().unwrap().iter().find(|c| c["reference"] == reference);
    found.unwrap_or_else(|| panic!("no case {reference} in {cases:#}")).clone()
}

/// A case's data as an object (stored as JSON text).
fn case_data(case: &Value) -> Value {
    match &case["data"] {
        Value::String(text) => serde_json::from_str(text).expect("case data is JSON"),
        other => other.clone(),
    }
}

/// `(action, to_status, actor, via)` of each history entry the resident sees.
fn history(case: &Value) -> Vec<(String, String, String, String)> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    case["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (text(&e["action"]), text(&e["to_status"]), text(&e["actor"]), text(&e["via"])))
        .collect()
}

/// What a resident can see of themselves: their referrals, cases, inbox and access log.
async fn footprint(app: &TestApp, token: &str) -> [Value; 4] {
    let mut seen = Vec::new();
    for path in [REFERRALS, MY_CASES, INBOX, ACCESS_LOG] {
        let answer = get(app, path, Some(token)).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        seen.push(answer.body);
    }
    seen.try_into().unwrap()
}

/// The referral ids in a list answer.
fn ids(list: &Answer) -> Vec<i64> {
    assert_eq!(list.status, 200, "{}", list.body);
    list.body["items"].as_array().unwrap().iter().map(id_of).collect()
}

/// Fills the resident's shared profile.
async fn set_profile(app: &TestApp, token: &str, profile: Value) {
    let answer = send(app, "PATCH", "/api/v1/me/profile", Some(token), Some(&profile)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

/// A directory entry as an admin writes it back (without what the service computes).
async fn entry_to_edit(app: &TestApp, unit: &str) -> Value {
    let mut entry = get(app, &format!("{UNITS}/{unit}"), None).await.body;
    for computed in ["unit_id", "updated_at", "updated_by", "default_for"] {
        entry.as_object_mut().unwrap().remove(computed).expect("a computed field");
    }
    entry
}

fn at(text: &str) -> OffsetDateTime {
    OffsetDateTime::parse(text, &Rfc3339).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// Seconds from `from` to `to` (RFC 3339 texts).
fn seconds_between(from: &Value, to: &Value) -> i64 {
    (at(to.as_str().unwrap()) - at(from.as_str().unwrap())).whole_seconds()
}

async fn account_id(app: &TestApp, token: &str) -> String {
    get(app, "/api/v1/auth/me", Some(token)).await.body["id"].as_str().unwrap().to_owned()
}

// ---------------------------------------------------------------- the directory

async fn anyone_reads_the_directory_of_the_nine_partner_units_and_what_each_category_proposes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let listed = get(&app, UNITS, None).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let items = listed.body["items"].as_array().unwrap();
    let units: Vec<&str> = items.iter().map(|e| e["unit_id"].as_str().unwrap()).collect();
    assert_eq!(units, PARTNERS, "the nine partner units, by their platform unit ids");

    // Each entry is the platform's unit, named in three languages, with what it handles.
    let admin = app.admin_token().await;
    let platform = get(&app, "/api/v1/admin/units", Some(&admin)).await.body;
    for entry in items {
        let unit = platform.as_array().unwrap().iter().find(|u| u["id"] == entry["unit_id"]).expect("a platform unit");
        assert_eq!(unit["kind"], "partner");
        assert_eq!(entry["name"], json!({"zh": unit["name_zh"], "ug": unit["name_ug"], "en": unit["name_en"]}));
        for texts in ["description", "hours"] {
            for language in ["zh", "ug", "en"] {
                assert!(!entry[texts][language].as_str().unwrap().is_empty(), "{texts}.{language} of {entry}");
            }
        }
        assert!(!entry["categories"].as_array().unwrap().is_empty(), "{entry}");
        assert!(entry["details_required"].is_array(), "{entry}");
        assert!(!entry["hotline"].as_str().unwrap().is_empty(), "{entry}");
        assert_eq!((&entry["handled_by_service"], &entry["updated_by"]), (&Value::Null, &json!("system")));
    }
    let entry = |unit: &str| items.iter().find(|e| e["unit_id"] == unit).unwrap().clone();
    let gas = entry("partner-gas");
    assert_eq!(gas["name"]["en"], "Gas Company");
    assert_eq!(gas["categories"], json!(["gas-smell", "no-gas"]));
    assert_eq!(gas["details_required"], json!(["account_number"]));
    assert_eq!(gas["hours"]["en"], "Emergency line 24 hours; service hall Mon–Sat 9:00–18:00");
    assert_eq!(gas["hotline"], "0991-96777");
    assert_eq!(gas["default_for"], json!(["gas-smell", "no-gas"]));
    // The property company handles five categories and is proposed for one.
    let property = entry("partner-property");
    assert_eq!(property["categories"], json!(["property-repair", "heating", "no-water", "water-leak", "power-cut"]));
    assert_eq!((&property["default_for"], &property["details_required"]), (&json!(["property-repair"]), &json!([])));
    // Every category is proposed to exactly one unit.
    let mut proposed: Vec<String> = items
        .iter()
        .flat_map(|e| e["default_for"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()))
        .collect();
    proposed.sort();
    let mut codes = CATEGORY_CODES.map(str::to_owned).to_vec();
    codes.sort();
    assert_eq!(proposed, codes);

    // Residents and staff read the same directory; one entry reads alone; a non-partner has none.
    let (resident, _) = app.resident("reader").await;
    let clerk = app.staff("post-clerk", "partner-postal").await;
    assert_eq!(get(&app, UNITS, Some(&resident)).await.body, listed.body);
    assert_eq!(get(&app, UNITS, Some(&clerk)).await.body, listed.body);
    let postal = get(&app, &format!("{UNITS}/partner-postal"), None).await;
    assert_eq!(postal.status, 200, "{}", postal.body);
    assert_eq!(postal.body, entry("partner-postal"));
    assert_eq!(
        (postal.body["hotline"].as_str(), &postal.body["details_required"]),
        (Some("11183"), &json!(["tracking_number"]))
    );
    get(&app, &format!("{UNITS}/police-central"), None).await.assert_problem(404, "not-found");

    // The categories, each with the unit proposed, the alternatives and what to give.
    let categories = get(&app, CATEGORIES, None).await;
    assert_eq!(categories.status, 200, "{}", categories.body);
    assert_eq!(categories.header("content-language"), Some("en"));
    let all = categories.body["items"].as_array().unwrap();
    let codes: Vec<&str> = all.iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert_eq!(codes, CATEGORY_CODES);
    let water = all.iter().find(|c| c["code"] == "no-water").unwrap();
    assert_eq!(
        water,
        &json!({
            "code": "no-water",
            "name": "No water",
            "urgency": "outage",
            "respond_within_hours": 24,
            "unit": "partner-water",
            "unit_name": "Water Supply Company",
            "units": ["partner-water", "partner-property"],
            "details_required": [
                {"key": "account_number", "label": "Account number (on your bill)"},
                {"key": "started_at", "label": "When it started"}
            ],
            "handled_by_service": null,
            "safety": null,
        })
    );
    let rubbish = all.iter().find(|c| c["code"] == "rubbish").unwrap();
    assert_eq!((rubbish["urgency"].as_str(), &rubbish["respond_within_hours"]), (Some("routine"), &Value::Null));
    assert_eq!(
        (rubbish["unit"].as_str(), &rubbish["units"]),
        (Some("partner-sanitation"), &json!(["partner-sanitation"]))
    );
    let one = get(&app, &format!("{CATEGORIES}/no-water"), None).await;
    assert_eq!(&one.body, water);
    get(&app, &format!("{CATEGORIES}/flood"), None).await.assert_problem(404, "not-found");

    // Chinese unless asked otherwise.
    let chinese = app.client.get(&format!("{CATEGORIES}/no-water"), None).await;
    assert_eq!((chinese.body["name"].as_str(), chinese.body["unit_name"].as_str()), (Some("停水"), Some("自来水公司")));
    assert_eq!(chinese.header("content-language"), Some("zh"));
}

/// A whole entry for the water company, as an admin writes it.
fn water_entry() -> Value {
    json!({
        "name": {"zh": "自来水公司", "ug": "سۇ تەمىنلەش شىركىتى", "en": "City Water"},
        "description": {"zh": "供水", "ug": "سۇ تەمىناتى", "en": "Water supply"},
        "categories": ["no-water", "water-leak"],
        "details_required": ["account_number"],
        "hours": {"zh": "24小时", "ug": "24 سائەت", "en": "24 hours"},
        "hotline": "0991-96655",
        "phone": "0991-4812345",
        "email": "help@water.example.cn",
        "handled_by_service": null,
    })
}

async fn only_an_admin_edits_the_directory_and_a_bad_edit_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let admin_id = account_id(&app, &admin).await;
    let (resident, _) = app.resident("tinkerer").await;
    let water_staff = app.staff("water-clerk", "partner-water").await;
    let before = get(&app, UNITS, None).await.body;
    let water = format!("{UNITS}/partner-water");

    for (token, status, slug) in
        [(None, 401, "unauthorized"), (Some(&resident), 403, "forbidden"), (Some(&water_staff), 403, "forbidden")]
    {
        put(&app, &water, token.map(String::as_str), &water_entry()).await.assert_problem(status, slug);
    }

    // A bad edit names every bad field at once.
    let mut bad = water_entry();
    bad["name"] = json!({"zh": "水", "en": "Water", "fr": "Eau"});
    bad["categories"] = json!(["water-leak", "flood", "water-leak"]);
    bad["details_required"] = json!(["shoe_size"]);
    bad["hotline"] = json!("call us");
    bad["email"] = json!("help at water");
    bad["handled_by_service"] = json!("Water Service");
    bad["colour"] = json!("blue");
    let refused = put(&app, &water, Some(&admin), &bad).await;
    assert_eq!(
        refused.problem_fields(),
        [
            "name.ug",
            "name.fr",
            "categories[1]",
            "categories[2]",
            "details_required[0]",
            "hotline",
            "email",
            "handled_by_service",
            "colour"
        ]
    );
    // An entry may not drop a category still proposed to it, nor hand its reports to this service.
    let mut drops = water_entry();
    drops["categories"] = json!(["water-leak"]);
    let refused = put(&app, &water, Some(&admin), &drops).await;
    assert_eq!(refused.problem_fields(), ["categories"]);
    assert!(refused.body["errors"][0]["message"].as_str().unwrap().contains("no-water"), "{}", refused.body);
    let mut itself = water_entry();
    itself["handled_by_service"] = json!(SERVICE);
    assert_eq!(put(&app, &water, Some(&admin), &itself).await.problem_fields(), ["handled_by_service"]);
    put(&app, &format!("{UNITS}/partner-nowhere"), Some(&admin), &water_entry()).await.assert_problem(404, "not-found");
    assert_eq!(get(&app, UNITS, None).await.body, before, "no refused edit stored anything");

    // The admin's edit replaces the entry, and only that one.
    let edited = put(&app, &water, Some(&admin), &water_entry()).await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert_eq!(edited.body["name"]["en"], "City Water");
    assert_eq!(
        (edited.body["email"].as_str(), edited.body["phone"].as_str()),
        (Some("help@water.example.cn"), Some("0991-4812345"))
    );
    assert_eq!(
        (edited.body["updated_by"].as_str(), &edited.body["default_for"]),
        (Some(admin_id.as_str()), &json!(["no-water", "water-leak"]))
    );
    let after = get(&app, UNITS, None).await.body;
    for (old, new) in before["items"].as_array().unwrap().iter().zip(after["items"].as_array().unwrap()) {
        if new["unit_id"] == "partner-water" {
            assert_eq!(new, &edited.body);
        } else {
            assert_eq!(new, old, "no other entry changed");
        }
    }
    // What the water company asks for changed at once: no start time needed now.
    let proposal = get(&app, &format!("{CATEGORIES}/no-water"), None).await.body;
    assert_eq!(
        (proposal["unit_name"].as_str(), &proposal["details_required"][0]["key"]),
        (Some("City Water"), &json!("account_number"))
    );
    assert_eq!(proposal["details_required"].as_array().unwrap().len(), 1);
    let mut without_start = no_water();
    without_start["details"] = json!({"account_number": "1002003004"});
    let filed = report(&app, &resident, &without_start).await;
    assert_eq!((filed["unit"].as_str(), filed["unit_name"].as_str()), (Some("partner-water"), Some("City Water")));

    // An admin points a category at another unit that handles it; nobody else may.
    let heating = format!("{CATEGORIES}/heating");
    let to_property = json!({"unit": "partner-property"});
    put(&app, &heating, None, &to_property).await.assert_problem(401, "unauthorized");
    put(&app, &heating, Some(&resident), &to_property).await.assert_problem(403, "forbidden");
    put(&app, &heating, Some(&water_staff), &to_property).await.assert_problem(403, "forbidden");
    let wrong = put(&app, &heating, Some(&admin), &json!({"unit": "partner-postal", "why": "closer"})).await;
    assert_eq!(wrong.problem_fields(), ["unit", "why"]);
    assert!(wrong.body["errors"][0]["message"].as_str().unwrap().contains("partner-heating, partner-property"));
    put(&app, &format!("{CATEGORIES}/flood"), Some(&admin), &to_property).await.assert_problem(404, "not-found");
    assert_eq!(get(&app, &heating, None).await.body["unit"], "partner-heating", "nothing moved yet");

    let moved = put(&app, &heating, Some(&admin), &to_property).await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(
        (moved.body["unit"].as_str(), &moved.body["units"]),
        (Some("partner-property"), &json!(["partner-property", "partner-heating"]))
    );
    let units = get(&app, UNITS, None).await.body;
    let default_for = |unit: &str| {
        units["items"].as_array().unwrap().iter().find(|e| e["unit_id"] == unit).unwrap()["default_for"].clone()
    };
    assert_eq!(
        (default_for("partner-property"), default_for("partner-heating")),
        (json!(["heating", "property-repair"]), json!([]))
    );
    // A heating report now goes to the property company, as its case.
    let (heated, _) = app.resident("cold-flat").await;
    let filed =
        report(&app, &heated, &json!({"category": "heating", "description": "radiators cold", "share_contact": false}))
            .await;
    assert_eq!(
        (filed["unit"].as_str(), filed["proposed_unit"].as_str()),
        (Some("partner-property"), Some("partner-property"))
    );
    assert_eq!(my_case(&app, &heated, &reference_of(&filed)).await["unit"], "partner-property");
}

// ---------------------------------------------------------------- reports and their work

async fn a_resident_reports_no_water_without_sharing_and_the_water_company_works_it_to_completion(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (resident, resident_id) = app.resident("dry-tap").await;
    let (neighbour, _) = app.resident("neighbour").await;
    let water = app.staff("water-clerk", "partner-water").await;
    let gas = app.staff("gas-clerk", "partner-gas").await;
    set_profile(
        &app,
        &resident,
        json!({"phone": "13800138000", "current_address": "3 Garden Road", "area": "east-gate"}),
    )
    .await;

    // The service proposes the water company; the resident ticks nothing, so nothing personal goes.
    let answer = post(&app, REFERRALS, Some(&resident), &no_water()).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let created = answer.body.clone();
    let id = id_of(&created);
    let reference = reference_of(&created);
    assert_eq!(answer.header("location"), Some(format!("{REFERRALS}/{id}").as_str()));
    assert!(reference.starts_with("URO-"), "an outage: {reference}");
    assert_eq!((created["status"].as_str(), created["unit"].as_str()), (Some("requested"), Some("partner-water")));
    assert_eq!(
        (created["proposed_unit"].as_str(), created["unit_name"].as_str()),
        (Some("partner-water"), Some("Water Supply Company"))
    );
    assert_eq!((created["category_name"].as_str(), created["urgency"].as_str()), (Some("No water"), Some("outage")));
    assert_eq!(created["details"], json!({"account_number": "1002003004", "started_at": "today 07:00"}));
    assert_eq!(
        (&created["share_contact"], &created["contact"], &created["consented_at"]),
        (&json!(false), &Value::Null, &Value::Null)
    );
    assert_eq!(created["safety"], Value::Null);
    assert_eq!(get(&app, &format!("{REFERRALS}/{id}"), Some(&resident)).await.body, created);

    // It is a case of the water company's: in "my cases" and in the unit's console, without contact.
    let case = my_case(&app, &resident, &reference).await;
    assert_eq!((case["service"].as_str(), case["kind"].as_str()), (Some(SERVICE), Some("outage")));
    assert_eq!(
        (case["unit"].as_str(), case["status"].as_str(), case["area"].as_str()),
        (Some("partner-water"), Some("requested"), Some("east-gate"))
    );
    let data = case_data(&case);
    assert_eq!((&data["share_contact"], &data["contact"]), (&json!(false), &Value::Null));
    assert_eq!(data["details"]["account_number"], "1002003004");
    assert!(!case.to_string().contains("13800138000") && !case.to_string().contains("Garden"), "{case}");
    let case_id = case["id"].as_i64().unwrap();
    let console = get(&app, &format!("{STAFF_CASES}/{case_id}"), Some(&water)).await;
    assert_eq!(
        (console.status, case_data(&console.body)["category"].as_str()),
        (200, Some("no-water")),
        "{}",
        console.body
    );
    let log = get(&app, ACCESS_LOG, Some(&resident)).await.body;
    assert!(log.as_array().unwrap().iter().all(|e| e["service"] != SERVICE), "no personal data read: {log}");

    // Only the water company sees and works it; the gas company does not know it exists.
    assert_eq!(ids(&get(&app, REFERRALS, Some(&water)).await), [id]);
    assert_eq!(ids(&get(&app, REFERRALS, Some(&gas)).await), Vec::<i64>::new());
    get(&app, &format!("{REFERRALS}/{id}"), Some(&gas)).await.assert_problem(404, "not-found");
    work(&app, &gas, id, &json!({"to": "accepted"})).await.assert_problem(404, "not-found");
    get(&app, &format!("{STAFF_CASES}/{case_id}"), Some(&gas)).await.assert_problem(404, "not-found");
    assert_eq!(get(&app, STAFF_CASES, Some(&gas)).await.body["total"], 0);

    // A skipped step is refused naming the allowed moves.
    let skipped = work(&app, &water, id, &json!({"to": "completed"})).await;
    assert!(skipped.assert_problem(409, "conflict").contains("allowed: accepted, rejected"), "{}", skipped.body);
    move_to(&app, &water, id, json!({"to": "accepted"})).await;
    let working = move_to(&app, &water, id, json!({"to": "in-progress", "note": "crew on the way"})).await;
    assert_eq!(working["note"], "crew on the way");
    let done = move_to(&app, &water, id, json!({"to": "completed", "note": "valve replaced"})).await;
    assert_eq!((done["note"].as_str(), done["reason"].as_str()), (Some("valve replaced"), None));
    let again = work(&app, &water, id, &json!({"to": "accepted"})).await;
    assert!(again.assert_problem(409, "conflict").contains("allowed: none"), "{}", again.body);

    // The resident follows it: status, one case history, and exactly these messages.
    let mine = get(&app, &format!("{REFERRALS}/{id}"), Some(&resident)).await.body;
    assert_eq!((mine["status"].as_str(), mine["note"].as_str()), (Some("completed"), Some("valve replaced")));
    assert_eq!(ids(&get(&app, &format!("{REFERRALS}?status=completed"), Some(&resident)).await), [id]);
    assert_eq!(ids(&get(&app, &format!("{REFERRALS}?status=requested"), Some(&resident)).await), Vec::<i64>::new());
    assert_eq!(get(&app, &format!("{REFERRALS}?status=done"), Some(&resident)).await.problem_fields(), ["status"]);
    let case = my_case(&app, &resident, &reference).await;
    assert_eq!(case["status"], "completed");
    let staff = "staff of partner-water".to_owned();
    let via = SERVICE.to_owned();
    assert_eq!(
        history(&case),
        [
            ("opened".into(), "requested".into(), resident_id.clone(), via.clone()),
            ("transition".into(), "accepted".into(), staff.clone(), via.clone()),
            ("transition".into(), "in-progress".into(), staff.clone(), via.clone()),
            ("transition".into(), "completed".into(), staff, via),
        ]
    );
    assert_eq!(
        inbox(&app, &resident).await,
        [
            service_message(format!("A note on your report {reference}: valve replaced")),
            status_message(&reference, "completed"),
            service_message(format!("A note on your report {reference}: crew on the way")),
            status_message(&reference, "in progress"),
            status_message(&reference, "accepted"),
            opened_message(&reference),
        ]
    );

    // The neighbour sees none of it.
    get(&app, &format!("{REFERRALS}/{id}"), Some(&neighbour)).await.assert_problem(404, "not-found");
    let [referrals, cases, messages, _] = footprint(&app, &neighbour).await;
    assert_eq!((&referrals["total"], &cases["total"], &messages["items"]), (&json!(0), &json!(0), &json!([])));
}

async fn with_the_residents_tick_their_phone_and_address_go_to_the_unit_they_chose_and_no_other(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (resident, _) = app.resident("leaky").await;
    let (newcomer, _) = app.resident("newcomer").await;
    let property = app.staff("property-clerk", "partner-property").await;
    let water = app.staff("water-clerk", "partner-water").await;
    set_profile(&app, &resident, json!({"phone": "13800138000", "current_address": "3 Garden Road"})).await;

    // A burst pipe in the flat: the water company is proposed; the resident chooses the property company.
    let proposal = get(&app, &format!("{CATEGORIES}/water-leak"), None).await.body;
    assert_eq!(
        (proposal["unit"].as_str(), &proposal["units"]),
        (Some("partner-water"), &json!(["partner-water", "partner-property"]))
    );
    let leak = json!({
        "category": "water-leak",
        "unit": "partner-property",
        "description": "The pipe under the kitchen sink burst",
        "location": "Flat 12, stairwell 3",
        "share_contact": true,
    });
    let shared = report(&app, &resident, &leak).await;
    let (id, reference) = (id_of(&shared), reference_of(&shared));
    assert_eq!(
        (shared["unit"].as_str(), shared["proposed_unit"].as_str()),
        (Some("partner-property"), Some("partner-water"))
    );
    assert_eq!(shared["contact"], json!({"phone": "13800138000", "address": "3 Garden Road"}));
    assert!(shared["consented_at"].is_string(), "{shared}");
    assert_eq!(shared["details"], json!({}), "the property company asks for no account details");

    // The property company's staff read the contact, in the referral and in their console.
    let seen = get(&app, &format!("{REFERRALS}/{id}"), Some(&property)).await;
    assert_eq!((seen.status, &seen.body["contact"]), (200, &shared["contact"]), "{}", seen.body);
    let case = my_case(&app, &resident, &reference).await;
    assert_eq!(case["unit"], "partner-property");
    assert_eq!(case_data(&case)["contact"], json!({"phone": "13800138000", "address": "3 Garden Road"}));
    assert_eq!(case_data(&case)["location"], "Flat 12, stairwell 3");
    let case_id = case["id"].as_i64().unwrap();
    let console = get(&app, &format!("{STAFF_CASES}/{case_id}"), Some(&property)).await.body;
    assert_eq!(case_data(&console)["contact"]["address"], "3 Garden Road");
    // The water company, which was only proposed, gets nothing.
    get(&app, &format!("{REFERRALS}/{id}"), Some(&water)).await.assert_problem(404, "not-found");
    get(&app, &format!("{STAFF_CASES}/{case_id}"), Some(&water)).await.assert_problem(404, "not-found");
    assert_eq!(ids(&get(&app, REFERRALS, Some(&water)).await), Vec::<i64>::new());

    // The read of the profile is in the resident's access log, once, with its purpose.
    let log = get(&app, ACCESS_LOG, Some(&resident)).await.body;
    let reads: Vec<&Value> = log.as_array().unwrap().iter().filter(|e| e["service"] == SERVICE).collect();
    assert_eq!(reads.len(), 1, "{log}");
    assert_eq!(
        (reads[0]["table"].as_str(), &reads[0]["fields"]),
        (Some("resident_profile"), &json!(["phone", "current_address"]))
    );
    assert_eq!(
        reads[0]["purpose"],
        "Utility referral: with your ticked consent, pass your phone and current address to the partner unit you chose"
    );

    // Without the tick, the next report reads and passes nothing.
    let mut unshared = leak.clone();
    unshared["share_contact"] = json!(false);
    let private = report(&app, &resident, &unshared).await;
    assert_eq!((&private["contact"], &private["consented_at"]), (&Value::Null, &Value::Null));
    assert!(!case_data(&my_case(&app, &resident, &reference_of(&private)).await).to_string().contains("Garden"));
    assert_eq!(get(&app, ACCESS_LOG, Some(&resident)).await.body, log, "no second read");

    // A phone and address given in the report are used instead of the profile's.
    let mut given = leak.clone();
    given["phone"] = json!("138 0013 9000");
    given["address"] = json!("Stall 4, East Market");
    let elsewhere = report(&app, &resident, &given).await;
    assert_eq!(elsewhere["contact"], json!({"phone": "13800139000", "address": "Stall 4, East Market"}));

    // Sharing without a profile asks for the phone and address, and files nothing.
    let before = footprint(&app, &newcomer).await;
    assert_eq!(post(&app, REFERRALS, Some(&newcomer), &leak).await.problem_fields(), ["phone", "address"]);
    // A unit that does not handle the problem, and every other bad field, are named at once.
    let mut postal = leak.clone();
    postal["unit"] = json!("partner-postal");
    let refused = post(&app, REFERRALS, Some(&newcomer), &postal).await;
    assert_eq!(refused.problem_fields(), ["unit"]);
    assert!(refused.body["errors"][0]["message"].as_str().unwrap().contains("partner-water, partner-property"));
    let bad = json!({
        "category": "no-water",
        "description": "x".repeat(1001),
        "details": {"account_number": 5, "shoe_size": "42"},
        "location": "y".repeat(201),
        "share_contact": false,
        "phone": "13800138000",
        "urgent": true,
    });
    assert_eq!(
        post(&app, REFERRALS, Some(&newcomer), &bad).await.problem_fields(),
        [
            "description",
            "details.account_number",
            "details.shoe_size",
            "details.started_at",
            "location",
            "phone",
            "urgent"
        ]
    );
    assert_eq!(
        post(&app, REFERRALS, Some(&newcomer), &json!({"category": "post"})).await.problem_fields(),
        ["description", "details.tracking_number", "share_contact"]
    );
    let unknown = json!({"category": "flood", "share_contact": false});
    assert_eq!(post(&app, REFERRALS, Some(&newcomer), &unknown).await.problem_fields(), ["category"]);
    // Only residents report.
    post(&app, REFERRALS, None, &no_water()).await.assert_problem(401, "unauthorized");
    post(&app, REFERRALS, Some(&water), &no_water()).await.assert_problem(403, "forbidden");
    assert_eq!(footprint(&app, &newcomer).await, before, "no refused report stored or read anything");
    assert_eq!(ids(&get(&app, REFERRALS, Some(&property)).await), [id_of(&elsewhere), id_of(&private), id]);
}

async fn a_unit_declines_with_a_reason_and_a_resident_withdraws_until_work_starts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (resident, resident_id) = app.resident("declined").await;
    let (other, _) = app.resident("other").await;
    let water = app.staff("water-clerk", "partner-water").await;
    let gas = app.staff("gas-clerk", "partner-gas").await;
    let police = app.staff("officer", "police-central").await;
    let community = app.staff("committee", "community-east").await;
    let admin = app.admin_token().await;
    let declined = report(&app, &resident, &no_water()).await;
    let (id, reference) = (id_of(&declined), reference_of(&declined));
    let path = format!("{REFERRALS}/{id}");

    // Nobody but the water company's staff moves it; admins and other units do not read referrals.
    let accept = json!({"to": "accepted"});
    post(&app, &format!("{path}/transition"), None, &accept).await.assert_problem(401, "unauthorized");
    for token in [&resident, &admin, &police] {
        work(&app, token, id, &accept).await.assert_problem(403, "forbidden");
    }
    work(&app, &gas, id, &accept).await.assert_problem(404, "not-found");
    get(&app, REFERRALS, None).await.assert_problem(401, "unauthorized");
    for token in [&admin, &police, &community] {
        get(&app, REFERRALS, Some(token)).await.assert_problem(403, "forbidden");
        get(&app, &path, Some(token)).await.assert_problem(403, "forbidden");
    }
    work(&app, &water, 999_999, &accept).await.assert_problem(404, "not-found");
    // Declining needs a reason; a reason goes only with declining; every bad field is named.
    assert_eq!(work(&app, &water, id, &json!({"to": "rejected"})).await.problem_fields(), ["reason"]);
    let misplaced = json!({"to": "accepted", "reason": "x", "to_unit": "partner-gas"});
    assert_eq!(work(&app, &water, id, &misplaced).await.problem_fields(), ["reason", "to_unit"]);
    let unknown = json!({"to": "done", "note": "n".repeat(501)});
    assert_eq!(work(&app, &water, id, &unknown).await.problem_fields(), ["to", "note"]);
    let untouched = my_case(&app, &resident, &reference).await;
    assert_eq!((untouched["status"].as_str(), history(&untouched).len()), (Some("requested"), 1), "nothing moved");
    assert_eq!(inbox(&app, &resident).await, [opened_message(&reference)]);

    // Declined with a reason, which reaches the resident.
    let reason = "the pipe inside the building is the property company's; report it to them";
    let rejected = move_to(&app, &water, id, json!({"to": "rejected", "reason": reason})).await;
    assert_eq!((rejected["reason"].as_str(), &rejected["note"]), (Some(reason), &Value::Null));
    let case = my_case(&app, &resident, &reference).await;
    assert_eq!(case["status"], "rejected");
    assert_eq!(case["history"][1]["note"], reason);
    assert_eq!(
        inbox(&app, &resident).await,
        [
            service_message(format!(
                "Your report {reference} was declined: {reason}. You may report it again to another unit."
            )),
            status_message(&reference, "rejected"),
            opened_message(&reference),
        ]
    );
    let late = work(&app, &water, id, &accept).await;
    assert!(late.assert_problem(409, "conflict").contains("allowed: none"));
    post(&app, &format!("{path}/cancel"), Some(&resident), &json!({})).await.assert_problem(409, "conflict");

    // The resident withdraws a new report before the unit accepts it; nobody else can.
    let withdrawn = report(&app, &resident, &no_water()).await;
    let (second, second_reference) = (id_of(&withdrawn), reference_of(&withdrawn));
    let cancel = format!("{REFERRALS}/{second}/cancel");
    app.client.post_empty(&cancel, Some(&other)).await.assert_problem(404, "not-found");
    app.client.post_empty(&cancel, Some(&water)).await.assert_problem(403, "forbidden");
    app.client.post_empty(&cancel, None).await.assert_problem(401, "unauthorized");
    let cancelled = app.client.post_empty(&cancel, Some(&resident)).await;
    assert_eq!((cancelled.status, cancelled.body["status"].as_str()), (200, Some("cancelled")), "{}", cancelled.body);
    app.client.post_empty(&cancel, Some(&resident)).await.assert_problem(409, "conflict");
    let refused = work(&app, &water, second, &accept).await;
    assert!(refused.assert_problem(409, "conflict").contains("allowed: none"));
    let case = my_case(&app, &resident, &second_reference).await;
    assert_eq!(
        history(&case),
        [
            ("opened".into(), "requested".into(), resident_id.clone(), SERVICE.into()),
            ("transition".into(), "cancelled".into(), resident_id.clone(), SERVICE.into()),
        ]
    );

    // ... or once it is accepted, but not after work started.
    let accepted = report(&app, &resident, &no_water()).await;
    move_to(&app, &water, id_of(&accepted), json!({"to": "accepted"})).await;
    let cancelled = app.client.post_empty(&format!("{REFERRALS}/{}/cancel", id_of(&accepted)), Some(&resident)).await;
    assert_eq!(cancelled.body["status"], "cancelled", "{}", cancelled.body);
    let started = report(&app, &resident, &no_water()).await;
    move_to(&app, &water, id_of(&started), json!({"to": "accepted"})).await;
    move_to(&app, &water, id_of(&started), json!({"to": "in-progress"})).await;
    let too_late = app.client.post_empty(&format!("{REFERRALS}/{}/cancel", id_of(&started)), Some(&resident)).await;
    let detail = too_late.assert_problem(409, "conflict");
    assert!(detail.contains("in-progress") && detail.contains("allowed: none"), "{detail}");
    let case = my_case(&app, &resident, &reference_of(&started)).await;
    assert_eq!(case["status"], "in-progress", "the refused withdrawal changed nothing");

    // The water company's queue, and the resident's list, hold all four with their statuses.
    let statuses = |list: &Answer| -> Vec<String> {
        list.body["items"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap().to_owned()).collect()
    };
    let queue = get(&app, REFERRALS, Some(&water)).await;
    assert_eq!(statuses(&queue), ["in-progress", "cancelled", "cancelled", "rejected"]);
    assert_eq!(statuses(&get(&app, REFERRALS, Some(&resident)).await), statuses(&queue));
    assert_eq!(get(&app, REFERRALS, Some(&other)).await.body["total"], 0);
}

// ---------------------------------------------------------------- urgent problems

async fn urgent_problems_are_due_soonest_and_show_the_safety_steps_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (resident, _) = app.resident("smells-gas").await;
    let (walker, _) = app.resident("walker").await;
    let gas = app.staff("gas-clerk", "partner-gas").await;
    let admin = app.admin_token().await;

    // The steps show before reporting, to anyone.
    let proposal = get(&app, &format!("{CATEGORIES}/gas-smell"), None).await.body;
    assert_eq!((proposal["urgency"].as_str(), proposal["respond_within_hours"].as_i64()), (Some("urgent"), Some(2)));
    assert_eq!(proposal["details_required"], json!([]), "nobody smelling gas is asked for an account number");
    let steps = proposal["safety"]["instruction"].as_str().unwrap();
    for step in [
        "Do not switch lights or appliances",
        "do not use any flame",
        "open doors and windows",
        "leave",
        "once safely outside",
        "119",
    ] {
        assert!(steps.contains(step), "{step}: {steps}");
    }
    assert_eq!(
        proposal["safety"]["call"],
        json!([{"number": "0991-96777", "label": "Gas company 24-hour line"}, {"number": "119", "label": "Fire and rescue"}])
    );

    // A gas supply cut first, then a gas smell: the smell needs nothing but its category.
    let cut = report(
        &app,
        &resident,
        &json!({"category": "no-gas", "description": "no gas since noon", "details": {"account_number": "77"}, "share_contact": false}),
    )
    .await;
    let answer =
        post(&app, REFERRALS, Some(&resident), &json!({"category": "gas-smell", "share_contact": false})).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let smell = answer.body;
    let reference = reference_of(&smell);
    assert!(reference.starts_with("URG-"), "{reference}");
    assert_eq!((smell["urgency"].as_str(), smell["unit"].as_str()), (Some("urgent"), Some("partner-gas")));
    assert_eq!(smell["safety"], proposal["safety"], "the steps come with the answer");
    // A first answer within two hours; the case is due within a day (the outage: 24 hours, two days).
    assert_eq!(seconds_between(&smell["created_at"], &smell["respond_by"]), 2 * 3600);
    assert_eq!(seconds_between(&cut["created_at"], &cut["respond_by"]), 24 * 3600);
    let smell_case = my_case(&app, &resident, &reference).await;
    let cut_case = my_case(&app, &resident, &reference_of(&cut)).await;
    assert_eq!((smell_case["kind"].as_str(), cut_case["kind"].as_str()), (Some("urgent"), Some("outage")));
    assert_eq!(seconds_between(&smell_case["opened_at"], &smell_case["due_at"]), 86_400);
    assert_eq!(seconds_between(&cut_case["opened_at"], &cut_case["due_at"]), 2 * 86_400);
    assert_eq!(smell["due_at"], smell_case["due_at"]);

    // The steps are in the inbox too, with the reference and the gas company's line.
    assert_eq!(
        inbox(&app, &resident).await,
        [
            service_message(format!(
                "You reported a gas smell ({reference}). Do not touch switches, use flames or make calls indoors; \
                 open the windows and leave; then, from outside, call the gas company's 24-hour line 0991-96777 or 119."
            )),
            opened_message(&reference),
            opened_message(&reference_of(&cut)),
        ]
    );
    // The gas company's queue puts the smell first.
    assert_eq!(ids(&get(&app, REFERRALS, Some(&gas)).await), [id_of(&smell), id_of(&cut)]);

    // A fallen power line, in Chinese: the electricity company's line is the national 95598.
    let power = app
        .client
        .post_json(REFERRALS, Some(&walker), &json!({"category": "power-line-down", "location": "by the bus stop on Hetian Street", "share_contact": false}))
        .await;
    assert_eq!(power.status, 201, "{}", power.body);
    assert_eq!(
        (power.body["unit"].as_str(), power.header("content-language")),
        (Some("partner-electricity"), Some("zh"))
    );
    assert!(power.body["safety"]["instruction"].as_str().unwrap().contains("10米"), "{}", power.body);
    assert_eq!(power.body["safety"]["call"], json!([{"number": "95598", "label": "供电公司服务电话"}]));
    let power_reference = reference_of(&power.body);
    assert_eq!(
        inbox(&app, &walker).await,
        [
            service_message(format!(
                "You reported a fallen power line ({power_reference}). Keep at least 10 metres away from it and \
                 anything it touches, keep others away and do not touch it; call the electricity company on 95598 \
                 (95598 is the national power service line, 24 hours)."
            )),
            opened_message(&power_reference),
        ]
    );

    // An admin corrects the gas line: the steps show the new number at once.
    let mut entry = entry_to_edit(&app, "partner-gas").await;
    entry["hotline"] = json!("0991-96778");
    assert_eq!(put(&app, &format!("{UNITS}/partner-gas"), Some(&admin), &entry).await.status, 200);
    let open = get(&app, &format!("{REFERRALS}/{}", id_of(&smell)), Some(&resident)).await.body;
    assert_eq!(open["safety"]["call"][0]["number"], "0991-96778");

    // Once the gas company has dealt with it, the steps are no longer shown.
    for to in ["accepted", "in-progress", "completed"] {
        move_to(&app, &gas, id_of(&smell), json!({"to": to})).await;
    }
    let closed = get(&app, &format!("{REFERRALS}/{}", id_of(&smell)), Some(&resident)).await.body;
    assert_eq!((closed["status"].as_str(), &closed["safety"]), (Some("completed"), &Value::Null));
}

// ---------------------------------------------------------------- hand-off

async fn a_unit_with_its_own_service_gets_its_reports_handed_off_and_nothing_is_filed_here(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let (resident, _) = app.resident("gas-user").await;
    let gas = app.staff("gas-clerk", "partner-gas").await;
    set_profile(&app, &resident, json!({"phone": "13800138000", "current_address": "3 Garden Road"})).await;
    let old = report(
        &app,
        &resident,
        &json!({"category": "no-gas", "description": "no gas since noon", "details": {"account_number": "77"}, "share_contact": false}),
    )
    .await;

    // The admin names the gas company's own service in its entry; the proposal shows it.
    let mut entry = entry_to_edit(&app, "partner-gas").await;
    entry["handled_by_service"] = json!("gas-service");
    let edited = put(&app, &format!("{UNITS}/partner-gas"), Some(&admin), &entry).await;
    assert_eq!(
        (edited.status, edited.body["handled_by_service"].as_str()),
        (200, Some("gas-service")),
        "{}",
        edited.body
    );
    for code in ["gas-smell", "no-gas"] {
        assert_eq!(get(&app, &format!("{CATEGORIES}/{code}"), None).await.body["handled_by_service"], "gas-service");
    }
    assert_eq!(get(&app, &format!("{CATEGORIES}/no-water"), None).await.body["handled_by_service"], Value::Null);

    // A gas report is answered 409 handed-off, pointing there, with the safety steps still.
    let before = footprint(&app, &resident).await;
    let queue = get(&app, REFERRALS, Some(&gas)).await.body;
    let answer = post(&app, REFERRALS, Some(&resident), &json!({"category": "gas-smell", "share_contact": true})).await;
    let detail = answer.assert_problem(409, "handed-off");
    assert!(detail.contains("gas-service") && detail.contains("nothing was filed"), "{detail}");
    assert_eq!(
        (answer.body["service"].as_str(), answer.body["href"].as_str()),
        (Some("gas-service"), Some("/api/v1/services/gas-service"))
    );
    assert_eq!(
        (answer.body["unit"].as_str(), answer.body["category"].as_str()),
        (Some("partner-gas"), Some("gas-smell"))
    );
    assert!(answer.body["safety"]["instruction"].as_str().unwrap().contains("once safely outside"), "{}", answer.body);
    // The `Link` names the service that took the category over (the host passes
    // links within the portal's services only).
    assert_eq!(answer.header("link"), Some("</api/v1/services/gas-service>; rel=\"alternate\""));
    let cut = json!({"category": "no-gas", "description": "again", "details": {"account_number": "77"}, "share_contact": false});
    post(&app, REFERRALS, Some(&resident), &cut).await.assert_problem(409, "handed-off");
    // Nothing filed, read or sent: no referral, case, message or profile read.
    assert_eq!(footprint(&app, &resident).await, before);
    assert_eq!(get(&app, REFERRALS, Some(&gas)).await.body, queue);

    // Other units still take reports here, and the old gas referral is worked here.
    let water = report(&app, &resident, &no_water()).await;
    assert_eq!(water["unit"], "partner-water");
    move_to(&app, &gas, id_of(&old), json!({"to": "accepted"})).await;

    // Handed back: gas reports are filed here again.
    entry["handled_by_service"] = Value::Null;
    assert_eq!(put(&app, &format!("{UNITS}/partner-gas"), Some(&admin), &entry).await.status, 200);
    let smell = report(&app, &resident, &json!({"category": "gas-smell", "share_contact": false})).await;
    assert_eq!(smell["unit"], "partner-gas");
    assert_eq!(ids(&get(&app, REFERRALS, Some(&gas)).await), [id_of(&smell), id_of(&old)]);
}
