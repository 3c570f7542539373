//! The newcomer's first steps: the floating-population registration (which
//! starts the six-month clock) and the rental-housing registration.

mod common;

use common::*;
use onewindow_sdk::time::today;
use residence_permit::calendar;
use serde_json::json;

fn registration(arrival: &str) -> serde_json::Value {
    json!({
        "arrival_date": arrival,
        "origin": "Kashgar, Xinjiang",
        "reason": "employment",
        "employer_or_school": "City Power Supply Co.",
        "current_address": "Room 3, 12 Jiefang South Road",
    })
}

fn lease() -> serde_json::Value {
    json!({
        "address": "Room 3, 12 Jiefang South Road",
        "landlord_name": "Mahmut Ali",
        "landlord_phone": "139 0013 9000",
        "tenants": ["Aygül Tursun", "Erkin Tursun"],
        "lease_start": today().add_days(-30).to_string(),
        "lease_end": today().add_days(335).to_string(),
    })
}

#[test]
fn a_newcomer_registers_and_learns_when_they_may_apply() {
    let mut h = harness();
    problem(&call(&mut h, "GET", "/registration", &aygul(), None), 404, "not-found");
    let arrival = today().add_days(-10);
    let answer = call_en(&mut h, "POST", "/registration", &aygul(), Some(registration(&arrival.to_string())));
    let body = ok(answer, 201);
    let eligible = calendar::eligible_from(arrival).to_string();
    assert_eq!((body["eligible_from"].as_str(), body["may_apply"].as_bool()), (Some(eligible.as_str()), Some(false)));
    assert_eq!(body["next_step"], format!("You must have lived here six months: you may apply from {eligible}."));
    assert_eq!(body["current_address"], "Room 3, 12 Jiefang South Road");
    let floating = h.records("floating_population");
    assert_eq!(floating.len(), 1);
    assert_eq!(
        (floating[0]["resident"].as_str(), floating[0]["origin"].as_str(), floating[0]["reason"].as_str()),
        (Some("r-1"), Some("Kashgar, Xinjiang"), Some("employment"))
    );
    assert_eq!(h.records("resident_profile")[0]["current_address"], "Room 3, 12 Jiefang South Road");

    // Read back; another resident has none.
    assert_eq!(ok(call(&mut h, "GET", "/registration", &aygul(), None), 200)["arrival_date"], arrival.to_string());
    assert_eq!(call(&mut h, "GET", "/registration", &erkin(), None).status, 404);

    // Too early to apply with that arrival; the application says from when.
    let early = call(
        &mut h,
        "POST",
        "/applications",
        &aygul(),
        Some(json!({ "full_name": "Aygül Tursun",
        "id_number": "11010519491231002X", "phone": "13800138000" })),
    );
    assert_eq!(fields(&early), ["arrival_date"]);
    assert!(early.json()["errors"][0]["message"].as_str().unwrap().contains(&eligible));

    // A corrected registration updates the row (200), changing only what changed.
    let settled_arrival = settled();
    let updated = ok(call(&mut h, "POST", "/registration", &aygul(), Some(registration(&settled_arrival))), 200);
    assert_eq!(updated["may_apply"], true);
    assert_eq!(h.records("floating_population").len(), 1);
    assert_eq!(h.records("floating_population")[0]["arrival_date"], settled_arrival.as_str());

    // The application is pre-filled from the registration.
    let prefill = ok(call(&mut h, "GET", "/prefill", &aygul(), None), 200);
    assert_eq!(
        (prefill["arrival_date"].as_str(), prefill["reason"].as_str()),
        (Some(settled_arrival.as_str()), Some("employment"))
    );
    let applied = call(
        &mut h,
        "POST",
        "/applications",
        &aygul(),
        Some(json!({ "full_name": "Aygül Tursun",
        "id_number": "11010519491231002X", "phone": "13800138000" })),
    );
    let applied = ok(applied, 201);
    assert_eq!(applied["employer_or_school"], "City Power Supply Co.");
    assert_eq!(applied["current_address"], "Room 3, 12 Jiefang South Road");
}

