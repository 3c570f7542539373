//! The sandbox's limits, with the `misbehaving` test plugin (deadline
//! 300 ms, 16 MiB of memory, 4 concurrent instances): each failure fails its
//! own request with a clear problem and the host keeps serving.

use std::time::{Duration, Instant};

use onewindow::registry::{Installer, Upload};
use onewindow_tests::{Backend, Options, TestApp, on_both_backends, plugins_dir};

const BASE: &str = "/api/v1/services/misbehaving";

on_both_backends!(
    an_endless_loop_times_out_while_other_requests_succeed,
    a_memory_hog_fails_cleanly,
    a_trap_after_a_write_leaves_no_row_behind,
    excess_concurrent_calls_get_503_with_retry_after,
    data_calls_outside_the_schema_are_refused,
    all_value_types_round_trip,
    plugins_see_the_caller_but_never_credentials,
    a_handled_conflict_keeps_the_other_writes,
    a_failure_answer_rolls_back_the_writes,
    oversized_requests_and_invalid_answers_are_stopped_at_the_host,
    a_plugins_answer_keeps_to_the_portals_rules,
    busy_plugins_cannot_take_the_whole_instance_pool,
    results_and_values_are_capped_in_bytes,
    like_and_null_ordering_agree_on_both_backends,
);

async fn like_and_null_ordering_agree_on_both_backends(backend: Backend) {
    let app = spawn(backend).await;
    for (body, weight) in [
        ("100%25 sure", Some(2)),
        ("100 percent", None),
        ("Stra%C3%9Fe", Some(1)),
        ("under_score", None),
        ("UNDERxscore", Some(3)),
    ] {
        let weight = weight.map(|w| format!("&weight={w}")).unwrap_or_default();
        assert_eq!(app.client.post_empty(&format!("{BASE}/notes?body={body}{weight}"), None).await.status, 201);
    }
    let search = |pattern: &'static str| {
        let app = &app;
        async move { app.client.get(&format!("{BASE}/search?like={pattern}"), None).await.body }
    };
    // `\` escapes a wildcard: `100\%%` is "100%" then anything.
    assert_eq!(search("100%5C%25%25").await, serde_json::json!(["100% sure"]));
    assert_eq!(search("under%5C_score").await, serde_json::json!(["under_score"]));
    assert_eq!(search("under_score").await, serde_json::json!(["under_score", "UNDERxscore"]));
    // ASCII letters match whatever their case.
    assert_eq!(search("%25SURE").await, serde_json::json!(["100% sure"]));
    // A pattern ending in a lone escape is the plugin's bug, on both backends alike.
    app.client.get(&format!("{BASE}/search?like=100%5C"), None).await.assert_problem(500, "internal");
    // Nulls sort first going up and last going down, on both backends.
    let ascending = app.client.get(&format!("{BASE}/by-weight"), None).await.body;
    assert_eq!(ascending, serde_json::json!(["100 percent", "under_score", "Straße", "100% sure", "UNDERxscore"]));
    let descending = app.client.get(&format!("{BASE}/by-weight?desc"), None).await.body;
    assert_eq!(descending, serde_json::json!(["UNDERxscore", "100% sure", "Straße", "100 percent", "under_score"]));
}

/// Installs a copy of the fixture as `id` with a long deadline (so no test
/// depends on how fast this machine builds an answer) and `concurrency`
/// instance slots.
async fn install_copy(app: &TestApp, id: &str, concurrency: u32) {
    let fixture = plugins_dir().join("fixtures/misbehaving");
    let manifest = std::fs::read_to_string(fixture.join("plugin.toml"))
        .unwrap()
        .replace("id = \"misbehaving\"", &format!("id = \"{id}\""))
        .replace("timeout-ms = 300", "timeout-ms = 10000")
        .replace("max-concurrency = 4", &format!("max-concurrency = {concurrency}"));
    let installer = Installer::new(app.state.store.clone(), app.state.runtime.clone());
    installer
        .install_and_activate(Upload::new(&manifest, &std::fs::read(fixture.join("plugin.wasm")).unwrap()), "test")
        .await
        .unwrap();
}

