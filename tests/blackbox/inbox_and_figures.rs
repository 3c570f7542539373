//! Area alerts, the figures units are judged by, one request as one
//! transaction across every capability, and a plugin of the older contract.

use onewindow_tests::{Backend, TestApp, on_both_backends};
use serde_json::{Value, json};
use sqlx::Row;

use crate::cases::{PROBE, move_to, open, refer, spawn};

on_both_backends!(
    alerts_reach_exactly_the_residents_of_the_chosen_areas,
    figures_match_what_the_units_did_today,
    a_trap_or_a_failure_answer_after_writing_everywhere_keeps_nothing,
    a_plugin_built_against_the_0_1_0_contract_runs_unchanged,
    figures_of_past_periods_count_cases_at_their_edges,
);

async fn set_area(app: &TestApp, token: &str, area: &str) {
    let body = serde_json::to_vec(&json!({"area": area})).unwrap();
    let answer = app
        .client
        .send("PATCH", "/api/v1/me/profile", Some(token), &[("content-type", "application/json")], Some(body))
        .await;
    assert_eq!(answer.status, 200, "set area {area}: {}", answer.body);
}

async fn inbox(app: &TestApp, token: &str, language: &str) -> Value {
    let answer = app.client.send("GET", "/api/v1/me/inbox", Some(token), &[("accept-language", language)], None).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body
}

fn texts(inbox: &Value) -> Vec<String> {
    inbox["items"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap().to_owned()).collect()
}

fn alert_text(n: u32) -> Value {
    json!({"text": {"zh": format!("反诈提醒{n}"), "ug": format!("ئالدامچىلىقتىن ساقلىنىڭ {n}"), "en": format!("Beware of fraud {n}")}})
}

async fn alerts_reach_exactly_the_residents_of_the_chosen_areas(backend: Backend) {
    let app = spawn(backend).await;
    let (gate, gate_id) = app.resident("at-east-gate").await;
    let (gate2, _) = app.resident("also-east-gate").await;
    let (river, _) = app.resident("at-riverside").await;
    let (market, _) = app.resident("at-west-market").await;
    let (nowhere, _) = app.resident("no-profile").await;
    set_area(&app, &gate, "east-gate").await;
    set_area(&app, &gate2, "east-gate").await;
    set_area(&app, &river, "riverside").await;
    set_area(&app, &market, "west-market").await;
    let committee = app.staff("committee-e", "community-east").await;
    let police = app.staff("police-c", "police-central").await;
    let mediator = app.staff("mediator-a", "judicial-office").await;
    let water = app.staff("water-a", "partner-water").await;
    let admin = app.admin_token().await;
    let send = |token: &str, body: Value| {
        let (app, token) = (&app, token.to_owned());
        async move { app.client.post_json("/api/v1/staff/alerts", Some(&token), &body).await }
    };

    // To one of the committee's two areas.
    let mut body = alert_text(1);
    body["areas"] = json!(["east-gate"]);
    let sent = send(&committee, body).await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    assert_eq!((sent.body["areas"].clone(), sent.body["recipients"].as_u64()), (json!(["east-gate"]), Some(2)));
    // To all of them (the default).
    let all = send(&committee, alert_text(2)).await;
    assert_eq!(all.status, 201, "{}", all.body);
    assert_eq!(
        (all.body["areas"].clone(), all.body["recipients"].as_u64()),
        (json!(["east-gate", "riverside"]), Some(3))
    );

    assert_eq!(texts(&inbox(&app, &gate, "en").await), ["Beware of fraud 2", "Beware of fraud 1"]);
    assert_eq!(texts(&inbox(&app, &gate2, "zh").await), ["反诈提醒2", "反诈提醒1"]);
    let river_inbox = inbox(&app, &river, "ug").await;
    assert_eq!(texts(&river_inbox), ["ئالدامچىلىقتىن ساقلىنىڭ 2"]);
    assert_eq!(river_inbox["items"][0]["source"], "alert");
    assert_eq!(river_inbox["unread"], 1);
    assert_eq!(inbox(&app, &market, "en").await["items"], json!([]), "west-market is not the committee's");
    assert_eq!(inbox(&app, &nowhere, "en").await["items"], json!([]), "no area, no alert");

    // Refusals: an area the unit does not serve, bad text, the wrong kind of unit, non-staff.
    let mut outside = alert_text(3);
    outside["areas"] = json!(["east-gate", "west-market"]);
    assert_eq!(send(&committee, outside).await.problem_fields(), ["areas"]);
    let mut none = alert_text(3);
    none["areas"] = json!([]);
    assert_eq!(send(&committee, none).await.problem_fields(), ["areas"]);
    let blank = json!({"text": {"zh": " ", "ug": "x", "en": "y".repeat(1001)}});
    assert_eq!(send(&committee, blank).await.problem_fields(), ["text.zh", "text.en"]);
    send(&mediator, alert_text(3)).await.assert_problem(403, "forbidden");
    send(&water, alert_text(3)).await.assert_problem(403, "forbidden");
    send(&gate, alert_text(3)).await.assert_problem(403, "forbidden");
    send(&admin, alert_text(3)).await.assert_problem(403, "forbidden");
    // A police station serving every area reaches everyone with an area.
    let mut to_market = alert_text(4);
    to_market["areas"] = json!(["west-market"]);
    let police_sent = send(&police, to_market).await;
    assert_eq!((police_sent.status, police_sent.body["recipients"].as_u64()), (201, Some(1)), "{}", police_sent.body);
    assert_eq!(texts(&inbox(&app, &market, "en").await), ["Beware of fraud 4"]);
    assert_eq!(texts(&inbox(&app, &gate, "en").await).len(), 2, "nothing refused reached anyone");

    // Each alert sent is on the audit trail, the refused ones are not.
    let audit = app.client.get("/api/v1/admin/audit?action=alert.send", Some(&admin)).await.body;
    let entries = audit.as_array().unwrap();
    assert_eq!(entries.len(), 3, "{audit:#}");
    assert_eq!(entries[0]["actor_unit"], "community-east");
    assert_eq!(entries[0]["target"], "unit:community-east");
    assert_eq!(entries[0]["details"]["text_en"], "Beware of fraud 1");
    assert_eq!(entries[1]["details"]["areas"], json!(["east-gate", "riverside"]));
    assert_eq!(entries[2]["actor_unit"], "police-central");
    // Marking an alert read works like any message.
    let id = inbox(&app, &gate, "en").await["items"][0]["id"].as_i64().unwrap();
    assert_eq!(app.client.post_empty(&format!("/api/v1/me/inbox/{id}/read"), Some(&gate)).await.status, 204);
    assert_eq!(inbox(&app, &gate, "en").await["unread"], 1);
    assert_eq!(inbox(&app, &gate2, "en").await["unread"], 2, "per resident");
    assert!(!gate_id.is_empty());
}

