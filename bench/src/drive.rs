//! The load generator: keep-alive HTTP/1.1 connections, each sending its
//! next unit of work as soon as the last one is answered (a closed loop, as
//! wrk does), until a fixed number of units is done. Each unit's latency
//! goes into an HDR histogram (microseconds).
//!
//! A library rather than a tool: nothing to install, and a unit can be a
//! scripted sequence of calls (a whole application) with the tokens and ids
//! it needs, which a URL-list tool cannot express.

use std::net::SocketAddr;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, StatusCode, header};
use hyper_util::rt::TokioIo;

/// One connection to the host.
pub struct Conn {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

/// An answer: status and body.
pub struct Answer {
    pub status: StatusCode,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl Answer {
    /// The body as JSON (`Null` if it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_default()
    }

    /// `Ok(self)` if the status is `expected`, else what came instead.
    pub fn expect(self, expected: StatusCode, what: &str) -> Result<Answer, String> {
        if self.status == expected {
            Ok(self)
        } else {
            Err(format!(
                "{what} answered {} (expected {expected}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            ))
        }
    }
}

impl Conn {
    pub async fn open(address: SocketAddr) -> Result<Conn, String> {
        let stream = tokio::net::TcpStream::connect(address).await.map_err(|e| format!("connect {address}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| e.to_string())?;
        // Drives the connection's I/O; ends when the sender is dropped.
        tokio::spawn(connection);
        Ok(Conn { sender, host: address.to_string() })
    }

    /// Sends one request and reads the whole answer.
    pub async fn call(
        &mut self,
        method: Method,
        path: &str,
        token: Option<&str>,
        json: Option<&serde_json::Value>,
    ) -> Result<Answer, String> {
        let mut request = Request::builder().method(method).uri(path).header(header::HOST, &self.host);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = match json {
            Some(json) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Bytes::from(json.to_string())
            }
            None => Bytes::new(),
        };
        let request = request.body(Full::new(body)).map_err(|e| e.to_string())?;
        self.sender.ready().await.map_err(|e| format!("{path}: {e}"))?;
        let response = self.sender.send_request(request).await.map_err(|e| format!("{path}: {e}"))?;
        let (status, headers) = (response.status(), response.headers().clone());
        let body = response.into_body().collect().await.map_err(|e| format!("{path}: {e}"))?.to_bytes();
        Ok(Answer { status, headers, body })
    }
}

/// A unit of work: one call, or a sequence of them.
pub trait Unit: Send + Sync + 'static {
    /// Runs unit number `i`; answers how many requests it sent.
    fn run(&self, conn: &mut Conn, i: usize) -> impl Future<Output = Result<u64, String>> + Send;
}

/// What a run measured.
pub struct Outcome {
    pub units: u64,
    pub requests: u64,
    pub elapsed: Duration,
    /// Latency of each unit that succeeded, in microseconds.
    pub latency: Histogram<u64>,
    pub failures: u64,
    pub first_failure: Option<String>,
}

impl Outcome {
    /// Units per second, failed ones included (they took their time too).
    pub fn rate(&self) -> f64 {
        (self.units + self.failures) as f64 / self.elapsed.as_secs_f64()
    }
}

/// Runs units `range` over `connections` connections.
pub async fn run<U: Unit>(
    address: SocketAddr,
    unit: Arc<U>,
    range: Range<usize>,
    connections: usize,
) -> Result<Outcome, String> {
    // Connected before the clock starts.
    let mut conns = Vec::with_capacity(connections);
    for _ in 0..connections {
        conns.push(Conn::open(address).await?);
    }
    let next = Arc::new(AtomicUsize::new(range.start));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for mut conn in conns {
        let (unit, next, end) = (unit.clone(), next.clone(), range.end);
        tasks.spawn(async move {
            let mut outcome = Outcome {
                units: 0,
                requests: 0,
                elapsed: Duration::ZERO,
                latency: histogram(),
                failures: 0,
                first_failure: None,
            };
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= end {
                    break;
                }
                let sent = Instant::now();
                match unit.run(&mut conn, i).await {
                    Ok(requests) => {
                        let micros = sent.elapsed().as_micros() as u64;
                        outcome.latency.saturating_record(micros.max(1));
                        outcome.units += 1;
                        outcome.requests += requests;
                    }
                    Err(failure) => {
                        outcome.failures += 1;
                        outcome.first_failure.get_or_insert(failure);
                        // A broken connection is replaced; an error answer leaves it usable.
                        if conn.sender.is_closed() {
                            conn = match Conn::open(address).await {
                                Ok(conn) => conn,
                                Err(_) => break,
                            };
                        }
                    }
                }
            }
            outcome
        });
    }
    let mut total = Outcome {
        units: 0,
        requests: 0,
        elapsed: Duration::ZERO,
        latency: histogram(),
        failures: 0,
        first_failure: None,
    };
    while let Some(done) = tasks.join_next().await {
        let done = done.map_err(|e| format!("a connection's task failed: {e}"))?;
        total.units += done.units;
        total.requests += done.requests;
        total.failures += done.failures;
        total.latency.add(&done.latency).map_err(|e| e.to_string())?;
        if total.first_failure.is_none() {
            total.first_failure = done.first_failure;
        }
    }
    total.elapsed = started.elapsed();
    Ok(total)
}

/// 1 µs to 60 s, three significant digits.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}
