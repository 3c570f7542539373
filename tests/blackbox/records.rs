//! The shared record ("collect once, use by many"), end to end: plugins
//! reach it only through their grants (operations, columns, row scope,
//! consent), staff through their unit's grants, residents through their own
//! profile; sensitive columns are sealed and masked, and every read of
//! personal data is in the resident's access log.

use std::time::Duration;

use onewindow_tests::{Answer, Backend, Options, TestApp, on_both_backends, plugins_dir};
use serde_json::{Value, json};
use sqlx::Row;

on_both_backends!(
    a_narrow_grant_reads_only_the_callers_row_and_the_granted_columns,
    a_unit_scope_reaches_only_the_areas_the_unit_serves,
    id_numbers_are_sealed_found_by_exact_match_and_masked_for_staff,
    an_admin_hides_an_access_log_entry_until_a_date_on_the_audit_trail,
    a_partner_service_reads_personal_data_only_with_consent,
    residents_fill_in_and_correct_their_profile_with_provenance,
    staff_work_only_on_records_of_their_units_areas,
    a_read_stays_in_the_access_log_when_the_request_fails,
    a_filter_on_a_personal_column_is_a_read,
    a_hidden_entry_comes_back_on_its_date,
    a_plugin_learns_its_service_id_and_owning_unit,
);

const ID_AYGUL: &str = "11010519491231002X";
const ID_MERDAN: &str = "110101199003071014";
const ID_UNUSED: &str = "110101199003074514";

async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, Options { fixtures: true, ..Options::default() }).await
}

fn service(plugin: &str, route: &str) -> String {
    format!("/api/v1/services/{plugin}{route}")
}

async fn call(app: &TestApp, plugin: &str, route: &str, token: Option<&str>, body: Value) -> Answer {
    app.client.post_json(&service(plugin, route), token, &body).await
}

/// A probe answer that is a capability error: its variant and message.
#[track_caller]
fn assert_refused(answer: &Answer, status: u16, variant: &str) -> String {
    assert_eq!(answer.status, status, "status of {:#}", answer.body);
    assert_eq!(answer.body["error"], variant, "variant of {:#}", answer.body);
    answer.body["message"].as_str().expect("a message").to_owned()
}

#[track_caller]
fn rows(answer: &Answer) -> Value {
    assert_eq!(answer.status, 200, "{:#}", answer.body);
    answer.body["rows"].clone()
}

async fn patch_json(app: &TestApp, path: &str, token: &str, body: &Value) -> Answer {
    app.client
        .send(
            "PATCH",
            path,
            Some(token),
            &[("content-type", "application/json")],
            Some(serde_json::to_vec(body).unwrap()),
        )
        .await
}

/// Creates the resident's profile; returns its row id.
async fn profile(app: &TestApp, token: &str, fields: Value) -> i64 {
    let answer = patch_json(app, "/api/v1/me/profile", token, &fields).await;
    assert_eq!(answer.status, 200, "{:#}", answer.body);
    // The portal does not show the row id; a service granted the table reads it.
    let id = call(
        app,
        "linkage-probe",
        "/records/select",
        Some(token),
        json!({"table": "resident_profile", "columns": ["id"]}),
    )
    .await;
    assert_eq!(id.body["rows"].as_array().map(Vec::len), Some(1), "{:#}", id.body);
    id.body["rows"][0][0].as_i64().unwrap()
}

async fn access_log(app: &TestApp, token: &str, language: &str) -> Vec<Value> {
    let answer =
        app.client.send("GET", "/api/v1/me/access-log", Some(token), &[("accept-language", language)], None).await;
    assert_eq!(answer.status, 200, "{:#}", answer.body);
    answer.body.as_array().unwrap().clone()
}

/// The same probe component under another id, uploaded by `uploader` and
/// approved with `grants`; `edit` changes the manifest text further.
async fn install_copy(
    app: &TestApp,
    uploader: &str,
    id: &str,
    edit: impl Fn(String) -> String,
    grants: Value,
) -> Answer {
    let dir = plugins_dir().join("fixtures/linkage-probe");
    let manifest = std::fs::read_to_string(dir.join("plugin.toml"))
        .unwrap()
        .replace("id = \"linkage-probe\"", &format!("id = \"{id}\""));
    let wasm = std::fs::read(dir.join("plugin.wasm")).unwrap();
    let uploaded = app.client.upload(Some(uploader), &edit(manifest), &wasm).await;
    assert_eq!(uploaded.status, 201, "upload {id}: {:#}", uploaded.body);
    let admin = app.admin_token().await;
    let approval = json!({"sha256": uploaded.body["sha256"], "grants": grants});
    let approved = app
        .client
        .post_json(&format!("/api/v1/admin/plugins/{id}/versions/0.1.0/approve"), Some(&admin), &approval)
        .await;
    assert_eq!(approved.status, 200, "approve {id}: {:#}", approved.body);
    approved
}

fn records_grant(scope: &[&str]) -> Value {
    json!([{"capability": "records", "scope": scope}])
}

async fn data_count(app: &TestApp, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_one(app.state.store.data_pool()).await.unwrap();
    row.try_get(0).unwrap()
}