/// Waits until `done` holds, checking every few milliseconds (a failsafe
/// ends the test if it never does).
async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let give_up = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < give_up, "gave up waiting until {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn busy_plugins_cannot_take_the_whole_instance_pool(backend: Backend) {
    // The test host's pool has 32 slots; each hog may ask for all of them.
    let app = spawn(backend).await;
    install_copy(&app, "hog", 32).await;
    let runtime = app.state.runtime.clone();
    // Each hog call sleeps 9 s (without using the CPU), far longer than
    // sending 30 calls and one more takes.
    let calls: Vec<_> = (0..30)
        .map(|_| {
            let client = app.client.clone();
            tokio::spawn(async move { client.post_empty("/api/v1/services/hog/sleep?ms=9000", None).await })
        })
        .collect();
    // Every call is either admitted (holding a pool slot) or answered.
    wait_until("every hog call was admitted or refused", || {
        runtime.instances_in_use() + calls.iter().filter(|c| c.is_finished()).count() == 30
    })
    .await;
    let hog = runtime.get("hog").unwrap();
    assert_eq!(hog.in_use(), 25, "three quarters of the pool, and not the reserve");
    assert_eq!(runtime.instances_in_use(), 25);
    // Another plugin is served from the reserve while the hog loops.
    let quiet = app.client.get(&format!("{BASE}/noop"), None).await;
    assert_eq!(quiet.status, 204, "{}", quiet.body);
    assert_eq!(hog.in_use(), 25, "checked while the hog still held its slots");
    let mut refused = 0;
    for call in calls {
        let answer = call.await.unwrap();
        if answer.status == 503 {
            let detail = answer.assert_problem(503, "service-busy");
            assert!(detail.contains("retry shortly"), "{detail}");
            assert_eq!(answer.header("retry-after"), Some("1"));
            refused += 1;
        } else {
            assert_eq!(answer.status, 204, "{}", answer.body);
        }
    }
    assert_eq!(refused, 5);
    assert_eq!(runtime.instances_in_use(), 0, "every slot came back");
}

async fn results_and_values_are_capped_in_bytes(backend: Backend) {
    let app = spawn(backend).await;
    install_copy(&app, "big", 4).await;
    let big = "/api/v1/services/big";
    // A value over 1 MiB is refused (a bug of the plugin: a generic 500),
    // and nothing is stored.
    app.client.post_empty(&format!("{big}/big-note?kib=1025"), None).await.assert_problem(500, "internal");
    assert_eq!(app.client.get(&format!("{big}/notes"), None).await.body, serde_json::json!([]));
    // Nine notes of 1000 KiB each fit one by one, but a select of them all
    // would return more than 8 MiB: the plugin gets quota-exceeded.
    for _ in 0..9 {
        assert_eq!(app.client.post_empty(&format!("{big}/big-note?kib=1000"), None).await.status, 204);
    }
    let detail = app.client.get(&format!("{big}/notes"), None).await.assert_problem(429, "too-many-requests");
    assert!(detail.contains("exceed 8 MiB"), "{detail}");
    // The refusal was the select's: the plugin and its data are fine.
    assert_eq!(app.client.get(&format!("{big}/noop"), None).await.status, 204);
}

async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, Options { fixtures: true, ..Options::default() }).await
}

async fn an_endless_loop_times_out_while_other_requests_succeed(backend: Backend) {
    let app = spawn(backend).await;
    let started = Instant::now();
    let looping = {
        let client = app.client.clone();
        tokio::spawn(async move { client.post_empty(&format!("{BASE}/loop"), None).await })
    };
    // While it loops, other calls are served normally; past its first
    // 10 ms of computation the loop runs on a compute lane.
    let mut served = 0;
    let mut seen_on_a_lane = false;
    while !looping.is_finished() {
        assert_eq!(app.client.get(&format!("{BASE}/noop"), None).await.status, 204);
        assert_eq!(app.client.get("/api/v1/healthz", None).await.status, 200);
        seen_on_a_lane |= app.state.runtime.compute_lanes().1 == 1;
        served += 1;
    }
    let answer = looping.await.unwrap();
    assert!(seen_on_a_lane, "the loop held a compute lane while it ran");
    assert_eq!(app.state.runtime.compute_lanes().1, 0, "its lane was given back when it stopped");
    let elapsed = started.elapsed();
    let detail = answer.assert_problem(504, "plugin-timeout");
    assert!(detail.contains("300 ms"), "{detail}");
    // The deadline plus a margin for the 10 ms epoch tick and a busy 2-core machine.
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_millis(300 + 1200),
        "stopped after {elapsed:?}"
    );
    assert!(served > 0, "other requests were served while the loop ran");
    assert_eq!(app.client.get(&format!("{BASE}/noop"), None).await.status, 204, "the plugin still works afterwards");
}

async fn a_memory_hog_fails_cleanly(backend: Backend) {
    let app = spawn(backend).await;
    let small = app.client.post_empty(&format!("{BASE}/alloc?mb=2"), None).await;
    assert_eq!(small.status, 200, "{}", small.body);
    let detail =
        app.client.post_empty(&format!("{BASE}/alloc?mb=64"), None).await.assert_problem(502, "plugin-memory-limit");
    assert!(detail.contains("16 MiB"), "{detail}");
    assert_eq!(
        app.client.get(&format!("{BASE}/noop"), None).await.status,
        204,
        "the next request gets a fresh instance"
    );
}

