//! Accounts, sign-in, tokens and roles.

use onewindow_tests::{Backend, TestApp, on_both_backends};
use serde_json::json;

on_both_backends!(
    a_resident_registers_signs_in_and_out,
    registration_rejects_bad_input_and_changes_nothing,
    sign_in_failures_do_not_say_which_part_was_wrong,
    bad_tokens_are_refused_even_where_anonymous_is_allowed,
    only_admins_create_staff_accounts,
    usernames_ignore_case,
    expired_tokens_stop_working,
    staff_list_only_their_own_unit,
    a_units_kind_is_fixed_once_it_has_staff,
    a_changed_or_reset_password_ends_the_other_sessions,
    guessing_a_password_is_slowed_down_before_any_hashing,
    a_bad_token_is_refused_on_routes_that_never_read_it,
    failed_sign_ins_are_counted_per_window_not_chained_each,
);

async fn failed_sign_ins_are_counted_per_window_not_chained_each(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let chained = |app: &TestApp, admin: String| {
        let client = app.client.clone();
        async move {
            let page = client.get("/api/v1/admin/audit?action=auth.sign-in-failed&limit=500", Some(&admin)).await;
            page.body.as_array().unwrap().len()
        }
    };
    let before = chained(&app, admin.clone()).await;
    // Five wrong passwords for one username (the throttle allows five), two for another.
    for (username, times) in [("victim", 5), ("other", 2)] {
        for attempt in 0..times {
            let guess = json!({"username": username, "password": format!("guess number {attempt}")});
            app.client.post_json("/api/v1/auth/sign-in", None, &guess).await.assert_problem(401, "unauthorized");
        }
    }
    // The trail chains one entry per username and window (one window each,
    // unless the run crossed a quarter hour), and the counts say how many.
    let counts = app.client.get("/api/v1/admin/sign-in-failures", Some(&admin)).await;
    assert_eq!(counts.status, 200, "{}", counts.body);
    let counts = counts.body.as_array().unwrap().clone();
    let total = |username: &str| -> i64 {
        counts.iter().filter(|c| c["username"] == username).map(|c| c["failures"].as_i64().unwrap()).sum()
    };
    assert_eq!((total("victim"), total("other")), (5, 2), "{counts:?}");
    let windows = counts.iter().filter(|c| c["username"] == "victim" || c["username"] == "other").count();
    assert!(windows == 2 || windows == 3, "{counts:?}");
    assert_eq!(chained(&app, admin.clone()).await, before + windows);
    // Admins only, and bad input is named.
    let (resident, _) = app.resident("curious").await;
    app.client.get("/api/v1/admin/sign-in-failures", Some(&resident)).await.assert_problem(403, "forbidden");
    let bad = app.client.get("/api/v1/admin/sign-in-failures?since=yesterday", Some(&admin)).await;
    assert_eq!(bad.problem_fields(), ["since"]);
    assert_eq!(
        app.client.get("/api/v1/admin/sign-in-failures?limit=0", Some(&admin)).await.problem_fields(),
        ["limit"]
    );
}

async fn guessing_a_password_is_slowed_down_before_any_hashing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let guess = |password: &str| json!({"username": "admin", "password": password});
    for attempt in 0..6 {
        let answer = app.client.post_json("/api/v1/auth/sign-in", None, &guess(&format!("guess {attempt}"))).await;
        answer.assert_problem(401, "unauthorized");
    }
    // Now even the right password waits: the answer says how long.
    let slowed = app.client.post_json("/api/v1/auth/sign-in", None, &guess(&app.admin_password)).await;
    slowed.assert_problem(429, "too-many-requests");
    let wait: u64 = slowed.header("retry-after").expect("a Retry-After").parse().unwrap();
    assert!((1..=12).contains(&wait), "{wait}");
    // Only the guessed username is slowed; the refused attempts were not hashed, so not audited either.
    let (resident, _) = app.resident("unaffected").await;
    assert_eq!(app.client.get("/api/v1/auth/me", Some(&resident)).await.status, 200);
}

