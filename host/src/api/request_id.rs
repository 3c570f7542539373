//! Every request gets an id (a UUIDv7, generated here: an id sent by the
//! client is not trusted for logs). It is returned in `x-request-id`, put in
//! every problem document, passed to plugins and attached to every log line
//! of the request.

use std::time::Instant;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use super::problem;

/// The current request's id, available as a request extension.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Assigns the id, logs the request, and fills problem documents in.
pub async fn middleware(mut request: Request, next: Next) -> Response {
    let id = uuid::Uuid::now_v7().to_string();
    request.extensions_mut().insert(RequestId(id.clone()));
    let span =
        tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path());
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    problem::render(&mut response, &id);
    response.headers_mut().insert("x-request-id", HeaderValue::from_str(&id).expect("a UUID is a valid header value"));
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "answered"
        )
    });
    response
}
