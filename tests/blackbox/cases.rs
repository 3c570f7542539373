//! Cases, the linkage between units: opened by a service (the
//! `linkage-probe` fixture stands in for one), moved and referred by staff,
//! followed and rated by the resident, one history across every unit.

use onewindow_tests::{Answer, Backend, Options, TestApp, on_both_backends};
use serde_json::{Value, json};

pub(crate) const PROBE: &str = "/api/v1/services/linkage-probe";
const STAFF_CASES: &str = "/api/v1/staff/cases";

on_both_backends!(
    a_service_opens_a_case_with_reference_due_date_and_history,
    illegal_transitions_are_refused_naming_the_allowed_ones_and_change_nothing,
    a_referral_keeps_one_history_across_three_units,
    staff_of_one_unit_never_see_another_units_cases,
    plugins_open_cases_only_of_granted_kinds_units_and_their_own_service,
    residents_see_all_their_cases_and_rate_a_closed_one_once,
    case_changes_reach_the_residents_inbox_in_their_language,
    a_plugin_no_longer_changes_a_case_handed_to_a_unit_it_is_not_granted,
);

pub(crate) async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, Options { fixtures: true, ..Options::default() }).await
}

/// Opens a case through the probe (a service's `cases.create`).
pub(crate) async fn open(app: &TestApp, caller: &str, kind: &str, resident: &str, unit: &str) -> Value {
    let body = json!({"kind": kind, "resident": resident, "unit": unit, "data": {"topic": "noise"}, "note": "opened"});
    let answer = app.client.post_json(&format!("{PROBE}/cases/create"), Some(caller), &body).await;
    assert_eq!(answer.status, 200, "open a {kind} case for {unit}: {}", answer.body);
    answer.body
}

/// A staff transition that must succeed; returns the case detail.
pub(crate) async fn move_to(app: &TestApp, staff: &str, id: i64, to: &str) -> Value {
    let answer = transition(app, staff, id, to).await;
    assert_eq!(answer.status, 200, "to {to}: {}", answer.body);
    assert_eq!(answer.body["status"], to);
    answer.body
}

pub(crate) async fn transition(app: &TestApp, staff: &str, id: i64, to: &str) -> Answer {
    let path = format!("{STAFF_CASES}/{id}/transition");
    app.client.post_json(&path, Some(staff), &json!({"to": to, "note": format!("now {to}")})).await
}

pub(crate) async fn refer(app: &TestApp, staff: &str, id: i64, unit: &str, keep: bool) -> Answer {
    let path = format!("{STAFF_CASES}/{id}/refer");
    app.client.post_json(&path, Some(staff), &json!({"unit": unit, "keep": keep, "note": format!("to {unit}")})).await
}

/// A case of another service, opened the way that service would (the only
/// first-party service does not open cases yet).
pub(crate) async fn case_of_another_service(app: &TestApp, resident: &str) -> i64 {
    use onewindow::store::cases::{self, CaseActor, NewCase};
    use onewindow::store::tx::RequestTx;
    let tx = RequestTx::for_platform(app.state.store.clone());
    let new = NewCase {
        prefix: "RP",
        service: "residence-permit",
        kind: "application",
        resident,
        unit: "police-central",
        data: "{}",
        note: "applied",
        time_limit_days: 15,
    };
    let actor = CaseActor { id: resident, unit: None, via: "residence-permit" };
    let case = cases::create(&tx, new, actor).await.expect("a case opens");
    tx.commit().await.expect("it commits");
    case.id
}

fn id_of(case: &Value) -> i64 {
    case["id"].as_i64().expect("a case id")
}

/// `(action, from_status, to_status, from_unit, to_unit, actor_unit)` of each history entry.
fn steps(history: &Value) -> Vec<[Value; 6]> {
    history
        .as_array()
        .expect("a history")
        .iter()
        .map(|e| {
            [
                e["action"].clone(),
                e["from_status"].clone(),
                e["to_status"].clone(),
                e["from_unit"].clone(),
                e["to_unit"].clone(),
                e["actor_unit"].clone(),
            ]
        })
        .collect()
}

/// Days since 1970-01-01 and seconds of the day of a stored UTC timestamp.
fn seconds(at: &str) -> i64 {
    let (y, m, d) =
        (at[0..4].parse::<i64>().unwrap(), at[5..7].parse::<i64>().unwrap(), at[8..10].parse::<i64>().unwrap());
    let (h, min, s) =
        (at[11..13].parse::<i64>().unwrap(), at[14..16].parse::<i64>().unwrap(), at[17..19].parse::<i64>().unwrap());
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) * 86_400 + h * 3600 + min * 60 + s
}

