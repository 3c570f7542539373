//! Method + path-pattern routing: `/applications/{id}/withdraw`.

use crate::bindings::onewindow::platform::types as wit;
use crate::error::{Error, Result};
use crate::http::{Request, Response};

/// A handler: a plain function from a request to a response.
pub type Handler = fn(&Request) -> Result<Response>;

struct Route {
    method: &'static str,
    pattern: &'static str,
    handler: Handler,
}

/// Routes requests to handlers by method and path pattern. Patterns are
/// literal segments and `{name}` parameters; the first route that matches
/// wins. An unknown path answers 404 and a known path with another method
/// 405 with an `allow` header, both as problem documents.
#[derive(Default)]
pub struct Router {
    routes: Vec<Route>,
}

impl Router {
    /// An empty router.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a route for `method` (upper case) and `pattern`. Patterns are
    /// kept as given and matched segment by segment: building the router
    /// allocates nothing per route, which matters since it is built for every
    /// request.
    pub fn route(mut self, method: &'static str, pattern: &'static str, handler: Handler) -> Self {
        self.routes.push(Route { method, pattern, handler });
        self
    }

    /// Adds a GET route.
    pub fn get(self, pattern: &'static str, handler: Handler) -> Self {
        self.route("GET", pattern, handler)
    }

    /// Adds a POST route.
    pub fn post(self, pattern: &'static str, handler: Handler) -> Self {
        self.route("POST", pattern, handler)
    }

    /// Adds a PUT route.
    pub fn put(self, pattern: &'static str, handler: Handler) -> Self {
        self.route("PUT", pattern, handler)
    }

    /// Adds a PATCH route.
    pub fn patch(self, pattern: &'static str, handler: Handler) -> Self {
        self.route("PATCH", pattern, handler)
    }

    /// Adds a DELETE route.
    pub fn delete(self, pattern: &'static str, handler: Handler) -> Self {
        self.route("DELETE", pattern, handler)
    }

    /// Every route as (method, pattern), in the order added (used by
    /// `harness::ApiDoc` to describe the service's routes).
    pub fn routes(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        self.routes.iter().map(|route| (route.method, route.pattern))
    }

    /// Finds the route for `request` and runs its handler.
    pub fn handle(&self, request: wit::Request) -> Result<Response> {
        let mut allowed = Vec::new();
        for route in &self.routes {
            let Some(params) = route.matches(&request.path) else { continue };
            if route.method == request.method {
                return (route.handler)(&Request::new(request, params));
            }
            allowed.push(route.method);
        }
        if allowed.is_empty() {
            Err(Error::not_found(format!("no route for {} {}", request.method, request.path)))
        } else {
            allowed.dedup();
            Err(Error::new(
                405,
                "method-not-allowed",
                "Method not allowed",
                format!("{} is not allowed here", request.method),
            )
            .with_header("allow", allowed.join(", ")))
        }
    }
}

impl Route {
    /// The path parameters if `path` matches this route's pattern.
    fn matches(&self, path: &str) -> Option<Vec<(String, String)>> {
        let mut params = Vec::new();
        let mut parts = split(path);
        for segment in split(self.pattern) {
            let part = parts.next()?;
            match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => params.push((name.to_owned(), part.to_owned())),
                None if segment == part => {}
                None => return None,
            }
        }
        parts.next().is_none().then_some(params)
    }
}

fn split(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, path: &str) -> wit::Request {
        wit::Request {
            method: method.into(),
            path: path.into(),
            query: String::new(),
            headers: Vec::new(),
            body: Vec::new(),
            request_id: "r".into(),
            caller: None,
        }
    }

    fn router() -> Router {
        Router::new()
            .get("/items", |_| Ok(Response::text(200, "list")))
            .get("/items/{id}", |req| Ok(Response::text(200, format!("item {}", req.param("id").unwrap_or_default()))))
            .post("/items/{id}/close", |req| {
                Ok(Response::text(200, format!("close {}", req.param("id").unwrap_or_default())))
            })
    }

    #[test]
    fn matches_literals_and_parameters_segment_by_segment() {
        assert_eq!(router().handle(request("GET", "/items")).unwrap().body(), b"list");
        assert_eq!(router().handle(request("GET", "/items/42/")).unwrap().body(), b"item 42");
        assert_eq!(router().handle(request("POST", "/items/7/close")).unwrap().body(), b"close 7");
    }

    #[test]
    fn unknown_paths_are_404_and_wrong_methods_405_with_allow() {
        assert_eq!(router().handle(request("GET", "/items/7/close/now")).unwrap_err().status(), 404);
        assert_eq!(router().handle(request("GET", "/other")).unwrap_err().status(), 404);
        let wrong = router().handle(request("DELETE", "/items/7")).unwrap_err();
        assert_eq!(wrong.status(), 405);
        assert_eq!(wrong.into_response("r").header("allow"), Some("GET"));
    }
}
