//! A small blocking HTTP/1.1 client over one kept-alive connection, for the
//! reliability suite and the footprint measurement: the suite needs to know
//! exactly which writes were answered, so nothing here
//! retries a request on its own (except idempotent GETs on a connection the
//! host closed while it sat idle, as any browser would).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// How long a connect or an answer may take before the call counts as failed.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const READ_TIMEOUT: Duration = Duration::from_secs(60);

pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
    /// The `Retry-After` header, in seconds.
    pub retry_after: Option<u64>,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Result<serde_json::Value, String> {
        serde_json::from_slice(&self.body).map_err(|e| format!("not JSON ({e}): {}", self.text()))
    }

    /// The JSON body (null when empty) of an answer that must have `status`.
    pub fn expect(self, status: u16, what: &str) -> Result<serde_json::Value, String> {
        if self.status != status {
            return Err(format!("{what} answered {}: {}", self.status, self.text()));
        }
        if self.body.is_empty() {
            return Ok(serde_json::Value::Null);
        }
        serde_json::from_slice(&self.body).map_err(|e| format!("{what}: not JSON ({e}): {}", self.text()))
    }
}

/// One connection to `address` (`host:port`), opened on first use and
/// again after any failure.
pub struct Client {
    address: String,
    stream: Option<BufReader<TcpStream>>,
}

impl Client {
    pub fn new(address: &str) -> Client {
        Client { address: address.to_owned(), stream: None }
    }

    pub fn address(&self) -> &str {
        &self.address
    }

    pub fn get(&mut self, path: &str, token: Option<&str>) -> Result<Answer, String> {
        let reused = self.stream.is_some();
        match self.send("GET", path, token, None) {
            Err(_) if reused => self.send("GET", path, token, None),
            answer => answer,
        }
    }

    pub fn post(&mut self, path: &str, token: Option<&str>, body: Option<(&str, &[u8])>) -> Result<Answer, String> {
        self.send("POST", path, token, body)
    }

    pub fn post_json(&mut self, path: &str, token: Option<&str>, body: &serde_json::Value) -> Result<Answer, String> {
        self.post(path, token, Some(("application/json", body.to_string().as_bytes())))
    }

    /// One request; on any failure the connection is dropped.
    fn send(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, &[u8])>,
    ) -> Result<Answer, String> {
        let outcome = self.exchange(method, path, token, body);
        if outcome.is_err() {
            self.stream = None;
        }
        outcome.map_err(|e| format!("{method} {path}: {e}"))
    }

    fn exchange(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, &[u8])>,
    ) -> Result<Answer, String> {
        let stream = match &mut self.stream {
            Some(stream) => stream,
            None => self.stream.insert(BufReader::new(connect(&self.address)?)),
        };
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.address);
        if let Some(token) = token {
            head.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        let (content_type, bytes) = body.unwrap_or(("text/plain", &[]));
        if body.is_some() || method == "POST" {
            head.push_str(&format!("Content-Type: {content_type}\r\nContent-Length: {}\r\n", bytes.len()));
        }
        head.push_str("\r\n");
        let mut request = head.into_bytes();
        request.extend_from_slice(bytes);
        stream.get_mut().write_all(&request).map_err(|e| e.to_string())?;
        let (answer, close) = read_answer(stream)?;
        if close {
            self.stream = None;
        }
        Ok(answer)
    }
}

pub fn connect(address: &str) -> Result<TcpStream, String> {
    let socket: SocketAddr = address.parse().map_err(|e| format!("{address}: {e}"))?;
    let stream = TcpStream::connect_timeout(&socket, CONNECT_TIMEOUT).map_err(|e| format!("{address}: {e}"))?;
    stream.set_read_timeout(Some(READ_TIMEOUT)).map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    Ok(stream)
}

/// Reads one answer; also says whether the host will close the connection.
fn read_answer(stream: &mut BufReader<TcpStream>) -> Result<(Answer, bool), String> {
    let mut line = String::new();
    if stream.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
        return Err("the connection closed before an answer".into());
    }
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not an HTTP status line: {line:?}"))?;
    let (mut length, mut chunked, mut close, mut retry_after) = (None, false, false, None);
    loop {
        line.clear();
        stream.read_line(&mut line).map_err(|e| e.to_string())?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':').unwrap_or((header, ""));
        let (name, value) = (name.to_ascii_lowercase(), value.trim().to_ascii_lowercase());
        match name.as_str() {
            "content-length" => length = value.parse::<usize>().ok(),
            "transfer-encoding" => chunked = value.contains("chunked"),
            "connection" => close = value == "close",
            "retry-after" => retry_after = value.parse().ok(),
            _ => {}
        }
    }
    let body = if chunked {
        read_chunked(stream)?
    } else if let Some(length) = length {
        let mut body = vec![0; length];
        stream.read_exact(&mut body).map_err(|e| e.to_string())?;
        body
    } else if status == 204 || status == 304 {
        Vec::new()
    } else {
        close = true;
        let mut body = Vec::new();
        stream.read_to_end(&mut body).map_err(|e| e.to_string())?;
        body
    };
    Ok((Answer { status, body, retry_after }, close))
}

fn read_chunked(stream: &mut BufReader<TcpStream>) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        stream.read_line(&mut line).map_err(|e| e.to_string())?;
        let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
            .map_err(|_| format!("bad chunk size {line:?}"))?;
        let mut chunk = vec![0; size + 2]; // the chunk and its CRLF
        stream.read_exact(&mut chunk).map_err(|e| e.to_string())?;
        if size == 0 {
            return Ok(body);
        }
        body.extend_from_slice(&chunk[..size]);
    }
}

/// A multipart/form-data body of text fields and one file field.
pub fn multipart(fields: &[(&str, &str)], file: (&str, &str, &[u8])) -> (String, Vec<u8>) {
    let boundary = "onewindow-reliability-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    let (name, filename, bytes) = file;
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
