//! The handlers run in plain `cargo test`, against the SDK's in-memory
//! platform built from this plugin's `plugin.toml`. Each story is played as
//! the resident, as staff of each unit involved and as the admin, with the
//! refusals and "nothing else changed" checked.

use onewindow_sdk::UnitKind;
use onewindow_sdk::cases::Status;
use onewindow_sdk::harness::{Harness, TestCaller, TestRequest, TestResponse};
use serde_json::{Value, json};
use utility_referral::UtilityReferral;

const MANIFEST: &str = include_str!("../plugin.toml");

fn harness() -> Harness {
    Harness::from_manifest(MANIFEST).expect("plugin.toml is valid")
}

fn call(h: &mut Harness, method: &str, path: &str, caller: &TestCaller, body: Option<Value>) -> TestResponse {
    h.call::<UtilityReferral>(method, path, caller, body)
}

fn in_english(h: &mut Harness, method: &str, path: &str, caller: &TestCaller, body: Option<Value>) -> TestResponse {
    let mut request = TestRequest::new(method, path).caller(caller).header("accept-language", "en");
    if let Some(body) = body {
        request = request.json(&body);
    }
    h.send::<UtilityReferral>(request)
}

fn resident(id: &str) -> TestCaller {
    TestCaller::resident(id)
}

fn staff_of(unit: &str) -> TestCaller {
    TestCaller::staff(&format!("staff-{unit}"), unit, UnitKind::Partner)
}

fn admin() -> TestCaller {
    TestCaller::admin("admin-1")
}

fn fields(answer: &TestResponse) -> Vec<String> {
    assert_eq!(answer.status, 422, "{}", answer.text());
    assert_eq!(answer.problem_type().as_deref(), Some("validation-failed"));
    answer.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect()
}

fn no_water() -> Value {
    json!({
        "category": "no-water",
        "description": "No water since this morning, neighbours too",
        "details": { "account_number": "1002003004", "started_at": "today 07:00" },
        "share_contact": false,
    })
}

/// Files `body` as `who` and answers the new referral's id.
fn report(h: &mut Harness, who: &str, body: Value) -> i64 {
    let answer = call(h, "POST", "/referrals", &resident(who), Some(body));
    assert_eq!(answer.status, 201, "{}", answer.text());
    answer.json()["id"].as_i64().unwrap()
}

fn move_to(h: &mut Harness, id: i64, unit: &str, body: Value) -> TestResponse {
    call(h, "POST", &format!("/referrals/{id}/transition"), &staff_of(unit), Some(body))
}

fn water_entry() -> Value {
    json!({
        "name": { "zh": "自来水公司", "ug": "سۇ تەمىنلەش شىركىتى", "en": "City Water" },
        "description": { "zh": "供水", "ug": "سۇ تەمىناتى", "en": "Water supply" },
        "categories": ["no-water", "water-leak"],
        "details_required": ["account_number"],
        "hours": { "zh": "24小时", "ug": "24 سائەت", "en": "24 hours" },
        "hotline": "0991-96655",
        "phone": "0991-4812345",
        "email": "help@water.example.cn",
        "handled_by_service": null,
    })
}

// ---------------------------------------------------------------- directory

#[test]
fn the_directory_is_seeded_on_first_read_with_the_nine_partner_units() {
    let mut h = harness();
    assert!(h.rows("units").is_empty());
    let answer = call(&mut h, "GET", "/units", &TestCaller::anonymous(), None);
    assert_eq!(answer.status, 200, "{}", answer.text());
    let items = answer.json()["items"].as_array().unwrap().clone();
    let units: Vec<&str> = items.iter().map(|e| e["unit_id"].as_str().unwrap()).collect();
    assert_eq!(units.len(), 9);
    assert!(units.iter().all(|u| u.starts_with("partner-")));
    let gas = items.iter().find(|e| e["unit_id"] == "partner-gas").unwrap();
    assert_eq!(gas["name"]["en"], "Gas Company");
    assert_eq!(gas["categories"], json!(["gas-smell", "no-gas"]));
    assert_eq!(gas["default_for"], json!(["gas-smell", "no-gas"]));
    assert_eq!(gas["updated_by"], "system");
    assert_eq!((h.rows("units").len(), h.rows("category_units").len()), (9, 12));

    // Read again, by anyone: nothing is seeded twice.
    assert_eq!(call(&mut h, "GET", "/units/partner-postal", &resident("r-1"), None).json()["hotline"], "11183");
    assert_eq!((h.rows("units").len(), h.rows("category_units").len()), (9, 12));
    assert_eq!(call(&mut h, "GET", "/units/police-central", &resident("r-1"), None).status, 404);
}

