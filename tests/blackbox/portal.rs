//! The portal: services, languages, health, errors, OpenAPI.

use onewindow_tests::{Backend, FIRST_PARTY, TestApp, first_party_version, on_both_backends};

on_both_backends!(
    lists_active_services_in_the_requested_language,
    describes_one_service_and_404s_unknown_ones,
    unknown_routes_and_methods_answer_problems,
    health_names_the_backend,
    openapi_document_covers_every_route,
);

async fn lists_active_services_in_the_requested_language(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (accept, lang, direction, name) in [
        (Some("en-GB,en;q=0.9"), "en", "ltr", "Residence permit"),
        (Some("ug"), "ug", "rtl", "تۇرۇش ئىجازەتنامىسى ئىلتىماسى"),
        (Some("fr"), "zh", "ltr", "居住证申领"),
        (None, "zh", "ltr", "居住证申领"),
    ] {
        let headers: Vec<(&str, &str)> = accept.map(|a| ("accept-language", a)).into_iter().collect();
        let answer = app.client.send("GET", "/api/v1/services", None, &headers, None).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.header("content-language"), Some(lang));
        let services = answer.body["services"].as_array().unwrap();
        let ids: Vec<&str> = services.iter().map(|s| s["id"].as_str().unwrap()).collect();
        assert_eq!(ids, FIRST_PARTY, "only the first-party plugins are active");
        let service = services.iter().find(|s| s["id"] == "residence-permit").unwrap();
        assert_eq!(service["name"], name);
        assert_eq!(service["direction"], direction);
        assert_eq!(service["names"]["en"], "Residence permit");
        assert!(service["descriptions"]["ug"].as_str().unwrap().contains("ساقچىخانا"));
    }
}

async fn describes_one_service_and_404s_unknown_ones(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let answer =
        app.client.send("GET", "/api/v1/services/residence-permit", None, &[("accept-language", "en")], None).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["version"], first_party_version("residence-permit"));

    let detail = app.client.get("/api/v1/services/no-such-service", None).await.assert_problem(404, "not-found");
    assert!(detail.contains("no-such-service"), "{detail}");
    app.client.get("/api/v1/services/no-such-service/anything", None).await.assert_problem(404, "not-found");
    // Ids that could never be valid are simply unknown, not errors.
    app.client.get("/api/v1/services/..%2F..%2Fetc/passwd", None).await.assert_problem(404, "not-found");
}

async fn unknown_routes_and_methods_answer_problems(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.client.get("/api/v1/nothing-here", None).await.assert_problem(404, "not-found");
    app.client.send("DELETE", "/api/v1/services", None, &[], None).await.assert_problem(405, "method-not-allowed");
    // Inside a plugin, the SDK answers the same way.
    let (token, _) = app.resident("rosa").await;
    app.client
        .get("/api/v1/services/residence-permit/no-such-route", Some(&token))
        .await
        .assert_problem(404, "not-found");
    let answer =
        app.client.send("DELETE", "/api/v1/services/residence-permit/applications", Some(&token), &[], None).await;
    answer.assert_problem(405, "method-not-allowed");
    assert_eq!(answer.header("allow"), Some("POST, GET"));
}

async fn health_names_the_backend(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let answer = app.client.get("/api/v1/healthz", None).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["status"], "ok");
    assert_eq!(answer.body["database"], if backend == Backend::Sqlite { "sqlite" } else { "postgres" });
    assert_eq!(answer.body["active_services"], FIRST_PARTY.len());
}

