//! The service fails closed: with one `[[records]]` grant or one capability
//! taken away from the manifest, the routes that need it answer a generic
//! 500 and keep nothing they wrote; the routes that do not need it work.

mod common;

use common::*;
use onewindow_sdk::harness::Harness;
use serde_json::json;

/// The manifest without the `[[records]]` block of `table`.
fn without_records(table: &str) -> String {
    let marker = format!("[[records]]\ntable = \"{table}\"");
    let start = MANIFEST.find(&marker).unwrap_or_else(|| panic!("no [[records]] grant for {table}"));
    let end = start + 1 + MANIFEST[start + 1..].find("\n[").unwrap();
    let manifest = format!("{}{}", &MANIFEST[..start], &MANIFEST[end..]);
    assert!(!manifest.contains(&marker) && manifest.contains("[[records]]"), "only that grant is gone");
    manifest
}

fn without_capability(capability: &str) -> String {
    let all = "capabilities = [\"data\", \"log\", \"records\", \"cases\", \"notify\"]";
    assert!(MANIFEST.contains(all));
    MANIFEST.replace(all, &all.replace(&format!(", \"{capability}\""), ""))
}

fn failed_as_a_bug(answer: &onewindow_sdk::harness::TestResponse, h: &Harness) {
    assert_eq!((answer.status, answer.problem_type().as_deref()), (500, Some("internal")), "{}", answer.text());
    assert_eq!(answer.json()["detail"], "the service failed; quote the request id", "nothing of the insides is told");
    assert!(h.logs().iter().any(|l| l.level == "error"), "the detail is in the plugin's log: {:?}", h.logs());
}

#[test]
fn without_the_rental_housing_grant_leases_fail_and_applications_still_work() {
    let mut h = Harness::from_manifest(&without_records("rental_housing")).unwrap();
    let lease = json!({ "address": "Room 3, 12 Jiefang South Road", "landlord_name": "Mahmut Ali",
                        "landlord_phone": "13900139000", "tenants": ["Aygül Tursun"],
                        "lease_start": "2026-01-01", "lease_end": "2099-12-31" });
    let before = state(&h);
    let answer = call(&mut h, "POST", "/rentals", &aygul(), Some(lease));
    failed_as_a_bug(&answer, &h);
    assert!(h.logs().iter().any(|l| l.message.contains("rental_housing")));
    failed_as_a_bug(&call(&mut h, "GET", "/rentals", &aygul(), None), &h);
    assert_eq!(state(&h), before);
    apply(&mut h, &aygul());
}

#[test]
fn without_the_floating_population_grant_nothing_of_an_application_is_kept() {
    let mut h = Harness::from_manifest(&without_records("floating_population")).unwrap();
    let before = state(&h);
    failed_as_a_bug(&call(&mut h, "POST", "/applications", &aygul(), Some(application())), &h);
    assert_eq!(state(&h), before, "no application, profile, case or message");
    failed_as_a_bug(&call(&mut h, "GET", "/prefill", &aygul(), None), &h);
    let registration = json!({ "arrival_date": "2026-01-01", "origin": "Kashgar", "reason": "family",
                               "current_address": "12 Garden Road" });
    failed_as_a_bug(&call(&mut h, "POST", "/registration", &aygul(), Some(registration)), &h);
    assert_eq!(state(&h), before);
    ok(call(&mut h, "GET", "/requirements", &aygul(), None), 200);
}

#[test]
fn without_the_profile_grant_an_application_is_not_kept() {
    let mut h = Harness::from_manifest(&without_records("resident_profile")).unwrap();
    let before = state(&h);
    failed_as_a_bug(&call(&mut h, "POST", "/applications", &aygul(), Some(application())), &h);
    assert_eq!(state(&h), before);
}

#[test]
fn without_cases_or_notify_the_moves_that_need_them_are_not_kept() {
    let mut h = Harness::from_manifest(&without_capability("cases")).unwrap();
    let before = state(&h);
    failed_as_a_bug(&call(&mut h, "POST", "/applications", &aygul(), Some(application())), &h);
    assert_eq!(state(&h), before);

    // Seeded directly: an application as applied before the grant went.
    let mut h = Harness::from_manifest(&without_capability("notify")).unwrap();
    h.insert(
        "applications",
        json!({ "applicant": "r-1", "full_name": "Aygül Tursun", "id_number": "11010519491231002X",
                "current_address": "12 Garden Road", "arrival_date": "2026-01-01", "reason": "employment",
                "employer_or_school": "City Hospital", "phone": "13800138000", "status": "submitted",
                "submitted_at": "2026-11-01T00:00:00Z", "updated_at": "2026-11-01T00:00:00Z" }),
    );
    let before = state(&h);
    let answer = call(&mut h, "POST", "/applications/1/transition", &desk(), Some(json!({ "to": "under-review" })));
    failed_as_a_bug(&answer, &h);
    assert_eq!(state(&h), before, "the status did not move without its message");
    ok(call(&mut h, "GET", "/applications/1", &aygul(), None), 200);
}