#[test]
fn a_category_proposes_its_unit_the_alternatives_the_details_and_for_urgent_ones_the_safety_steps() {
    let mut h = harness();
    let water = in_english(&mut h, "GET", "/categories/no-water", &TestCaller::anonymous(), None);
    assert_eq!(water.status, 200, "{}", water.text());
    let water = water.json();
    assert_eq!((water["unit"].as_str(), water["urgency"].as_str()), (Some("partner-water"), Some("outage")));
    assert_eq!(water["units"], json!(["partner-water", "partner-property"]), "the resident may choose either");
    let details: Vec<&str> =
        water["details_required"].as_array().unwrap().iter().map(|d| d["key"].as_str().unwrap()).collect();
    assert_eq!(details, ["account_number", "started_at"]);
    assert_eq!(water["safety"], Value::Null);

    let gas = in_english(&mut h, "GET", "/categories/gas-smell", &TestCaller::anonymous(), None).json();
    assert_eq!((gas["urgency"].as_str(), gas["respond_within_hours"].as_i64()), (Some("urgent"), Some(2)));
    let steps = gas["safety"]["instruction"].as_str().unwrap();
    assert!(steps.contains("flame") && steps.contains("leave") && steps.contains("outside"), "{steps}");
    let numbers: Vec<&str> =
        gas["safety"]["call"].as_array().unwrap().iter().map(|l| l["number"].as_str().unwrap()).collect();
    assert_eq!(numbers, ["0991-96777", "119"]);
    assert_eq!(gas["details_required"], json!([]), "an urgent report is not asked for the unit's details");

    // Chinese by default; the power line's steps name 10 m and 95598.
    let power = call(&mut h, "GET", "/categories/power-line-down", &TestCaller::anonymous(), None).json();
    let steps = power["safety"]["instruction"].as_str().unwrap();
    assert!(steps.contains("10米") && steps.contains("95598"), "{steps}");

    let all = call(&mut h, "GET", "/categories", &TestCaller::anonymous(), None).json();
    assert_eq!(all["items"].as_array().unwrap().len(), 12);
    assert_eq!(call(&mut h, "GET", "/categories/flood", &TestCaller::anonymous(), None).status, 404);
}

#[test]
fn an_admin_edits_an_entry_and_nobody_else_may() {
    let mut h = harness();
    for (caller, status) in [(TestCaller::anonymous(), 401), (resident("r-1"), 403), (staff_of("partner-water"), 403)] {
        let refused = call(&mut h, "PUT", "/units/partner-water", &caller, Some(water_entry()));
        assert_eq!(refused.status, status, "{}", refused.text());
    }
    let before = h.rows("units");
    assert!(before.is_empty() || before.iter().all(|r| r["updated_by"] == "system"), "nothing edited");

    let answer = call(&mut h, "PUT", "/units/partner-water", &admin(), Some(water_entry()));
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.json()["name"]["en"], "City Water");
    assert_eq!(answer.json()["default_for"], json!(["no-water", "water-leak"]));
    let rows = h.rows("units");
    let water = rows.iter().find(|r| r["unit_id"] == "partner-water").unwrap();
    assert_eq!(
        (water["email"].as_str(), water["updated_by"].as_str()),
        (Some("help@water.example.cn"), Some("admin-1"))
    );
    assert_eq!(water["details_required"], "[\"account_number\"]");
    let others = rows.iter().filter(|r| r["unit_id"] != "partner-water");
    assert!(others.clone().all(|r| r["updated_by"] == "system"), "no other entry changed");
    assert_eq!(others.count(), 8);

    assert_eq!(call(&mut h, "PUT", "/units/partner-nowhere", &admin(), Some(water_entry())).status, 404);
}