async fn a_narrow_grant_reads_only_the_callers_row_and_the_granted_columns(backend: Backend) {
    let app = spawn(backend).await;
    let (aygul, aygul_id) = app.resident("aygul").await;
    let (merdan, merdan_id) = app.resident("merdan").await;
    let aygul_row = profile(
        &app,
        &aygul,
        json!({"name": "Aygül Tursun", "phone": "13800138000", "id_number": ID_AYGUL, "area": "east-gate"}),
    )
    .await;
    let merdan_row = profile(
        &app,
        &merdan,
        json!({"name": "Merdan Ablet", "phone": "13900139000", "id_number": ID_MERDAN, "area": "east-gate"}),
    )
    .await;
    // A police office's own service (no consent needed), granted less than it asks.
    let developer = app.staff("reader-dev", "police-central").await;
    install_copy(
        &app,
        &developer,
        "profile-reader",
        |m| m,
        records_grant(&["resident_profile:read:name", "resident_profile:read:phone", "resident_profile:rows:caller"]),
    )
    .await;
    let select = |token: String, body: Value| {
        let app = &app;
        async move { call(app, "profile-reader", "/records/select", Some(&token), body).await }
    };

    // The caller's row, the columns asked for.
    let answer = select(aygul.clone(), json!({"table": "resident_profile", "columns": ["name", "phone"]})).await;
    assert_eq!(answer.status, 200, "{:#}", answer.body);
    assert_eq!(answer.body, json!({"columns": ["name", "phone"], "rows": [["Aygül Tursun", "13800138000"]]}));
    // Every readable column: the host's own three and the granted two, nothing else.
    let everything = select(aygul.clone(), json!({"table": "resident_profile"})).await;
    assert_eq!(everything.body["columns"], json!(["id", "resident", "area", "name", "phone"]));
    assert_eq!(rows(&everything), json!([[aygul_row, aygul_id, "east-gate", "Aygül Tursun", "13800138000"]]));

    // What is not granted is refused by name, as a column and as a filter.
    let id_number = select(aygul.clone(), json!({"table": "resident_profile", "columns": ["name", "id_number"]})).await;
    assert!(assert_refused(&id_number, 403, "access-denied").contains("id_number"));
    let by_id_number = select(
        aygul.clone(),
        json!({"table": "resident_profile", "columns": ["name"], "where": [{"column": "id_number", "eq": ID_MERDAN}]}),
    )
    .await;
    assert!(assert_refused(&by_id_number, 403, "access-denied").contains("id_number"));
    let gender = select(aygul.clone(), json!({"table": "resident_profile", "columns": ["gender"]})).await;
    assert!(assert_refused(&gender, 403, "access-denied").contains("gender"));
    let household = select(aygul.clone(), json!({"table": "household", "columns": ["relation"]})).await;
    assert!(assert_refused(&household, 403, "access-denied").contains("household"));
    let insert = call(
        &app,
        "profile-reader",
        "/records/insert",
        Some(&aygul),
        json!({"table": "resident_profile", "values": {"name": "x"}}),
    )
    .await;
    assert!(assert_refused(&insert, 403, "access-denied").contains("insert"));
    let nonsense = select(aygul.clone(), json!({"table": "resident_profile", "columns": ["shoe_size"]})).await;
    assert!(assert_refused(&nonsense, 422, "invalid").contains("shoe_size"));

    // Merdan's row does not exist for Aygül, however she asks.
    for condition in [
        json!({"column": "resident", "eq": merdan_id}),
        json!({"column": "id", "eq": merdan_row}),
        json!({"column": "phone", "eq": "13900139000"}),
        json!({"column": "name", "eq": "Merdan Ablet"}),
    ] {
        let answer = select(
            aygul.clone(),
            json!({"table": "resident_profile", "columns": ["name", "phone"], "where": [condition]}),
        )
        .await;
        assert_eq!(rows(&answer), json!([]), "{condition}");
    }
    // Nor for a service that may update phones: not found, and unchanged.
    let update = call(
        &app,
        "linkage-probe",
        "/records/update",
        Some(&aygul),
        json!({"table": "resident_profile", "set": {"phone": "110"}, "where": [{"column": "id", "eq": merdan_row}]}),
    )
    .await;
    assert_refused(&update, 404, "not-found");
    // Anonymous callers have no row at all.
    let anonymous = call(&app, "profile-reader", "/records/select", None, json!({"table": "resident_profile"})).await;
    assert_eq!(rows(&anonymous), json!([]));
    let merdans = app.client.get("/api/v1/me/profile", Some(&merdan)).await;
    assert_eq!(merdans.body["profile"]["phone"], "13900139000");

    // Aygül's log has exactly the two reads that returned her data, with the
    // purpose in her language and the fields read.
    let log = access_log(&app, &aygul, "en").await;
    assert_eq!(log.len(), 2, "{log:#?}");
    for entry in &log {
        assert_eq!(entry["service"], "profile-reader");
        assert_eq!(entry["service_version"], "0.1.0");
        assert_eq!(entry["via"], "plugin");
        assert_eq!(entry["table"], "resident_profile");
        assert_eq!(entry["fields"], json!(["name", "phone"]));
        assert_eq!(entry["purpose"], "Test probe: read the caller's profile");
        assert_eq!(entry["unit"], Value::Null);
    }
    assert_eq!(access_log(&app, &aygul, "zh-CN").await[0]["purpose"], "测试探针：读取调用者的档案");
    assert_eq!(access_log(&app, &aygul, "ug").await[0]["purpose"], "سىناق زوندى: چاقىرغۇچىنىڭ ئارخىپىنى ئوقۇش");
    assert_eq!(access_log(&app, &aygul, "fr").await[0]["purpose"], "测试探针：读取调用者的档案", "Chinese by default");
    // Reading her own profile is not someone reading her data.
    app.client.get("/api/v1/me/profile", Some(&aygul)).await;
    assert_eq!(access_log(&app, &aygul, "en").await.len(), 2);
    assert_eq!(access_log(&app, &merdan, "en").await, Vec::<Value>::new(), "nobody read Merdan's data");
    app.client.get("/api/v1/me/access-log", None).await.assert_problem(401, "unauthorized");
    app.client.get("/api/v1/me/access-log", Some(&developer)).await.assert_problem(403, "forbidden");
}

