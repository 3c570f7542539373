//! Describe the service's routes for the portal's API document: an
//! `api.json` beside `plugin.toml`, uploaded with the component, which the
//! platform checks and shows under `/api/v1/services/{id}` in
//! `/api/openapi.json` and `/api/docs`.
//!
//! The routes come from the service's router, so every route is listed even
//! when undescribed, and describing a route the router lacks fails the
//! test. Request and answer schemas come from the types themselves
//! (`#[derive(schemars::JsonSchema)]`), inlined as the platform requires.
//!
//! ```no_run
//! use onewindow_sdk::harness::{ApiDoc, Operation};
//! # struct Gas;
//! # impl onewindow_sdk::Service for Gas { fn router() -> onewindow_sdk::Router { onewindow_sdk::Router::new() } }
//! #[derive(schemars::JsonSchema)]
//! struct NewAccount { address: String, phone: Option<String> }
//!
//! #[test]
//! fn api_json_is_current() {
//!     ApiDoc::of::<Gas>()
//!         .route("POST", "/accounts", Operation::new("Open a gas account").body::<NewAccount>().answer_empty(201, "Opened"))
//!         .check_file(concat!(env!("CARGO_MANIFEST_DIR"), "/api.json"));
//! }
//! ```
//! `check_file` fails when the file differs from what the code describes;
//! `ONEWINDOW_WRITE_API=1 cargo test` rewrites it.

use std::path::Path;

use schemars::JsonSchema;
use serde_json::{Map, Value, json};

use crate::Service;

/// The description of a service's routes.
#[derive(Debug, Clone)]
pub struct ApiDoc {
    /// (method, pattern, description) in router order.
    routes: Vec<(&'static str, &'static str, Option<Operation>)>,
}

/// What one route accepts and answers.
#[derive(Debug, Clone, Default)]
pub struct Operation {
    summary: String,
    description: Option<String>,
    query: Vec<(String, String)>,
    body: Option<Value>,
    answers: Vec<(u16, String, Option<Value>)>,
}

impl ApiDoc {
    /// Every route of `S`'s router, none described yet.
    pub fn of<S: Service>() -> ApiDoc {
        ApiDoc { routes: S::router().routes().map(|(method, pattern)| (method, pattern, None)).collect() }
    }

    /// Describes route `method` `pattern`.
    ///
    /// # Panics
    /// When the router has no such route: the description would lie.
    pub fn route(mut self, method: &str, pattern: &str, operation: Operation) -> ApiDoc {
        let Some(route) = self.routes.iter_mut().find(|(m, p, _)| *m == method && *p == pattern) else {
            panic!("ApiDoc: the router has no route {method} {pattern}")
        };
        route.2 = Some(operation);
        self
    }

    /// The `api.json` document: `{"paths": {...}}`.
    pub fn to_json(&self) -> Value {
        let mut paths = Map::new();
        for (method, pattern, operation) in &self.routes {
            let item = paths.entry(pattern.to_string()).or_insert_with(|| json!({}));
            let operation = operation.as_ref().map(|o| o.to_json(pattern)).unwrap_or_else(|| undescribed(pattern));
            item[method.to_lowercase()] = operation;
        }
        json!({ "paths": paths })
    }

    /// Checks that the file at `path` holds exactly this description; with
    /// `ONEWINDOW_WRITE_API` set in the environment it writes it instead.
    ///
    /// # Panics
    /// When the file is missing or differs (and the variable is not set).
    pub fn check_file(&self, path: impl AsRef<Path>) {
        let path = path.as_ref();
        let wanted = format!("{:#}\n", self.to_json());
        if std::env::var_os("ONEWINDOW_WRITE_API").is_some() {
            std::fs::write(path, &wanted).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            return;
        }
        let found = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            found == wanted,
            "{} is missing or out of date with the router and types; rewrite it with \
             `ONEWINDOW_WRITE_API=1 cargo test` and commit it",
            path.display()
        );
    }
}

impl Operation {
    /// An operation with a one-line summary.
    pub fn new(summary: &str) -> Operation {
        Operation { summary: summary.to_owned(), ..Operation::default() }
    }

    /// A longer description (who may call it, what it changes).
    pub fn description(mut self, text: &str) -> Operation {
        self.description = Some(text.to_owned());
        self
    }

    /// An optional query parameter.
    pub fn query(mut self, name: &str, description: &str) -> Operation {
        self.query.push((name.to_owned(), description.to_owned()));
        self
    }

    /// The `limit` and `offset` parameters every paged list takes
    /// ([`crate::Page`]).
    pub fn paged(self) -> Operation {
        self.query("limit", "1 to 100 (default 20)").query("offset", "items to skip")
    }

