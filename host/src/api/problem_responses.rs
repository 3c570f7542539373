//! The error answers of the platform's operations, made exact in the
//! OpenAPI document. Handlers document the refusals of their own logic;
//! the refusals every route shares — the bearer-token check in front of
//! every route, and the extractors' answers to unreadable bodies, query
//! strings and path segments — are added here from each operation's shape,
//! so no annotation can forget them. Every problem answer is documented as
//! `application/problem+json`, the type `problem::render` sends.

use serde_json::{Map, Value, json};

const PROBLEM_TYPE: &str = "application/problem+json";
const PROBLEM_SCHEMA: &str = "#/components/schemas/Problem";
const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Rewrites `document` (an OpenAPI 3.1 document as JSON) in place.
pub fn complete(document: &mut Value) {
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for (method, operation) in item.iter_mut() {
            if METHODS.contains(&method.as_str())
                && let Some(operation) = operation.as_object_mut()
            {
                complete_operation(operation);
            }
        }
    }
}

fn complete_operation(operation: &mut Map<String, Value>) {
    let shared = shared_refusals(operation);
    let responses = operation.entry("responses").or_insert_with(|| json!({}));
    let Some(responses) = responses.as_object_mut() else { return };
    for response in responses.values_mut() {
        as_problem(response);
    }
    for (status, description) in shared {
        responses.entry(status).or_insert_with(|| problem_response(description));
    }
}

/// The statuses an operation can answer whatever its handler does, from
/// what it takes: (status, why).
fn shared_refusals(operation: &Map<String, Value>) -> Vec<(&'static str, &'static str)> {
    // `extract::authenticate` checks any Authorization header before routing.
    let mut refusals =
        vec![("401", "the Authorization header is malformed, or its token is invalid, expired or revoked")];
    let parameters = operation.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default();
    let takes = |place: &str| parameters.iter().any(|p| p["in"] == place);
    if takes("path") || takes("query") {
        refusals.push(("422", "a path segment or query parameter cannot be read (the problem names it)"));
    }
    if let Some(content) = operation.get("requestBody").and_then(|body| body.get("content")).and_then(Value::as_object)
    {
        refusals.push(("400", "the request body cannot be read"));
        refusals.push(("413", "the request body is larger than the platform accepts"));
        refusals.push(("415", "the request body is not of the documented content type"));
        if content.contains_key("application/json") {
            refusals.push(("422", "the request body does not have the documented shape (the problem names the field)"));
        }
    }
    refusals
}

/// Moves a response whose body is a `Problem` to the problem media type.
fn as_problem(response: &mut Value) {
    let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) else { return };
    let is_problem = |media: &Value| media["schema"]["$ref"] == PROBLEM_SCHEMA;
    if let Some(media) = content.get("application/json").filter(|media| is_problem(media)).cloned() {
        content.remove("application/json");
        content.insert(PROBLEM_TYPE.into(), media);
    }
}

fn problem_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { PROBLEM_TYPE: { "schema": { "$ref": PROBLEM_SCHEMA } } }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_bodies_move_to_the_problem_type_and_nothing_else_does() {
        let mut document = json!({"paths": {"/a": {"get": {"responses": {
            "200": {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
            "404": {"description": "gone", "content": {"application/json": {"schema": {"$ref": PROBLEM_SCHEMA}}}}
        }}}}});
        complete(&mut document);
        let responses = &document["paths"]["/a"]["get"]["responses"];
        assert_eq!(responses["200"]["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/Thing");
        assert_eq!(responses["404"]["description"], "gone");
        assert_eq!(responses["404"]["content"], json!({PROBLEM_TYPE: {"schema": {"$ref": PROBLEM_SCHEMA}}}));
        assert!(responses["401"]["content"][PROBLEM_TYPE].is_object(), "a bad token is refused on every route");
        assert!(responses.get("422").is_none(), "no parameters, no body: nothing to misread");
    }

    #[test]
    fn what_an_operation_takes_decides_its_shared_refusals() {
        let mut document = json!({"paths": {"/a/{id}": {"post": {
            "parameters": [{"in": "path", "name": "id"}],
            "requestBody": {"content": {"application/json": {}}},
            "responses": {"409": {"description": "taken"}}
        }}}});
        complete(&mut document);
        let responses = document["paths"]["/a/{id}"]["post"]["responses"].as_object().unwrap();
        let mut statuses: Vec<&str> = responses.keys().map(String::as_str).collect();
        statuses.sort();
        assert_eq!(statuses, ["400", "401", "409", "413", "415", "422"]);
        assert_eq!(responses["409"], json!({"description": "taken"}), "the handler's own answers stay as written");
    }
}
