//! The harness itself: a small service run through it, checking that the
//! in-memory host answers as the platform does.
#![cfg(feature = "harness")]

use onewindow_sdk::harness::{Harness, TestCaller, TestRequest};
use onewindow_sdk::prelude::*;
use serde_json::json;

const MANIFEST: &str = r#"
id = "notes"
version = "0.1.0"
world = "onewindow:platform/service@0.1.2"
capabilities = ["data", "log", "cases", "notify"]

[[tables]]
name = "notes"
columns = [
    { name = "author", type = "text", required = true },
    { name = "code", type = "text", required = true },
    { name = "body", type = "text" },
    { name = "weight", type = "real" },
    { name = "stars", type = "integer" },
]
indexes = [{ columns = ["code"], unique = true }]

[[case-kinds]]
name = "request"
time-limit-days = 5
units = ["community-east"]
reference-prefix = "NT"

[templates.noted]
zh = "已记录 {code}"
ug = "{code}"
en = "Noted {code}"
"#;

struct Notes;

impl Service for Notes {
    fn router() -> Router {
        Router::new()
            .post("/notes", add)
            .get("/notes", list)
            .post("/raw", raw)
            .patch("/notes/{id}", edit)
            .post("/fail-after-write", fail_after_write)
            .post("/panic-after-write", panic_after_write)
            .get("/staff-only", staff_only)
            .post("/cases", open_case)
            .post("/cases/{id}/{to}", move_case)
    }
}

fn add(req: &Request) -> Result<Response> {
    let caller = req.require_role(Role::Resident)?;
    let body: serde_json::Value = req.json()?;
    let id = table("notes")
        .insert()
        .set("author", caller.subject.as_str())
        .set("code", body["code"].as_str().unwrap_or_default())
        .set("body", body["body"].as_str())
        .set("stars", body["stars"].as_i64())
        .execute()?;
    onewindow_sdk::log::info(&format!("note {id} added"));
    onewindow_sdk::notify::send(caller.subject.as_str(), "noted")
        .param("code", body["code"].as_str().unwrap_or_default())
        .execute()?;
    Ok(Response::json(201, &json!({ "id": id })))
}

/// `?like=&in=a,b&order=col&desc=1&limit=&offset=`
fn list(req: &Request) -> Result<Response> {
    let mut query = table("notes").all();
    if let Some(pattern) = req.query_param("like") {
        query = query.where_like("body", &pattern);
    }
    if let Some(codes) = req.query_param("in") {
        query = query.where_in("code", codes.split(',').map(str::to_owned).collect::<Vec<_>>());
    }
    if let Some(order) = req.query_param("order") {
        query = if req.query_param("desc").is_some() { query.order_by_desc(&order) } else { query.order_by(&order) };
    }
    if let Some(limit) = req.query_param("limit") {
        query = query.limit(limit.parse().unwrap_or(0));
    }
    if let Some(offset) = req.query_param("offset") {
        query = query.offset(offset.parse().unwrap_or(0));
    }
    Ok(Response::json(200, &query.fetch()?.to_json()))
}

/// Inserts what the body says, column by column, values as they come (to
/// reach the host's checks).
fn raw(req: &Request) -> Result<Response> {
    let body: serde_json::Value = req.json()?;
    let mut insert = table("notes").insert();
    for (column, value) in body.as_object().into_iter().flatten() {
        insert = match value {
            serde_json::Value::String(s) => insert.set(column, s.as_str()),
            serde_json::Value::Number(n) if n.is_i64() => insert.set(column, n.as_i64().unwrap_or_default()),
            serde_json::Value::Number(n) => insert.set(column, n.as_f64().unwrap_or_default()),
            serde_json::Value::Bool(b) => insert.set(column, *b),
            _ => insert.set(column, Option::<i64>::None),
        };
    }
    let id = insert.execute()?;
    Ok(Response::json(201, &json!({ "id": id })))
}

