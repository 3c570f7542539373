//! The starter's handlers in plain `cargo test`, against the SDK's
//! in-memory platform built from `plugin.toml`.

use onewindow_sdk::UnitKind;
use onewindow_sdk::harness::{Harness, TestCaller};
use serde_json::json;
use starter_service::Starter;

/// The plugin as the water company would upload it.
fn harness() -> Harness {
    Harness::from_manifest(concat!(env!("CARGO_MANIFEST_DIR"), "/plugin.toml"))
        .expect("plugin.toml is valid")
        .owned_by("partner-water", UnitKind::Partner)
}

#[test]
fn a_resident_registers_and_reads_back_only_their_own() {
    let mut h = harness();
    let (alice, bob) = (TestCaller::resident("alice"), TestCaller::resident("bob"));
    let body = json!({"address": "3 Elm Street", "problem": "no hot water", "phone": "138 0013 8000"});
    let made = h.call::<Starter>("POST", "/requests", &alice, Some(body));
    assert_eq!(made.status, 201, "{}", made.text());
    assert_eq!(h.rows("requests")[0]["phone"], "13800138000", "the phone is stored normalised");
    assert_eq!(h.call::<Starter>("GET", "/requests", &alice, None).json()["total"], 1);
    assert_eq!(h.call::<Starter>("GET", "/requests", &bob, None).json()["total"], 0);
}

#[test]
fn bad_bodies_name_every_field_and_store_nothing() {
    let mut h = harness();
    let answer = h.call::<Starter>(
        "POST",
        "/requests",
        &TestCaller::resident("alice"),
        Some(json!({"phone": "call me", "x": 1})),
    );
    assert_eq!(answer.status, 422);
    let fields: Vec<String> =
        answer.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect();
    assert_eq!(fields, ["address", "problem", "phone", "x"]);
    assert!(h.rows("requests").is_empty());
}

#[test]
fn the_owning_units_staff_move_requests_only_along_the_allowed_path() {
    let mut h = harness();
    let id = h.insert(
        "requests",
        json!({"resident": "alice", "address": "3 Elm Street", "problem": "leak", "status": "open"}),
    );
    let staff = TestCaller::staff("fixer", "partner-water", UnitKind::Partner);
    let path = format!("/requests/{id}/status");
    let skipped = h.call::<Starter>("POST", &path, &staff, Some(json!({"to": "done"})));
    assert_eq!((skipped.status, skipped.problem_type().as_deref()), (409, Some("conflict")));
    assert_eq!(h.call::<Starter>("POST", &path, &staff, Some(json!({"to": "in-hand"}))).status, 200);
    assert_eq!(h.rows("requests")[0]["status"], "in-hand");
    let police = TestCaller::staff("officer", "police-central", UnitKind::Police);
    assert_eq!(h.call::<Starter>("POST", &path, &police, Some(json!({"to": "done"}))).status, 403);
    // Another partner is not the owner either.
    let gas = TestCaller::staff("fitter", "partner-gas", UnitKind::Partner);
    let refused = h.call::<Starter>("POST", &path, &gas, Some(json!({"to": "done"})));
    assert_eq!(refused.status, 403);
    assert!(refused.text().contains("partner-water"), "the refusal names the owner: {}", refused.text());
    assert_eq!(h.call::<Starter>("GET", "/requests", &gas, None).status, 403);
    assert_eq!(h.rows("requests")[0]["status"], "in-hand", "nothing changed");
}