#[test]
fn a_bad_edit_names_every_field_and_changes_nothing() {
    let mut h = harness();
    call(&mut h, "GET", "/units", &TestCaller::anonymous(), None);
    let before = h.rows("units");
    let mut bad = water_entry();
    bad["name"] = json!({ "zh": "水", "en": "Water", "fr": "Eau" });
    bad["categories"] = json!(["water-leak", "flood", "water-leak"]);
    bad["details_required"] = json!(["shoe_size"]);
    bad["hotline"] = json!("call us");
    bad["email"] = json!("help at water");
    bad["handled_by_service"] = json!("Water Service");
    bad["colour"] = json!("blue");
    let answer = call(&mut h, "PUT", "/units/partner-water", &admin(), Some(bad));
    assert_eq!(
        fields(&answer),
        [
            "name.ug",
            "name.fr",
            "categories[1]",
            "categories[2]",
            "details_required[0]",
            "hotline",
            "email",
            "handled_by_service",
            "colour",
        ]
    );
    assert_eq!(h.rows("units"), before);

    // Dropping a category still proposed to the unit is refused, naming it.
    let mut drops = water_entry();
    drops["categories"] = json!(["water-leak"]);
    let answer = call(&mut h, "PUT", "/units/partner-water", &admin(), Some(drops));
    assert_eq!(fields(&answer), ["categories"]);
    assert!(answer.text().contains("no-water"), "{}", answer.text());

    let mut own = water_entry();
    own["handled_by_service"] = json!("utility-referral");
    assert_eq!(fields(&call(&mut h, "PUT", "/units/partner-water", &admin(), Some(own))), ["handled_by_service"]);
    assert_eq!(h.rows("units"), before);
}

#[test]
fn an_admin_points_a_category_at_another_unit_that_handles_it() {
    let mut h = harness();
    let refused =
        call(&mut h, "PUT", "/categories/heating", &resident("r-1"), Some(json!({ "unit": "partner-property" })));
    assert_eq!(refused.status, 403);
    let wrong = call(&mut h, "PUT", "/categories/heating", &admin(), Some(json!({ "unit": "partner-postal" })));
    assert_eq!(fields(&wrong), ["unit"]);
    assert!(h.rows("category_units").iter().any(|r| r["category"] == "heating" && r["unit_id"] == "partner-heating"));

    let moved = call(&mut h, "PUT", "/categories/heating", &admin(), Some(json!({ "unit": "partner-property" })));
    assert_eq!(moved.status, 200, "{}", moved.text());
    assert_eq!(moved.json()["unit"], "partner-property");
    assert_eq!(moved.json()["units"], json!(["partner-property", "partner-heating"]));
    let rows = h.rows("category_units");
    let heating = rows.iter().find(|r| r["category"] == "heating").unwrap();
    assert_eq!(
        (heating["unit_id"].as_str(), heating["updated_by"].as_str()),
        (Some("partner-property"), Some("admin-1"))
    );
    assert_eq!(rows.iter().filter(|r| r["updated_by"] == "admin-1").count(), 1, "no other default changed");

    // A report of heating now goes to the property company.
    let body = json!({ "category": "heating", "description": "radiators cold", "share_contact": false });
    let id = report(&mut h, "r-1", body);
    assert_eq!(h.rows("referrals")[0]["unit_id"], "partner-property");
    assert_eq!(h.cases()[0].unit, "partner-property");
    assert_eq!(id, h.rows("referrals")[0]["id"].as_i64().unwrap());
    assert_eq!(
        call(&mut h, "PUT", "/categories/flood", &admin(), Some(json!({ "unit": "partner-water" }))).status,
        404
    );
}

// ---------------------------------------------------------------- reports

#[test]
fn a_resident_reports_no_water_and_shares_nothing_unless_they_tick_share() {
    let mut h = harness();
    h.insert_record("resident_profile", "r-1", json!({ "phone": "13800138000", "current_address": "3 Garden Road" }));
    let answer = in_english(&mut h, "POST", "/referrals", &resident("r-1"), Some(no_water()));
    assert_eq!(answer.status, 201, "{}", answer.text());
    let body = answer.json();
    assert_eq!(answer.header("location"), Some(format!("/referrals/{}", body["id"]).as_str()));
    assert_eq!((body["status"].as_str(), body["unit"].as_str()), (Some("requested"), Some("partner-water")));
    assert_eq!(
        (body["unit_name"].as_str(), body["category_name"].as_str()),
        (Some("Water Supply Company"), Some("No water"))
    );
    assert_eq!((body["share_contact"].as_bool(), &body["contact"]), (Some(false), &Value::Null));
    assert_eq!(body["safety"], Value::Null);
    assert!(body["respond_by"].is_string(), "an outage gets a 24-hour response target");

    let cases = h.cases();
    assert_eq!(cases.len(), 1);
    let case = &cases[0];
    assert_eq!((case.kind.as_str(), case.unit.as_str(), case.resident.as_str()), ("outage", "partner-water", "r-1"));
    assert_eq!(body["reference"], case.reference.as_str());
    assert!(case.reference.starts_with("URO-"));
    let data: Value = serde_json::from_str(&case.data).unwrap();
    assert_eq!(data["details"]["account_number"], "1002003004");
    assert_eq!((data["contact"].clone(), data["share_contact"].clone()), (Value::Null, json!(false)));
    assert!(!case.data.contains("13800138000") && !case.data.contains("Garden"), "no personal data without consent");
    let row = &h.rows("referrals")[0];
    assert_eq!((row["contact_phone"].clone(), row["consented_at"].clone()), (Value::Null, Value::Null));
    assert!(h.messages().is_empty(), "the platform itself tells of the opened case");
}

