//! The services' own routes in the portal's API document: each active
//! plugin version's `api.json` (checked at upload, see
//! `registry::api_doc`) is placed under `/api/v1/services/{id}`, tagged with
//! the service, with the platform's sign-in scheme, path parameters and the
//! problem answer every route can give.

use axum::Json;
use serde_json::{Value, json};

use super::problem::ApiError;
use super::state::AppState;
use crate::registry::Manifest;
use crate::registry::api_doc::ApiDoc;
use crate::store::plugins::{self, VersionState};

/// The platform's document with every described service route merged in.
pub async fn document(state: &AppState, platform: &Value) -> Result<Json<Value>, ApiError> {
    let mut document = platform.clone();
    let mut active = plugins::versions_in_state(&state.store, VersionState::Active)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    active.sort_by(|a, b| a.plugin_id.cmp(&b.plugin_id));
    for version in active {
        let Some(doc) = version.api.as_deref().and_then(|text| ApiDoc::parse(text).ok()) else { continue };
        let name = Manifest::parse(&version.manifest).map(|m| m.name.en.clone()).unwrap_or_default();
        merge_service(&mut document, &version.plugin_id, &name, &doc);
    }
    Ok(Json(document))
}

/// Adds `doc`'s routes for service `id` (called `name`) to `document`.
fn merge_service(document: &mut Value, id: &str, name: &str, doc: &ApiDoc) {
    for (path, item) in doc.paths() {
        let full = format!("/api/v1/services/{id}{path}");
        let mut item = item.clone();
        if let Some(operations) = item.as_object_mut() {
            for (method, operation) in operations.iter_mut() {
                if matches!(method.as_str(), "summary" | "description" | "parameters") {
                    continue;
                }
                complete_operation(operation, id, path);
            }
        }
        document["paths"][full] = item;
    }
    let tag = json!({ "name": id, "description": format!("{name} (service `{id}`)") });
    match document["tags"].as_array_mut() {
        Some(tags) => tags.push(tag),
        None => document["tags"] = json!([tag]),
    }
}

/// What every service operation has whether or not the plugin says so.
fn complete_operation(operation: &mut Value, id: &str, path: &str) {
    let Some(op) = operation.as_object_mut() else { return };
    op.insert("tags".into(), json!([id]));
    // Signed in or not: the plugin decides per caller.
    op.entry("security").or_insert_with(|| json!([{ "bearer": [] }, {}]));
    let parameters = op.entry("parameters").or_insert_with(|| json!([]));
    if let Some(parameters) = parameters.as_array_mut() {
        for name in path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))) {
            let declared = parameters.iter().any(|p| p["name"] == name && p["in"] == "path");
            if !declared {
                parameters
                    .push(json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }));
            }
        }
    }
    let responses = op.entry("responses").or_insert_with(|| json!({}));
    if let Some(responses) = responses.as_object_mut() {
        // The SDK answers every refusal as a problem document, whatever
        // media type the generated `api.json` gives its JSON schema.
        for (status, response) in responses.iter_mut() {
            let refusal = status.starts_with('4') || status.starts_with('5');
            if let Some(content) = response.get_mut("content").and_then(Value::as_object_mut).filter(|_| refusal)
                && let Some(media) = content.remove("application/json")
            {
                content.insert("application/problem+json".into(), media);
            }
        }
        responses.entry("default").or_insert_with(|| {
            json!({
                "description": "A problem document (RFC 9457) with the request id",
                "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } }
            })
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_services_routes_land_under_its_prefix_complete() {
        let doc = ApiDoc::parse(
            r#"{"paths": {"/items/{id}": {"get": {"summary": "One item", "responses": {"200": {"description": "The item"}}}}}}"#,
        )
        .unwrap();
        let mut document = json!({"paths": {"/api/v1/me": {}}, "tags": [{"name": "me"}]});
        merge_service(&mut document, "gas", "Gas", &doc);
        let op = &document["paths"]["/api/v1/services/gas/items/{id}"]["get"];
        assert_eq!(op["summary"], "One item");
        assert_eq!(op["tags"], json!(["gas"]));
        assert_eq!(
            op["parameters"],
            json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}])
        );
        assert_eq!(op["responses"]["200"]["description"], "The item");
        assert!(op["responses"]["default"]["content"]["application/problem+json"].is_object());
        assert!(document["paths"]["/api/v1/me"].is_object(), "the platform's paths stay");
        assert_eq!(document["tags"][1]["name"], "gas");
    }
}
