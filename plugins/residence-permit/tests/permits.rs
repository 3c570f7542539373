//! Permits and their yearly endorsement: the status computed from today,
//! the 30-day window, the desk's decision, and who may do what.

mod common;

use common::*;
use onewindow_sdk::cases::Status;
use onewindow_sdk::harness::TestCaller;
use onewindow_sdk::time::today;
use residence_permit::calendar;
use serde_json::json;

#[test]
fn a_permit_s_status_is_computed_from_today() {
    let mut h = harness();
    let valid = seed_permit(&mut h, "r-1", "JZ2026000001", today().add_days(100));
    let due = seed_permit(&mut h, "r-1", "JZ2026000002", today().add_days(10));
    let lapsed = seed_permit(&mut h, "r-1", "JZ2025000003", today().add_days(-1));
    seed_permit(&mut h, "r-2", "JZ2026000004", today().add_days(100));

    let mine = ok(call_en(&mut h, "GET", "/permits", &aygul(), None), 200);
    assert_eq!(mine["total"], 3);
    let statuses: Vec<(i64, &str)> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_i64().unwrap(), p["status"].as_str().unwrap()))
        .collect();
    assert_eq!(statuses, [(lapsed, "lapsed"), (due, "endorsement-due"), (valid, "valid")], "newest first");
    let first = &mine["items"][2];
    assert_eq!(first["endorsement_window_opens"], calendar::window_opens(today().add_days(100)).to_string());
    assert_eq!(first["status_label"], "valid");
    assert!(first["next_step"].as_str().unwrap().contains(&calendar::window_opens(today().add_days(100)).to_string()));
    assert!(mine["items"][0]["next_step"].as_str().unwrap().contains("lapsed"));
    assert_eq!(mine["items"][1]["endorsement_pending"], false);
    let zh = ok(call(&mut h, "GET", &format!("/permits/{due}"), &aygul(), None), 200);
    assert_eq!(zh["status_label"], "待签注");

    assert_eq!(ok(call(&mut h, "GET", "/permits", &erkin(), None), 200)["total"], 1);
    assert_eq!(call(&mut h, "GET", &format!("/permits/{valid}"), &erkin(), None).status, 404);
    assert_eq!(ok(call(&mut h, "GET", "/permits", &desk(), None), 200)["total"], 4);
    assert_eq!(ok(call(&mut h, "GET", &format!("/permits/{valid}"), &desk(), None), 200)["holder"], "r-1");
    for (who, status) in outsiders() {
        assert_eq!(call(&mut h, "GET", "/permits", &who, None).status, status);
        assert_eq!(call(&mut h, "GET", &format!("/permits/{valid}"), &who, None).status, status);
    }
}

#[test]
fn the_endorsement_is_asked_only_in_the_30_days_before_the_last_valid_day() {
    let mut h = harness();
    let early_until = today().add_days(31);
    let early = seed_permit(&mut h, "r-1", "JZ2026000001", early_until);
    let lapsed = seed_permit(&mut h, "r-1", "JZ2025000002", today().add_days(-1));
    let before = state(&h);
    let too_early = call_en(&mut h, "POST", &format!("/permits/{early}/endorsements"), &aygul(), None);
    let detail = problem(&too_early, 409, "conflict");
    let opens = calendar::window_opens(early_until).to_string();
    assert_eq!(opens, today().add_days(1).to_string());
    assert!(
        detail.contains(&format!("you may ask from {opens}")) && detail.contains(&early_until.to_string()),
        "{detail}"
    );
    let zh = call(&mut h, "POST", &format!("/permits/{early}/endorsements"), &aygul(), None);
    assert!(problem(&zh, 409, "conflict").contains(&format!("自 {opens} 起可申请签注")));
    let too_late = call_en(&mut h, "POST", &format!("/permits/{lapsed}/endorsements"), &aygul(), None);
    assert!(problem(&too_late, 409, "conflict").contains("has lapsed"));
    assert_eq!(state(&h), before);

    // Both ends of the window are in it.
    for until in [today(), today().add_days(30)] {
        let mut h = harness();
        let permit = seed_permit(&mut h, "r-1", "JZ2026000009", until);
        ok(call(&mut h, "POST", &format!("/permits/{permit}/endorsements"), &aygul(), None), 201);
    }
}