#[test]
fn with_share_ticked_the_phone_and_address_come_from_the_profile_to_the_unit() {
    let mut h = harness();
    h.insert_record("resident_profile", "r-1", json!({ "phone": "13800138000", "current_address": "3 Garden Road" }));
    h.insert_record("resident_profile", "r-2", json!({ "phone": "13900139000", "current_address": "9 Other Street" }));
    let mut body = no_water();
    body["share_contact"] = json!(true);
    let answer = call(&mut h, "POST", "/referrals", &resident("r-1"), Some(body));
    assert_eq!(answer.status, 201, "{}", answer.text());
    assert_eq!(answer.json()["contact"], json!({ "phone": "13800138000", "address": "3 Garden Road" }));
    assert!(answer.json()["consented_at"].is_string());
    let data: Value = serde_json::from_str(&h.cases()[0].data).unwrap();
    assert_eq!(data["contact"], json!({ "phone": "13800138000", "address": "3 Garden Road" }));
    assert_eq!(
        h.case_history(h.cases()[0].id)[0].note,
        "reported online; the resident shares their phone and address with this unit"
    );

    // The unit's staff read it with the contact.
    let id = answer.json()["id"].as_i64().unwrap();
    let seen = call(&mut h, "GET", &format!("/referrals/{id}"), &staff_of("partner-water"), None);
    assert_eq!(seen.json()["contact"]["address"], "3 Garden Road");

    // A phone and address given in the report are used instead.
    let mut given = no_water();
    given["share_contact"] = json!(true);
    given["phone"] = json!("0991-4567890");
    given["address"] = json!("Stall 4, East Market");
    let answer = call(&mut h, "POST", "/referrals", &resident("r-2"), Some(given));
    assert_eq!(answer.json()["contact"], json!({ "phone": "0991-4567890", "address": "Stall 4, East Market" }));
}

#[test]
fn sharing_without_a_profile_asks_for_the_phone_and_address_and_files_nothing() {
    let mut h = harness();
    let mut body = no_water();
    body["share_contact"] = json!(true);
    let answer = call(&mut h, "POST", "/referrals", &resident("r-1"), Some(body));
    assert_eq!(fields(&answer), ["phone", "address"]);
    assert!(h.rows("referrals").is_empty() && h.cases().is_empty() && h.messages().is_empty());
}