async fn a_unit_scope_reaches_only_the_areas_the_unit_serves(backend: Backend) {
    let app = spawn(backend).await;
    let east = app.staff("east-clerk", "community-east").await;
    let west = app.staff("west-clerk", "community-west").await;
    let central = app.staff("central-officer", "police-central").await;
    let (resident, _) = app.resident("bystander").await;
    let insert = |token: String, values: Value| {
        let app = &app;
        async move {
            call(
                app,
                "linkage-probe",
                "/records/insert",
                Some(&token),
                json!({"table": "community_feedback", "values": values}),
            )
            .await
        }
    };
    let feedback = |area: &str| json!({"topic": "lights", "text": format!("street lights in {area}"), "area": area});
    let mut ids = Vec::new();
    for (token, area) in [(&east, "east-gate"), (&east, "riverside"), (&west, "west-market"), (&west, "orchard")] {
        let answer = insert(token.clone(), feedback(area)).await;
        assert_eq!(answer.status, 200, "{area}: {:#}", answer.body);
        ids.push(answer.body["id"].as_i64().unwrap());
    }

    // Writing outside the unit's areas, without an area, or as nobody's staff.
    let outside = insert(east.clone(), feedback("west-market")).await;
    assert!(assert_refused(&outside, 403, "access-denied").contains("community-east"));
    assert_refused(&insert(west.clone(), feedback("east-gate")).await, 403, "access-denied");
    assert_refused(&insert(west.clone(), feedback("poplar-village")).await, 403, "access-denied");
    let no_area = insert(east.clone(), json!({"topic": "lights", "text": "somewhere"})).await;
    assert!(assert_refused(&no_area, 422, "invalid").contains("area"));
    assert_refused(&insert(resident.clone(), feedback("east-gate")).await, 403, "access-denied");
    let update = call(
        &app,
        "linkage-probe",
        "/records/update",
        Some(&east),
        json!({"table": "community_feedback", "set": {"text": "fixed"}, "where": [{"column": "id", "eq": ids[0]}]}),
    )
    .await;
    assert!(assert_refused(&update, 403, "access-denied").contains("update"));
    assert_eq!(data_count(&app, "r_community_feedback").await, 4, "no refused write stored anything");

    // Each unit reads its own areas' rows only; a unit serving all reads all.
    let seen = |token: String, conditions: Value| {
        let app = &app;
        async move {
            let answer = call(
                app,
                "linkage-probe",
                "/records/select",
                Some(&token),
                json!({"table": "community_feedback", "columns": ["id", "area"], "where": conditions}),
            )
            .await;
            let mut found: Vec<(i64, String)> = rows(&answer)
                .as_array()
                .unwrap()
                .iter()
                .map(|r| (r[0].as_i64().unwrap(), r[1].as_str().unwrap().to_owned()))
                .collect();
            found.sort();
            found
        }
    };
    let pair = |i: usize, area: &str| (ids[i], area.to_owned());
    assert_eq!(seen(east.clone(), json!([])).await, [pair(0, "east-gate"), pair(1, "riverside")]);
    assert_eq!(seen(west.clone(), json!([])).await, [pair(2, "west-market"), pair(3, "orchard")]);
    assert_eq!(
        seen(central.clone(), json!([])).await,
        [pair(0, "east-gate"), pair(1, "riverside"), pair(2, "west-market"), pair(3, "orchard")]
    );
    assert_eq!(seen(resident.clone(), json!([])).await, [], "a resident has no unit");
    assert_eq!(seen(east.clone(), json!([{"column": "area", "eq": "west-market"}])).await, []);
    assert_eq!(seen(east.clone(), json!([{"column": "id", "eq": ids[2]}])).await, []);
    assert_eq!(seen(west.clone(), json!([{"column": "id", "eq": ids[2]}])).await, [pair(2, "west-market")]);

    // When an admin moves an area to another unit, the scope follows.
    let admin = app.admin_token().await;
    let moved = app
        .client
        .send(
            "PUT",
            "/api/v1/admin/units/community-east/areas",
            Some(&admin),
            &[("content-type", "application/json")],
            Some(serde_json::to_vec(&json!({"areas": ["east-gate", "riverside", "orchard"]})).unwrap()),
        )
        .await;
    assert_eq!(moved.status, 200, "{:#}", moved.body);
    assert_eq!(seen(east.clone(), json!([])).await, [pair(0, "east-gate"), pair(1, "riverside"), pair(3, "orchard")]);
    // Community feedback is not personal: nobody's access log grew.
    let log = app.client.get("/api/v1/me/access-log", Some(&resident)).await;
    assert_eq!(log.body, json!([]));
}

