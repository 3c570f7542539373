//! HTTP serving under slow and abusive clients: a slowloris is cut off while
//! others are served, the connection and in-flight limits refuse rather than
//! queue, slow requests and bodies time out with a problem, and shutdown
//! waits for requests in flight only for its grace period.
//!
//! These speak raw HTTP/1.1 over TCP, to send half a request. Serving does
//! not touch the database, so they run on SQLite only.

use std::net::SocketAddr;
use std::time::Duration;

use onewindow::config::HttpConfig;
use onewindow_tests::{Answer, Backend, Options, TestApp};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Failsafe for waits that should end in well under a second: a hung test
/// fails instead of hanging the run.
const FAILSAFE: Duration = Duration::from_secs(60);

/// A sign-in body: the account does not exist, so the answer is a 401.
const SIGN_IN_BODY: &str = r#"{"username": "nobody-here", "password": "not the password"}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowloris_is_cut_off_while_others_are_served() {
    let http = HttpConfig { header_read_timeout_ms: 1_000, ..HttpConfig::default() };
    let app = spawn(http).await;
    let address = address(&app);

    // Half send a fragment of a header, half send nothing at all.
    let mut slow = Vec::new();
    for i in 0..50 {
        let mut stream = TcpStream::connect(address).await.unwrap();
        if i % 2 == 0 {
            stream.write_all(b"GET /api/v1/healthz HTTP/1.1\r\nHost: onewindow\r\nX-Slow: ").await.unwrap();
        }
        slow.push(stream);
    }

    let health = app.client.get("/api/v1/healthz", None).await;
    assert_eq!(health.status, 200, "{}", health.body);

    for (i, stream) in slow.iter_mut().enumerate() {
        let unanswered = read_until_closed(stream).await;
        assert!(unanswered.is_empty(), "slow connection {i} got {:?}", String::from_utf8_lossy(&unanswered));
    }
    // The host is no worse for it.
    assert_eq!(app.client.get("/api/v1/healthz", None).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_connection_limit_a_new_connection_is_closed_until_one_ends() {
    let http = HttpConfig { max_connections: 4, header_read_timeout_ms: 600_000, ..HttpConfig::default() };
    let app = spawn(http).await;
    let address = address(&app);

    let mut held = Vec::new();
    for _ in 0..4 {
        let mut stream = TcpStream::connect(address).await.unwrap();
        let answer = exchange(&mut stream, &get_health()).await.expect("within the limit, answered");
        assert_eq!(answer.status, 200);
        held.push(stream);
    }

    let mut fifth = TcpStream::connect(address).await.unwrap();
    // The write may already fail: the host may have closed it first.
    let _ = fifth.write_all(get_health().as_bytes()).await;
    let unanswered = read_until_closed(&mut fifth).await;
    assert!(unanswered.is_empty(), "the fifth connection got {:?}", String::from_utf8_lossy(&unanswered));

    // One of the four hangs up; once the host has closed its side, a new
    // connection is served.
    let mut leaving = held.remove(0);
    leaving.shutdown().await.unwrap();
    assert!(read_until_closed(&mut leaving).await.is_empty());
    let answer = poll(move || async move {
        let mut stream = TcpStream::connect(address).await.ok()?;
        exchange(&mut stream, &get_health()).await
    })
    .await;
    assert_eq!(answer.status, 200);

    // The three still open were kept and still serve.
    for stream in &mut held {
        let answer = exchange(stream, &get_health()).await.expect("a held connection still serves");
        assert_eq!(answer.status, 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_in_flight_limit_a_request_gets_503_at_once() {
    let http = HttpConfig { max_requests_in_flight: 1, ..HttpConfig::default() };
    let app = spawn(http).await;
    let address = address(&app);

    let mut in_flight = start_sign_in(address).await;
    let busy = app.client.get("/api/v1/healthz", None).await;
    busy.assert_problem(503, "service-busy");
    assert_eq!(busy.header("retry-after"), Some("1"));

    in_flight.write_all(SIGN_IN_BODY.as_bytes()).await.unwrap();
    read_answer(&mut in_flight).await.expect("the request in flight is answered").assert_problem(401, "unauthorized");
    // Its slot is free again.
    assert_eq!(app.client.get("/api/v1/healthz", None).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_past_its_deadline_gets_a_503_problem() {
    // The deadline must exceed the plugins' maximum, itself at least the
    // first-party services' own deadlines (2 s).
    let http = HttpConfig { request_timeout_ms: 2_500, body_read_timeout_ms: 600_000, ..HttpConfig::default() };
    let app = spawn_with(http, Some(2_000)).await;
    let address = address(&app);

    // The header arrives, the body never does; only the deadline ends it.
    let mut stalled = start_sign_in(address).await;
    let answer = read_answer(&mut stalled).await.expect("an answer at the deadline");
    let detail = answer.assert_problem(503, "request-timeout");
    assert!(detail.contains("not answered in time"), "{detail}");
    assert_eq!(answer.header("retry-after"), None, "a timeout is not a momentary overload");

    assert_eq!(app.client.get("/api/v1/healthz", None).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stops_arriving_fails_the_request() {
    let http = HttpConfig { body_read_timeout_ms: 1_000, ..HttpConfig::default() };
    let app = spawn(http).await;
    let address = address(&app);

    let mut trickling = start_sign_in(address).await;
    trickling.write_all(&SIGN_IN_BODY.as_bytes()[..10]).await.unwrap();
    let answer = read_answer(&mut trickling).await.expect("an answer once the body stalls");
    let detail = answer.assert_problem(400, "bad-request");
    assert!(detail.contains("request body"), "{detail}");

    assert_eq!(app.client.get("/api/v1/healthz", None).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_requests_in_flight_and_closes_the_rest_after_the_grace_period() {
    let http = HttpConfig {
        shutdown_grace_ms: 1_000,
        body_read_timeout_ms: 600_000,
        request_timeout_ms: 600_000,
        ..HttpConfig::default()
    };
    let mut app = spawn(http).await;
    let address = address(&app);

    let mut finishing = start_sign_in(address).await;
    let mut stalling = start_sign_in(address).await;
    let server = app.shut_down();
    // The host stops accepting ...
    poll(move || async move { TcpStream::connect(address).await.err() }).await;

    // ... answers the request that completes ...
    finishing.write_all(SIGN_IN_BODY.as_bytes()).await.unwrap();
    let answer = read_answer(&mut finishing).await.expect("a request in flight is finished");
    answer.assert_problem(401, "unauthorized");
    assert_eq!(answer.header("connection"), Some("close"));

    // ... and, the grace period over, closes the one that never does, and stops.
    let unanswered = read_until_closed(&mut stalling).await;
    assert!(unanswered.is_empty(), "{:?}", String::from_utf8_lossy(&unanswered));
    tokio::time::timeout(FAILSAFE, server).await.expect("the server stops").expect("the server task ends cleanly");
}

async fn spawn(http: HttpConfig) -> TestApp {
    spawn_with(http, None).await
}

async fn spawn_with(http: HttpConfig, max_timeout_ms: Option<u32>) -> TestApp {
    TestApp::spawn_with(Backend::Sqlite, Options { http: Some(http), max_timeout_ms, ..Options::default() }).await
}

fn address(app: &TestApp) -> SocketAddr {
    app.client.base.trim_start_matches("http://").parse().expect("the host's address")
}

fn get_health() -> String {
    "GET /api/v1/healthz HTTP/1.1\r\nHost: onewindow\r\n\r\n".to_owned()
}

/// Opens a sign-in whose body is still to come, and waits until the host
/// is reading it (`100 Continue`): from then on the request is in flight.
async fn start_sign_in(address: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let header = format!(
        "POST /api/v1/auth/sign-in HTTP/1.1\r\nHost: onewindow\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        SIGN_IN_BODY.len()
    );
    stream.write_all(header.as_bytes()).await.unwrap();
    let interim = read_answer(&mut stream).await.expect("the host asks for the body");
    assert_eq!(interim.status, 100, "{:?}", interim.body);
    stream
}

/// Sends a request and reads its answer; `None` if the host closed the
/// connection instead.
async fn exchange(stream: &mut TcpStream, request: &str) -> Option<Answer> {
    stream.write_all(request.as_bytes()).await.ok()?;
    read_answer(stream).await
}

/// Reads one answer (status line, headers, a `Content-Length` body); `None`
/// if the connection closes before a whole header arrives.
async fn read_answer(stream: &mut TcpStream) -> Option<Answer> {
    let mut buffer = Vec::new();
    let header_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let mut chunk = [0u8; 1024];
        match tokio::time::timeout(FAILSAFE, stream.read(&mut chunk)).await.expect("the host answers or closes") {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8(buffer[..header_end].to_vec()).expect("an ASCII header");
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().expect("a status code");
    let mut headers = HeaderMap::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':').expect("a header line");
        headers.append(
            HeaderName::from_bytes(name.trim().as_bytes()).unwrap(),
            HeaderValue::from_str(value.trim()).unwrap(),
        );
    }
    let length: usize = headers.get("content-length").map(|v| v.to_str().unwrap().parse().unwrap()).unwrap_or_default();
    let mut body = buffer[header_end..].to_vec();
    while body.len() < length {
        let mut chunk = vec![0u8; length - body.len()];
        let n = tokio::time::timeout(FAILSAFE, stream.read(&mut chunk)).await.expect("the body arrives").ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let body = serde_json::from_slice(&body)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&body).into_owned()));
    Some(Answer { status, headers, body })
}

/// Reads until the host closes the connection (or resets it); returns what
/// arrived before.
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        match tokio::time::timeout(FAILSAFE, stream.read(&mut chunk)).await.expect("the host closes the connection") {
            Ok(0) | Err(_) => return received,
            Ok(n) => received.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Retries `attempt` until it gives a value: for a condition the host
/// reaches on its own task, with nothing to wait on but its effect.
async fn poll<T, F, Fut>(mut attempt: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + FAILSAFE;
    loop {
        if let Some(value) = attempt().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "the condition never came");
        // A pause between attempts, not an ordering: the loop ends on what it observes.
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