#[test]
fn a_bad_report_names_every_field_and_files_nothing() {
    let mut h = harness();
    let bad = json!({
        "category": "no-water",
        "description": "x".repeat(1001),
        "details": { "account_number": 5, "shoe_size": "42" },
        "location": "y".repeat(201),
        "share_contact": false,
        "phone": "13800138000",
        "urgent": true,
    });
    let answer = call(&mut h, "POST", "/referrals", &resident("r-1"), Some(bad));
    assert_eq!(
        fields(&answer),
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
    let missing = call(&mut h, "POST", "/referrals", &resident("r-1"), Some(json!({ "category": "post" })));
    assert_eq!(fields(&missing), ["description", "details.tracking_number", "share_contact"]);
    let unknown = call(
        &mut h,
        "POST",
        "/referrals",
        &resident("r-1"),
        Some(json!({ "category": "flood", "share_contact": false })),
    );
    assert_eq!(fields(&unknown), ["category"]);
    assert!(h.rows("referrals").is_empty() && h.cases().is_empty() && h.messages().is_empty());

    let anonymous = call(&mut h, "POST", "/referrals", &TestCaller::anonymous(), Some(no_water()));
    assert_eq!(anonymous.status, 401);
    let staff = call(&mut h, "POST", "/referrals", &staff_of("partner-water"), Some(no_water()));
    assert_eq!(staff.status, 403);
    assert!(h.rows("referrals").is_empty() && h.cases().is_empty());
}

#[test]
fn the_resident_may_choose_another_unit_that_handles_the_category_but_no_other() {
    let mut h = harness();
    let mut body = no_water();
    body["unit"] = json!("partner-property");
    body["details"] = json!({});
    let answer = call(&mut h, "POST", "/referrals", &resident("r-1"), Some(body.clone()));
    assert_eq!(answer.status, 201, "{}", answer.text());
    assert_eq!(
        (answer.json()["unit"].as_str(), answer.json()["proposed_unit"].as_str()),
        (Some("partner-property"), Some("partner-water"))
    );
    assert_eq!(h.cases()[0].unit, "partner-property");

    body["unit"] = json!("partner-postal");
    let refused = call(&mut h, "POST", "/referrals", &resident("r-1"), Some(body));
    assert_eq!(fields(&refused), ["unit"]);
    assert!(refused.text().contains("partner-water, partner-property"), "{}", refused.text());
    assert_eq!((h.rows("referrals").len(), h.cases().len()), (1, 1));
}

#[test]
fn a_gas_smell_needs_only_the_category_and_gets_the_safety_steps_at_once() {
    let mut h = harness();
    let answer = in_english(
        &mut h,
        "POST",
        "/referrals",
        &resident("r-1"),
        Some(json!({ "category": "gas-smell", "share_contact": false })),
    );
    assert_eq!(answer.status, 201, "{}", answer.text());
    let body = answer.json();
    assert_eq!((body["urgency"].as_str(), body["unit"].as_str()), (Some("urgent"), Some("partner-gas")));
    let steps = body["safety"]["instruction"].as_str().unwrap();
    assert!(steps.contains("do not use any flame") && steps.contains("once safely outside"), "{steps}");
    assert_eq!(body["safety"]["call"][0]["number"], "0991-96777");
    assert_eq!(body["safety"]["call"][1]["number"], "119");

    // Due in a day as a case; a first response within two hours here.
    let case = &h.cases()[0];
    assert_eq!((case.kind.as_str(), case.unit.as_str()), ("urgent", "partner-gas"));
    assert!(case.reference.starts_with("URG-"));
    let created = onewindow_sdk::time::DateTime::parse(body["created_at"].as_str().unwrap()).unwrap();
    let respond_by = onewindow_sdk::time::DateTime::parse(body["respond_by"].as_str().unwrap()).unwrap();
    assert_eq!(respond_by.unix_seconds() - created.unix_seconds(), 2 * 3600);

    // The steps are in the inbox too, with the reference and the gas line.
    let messages = h.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!((messages[0].resident.as_str(), messages[0].template.as_str()), ("r-1", "safety-gas-smell"));
    assert_eq!(
        messages[0].params,
        [("reference".to_owned(), case.reference.clone()), ("hotline".to_owned(), "0991-96777".to_owned())]
    );

    // A fallen power line: the electricity line, which is the national 95598.
    let power = call(
        &mut h,
        "POST",
        "/referrals",
        &resident("r-2"),
        Some(
            json!({ "category": "power-line-down", "share_contact": false, "location": "by the bus stop on Hetian Street" }),
        ),
    );
    assert_eq!(power.status, 201, "{}", power.text());
    assert_eq!(power.json()["safety"]["call"], json!([{ "number": "95598", "label": "供电公司服务电话" }]));
    assert_eq!(h.messages()[1].template, "safety-power-line-down");
}

// ---------------------------------------------------------------- the unit's work

#[test]
fn the_unit_works_a_referral_to_completion_and_the_resident_follows_it() {
    let mut h = harness();
    let id = report(&mut h, "r-1", no_water());
    let other = report(
        &mut h,
        "r-2",
        json!({ "category": "rubbish", "description": "bins full for a week", "share_contact": false }),
    );

    // Each unit's queue holds its own referrals only; another unit gets 404.
    let queue = call(&mut h, "GET", "/referrals", &staff_of("partner-water"), None).json();
    assert_eq!((queue["total"].as_u64(), queue["items"][0]["id"].as_i64()), (Some(1), Some(id)));
    let sanitation = call(&mut h, "GET", "/referrals", &staff_of("partner-sanitation"), None).json();
    assert_eq!((sanitation["total"].as_u64(), sanitation["items"][0]["id"].as_i64()), (Some(1), Some(other)));
    assert_eq!(call(&mut h, "GET", &format!("/referrals/{id}"), &staff_of("partner-gas"), None).status, 404);
    assert_eq!(move_to(&mut h, id, "partner-gas", json!({ "to": "accepted" })).status, 404);

    // Skipping a step is a 409 naming the allowed moves.
    let skipped = move_to(&mut h, id, "partner-water", json!({ "to": "completed" }));
    assert_eq!((skipped.status, skipped.problem_type().as_deref()), (409, Some("conflict")));
    assert!(skipped.text().contains("allowed: accepted, rejected"), "{}", skipped.text());

    let accepted = move_to(&mut h, id, "partner-water", json!({ "to": "accepted" }));
    assert_eq!((accepted.status, accepted.json()["status"].as_str()), (200, Some("accepted")), "{}", accepted.text());
    let working = move_to(&mut h, id, "partner-water", json!({ "to": "in-progress", "note": "crew on the way" }));
    assert_eq!(working.json()["note"], "crew on the way");
    let done = move_to(&mut h, id, "partner-water", json!({ "to": "completed", "note": "valve replaced" }));
    assert_eq!(done.json()["status"], "completed");
    let again = move_to(&mut h, id, "partner-water", json!({ "to": "accepted" }));
    assert_eq!(again.status, 409);
    assert!(again.text().contains("allowed: none"), "{}", again.text());

    // The case moved with it; the notes reached the resident's inbox.
    let case = h.cases().into_iter().find(|c| c.unit == "partner-water").unwrap();
    assert_eq!(case.status, Status::Completed);
    let moves: Vec<Option<Status>> = h.case_history(case.id).iter().map(|e| e.to_status).collect();
    assert_eq!(
        moves,
        [Some(Status::Requested), Some(Status::Accepted), Some(Status::InProgress), Some(Status::Completed)]
    );
    let notes: Vec<(&str, &str)> = h.messages().iter().map(|m| (m.template.as_str(), m.params[1].1.as_str())).collect();
    assert_eq!(notes, [("referral-note", "crew on the way"), ("referral-note", "valve replaced")]);
    assert_eq!(h.rows("referrals")[0]["handled_by"], "staff-partner-water");

    // The resident sees it completed; the other resident sees only their own.
    let mine = call(&mut h, "GET", &format!("/referrals/{id}"), &resident("r-1"), None);
    assert_eq!((mine.status, mine.json()["status"].as_str()), (200, Some("completed")));
    assert_eq!(call(&mut h, "GET", &format!("/referrals/{id}"), &resident("r-2"), None).status, 404);
    let theirs = call(&mut h, "GET", "/referrals", &resident("r-2"), None).json();
    assert_eq!((theirs["total"].as_u64(), theirs["items"][0]["status"].as_str()), (Some(1), Some("requested")));
    let filtered = call(&mut h, "GET", "/referrals?status=completed", &resident("r-1"), None).json();
    assert_eq!(filtered["total"], 1);
    assert_eq!(fields(&call(&mut h, "GET", "/referrals?status=done&limit=0", &resident("r-1"), None)), ["limit"]);
    assert_eq!(fields(&call(&mut h, "GET", "/referrals?status=done", &resident("r-1"), None)), ["status"]);
}

#[test]
fn declining_needs_a_reason_which_reaches_the_resident() {
    let mut h = harness();
    let id = report(&mut h, "r-1", no_water());
    let bare = move_to(&mut h, id, "partner-water", json!({ "to": "rejected" }));
    assert_eq!(fields(&bare), ["reason"]);
    let misplaced = move_to(&mut h, id, "partner-water", json!({ "to": "accepted", "reason": "x", "to_unit": "y" }));
    assert_eq!(fields(&misplaced), ["reason", "to_unit"]);
    let unknown = move_to(&mut h, id, "partner-water", json!({ "to": "done", "note": "n".repeat(501) }));
    assert_eq!(fields(&unknown), ["to", "note"]);
    assert_eq!(h.rows("referrals")[0]["status"], "requested");
    assert_eq!(h.cases()[0].status, Status::Requested);

    let reason = "the pipe inside the building is the property company's; report it to them";
    let declined = move_to(&mut h, id, "partner-water", json!({ "to": "rejected", "reason": reason }));
    assert_eq!((declined.status, declined.json()["status"].as_str()), (200, Some("rejected")), "{}", declined.text());
    assert_eq!(declined.json()["reason"], reason);
    assert_eq!(h.cases()[0].status, Status::Rejected);
    let message = &h.messages()[0];
    assert_eq!((message.resident.as_str(), message.template.as_str()), ("r-1", "referral-rejected"));
    assert_eq!(message.params[1], ("reason".to_owned(), reason.to_owned()));
}

#[test]
fn nobody_but_the_units_staff_moves_a_referral_and_a_refusal_changes_nothing() {
    let mut h = harness();
    let id = report(&mut h, "r-1", no_water());
    let path = format!("/referrals/{id}/transition");
    let body = json!({ "to": "accepted" });
    for (caller, status) in [
        (TestCaller::anonymous(), 401),
        (resident("r-1"), 403),
        (admin(), 403),
        (TestCaller::staff("p-1", "police-central", UnitKind::Police), 403),
        (staff_of("partner-gas"), 404),
    ] {
        let refused = call(&mut h, "POST", &path, &caller, Some(body.clone()));
        assert_eq!(refused.status, status, "{}", refused.text());
    }
    for (caller, status) in [(admin(), 403), (TestCaller::staff("c-1", "community-east", UnitKind::Community), 403)] {
        assert_eq!(call(&mut h, "GET", "/referrals", &caller, None).status, status);
    }
    assert_eq!(h.rows("referrals")[0]["status"], "requested");
    assert_eq!(h.case_history(h.cases()[0].id).len(), 1);
    assert!(h.messages().is_empty());
}

#[test]
fn the_resident_withdraws_a_report_until_work_starts() {
    let mut h = harness();
    let first = report(&mut h, "r-1", no_water());
    assert_eq!(call(&mut h, "POST", &format!("/referrals/{first}/cancel"), &resident("r-2"), None).status, 404);
    assert_eq!(
        call(&mut h, "POST", &format!("/referrals/{first}/cancel"), &staff_of("partner-water"), None).status,
        403
    );
    let cancelled = call(&mut h, "POST", &format!("/referrals/{first}/cancel"), &resident("r-1"), None);
    assert_eq!(
        (cancelled.status, cancelled.json()["status"].as_str()),
        (200, Some("cancelled")),
        "{}",
        cancelled.text()
    );
    assert_eq!(h.cases()[0].status, Status::Cancelled);
    assert_eq!(call(&mut h, "POST", &format!("/referrals/{first}/cancel"), &resident("r-1"), None).status, 409);

    let second = report(&mut h, "r-1", no_water());
    move_to(&mut h, second, "partner-water", json!({ "to": "accepted" }));
    move_to(&mut h, second, "partner-water", json!({ "to": "in-progress" }));
    let late = call(&mut h, "POST", &format!("/referrals/{second}/cancel"), &resident("r-1"), None);
    assert_eq!(late.status, 409, "{}", late.text());
    assert_eq!(h.rows("referrals")[1]["status"], "in-progress");
    assert_eq!(h.cases()[1].status, Status::InProgress);
}

#[test]
fn the_units_queue_puts_urgent_referrals_first() {
    let mut h = harness();
    let routine = report(
        &mut h,
        "r-1",
        json!({ "category": "property-repair", "description": "stair light broken", "share_contact": false }),
    );
    let urgent_elsewhere = report(&mut h, "r-2", json!({ "category": "gas-smell", "share_contact": false }));
    let mut leak = no_water();
    leak["category"] = json!("water-leak");
    leak["unit"] = json!("partner-property");
    let outage = report(&mut h, "r-3", leak);
    let queue = call(&mut h, "GET", "/referrals", &staff_of("partner-property"), None).json();
    let ids: Vec<i64> = queue["items"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [outage, routine]);
    assert!(!ids.contains(&urgent_elsewhere));
}

// ---------------------------------------------------------------- hand-off

#[test]
fn a_unit_with_its_own_service_gets_its_reports_there_and_finishes_the_old_ones_here() {
    let mut h = harness();
    let old = report(
        &mut h,
        "r-1",
        json!({ "category": "no-gas", "description": "no gas since noon", "details": { "account_number": "77" }, "share_contact": false }),
    );

    let mut gas = call(&mut h, "GET", "/units/partner-gas", &admin(), None).json();
    for computed in ["unit_id", "updated_at", "updated_by", "default_for"] {
        gas.as_object_mut().unwrap().remove(computed);
    }
    gas["handled_by_service"] = json!("gas-service");
    let edited = call(&mut h, "PUT", "/units/partner-gas", &admin(), Some(gas));
    assert_eq!(edited.status, 200, "{}", edited.text());
    let proposal = call(&mut h, "GET", "/categories/gas-smell", &TestCaller::anonymous(), None).json();
    assert_eq!(proposal["handled_by_service"], "gas-service");

    let (rows, cases, messages) = (h.rows("referrals"), h.cases().len(), h.messages().len());
    let answer = in_english(
        &mut h,
        "POST",
        "/referrals",
        &resident("r-2"),
        Some(json!({ "category": "gas-smell", "share_contact": true })),
    );
    assert_eq!((answer.status, answer.problem_type().as_deref()), (409, Some("handed-off")), "{}", answer.text());
    assert_eq!(answer.header("content-type"), Some("application/problem+json"));
    assert_eq!(answer.header("link"), Some("</api/v1/services/gas-service>; rel=\"alternate\""));
    let problem = answer.json();
    assert_eq!(
        (problem["service"].as_str(), problem["href"].as_str()),
        (Some("gas-service"), Some("/api/v1/services/gas-service"))
    );
    assert!(problem["safety"]["instruction"].as_str().unwrap().contains("outside"), "the steps still show at once");
    assert_eq!((h.rows("referrals"), h.cases().len(), h.messages().len()), (rows, cases, messages), "nothing filed");

    // Other units still take reports here; the old gas referral is worked here.
    report(&mut h, "r-2", no_water());
    let accepted = move_to(&mut h, old, "partner-gas", json!({ "to": "accepted" }));
    assert_eq!(accepted.status, 200, "{}", accepted.text());
}

// ---------------------------------------------------------------- grants

/// The manifest with `cut` removed (it must be there).
fn manifest_without(cut: &str) -> Harness {
    assert!(MANIFEST.contains(cut), "the manifest has {cut:?}");
    Harness::from_manifest(&MANIFEST.replacen(cut, "", 1)).expect("the reduced manifest is valid")
}

fn records_block() -> String {
    let start = MANIFEST.find("[[records]]").unwrap();
    let end = start + MANIFEST[start..].find("\n\n").unwrap();
    MANIFEST[start..end].to_owned()
}

#[test]
fn without_the_shared_record_grant_sharing_fails_closed_and_files_nothing() {
    let mut h = manifest_without(&records_block());
    h.insert_record("resident_profile", "r-1", json!({ "phone": "13800138000", "current_address": "3 Garden Road" }));
    let mut body = no_water();
    body["share_contact"] = json!(true);
    let answer = call(&mut h, "POST", "/referrals", &resident("r-1"), Some(body));
    assert!(answer.status >= 500, "{} {}", answer.status, answer.text());
    assert!(h.rows("referrals").is_empty() && h.cases().is_empty() && h.messages().is_empty());
    assert!(h.rows("units").is_empty(), "even the first-use seed is undone");
    assert!(h.logs().iter().any(|l| l.level == "error" && l.message.contains("resident_profile")), "{:?}", h.logs());

    // A report that shares nothing needs no record grant.
    assert_eq!(call(&mut h, "POST", "/referrals", &resident("r-1"), Some(no_water())).status, 201);
}

#[test]
fn without_the_cases_grant_a_report_fails_closed_and_files_nothing() {
    let mut h = manifest_without("\"cases\", ");
    let answer = call(&mut h, "POST", "/referrals", &resident("r-1"), Some(no_water()));
    assert!(answer.status >= 500, "{} {}", answer.status, answer.text());
    assert!(h.rows("referrals").is_empty() && h.cases().is_empty() && h.messages().is_empty());
}

#[test]
fn without_the_notify_grant_an_urgent_report_fails_closed_and_files_nothing() {
    let mut h = manifest_without(", \"notify\"");
    let answer = call(
        &mut h,
        "POST",
        "/referrals",
        &resident("r-1"),
        Some(json!({ "category": "gas-smell", "share_contact": false })),
    );
    assert!(answer.status >= 500, "{} {}", answer.status, answer.text());
    assert!(h.rows("referrals").is_empty() && h.cases().is_empty() && h.messages().is_empty());
}

#[test]
fn without_the_rejection_template_a_rejection_fails_closed_and_changes_nothing() {
    let start = MANIFEST.find("[templates.referral-rejected]").unwrap();
    let end = start + MANIFEST[start..].find("\n\n").unwrap();
    let mut h = manifest_without(&MANIFEST[start..end]);
    let id = report(&mut h, "r-1", no_water());
    let declined = move_to(&mut h, id, "partner-water", json!({ "to": "rejected", "reason": "not ours" }));
    assert!(declined.status >= 500, "{} {}", declined.status, declined.text());
    assert_eq!(h.rows("referrals")[0]["status"], "requested");
    assert_eq!((h.cases()[0].status, h.case_history(h.cases()[0].id).len()), (Status::Requested, 1));
    assert!(h.messages().is_empty());
}
