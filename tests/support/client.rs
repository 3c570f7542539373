//! A small HTTP client with one method per kind of call the tests make.

use reqwest::header::HeaderMap;
use serde_json::Value;

/// The host's base URL and an HTTP client.
#[derive(Clone)]
pub struct Client {
    pub base: String,
    http: reqwest::Client,
}

/// An answer: status, headers and the body parsed as JSON (`Null` if empty,
/// a string if it is not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    /// Reads a response: the body as JSON, `Null` if empty, a string if not JSON.
    async fn from(response: reqwest::Response) -> Answer {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("a body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Answer { status, headers, body }
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts this is a problem document of `status` and `slug`, carrying
    /// the request id of the `x-request-id` header. Returns the detail.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, slug: &str) -> String {
        assert_eq!(self.status, status, "status of {:#}", self.body);
        assert_eq!(self.header("content-type"), Some("application/problem+json"), "content type of {:#}", self.body);
        assert_eq!(self.body["type"], format!("urn:onewindow:problem:{slug}"), "type of {:#}", self.body);
        assert_eq!(self.body["status"], status);
        let request_id = self.header("x-request-id").expect("every answer has a request id");
        assert_eq!(self.body["request_id"], request_id, "problem carries the request id");
        self.body["detail"].as_str().expect("a detail").to_owned()
    }

    /// The fields named in a validation problem.
    #[track_caller]
    pub fn problem_fields(&self) -> Vec<String> {
        self.assert_problem(422, "validation-failed");
        self.body["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect()
    }
}

impl Client {
    /// A client for `base` (no proxies: everything is on loopback).
    pub fn new(base: String) -> Client {
        let http = reqwest::Client::builder().no_proxy().build().expect("http client");
        Client { base, http }
    }

    /// Any request.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        Answer::from(request.send().await.expect("the host answers")).await
    }

    /// GET.
    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.send("GET", path, token, &[], None).await
    }

    /// POST a JSON body.
    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> Answer {
        self.send("POST", path, token, &[("content-type", "application/json")], Some(serde_json::to_vec(body).unwrap()))
            .await
    }

    /// POST raw bytes with a content type.
    pub async fn post_raw(&self, path: &str, token: Option<&str>, content_type: &str, body: &[u8]) -> Answer {
        self.send("POST", path, token, &[("content-type", content_type)], Some(body.to_vec())).await
    }

    /// POST with no body.
    pub async fn post_empty(&self, path: &str, token: Option<&str>) -> Answer {
        self.send("POST", path, token, &[], None).await
    }

    /// Uploads a plugin version as multipart `manifest` + `component`.
    pub async fn upload(&self, token: Option<&str>, manifest: &str, component: &[u8]) -> Answer {
        self.upload_with_api(token, manifest, component, None).await
    }

    /// Uploads a plugin version with an `api` description (`api.json`) too.
    pub async fn upload_with_api(
        &self,
        token: Option<&str>,
        manifest: &str,
        component: &[u8],
        api: Option<&str>,
    ) -> Answer {
        let mut form = reqwest::multipart::Form::new()
            .text("manifest", manifest.to_owned())
            .part("component", reqwest::multipart::Part::bytes(component.to_vec()).file_name("plugin.wasm"));
        if let Some(api) = api {
            form = form.text("api", api.to_owned());
        }
        let mut request = self.http.post(format!("{}/api/v1/plugins", self.base)).multipart(form);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        Answer::from(request.send().await.expect("the host answers")).await
    }

    /// Signs in and returns the token.
    pub async fn sign_in(&self, username: &str, password: &str) -> String {
        let answer = self
            .post_json("/api/v1/auth/sign-in", None, &serde_json::json!({"username": username, "password": password}))
            .await;
        assert_eq!(answer.status, 200, "sign in {username}: {}", answer.body);
        answer.body["token"].as_str().expect("a token").to_owned()
    }
}
