//! Method + path-pattern routing: `/applications/{id}/withdraw`.

use crate::bindings::onewindow::platform::types as wit;
use crate::error::{Error, Result};
use crate::http::{Request, Response};

/// A handler: a plain function from a request to a response.
pub type Handler = fn(&Request) -> Result<Response>;

struct Route {
    method: &'static str,
    segments: Vec<Segment>,
    handler: Handler,
}

enum Segment {
    Literal(String),
    Param(String),
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

    /// Adds a route for `method` (upper case) and `pattern`.
    pub fn route(mut self, method: &'static str, pattern: &str, handler: Handler) -> Self {
        let segments = split(pattern)
            .map(|s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => Segment::Param(name.to_owned()),
                None => Segment::Literal(s.to_owned()),
            })
            .collect();
        self.routes.push(Route { method, segments, handler });
        self
    }

    /// Adds a GET route.
    pub fn get(self, pattern: &str, handler: Handler) -> Self {
        self.route("GET", pattern, handler)
    }

    /// Adds a POST route.
    pub fn post(self, pattern: &str, handler: Handler) -> Self {
        self.route("POST", pattern, handler)
    }

    /// Adds a PUT route.
    pub fn put(self, pattern: &str, handler: Handler) -> Self {
        self.route("PUT", pattern, handler)
    }

    /// Adds a PATCH route.
    pub fn patch(self, pattern: &str, handler: Handler) -> Self {
        self.route("PATCH", pattern, handler)
    }

    /// Adds a DELETE route.
    pub fn delete(self, pattern: &str, handler: Handler) -> Self {
        self.route("DELETE", pattern, handler)
    }

    /// Finds the route for `request` and runs its handler.
    pub fn handle(&self, request: wit::Request) -> Result<Response> {
        let path: Vec<&str> = split(&request.path).collect();
        let mut allowed = Vec::new();
        for route in &self.routes {
            let Some(params) = route.matches(&path) else { continue };
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
    fn matches(&self, path: &[&str]) -> Option<Vec<(String, String)>> {
        if path.len() != self.segments.len() {
            return None;
        }
        let mut params = Vec::new();
        for (segment, part) in self.segments.iter().zip(path) {
            match segment {
                Segment::Literal(literal) if literal == part => {}
                Segment::Literal(_) => return None,
                Segment::Param(name) => params.push((name.clone(), (*part).to_owned())),
            }
        }
        Some(params)
    }
}

fn split(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}