async fn id_numbers_are_sealed_found_by_exact_match_and_masked_for_staff(backend: Backend) {
    let app = spawn(backend).await;
    let (aygul, aygul_id) = app.resident("aygul").await;
    let row = profile(
        &app,
        &aygul,
        json!({"name": "Aygül Tursun", "id_number": ID_AYGUL, "phone": "13800138000", "area": "riverside"}),
    )
    .await;

    // Not in clear at rest: sealed, with a blind index that is not the value either.
    let stored = sqlx::query("SELECT id_number, id_number__index FROM r_resident_profile")
        .fetch_one(app.state.store.data_pool())
        .await
        .unwrap();
    let (sealed, index): (String, String) = (stored.try_get(0).unwrap(), stored.try_get(1).unwrap());
    assert!(sealed.starts_with("v1.") && !sealed.contains(ID_AYGUL), "{sealed}");
    assert!(!index.contains(ID_AYGUL) && !index.contains("1101051949"), "{index}");
    if backend == Backend::Sqlite {
        for file in std::fs::read_dir(&app.config.data_dir).unwrap() {
            let path = file.unwrap().path();
            if path.is_file() {
                let bytes = std::fs::read(&path).unwrap();
                assert!(
                    !bytes.windows(ID_AYGUL.len()).any(|w| w == ID_AYGUL.as_bytes()),
                    "{} holds it",
                    path.display()
                );
            }
        }
    }
    // Its owner reads it in clear.
    assert_eq!(app.client.get("/api/v1/me/profile", Some(&aygul)).await.body["profile"]["id_number"], ID_AYGUL);

    // A service granted the column finds the row by exact match only.
    let select = |conditions: Value| {
        let (app, aygul) = (&app, &aygul);
        async move {
            call(
                app,
                "linkage-probe",
                "/records/select",
                Some(aygul),
                json!({"table": "resident_profile", "columns": ["id", "id_number"], "where": conditions}),
            )
            .await
        }
    };
    assert_eq!(rows(&select(json!([{"column": "id_number", "eq": ID_AYGUL}])).await), json!([[row, ID_AYGUL]]));
    assert_eq!(rows(&select(json!([{"column": "id_number", "eq": ID_UNUSED}])).await), json!([]));
    assert_eq!(rows(&select(json!([{"column": "id_number", "eq": &ID_AYGUL[..17]}])).await), json!([]));
    let number = select(json!([{"column": "id_number", "eq": 110105}])).await;
    assert!(assert_refused(&number, 422, "invalid").contains("exactly"));

    // Staff: masked in lists; in full only where the unit's grant names it and it is asked for.
    let police = app.staff("riverside-officer", "police-east-community").await;
    let community = app.staff("riverside-clerk", "community-east").await;
    let list = |token: String, query: &'static str| {
        let app = &app;
        async move {
            let answer = app.client.get(&format!("/api/v1/staff/records/resident_profile{query}"), Some(&token)).await;
            assert_eq!(answer.status, 200, "{query}: {:#}", answer.body);
            let rows = answer.body["rows"].as_array().unwrap().clone();
            assert_eq!(rows.len(), 1, "{query}: {rows:#?}");
            rows[0].clone()
        }
    };
    let masked = list(police.clone(), "").await;
    assert_eq!(masked["id_number"], "1101**********002X");
    assert_eq!(masked["name"], "Aygül Tursun");
    assert_eq!(masked["resident"], aygul_id);
    assert_eq!(masked["id"], row);
    assert_eq!(list(police.clone(), "?reveal=id_number").await["id_number"], ID_AYGUL);
    let found = list(police.clone(), "?id_number=11010519491231002X").await;
    assert_eq!(found["id_number"], "1101**********002X", "found by exact match, still masked");
    // A unit whose grant lacks the column does not see it at all, not even masked
    // (its first and last digits with a date of birth narrow it to a handful).
    let clerk = list(community.clone(), "").await;
    assert_eq!(clerk.get("id_number"), None, "{clerk:#}");
    assert_eq!(clerk["name"], "Aygül Tursun");
    assert_eq!(list(community.clone(), "?reveal=id_number").await.get("id_number"), None);
    // A unit not granted the column cannot search by it either: an exact
    // match on a full ID number would tell who holds it.
    let search =
        app.client.get(&format!("/api/v1/staff/records/resident_profile?id_number={ID_AYGUL}"), Some(&community)).await;
    assert!(search.assert_problem(403, "forbidden").contains("id_number"));
    assert_eq!(
        app.client.get("/api/v1/staff/records/resident_profile?limit=500", Some(&police)).await.problem_fields(),
        ["limit"]
    );

    // Every read is in Aygül's log, newest first, saying which were masked.
    let log = access_log(&app, &aygul, "en").await;
    let seen: Vec<(&str, &str, Value)> = log
        .iter()
        .map(|e| (e["via"].as_str().unwrap(), e["unit"].as_str().unwrap_or("-"), e["fields"].clone()))
        .collect();
    let full = json!(["name", "id_number", "gender", "date_of_birth", "phone", "current_address"]);
    let with_masked = json!(["name", "id_number (masked)", "gender", "date_of_birth", "phone", "current_address"]);
    let without = json!(["name", "gender", "date_of_birth", "phone", "current_address"]);
    assert_eq!(
        seen,
        [
            ("staff-console", "community-east", without.clone()),
            ("staff-console", "community-east", without),
            // The search by the full number is a read of it too.
            (
                "staff-console",
                "police-east-community",
                json!([
                    "name",
                    "id_number (masked)",
                    "gender",
                    "date_of_birth",
                    "phone",
                    "current_address",
                    "id_number (filter)"
                ])
            ),
            ("staff-console", "police-east-community", full),
            ("staff-console", "police-east-community", with_masked),
            ("plugin", "-", json!(["id_number"])),
        ]
    );
    assert_eq!(log[0]["purpose"], "staff console of community-east");
    assert_eq!(log[0]["unit_name"].as_str().map(str::is_empty), Some(false));
    assert_eq!(log[0]["service"], Value::Null);
    assert_eq!(log[5]["service"], "linkage-probe");
}

async fn an_admin_hides_an_access_log_entry_until_a_date_on_the_audit_trail(backend: Backend) {
    let app = spawn(backend).await;
    let admin = app.admin_token().await;
    let (aygul, aygul_id) = app.resident("aygul").await;
    profile(&app, &aygul, json!({"name": "Aygül Tursun", "area": "east-gate"})).await;
    let police = app.staff("investigator", "police-east-community").await;
    let listed = app.client.get("/api/v1/staff/records/resident_profile", Some(&police)).await;
    assert_eq!(listed.status, 200, "{:#}", listed.body);
    let read = call(
        &app,
        "linkage-probe",
        "/records/select",
        Some(&aygul),
        json!({"table": "resident_profile", "columns": ["name"]}),
    )
    .await;
    assert_eq!(rows(&read), json!([["Aygül Tursun"]]));
    assert_eq!(access_log(&app, &aygul, "en").await.len(), 2);

    let admin_log = |resident: String| {
        let (app, admin) = (&app, &admin);
        async move {
            let answer = app.client.get(&format!("/api/v1/admin/access-log?resident={resident}"), Some(admin)).await;
            assert_eq!(answer.status, 200, "{:#}", answer.body);
            answer.body.as_array().unwrap().clone()
        }
    };
    let entries = admin_log(aygul_id.clone()).await;
    assert_eq!(entries.len(), 2);
    let staff_read = entries.iter().find(|e| e["via"] == "staff-console").unwrap().clone();
    let id = staff_read["id"].as_i64().unwrap();
    assert_eq!(staff_read["resident"], aygul_id);
    assert_eq!(staff_read["unit"], "police-east-community");
    assert_eq!(staff_read["hidden_until"], Value::Null);
    let year: i32 = staff_read["at"].as_str().unwrap()[..4].parse().unwrap();
    let hide_path = format!("/api/v1/admin/access-log/{id}/hide");
    let hide = |token: String, path: String, body: Value| {
        let app = &app;
        async move { app.client.post_json(&path, Some(&token), &body).await }
    };

    // Refused: a past date, a short reason, a far date, no date, an unknown entry, not an admin.
    let past = hide(
        admin.clone(),
        hide_path.clone(),
        json!({"until": format!("{}-01-01T00:00:00Z", year - 1), "reason": "x"}),
    )
    .await;
    assert_eq!(past.problem_fields(), ["until", "reason"]);
    let far = json!({"until": format!("{}-01-01T00:00:00Z", year + 3), "reason": "case 2026-117"});
    assert_eq!(hide(admin.clone(), hide_path.clone(), far).await.problem_fields(), ["until"]);
    let garbled = json!({"until": "next tuesday", "reason": "case 2026-117"});
    assert_eq!(hide(admin.clone(), hide_path.clone(), garbled).await.problem_fields(), ["until"]);
    let until = format!("{}-01-15T08:30:00+08:00", year + 1);
    let good = json!({"until": until, "reason": "  case 2026-117  "});
    hide(admin.clone(), "/api/v1/admin/access-log/999999/hide".into(), good.clone())
        .await
        .assert_problem(404, "not-found");
    hide(police.clone(), hide_path.clone(), good.clone()).await.assert_problem(403, "forbidden");
    hide(aygul.clone(), hide_path.clone(), good.clone()).await.assert_problem(403, "forbidden");
    app.client
        .get(&format!("/api/v1/admin/access-log?resident={aygul_id}"), Some(&police))
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(app.client.get("/api/v1/admin/access-log", Some(&admin)).await.status, 422, "whose log?");
    // ... and changed nothing.
    assert!(admin_log(aygul_id.clone()).await.iter().all(|e| e["hidden_until"].is_null()));
    assert_eq!(access_log(&app, &aygul, "en").await.len(), 2);
    let audit = app.client.get("/api/v1/admin/audit?action=access-log.hide", Some(&admin)).await;
    assert_eq!(audit.body, json!([]));

    // Hidden: gone from the resident's list, kept for admins with the date and reason.
    let hidden = hide(admin.clone(), hide_path.clone(), good).await;
    assert_eq!(hidden.status, 200, "{:#}", hidden.body);
    let stored_until = format!("{}-01-15T00:30:00.000Z", year + 1);
    assert_eq!(hidden.body["hidden_until"], stored_until);
    assert_eq!(hidden.body["hidden_reason"], "case 2026-117");
    assert_eq!(hidden.body["id"], id);
    let visible = access_log(&app, &aygul, "en").await;
    assert_eq!(visible.len(), 1);
    assert_eq!(visible[0]["via"], "plugin", "only the entry that was not hidden");
    let entries = admin_log(aygul_id.clone()).await;
    assert_eq!(entries.len(), 2);
    let again = entries.iter().find(|e| e["id"] == id).unwrap();
    assert_eq!(again["hidden_until"], stored_until);
    assert_eq!(again["hidden_reason"], "case 2026-117");
    assert!(entries.iter().filter(|e| e["id"] != id).all(|e| e["hidden_until"].is_null()));

    // The act is on the audit trail, once.
    let audit = app.client.get("/api/v1/admin/audit?action=access-log.hide", Some(&admin)).await;
    let audit = audit.body.as_array().unwrap();
    assert_eq!(audit.len(), 1, "{audit:#?}");
    assert_eq!(audit[0]["target"], format!("access-log:{id}"));
    assert_eq!(audit[0]["details"], json!({"until": stored_until, "reason": "case 2026-117"}));
    assert_eq!(app.client.get("/api/v1/admin/audit/verify", Some(&admin)).await.body["ok"], true);
}

