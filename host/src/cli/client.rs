//! The HTTP client behind the partner and admin commands: where the host
//! is, which token to send, and problems turned into errors.

use std::path::PathBuf;

use reqwest::{Method, RequestBuilder};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A saved sign-in.
#[derive(Debug, Serialize, Deserialize)]
pub struct Credentials {
    pub url: String,
    pub token: String,
}

/// Where `onewindow login` keeps its credentials: `$ONEWINDOW_HOME`, else
/// `$HOME/.config/onewindow`.
pub fn credentials_path() -> PathBuf {
    let dir = std::env::var_os("ONEWINDOW_HOME").map(PathBuf::from).unwrap_or_else(|| {
        let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
        home.join(".config").join("onewindow")
    });
    dir.join("credentials.json")
}

/// Reads saved credentials, if any.
pub fn saved() -> Option<Credentials> {
    serde_json::from_slice(&std::fs::read(credentials_path()).ok()?).ok()
}

/// Saves credentials readable by the owner only.
pub fn save(credentials: &Credentials) -> anyhow::Result<PathBuf> {
    let path = credentials_path();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path)?;
    std::io::Write::write_all(&mut file, &serde_json::to_vec_pretty(credentials)?)?;
    Ok(path)
}

/// A client for one host, with or without a token.
pub struct Client {
    http: reqwest::Client,
    pub url: String,
    token: Option<String>,
}

impl Client {
    /// The URL and token from flags or environment, falling back to the saved login.
    pub fn new(url: Option<String>, token: Option<String>) -> anyhow::Result<Client> {
        let saved = saved();
        let url =
            url.or_else(|| saved.as_ref().map(|s| s.url.clone())).unwrap_or_else(|| "http://127.0.0.1:8080".into());
        let url = url.trim_end_matches('/').to_owned();
        // A saved token goes only to the host it was issued by.
        let token = token.or_else(|| saved.filter(|s| s.url.trim_end_matches('/') == url).map(|s| s.token));
        let http = reqwest::Client::builder().no_proxy().build()?;
        Ok(Client { http, url, token })
    }

    /// A request to `path` with the token, if any.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let request = self.http.request(method, format!("{}{path}", self.url));
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// Sends a request; a problem answer becomes an error naming its title,
    /// detail, fields and request id.
    pub async fn send(&self, request: RequestBuilder) -> anyhow::Result<Value> {
        let response = request.send().await.map_err(|e| anyhow::anyhow!("cannot reach {}: {e}", self.url))?;
        let status = response.status();
        let bytes = response.bytes().await?;
        let body: Value =
            if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
        if status.is_success() {
            return Ok(body);
        }
        let mut message = format!(
            "{} ({}): {}",
            body["title"].as_str().unwrap_or("request failed"),
            status.as_u16(),
            body["detail"].as_str().unwrap_or_else(|| std::str::from_utf8(&bytes).unwrap_or("")),
        );
        for error in body["errors"].as_array().into_iter().flatten() {
            message += &format!(
                "\n  {}: {}",
                error["field"].as_str().unwrap_or("?"),
                error["message"].as_str().unwrap_or("?")
            );
        }
        if let Some(id) = body["request_id"].as_str() {
            message += &format!("\n  (request id {id})");
        }
        anyhow::bail!(message)
    }

    /// GET and parse.
    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.send(self.request(Method::GET, path)).await
    }

    /// POST JSON and parse.
    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        self.send(self.request(Method::POST, path).json(body)).await
    }
}
