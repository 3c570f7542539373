//! The desk's side: review, asking for more, resubmission, approval,
//! issue (the permit number), rejection and withdrawal, with the case and
//! the inbox following every status; and every refusal changing nothing.

mod common;

use common::*;
use onewindow_sdk::UnitKind;
use onewindow_sdk::cases::Status;
use onewindow_sdk::harness::TestCaller;
use onewindow_sdk::time::today;
use residence_permit::calendar;
use serde_json::json;

#[test]
fn the_desk_reviews_approves_and_issues_with_the_case_and_inbox_following() {
    let mut h = harness();
    let id = apply(&mut h, &aygul());
    let case = h.cases()[0].id;
    let path = format!("/applications/{id}/transition");
    let queue = ok(call(&mut h, "GET", "/applications?status=submitted", &desk(), None), 200);
    assert_eq!(queue["total"], 1);

    let reviewing = moved(&mut h, id, json!({ "to": "under-review" }));
    assert_eq!(
        (reviewing["status"].as_str(), reviewing["reviewed_by"].as_str()),
        (Some("under-review"), Some("desk-1"))
    );
    assert_eq!(case_status(&h, case), Status::InProgress, "accepted on review");
    let approved = ok(call_en(&mut h, "POST", &path, &desk(), Some(json!({ "to": "approved" }))), 200);
    assert!(approved["what_happens_next"].as_str().unwrap().starts_with("Approved"));
    assert_eq!(case_status(&h, case), Status::InProgress);
    let issued = moved(&mut h, id, json!({ "to": "issued" }));
    assert_eq!(issued["status"], "issued");

    let year = today().year;
    let number = format!("JZ{year}000001");
    assert_eq!(issued["permit_number"], number.as_str());
    let permits = h.rows("permits");
    assert_eq!(permits.len(), 1);
    let permit = &permits[0];
    assert_eq!(issued["permit_id"], permit["id"]);
    assert_eq!((permit["holder"].as_str(), permit["permit_number"].as_str()), (Some("r-1"), Some(number.as_str())));
    assert_eq!(permit["valid_from"], today().to_string());
    assert_eq!(permit["valid_until"], calendar::one_year_after(today()).to_string());
    assert_eq!((permit["application_id"].as_i64(), permit["endorsements"].as_i64()), (Some(id), Some(0)));
    assert_eq!(h.rows("permit_serials"), [json!({ "id": 1, "year": year, "last_serial": 1 })]);

    assert_eq!(case_status(&h, case), Status::Completed);
    let expected = [
        ("opened", Some(Status::Requested)),
        ("transition", Some(Status::Accepted)),
        ("transition", Some(Status::InProgress)),
        ("transition", Some(Status::Completed)),
    ]
    .map(|(action, to)| (action.to_owned(), to));
    assert_eq!(case_moves(&h, case), expected);
    assert_eq!(
        templates_sent(&h),
        ["application-submitted", "application-under-review", "application-approved", "application-issued"]
    );
    let last = h.messages().last().unwrap();
    assert!(last.params.contains(&("number".to_owned(), number.clone())));
    assert!(last.params.contains(&("valid_until".to_owned(), calendar::one_year_after(today()).to_string())));
    assert_messages_render(&h);

    // The resident sees the permit; nothing moves an issued application again.
    let mine = ok(call(&mut h, "GET", "/permits", &aygul(), None), 200);
    assert_eq!((mine["total"].as_i64(), mine["items"][0]["status"].as_str()), (Some(1), Some("valid")));
    let again = call(&mut h, "POST", &path, &desk(), Some(json!({ "to": "issued" })));
    assert!(problem(&again, 409, "conflict").ends_with("allowed: none"));
}