/// The row of `unit` (and `service`, null for the unit's total).
fn row<'a>(report: &'a Value, unit: &str, service: Option<&str>) -> &'a Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["unit"] == unit && r["service"].as_str() == service)
        .unwrap_or_else(|| panic!("no row for {unit} {service:?} in {report:#}"))
}

/// The counts of a row, in CSV column order (`opened` … `rated`).
fn counts(row: &Value) -> Vec<u64> {
    [
        "opened",
        "referrals_in",
        "referrals_out",
        "closed",
        "open_at_end",
        "open_overdue",
        "closed_with_due",
        "closed_on_time",
        "rated",
    ]
    .iter()
    .map(|k| row[k].as_u64().unwrap_or_else(|| panic!("{k} of {row:#}")))
    .collect()
}

async fn figures_match_what_the_units_did_today(backend: Backend) {
    let app = spawn(backend).await;
    let admin = app.admin_token().await;
    let (resident, resident_id) = app.resident("counted").await;
    let police = app.staff("police-f", "police-central").await;
    let judicial = app.staff("mediator-f", "judicial-office").await;
    let today = |app: &TestApp, admin: &str| {
        let (app, admin) = (app.client.clone(), admin.to_owned());
        async move {
            let report = app.get("/api/v1/admin/reports?period=day", Some(&admin)).await;
            assert_eq!(report.status, 200, "{}", report.body);
            report.body["period"]["label"].as_str().unwrap().to_owned()
        }
    };
    let day = today(&app, &admin).await;
    assert_eq!(day.len(), 10, "{day}");
    let empty = app.client.get(&format!("/api/v1/admin/reports?period=day&date={day}"), Some(&admin)).await.body;
    assert_eq!(empty["rows"], json!([]), "a fresh platform has no figures");

    // C1: police open, work and complete it; the resident rates it 4.
    let c1 = open(&app, &police, "probe", &resident_id, "police-central").await["id"].as_i64().unwrap();
    for to in ["accepted", "in-progress", "completed"] {
        move_to(&app, &police, c1, to).await;
    }
    // C2: police open it and hand it to the judicial office, which cancels it; rated 2.
    let c2 = open(&app, &police, "probe", &resident_id, "police-central").await["id"].as_i64().unwrap();
    assert_eq!(refer(&app, &police, c2, "judicial-office", false).await.status, 200);
    move_to(&app, &judicial, c2, "accepted").await;
    move_to(&app, &judicial, c2, "cancelled").await;
    // C3: police open it and bring the committee in; it stays open.
    let c3 = open(&app, &police, "probe", &resident_id, "police-central").await["id"].as_i64().unwrap();
    assert_eq!(refer(&app, &police, c3, "community-east", true).await.status, 200);
    // C4: the judicial office's own, still open.
    open(&app, &police, "probe", &resident_id, "judicial-office").await;
    for (id, rating) in [(c1, 4), (c2, 2)] {
        let path = format!("/api/v1/me/cases/{id}/rating");
        assert_eq!(app.client.post_json(&path, Some(&resident), &json!({"rating": rating})).await.status, 200);
    }
    if today(&app, &admin).await != day {
        eprintln!("the city's day changed during the test; the figures of {day} are not checked");
        return;
    }

    let report = app.client.get(&format!("/api/v1/admin/reports?period=day&date={day}"), Some(&admin)).await;
    assert_eq!(report.status, 200, "{}", report.body);
    let report = report.body;
    assert_eq!(report["period"]["label"], day);
    assert_eq!(report["period"]["kind"], "day");
    let order: Vec<(String, Value)> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["unit"].as_str().unwrap().to_owned(), r["service"].clone()))
        .collect();
    let probe = json!("linkage-probe");
    assert_eq!(
        order,
        [
            ("community-east".to_owned(), Value::Null),
            ("community-east".to_owned(), probe.clone()),
            ("judicial-office".to_owned(), Value::Null),
            ("judicial-office".to_owned(), probe.clone()),
            ("police-central".to_owned(), Value::Null),
            ("police-central".to_owned(), probe.clone()),
        ]
    );
    //            opened in out closed open overdue with_due on_time rated
    let police_counts = vec![3, 0, 1, 1, 1, 0, 1, 1, 1];
    let judicial_counts = vec![1, 1, 0, 1, 1, 0, 1, 1, 1];
    let committee_counts = vec![0, 1, 0, 0, 0, 0, 0, 0, 0];
    for service in [None, Some("linkage-probe")] {
        let p = row(&report, "police-central", service);
        assert_eq!(counts(p), police_counts, "{p:#}");
        assert_eq!((p["closure_rate"].as_f64(), p["on_time_rate"].as_f64()), (Some(0.5), Some(1.0)));
        assert_eq!(p["average_rating"].as_f64(), Some(4.0));
        let hours = p["median_hours_to_close"].as_f64().unwrap();
        assert!((0.0..1.0).contains(&hours), "{hours}");
        let j = row(&report, "judicial-office", service);
        assert_eq!(counts(j), judicial_counts, "{j:#}");
        assert_eq!((j["closure_rate"].as_f64(), j["on_time_rate"].as_f64()), (Some(0.5), Some(1.0)));
        assert_eq!(j["average_rating"].as_f64(), Some(2.0));
        let c = row(&report, "community-east", service);
        assert_eq!(counts(c), committee_counts, "{c:#}");
        for figure in ["closure_rate", "on_time_rate", "median_hours_to_close", "average_rating"] {
            assert_eq!(c[figure], Value::Null, "{figure} of nothing closed");
        }
    }
    // The week and the quarter hold the same cases (nothing else happened).
    for period in ["week", "quarter"] {
        let wider =
            app.client.get(&format!("/api/v1/admin/reports?period={period}&date={day}"), Some(&admin)).await.body;
        assert_eq!(wider["rows"], report["rows"], "{period}");
        assert_eq!(wider["period"]["kind"], period);
    }

    // The same as CSV.
    let csv = app
        .client
        .send(
            "GET",
            &format!("/api/v1/admin/reports?period=day&date={day}"),
            Some(&admin),
            &[("accept", "text/csv")],
            None,
        )
        .await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(
        csv.header("content-disposition"),
        Some(format!("attachment; filename=\"onewindow-{day}.csv\"").as_str())
    );
    let text = csv.body.as_str().expect("CSV text").to_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "period,unit,service,opened,referrals_in,referrals_out,closed,open_at_end,open_overdue,closed_with_due,closed_on_time,rated,closure_rate,on_time_rate,median_hours_to_close,average_rating"
    );
    assert_eq!(lines.len(), 7, "{text}");
    assert_eq!(lines[1], format!("{day},community-east,,0,1,0,0,0,0,0,0,0,,,,"));
    assert_eq!(lines[2], format!("{day},community-east,linkage-probe,0,1,0,0,0,0,0,0,0,,,,"));
    let police_line: Vec<&str> = lines[5].split(',').collect();
    assert_eq!(police_line[..14].join(","), format!("{day},police-central,,3,0,1,1,1,0,1,1,1,0.5000,1.0000"));
    assert_eq!(police_line[15], "4.0000");
    assert_eq!(police_line[14].split_once('.').map(|(_, d)| d.len()), Some(4), "{}", police_line[14]);
    let judicial_line: Vec<&str> = lines[3].split(',').collect();
    assert_eq!(judicial_line[..14].join(","), format!("{day},judicial-office,,1,1,0,1,1,0,1,1,1,0.5000,1.0000"));
    assert_eq!(judicial_line[15], "2.0000");
    let json_first = app
        .client
        .send(
            "GET",
            &format!("/api/v1/admin/reports?period=day&date={day}"),
            Some(&admin),
            &[("accept", "application/json, text/csv")],
            None,
        )
        .await;
    assert_eq!(json_first.body["rows"], report["rows"], "JSON when it is preferred");

    // Staff see their own unit only.
    let own = app.client.get(&format!("/api/v1/staff/reports?period=day&date={day}"), Some(&judicial)).await;
    assert_eq!(own.status, 200, "{}", own.body);
    assert_eq!(own.body["rows"].as_array().unwrap().len(), 2);
    assert_eq!(own.body["rows"][0], *row(&report, "judicial-office", None));
    assert_eq!(own.body["rows"][1], *row(&report, "judicial-office", Some("linkage-probe")));
    let own_csv = app
        .client
        .send(
            "GET",
            &format!("/api/v1/staff/reports?period=day&date={day}"),
            Some(&police),
            &[("accept", "text/csv")],
            None,
        )
        .await;
    let own_lines: Vec<String> = own_csv.body.as_str().unwrap().lines().map(str::to_owned).collect();
    assert_eq!(own_lines.len(), 3);
    assert_eq!(own_lines[1], lines[5]);
    assert_eq!(own_lines[2], lines[6]);
    let west = app.staff("committee-wf", "community-west").await;
    let nothing = app.client.get(&format!("/api/v1/staff/reports?period=quarter&date={day}"), Some(&west)).await;
    assert_eq!(nothing.body["rows"], json!([]));

    // Who may ask, and for what.
    app.client.get("/api/v1/admin/reports?period=day", Some(&police)).await.assert_problem(403, "forbidden");
    app.client.get("/api/v1/staff/reports?period=day", Some(&resident)).await.assert_problem(403, "forbidden");
    app.client.get("/api/v1/staff/reports?period=day", None).await.assert_problem(401, "unauthorized");
    let bad = |query: &'static str| {
        let (app, admin) = (&app, &admin);
        async move { app.client.get(&format!("/api/v1/admin/reports?{query}"), Some(admin)).await.problem_fields() }
    };
    assert_eq!(bad("period=month").await, ["period"]);
    assert_eq!(bad("period=day&date=2026-02-30").await, ["date"]);
    assert_eq!(bad("period=week&date=26-1-1").await, ["date"]);
    assert_eq!(bad("period=day&date=today").await, ["date"]);
    assert_eq!(bad("period=day&unit=police-central").await.len(), 1);
    let staff_bad = app.client.get("/api/v1/staff/reports?period=year", Some(&police)).await;
    assert_eq!(staff_bad.problem_fields(), ["period"]);
}

