//! The handlers run in plain `cargo test`, against the SDK's in-memory
//! platform built from this plugin's `plugin.toml`.

use onewindow_sdk::UnitKind;
use onewindow_sdk::harness::{Harness, TestCaller};
use residence_permit::ResidencePermit;
use serde_json::json;

fn harness() -> Harness {
    Harness::from_manifest(concat!(env!("CARGO_MANIFEST_DIR"), "/plugin.toml")).expect("plugin.toml is valid")
}

fn application() -> serde_json::Value {
    json!({
        "full_name": "Aygul Tursun",
        "id_number": "11010519491231002X",
        "current_address": "12 Garden Road, Urumqi",
        "arrival_date": "2024-03-01",
        "reason": "work",
        "employer_or_school": "City Hospital",
        "phone": "13800138000",
    })
}

#[test]
fn a_resident_applies_and_the_application_its_case_and_profile_exist() {
    let mut harness = harness();
    let answer =
        harness.call::<ResidencePermit>("POST", "/applications", &TestCaller::resident("r-1"), Some(application()));
    assert_eq!(answer.status, 201, "{}", answer.text());
    let body = answer.json();
    assert_eq!(body["status"], "submitted");
    assert_eq!(answer.header("location"), Some(format!("/applications/{}", body["id"]).as_str()));

    let rows = harness.rows("applications");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["applicant"], "r-1");
    assert_eq!(rows[0]["full_name"], "Aygul Tursun");
    let cases = harness.cases();
    assert_eq!(cases.len(), 1);
    assert_eq!((cases[0].resident.as_str(), cases[0].unit.as_str()), ("r-1", "police-central"));
    assert_eq!(rows[0]["case_id"], cases[0].id);
    assert_eq!(rows[0]["case_reference"], cases[0].reference.as_str());
    let profiles = harness.records("resident_profile");
    assert_eq!(profiles.len(), 1, "what is new is written back to the shared record");
    assert_eq!((profiles[0]["resident"].as_str(), profiles[0]["phone"].as_str()), (Some("r-1"), Some("13800138000")));

    // The applicant reads it back; another resident does not see it.
    let id = body["id"].as_i64().unwrap();
    let own =
        harness.call::<ResidencePermit>("GET", &format!("/applications/{id}"), &TestCaller::resident("r-1"), None);
    assert_eq!(own.status, 200);
    let other =
        harness.call::<ResidencePermit>("GET", &format!("/applications/{id}"), &TestCaller::resident("r-2"), None);
    assert_eq!(other.status, 404);
}

#[test]
fn prefill_reads_the_callers_own_profile_only() {
    let mut harness = harness();
    harness.insert_record("resident_profile", "r-1", json!({ "name": "Aygul Tursun", "phone": "13800138000" }));
    harness.insert_record("resident_profile", "r-2", json!({ "name": "Someone Else" }));
    let answer = harness.call::<ResidencePermit>("GET", "/prefill", &TestCaller::resident("r-1"), None);
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.json()["full_name"], "Aygul Tursun");
    assert_eq!(answer.json()["phone"], "13800138000");
}

#[test]
fn a_bad_body_is_422_and_writes_nothing() {
    let mut harness = harness();
    let mut bad = application();
    bad["reason"] = json!("holiday");
    bad["arrival_date"] = json!("not a date");
    let answer = harness.call::<ResidencePermit>("POST", "/applications", &TestCaller::resident("r-1"), Some(bad));
    assert_eq!(answer.status, 422, "{}", answer.text());
    assert_eq!(answer.problem_type().as_deref(), Some("validation-failed"));
    assert!(harness.rows("applications").is_empty());
    assert!(harness.cases().is_empty());
    assert!(harness.records("resident_profile").is_empty());
}

#[test]
fn staff_of_another_kind_of_unit_may_not_move_applications() {
    let mut harness = harness();
    let answer =
        harness.call::<ResidencePermit>("POST", "/applications", &TestCaller::resident("r-1"), Some(application()));
    assert_eq!(answer.status, 201, "{}", answer.text());
    let id = answer.json()["id"].as_i64().unwrap();
    let community = TestCaller::staff("s-1", "community-east", UnitKind::Community);
    let refused = harness.call::<ResidencePermit>(
        "POST",
        &format!("/applications/{id}/transition"),
        &community,
        Some(json!({ "to": "under-review" })),
    );
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert_eq!(harness.rows("applications")[0]["status"], "submitted");

    let police = TestCaller::staff("s-2", "police-central", UnitKind::Police);
    let moved = harness.call::<ResidencePermit>(
        "POST",
        &format!("/applications/{id}/transition"),
        &police,
        Some(json!({ "to": "under-review" })),
    );
    assert_eq!(moved.status, 200, "{}", moved.text());
    assert_eq!(harness.rows("applications")[0]["status"], "under-review");
}