async fn a_service_opens_a_case_with_reference_due_date_and_history(backend: Backend) {
    let app = spawn(backend).await;
    let (_, resident_id) = app.resident("gulnar").await;
    let officer = app.staff("officer-a", "police-central").await;

    let case = open(&app, &officer, "probe", &resident_id, "police-central").await;
    let id = id_of(&case);
    let reference = case["reference"].as_str().unwrap().to_owned();
    let opened_at = case["opened_at"].as_str().unwrap();
    let year = &opened_at[0..4];
    // The year is the city's (UTC+8): only on 31 December after 16:00 UTC does it differ from UTC's.
    assert!(
        reference == format!("LP-{year}-{id:06}")
            || reference.starts_with("LP-") && reference.ends_with(&format!("-{id:06}")),
        "{reference}"
    );
    assert_eq!(case["service"], "linkage-probe");
    assert_eq!(case["kind"], "probe");
    assert_eq!(case["resident"], resident_id);
    assert_eq!(case["unit"], "police-central");
    assert_eq!(case["units"], json!(["police-central"]));
    assert_eq!(case["status"], "requested");
    assert_eq!(case["data"], json!({"topic": "noise"}));
    assert_eq!(case["closed_at"], Value::Null);
    let due = case["due_at"].as_str().unwrap();
    assert_eq!(seconds(due) - seconds(opened_at), 5 * 86_400, "the manifest's time limit: {opened_at} → {due}");
    assert_eq!(&due[19..], &opened_at[19..], "exactly five days later");

    // The service reads it back by id, by reference, and in its list.
    let by_id = app.client.get(&format!("{PROBE}/cases/{id}"), Some(&officer)).await;
    assert_eq!(by_id.body, case);
    let by_reference = app.client.get(&format!("{PROBE}/cases/by-reference/{reference}"), Some(&officer)).await;
    assert_eq!(by_reference.body, case);
    let wrong_year = format!("LP-1999-{id:06}");
    let missing = app.client.get(&format!("{PROBE}/cases/by-reference/{wrong_year}"), Some(&officer)).await;
    assert_eq!((missing.status, &missing.body["error"]), (404, &json!("not-found")));
    let listed =
        app.client.get(&format!("{PROBE}/cases?resident={resident_id}&status=requested"), Some(&officer)).await;
    assert_eq!(listed.body, json!([case]));
    let none = app.client.get(&format!("{PROBE}/cases?resident={resident_id}&status=accepted"), Some(&officer)).await;
    assert_eq!(none.body, json!([]));

    // The service keeps its data about the case; bad data is refused.
    let data =
        app.client.post_json(&format!("{PROBE}/cases/{id}/data"), Some(&officer), &json!({"data": {"n": 2}})).await;
    assert_eq!(data.body["data"], json!({"n": 2}));
    let note = app.client.post_json(&format!("{PROBE}/cases/{id}/notes"), Some(&officer), &json!({"note": ""})).await;
    assert_eq!((note.status, &note.body["error"]), (422, &json!("invalid")));
    let long = "x".repeat(2001);
    let note = app.client.post_json(&format!("{PROBE}/cases/{id}/notes"), Some(&officer), &json!({"note": long})).await;
    assert_eq!((note.status, &note.body["error"]), (422, &json!("invalid")));
    let note = app
        .client
        .post_json(&format!("{PROBE}/cases/{id}/notes"), Some(&officer), &json!({"note": "called back"}))
        .await;
    assert_eq!(note.status, 204, "{}", note.body);

    let history = app.client.get(&format!("{PROBE}/cases/{id}/history"), Some(&officer)).await.body;
    let entries = history.as_array().unwrap();
    assert_eq!(entries.len(), 2, "{history:#}");
    assert_eq!(entries[0]["action"], "opened");
    assert_eq!(entries[0]["to_status"], "requested");
    assert_eq!(entries[0]["to_unit"], "police-central");
    assert_eq!(entries[0]["unit"], "police-central", "the caller's unit");
    assert_eq!(entries[0]["note"], "opened");
    assert_eq!(entries[0]["at"], case["opened_at"]);
    assert_eq!(entries[1]["action"], "note");
    assert_eq!(entries[1]["note"], "called back");
    assert_eq!(entries[0]["actor"], entries[1]["actor"], "the same officer made both");

    // The staff console shows the same case, marked as coming from the service.
    let staff_view = app.client.get(&format!("{STAFF_CASES}/{id}"), Some(&officer)).await;
    assert_eq!(staff_view.status, 200, "{}", staff_view.body);
    assert_eq!(staff_view.body["reference"], reference);
    assert_eq!(staff_view.body["overdue"], false);
    assert_eq!(staff_view.body["history"][0]["via"], "linkage-probe");
    assert_eq!(staff_view.body["units"][0]["unit"], "police-central");
    assert_eq!(staff_view.body["units"][0]["role"], "lead");
}