/// How many rows the probe's own `notes` table holds.
async fn notes(app: &TestApp) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM p_linkage_probe__notes")
        .fetch_one(app.state.store.data_pool())
        .await
        .expect("count notes")
        .try_get(0)
        .expect("a count")
}

/// The community feedback the caller's unit can see, through the probe.
async fn feedback(app: &TestApp, staff: &str) -> Value {
    let body = json!({"table": "community_feedback", "columns": ["topic", "text", "area"]});
    let answer = app.client.post_json(&format!("{PROBE}/records/select"), Some(staff), &body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body["rows"].clone()
}

async fn a_trap_or_a_failure_answer_after_writing_everywhere_keeps_nothing(backend: Backend) {
    let app = spawn(backend).await;
    let (resident, resident_id) = app.resident("untouched").await;
    let committee = app.staff("committee-t", "community-east").await;
    let police = app.staff("police-t", "police-central").await;
    let body = json!({"resident": resident_id, "unit": "community-east"});
    let nothing_kept = |what: &'static str| {
        let (app, resident, committee) = (&app, &resident, &committee);
        async move {
            assert_eq!(notes(app).await, 0, "{what}: no own-table row");
            assert_eq!(feedback(app, committee).await, json!([]), "{what}: no shared record");
            let cases = app.client.get("/api/v1/me/cases", Some(resident)).await.body;
            assert_eq!(cases["total"], 0, "{what}: no case");
            let inbox = app.client.get("/api/v1/me/inbox", Some(resident)).await.body;
            assert_eq!(inbox, json!({"unread": 0, "items": []}), "{what}: no message");
        }
    };

    let trapped = app.client.post_json(&format!("{PROBE}/all-then-trap"), Some(&committee), &body).await;
    trapped.assert_problem(502, "plugin-failed");
    nothing_kept("trap").await;

    let failed = app.client.post_json(&format!("{PROBE}/all-then-500"), Some(&committee), &body).await;
    assert_eq!(failed.status, 500, "{}", failed.body);
    assert_eq!(failed.body["error"], "on-purpose", "every write succeeded before the failure: {}", failed.body);
    assert!(failed.body["written"]["case_id"].is_i64());
    nothing_kept("500").await;
    // Police staff serve east-gate too: the same from another unit.
    let trapped = app.client.post_json(&format!("{PROBE}/all-then-trap"), Some(&police), &body).await;
    assert_eq!(trapped.status, 502);
    nothing_kept("trap as police").await;
    // And no figure counts a case that never was.
    let admin = app.admin_token().await;
    assert_eq!(app.client.get("/api/v1/admin/reports?period=quarter", Some(&admin)).await.body["rows"], json!([]));

    // The control: the same writes, each in a request that ends normally, are kept.
    let note = app.client.post_json(&format!("{PROBE}/data/insert"), Some(&committee), &json!({"note": "kept"})).await;
    assert_eq!(note.status, 200, "{}", note.body);
    let record =
        json!({"table": "community_feedback", "values": {"topic": "probe", "text": "kept", "area": "east-gate"}});
    let inserted = app.client.post_json(&format!("{PROBE}/records/insert"), Some(&committee), &record).await;
    assert_eq!(inserted.status, 200, "{}", inserted.body);
    let case = open(&app, &committee, "probe", &resident_id, "community-east").await;
    let sent = app
        .client
        .post_json(
            &format!("{PROBE}/notify"),
            Some(&committee),
            &json!({"resident": resident_id, "template": "hello", "params": {"name": "probe"}}),
        )
        .await;
    assert_eq!(sent.status, 204, "{}", sent.body);

    assert_eq!(notes(&app).await, 1);
    assert_eq!(feedback(&app, &committee).await, json!([["probe", "kept", "east-gate"]]));
    let cases = app.client.get("/api/v1/me/cases", Some(&resident)).await.body;
    assert_eq!((cases["total"].as_i64(), cases["items"][0]["id"].clone()), (Some(1), case["id"].clone()));
    let messages =
        app.client.send("GET", "/api/v1/me/inbox", Some(&resident), &[("accept-language", "en")], None).await;
    assert_eq!(
        texts(&messages.body),
        ["Hello, probe".to_owned(), format!("Your case {} has been opened.", case["reference"].as_str().unwrap())]
    );
}