#[test]
fn permit_serials_are_unique_per_year_and_come_from_the_table() {
    let mut h = harness();
    let year = today().year;
    h.insert("permit_serials", json!({ "year": year - 1, "last_serial": 977 }));
    let (_, first) = issued(&mut h, &aygul());
    let (_, second) = issued(&mut h, &erkin());
    let numbers: Vec<String> =
        h.rows("permits").iter().map(|p| p["permit_number"].as_str().unwrap().to_owned()).collect();
    assert_eq!(numbers, [format!("JZ{year}000001"), format!("JZ{year}000002")]);
    assert!(first != second);
    let mut h = harness();
    h.insert("permit_serials", json!({ "year": year, "last_serial": 41 }));
    issued(&mut h, &aygul());
    assert_eq!(h.rows("permits")[0]["permit_number"], format!("JZ{year}000042"));
}

#[test]
fn more_information_puts_the_case_on_hold_until_the_resident_resubmits() {
    let mut h = harness();
    let id = apply(&mut h, &aygul());
    let case = h.cases()[0].id;
    moved(&mut h, id, json!({ "to": "under-review" }));
    let ask = json!({
        "to": "more-info-requested",
        "message": "The labour contract is not signed by the employer.",
        "missing_items": ["labour-contract"],
    });
    let waiting = moved(&mut h, id, ask);
    assert_eq!(waiting["status"], "more-info-requested");
    assert_eq!(waiting["info_request"], "The labour contract is not signed by the employer.");
    assert_eq!(waiting["missing_items"], json!(["labour-contract"]));
    assert!(waiting["what_happens_next"].as_str().unwrap().contains("重新提交"));
    assert_eq!(case_status(&h, case), Status::OnHold);
    let message = h.messages().last().unwrap().clone();
    assert_eq!(message.template, "application-more-info");
    assert!(
        message.params.contains(&("message".to_owned(), "The labour contract is not signed by the employer.".into()))
    );

    // Staff cannot resume it themselves, nor approve it while it waits.
    let before = state(&h);
    let path = format!("/applications/{id}/transition");
    for to in ["under-review", "approved"] {
        let refused = call(&mut h, "POST", &path, &desk(), Some(json!({ "to": to })));
        assert!(problem(&refused, 409, "conflict").ends_with("allowed: rejected"));
    }
    // A resubmission is checked as an application is, and a bad one changes nothing.
    let resubmit = format!("/applications/{id}/resubmit");
    let bad = call(&mut h, "POST", &resubmit, &aygul(), Some(json!({ "employer_or_school": "X", "reason": "work" })));
    assert_eq!(fields(&bad), ["reason", "employer_or_school"]);
    assert_eq!(call(&mut h, "POST", &resubmit, &erkin(), Some(json!({}))).status, 404);
    assert_eq!(call(&mut h, "POST", &resubmit, &desk(), Some(json!({}))).status, 403);
    assert_eq!(state(&h), before);

    let corrected = json!({ "employer_or_school": "City Power Supply Co. (Tianshan branch)" });
    let resumed = ok(call_en(&mut h, "POST", &resubmit, &aygul(), Some(corrected)), 200);
    assert_eq!(resumed["status"], "under-review");
    assert_eq!(resumed["employer_or_school"], "City Power Supply Co. (Tianshan branch)");
    assert_eq!(resumed["full_name"], "Aygül Tursun", "what was left out is kept");
    assert!(resumed["info_request"].is_null() && resumed["missing_items"] == json!([]));
    assert!(resumed["resubmitted_at"].is_string());
    assert!(resumed["what_happens_next"].as_str().unwrap().contains("reviewing"));
    assert_eq!(case_status(&h, case), Status::InProgress);
    assert_eq!(h.records("floating_population")[0]["employer_or_school"], "City Power Supply Co. (Tianshan branch)");
    let tail: Vec<_> = case_moves(&h, case).into_iter().skip(3).collect();
    assert_eq!(
        tail,
        [("transition".to_owned(), Some(Status::OnHold)), ("transition".to_owned(), Some(Status::InProgress))]
    );
    assert_eq!(templates_sent(&h).last().unwrap(), "application-under-review");
    let again = call(&mut h, "POST", &resubmit, &aygul(), Some(json!({})));
    assert!(problem(&again, 409, "conflict").contains("allowed: withdrawn"));

    moved(&mut h, id, json!({ "to": "approved" }));
    moved(&mut h, id, json!({ "to": "issued" }));
    assert_eq!(case_status(&h, case), Status::Completed);
    assert_messages_render(&h);
}