async fn illegal_transitions_are_refused_naming_the_allowed_ones_and_change_nothing(backend: Backend) {
    let app = spawn(backend).await;
    let (_, resident_id) = app.resident("rustam").await;
    let officer = app.staff("officer-b", "police-central").await;
    let id = id_of(&open(&app, &officer, "probe", &resident_id, "police-central").await);
    let before = app.client.get(&format!("{STAFF_CASES}/{id}"), Some(&officer)).await.body;

    let skip = transition(&app, &officer, id, "completed").await;
    let detail = skip.assert_problem(409, "illegal-transition");
    assert!(detail.contains("requested") && detail.contains("completed"), "{detail}");
    assert_eq!(skip.body["errors"][0]["field"], "to");
    assert_eq!(skip.body["errors"][0]["message"], "allowed from requested: accepted, rejected, cancelled");
    transition(&app, &officer, id, "on-hold").await.assert_problem(409, "illegal-transition");
    transition(&app, &officer, id, "requested").await.assert_problem(409, "illegal-transition");
    // Through the service too: the host keeps the model.
    let via_plugin = app
        .client
        .post_json(&format!("{PROBE}/cases/{id}/transition"), Some(&officer), &json!({"to": "completed"}))
        .await;
    assert_eq!(via_plugin.status, 409, "{}", via_plugin.body);
    assert_eq!(via_plugin.body["error"], "conflict");
    assert!(via_plugin.body["message"].as_str().unwrap().contains("allowed: accepted, rejected, cancelled"));
    // Not a status at all.
    let bogus =
        app.client.post_json(&format!("{STAFF_CASES}/{id}/transition"), Some(&officer), &json!({"to": "done"})).await;
    assert_eq!(bogus.problem_fields(), ["to"]);
    let after = app.client.get(&format!("{STAFF_CASES}/{id}"), Some(&officer)).await.body;
    assert_eq!(after, before, "no refused move changed the case or its history");

    // The legal path, on-hold and back included.
    move_to(&app, &officer, id, "accepted").await;
    transition(&app, &officer, id, "on-hold").await.assert_problem(409, "illegal-transition");
    move_to(&app, &officer, id, "in-progress").await;
    move_to(&app, &officer, id, "on-hold").await;
    let held = transition(&app, &officer, id, "completed").await;
    held.assert_problem(409, "illegal-transition");
    assert_eq!(held.body["errors"][0]["message"], "allowed from on-hold: in-progress, cancelled");
    move_to(&app, &officer, id, "in-progress").await;
    let done = move_to(&app, &officer, id, "completed").await;
    assert!(done["closed_at"].is_string());

    // Closed is final.
    for to in ["in-progress", "cancelled", "failed", "requested"] {
        let closed = transition(&app, &officer, id, to).await;
        closed.assert_problem(409, "illegal-transition");
        assert_eq!(closed.body["errors"][0]["message"], "allowed from completed: none: the case is closed");
    }
    refer(&app, &officer, id, "judicial-office", false).await.assert_problem(409, "conflict");

    let history = app.client.get(&format!("{STAFF_CASES}/{id}"), Some(&officer)).await.body["history"].clone();
    let moves: Vec<(Value, Value)> =
        history.as_array().unwrap().iter().map(|e| (e["from_status"].clone(), e["to_status"].clone())).collect();
    let expected: Vec<(Value, Value)> = [
        (Value::Null, json!("requested")),
        (json!("requested"), json!("accepted")),
        (json!("accepted"), json!("in-progress")),
        (json!("in-progress"), json!("on-hold")),
        (json!("on-hold"), json!("in-progress")),
        (json!("in-progress"), json!("completed")),
    ]
    .into();
    assert_eq!(moves, expected, "one entry per legal move, none for the refused ones");
    for entry in history.as_array().unwrap()[1..].iter() {
        assert_eq!(entry["actor_unit"], "police-central");
        assert_eq!(entry["via"], "staff-console");
        assert_eq!(entry["note"], format!("now {}", entry["to_status"].as_str().unwrap()));
        assert!(entry["at"].as_str().unwrap() >= history[0]["at"].as_str().unwrap());
    }

    // Cancelling is allowed from any open status, and a requested case may be rejected.
    for path in [&["cancelled"][..], &["accepted", "cancelled"], &["rejected"]] {
        let other = id_of(&open(&app, &officer, "probe", &resident_id, "police-central").await);
        for to in path {
            move_to(&app, &officer, other, to).await;
        }
    }
    app.client
        .post_json(&format!("{STAFF_CASES}/999999/transition"), Some(&officer), &json!({"to": "accepted"}))
        .await
        .assert_problem(404, "not-found");
}

