//! A plugin's description of its own routes (`api.json` beside
//! `plugin.toml`): an OpenAPI 3.1 paths object, relative to the service's
//! prefix. It is checked at upload, shown in the review, and merged into
//! the portal's API document under `/api/v1/services/{id}`.
//!
//! Schemas are inlined (no `$ref`): the fragment is merged into a document
//! the plugin does not control, so a reference could only point at the
//! host's own components. The Rust SDK's `ApiDoc` writes such a file.

use serde_json::{Map, Value};

/// The largest description accepted.
pub const MAX_BYTES: usize = 256 * 1024;
/// The operations a route may have (the methods the SDK routes).
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];
/// What else a path item may carry.
const PATH_ITEM_FIELDS: [&str; 3] = ["summary", "description", "parameters"];

/// A checked description: `paths` only.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiDoc {
    paths: Map<String, Value>,
}

impl ApiDoc {
    /// Parses and checks `text`; every fault is reported, each naming where
    /// it is (`paths./applications.post`).
    pub fn parse(text: &str) -> Result<ApiDoc, Vec<String>> {
        if text.len() > MAX_BYTES {
            return Err(vec![format!("is {} bytes; the limit is {MAX_BYTES}", text.len())]);
        }
        let value: Value = serde_json::from_str(text).map_err(|e| vec![format!("is not JSON: {e}")])?;
        let Value::Object(mut top) = value else { return Err(vec!["must be a JSON object with `paths`".into()]) };
        let mut faults: Vec<String> =
            top.keys().filter(|k| *k != "paths").map(|k| format!("{k}: unknown field; only `paths` is read")).collect();
        let paths = match top.remove("paths") {
            Some(Value::Object(paths)) => paths,
            Some(_) => return Err(vec!["paths: must be an object".into()]),
            None => return Err(vec!["paths: is required".into()]),
        };
        for (path, item) in &paths {
            check_path(path, item, &mut faults);
        }
        if faults.is_empty() { Ok(ApiDoc { paths }) } else { Err(faults) }
    }

    /// The routes it describes, as `METHOD /path`, sorted.
    pub fn routes(&self) -> Vec<String> {
        let mut routes: Vec<String> = self
            .paths
            .iter()
            .flat_map(|(path, item)| {
                let methods =
                    item.as_object().into_iter().flat_map(|o| o.keys()).filter(|k| METHODS.contains(&k.as_str()));
                methods.map(move |method| format!("{} {path}", method.to_uppercase()))
            })
            .collect();
        routes.sort();
        routes
    }

    /// The paths, keyed by the path relative to the service.
    pub fn paths(&self) -> &Map<String, Value> {
        &self.paths
    }

    /// The stored form.
    pub fn to_text(&self) -> String {
        serde_json::json!({ "paths": self.paths }).to_string()
    }
}

fn check_path(path: &str, item: &Value, faults: &mut Vec<String>) {
    let at = format!("paths.{path}");
    let well_formed = path.starts_with('/')
        && !path.contains(['?', '#', '\\'])
        && path.split('/').all(|segment| segment != ".." && segment != ".")
        && path.split('/').all(|segment| {
            let opens = segment.matches('{').count();
            opens == segment.matches('}').count()
                && opens <= 1
                && (opens == 0 || (segment.starts_with('{') && segment.ends_with('}') && segment.len() > 2))
        });
    if !well_formed {
        faults.push(format!("{at}: must start with `/` and hold literal segments and `{{name}}` parameters only"));
    }
    let Some(item) = item.as_object() else {
        faults.push(format!("{at}: must be an object of operations"));
        return;
    };
    for (key, operation) in item {
        if METHODS.contains(&key.as_str()) {
            if !operation.is_object() {
                faults.push(format!("{at}.{key}: must be an operation object"));
            }
        } else if !PATH_ITEM_FIELDS.contains(&key.as_str()) {
            faults.push(format!("{at}.{key}: not an operation; methods are {}", METHODS.join(", ")));
        }
    }
    for (key, inner) in item {
        find_refs(inner, &format!("{at}.{key}"), faults);
    }
}

/// Every `$ref` under `value`: schemas must be inlined.
fn find_refs(value: &Value, at: &str, faults: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                if key == "$ref" {
                    faults.push(format!("{at}: `$ref` is not allowed; inline the schemas"));
                } else {
                    find_refs(inner, &format!("{at}.{key}"), faults);
                }
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                find_refs(inner, &format!("{at}[{i}]"), faults);
            }
        }
        _ => {}
    }
}

/// The routes `new` describes that `old` (the serving version's) does not.
pub fn added_routes(new: &ApiDoc, old: Option<&ApiDoc>) -> Vec<String> {
    let old = old.map(ApiDoc::routes).unwrap_or_default();
    new.routes().into_iter().filter(|route| !old.contains(route)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paths_object_is_read_and_lists_its_routes() {
        let doc = ApiDoc::parse(
            r#"{"paths": {"/items": {"get": {"summary": "List"}, "post": {}}, "/items/{id}": {"get": {}}}}"#,
        )
        .unwrap();
        assert_eq!(doc.routes(), ["GET /items", "GET /items/{id}", "POST /items"]);
        let older = ApiDoc::parse(r#"{"paths": {"/items": {"get": {}}}}"#).unwrap();
        assert_eq!(added_routes(&doc, Some(&older)), ["GET /items/{id}", "POST /items"]);
        assert_eq!(ApiDoc::parse(&doc.to_text()).unwrap(), doc, "the stored form reads back");
    }

    #[test]
    fn every_fault_is_named_at_once() {
        let faults = ApiDoc::parse(
            r##"{"info": {}, "paths": {
                "items": {"get": {}},
                "/a/../b": {"get": {}},
                "/x/{id": {"fetch": {}, "post": 3},
                "/y": {"get": {"responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/x"}}}}}}}
            }}"##,
        )
        .unwrap_err();
        let has = |needle: &str| faults.iter().any(|f| f.contains(needle));
        assert!(has("info: unknown field"), "{faults:?}");
        assert!(has("paths.items: must start with `/`"), "{faults:?}");
        assert!(has("paths./a/../b: must start"), "{faults:?}");
        assert!(has("paths./x/{id: must start"), "{faults:?}");
        assert!(has("paths./x/{id.fetch: not an operation"), "{faults:?}");
        assert!(has("paths./x/{id.post: must be an operation object"), "{faults:?}");
        assert!(has("paths./y.get.responses.200.content.application/json.schema: `$ref` is not allowed"), "{faults:?}");
        assert_eq!(faults.len(), 7, "{faults:?}");
    }

    #[test]
    fn refuses_what_is_not_a_description() {
        assert!(ApiDoc::parse("[1]").unwrap_err()[0].contains("object"));
        assert!(ApiDoc::parse("{").unwrap_err()[0].contains("not JSON"));
        assert!(ApiDoc::parse("{}").unwrap_err()[0].contains("paths: is required"));
        let huge = format!(r#"{{"paths": {{}}, "x": "{}"}}"#, "a".repeat(MAX_BYTES));
        assert!(ApiDoc::parse(&huge).unwrap_err()[0].contains("limit"));
    }
}