#[test]
fn a_rejection_needs_a_reason_and_closes_the_case_from_any_open_status() {
    for (before, case_after) in [
        (&[][..], Status::Rejected),
        (&["under-review"][..], Status::Failed),
        (&["under-review", "more-info-requested"][..], Status::Failed),
    ] {
        let mut h = harness();
        let id = apply(&mut h, &aygul());
        for to in before {
            let body = if *to == "more-info-requested" {
                json!({ "to": to, "message": "Bring the enrolment certificate." })
            } else {
                json!({ "to": to })
            };
            moved(&mut h, id, body);
        }
        let path = format!("/applications/{id}/transition");
        let snapshot = state(&h);
        assert_eq!(fields(&call(&mut h, "POST", &path, &desk(), Some(json!({ "to": "rejected" })))), ["reason"]);
        let long = json!({ "to": "rejected", "reason": "x".repeat(501) });
        assert_eq!(fields(&call(&mut h, "POST", &path, &desk(), Some(long))), ["reason"]);
        assert_eq!(state(&h), snapshot);

        let reason = "The address could not be verified at a home visit.";
        let rejected = moved(&mut h, id, json!({ "to": "rejected", "reason": reason }));
        assert_eq!(
            (rejected["status"].as_str(), rejected["rejection_reason"].as_str()),
            (Some("rejected"), Some(reason))
        );
        assert_eq!(case_status(&h, h.cases()[0].id), case_after, "rejected from {before:?}");
        let message = h.messages().last().unwrap().clone();
        assert_eq!(message.template, "application-rejected");
        assert!(message.params.contains(&("reason".to_owned(), reason.to_owned())));
        assert_messages_render(&h);
        apply(&mut h, &aygul());
    }
}

#[test]
fn illegal_moves_are_409_naming_the_allowed_ones_and_change_nothing() {
    let mut h = harness();
    let id = apply(&mut h, &aygul());
    let path = format!("/applications/{id}/transition");
    let before = state(&h);
    let skip = call(&mut h, "POST", &path, &desk(), Some(json!({ "to": "issued" })));
    assert_eq!(
        problem(&skip, 409, "conflict"),
        "cannot move from submitted to issued; allowed: under-review, rejected"
    );
    let ask = json!({ "to": "more-info-requested", "message": "Bring the contract." });
    assert!(
        problem(&call(&mut h, "POST", &path, &desk(), Some(ask)), 409, "conflict").contains("allowed: under-review")
    );
    let unknown = call(&mut h, "POST", &path, &desk(), Some(json!({ "to": "archived" })));
    problem(&unknown, 409, "conflict");
    assert_eq!(fields(&call(&mut h, "POST", &path, &desk(), Some(json!({ "to": 5 })))), ["to"]);
    assert_eq!(
        fields(&call(&mut h, "POST", &path, &desk(), Some(json!({ "to": "under-review", "by": "me" })))),
        ["by"]
    );
    let reason_out_of_place = json!({ "to": "under-review", "reason": "because" });
    assert_eq!(fields(&call(&mut h, "POST", &path, &desk(), Some(reason_out_of_place))), ["reason"]);
    let resubmit = call(&mut h, "POST", &format!("/applications/{id}/resubmit"), &aygul(), None);
    assert!(problem(&resubmit, 409, "conflict").contains("allowed: withdrawn"));
    let missing = call(&mut h, "POST", "/applications/999/transition", &desk(), Some(json!({ "to": "under-review" })));
    problem(&missing, 404, "not-found");
    assert_eq!(state(&h), before, "status, case and inbox unchanged");

    moved(&mut h, id, json!({ "to": "under-review" }));
    let before = state(&h);
    let no_message = call(&mut h, "POST", &path, &desk(), Some(json!({ "to": "more-info-requested" })));
    assert_eq!(fields(&no_message), ["message"]);
    let wrong_items = json!({ "to": "more-info-requested", "message": "More.", "missing_items": ["property-deed"] });
    let wrong = call(&mut h, "POST", &path, &desk(), Some(wrong_items));
    assert_eq!(fields(&wrong), ["missing_items"]);
    assert!(wrong.json()["errors"][0]["message"].as_str().unwrap().contains("labour-contract"));
    let items_out_of_place = json!({ "to": "approved", "missing_items": [] });
    assert_eq!(fields(&call(&mut h, "POST", &path, &desk(), Some(items_out_of_place))), ["missing_items"]);
    assert_eq!(state(&h), before);
}

