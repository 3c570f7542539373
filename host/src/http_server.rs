//! Serves the API over HTTP/1.1 and HTTP/2 so that slow or abusive clients
//! cannot hold the host: every connection must send its request header in
//! time, bodies must keep arriving, requests have a deadline, connections
//! and requests in flight are capped, and shutdown waits only a bounded
//! grace period. Settings: [`HttpConfig`].
//!
//! Past `max_connections` a new connection is closed as soon as it is
//! accepted (the client sees it close or reset): leaving it in the kernel's
//! backlog would make clients wait behind a slowloris for up to the header
//! timeout, while a closed connection is retried at once or elsewhere.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::error_handling::HandleErrorLayer;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tower::{BoxError, Layer, Service, ServiceBuilder};
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutBody};

use crate::api::Problem;
use crate::config::HttpConfig;

/// Serves `router` on `listener` until `shutdown` completes; then stops
/// accepting, lets requests in flight finish for up to the grace period and
/// closes whatever is still open.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    config: HttpConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let header_read_timeout = millis(config.header_read_timeout_ms);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(header_read_timeout);
    builder.http2().timer(TokioTimer::new());

    let in_flight = Arc::new(Semaphore::new(config.max_requests_in_flight as usize));
    let open_connections = Arc::new(Semaphore::new(config.max_connections as usize));
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut refusing = false;
    tokio::pin!(shutdown);

    loop {
        let (stream, peer) = tokio::select! {
            // Shutdown first: once asked, not one more connection.
            biased;
            () = &mut shutdown => break,
            // Reaps finished connections so the set holds only open ones.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    wait_after_accept_error(error).await;
                    continue;
                }
            },
        };
        let Ok(permit) = open_connections.clone().try_acquire_owned() else {
            if !refusing {
                tracing::warn!(max = config.max_connections, "connection limit reached: closing new connections");
                refusing = true;
            }
            drop(stream);
            continue;
        };
        if refusing {
            tracing::info!("below the connection limit again: accepting connections");
            refusing = false;
        }
        let first_request = Arc::new(Notify::new());
        // The peer address is kept for the sign-in throttle.
        let router = Extension(ConnectInfo(peer)).layer(router.clone());
        let service = request_stack(router, &config, in_flight.clone(), first_request.clone());
        let connection = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection.into_owned());
        connections.spawn(drive(connection, first_request, header_read_timeout, permit));
    }

    drop(listener);
    let open = graceful.count();
    tracing::info!(open, "stopped accepting; waiting for requests in flight");
    let grace = millis(config.shutdown_grace_ms);
    if tokio::time::timeout(grace, graceful.shutdown()).await.is_err() {
        tracing::warn!(open = connections.len(), "grace period over: closing the connections still open");
    }
    connections.shutdown().await;
}

/// The layers every request passes, outermost first. Errors of the limits
/// become problem documents; the router's own answers pass unchanged.
fn request_stack<B, S>(
    router: S,
    config: &HttpConfig,
    in_flight: Arc<Semaphore>,
    first_request: Arc<Notify>,
) -> impl Service<
    Request<B>,
    Response = Response,
    Error = Infallible,
    Future = impl Future<Output = Result<Response, Infallible>> + Send + 'static,
> + Clone
+ Send
+ 'static
where
    B: Send + 'static,
    S: Service<Request<TimeoutBody<B>>, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    ServiceBuilder::new()
        .map_request(move |request: Request<B>| {
            // A whole header has arrived: the connection is past its
            // first-request deadline (see `drive`).
            first_request.notify_one();
            request
        })
        .layer(HandleErrorLayer::new(limit_problem))
        .load_shed()
        .layer(tower::limit::GlobalConcurrencyLimitLayer::with_semaphore(in_flight))
        .timeout(millis(config.request_timeout_ms))
        .layer(RequestBodyTimeoutLayer::new(millis(config.body_read_timeout_ms)))
        .service(router)
}

/// Drives one connection to its end. hyper's header timeout starts only
/// once the protocol is known; a client that sends nothing (or a fragment
/// of the HTTP/2 preface) would hold the connection for ever, so the first
/// request's header must arrive within the same timeout.
async fn drive<C>(
    connection: C,
    first_request: Arc<Notify>,
    header_read_timeout: Duration,
    permit: OwnedSemaphorePermit,
) where
    C: Future<Output = Result<(), BoxError>>,
{
    tokio::pin!(connection);
    let outcome = tokio::select! {
        outcome = &mut connection => Some(outcome),
        () = first_request.notified() => None,
        () = tokio::time::sleep(header_read_timeout) => {
            tracing::debug!("closing a connection that sent no request header in time");
            Some(Ok(()))
        }
    };
    let outcome = match outcome {
        Some(outcome) => outcome,
        None => connection.await,
    };
    if let Err(error) = outcome {
        tracing::debug!("connection ended: {error}");
    }
    // Frees the slot before the socket is dropped, so a client that sees
    // this connection close can count on a place for its next one.
    drop(permit);
}

/// Answers a request the limits stopped: over the in-flight cap, or past
/// the request deadline.
async fn limit_problem(method: Method, uri: Uri, error: BoxError) -> Response {
    let request_id = uuid::Uuid::now_v7().to_string();
    let (status, slug, title, detail) = if error.is::<tower::load_shed::error::Overloaded>() {
        tracing::warn!(%request_id, %method, path = uri.path(), "too many requests in flight: answered 503");
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "service-busy",
            "Service busy",
            "the host is handling as many requests as it can; try again shortly",
        )
    } else if error.is::<tower::timeout::error::Elapsed>() {
        tracing::warn!(%request_id, %method, path = uri.path(), "request took too long: answered 503");
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "request-timeout",
            "Request took too long",
            "the request was not answered in time and was abandoned; anything it had not committed was not done",
        )
    } else {
        tracing::error!(%request_id, %method, path = uri.path(), "request failed in the HTTP layers: {error}");
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "something went wrong on our side; quote the request id when you report it",
        )
    };
    let problem = Problem {
        kind: format!("urn:onewindow:problem:{slug}"),
        title: title.to_owned(),
        status: status.as_u16(),
        detail: detail.to_owned(),
        request_id: request_id.clone(),
        errors: Vec::new(),
    };
    let body = serde_json::to_vec(&problem).expect("a problem always serialises");
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    headers.insert("x-request-id", HeaderValue::from_str(&request_id).expect("a UUID is a valid header value"));
    if slug == "service-busy" {
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

/// Pauses after an accept error that is not one client's: out of file
/// descriptors, say, retrying at once would spin (as hyper and axum do).
async fn wait_after_accept_error(error: io::Error) {
    if matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!("accept error: {error}");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

fn millis(value: u32) -> Duration {
    Duration::from_millis(u64::from(value))
}