async fn a_plugin_built_against_the_0_1_0_contract_runs_unchanged(backend: Backend) {
    let app = spawn(backend).await;
    let (resident, _) = app.resident("guest").await;
    let entries = "/api/v1/services/old-world/entries";
    assert_eq!(app.client.get(entries, Some(&resident)).await.body, json!([]));
    let first = app.client.post_raw(entries, Some(&resident), "text/plain", "hello from 0.1.0".as_bytes()).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let id = first.body["id"].as_i64().expect("an id");
    let second = app.client.post_raw(entries, Some(&resident), "text/plain", "ياخشىمۇسىز".as_bytes()).await;
    assert_eq!(second.status, 201, "{}", second.body);
    assert_eq!(second.body["id"].as_i64(), Some(id + 1));
    let listed = app.client.get(entries, Some(&resident)).await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body, json!(["hello from 0.1.0", "ياخشىمۇسىز"]));
    let invalid = app.client.post_raw(entries, Some(&resident), "text/plain", &[0xff, 0xfe]).await;
    assert_eq!(invalid.status, 400);
    assert_eq!(app.client.get(entries, Some(&resident)).await.body.as_array().unwrap().len(), 2);
    assert_eq!(app.client.get("/api/v1/services/old-world/nothing", None).await.status, 404);
    // It is listed as installed for the older world.
    let admin = app.admin_token().await;
    let plugins = app.client.get("/api/v1/plugins", Some(&admin)).await.body;
    let old = plugins.as_array().unwrap().iter().find(|p| p["id"] == "old-world").expect("old-world is installed");
    assert!(old.to_string().contains("0.1.0"), "{old:#}");
}