#[test]
fn a_bad_registration_names_every_field_and_writes_nothing() {
    let mut h = harness();
    let before = state(&h);
    let bad = json!({ "arrival_date": today().add_days(1).to_string(), "origin": "K", "reason": "tourism",
                      "current_address": 12, "extra": true });
    let answer = call(&mut h, "POST", "/registration", &aygul(), Some(bad));
    assert_eq!(fields(&answer), ["arrival_date", "origin", "reason", "current_address", "extra"]);
    let study = json!({ "arrival_date": "2026-01-01", "origin": "Kashgar", "reason": "study", "current_address": "12 Garden Road" });
    assert_eq!(fields(&call(&mut h, "POST", "/registration", &aygul(), Some(study))), ["employer_or_school"]);
    assert_eq!(fields(&call(&mut h, "POST", "/registration", &aygul(), Some(json!({})))).len(), 4);
    for (who, status) in outsiders().into_iter().chain([(desk(), 403)]) {
        assert_eq!(call(&mut h, "POST", "/registration", &who, Some(registration("2026-01-01"))).status, status);
        assert_eq!(call(&mut h, "GET", "/registration", &who, None).status, status);
    }
    assert_eq!(state(&h), before);
}

#[test]
fn a_tenant_registers_a_lease_and_sees_only_their_own() {
    let mut h = harness();
    let answer = call(&mut h, "POST", "/rentals", &aygul(), Some(lease()));
    let body = ok(answer, 201);
    assert_eq!((body["landlord_phone"].as_str(), body["current"].as_bool()), (Some("13900139000"), Some(true)));
    assert_eq!(body["tenants"], json!(["Aygül Tursun", "Erkin Tursun"]));
    let rows = h.records("rental_housing");
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0]["resident"].as_str(), rows[0]["id"].as_i64()), (Some("r-1"), body["id"].as_i64()));
    assert_eq!(rows[0]["tenants"], r#"["Aygül Tursun","Erkin Tursun"]"#);

    let mut next = lease();
    next["address"] = json!("Flat 7, 3 Yan'an Road");
    ok(call(&mut h, "POST", "/rentals", &aygul(), Some(next)), 201);
    h.insert_record("rental_housing", "r-2", json!({ "address": "Elsewhere 1", "tenants": "Someone" }));
    let mine = ok(call(&mut h, "GET", "/rentals?limit=1", &aygul(), None), 200);
    assert_eq!(
        (mine["total"].as_i64(), mine["items"][0]["address"].as_str()),
        (Some(2), Some("Flat 7, 3 Yan'an Road"))
    );
    let theirs = ok(call(&mut h, "GET", "/rentals", &erkin(), None), 200);
    assert_eq!((theirs["total"].as_i64(), theirs["items"][0]["tenants"].clone()), (Some(1), json!(["Someone"])));
}

#[test]
fn a_bad_lease_names_every_field_and_writes_nothing() {
    let mut h = harness();
    let before = state(&h);
    let bad = json!({ "address": "x", "landlord_phone": "call me", "tenants": "Aygül",
                      "lease_start": "2026-13-01", "lease_end": today().add_days(-1).to_string(), "rent": 900 });
    let answer = call(&mut h, "POST", "/rentals", &aygul(), Some(bad));
    assert_eq!(
        fields(&answer),
        ["address", "landlord_name", "landlord_phone", "tenants", "lease_start", "lease_end", "rent"]
    );
    let mut backwards = lease();
    backwards["lease_end"] = backwards["lease_start"].clone();
    let answer = call(&mut h, "POST", "/rentals", &aygul(), Some(backwards));
    assert_eq!(fields(&answer), ["lease_end"], "named once, with the first rule it breaks");
    let mut crowded = lease();
    crowded["tenants"] = json!(vec!["A"; 21]);
    assert_eq!(fields(&call(&mut h, "POST", "/rentals", &aygul(), Some(crowded))), ["tenants"]);
    for (who, status) in outsiders().into_iter().chain([(desk(), 403)]) {
        assert_eq!(call(&mut h, "POST", "/rentals", &who, Some(lease())).status, status);
        assert_eq!(call(&mut h, "GET", "/rentals", &who, None).status, status);
    }
    assert_eq!(state(&h), before);
}