#[test]
fn only_police_staff_move_applications() {
    let mut h = harness();
    let id = apply(&mut h, &aygul());
    let path = format!("/applications/{id}/transition");
    let before = state(&h);
    let mut refused = outsiders();
    refused.extend([(aygul(), 403), (erkin(), 403)]);
    for (who, status) in refused {
        let answer = call(&mut h, "POST", &path, &who, Some(json!({ "to": "under-review" })));
        assert_eq!(answer.status, status, "{:?}: {}", who.caller(), answer.text());
    }
    assert_eq!(state(&h), before);
    // Another station's officers do not work the desk's applications (nor read them).
    let station = TestCaller::staff("p-9", "police-east-community", UnitKind::Police);
    assert_eq!(call(&mut h, "POST", &path, &station, Some(json!({ "to": "under-review" }))).status, 403);
    assert_eq!(call(&mut h, "GET", &format!("/applications/{id}"), &station, None).status, 403);
    assert_eq!(state(&h), before);
    assert_eq!(h.cases()[0].unit, "police-central");
}

#[test]
fn the_applicant_may_withdraw_until_approval() {
    for before in [&[][..], &["under-review"][..], &["under-review", "more-info-requested"][..]] {
        let mut h = harness();
        let id = apply(&mut h, &aygul());
        for to in before {
            moved(&mut h, id, json!({ "to": to, "message": (*to == "more-info-requested").then_some("More.") }));
        }
        let path = format!("/applications/{id}/withdraw");
        let snapshot = state(&h);
        assert_eq!(call(&mut h, "POST", &path, &erkin(), None).status, 404);
        assert_eq!(call(&mut h, "POST", &path, &desk(), None).status, 403);
        assert_eq!(call(&mut h, "POST", &path, &TestCaller::anonymous(), None).status, 401);
        assert_eq!(state(&h), snapshot);
        let withdrawn = ok(call(&mut h, "POST", &path, &aygul(), None), 200);
        assert_eq!(withdrawn["status"], "withdrawn");
        assert_eq!(case_status(&h, h.cases()[0].id), Status::Cancelled, "withdrawn from {before:?}");
        assert_eq!(templates_sent(&h).last().unwrap(), "application-withdrawn");
        assert!(problem(&call(&mut h, "POST", &path, &aygul(), None), 409, "conflict").ends_with("allowed: none"));
    }

    let mut h = harness();
    let id = apply(&mut h, &aygul());
    moved(&mut h, id, json!({ "to": "under-review" }));
    moved(&mut h, id, json!({ "to": "approved" }));
    let before = state(&h);
    let late = call(&mut h, "POST", &format!("/applications/{id}/withdraw"), &aygul(), None);
    assert_eq!(problem(&late, 409, "conflict"), "cannot move from approved to withdrawn; allowed: none");
    assert_eq!(state(&h), before);
}