async fn a_partner_service_reads_personal_data_only_with_consent(backend: Backend) {
    let app = spawn(backend).await;
    let (aygul, _) = app.resident("aygul").await;
    let (merdan, merdan_id) = app.resident("merdan").await;
    let (newcomer, _) = app.resident("newcomer").await;
    profile(&app, &aygul, json!({"name": "Aygül Tursun", "area": "east-gate"})).await;
    profile(&app, &merdan, json!({"name": "Merdan Ablet", "area": "orchard"})).await;
    let gas = app.staff("gas-dev", "partner-gas").await;
    install_copy(
        &app,
        &gas,
        "gas-probe",
        |m| m,
        records_grant(&["resident_profile:read:name", "resident_profile:rows:caller"]),
    )
    .await;
    let read = |token: String| {
        let app = &app;
        async move {
            call(
                app,
                "gas-probe",
                "/records/select",
                Some(&token),
                json!({"table": "resident_profile", "columns": ["name"]}),
            )
            .await
        }
    };

    let refused = read(aygul.clone()).await;
    assert!(assert_refused(&refused, 428, "consent-required").contains("gas-probe"));
    assert_eq!(rows(&read(newcomer.clone()).await), json!([]), "no profile, nothing to consent to");
    // The platform's own services read by their grant alone.
    let first_party = call(
        &app,
        "linkage-probe",
        "/records/select",
        Some(&aygul),
        json!({"table": "resident_profile", "columns": ["name"]}),
    )
    .await;
    assert_eq!(rows(&first_party), json!([["Aygül Tursun"]]));

    // Consenting, once.
    let consent = |token: String, service: &str| {
        let (app, body) = (&app, json!({"service": service}));
        async move { app.client.post_json("/api/v1/me/consents", Some(&token), &body).await }
    };
    let given = consent(aygul.clone(), "gas-probe").await;
    assert_eq!(given.status, 201, "{:#}", given.body);
    assert_eq!(given.body[0]["service"], "gas-probe");
    assert_eq!(given.body.as_array().unwrap().len(), 1);
    let twice = consent(aygul.clone(), "gas-probe").await;
    assert_eq!(twice.status, 200);
    assert_eq!(twice.body, given.body, "giving it twice changes nothing");
    consent(aygul.clone(), "no-such-service").await.assert_problem(404, "not-found");
    assert_eq!(app.client.get("/api/v1/me/consents", Some(&aygul)).await.body, given.body);
    assert_eq!(app.client.get("/api/v1/me/consents", Some(&merdan)).await.body, json!([]));
    app.client.get("/api/v1/me/consents", Some(&gas)).await.assert_problem(403, "forbidden");

    assert_eq!(rows(&read(aygul.clone()).await), json!([["Aygül Tursun"]]));
    assert_refused(&read(merdan.clone()).await, 428, "consent-required");

    // Withdrawn: refused again.
    let withdraw = |token: String| {
        let app = &app;
        async move { app.client.send("DELETE", "/api/v1/me/consents/gas-probe", Some(&token), &[], None).await }
    };
    assert_eq!(withdraw(aygul.clone()).await.status, 204);
    withdraw(aygul.clone()).await.assert_problem(404, "not-found");
    withdraw(merdan.clone()).await.assert_problem(404, "not-found");
    assert_refused(&read(aygul.clone()).await, 428, "consent-required");
    assert_eq!(app.client.get("/api/v1/me/consents", Some(&aygul)).await.body, json!([]));

    // Her log: the first-party read and the one consented read, nothing refused.
    let log = access_log(&app, &aygul, "en").await;
    let services: Vec<&str> = log.iter().map(|e| e["service"].as_str().unwrap()).collect();
    assert_eq!(services, ["gas-probe", "linkage-probe"]);
    assert_eq!(access_log(&app, &merdan, "en").await, Vec::<Value>::new());

    // A partner service over a unit's rows leaves out who did not consent.
    install_copy(
        &app,
        &gas,
        "gas-census",
        |m| m.replacen("scope = \"caller\"", "scope = \"unit\"", 1),
        records_grant(&["resident_profile:read:name", "resident_profile:rows:unit"]),
    )
    .await;
    consent(merdan.clone(), "gas-census").await;
    let census = call(
        &app,
        "gas-census",
        "/records/select",
        Some(&gas),
        json!({"table": "resident_profile", "columns": ["resident", "name"]}),
    )
    .await;
    assert_eq!(rows(&census), json!([[merdan_id, "Merdan Ablet"]]), "Aygül did not consent to it");
    assert_eq!(access_log(&app, &aygul, "en").await.len(), 2, "a row left out was not read");
    assert_eq!(access_log(&app, &merdan, "en").await[0]["service"], "gas-census");
}