async fn a_changed_or_reset_password_ends_the_other_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (phone, _) = app.resident("two-devices").await;
    let laptop = app.client.sign_in("two-devices", "resident password 1").await;
    let change = "/api/v1/auth/password";

    let wrong = json!({"current_password": "not it at all", "new_password": "short"});
    assert_eq!(
        app.client.post_json(change, Some(&phone), &wrong).await.problem_fields(),
        ["current_password", "new_password"]
    );
    let same = json!({"current_password": "resident password 1", "new_password": "resident password 1"});
    assert_eq!(app.client.post_json(change, Some(&phone), &same).await.problem_fields(), ["new_password"]);
    app.client.post_json(change, None, &same).await.assert_problem(401, "unauthorized");
    assert_eq!(app.client.get("/api/v1/auth/me", Some(&laptop)).await.status, 200, "nothing refused ended a session");

    let good = json!({"current_password": "resident password 1", "new_password": "a brand new passphrase"});
    assert_eq!(app.client.post_json(change, Some(&phone), &good).await.status, 204);
    assert_eq!(app.client.get("/api/v1/auth/me", Some(&phone)).await.status, 200, "this session stays");
    app.client.get("/api/v1/auth/me", Some(&laptop)).await.assert_problem(401, "unauthorized");
    let old = json!({"username": "two-devices", "password": "resident password 1"});
    app.client.post_json("/api/v1/auth/sign-in", None, &old).await.assert_problem(401, "unauthorized");
    app.client.sign_in("two-devices", "a brand new passphrase").await;

    // An admin resets a staff member's forgotten password: their sessions end.
    let admin = app.admin_token().await;
    let clerk = app.staff("forgetful", "partner-gas").await;
    let clerk_id = app.client.get("/api/v1/auth/me", Some(&clerk)).await.body["id"].as_str().unwrap().to_owned();
    let reset = format!("/api/v1/admin/accounts/{clerk_id}/password");
    app.client.post_json(&reset, Some(&clerk), &json!({})).await.assert_problem(403, "forbidden");
    assert_eq!(
        app.client.post_json(&reset, Some(&admin), &json!({"password": "x"})).await.problem_fields(),
        ["password"]
    );
    assert_eq!(app.client.get("/api/v1/auth/me", Some(&clerk)).await.status, 200, "a refused reset ends nothing");
    let answer = app.client.post_json(&reset, Some(&admin), &json!({})).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let generated = answer.body["generated_password"].as_str().unwrap().to_owned();
    app.client.get("/api/v1/auth/me", Some(&clerk)).await.assert_problem(401, "unauthorized");
    app.client.sign_in("forgetful", &generated).await;
    // Residents and admins change their own.
    let resident_id = app.client.get("/api/v1/auth/me", Some(&phone)).await.body["id"].as_str().unwrap().to_owned();
    let own = format!("/api/v1/admin/accounts/{resident_id}/password");
    app.client.post_json(&own, Some(&admin), &json!({})).await.assert_problem(409, "conflict");
    app.client
        .post_json("/api/v1/admin/accounts/no-such-account/password", Some(&admin), &json!({}))
        .await
        .assert_problem(404, "not-found");

    for (action, target) in [("account.password-change", &resident_id), ("account.password-reset", &clerk_id)] {
        let trail = app.client.get(&format!("/api/v1/admin/audit?action={action}"), Some(&admin)).await.body;
        let targets: Vec<&str> = trail.as_array().unwrap().iter().map(|e| e["target"].as_str().unwrap()).collect();
        assert_eq!(targets, [format!("account:{target}")], "{action}");
    }

    // Ended sessions do not pile up: the next sign-in clears them away.
    app.client.sign_in("forgetful", &generated).await;
    let dead: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE revoked_at IS NOT NULL")
        .fetch_one(app.state.store.pool())
        .await
        .unwrap();
    assert_eq!(dead, 0);
}

