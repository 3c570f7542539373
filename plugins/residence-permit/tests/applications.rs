//! The resident's side of an application: the rules, pre-fill, applying
//! (and being refused), the six-month rule, and privacy.

mod common;

use common::*;
use onewindow_sdk::cases::Status;
use onewindow_sdk::harness::{TestCaller, TestRequest};
use onewindow_sdk::time::today;
use residence_permit::ResidencePermit;
use residence_permit::calendar;
use serde_json::{Value, json};

fn codes(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn the_rules_and_checklist_are_public_in_every_language() {
    let mut h = harness();
    let en = ok(call_en(&mut h, "GET", "/requirements", &TestCaller::anonymous(), None), 200);
    assert_eq!((en["language"].as_str(), en["dir"].as_str()), (Some("en"), Some("ltr")));
    assert_eq!(en["minimum_residence_months"], 6);
    assert_eq!((en["processing_days"].as_i64(), en["validity_months"].as_i64()), (Some(15), Some(12)));
    assert_eq!((en["endorsement_window_days"].as_i64(), en["endorsement_days"].as_i64()), (Some(30), Some(5)));
    assert!(en["summary"].as_str().unwrap().contains("six months"));
    assert_eq!(codes(&en["common_items"]), ["resident-id-card", "recent-photo", "floating-registration"]);
    assert_eq!(codes(&en["conditions"]), ["employment", "residence", "study"]);
    let employment = &en["conditions"][0];
    assert_eq!(employment["name"], "Lawful stable employment");
    assert_eq!(employment["names"]["zh"], "合法稳定就业");
    assert_eq!(
        codes(&employment["items"]),
        ["resident-id-card", "recent-photo", "floating-registration", "labour-contract", "business-licence"]
    );
    assert_eq!(employment["items"][3]["group"], employment["items"][4]["group"], "either document will do");
    assert_eq!(codes(&en["conditions"][1]["items"])[3..], ["property-deed", "registered-lease"]);
    assert_eq!(codes(&en["conditions"][2]["items"])[3..], ["enrolment-certificate"]);
    assert!(codes(&en["fields"]).contains(&"arrival_date".to_owned()));
    assert_eq!(codes(&en["housing_types"]), ["owned", "rented"]);

    let ug = h.send::<ResidencePermit>(TestRequest::new("GET", "/requirements").header("accept-language", "ug"));
    assert_eq!(ug.header("content-language"), Some("ug"));
    let ug = ok(ug, 200);
    assert_eq!((ug["language"].as_str(), ug["dir"].as_str()), (Some("ug"), Some("rtl")));
    assert_eq!(ug["conditions"][2]["items"][3]["name"], "ئوقۇۋاتقانلىق ئىسپاتى");
    let zh = ok(call(&mut h, "GET", "/requirements", &desk(), None), 200);
    assert_eq!(zh["conditions"][0]["items"][3]["name"], "劳动合同", "Chinese by default");
    assert_eq!(zh["fields"][0]["name"], "姓名");
}

#[test]
fn a_resident_applies_and_gets_the_checklist_a_case_and_a_message() {
    let mut h = harness();
    let answer = call_en(&mut h, "POST", "/applications", &aygul(), Some(application()));
    assert_eq!(answer.status, 201, "{}", answer.text());
    let body = answer.json();
    let id = body["id"].as_i64().unwrap();
    assert_eq!(answer.header("location"), Some(format!("/applications/{id}").as_str()));
    assert_eq!(answer.header("content-language"), Some("en"));
    assert_eq!((body["status"].as_str(), body["applicant"].as_str()), (Some("submitted"), Some("r-1")));
    assert_eq!((body["reason"].as_str(), body["id_number"].as_str()), (Some("employment"), Some("11010519491231002X")));
    assert_eq!(codes(&body["checklist"])[3..], ["labour-contract", "business-licence"]);
    assert_eq!(body["checklist"][0]["name"], "Resident ID card");
    assert!(body["what_happens_next"].as_str().unwrap().starts_with("Submitted."));
    assert_eq!(body["missing_items"], json!([]));

    let case = h.cases()[0].clone();
    assert_eq!(
        (case.kind.as_str(), case.unit.as_str(), case.status),
        ("application", "police-central", Status::Requested)
    );
    assert!(case.reference.starts_with("RP-"), "{}", case.reference);
    assert_eq!(
        (body["case_id"].as_i64(), body["case_reference"].as_str()),
        (Some(case.id), Some(case.reference.as_str()))
    );
    assert!(body["due_at"].as_str().unwrap().starts_with(&today().add_days(15).to_string()));
    assert_eq!(h.messages().len(), 1);
    assert_eq!(
        (h.messages()[0].resident.as_str(), h.messages()[0].template.as_str()),
        ("r-1", "application-submitted")
    );
    assert_eq!(h.messages()[0].params, [("reference".to_owned(), case.reference.clone())]);
    assert_messages_render(&h);

    // What was new went to the shared record, as the application says it.
    let profiles = h.records("resident_profile");
    assert_eq!(profiles.len(), 1);
    assert_eq!((profiles[0]["resident"].as_str(), profiles[0]["phone"].as_str()), (Some("r-1"), Some("138 0013 8000")));
    assert_eq!(profiles[0]["id_number"], "11010519491231002X");
    let floating = h.records("floating_population");
    assert_eq!(floating.len(), 1);
    assert_eq!(
        (floating[0]["reason"].as_str(), floating[0]["arrival_date"].as_str()),
        (Some("employment"), Some(settled().as_str()))
    );

    // Read back in Chinese: the same application, the texts in the caller's language.
    let zh = ok(call(&mut h, "GET", &format!("/applications/{id}"), &aygul(), None), 200);
    assert_eq!(zh["checklist"][0]["name"], "居民身份证");
    assert!(zh["what_happens_next"].as_str().unwrap().contains("15 日内"));
    assert_eq!(zh["updated_at"], body["updated_at"]);
}

#[test]
fn each_condition_needs_its_own_details_and_brings_its_own_checklist() {
    let mut h = harness();
    let mut residence = application();
    residence["reason"] = json!("residence");
    residence.as_object_mut().unwrap().remove("employer_or_school");
    let before = state(&h);
    let answer = call(&mut h, "POST", "/applications", &aygul(), Some(residence.clone()));
    assert_eq!(fields(&answer), ["housing_type", "housing_certificate"]);
    assert_eq!(state(&h), before);
    residence["housing_type"] = json!("rented");
    residence["housing_certificate"] = json!("ZL-2026-004217");
    let body = ok(call(&mut h, "POST", "/applications", &aygul(), Some(residence)), 201);
    assert_eq!((body["housing_type"].as_str(), body["employer_or_school"].as_str()), (Some("rented"), None));
    assert_eq!(codes(&body["checklist"])[3..], ["property-deed", "registered-lease"]);

    let mut study = application();
    study["reason"] = json!("study");
    study.as_object_mut().unwrap().remove("employer_or_school");
    assert_eq!(fields(&call(&mut h, "POST", "/applications", &erkin(), Some(study.clone()))), ["employer_or_school"]);
    study["employer_or_school"] = json!("Xinjiang University");
    let body = ok(call(&mut h, "POST", "/applications", &erkin(), Some(study)), 201);
    assert_eq!(codes(&body["checklist"])[3..], ["enrolment-certificate"]);
}

#[test]
fn bad_applications_name_every_field_and_store_nothing() {
    let mut h = harness();
    let before = state(&h);
    let mut bad = application();
    bad["id_number"] = json!("110105194912310021");
    bad["arrival_date"] = json!("2026-02-30");
    bad["reason"] = json!("work");
    bad["phone"] = json!("call me");
    let answer = call(&mut h, "POST", "/applications", &aygul(), Some(bad));
    assert_eq!(fields(&answer), ["id_number", "arrival_date", "reason", "phone"]);
    let reason = &answer.json()["errors"][2]["message"];
    assert_eq!(reason, "must be one of employment, residence, study", "`work` is no longer a reason");

    let missing = call(&mut h, "POST", "/applications", &aygul(), Some(json!({ "full_name": "Only A Name" })));
    assert_eq!(fields(&missing), ["id_number", "current_address", "arrival_date", "reason", "phone"]);
    let mut no_employer = application();
    no_employer.as_object_mut().unwrap().remove("employer_or_school");
    assert_eq!(fields(&call(&mut h, "POST", "/applications", &aygul(), Some(no_employer))), ["employer_or_school"]);
    let mut wrong_type = application();
    wrong_type["arrival_date"] = json!(20260301);
    assert_eq!(fields(&call(&mut h, "POST", "/applications", &aygul(), Some(wrong_type))), ["arrival_date"]);
    let mut extra = application();
    extra["status"] = json!("approved");
    assert_eq!(fields(&call(&mut h, "POST", "/applications", &aygul(), Some(extra))), ["status"]);
    let future = json!({ "arrival_date": today().add_days(1).to_string() });
    let answer = call(&mut h, "POST", "/applications", &aygul(), Some(future));
    assert!(answer.json()["errors"].as_array().unwrap().iter().any(|e| e["message"] == "must not be in the future"));

    let garbled = TestRequest::new("POST", "/applications")
        .caller(&aygul())
        .header("content-type", "application/json")
        .body(b"{\"full_name\": ".to_vec());
    problem(&h.send::<ResidencePermit>(garbled), 400, "bad-request");
    let text =
        TestRequest::new("POST", "/applications").caller(&aygul()).header("content-type", "text/plain").body("hi");
    problem(&h.send::<ResidencePermit>(text), 415, "unsupported-media-type");
    for (who, status) in outsiders().into_iter().chain([(desk(), 403)]) {
        assert_eq!(call(&mut h, "POST", "/applications", &who, Some(application())).status, status);
    }
    assert_eq!(state(&h), before, "no refused request stored anything, shared record and inbox included");
}

#[test]
fn six_calendar_months_must_have_passed_and_the_refusal_says_from_when() {
    let mut h = harness();
    let (latest, too_late) = six_months_boundary();
    let first_day = calendar::eligible_from(too_late).to_string();
    assert_eq!(first_day, today().add_days(1).to_string(), "one day short of six months");

    let before = state(&h);
    let mut early = application();
    early["arrival_date"] = json!(too_late.to_string());
    let zh = call(&mut h, "POST", "/applications", &aygul(), Some(early.clone()));
    assert_eq!(fields(&zh), ["arrival_date"]);
    let message = zh.json()["errors"][0]["message"].as_str().unwrap().to_owned();
    assert_eq!(message, format!("须在本地居住满六个月：您自 {first_day} 起可以申请。"));
    let en = call_en(&mut h, "POST", "/applications", &aygul(), Some(early.clone()));
    assert_eq!(
        en.json()["errors"][0]["message"],
        format!("You must have lived here six months: you may apply from {first_day}.")
    );
    let ug = h.send::<ResidencePermit>(
        TestRequest::new("POST", "/applications").caller(&aygul()).header("accept-language", "ug").json(&early),
    );
    assert!(ug.json()["errors"][0]["message"].as_str().unwrap().contains(&first_day));
    // With another bad field, both are named at once.
    early["phone"] = json!("call me");
    assert_eq!(fields(&call(&mut h, "POST", "/applications", &aygul(), Some(early))), ["arrival_date", "phone"]);
    assert_eq!(state(&h), before);

    let mut on_time = application();
    on_time["arrival_date"] = json!(latest.to_string());
    ok(call(&mut h, "POST", "/applications", &aygul(), Some(on_time)), 201);
}

#[test]
fn prefill_combines_the_profile_and_the_registration_of_the_caller_only() {
    let mut h = harness();
    h.insert_record(
        "resident_profile",
        "r-1",
        json!({ "name": "Aygül Tursun", "id_number": "11010519491231002X", "phone": "13800138000", "current_address": "12 Garden Road, Urumqi" }),
    );
    // Version 0.2 registered the reason `work`.
    h.insert_record(
        "floating_population",
        "r-1",
        json!({ "arrival_date": "2026-01-15", "origin": "Kashgar", "reason": "work", "employer_or_school": "City Hospital" }),
    );
    h.insert_record("resident_profile", "r-2", json!({ "name": "Someone Else", "phone": "13900139000" }));
    let known = ok(call(&mut h, "GET", "/prefill", &aygul(), None), 200);
    assert_eq!(
        known,
        json!({
            "full_name": "Aygül Tursun", "id_number": "11010519491231002X", "phone": "13800138000",
            "current_address": "12 Garden Road, Urumqi", "arrival_date": "2026-01-15", "reason": "employment",
            "employer_or_school": "City Hospital", "housing_type": null, "housing_certificate": null,
            "origin": "Kashgar", "eligible_from": "2026-07-15",
        })
    );
    let nothing = ok(call(&mut h, "GET", "/prefill", &TestCaller::resident("r-3"), None), 200);
    assert_eq!((nothing["full_name"].as_str(), nothing["arrival_date"].as_str()), (Some(""), Some("")));
    assert!(nothing["eligible_from"].is_null() && nothing["employer_or_school"].is_null());
    for (who, status) in outsiders().into_iter().chain([(desk(), 403)]) {
        assert_eq!(call(&mut h, "GET", "/prefill", &who, None).status, status);
    }
}

#[test]
fn an_application_from_the_record_writes_back_only_what_changed() {
    let mut h = harness();
    let arrival = settled();
    h.insert_record(
        "resident_profile",
        "r-1",
        json!({ "name": "Aygül Tursun", "id_number": "11010519491231002X", "phone": "13800138000", "current_address": "12 Garden Road, Urumqi" }),
    );
    h.insert_record(
        "floating_population",
        "r-1",
        json!({ "arrival_date": arrival, "origin": "Kashgar", "reason": "employment", "employer_or_school": "City Hospital" }),
    );
    // Only a new phone number: everything else comes from the record.
    let body = ok(call(&mut h, "POST", "/applications", &aygul(), Some(json!({ "phone": "139 0013 9000" }))), 201);
    assert_eq!(
        (body["full_name"].as_str(), body["employer_or_school"].as_str()),
        (Some("Aygül Tursun"), Some("City Hospital"))
    );
    assert_eq!(body["arrival_date"], arrival.as_str());
    let profiles = h.records("resident_profile");
    assert_eq!(profiles.len(), 1, "updated, not inserted again");
    assert_eq!(profiles[0]["phone"], "139 0013 9000");
    assert_eq!(profiles[0]["current_address"], "12 Garden Road, Urumqi");
    let floating = h.records("floating_population");
    assert_eq!(floating.len(), 1);
    assert_eq!(floating[0]["origin"], "Kashgar", "nothing the application does not say is touched");
}

#[test]
fn one_application_at_a_time_and_none_while_a_permit_is_held() {
    let mut h = harness();
    let first = apply(&mut h, &aygul());
    let before = state(&h);
    let twice = call_en(&mut h, "POST", "/applications", &aygul(), Some(application()));
    let detail = problem(&twice, 409, "conflict");
    assert!(detail.contains(&format!("application {first}")), "{detail}");
    assert_eq!(state(&h), before);
    ok(call(&mut h, "POST", &format!("/applications/{first}/withdraw"), &aygul(), None), 200);
    apply(&mut h, &aygul());

    // A holder of a permit that has not lapsed endorses it instead; a lapsed one applies anew.
    seed_permit(&mut h, "r-2", "JZ2025000007", today().add_days(40));
    let held = call_en(&mut h, "POST", "/applications", &erkin(), Some(application()));
    assert!(problem(&held, 409, "conflict").contains("JZ2025000007"));
    let mut h = harness();
    seed_permit(&mut h, "r-2", "JZ2024000007", today().add_days(-1));
    apply(&mut h, &erkin());
}

#[test]
fn residents_see_only_their_own_and_the_desk_sees_all() {
    let mut h = harness();
    let first = apply(&mut h, &aygul());
    let path = format!("/applications/{first}");
    assert_eq!(
        problem(&call(&mut h, "GET", &path, &erkin(), None), 404, "not-found"),
        format!("no application {first}")
    );
    assert_eq!(ok(call(&mut h, "GET", "/applications", &erkin(), None), 200)["total"], 0);
    apply(&mut h, &erkin());
    let mine = ok(call(&mut h, "GET", "/applications", &aygul(), None), 200);
    assert_eq!((mine["total"].as_i64(), mine["items"][0]["id"].as_i64()), (Some(1), Some(first)));
    let all = ok(call(&mut h, "GET", "/applications?status=submitted&limit=1", &desk(), None), 200);
    assert_eq!((all["total"].as_i64(), all["items"].as_array().unwrap().len()), (Some(2), 1));
    assert!(all["items"][0]["id"].as_i64().unwrap() > first, "newest first");
    assert_eq!(ok(call(&mut h, "GET", &path, &desk(), None), 200)["applicant"], "r-1");
    assert_eq!(fields(&call(&mut h, "GET", "/applications?limit=ten", &aygul(), None)), ["limit"]);
    assert_eq!(call(&mut h, "GET", "/applications/abc", &aygul(), None).status, 404);
    for (who, status) in outsiders() {
        assert_eq!(call(&mut h, "GET", "/applications", &who, None).status, status);
        assert_eq!(call(&mut h, "GET", &path, &who, None).status, status);
    }
}