#[test]
fn the_desk_approves_an_endorsement_and_the_permit_runs_a_year_more() {
    let mut h = harness();
    let until = today().add_days(12);
    let permit = seed_permit(&mut h, "r-1", "JZ2026000001", until);
    let path = format!("/permits/{permit}/endorsements");
    let answer = call_en(&mut h, "POST", &path, &aygul(), Some(json!({ "note": "Same employer, same address." })));
    assert_eq!(answer.status, 201, "{}", answer.text());
    let asked = answer.json();
    let id = asked["id"].as_i64().unwrap();
    assert_eq!(answer.header("location"), Some(format!("/endorsements/{id}").as_str()));
    assert_eq!((asked["status"].as_str(), asked["permit_number"].as_str()), (Some("submitted"), Some("JZ2026000001")));
    assert_eq!(
        (asked["valid_until_before"].as_str(), asked["note"].as_str()),
        (Some(until.to_string().as_str()), Some("Same employer, same address."))
    );
    assert!(asked["what_happens_next"].as_str().unwrap().contains("5 days"));
    let case = h.cases()[0].clone();
    assert_eq!(
        (case.kind.as_str(), case.unit.as_str(), case.status),
        ("endorsement", "police-central", Status::Requested)
    );
    assert!(case.reference.starts_with("RPE-"), "{}", case.reference);
    assert!(asked["due_at"].as_str().unwrap().starts_with(&today().add_days(5).to_string()));
    assert_eq!(templates_sent(&h), ["endorsement-submitted"]);

    // Asked once: a second request waits for the first; the permit shows it pending.
    let before = state(&h);
    let twice = call_en(&mut h, "POST", &path, &aygul(), None);
    assert!(problem(&twice, 409, "conflict").contains(&case.reference));
    assert_eq!(state(&h), before);
    let shown = ok(call(&mut h, "GET", &format!("/permits/{permit}"), &aygul(), None), 200);
    assert_eq!(
        (shown["status"].as_str(), shown["endorsement_pending"].as_bool()),
        (Some("endorsement-due"), Some(true))
    );
    assert_eq!(ok(call(&mut h, "GET", "/endorsements?status=submitted", &desk(), None), 200)["total"], 1);

    let decide = format!("/endorsements/{id}/transition");
    let approved = ok(call(&mut h, "POST", &decide, &desk(), Some(json!({ "to": "approved" }))), 200);
    let new_until = calendar::one_year_after(until).to_string();
    assert_eq!(
        (approved["status"].as_str(), approved["valid_until_after"].as_str()),
        (Some("approved"), Some(new_until.as_str()))
    );
    assert_eq!(approved["decided_by"], "desk-1");
    let renewed = ok(call(&mut h, "GET", &format!("/permits/{permit}"), &aygul(), None), 200);
    assert_eq!(
        (renewed["valid_until"].as_str(), renewed["endorsements"].as_i64()),
        (Some(new_until.as_str()), Some(1))
    );
    assert_eq!(
        (renewed["status"].as_str(), renewed["last_endorsed_on"].as_str()),
        (Some("valid"), Some(today().to_string().as_str()))
    );
    assert_eq!(case_status(&h, case.id), Status::Completed);
    let message = h.messages().last().unwrap().clone();
    assert_eq!(message.template, "endorsement-approved");
    assert!(message.params.contains(&("valid_until".to_owned(), new_until.clone())));
    assert_messages_render(&h);

    let before = state(&h);
    let again = call(&mut h, "POST", &decide, &desk(), Some(json!({ "to": "rejected", "reason": "late" })));
    assert_eq!(problem(&again, 409, "conflict"), "cannot move from approved to rejected; allowed: none");
    let early = call(&mut h, "POST", &path, &aygul(), None);
    assert!(
        problem(&early, 409, "conflict").contains(&calendar::window_opens(calendar::one_year_after(until)).to_string())
    );
    assert_eq!(state(&h), before);
    let history = ok(call(&mut h, "GET", &format!("/permits/{permit}/endorsements"), &aygul(), None), 200);
    assert_eq!((history["total"].as_i64(), history["items"][0]["id"].as_i64()), (Some(1), Some(id)));
}

#[test]
fn a_rejected_endorsement_says_why_and_may_be_asked_again() {
    let mut h = harness();
    let permit = seed_permit(&mut h, "r-1", "JZ2026000001", today().add_days(3));
    let id = ok(call(&mut h, "POST", &format!("/permits/{permit}/endorsements"), &aygul(), None), 201)["id"]
        .as_i64()
        .unwrap();
    let decide = format!("/endorsements/{id}/transition");
    let before = state(&h);
    assert_eq!(fields(&call(&mut h, "POST", &decide, &desk(), Some(json!({ "to": "rejected" })))), ["reason"]);
    let with_reason = json!({ "to": "approved", "reason": "fine" });
    assert_eq!(fields(&call(&mut h, "POST", &decide, &desk(), Some(with_reason))), ["reason"]);
    assert_eq!(fields(&call(&mut h, "POST", &decide, &desk(), Some(json!({ "to": "approved", "x": 1 })))), ["x"]);
    problem(&call(&mut h, "POST", &decide, &desk(), Some(json!({ "to": "submitted" }))), 409, "conflict");
    problem(
        &call(&mut h, "POST", "/endorsements/999/transition", &desk(), Some(json!({ "to": "approved" }))),
        404,
        "not-found",
    );
    assert_eq!(state(&h), before);

    let reason = "The employer reports the contract ended in August.";
    let rejected = ok(call(&mut h, "POST", &decide, &desk(), Some(json!({ "to": "rejected", "reason": reason }))), 200);
    assert_eq!((rejected["status"].as_str(), rejected["rejection_reason"].as_str()), (Some("rejected"), Some(reason)));
    assert_eq!(case_status(&h, h.cases()[0].id), Status::Rejected);
    assert_eq!(h.rows("permits")[0]["valid_until"], today().add_days(3).to_string(), "the permit is unchanged");
    let message = h.messages().last().unwrap().clone();
    assert_eq!(message.template, "endorsement-rejected");
    assert!(message.params.contains(&("reason".to_owned(), reason.to_owned())));
    assert_messages_render(&h);
    ok(call(&mut h, "POST", &format!("/permits/{permit}/endorsements"), &aygul(), None), 201);
}