async fn openapi_document_covers_every_route(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let answer = app.client.get("/api/openapi.json", None).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["openapi"], "3.1.0");
    let paths = answer.body["paths"].as_object().unwrap();
    // The first-party service's own routes, from its api.json.
    let service_prefix = "/api/v1/services/residence-permit/";
    let mut described: Vec<&str> = paths.keys().filter_map(|p| p.strip_prefix(service_prefix)).collect();
    described.sort();
    for route in ["applications", "applications/{id}", "applications/{id}/transition", "prefill"] {
        assert!(described.contains(&route), "{route} is described: {described:?}");
    }
    let apply = &paths["/api/v1/services/residence-permit/applications"]["post"];
    assert_eq!(apply["tags"], serde_json::json!(["residence-permit"]));
    let body = &apply["requestBody"]["content"]["application/json"]["schema"];
    // Optional (pre-filled from the shared record when left out): a string or null.
    assert_eq!(body["properties"]["full_name"]["type"], serde_json::json!(["string", "null"]));
    assert!(apply["responses"]["201"]["content"]["application/json"]["schema"]["properties"]["status"].is_object());
    // Every first-party service describes its routes; the rest is the platform's own.
    let prefixes: Vec<String> = FIRST_PARTY.iter().map(|id| format!("/api/v1/services/{id}/")).collect();
    for prefix in &prefixes {
        let routes = paths.keys().filter(|p| p.starts_with(prefix.as_str())).count();
        assert!(routes >= 4, "{prefix} describes its routes ({routes})");
    }
    let mut documented: Vec<&str> = paths
        .keys()
        .map(String::as_str)
        .filter(|p| !prefixes.iter().any(|prefix| p.starts_with(prefix.as_str())))
        .collect();
    documented.sort();
    assert_eq!(
        documented,
        [
            "/api/v1/admin/access-log",
            "/api/v1/admin/access-log/{id}/hide",
            "/api/v1/admin/accounts",
            "/api/v1/admin/accounts/{id}/disable",
            "/api/v1/admin/accounts/{id}/enable",
            "/api/v1/admin/accounts/{id}/password",
            "/api/v1/admin/areas",
            "/api/v1/admin/areas/{id}",
            "/api/v1/admin/audit",
            "/api/v1/admin/audit/head",
            "/api/v1/admin/audit/verify",
            "/api/v1/admin/plugins/{id}/resume",
            "/api/v1/admin/plugins/{id}/retire",
            "/api/v1/admin/plugins/{id}/rollback",
            "/api/v1/admin/plugins/{id}/suspend",
            "/api/v1/admin/plugins/{id}/versions/{version}/approve",
            "/api/v1/admin/plugins/{id}/versions/{version}/reject",
            "/api/v1/admin/reports",
            "/api/v1/admin/reviews",
            "/api/v1/admin/sign-in-failures",
            "/api/v1/admin/units",
            "/api/v1/admin/units/{id}",
            "/api/v1/admin/units/{id}/areas",
            "/api/v1/admin/units/{id}/grants",
            "/api/v1/auth/me",
            "/api/v1/auth/password",
            "/api/v1/auth/register",
            "/api/v1/auth/sign-in",
            "/api/v1/auth/sign-out",
            "/api/v1/healthz",
            "/api/v1/me/access-log",
            "/api/v1/me/cases",
            "/api/v1/me/cases/{id}/rating",
            "/api/v1/me/consents",
            "/api/v1/me/consents/{service}",
            "/api/v1/me/inbox",
            "/api/v1/me/inbox/{id}/read",
            "/api/v1/me/profile",
            "/api/v1/plugins",
            "/api/v1/plugins/{id}",
            "/api/v1/plugins/{id}/logs",
            "/api/v1/plugins/{id}/versions/{version}",
            "/api/v1/services",
            "/api/v1/services/{id}",
            "/api/v1/services/{id}/{rest}",
            "/api/v1/staff/alerts",
            "/api/v1/staff/cases",
            "/api/v1/staff/cases/{id}",
            "/api/v1/staff/cases/{id}/notes",
            "/api/v1/staff/cases/{id}/refer",
            "/api/v1/staff/cases/{id}/transition",
            "/api/v1/staff/records/{table}",
            "/api/v1/staff/records/{table}/{id}",
            "/api/v1/staff/records/{table}/{id}/provenance",
            "/api/v1/staff/reports",
            "/metrics",
        ]
    );
    for method in ["get", "post", "put", "patch", "delete"] {
        assert!(paths["/api/v1/services/{id}/{rest}"][method].is_object(), "service calls document {method}");
    }
    assert!(answer.body["components"]["schemas"]["Problem"].is_object());
    let docs = app.client.get("/api/docs/", None).await;
    assert_eq!(docs.status, 200);
    assert!(docs.body.as_str().unwrap_or_default().contains("swagger"), "the browsable view is served");
    let setup = app.client.get("/api/docs/swagger-initializer.js", None).await;
    assert!(setup.body.as_str().unwrap_or_default().contains("/api/openapi.json"), "and reads the merged document");
}