async fn a_referral_keeps_one_history_across_three_units(backend: Backend) {
    let app = spawn(backend).await;
    let (resident, resident_id) = app.resident("neighbour").await;
    let police = app.staff("police-1", "police-central").await;
    let judicial = app.staff("mediator-1", "judicial-office").await;
    let community = app.staff("committee-1", "community-east").await;
    let west = app.staff("committee-w", "community-west").await;

    // Police take a neighbours' dispute, then hand it to the judicial office.
    let id = id_of(&open(&app, &police, "probe", &resident_id, "police-central").await);
    move_to(&app, &police, id, "accepted").await;
    let unknown = refer(&app, &police, id, "no-such-unit", false).await;
    assert_eq!(unknown.problem_fields(), ["unit"]);
    let handed = refer(&app, &police, id, "judicial-office", false).await;
    assert_eq!(handed.status, 200, "{}", handed.body);
    assert_eq!(handed.body["unit"], "judicial-office");
    assert_eq!(handed.body["status"], "accepted", "a referral does not change the status");

    // The police can still read it, but no longer move, refer or add to it.
    assert_eq!(app.client.get(&format!("{STAFF_CASES}/{id}"), Some(&police)).await.status, 200);
    transition(&app, &police, id, "in-progress").await.assert_problem(403, "forbidden");
    refer(&app, &police, id, "community-east", true).await.assert_problem(403, "forbidden");
    let note = json!({"note": "we still care"});
    app.client
        .post_json(&format!("{STAFF_CASES}/{id}/notes"), Some(&police), &note)
        .await
        .assert_problem(403, "forbidden");
    let lead_queue = app.client.get(STAFF_CASES, Some(&police)).await.body;
    assert_eq!(lead_queue["total"], 0, "the police no longer lead it");
    let all_queue = app.client.get(&format!("{STAFF_CASES}?role=all"), Some(&police)).await.body;
    assert_eq!(all_queue["total"], 1, "but had it");

    // The judicial office brings the community committee in, and keeps the lead.
    let judicial_queue = app.client.get(STAFF_CASES, Some(&judicial)).await.body;
    assert_eq!(judicial_queue["total"], 1);
    assert_eq!(judicial_queue["items"][0]["id"], id);
    let brought = refer(&app, &judicial, id, "community-east", true).await;
    assert_eq!(brought.status, 200, "{}", brought.body);
    assert_eq!(brought.body["unit"], "judicial-office");
    refer(&app, &judicial, id, "community-east", true).await.assert_problem(409, "conflict");
    move_to(&app, &judicial, id, "in-progress").await;

    // The committee assists: it reads and notes, but does not move the case.
    let seen = app.client.get(&format!("{STAFF_CASES}/{id}"), Some(&community)).await;
    assert_eq!(seen.status, 200, "{}", seen.body);
    let roles: Vec<(Value, Value)> =
        seen.body["units"].as_array().unwrap().iter().map(|u| (u["unit"].clone(), u["role"].clone())).collect();
    assert_eq!(
        roles,
        [
            (json!("judicial-office"), json!("lead")),
            (json!("community-east"), json!("assist")),
            (json!("police-central"), json!("former"))
        ]
    );
    transition(&app, &community, id, "completed").await.assert_problem(403, "forbidden");
    refer(&app, &community, id, "community-west", false).await.assert_problem(403, "forbidden");
    let noted = app
        .client
        .post_json(&format!("{STAFF_CASES}/{id}/notes"), Some(&community), &json!({"note": "visited both"}))
        .await;
    assert_eq!(noted.status, 200, "{}", noted.body);
    assert_eq!(app.client.get(STAFF_CASES, Some(&community)).await.body["total"], 0, "it assists, not leads");
    assert_eq!(app.client.get(&format!("{STAFF_CASES}?role=all"), Some(&community)).await.body["total"], 1);
    let empty =
        app.client.post_json(&format!("{STAFF_CASES}/{id}/notes"), Some(&community), &json!({"note": " "})).await;
    assert_eq!(empty.problem_fields(), ["note"]);

    // A fourth unit never had it: for its staff the case does not exist.
    app.client.get(&format!("{STAFF_CASES}/{id}"), Some(&west)).await.assert_problem(404, "not-found");
    transition(&app, &west, id, "completed").await.assert_problem(404, "not-found");
    refer(&app, &west, id, "community-west", true).await.assert_problem(404, "not-found");
    app.client
        .post_json(&format!("{STAFF_CASES}/{id}/notes"), Some(&west), &json!({"note": "hello"}))
        .await
        .assert_problem(404, "not-found");
    assert_eq!(app.client.get(&format!("{STAFF_CASES}?role=all"), Some(&west)).await.body["total"], 0);

    move_to(&app, &judicial, id, "completed").await;

    // Three units, one case, one history: everyone who may see it sees the same.
    let expected = vec![
        [
            json!("opened"),
            Value::Null,
            json!("requested"),
            Value::Null,
            json!("police-central"),
            json!("police-central"),
        ],
        [json!("transition"), json!("requested"), json!("accepted"), Value::Null, Value::Null, json!("police-central")],
        [
            json!("referred"),
            Value::Null,
            Value::Null,
            json!("police-central"),
            json!("judicial-office"),
            json!("police-central"),
        ],
        [
            json!("involved"),
            Value::Null,
            Value::Null,
            json!("judicial-office"),
            json!("community-east"),
            json!("judicial-office"),
        ],
        [
            json!("transition"),
            json!("accepted"),
            json!("in-progress"),
            Value::Null,
            Value::Null,
            json!("judicial-office"),
        ],
        [json!("note"), Value::Null, Value::Null, Value::Null, Value::Null, json!("community-east")],
        [
            json!("transition"),
            json!("in-progress"),
            json!("completed"),
            Value::Null,
            Value::Null,
            json!("judicial-office"),
        ],
    ];
    let mut histories = Vec::new();
    for staff in [&police, &judicial, &community] {
        let case = app.client.get(&format!("{STAFF_CASES}/{id}"), Some(staff)).await.body;
        assert_eq!(steps(&case["history"]), expected, "{:#}", case["history"]);
        histories.push(case["history"].clone());
    }
    assert!(histories.windows(2).all(|w| w[0] == w[1]));
    let mine = app.client.get("/api/v1/me/cases", Some(&resident)).await.body;
    assert_eq!(mine["total"], 1);
    // The resident sees the same history, less the units' internal notes,
    // with staff shown as their unit rather than by account.
    let mut as_resident: Vec<Value> = histories[0].as_array().unwrap().clone();
    as_resident.retain(|entry| entry["action"] != "note");
    for entry in &mut as_resident {
        entry["actor"] = json!(format!("staff of {}", entry["actor_unit"].as_str().unwrap()));
    }
    assert_eq!(mine["items"][0]["history"], json!(as_resident), "the resident sees the same history");
    assert_eq!(mine["items"][0]["unit"], "judicial-office");
    // The service sees the units working on it (not the former lead).
    let probe_view = app.client.get(&format!("{PROBE}/cases/{id}"), Some(&police)).await.body;
    assert_eq!(probe_view["units"], json!(["judicial-office", "community-east"]));
    assert_eq!(probe_view["status"], "completed");
}