/// A unit's kind decides what its staff see: turning a partner with staff
/// into `police` would hand them every police queue at once.
async fn a_units_kind_is_fixed_once_it_has_staff(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let put = |kind: &str, name: &str| json!({"kind": kind, "name_zh": "自来水公司", "name_ug": "سۇ تەمىنلەش شىركىتى", "name_en": name});
    let send = |unit: &'static str, body: serde_json::Value| {
        let (client, admin) = (app.client.clone(), admin.clone());
        async move {
            let headers = [("content-type", "application/json")];
            let path = format!("/api/v1/admin/units/{unit}");
            client.send("PUT", &path, Some(&admin), &headers, Some(body.to_string().into())).await
        }
    };
    // No staff yet: the kind may still be corrected.
    assert_eq!(send("partner-water", put("police", "Water")).await.status, 200);
    assert_eq!(send("partner-water", put("partner", "Water")).await.status, 200);

    let clerk = app.staff("water-clerk-1", "partner-water").await;
    let refused = send("partner-water", put("police", "Water")).await;
    assert!(refused.assert_problem(409, "conflict").contains("1 staff account"), "{}", refused.body);
    let units = app.client.get("/api/v1/admin/units", Some(&admin)).await.body;
    let water = units.as_array().unwrap().iter().find(|u| u["id"] == "partner-water").unwrap().clone();
    assert_eq!(water["kind"], "partner", "nothing changed");
    app.client
        .get("/api/v1/services/residence-permit/applications", Some(&clerk))
        .await
        .assert_problem(403, "forbidden");
    // Names and contact still change; so does the kind of a unit without staff.
    assert_eq!(send("partner-water", put("partner", "Water Supply Co.")).await.status, 200);
    assert_eq!(send("nobody-here", put("partner", "x")).await.status, 404);
    let audit = app.client.get("/api/v1/admin/audit?action=unit.update", Some(&admin)).await.body;
    assert_eq!(audit.as_array().unwrap().len(), 3, "only the changes made are on the trail");
}

async fn staff_list_only_their_own_unit(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let every = app.client.get("/api/v1/admin/units", Some(&admin)).await;
    assert_eq!(every.status, 200, "{}", every.body);
    let every = every.body.as_array().unwrap().clone();
    assert!(every.len() > 2, "the admin sees every unit");

    for (username, unit) in [("officer-li", "police-central"), ("clerk", "partner-water")] {
        let staff = app.staff(username, unit).await;
        let own = app.client.get("/api/v1/admin/units", Some(&staff)).await;
        assert_eq!(own.status, 200, "{}", own.body);
        let expected: Vec<&serde_json::Value> = every.iter().filter(|u| u["id"] == unit).collect();
        assert_eq!(own.body.as_array().unwrap().iter().collect::<Vec<_>>(), expected, "{username} sees {unit} only");
        // Reading their own unit is all: creating units stays the admin's.
        let new =
            json!({"id": "police-north", "kind": "police", "name_zh": "北", "name_ug": "شىمال", "name_en": "North"});
        app.client.post_json("/api/v1/admin/units", Some(&staff), &new).await.assert_problem(403, "forbidden");
    }

    let (resident, _) = app.resident("aygul").await;
    app.client.get("/api/v1/admin/units", Some(&resident)).await.assert_problem(403, "forbidden");
    app.client.get("/api/v1/admin/units", None).await.assert_problem(401, "unauthorized");
}

async fn usernames_ignore_case(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let body = json!({"username": "Ayse.T", "password": "long enough pw", "display_name": "Ayşe"});
    let created = app.client.post_json("/api/v1/auth/register", None, &body).await;
    assert_eq!(created.body["username"], "ayse.t");
    app.client.sign_in("AYSE.t", "long enough pw").await;
    let twin = json!({"username": "AYSE.T", "password": "other long pw", "display_name": "Impostor"});
    app.client.post_json("/api/v1/auth/register", None, &twin).await.assert_problem(409, "conflict");
}

async fn expired_tokens_stop_working(backend: Backend) {
    let options = onewindow_tests::Options { session_ttl_hours: Some(0), ..Default::default() };
    let app = TestApp::spawn_with(backend, options).await;
    let (token, _) = app.resident("fleeting").await;
    let detail = app.client.get("/api/v1/auth/me", Some(&token)).await.assert_problem(401, "unauthorized");
    assert!(detail.contains("expired"), "{detail}");
}