async fn a_trap_after_a_write_leaves_no_row_behind(backend: Backend) {
    let app = spawn(backend).await;
    assert_eq!(app.client.post_empty(&format!("{BASE}/notes?body=kept"), None).await.status, 201);
    let failed = app.client.post_empty(&format!("{BASE}/trap-after-write"), None).await;
    let detail = failed.assert_problem(502, "plugin-failed");
    assert!(!detail.contains("backtrace") && !detail.contains(".rs"), "no internals leak: {detail}");
    let notes = app.client.get(&format!("{BASE}/notes"), None).await;
    let bodies: Vec<&str> = notes.body.as_array().unwrap().iter().map(|n| n["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, ["kept"], "the trapped call's write was rolled back, the earlier one kept");
}

async fn excess_concurrent_calls_get_503_with_retry_after(backend: Backend) {
    let app = spawn(backend).await;
    // A copy of the fixture with a long deadline and two instance slots, so
    // the slots are certainly taken while the extra calls arrive.
    let fixture = plugins_dir().join("fixtures/misbehaving");
    let manifest = std::fs::read_to_string(fixture.join("plugin.toml"))
        .unwrap()
        .replace("id = \"misbehaving\"", "id = \"narrow\"")
        .replace("timeout-ms = 300", "timeout-ms = 3000")
        .replace("max-concurrency = 4", "max-concurrency = 2");
    let installer = Installer::new(app.state.store.clone(), app.state.runtime.clone());
    installer
        .install_and_activate(Upload::new(&manifest, &std::fs::read(fixture.join("plugin.wasm")).unwrap()), "test")
        .await
        .unwrap();

    let looping: Vec<_> = (0..2)
        .map(|_| {
            let client = app.client.clone();
            tokio::spawn(async move { client.post_empty("/api/v1/services/narrow/loop", None).await })
        })
        .collect();
    let narrow = app.state.runtime.get("narrow").unwrap();
    wait_until("both slots are taken", || narrow.in_use() == 2).await;
    for _ in 0..3 {
        let answer = app.client.post_empty("/api/v1/services/narrow/loop", None).await;
        assert!(answer.assert_problem(503, "service-busy").contains("2 concurrent"));
        assert_eq!(answer.header("retry-after"), Some("1"));
    }
    for call in looping {
        call.await.unwrap().assert_problem(504, "plugin-timeout");
    }
    assert_eq!(app.client.get("/api/v1/services/narrow/noop", None).await.status, 204, "slots come back");
}

async fn data_calls_outside_the_schema_are_refused(backend: Backend) {
    let app = spawn(backend).await;
    // An unknown column is the plugin's bug: the SDK answers a generic 500
    // (the detail goes to the plugin's log, not to the caller).
    let detail = app.client.post_empty(&format!("{BASE}/bad-query"), None).await.assert_problem(500, "internal");
    assert!(detail.contains("the service failed") && !detail.contains("no_such_column"), "{detail}");
    // Another plugin's table does not exist as far as this plugin can tell.
    let detail = app.client.post_empty(&format!("{BASE}/other-table"), None).await.assert_problem(404, "not-found");
    assert!(detail.contains("no table `applications`"), "{detail}");
}

async fn all_value_types_round_trip(backend: Backend) {
    let app = spawn(backend).await;
    let created = app
        .client
        .post_empty(&format!("{BASE}/notes?body=%E4%BD%A0%E5%A5%BD%20%D8%B3%D8%A7%D9%84%D8%A7%D9%85"), None)
        .await;
    assert_eq!(created.status, 201);
    let notes = app.client.get(&format!("{BASE}/notes"), None).await;
    let note = &notes.body[0];
    assert_eq!(note["body"], "你好 سالام");
    assert_eq!(note["rank"], 1);
    assert_eq!(note["weight"], serde_json::Value::Null);
    assert_eq!(note["flag"], serde_json::Value::Null);
    assert_eq!(note["id"], created.body["id"]);

    let typed = app.client.post_empty(&format!("{BASE}/round-trip"), None).await;
    assert_eq!(typed.status, 200, "{}", typed.body);
    assert_eq!(typed.body["body"], "Typed");
    assert_eq!(typed.body["weight"], 2.5);
    assert_eq!(typed.body["flag"], true);
    assert_eq!(typed.body["blob"], serde_json::json!([0, 1, 255]));
    assert_eq!(typed.body["rank"], -7);
}

async fn plugins_see_the_caller_but_never_credentials(backend: Backend) {
    let app = spawn(backend).await;
    let (token, id) = app.resident("curious").await;
    let headers = [("cookie", "session=secret"), ("x-custom", "1"), ("accept-language", "ug")];
    let answer = app.client.send("GET", &format!("{BASE}/whoami"), Some(&token), &headers, None).await;
    assert_eq!(answer.status, 200);
    let text = answer.body.as_str().unwrap().to_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], format!("{id}|resident||curious"));
    assert_eq!(lines[1], "x-custom,accept-language", "authorization and cookie are withheld");
    assert_eq!(Some(lines[2]), answer.header("x-request-id"), "the plugin gets the host's request id");

    let staff = app.staff("warden", "community-east").await;
    let answer = app.client.get(&format!("{BASE}/whoami"), Some(&staff)).await;
    assert!(answer.body.as_str().unwrap().contains("|staff|community-east|warden"), "{}", answer.body);
    let anonymous = app.client.get(&format!("{BASE}/whoami"), None).await;
    assert!(anonymous.body.as_str().unwrap().starts_with("anonymous"));
}