/// One seeded history entry: (at, action, from status, to status, from unit, to unit).
type Step<'a> = (&'a str, &'a str, Option<&'a str>, Option<&'a str>, Option<&'a str>, Option<&'a str>);

/// Seeds a case as the store would have written it at those times: the
/// figures are computed from the stored history alone.
#[allow(clippy::too_many_arguments)]
async fn seed_case(
    app: &TestApp,
    unit: &str,
    status: &str,
    opened_at: &str,
    due_at: &str,
    closed_at: Option<&str>,
    rating: Option<i64>,
    steps: &[Step<'_>],
) {
    let pool = app.state.store.data_pool();
    let id: i64 = sqlx::query(
        "INSERT INTO cases (prefix, service, kind, resident, unit, status, data, opened_at, due_at, closed_at, updated_at, rating) \
         VALUES ('SD', 'seeded', 'matter', 'r', $1, $2, '{}', $3, $4, $5, $3, $6) RETURNING id",
    )
    .bind(unit)
    .bind(status)
    .bind(opened_at)
    .bind(due_at)
    .bind(closed_at)
    .bind(rating)
    .fetch_one(pool)
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    for (at, action, from_status, to_status, from_unit, to_unit) in steps {
        sqlx::query(
            "INSERT INTO case_history (case_id, at, actor, action, from_status, to_status, from_unit, to_unit, note, via) \
             VALUES ($1, $2, 'seed', $3, $4, $5, $6, $7, '', 'seed')",
        )
        .bind(id)
        .bind(*at)
        .bind(*action)
        .bind(*from_status)
        .bind(*to_status)
        .bind(*from_unit)
        .bind(*to_unit)
        .execute(pool)
        .await
        .unwrap();
    }
}

/// Cases seeded at the edges of a quarter, counted by hand. The city is at
/// UTC+8: 2026-09-30T15:59:59.999Z is the last instant of Q3 there, and
/// 2026-09-30T16:00:00.000Z the first of Q4.
async fn figures_of_past_periods_count_cases_at_their_edges(backend: Backend) {
    let app = spawn(backend).await;
    let admin = app.admin_token().await;
    let opened = |at, unit| (at, "opened", None, Some("requested"), None, Some(unit));
    let moved = |at, from, to| (at, "transition", Some(from), Some(to), None, None);
    // A: opened at Q3's last instant, completed at Q4's first, police-central, due in October.
    let a_open = "2026-09-30T15:59:59.999Z";
    let a_closed = "2026-09-30T16:00:00.000Z";
    seed_case(
        &app,
        "police-central",
        "completed",
        a_open,
        "2026-10-05T00:00:00.000Z",
        Some(a_closed),
        None,
        &[
            opened(a_open, "police-central"),
            moved("2026-09-30T15:59:59.999Z", "requested", "accepted"),
            moved("2026-09-30T15:59:59.999Z", "accepted", "in-progress"),
            moved(a_closed, "in-progress", "completed"),
        ],
    )
    .await;
    // B: opened in Q3, handed to the judicial office, completed there in 48 h, rated 4, on time.
    seed_case(
        &app,
        "judicial-office",
        "completed",
        "2026-07-01T00:00:00.000Z",
        "2026-07-10T00:00:00.000Z",
        Some("2026-07-03T00:00:00.000Z"),
        Some(4),
        &[
            opened("2026-07-01T00:00:00.000Z", "police-central"),
            moved("2026-07-01T01:00:00.000Z", "requested", "accepted"),
            ("2026-07-02T00:00:00.000Z", "referred", None, None, Some("police-central"), Some("judicial-office")),
            moved("2026-07-02T01:00:00.000Z", "accepted", "in-progress"),
            moved("2026-07-03T00:00:00.000Z", "in-progress", "completed"),
        ],
    )
    .await;
    // C: opened at Q3's first local instant, still open, due in July: overdue ever since.
    seed_case(
        &app,
        "police-central",
        "requested",
        "2026-06-30T16:00:00.000Z",
        "2026-07-05T00:00:00.000Z",
        None,
        None,
        &[opened("2026-06-30T16:00:00.000Z", "police-central")],
    )
    .await;
    // D: opened and closed in Q2, before all this: in no Q3 figure.
    seed_case(
        &app,
        "police-central",
        "rejected",
        "2026-06-01T00:00:00.000Z",
        "2026-06-05T00:00:00.000Z",
        Some("2026-06-02T00:00:00.000Z"),
        None,
        &[
            opened("2026-06-01T00:00:00.000Z", "police-central"),
            moved("2026-06-02T00:00:00.000Z", "requested", "rejected"),
        ],
    )
    .await;

    let report = |query: &str| {
        let (app, admin) = (&app, admin.clone());
        let path = format!("/api/v1/admin/reports?{query}");
        async move {
            let answer = app.client.get(&path, Some(&admin)).await;
            assert_eq!(answer.status, 200, "{path}: {:#}", answer.body);
            answer.body
        }
    };
    // Q3: counts in CSV order (opened, in, out, closed, open at end, overdue, with due, on time, rated).
    let q3 = report("period=quarter&date=2026-08-15").await;
    assert_eq!(q3["period"]["label"], "2026-Q3");
    let police = row(&q3, "police-central", None);
    assert_eq!(
        counts(police),
        [3, 0, 1, 0, 2, 1, 0, 0, 0],
        "A, B and C opened; B handed over; A and C open at the end, C overdue"
    );
    assert_eq!(police["closure_rate"], 0.0);
    let judicial = row(&q3, "judicial-office", None);
    assert_eq!(counts(judicial), [0, 1, 0, 1, 0, 0, 1, 1, 1]);
    assert_eq!((judicial["closure_rate"].as_f64(), judicial["on_time_rate"].as_f64()), (Some(1.0), Some(1.0)));
    assert_eq!(
        (judicial["median_hours_to_close"].as_f64(), judicial["average_rating"].as_f64()),
        (Some(48.0), Some(4.0))
    );
    assert_eq!(q3["rows"].as_array().unwrap().len(), 4, "each unit's total and its one service: {q3:#}");

    // Q4: A closed at its first instant, on time; C still open and overdue.
    let q4 = report("period=quarter&date=2026-10-01").await;
    assert_eq!(counts(row(&q4, "police-central", Some("seeded"))), [0, 0, 0, 1, 1, 1, 1, 1, 0]);
    // The last local day of Q3 holds A's opening; the first of Q4 its closing.
    let last_day = report("period=day&date=2026-09-30").await;
    assert_eq!(row(&last_day, "police-central", None)["opened"], 1);
    assert_eq!(row(&last_day, "police-central", None)["closed"], 0);
    let first_day = report("period=day&date=2026-10-01").await;
    assert_eq!(
        (
            row(&first_day, "police-central", None)["opened"].as_u64(),
            row(&first_day, "police-central", None)["closed"].as_u64()
        ),
        (Some(0), Some(1))
    );
    // Q2 had only D, rejected within it.
    let q2 = report("period=quarter&date=2026-05-01").await;
    assert_eq!(counts(row(&q2, "police-central", None)), [1, 0, 0, 1, 0, 0, 1, 1, 0]);
}