async fn a_resident_registers_signs_in_and_out(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let registered = app
        .client
        .post_json(
            "/api/v1/auth/register",
            None,
            &json!({"username": "aygul", "password": "long enough pw", "display_name": " Aygül "}),
        )
        .await;
    assert_eq!(registered.status, 201);
    assert_eq!(registered.body["role"], "resident");
    assert_eq!(registered.body["display_name"], "Aygül");
    assert!(registered.body.get("password_hash").is_none(), "never echo secrets");

    let session = app
        .client
        .post_json("/api/v1/auth/sign-in", None, &json!({"username": "aygul", "password": "long enough pw"}))
        .await;
    assert_eq!(session.status, 200);
    let token = session.body["token"].as_str().unwrap();
    assert!(token.starts_with("ow_"));
    assert!(session.body["expires_at"].as_str().unwrap() > "2026");

    let me = app.client.get("/api/v1/auth/me", Some(token)).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["id"], registered.body["id"]);

    assert_eq!(app.client.post_empty("/api/v1/auth/sign-out", Some(token)).await.status, 204);
    app.client.get("/api/v1/auth/me", Some(token)).await.assert_problem(401, "unauthorized");
    // A second sign-in still works after signing out.
    let again = app.client.sign_in("aygul", "long enough pw").await;
    assert_eq!(app.client.get("/api/v1/auth/me", Some(&again)).await.status, 200);
}

async fn registration_rejects_bad_input_and_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let register = |body: serde_json::Value| {
        let client = app.client.clone();
        async move { client.post_json("/api/v1/auth/register", None, &body).await }
    };
    let weak = register(json!({"username": "x", "password": "short", "display_name": ""})).await;
    assert_eq!(weak.problem_fields(), ["username", "display_name", "password"]);
    let missing = register(json!({"username": "nobody"})).await;
    assert_eq!(missing.problem_fields(), ["password"]);
    let unknown =
        register(json!({"username": "nobody", "password": "long enough pw", "display_name": "N", "role": "admin"}))
            .await;
    assert_eq!(unknown.problem_fields(), ["role"], "unknown fields such as a self-chosen role are refused");
    app.client
        .post_raw("/api/v1/auth/register", None, "application/json", b"{not json")
        .await
        .assert_problem(400, "bad-request");
    app.client
        .post_raw("/api/v1/auth/register", None, "text/plain", b"hello")
        .await
        .assert_problem(415, "unsupported-media-type");

    // None of those created an account ("x" could not even be one).
    for username in ["nobody", "taken"] {
        let answer = app
            .client
            .post_json("/api/v1/auth/sign-in", None, &json!({"username": username, "password": "long enough pw"}))
            .await;
        answer.assert_problem(401, "unauthorized");
    }
    assert_eq!(
        register(json!({"username": "taken", "password": "long enough pw", "display_name": "T"})).await.status,
        201
    );
    let dup = register(json!({"username": "taken", "password": "another long pw", "display_name": "U"})).await;
    dup.assert_problem(409, "conflict");
    // The first owner's password still works: the duplicate changed nothing.
    app.client.sign_in("taken", "long enough pw").await;
}

async fn sign_in_failures_do_not_say_which_part_was_wrong(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.resident("known").await;
    let wrong_password = app
        .client
        .post_json("/api/v1/auth/sign-in", None, &json!({"username": "known", "password": "wrong password!"}))
        .await;
    let unknown_user = app
        .client
        .post_json("/api/v1/auth/sign-in", None, &json!({"username": "unknown", "password": "wrong password!"}))
        .await;
    let (a, b) = (wrong_password.assert_problem(401, "unauthorized"), unknown_user.assert_problem(401, "unauthorized"));
    assert_eq!(a, b);
    assert_eq!(wrong_password.header("www-authenticate"), Some("Bearer"));
    // A name that cannot be a username costs no hashing and no audit entry.
    let long = json!({"username": "x".repeat(10_000), "password": "whatever"});
    assert_eq!(app.client.post_json("/api/v1/auth/sign-in", None, &long).await.problem_fields(), ["username"]);
}