fn edit(req: &Request) -> Result<Response> {
    let id: i64 = req.param_parse("id")?;
    let body: serde_json::Value = req.json()?;
    let code = body["code"].as_str().unwrap_or_default();
    let changed = table("notes").update().set("code", code).where_eq("id", id).execute()?;
    if changed == 0 {
        return Err(Error::not_found(format!("no note {id}")));
    }
    Ok(Response::no_content())
}

fn fail_after_write(_: &Request) -> Result<Response> {
    table("notes").insert().set("author", "x").set("code", "lost").execute()?;
    Err(Error::internal("something broke after the write"))
}

fn panic_after_write(_: &Request) -> Result<Response> {
    table("notes").insert().set("author", "x").set("code", "lost").execute()?;
    panic!("boom");
}

fn staff_only(req: &Request) -> Result<Response> {
    let caller = req.require_staff_of(UnitKind::Community)?;
    Ok(Response::json(200, &json!({ "subject": caller.subject, "unit": caller.unit.as_ref().map(|u| &u.id) })))
}

fn open_case(req: &Request) -> Result<Response> {
    let caller = req.require_role(Role::Resident)?;
    let unit = req.query_param("unit").unwrap_or_else(|| "community-east".into());
    let case = onewindow_sdk::cases::open("request", caller.subject.as_str(), &unit).note("opened").execute()?;
    Ok(Response::json(201, &json!({ "id": case.id, "reference": case.reference })))
}

fn move_case(req: &Request) -> Result<Response> {
    use onewindow_sdk::cases::{self, Status};
    let id: i64 = req.param_parse("id")?;
    let to = match req.param("to").unwrap_or_default() {
        "accepted" => Status::Accepted,
        "in-progress" => Status::InProgress,
        "completed" => Status::Completed,
        _ => Status::Cancelled,
    };
    let case = cases::transition(id, to, "moved")?;
    Ok(Response::json(200, &json!({ "status": cases::status_name(case.status) })))
}

fn harness() -> Harness {
    Harness::from_manifest(MANIFEST).expect("the test manifest is valid")
}

fn resident() -> TestCaller {
    TestCaller::resident("r-1")
}

fn raw_insert(harness: &mut Harness, body: serde_json::Value) -> onewindow_sdk::harness::TestResponse {
    harness.call::<Notes>("POST", "/raw", &resident(), Some(body))
}

#[test]
fn an_insert_reads_back_and_logs_and_notifies() {
    let mut harness = harness();
    let answer = harness.call::<Notes>("POST", "/notes", &resident(), Some(json!({ "code": "a", "body": "Hi" })));
    assert_eq!(answer.status, 201, "{}", answer.text());
    assert_eq!(answer.json(), json!({ "id": 1 }));
    let rows = harness.rows("notes");
    assert_eq!(
        rows,
        vec![json!({ "id": 1, "author": "r-1", "code": "a", "body": "Hi", "weight": null, "stars": null })]
    );
    let listed = harness.call::<Notes>("GET", "/notes", &TestCaller::anonymous(), None);
    assert_eq!(listed.json(), json!(rows));
    assert!(harness.logs().iter().any(|l| l.level == "info" && l.message == "note 1 added"), "{:?}", harness.logs());
    assert_eq!(harness.messages().len(), 1);
    assert_eq!(harness.messages()[0].params, vec![("code".to_owned(), "a".to_owned())]);
}

#[test]
fn an_unknown_column_is_the_services_bug_a_generic_500_with_the_detail_logged() {
    let mut harness = harness();
    let answer = raw_insert(&mut harness, json!({ "author": "a", "code": "c", "shoe_size": 42 }));
    assert_eq!(answer.status, 500);
    assert_eq!(answer.problem_type().as_deref(), Some("internal"));
    assert!(!answer.text().contains("shoe_size"), "the caller does not learn the detail");
    assert!(
        harness
            .logs()
            .iter()
            .any(|l| l.level == "error" && l.message.contains("table `notes` has no column `shoe_size`")),
        "{:?}",
        harness.logs()
    );
    assert!(harness.rows("notes").is_empty());
}