async fn oversized_requests_and_invalid_answers_are_stopped_at_the_host(backend: Backend) {
    let app = spawn(backend).await;
    let fine =
        app.client.post_raw(&format!("{BASE}/echo-size"), None, "application/octet-stream", &vec![7; 100 * 1024]).await;
    assert_eq!(fine.body, 102400);
    let huge = vec![7; 2 << 20];
    app.client
        .post_raw(&format!("{BASE}/echo-size"), None, "application/octet-stream", &huge)
        .await
        .assert_problem(413, "payload-too-large");
    let detail = app.client.get(&format!("{BASE}/bad-status"), None).await.assert_problem(502, "plugin-bad-response");
    assert!(detail.contains("1000"), "{detail}");
    // Building 5 MiB may take a loaded machine past the fixture's 300 ms:
    // the copy has a deadline no machine reaches.
    install_copy(&app, "roomy", 4).await;
    let detail = app.client.get("/api/v1/services/roomy/huge", None).await.assert_problem(502, "plugin-bad-response");
    assert!(detail.contains("limit"), "{detail}");
}

async fn a_plugins_answer_keeps_to_the_portals_rules(backend: Backend) {
    let app = spawn(backend).await;
    let (resident, _) = app.resident("cached").await;
    // Only the host speaks the protocol: an informational status is not an answer.
    for status in [101, 103] {
        let detail = app
            .client
            .get(&format!("{BASE}/answer?status={status}"), None)
            .await
            .assert_problem(502, "plugin-bad-response");
        assert!(detail.contains(&status.to_string()), "{detail}");
    }
    // A Location stays inside the service: climbing out of it drops the header.
    let escape = app.client.get(&format!("{BASE}/answer?status=201&location=/../../../v1/admin/accounts"), None).await;
    assert_eq!((escape.status, escape.header("location")), (201, None));
    let resolved = app.client.get(&format!("{BASE}/answer?status=201&location=/notes/../notes/1"), None).await;
    assert_eq!(resolved.header("location"), Some("/api/v1/services/misbehaving/notes/1"));
    // A signed-in caller's answer never lands in a shared cache; an anonymous one may.
    let mine = app.client.get(&format!("{BASE}/answer"), Some(&resident)).await;
    assert_eq!(mine.header("cache-control"), Some("private, no-store"));
    let public = format!("{BASE}/answer?cache=public,max-age=60");
    assert_eq!(app.client.get(&public, Some(&resident)).await.header("cache-control"), Some("private, no-store"));
    assert_eq!(app.client.get(&public, None).await.header("cache-control"), Some("public,max-age=60"));
}

async fn note_bodies(app: &TestApp) -> Vec<String> {
    let notes = app.client.get(&format!("{BASE}/notes"), None).await;
    notes.body.as_array().unwrap().iter().map(|n| n["body"].as_str().unwrap().to_owned()).collect()
}

async fn a_handled_conflict_keeps_the_other_writes(backend: Backend) {
    let app = spawn(backend).await;
    let answer = app.client.post_empty(&format!("{BASE}/conflict-then-write"), None).await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    assert_eq!(note_bodies(&app).await, ["first", "after the conflict"]);
}

async fn a_failure_answer_rolls_back_the_writes(backend: Backend) {
    let app = spawn(backend).await;
    assert_eq!(app.client.post_empty(&format!("{BASE}/notes?body=kept"), None).await.status, 201);
    app.client.post_empty(&format!("{BASE}/write-then-fail"), None).await.assert_problem(500, "internal");
    assert_eq!(note_bodies(&app).await, ["kept"], "a 5xx answer keeps none of its writes");
}