    /// The JSON body, as `T`'s schema.
    pub fn body<T: JsonSchema>(self) -> Operation {
        self.body_schema(schema_of::<T>())
    }

    /// The JSON body, as a schema written by hand (for bodies read field by
    /// field with `BodyFields`).
    pub fn body_schema(mut self, schema: Value) -> Operation {
        self.body = Some(schema);
        self
    }

    /// An answer with status `status` and a JSON body of `T`'s schema.
    pub fn answer<T: JsonSchema>(self, status: u16, description: &str) -> Operation {
        self.answer_schema(status, description, schema_of::<T>())
    }

    /// An answer with a JSON body of a hand-written schema.
    pub fn answer_schema(mut self, status: u16, description: &str, schema: Value) -> Operation {
        self.answers.push((status, description.to_owned(), Some(schema)));
        self
    }

    /// An answer without a body.
    pub fn answer_empty(mut self, status: u16, description: &str) -> Operation {
        self.answers.push((status, description.to_owned(), None));
        self
    }

    fn to_json(&self, pattern: &str) -> Value {
        let mut op = json!({ "summary": self.summary });
        if let Some(description) = &self.description {
            op["description"] = json!(description);
        }
        let mut parameters = path_parameters(pattern);
        for (name, description) in &self.query {
            parameters.push(
                json!({ "name": name, "in": "query", "description": description, "schema": { "type": "string" } }),
            );
        }
        if !parameters.is_empty() {
            op["parameters"] = Value::Array(parameters);
        }
        if let Some(body) = &self.body {
            op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": body } } });
        }
        let mut responses = Map::new();
        for (status, description, schema) in &self.answers {
            let mut answer = json!({ "description": description });
            if let Some(schema) = schema {
                answer["content"] = json!({ "application/json": { "schema": schema } });
            }
            responses.insert(status.to_string(), answer);
        }
        op["responses"] = Value::Object(responses);
        op
    }
}

/// A route nobody described: its path parameters, and that it exists.
fn undescribed(pattern: &str) -> Value {
    let mut op = json!({ "summary": "(not described)", "responses": {} });
    let parameters = path_parameters(pattern);
    if !parameters.is_empty() {
        op["parameters"] = Value::Array(parameters);
    }
    op
}

fn path_parameters(pattern: &str) -> Vec<Value> {
    pattern
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect()
}

/// The schema of a paged answer ([`crate::Page::respond`]) whose items
/// have the schema `item`.
pub fn page_of(item: Value) -> Value {
    serde_json::json!({
        "type": "object",
        "required": ["items", "total", "limit", "offset"],
        "properties": {
            "items": { "type": "array", "items": item },
            "total": { "type": "integer" },
            "limit": { "type": "integer" },
            "offset": { "type": "integer" }
        }
    })
}

/// `T`'s JSON Schema (2020-12, as OpenAPI 3.1 uses), every subschema
/// inlined: the platform refuses `$ref`s it could not resolve.
pub fn schema_of<T: JsonSchema>() -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|settings| settings.inline_subschemas = true)
        .into_generator();
    let mut schema = generator.into_root_schema_for::<T>().to_value();
    if let Some(object) = schema.as_object_mut() {
        object.remove("$schema");
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Request, Response, Result, Router};

    struct Items;
    fn ok(_: &Request) -> Result<Response> {
        Ok(Response::no_content())
    }
    impl Service for Items {
        fn router() -> Router {
            Router::new().get("/items", ok).post("/items", ok).get("/items/{id}", ok)
        }
    }

    #[derive(schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Item {
        name: String,
        tags: Vec<Tag>,
    }

    #[derive(schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Tag {
        label: String,
    }

    #[test]
    fn every_route_is_listed_and_described_ones_carry_their_schemas() {
        let doc = ApiDoc::of::<Items>()
            .route("POST", "/items", Operation::new("Add an item").body::<Item>().answer_empty(201, "Added"))
            .to_json();
        let post = &doc["paths"]["/items"]["post"];
        assert_eq!(post["summary"], "Add an item");
        let schema = &post["requestBody"]["content"]["application/json"]["schema"];
        assert_eq!(schema["required"], json!(["name", "tags"]));
        assert_eq!(schema["properties"]["tags"]["items"]["properties"]["label"]["type"], "string", "inlined");
        assert!(!doc.to_string().contains("$ref"), "no references: {doc}");
        assert_eq!(doc["paths"]["/items"]["get"]["summary"], "(not described)");
        assert_eq!(doc["paths"]["/items/{id}"]["get"]["parameters"][0]["name"], "id");
    }

    #[test]
    #[should_panic(expected = "no route DELETE /items")]
    fn describing_a_route_the_router_lacks_fails() {
        let _ = ApiDoc::of::<Items>().route("DELETE", "/items", Operation::new("Remove"));
    }
}
