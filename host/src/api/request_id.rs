//! Every request gets an id (a UUIDv7, generated here: an id sent by the
//! client is not trusted for logs). It is returned in `x-request-id`, put in
//! every problem document, passed to plugins and attached to every log line
//! of the request (a field of its span, see [`trace_layer`]).

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tower_http::LatencyUnit;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tracing::{Level, Span};

use super::problem;

/// The current request's id, available as a request extension.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Assigns the id and fills problem documents in. Runs outside
/// [`trace_layer`], which reads the id for its span.
pub async fn middleware(mut request: Request, next: Next) -> Response {
    let id = uuid::Uuid::now_v7().to_string();
    request.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(request).await;
    problem::render(&mut response, &id);
    response.headers_mut().insert("x-request-id", HeaderValue::from_str(&id).expect("a UUID is a valid header value"));
    response
}

/// The span of every request, with its id, method and path: every line
/// logged while handling it carries them. The per-request lines (answered,
/// failed with a 5xx) are DEBUG: at full load a line per request costs
/// throughput, and failures worth a look are logged where they happen.
pub type Trace = TraceLayer<
    SharedClassifier<ServerErrorsAsFailures>,
    fn(&Request) -> Span,
    (),
    DefaultOnResponse,
    (),
    (),
    DefaultOnFailure,
>;

/// See [`Trace`].
pub fn trace_layer() -> Trace {
    TraceLayer::new_for_http()
        .make_span_with(request_span as fn(&Request) -> Span)
        .on_request(())
        .on_response(DefaultOnResponse::new().level(Level::DEBUG).latency_unit(LatencyUnit::Micros))
        .on_body_chunk(())
        .on_eos(())
        .on_failure(DefaultOnFailure::new().level(Level::DEBUG).latency_unit(LatencyUnit::Micros))
}

fn request_span(request: &Request) -> Span {
    let id = request.extensions().get::<RequestId>().map_or("", |id| id.0.as_str());
    tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path())
}