#[test]
fn a_lapsed_permit_with_an_endorsement_asked_in_time_is_still_due() {
    let mut h = harness();
    let permit = seed_permit(&mut h, "r-1", "JZ2025000001", today().add_days(-2));
    h.insert(
        "endorsements",
        json!({ "holder": "r-1", "permit_id": permit, "permit_number": "JZ2025000001", "status": "submitted",
                "valid_until_before": today().add_days(-2).to_string(), "requested_at": "2026-01-01T00:00:00Z",
                "updated_at": "2026-01-01T00:00:00Z" }),
    );
    let shown = ok(call(&mut h, "GET", &format!("/permits/{permit}"), &aygul(), None), 200);
    assert_eq!(
        (shown["status"].as_str(), shown["endorsement_pending"].as_bool()),
        (Some("endorsement-due"), Some(true))
    );
    // ... and approving it continues from the old last valid day.
    ok(call(&mut h, "POST", "/endorsements/1/transition", &desk(), Some(json!({ "to": "approved" }))), 200);
    let renewed = ok(call(&mut h, "GET", &format!("/permits/{permit}"), &aygul(), None), 200);
    assert_eq!(renewed["valid_until"], calendar::one_year_after(today().add_days(-2)).to_string());
}

#[test]
fn only_the_holder_asks_and_only_police_staff_decide() {
    let mut h = harness();
    let permit = seed_permit(&mut h, "r-1", "JZ2026000001", today().add_days(5));
    let path = format!("/permits/{permit}/endorsements");
    let before = state(&h);
    assert_eq!(problem(&call(&mut h, "POST", &path, &erkin(), None), 404, "not-found"), format!("no permit {permit}"));
    assert_eq!(call(&mut h, "POST", &path, &desk(), None).status, 403);
    for (who, status) in outsiders() {
        assert_eq!(call(&mut h, "POST", &path, &who, None).status, status);
    }
    assert_eq!(
        fields(&call(&mut h, "POST", &path, &aygul(), Some(json!({ "note": "x".repeat(501), "y": 1 })))),
        ["note", "y"]
    );
    assert_eq!(state(&h), before);

    let id = ok(call(&mut h, "POST", &path, &aygul(), None), 201)["id"].as_i64().unwrap();
    let one = format!("/endorsements/{id}");
    assert_eq!(call(&mut h, "GET", &one, &erkin(), None).status, 404);
    assert_eq!(ok(call(&mut h, "GET", "/endorsements", &erkin(), None), 200)["total"], 0);
    assert_eq!(ok(call(&mut h, "GET", &one, &aygul(), None), 200)["status"], "submitted");
    assert_eq!(call(&mut h, "GET", &path, &erkin(), None).status, 404, "nor the list of its endorsements");
    let before = state(&h);
    let mut refused = outsiders();
    refused.extend([(aygul(), 403), (erkin(), 403)]);
    for (who, status) in refused {
        let answer = call(&mut h, "POST", &format!("{one}/transition"), &who, Some(json!({ "to": "approved" })));
        assert_eq!(answer.status, status);
        if who.caller().is_none() || who.caller().is_some_and(|c| c.unit.is_some()) {
            assert_eq!(call(&mut h, "GET", "/endorsements", &who, None).status, status);
        }
    }
    assert_eq!(call(&mut h, "GET", &one, &TestCaller::admin("a"), None).status, 403);
    assert_eq!(state(&h), before);
}

#[test]
fn an_issued_permit_is_endorsed_only_when_its_year_is_nearly_up() {
    let mut h = harness();
    let (_, permit) = issued(&mut h, &aygul());
    let answer = call_en(&mut h, "POST", &format!("/permits/{permit}/endorsements"), &aygul(), None);
    let opens = calendar::window_opens(calendar::one_year_after(today())).to_string();
    assert!(problem(&answer, 409, "conflict").contains(&opens));
}