async fn bad_tokens_are_refused_even_where_anonymous_is_allowed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let list = "/api/v1/services/residence-permit/applications";
    // Anonymous reaches the plugin, which asks for a sign-in.
    app.client.get(list, None).await.assert_problem(401, "unauthorized");
    // A made-up token never reaches it.
    let detail = app.client.get(list, Some("ow_0000")).await.assert_problem(401, "unauthorized");
    assert!(detail.contains("invalid, expired or revoked"), "{detail}");
    let answer = app.client.send("GET", list, None, &[("authorization", "Basic YWRtaW46YWRtaW4=")], None).await;
    answer.assert_problem(401, "unauthorized");
}

async fn a_bad_token_is_refused_on_routes_that_never_read_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ended, _) = app.resident("tokenless").await;
    assert_eq!(app.client.post_empty("/api/v1/auth/sign-out", Some(&ended)).await.status, 204);
    let sign_in = serde_json::to_vec(&json!({"username": "tokenless", "password": "resident password 1"})).unwrap();
    for (method, path) in [
        ("GET", "/api/v1/healthz"),
        ("GET", "/api/openapi.json"),
        ("GET", "/api/v1/services"),
        ("GET", "/no/such/route"),
        ("POST", "/api/v1/auth/sign-in"),
    ] {
        for token in [ended.as_str(), "ow_made_up"] {
            let header = format!("Bearer {token}");
            let headers = [("authorization", header.as_str()), ("content-type", "application/json")];
            let answer = app.client.send(method, path, None, &headers, Some(sign_in.clone())).await;
            let detail = answer.assert_problem(401, "unauthorized");
            assert!(detail.contains("send no Authorization header"), "{method} {path}: {detail}");
        }
    }
    // Without the header the same routes serve anonymous callers.
    assert_eq!(app.client.get("/api/v1/healthz", None).await.status, 200);
    assert_eq!(app.client.get("/api/v1/services", None).await.status, 200);
    app.client.sign_in("tokenless", "resident password 1").await;
}

async fn only_admins_create_staff_accounts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let (resident, _) = app.resident("resident1").await;
    let body =
        json!({"username": "officer", "display_name": "Officer Li", "role": "staff", "unit_id": "police-central"});

    app.client.post_json("/api/v1/admin/accounts", None, &body).await.assert_problem(401, "unauthorized");
    app.client.post_json("/api/v1/admin/accounts", Some(&resident), &body).await.assert_problem(403, "forbidden");
    let staff_token = app.staff("clerk", "partner-water").await;
    app.client.post_json("/api/v1/admin/accounts", Some(&staff_token), &body).await.assert_problem(403, "forbidden");

    let bad_unit =
        json!({"username": "officer", "display_name": "Officer Li", "role": "staff", "unit_id": "police-mars"});
    assert_eq!(
        app.client.post_json("/api/v1/admin/accounts", Some(&admin), &bad_unit).await.problem_fields(),
        ["unit_id"]
    );
    let no_unit = json!({"username": "officer", "display_name": "Officer Li", "role": "staff"});
    assert_eq!(
        app.client.post_json("/api/v1/admin/accounts", Some(&admin), &no_unit).await.problem_fields(),
        ["unit_id"]
    );

    let created = app.client.post_json("/api/v1/admin/accounts", Some(&admin), &body).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["account"]["unit_id"], "police-central");
    assert_eq!(created.body["account"]["unit_kind"], "police");
    let password = created.body["generated_password"].as_str().expect("a generated password is shown once");
    let token = app.client.sign_in("officer", password).await;
    assert_eq!(app.client.get("/api/v1/auth/me", Some(&token)).await.body["role"], "staff");

    let units = app.client.get("/api/v1/admin/units", Some(&admin)).await;
    let units = units.body.as_array().unwrap();
    assert_eq!(units.iter().filter(|u| u["kind"] == "partner").count(), 9, "nine utility partner units are seeded");
    assert!(units.iter().any(|u| u["kind"] == "judicial"));
}