#[test]
fn wrong_types_and_missing_or_null_required_columns_are_refused_like_the_host() {
    let mut harness = harness();
    for (body, detail) in [
        (json!({ "author": "a", "code": 7 }), "`code` is text, got an integer"),
        (json!({ "author": "a", "code": "c", "stars": 1.5 }), "`stars` is integer, got a real"),
        (json!({ "author": "a" }), "`code` is required"),
        (json!({ "author": "a", "code": null }), "`code` is required and cannot be null"),
        (json!({ "author": "a", "code": "c", "id": 9 }), "`id` is assigned by the platform"),
    ] {
        let answer = raw_insert(&mut harness, body.clone());
        assert_eq!(answer.status, 500, "{body}");
        let last = harness.logs().last().map(|l| l.message.clone()).unwrap_or_default();
        assert!(last.contains(detail), "{body}: {last}");
    }
    assert!(harness.rows("notes").is_empty());
    // Integers widen to reals.
    let answer = raw_insert(&mut harness, json!({ "author": "a", "code": "c", "weight": 2 }));
    assert_eq!(answer.status, 201, "{}", answer.text());
    assert_eq!(harness.rows("notes")[0]["weight"], json!(2.0));
}

#[test]
fn a_unique_index_answers_conflict_for_inserts_and_updates() {
    let mut harness = harness();
    harness.insert("notes", json!({ "author": "seed", "code": "taken" }));
    let other = harness.insert("notes", json!({ "author": "seed", "code": "free" }));
    let answer = harness.call::<Notes>("POST", "/notes", &resident(), Some(json!({ "code": "taken" })));
    assert_eq!((answer.status, answer.problem_type().as_deref()), (409, Some("conflict")));
    let answer =
        harness.call::<Notes>("PATCH", &format!("/notes/{other}"), &resident(), Some(json!({ "code": "taken" })));
    assert_eq!(answer.status, 409);
    assert_eq!(harness.rows("notes").len(), 2);
    assert_eq!(harness.rows("notes")[1]["code"], "free", "the refused update changed nothing");
    assert!(harness.messages().is_empty());
}

#[test]
fn a_handler_that_answers_500_after_writing_leaves_nothing() {
    let mut harness = harness();
    harness.insert("notes", json!({ "author": "seed", "code": "kept" }));
    let answer = harness.call::<Notes>("POST", "/fail-after-write", &resident(), None);
    assert_eq!(answer.status, 500);
    assert_eq!(harness.rows("notes").len(), 1);
    // Ids are not reused within a table only after commit: the next insert works.
    let answer = harness.call::<Notes>("POST", "/notes", &resident(), Some(json!({ "code": "next" })));
    assert_eq!(answer.status, 201);
}

#[test]
fn a_handler_that_panics_leaves_nothing_and_answers_502() {
    let mut harness = harness();
    let answer = harness.call::<Notes>("POST", "/panic-after-write", &resident(), None);
    assert_eq!((answer.status, answer.problem_type().as_deref()), (502, Some("plugin-failed")));
    assert!(harness.rows("notes").is_empty());
    assert!(harness.logs().iter().any(|l| l.message.contains("boom")));
    // The harness still works after a panic.
    let answer = harness.call::<Notes>("POST", "/notes", &resident(), Some(json!({ "code": "after" })));
    assert_eq!(answer.status, 201);
}

#[test]
fn callers_and_roles_reach_the_handler() {
    let mut harness = harness();
    let anonymous = harness.call::<Notes>("GET", "/staff-only", &TestCaller::anonymous(), None);
    assert_eq!(anonymous.status, 401);
    for caller in [
        TestCaller::resident("r-1"),
        TestCaller::admin("root"),
        TestCaller::staff("s-1", "police-central", UnitKind::Police),
    ] {
        assert_eq!(harness.call::<Notes>("GET", "/staff-only", &caller, None).status, 403, "{caller:?}");
    }
    let staff = TestCaller::staff("s-2", "community-east", UnitKind::Community).named("Ms. Staff");
    let answer = harness.call::<Notes>("GET", "/staff-only", &staff, None);
    assert_eq!(answer.json(), json!({ "subject": "s-2", "unit": "community-east" }));
    let by_resident = harness.call::<Notes>("POST", "/notes", &TestCaller::admin("root"), Some(json!({ "code": "x" })));
    assert_eq!(by_resident.status, 403);
}