async fn staff_of_one_unit_never_see_another_units_cases(backend: Backend) {
    let app = spawn(backend).await;
    let (east_token, east) = app.resident("east-resident").await;
    let (_, elsewhere) = app.resident("no-area-resident").await;
    let profile = app.client.send(
        "PATCH",
        "/api/v1/me/profile",
        Some(&east_token),
        &[("content-type", "application/json")],
        Some(serde_json::to_vec(&json!({"area": "east-gate"})).unwrap()),
    );
    assert_eq!(profile.await.status, 200);
    let police = app.staff("police-2", "police-central").await;
    let judicial = app.staff("mediator-2", "judicial-office").await;
    let admin = app.admin_token().await;

    let first = id_of(&open(&app, &police, "probe", &east, "police-central").await);
    let second = id_of(&open(&app, &police, "probe", &elsewhere, "police-central").await);
    let theirs = id_of(&open(&app, &police, "probe", &elsewhere, "judicial-office").await);
    move_to(&app, &police, second, "accepted").await;

    // Judicial staff see only their own case; the police's do not exist for them.
    let queue = app.client.get(STAFF_CASES, Some(&judicial)).await.body;
    assert_eq!(queue["total"], 1);
    assert_eq!(queue["items"][0]["id"], theirs);
    for id in [first, second] {
        app.client.get(&format!("{STAFF_CASES}/{id}"), Some(&judicial)).await.assert_problem(404, "not-found");
        transition(&app, &judicial, id, "cancelled").await.assert_problem(404, "not-found");
    }
    app.client.get(&format!("{STAFF_CASES}/{theirs}"), Some(&police)).await.assert_problem(404, "not-found");

    // The police queue and its filters.
    let ids = |page: &Value| -> Vec<i64> { page["items"].as_array().unwrap().iter().map(id_of).collect() };
    let all = app.client.get(STAFF_CASES, Some(&police)).await.body;
    assert_eq!((all["total"].as_i64(), ids(&all)), (Some(2), vec![second, first]), "newest first");
    let requested = app.client.get(&format!("{STAFF_CASES}?status=requested"), Some(&police)).await.body;
    assert_eq!(ids(&requested), [first]);
    let accepted = app.client.get(&format!("{STAFF_CASES}?status=accepted"), Some(&police)).await.body;
    assert_eq!(ids(&accepted), [second]);
    let area = app.client.get(&format!("{STAFF_CASES}?area=east-gate"), Some(&police)).await.body;
    assert_eq!(ids(&area), [first], "the resident's area when the case opened");
    assert_eq!(area["items"][0]["area"], "east-gate");
    let service = app.client.get(&format!("{STAFF_CASES}?service=linkage-probe"), Some(&police)).await.body;
    assert_eq!(service["total"], 2);
    let other_service = app.client.get(&format!("{STAFF_CASES}?service=residence-permit"), Some(&police)).await.body;
    assert_eq!(other_service["total"], 0);
    let overdue = app.client.get(&format!("{STAFF_CASES}?overdue=true"), Some(&police)).await.body;
    assert_eq!(overdue["total"], 0, "nothing is five days old");
    let page = app.client.get(&format!("{STAFF_CASES}?limit=1&offset=1"), Some(&police)).await.body;
    assert_eq!((page["total"].as_i64(), ids(&page)), (Some(2), vec![first]));
    let bad = |query: &'static str| {
        let (app, police) = (&app, &police);
        async move { app.client.get(&format!("{STAFF_CASES}?{query}"), Some(police)).await.problem_fields() }
    };
    assert_eq!(bad("role=boss").await, ["role"]);
    assert_eq!(bad("limit=0").await, ["limit"]);
    assert_eq!(bad("status=finished").await, ["status"]);

    // Only staff have a queue.
    app.client.get(STAFF_CASES, Some(&east_token)).await.assert_problem(403, "forbidden");
    app.client.get(&format!("{STAFF_CASES}/{first}"), Some(&admin)).await.assert_problem(403, "forbidden");
    app.client.get(STAFF_CASES, None).await.assert_problem(401, "unauthorized");
    assert_eq!(app.client.get(&format!("{STAFF_CASES}/{first}"), Some(&police)).await.body["status"], "requested");
}