async fn residents_fill_in_and_correct_their_profile_with_provenance(backend: Backend) {
    let app = spawn(backend).await;
    let (aygul, aygul_id) = app.resident("aygul").await;
    const PROFILE: &str = "/api/v1/me/profile";
    let empty = app.client.get(PROFILE, Some(&aygul)).await;
    assert_eq!(empty.status, 200);
    assert_eq!(empty.body, json!({"profile": null, "provenance": []}));

    // Every fault at once, and nothing stored.
    let bad = json!({"nickname": "Ayi", "id_number": "110105194912310021", "area": "atlantis", "name": "Aygül"});
    assert_eq!(patch_json(&app, PROFILE, &aygul, &bad).await.problem_fields(), ["area", "id_number", "nickname"]);
    assert_eq!(patch_json(&app, PROFILE, &aygul, &json!({})).await.problem_fields(), ["(body)"]);
    assert_eq!(patch_json(&app, PROFILE, &aygul, &json!({"name": "x".repeat(201)})).await.problem_fields(), ["name"]);
    assert_eq!(app.client.get(PROFILE, Some(&aygul)).await.body, empty.body);
    assert_eq!(data_count(&app, "r_resident_profile").await, 0);

    // The first time, every column.
    let first = json!({
        "name": "Aygül Tursun", "id_number": ID_AYGUL, "gender": "female", "ethnicity": "Uyghur",
        "date_of_birth": "1949-12-31", "phone": "13800138000", "registered_address": "1 Old Road",
        "current_address": "  12 Jiefang South Road  ", "area": "east-gate"
    });
    let created = patch_json(&app, PROFILE, &aygul, &first).await;
    assert_eq!(created.status, 200, "{:#}", created.body);
    let profile = &created.body["profile"];
    assert_eq!(profile["id_number"], ID_AYGUL);
    assert_eq!(profile["current_address"], "12 Jiefang South Road", "trimmed");
    assert_eq!(profile["area"], "east-gate");
    assert_eq!(profile["resident"], Value::Null, "the owner is not shown as a field");
    let row = call(
        &app,
        "linkage-probe",
        "/records/select",
        Some(&aygul),
        json!({"table": "resident_profile", "columns": ["id"]}),
    )
    .await
    .body["rows"][0][0]
        .as_i64()
        .unwrap();
    let provenance = created.body["provenance"].as_array().unwrap();
    let columns: Vec<&str> = provenance.iter().map(|p| p["column"].as_str().unwrap()).collect();
    assert_eq!(
        columns,
        [
            "area",
            "current_address",
            "date_of_birth",
            "ethnicity",
            "gender",
            "id_number",
            "name",
            "phone",
            "registered_address",
            "resident"
        ]
    );
    for p in provenance {
        assert_eq!(p["actor"], aygul_id, "{p}");
        assert_eq!(p["plugin"], Value::Null);
        assert_eq!(p["unit"], Value::Null);
    }

    // Afterwards: contact details yes, identity facts no (and then nothing changes).
    let identity = json!({"phone": "13900000000", "id_number": ID_MERDAN, "gender": "male"});
    assert_eq!(patch_json(&app, PROFILE, &aygul, &identity).await.problem_fields(), ["gender", "id_number"]);
    let unchanged = app.client.get(PROFILE, Some(&aygul)).await;
    assert_eq!(unchanged.body["profile"], created.body["profile"]);
    let corrected =
        patch_json(&app, PROFILE, &aygul, &json!({"phone": "13900000000", "registered_address": null})).await;
    assert_eq!(corrected.status, 200, "{:#}", corrected.body);
    assert_eq!(corrected.body["profile"]["phone"], "13900000000");
    assert_eq!(corrected.body["profile"]["registered_address"], Value::Null);
    assert_eq!(corrected.body["profile"]["id_number"], ID_AYGUL);
    assert_eq!(data_count(&app, "r_resident_profile").await, 1, "corrected, not added");

    // A service writes her phone on her behalf: the field says which service and version.
    let update = call(
        &app,
        "linkage-probe",
        "/records/update",
        Some(&aygul),
        json!({"table": "resident_profile", "set": {"phone": "13700000000"}, "where": [{"column": "id", "eq": row}]}),
    )
    .await;
    assert_eq!(update.status, 200, "{:#}", update.body);
    assert_eq!(update.body, json!({"changed": 1}));
    let after = app.client.get(PROFILE, Some(&aygul)).await;
    assert_eq!(after.body["profile"]["phone"], "13700000000");
    let of = |column: &str| {
        after.body["provenance"].as_array().unwrap().iter().find(|p| p["column"] == column).unwrap().clone()
    };
    assert_eq!(of("phone")["plugin"], "linkage-probe");
    assert_eq!(of("phone")["plugin_version"], "0.1.0");
    assert_eq!(of("phone")["actor"], aygul_id);
    assert_eq!(of("name")["plugin"], Value::Null, "the other fields are still hers");
    // The service asks the same question and gets the same answer.
    let asked = call(
        &app,
        "linkage-probe",
        "/records/provenance",
        Some(&aygul),
        json!({"table": "resident_profile", "id": row, "columns": ["phone"]}),
    )
    .await;
    assert_eq!(asked.status, 200, "{:#}", asked.body);
    assert_eq!(asked.body, json!([of("phone")]));
    let hidden = call(
        &app,
        "linkage-probe",
        "/records/provenance",
        Some(&aygul),
        json!({"table": "resident_profile", "id": row, "columns": ["ethnicity"]}),
    )
    .await;
    assert_refused(&hidden, 403, "access-denied");
    // The service may not touch what it was not granted either.
    let gender = call(
        &app,
        "linkage-probe",
        "/records/update",
        Some(&aygul),
        json!({"table": "resident_profile", "set": {"gender": "male"}, "where": [{"column": "id", "eq": row}]}),
    )
    .await;
    assert!(assert_refused(&gender, 403, "access-denied").contains("gender"));
    let second = call(
        &app,
        "linkage-probe",
        "/records/insert",
        Some(&aygul),
        json!({"table": "resident_profile", "values": {"name": "Another Me"}}),
    )
    .await;
    assert_refused(&second, 409, "conflict");
    assert_eq!(data_count(&app, "r_resident_profile").await, 1);

    // Only residents have a profile.
    let clerk = app.staff("clerk", "community-east").await;
    app.client.get(PROFILE, Some(&clerk)).await.assert_problem(403, "forbidden");
    app.client.get(PROFILE, None).await.assert_problem(401, "unauthorized");
}