#[test]
fn like_one_of_order_limit_and_offset_filter_as_on_the_host() {
    let mut harness = harness();
    for (code, body, stars) in [("a", "Water bill", 3), ("b", "water_main", 1), ("c", "Gas", 2), ("d", "WATERFALL", 5)]
    {
        harness.insert("notes", json!({ "author": "s", "code": code, "body": body, "stars": stars }));
    }
    harness.insert("notes", json!({ "author": "s", "code": "e" }));
    let codes = |harness: &mut Harness, query: &str| -> Vec<String> {
        let answer = harness.call::<Notes>("GET", &format!("/notes?{query}"), &TestCaller::anonymous(), None);
        assert_eq!(answer.status, 200, "{query}: {}", answer.text());
        answer.json().as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(codes(&mut harness, "like=water%25"), ["a", "b", "d"], "case-insensitive, null never matches");
    assert_eq!(codes(&mut harness, "like=water_m%25"), ["b"]);
    assert_eq!(codes(&mut harness, "like=_as"), ["c"]);
    assert_eq!(codes(&mut harness, "in=d,a,zz"), ["a", "d"]);
    assert_eq!(codes(&mut harness, "order=stars"), ["e", "b", "c", "a", "d"], "nulls first");
    assert_eq!(codes(&mut harness, "order=stars&desc=1&limit=2"), ["d", "a"]);
    assert_eq!(codes(&mut harness, "order=stars&desc=1&limit=2&offset=2"), ["c", "b"]);
    let bad = harness.call::<Notes>("GET", "/notes?order=nope", &TestCaller::anonymous(), None);
    assert_eq!(bad.status, 500);
    assert!(harness.logs().last().unwrap().message.contains("table `notes` has no column `nope`"));
}

#[test]
fn cases_follow_the_hosts_status_model() {
    let mut harness = harness();
    let opened = harness.call::<Notes>("POST", "/cases", &resident(), None);
    assert_eq!(opened.status, 201, "{}", opened.text());
    let id = opened.json()["id"].as_i64().unwrap();
    assert!(opened.json()["reference"].as_str().unwrap().starts_with("NT-"));
    let illegal = harness.call::<Notes>("POST", &format!("/cases/{id}/completed"), &resident(), None);
    assert_eq!(illegal.status, 409);
    assert!(
        illegal.json()["detail"].as_str().unwrap().contains("allowed: accepted, rejected, cancelled"),
        "{}",
        illegal.text()
    );
    for to in ["accepted", "in-progress", "completed"] {
        let moved = harness.call::<Notes>("POST", &format!("/cases/{id}/{to}"), &resident(), None);
        assert_eq!(moved.json()["status"], to);
    }
    assert_eq!(harness.case_history(id).len(), 4);
    let ungranted = harness.call::<Notes>("POST", "/cases?unit=police-central", &resident(), None);
    assert_eq!(ungranted.status, 403);
    assert_eq!(harness.cases().len(), 1);
}

#[test]
fn bad_manifests_are_refused_naming_the_field() {
    let error = Harness::from_manifest(
        "id = \"x\"\n[[tables]]\nname = \"t\"\ncolumns = [{ name = \"id\", type = \"integer\" }]\n",
    )
    .unwrap_err();
    assert!(error.contains("tables[0].columns[0].name"), "{error}");
    let error =
        Harness::from_manifest("id = \"x\"\n[[tables]]\nname = \"t\"\ncolumns = [{ name = \"a\", type = \"date\" }]\n")
            .unwrap_err();
    assert!(error.contains("date"), "{error}");
}

#[test]
fn send_sets_raw_bodies_and_headers() {
    let mut harness = harness();
    let request = TestRequest::new("POST", "/notes").caller(&resident()).header("content-type", "text/plain").body("x");
    assert_eq!(harness.send::<Notes>(request).status, 415);
    let request = TestRequest::new("POST", "/notes").caller(&resident()).body("{not json");
    assert_eq!(harness.send::<Notes>(request).status, 400);
}