async fn plugins_open_cases_only_of_granted_kinds_units_and_their_own_service(backend: Backend) {
    let app = spawn(backend).await;
    let (resident, resident_id) = app.resident("amina").await;
    let police = app.staff("police-3", "police-central").await;
    let create = |body: Value| {
        let (app, police) = (&app, &police);
        async move { app.client.post_json(&format!("{PROBE}/cases/create"), Some(police), &body).await }
    };
    let refused = |answer: Answer, status: u16, error: &str| {
        assert_eq!((answer.status, answer.body["error"].as_str()), (status, Some(error)), "{}", answer.body);
    };

    // `probe` cases go to the three units the grant names, no other.
    let west = create(json!({"kind": "probe", "resident": resident_id, "unit": "community-west"})).await;
    refused(west, 403, "access-denied");
    let undeclared = create(json!({"kind": "mediation", "resident": resident_id, "unit": "police-central"})).await;
    refused(undeclared, 422, "invalid");
    let nobody = create(json!({"kind": "probe", "resident": "no-such-resident", "unit": "police-central"})).await;
    refused(nobody, 404, "not-found");
    let staff_as_resident = create(json!({"kind": "anywhere", "resident": "admin", "unit": "police-central"})).await;
    refused(staff_as_resident, 404, "not-found");
    let no_unit = create(json!({"kind": "anywhere", "resident": resident_id, "unit": "no-such-unit"})).await;
    refused(no_unit, 404, "not-found");
    assert_eq!(
        app.client.get("/api/v1/me/cases", Some(&resident)).await.body["total"],
        0,
        "no refused call opened a case"
    );

    // `anywhere` cases go to any unit, due a day later.
    let gas = open(&app, &police, "anywhere", &resident_id, "partner-gas").await;
    assert_eq!(seconds(gas["due_at"].as_str().unwrap()) - seconds(gas["opened_at"].as_str().unwrap()), 86_400);
    let probe_case = open(&app, &police, "probe", &resident_id, "police-central").await;
    let id = id_of(&probe_case);
    // Referral is checked against the grant too: `probe` to a partner is not granted.
    let to_partner = app
        .client
        .post_json(&format!("{PROBE}/cases/{id}/refer"), Some(&police), &json!({"unit": "partner-gas"}))
        .await;
    refused(to_partner, 403, "access-denied");
    let to_judicial = app
        .client
        .post_json(
            &format!("{PROBE}/cases/{id}/refer"),
            Some(&police),
            &json!({"unit": "judicial-office", "note": "mediate"}),
        )
        .await;
    assert_eq!(to_judicial.status, 200, "{}", to_judicial.body);
    assert_eq!(to_judicial.body["unit"], "judicial-office");
    assert_eq!(to_judicial.body["units"], json!(["judicial-office"]));

    // A case another service opened does not exist for this one.
    let foreign = case_of_another_service(&app, &resident_id).await;
    let foreign_reference = {
        let mine = app.client.get("/api/v1/me/cases", Some(&resident)).await.body;
        assert_eq!(mine["total"], 3, "the resident sees every service's cases");
        mine["items"][0]["reference"].as_str().unwrap().to_owned()
    };
    assert!(foreign_reference.starts_with("RP-"), "{foreign_reference}");
    let probe = |path: String| {
        let (app, police) = (&app, &police);
        async move { app.client.get(&format!("{PROBE}{path}"), Some(police)).await }
    };
    refused(probe(format!("/cases/{foreign}")).await, 404, "not-found");
    refused(probe(format!("/cases/{foreign}/history")).await, 404, "not-found");
    refused(probe(format!("/cases/by-reference/{foreign_reference}")).await, 404, "not-found");
    let post = |path: String, body: Value| {
        let (app, police) = (&app, &police);
        async move { app.client.post_json(&format!("{PROBE}{path}"), Some(police), &body).await }
    };
    refused(post(format!("/cases/{foreign}/transition"), json!({"to": "accepted"})).await, 404, "not-found");
    refused(post(format!("/cases/{foreign}/refer"), json!({"unit": "police-central"})).await, 404, "not-found");
    refused(post(format!("/cases/{foreign}/notes"), json!({"note": "peek"})).await, 404, "not-found");
    refused(post(format!("/cases/{foreign}/data"), json!({"data": {}})).await, 404, "not-found");
    let listed = probe(format!("/cases?resident={resident_id}")).await.body;
    let listed_ids: Vec<i64> = listed.as_array().unwrap().iter().map(id_of).collect();
    assert_eq!(listed_ids, [id, id_of(&gas)], "only its own cases");

    // The foreign case is untouched.
    let untouched = app.client.get(&format!("{STAFF_CASES}/{foreign}"), Some(&police)).await.body;
    assert_eq!(untouched["status"], "requested");
    assert_eq!(untouched["history"].as_array().unwrap().len(), 1);
}