async fn staff_work_only_on_records_of_their_units_areas(backend: Backend) {
    let app = spawn(backend).await;
    let officer = app.staff("east-officer", "police-east-community").await;
    let central = app.staff("central-officer", "police-central").await;
    let water = app.staff("water-clerk", "partner-water").await;
    let mut residents = Vec::new();
    for (name, area) in [("aygul", "east-gate"), ("merdan", "west-market"), ("dilnur", "riverside")] {
        let (token, id) = app.resident(name).await;
        let row = profile(&app, &token, json!({"name": name, "phone": "13800138000", "area": area})).await;
        residents.push((token, id, row));
    }
    const PROFILES: &str = "/api/v1/staff/records/resident_profile";

    let listed = app.client.get(PROFILES, Some(&officer)).await;
    assert_eq!(listed.status, 200, "{:#}", listed.body);
    let mut names: Vec<&str> =
        listed.body["rows"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["aygul", "dilnur"]);
    let elsewhere = app.client.get(&format!("{PROFILES}?area=west-market"), Some(&officer)).await;
    assert_eq!(elsewhere.body["rows"], json!([]));
    let by_id = app.client.get(&format!("{PROFILES}?id={}", residents[1].2), Some(&officer)).await;
    assert_eq!(by_id.body["rows"], json!([]));
    assert_eq!(app.client.get(PROFILES, Some(&central)).await.body["rows"].as_array().unwrap().len(), 3);
    // Police read profiles; they do not edit them.
    let edit = patch_json(&app, &format!("{PROFILES}/{}", residents[0].2), &officer, &json!({"phone": "110"})).await;
    assert!(edit.assert_problem(403, "forbidden").contains("update"));

    // Floating-population register: police insert and correct in their areas.
    const REGISTER: &str = "/api/v1/staff/records/floating_population";
    let register = |token: String, resident: &str, area: &str| {
        let app = &app;
        let body = json!({"resident": resident, "arrival_date": "2026-03-01", "origin": "Kashgar", "area": area});
        async move { app.client.post_json(REGISTER, Some(&token), &body).await }
    };
    let east_row = register(officer.clone(), &residents[0].1, "east-gate").await;
    assert_eq!(east_row.status, 201, "{:#}", east_row.body);
    let east_row = east_row.body["id"].as_i64().unwrap();
    register(officer.clone(), &residents[1].1, "west-market").await.assert_problem(403, "forbidden");
    let west_row = register(central.clone(), &residents[1].1, "west-market").await;
    assert_eq!(west_row.status, 201, "{:#}", west_row.body);
    let west_row = west_row.body["id"].as_i64().unwrap();

    let fix = |row: i64, body: Value| {
        let (app, officer) = (&app, &officer);
        async move { patch_json(app, &format!("{REGISTER}/{row}"), officer, &body).await }
    };
    fix(west_row, json!({"origin": "Hotan"})).await.assert_problem(404, "not-found");
    fix(999_999, json!({"origin": "Hotan"})).await.assert_problem(404, "not-found");
    fix(east_row, json!({"area": "west-market"})).await.assert_problem(403, "forbidden");
    fix(east_row, json!({"no_such_column": "x"})).await.assert_problem(400, "bad-request");
    let fixed = fix(east_row, json!({"origin": "Aksu"})).await;
    assert_eq!(fixed.status, 200, "{:#}", fixed.body);
    assert_eq!(fixed.body, json!({"changed": 1}));

    // Who wrote what.
    let officer_id = app.client.get("/api/v1/auth/me", Some(&officer)).await.body["id"].clone();
    let provenance = app.client.get(&format!("{REGISTER}/{east_row}/provenance"), Some(&officer)).await;
    assert_eq!(provenance.status, 200, "{:#}", provenance.body);
    let origin = provenance.body.as_array().unwrap().iter().find(|p| p["column"] == "origin").unwrap().clone();
    assert_eq!(origin["unit"], "police-east-community");
    assert_eq!(origin["actor"], officer_id);
    assert_eq!(origin["plugin"], Value::Null);
    app.client.get(&format!("{REGISTER}/{west_row}/provenance"), Some(&officer)).await.assert_problem(404, "not-found");

    // The west row is as the central office wrote it.
    let west = app.client.get(&format!("{REGISTER}?id={west_row}"), Some(&central)).await;
    assert_eq!(west.body["rows"][0]["origin"], "Kashgar");
    assert_eq!(west.body["rows"][0]["area"], "west-market");

    // Units without grants, residents and unknown tables.
    app.client.get(PROFILES, Some(&water)).await.assert_problem(403, "forbidden");
    register(water.clone(), &residents[0].1, "east-gate").await.assert_problem(403, "forbidden");
    app.client.get(PROFILES, Some(&residents[0].0)).await.assert_problem(403, "forbidden");
    app.client.get(PROFILES, None).await.assert_problem(401, "unauthorized");
    app.client.get("/api/v1/staff/records/secrets", Some(&officer)).await.assert_problem(404, "not-found");
    assert_eq!(data_count(&app, "r_floating_population").await, 2);
}

/// The read happened even if the request then crashed: the access log keeps
/// it, while the request's writes are gone.
async fn a_read_stays_in_the_access_log_when_the_request_fails(backend: Backend) {
    let app = spawn(backend).await;
    let (token, _) = app.resident("reader-crash").await;
    let profile = json!({"name": "Merdan", "id_number": ID_MERDAN, "area": "riverside"});
    assert_eq!(patch_json(&app, "/api/v1/me/profile", &token, &profile).await.status, 200);
    let before = app.client.get("/api/v1/me/access-log", Some(&token)).await.body;
    assert_eq!(before.as_array().unwrap().len(), 0, "the resident's own reads are not logged");

    let crashed = call(&app, "linkage-probe", "/records/read-then-trap", Some(&token), json!({})).await;
    crashed.assert_problem(502, "plugin-failed");
    let entries = app.client.get("/api/v1/me/access-log", Some(&token)).await.body;
    assert_eq!(entries.as_array().unwrap().len(), 1, "{entries:#}");
    assert_eq!(entries[0]["service"], "linkage-probe");
    assert_eq!(entries[0]["fields"], json!(["name"]));
}

/// Filtering on a personal column tells its value as surely as selecting
/// it: a partner service that asks "whose phone starts with 138?" needs the
/// same consent, and leaves the same trace, as one that reads the phone.
async fn a_filter_on_a_personal_column_is_a_read(backend: Backend) {
    let app = spawn(backend).await;
    let (aygul, aygul_id) = app.resident("aygul").await;
    profile(&app, &aygul, json!({"name": "Aygül Tursun", "phone": "13800138000", "area": "east-gate"})).await;
    let gas = app.staff("gas-dev", "partner-gas").await;
    install_copy(
        &app,
        &gas,
        "gas-lookup",
        |m| m.replacen("scope = \"caller\"", "scope = \"unit\"", 1),
        records_grant(&["resident_profile:read:phone", "resident_profile:rows:unit"]),
    )
    .await;
    let body = json!({"table": "resident_profile", "columns": ["resident"], "where": [{"column": "phone", "eq": "13800138000"}]});
    assert_eq!(
        rows(&call(&app, "gas-lookup", "/records/select", Some(&gas), body.clone()).await),
        json!([]),
        "without consent the row does not exist for it"
    );
    assert_eq!(access_log(&app, &aygul, "en").await, Vec::<Value>::new());

    let consent = app.client.post_json("/api/v1/me/consents", Some(&aygul), &json!({"service": "gas-lookup"})).await;
    assert_eq!(consent.status, 201);
    assert_eq!(rows(&call(&app, "gas-lookup", "/records/select", Some(&gas), body.clone()).await), json!([[aygul_id]]));
    let log = access_log(&app, &aygul, "en").await;
    assert_eq!(log.len(), 1, "{log:#?}");
    assert_eq!(log[0]["fields"], json!(["phone (filter)"]));
    assert_eq!(log[0]["unit"], "partner-gas");
}

/// Hiding is "until a date": once it passes, the resident sees the entry.
/// (This test is about a date, so it waits for one: three seconds ahead,
/// polled with a bound.)
async fn a_hidden_entry_comes_back_on_its_date(backend: Backend) {
    let app = spawn(backend).await;
    let admin = app.admin_token().await;
    let (aygul, aygul_id) = app.resident("aygul").await;
    profile(&app, &aygul, json!({"name": "Aygül Tursun", "area": "east-gate"})).await;
    let read = json!({"table": "resident_profile", "columns": ["name"]});
    assert_eq!(
        rows(&call(&app, "linkage-probe", "/records/select", Some(&aygul), read).await),
        json!([["Aygül Tursun"]])
    );
    let entries = app.client.get(&format!("/api/v1/admin/access-log?resident={aygul_id}"), Some(&admin)).await.body;
    let id = entries[0]["id"].as_i64().unwrap();

    let until = onewindow::store::timestamp::format(time::OffsetDateTime::now_utc() + time::Duration::seconds(3));
    let hidden = app
        .client
        .post_json(
            &format!("/api/v1/admin/access-log/{id}/hide"),
            Some(&admin),
            &json!({"until": until, "reason": "case 2026-117"}),
        )
        .await;
    assert_eq!(hidden.status, 200, "{:#}", hidden.body);
    assert_eq!(access_log(&app, &aygul, "en").await.len(), 0, "hidden now");
    let started = std::time::Instant::now();
    while access_log(&app, &aygul, "en").await.is_empty() {
        assert!(started.elapsed() < Duration::from_secs(30), "the entry never came back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(onewindow::store::timestamp::now() >= until, "not before its date");
}

/// `plugin-info`: a partner's upload learns which unit owns it, so "staff of
/// my own unit" needs no hard-coded id; a first-party plugin has no owner.
async fn a_plugin_learns_its_service_id_and_owning_unit(backend: Backend) {
    let app = spawn(backend).await;
    let developer = app.staff("water-dev", "partner-water").await;
    install_copy(&app, &developer, "water-probe", |m| m, json!([])).await;
    let info = app.client.get(&service("water-probe", "/plugin-info"), None).await;
    assert_eq!(info.status, 200, "{:#}", info.body);
    assert_eq!(info.body, json!({"service": "water-probe", "owner": {"id": "partner-water", "kind": "partner"}}));
    let first_party = app.client.get(&service("linkage-probe", "/plugin-info"), None).await;
    assert_eq!(first_party.body, json!({"service": "linkage-probe", "owner": null}));

    // The owner's staff pass; another partner's staff and residents do not.
    let water = app.staff("water-clerk", "partner-water").await;
    let gas = app.staff("gas-clerk", "partner-gas").await;
    let (resident, _) = app.resident("aygul").await;
    let route = service("water-probe", "/owner-staff-only");
    assert_eq!(app.client.get(&route, Some(&water)).await.status, 200);
    let refused = app.client.get(&route, Some(&gas)).await;
    assert!(refused.assert_problem(403, "forbidden").contains("partner-water"));
    app.client.get(&route, Some(&resident)).await.assert_problem(403, "forbidden");
    app.client.get(&route, None).await.assert_problem(401, "unauthorized");
    // A first-party plugin has no owner: nobody is its owner's staff.
    let route = service("linkage-probe", "/owner-staff-only");
    app.client.get(&route, Some(&water)).await.assert_problem(403, "forbidden");
}