async fn residents_see_all_their_cases_and_rate_a_closed_one_once(backend: Backend) {
    let app = spawn(backend).await;
    let (resident, resident_id) = app.resident("rater").await;
    let (other, _) = app.resident("stranger").await;
    let police = app.staff("police-4", "police-central").await;

    let probe_case = id_of(&open(&app, &police, "probe", &resident_id, "police-central").await);
    let permit_case = case_of_another_service(&app, &resident_id).await;
    let mine = app.client.get("/api/v1/me/cases", Some(&resident)).await.body;
    assert_eq!(mine["total"], 2);
    let services: Vec<&str> =
        mine["items"].as_array().unwrap().iter().map(|c| c["service"].as_str().unwrap()).collect();
    assert_eq!(services, ["residence-permit", "linkage-probe"], "newest first, across services");
    for item in mine["items"].as_array().unwrap() {
        assert_eq!(item["history"][0]["action"], "opened");
        assert_eq!(item["resident"], resident_id);
    }
    let requested = app.client.get("/api/v1/me/cases?status=requested&limit=1", Some(&resident)).await.body;
    assert_eq!((requested["total"].as_i64(), requested["items"][0]["id"].as_i64()), (Some(2), Some(permit_case)));
    assert_eq!(app.client.get("/api/v1/me/cases", Some(&other)).await.body["total"], 0);
    app.client.get("/api/v1/me/cases", Some(&police)).await.assert_problem(403, "forbidden");

    let rating = |token: &str, id: i64, body: Value| {
        let (app, token) = (&app, token.to_owned());
        async move { app.client.post_json(&format!("/api/v1/me/cases/{id}/rating"), Some(&token), &body).await }
    };
    // An open case cannot be rated yet.
    rating(&resident, probe_case, json!({"rating": 5})).await.assert_problem(409, "conflict");
    move_to(&app, &police, probe_case, "accepted").await;
    move_to(&app, &police, probe_case, "in-progress").await;
    move_to(&app, &police, probe_case, "completed").await;

    assert_eq!(rating(&resident, probe_case, json!({"rating": 0})).await.problem_fields(), ["rating"]);
    assert_eq!(rating(&resident, probe_case, json!({"rating": 6})).await.problem_fields(), ["rating"]);
    let long = "x".repeat(1001);
    assert_eq!(
        rating(&resident, probe_case, json!({"rating": 5, "comment": long})).await.problem_fields(),
        ["comment"]
    );
    rating(&other, probe_case, json!({"rating": 1})).await.assert_problem(404, "not-found");
    rating(&police, probe_case, json!({"rating": 1})).await.assert_problem(403, "forbidden");
    rating(&resident, 999_999, json!({"rating": 1})).await.assert_problem(404, "not-found");

    let rated = rating(&resident, probe_case, json!({"rating": 4, "comment": " quick and kind "})).await;
    assert_eq!(rated.status, 200, "{}", rated.body);
    assert_eq!(rated.body["rating"], 4);
    assert_eq!(rated.body["rating_comment"], "quick and kind");
    let last = rated.body["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["action"].as_str(), last["actor"].as_str()), (Some("rated"), Some(resident_id.as_str())));
    assert_eq!(last["note"], "4/5 quick and kind");
    assert_eq!(last["via"], "portal");

    // Once only.
    let again = rating(&resident, probe_case, json!({"rating": 1})).await;
    assert!(again.assert_problem(409, "conflict").contains("already rated"));
    let after = app.client.get(&format!("{STAFF_CASES}/{probe_case}"), Some(&police)).await.body;
    assert_eq!((after["rating"].as_i64(), after["rating_comment"].as_str()), (Some(4), Some("quick and kind")));
    let service_view = app.client.get(&format!("{PROBE}/cases/{probe_case}"), Some(&police)).await.body;
    assert_eq!(service_view["rating"], 4, "the service sees the rating");
    // The other case is still open and unrated.
    rating(&resident, permit_case, json!({"rating": 3})).await.assert_problem(409, "conflict");
    let mine = app.client.get("/api/v1/me/cases", Some(&resident)).await.body;
    assert_eq!(mine["items"][0]["rating"], Value::Null);
    assert_eq!(mine["items"][1]["rating"], 4);
}

async fn case_changes_reach_the_residents_inbox_in_their_language(backend: Backend) {
    let app = spawn(backend).await;
    let (resident, resident_id) = app.resident("reader").await;
    let (other, other_id) = app.resident("other-reader").await;
    let police = app.staff("police-5", "police-central").await;
    let inbox = |token: &str, language: &str, query: &str| {
        let (app, token, language, query) = (&app, token.to_owned(), language.to_owned(), query.to_owned());
        async move {
            let path = format!("/api/v1/me/inbox{query}");
            let answer = app.client.send("GET", &path, Some(&token), &[("accept-language", &language)], None).await;
            assert_eq!(answer.status, 200, "{}", answer.body);
            answer.body
        }
    };
    assert_eq!(inbox(&resident, "en", "").await, json!({"unread": 0, "items": []}));

    let case = open(&app, &police, "probe", &resident_id, "police-central").await;
    let (id, reference) = (id_of(&case), case["reference"].as_str().unwrap().to_owned());
    move_to(&app, &police, id, "accepted").await;
    move_to(&app, &police, id, "in-progress").await;
    refer(&app, &police, id, "judicial-office", true).await;
    let note = app.client.post_json(&format!("{STAFF_CASES}/{id}/notes"), Some(&police), &json!({"note": "x"})).await;
    assert_eq!(note.status, 200);

    // One message per status (opening included); referrals and notes are staff business.
    let english = inbox(&resident, "en", "").await;
    assert_eq!(english["unread"], 3, "{english:#}");
    let texts: Vec<&str> = english["items"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(
        texts,
        [
            format!("Your case {reference} is now in progress."),
            format!("Your case {reference} is now accepted."),
            format!("Your case {reference} has been opened."),
        ]
    );
    for message in english["items"].as_array().unwrap() {
        assert_eq!((message["source"].as_str(), message["case_id"].as_i64()), (Some("cases"), Some(id)));
        assert_eq!((message["language"].as_str(), message["direction"].as_str()), (Some("en"), Some("ltr")));
        assert_eq!(message["read_at"], Value::Null);
    }
    let chinese = inbox(&resident, "zh-CN,zh;q=0.9", "").await;
    assert_eq!(chinese["items"][0]["text"], format!("您的事项 {reference} 状态更新为：办理中。"));
    assert_eq!(chinese["items"][0]["language"], "zh");
    let uyghur = inbox(&resident, "ug-CN", "").await;
    assert_eq!(uyghur["items"][0]["text"], format!("{reference} نومۇرلۇق ئىشىڭىزنىڭ ھالىتى: بىر تەرەپ قىلىنىۋاتىدۇ."));
    assert_eq!(
        (uyghur["items"][0]["language"].as_str(), uyghur["items"][0]["direction"].as_str()),
        (Some("ug"), Some("rtl"))
    );
    let fallback = inbox(&resident, "fr", "").await;
    assert_eq!(fallback["items"][0]["language"], "zh", "Chinese when nothing matches");
    assert_eq!(inbox(&other, "en", "").await["unread"], 0, "nobody else was told");

    // The service sends its own message from a template.
    let sent = app
        .client
        .post_json(
            &format!("{PROBE}/notify"),
            Some(&police),
            &json!({"resident": resident_id, "template": "hello", "params": {"name": "Aygül"}}),
        )
        .await;
    assert_eq!(sent.status, 204, "{}", sent.body);
    let newest = |body: Value| body["items"][0].clone();
    let hello = newest(inbox(&resident, "en", "").await);
    assert_eq!((hello["text"].as_str(), hello["source"].as_str()), (Some("Hello, Aygül"), Some("linkage-probe")));
    assert_eq!(hello["case_id"], Value::Null);
    assert_eq!(newest(inbox(&resident, "zh", "").await)["text"], "你好，Aygül");
    assert_eq!(newest(inbox(&resident, "ug", "").await)["text"], "ياخشىمۇسىز، Aygül");
    let notify = |body: Value| {
        let (app, police) = (&app, &police);
        async move { app.client.post_json(&format!("{PROBE}/notify"), Some(police), &body).await }
    };
    let unknown = notify(json!({"resident": resident_id, "template": "goodbye"})).await;
    assert_eq!((unknown.status, unknown.body["error"].as_str()), (403, Some("access-denied")));
    let nobody = notify(json!({"resident": "nobody", "template": "hello", "params": {"name": "x"}})).await;
    assert_eq!((nobody.status, nobody.body["error"].as_str()), (404, Some("not-found")));

    // Reading: one message marked read drops the unread count by one.
    let all = inbox(&resident, "en", "").await;
    assert_eq!(all["unread"], 4);
    let first = all["items"][3]["id"].as_i64().unwrap();
    let path = format!("/api/v1/me/inbox/{first}/read");
    app.client.post_empty(&path, Some(&other)).await.assert_problem(404, "not-found");
    assert_eq!(app.client.post_empty(&path, Some(&resident)).await.status, 204);
    assert_eq!(app.client.post_empty(&path, Some(&resident)).await.status, 204, "reading twice is harmless");
    app.client.post_empty("/api/v1/me/inbox/999999/read", Some(&resident)).await.assert_problem(404, "not-found");
    let after = inbox(&resident, "en", "").await;
    assert_eq!(after["unread"], 3);
    assert!(after["items"][3]["read_at"].is_string());
    let unread = inbox(&resident, "en", "?unread=true").await;
    assert_eq!(unread["unread"], 3);
    let unread_ids: Vec<i64> = unread["items"].as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert_eq!(unread_ids.len(), 3);
    assert!(!unread_ids.contains(&first));
    let page = inbox(&resident, "en", "?limit=1&offset=1").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["id"], all["items"][1]["id"]);
    app.client.get("/api/v1/me/inbox", Some(&police)).await.assert_problem(403, "forbidden");
    assert_eq!(inbox(&other, "en", "").await["items"], json!([]), "{other_id} has nothing");
}

/// Once staff hand a case to a unit the service's grant does not name, the
/// service may still read it but no longer move, note or edit it.
async fn a_plugin_no_longer_changes_a_case_handed_to_a_unit_it_is_not_granted(backend: Backend) {
    let app = spawn(backend).await;
    let (_, resident) = app.resident("handed-over").await;
    let police = app.staff("police-handover", "police-central").await;
    let created = app
        .client
        .post_json(
            &format!("{PROBE}/cases/create"),
            Some(&police),
            &json!({"kind": "probe", "resident": resident, "unit": "police-central"}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let id = created.body["id"].as_i64().unwrap();
    let handed = app
        .client
        .post_json(&format!("{STAFF_CASES}/{id}/refer"), Some(&police), &json!({"unit": "community-west"}))
        .await;
    assert_eq!(handed.status, 200, "{}", handed.body);

    let read = app.client.get(&format!("{PROBE}/cases/{id}"), Some(&police)).await;
    assert_eq!((read.status, read.body["unit"].as_str()), (200, Some("community-west")));
    let moved = app
        .client
        .post_json(&format!("{PROBE}/cases/{id}/transition"), Some(&police), &json!({"to": "accepted"}))
        .await;
    assert_eq!((moved.status, moved.body["error"].as_str()), (403, Some("access-denied")), "{}", moved.body);
    let noted = app.client.post_json(&format!("{PROBE}/cases/{id}/notes"), Some(&police), &json!({"note": "x"})).await;
    assert_eq!(noted.status, 403);
    let after = app.client.get(&format!("{PROBE}/cases/{id}"), Some(&police)).await.body;
    assert_eq!(after["status"], "requested", "nothing changed");
    let history = app.client.get(&format!("{PROBE}/cases/{id}/history"), Some(&police)).await.body;
    assert_eq!(history.as_array().unwrap().len(), 2, "opened and referred only: {history:#}");
}
