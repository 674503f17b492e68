//! Building HTTP responses: JSON bodies, JSON-RPC errors outside a
//! session, and Server-Sent Events streams fed by a session's
//! [`StreamHub`](crate::mcp::stream::StreamHub) subscriber channel.

use std::convert::Infallible;

use bytes::Bytes;
use futures::StreamExt;
use rmcp::model::RequestId;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_stream::wrappers::UnboundedReceiverStream;
use warp::http::{HeaderValue, StatusCode};
use warp::reply::Response;
use warp::Reply;

use crate::mcp::jsonrpc::CachedResult;
use crate::mcp::stream::StreamEvent;

/// A JSON body with `status`.
pub fn json(status: StatusCode, body: &Value) -> Response {
    warp::reply::with_status(warp::reply::json(body), status).into_response()
}

/// A JSON body already serialized (a JSON-RPC message), status 200.
pub fn json_text(text: &str) -> Response {
    let mut response = Response::new(Bytes::copy_from_slice(text.as_bytes()).into());
    response.headers_mut().insert(
        warp::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The response to request `id` whose result was serialized once: gzip
/// when the client accepts it (~90 KB of tool schemas become ~14 KB), else
/// the text as is.
pub fn cached(id: &RequestId, result: &CachedResult, gzip: bool) -> Response {
    let mut response = if gzip {
        let mut response = Response::new(result.response_gzip(id).into());
        response.headers_mut().insert(
            warp::http::header::CONTENT_ENCODING,
            HeaderValue::from_static("gzip"),
        );
        response
    } else {
        Response::new(result.response_text(id).into())
    };
    let headers = response.headers_mut();
    headers.insert(
        warp::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        warp::http::header::VARY,
        HeaderValue::from_static("accept-encoding"),
    );
    response
}

/// A JSON-RPC error response with a null id, for failures before a message
/// could be handled (HTTP-level problems on MCP endpoints).
pub fn rpc_error(status: StatusCode, code: i32, message: &str) -> Response {
    json(
        status,
        &json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": message}}),
    )
}

/// `{"error": message}` with `status`, for non-MCP routes.
pub fn plain_error(status: StatusCode, message: &str) -> Response {
    json(status, &json!({"error": message}))
}

/// An empty response.
pub fn empty(status: StatusCode) -> Response {
    warp::reply::with_status(warp::reply(), status).into_response()
}

/// Adds a header; values built from our own data are always valid, and an
/// invalid one is skipped rather than failing the response.
pub fn with_header(mut response: Response, name: &'static str, value: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
    response
}

/// One SSE frame for an event.
fn frame(event: StreamEvent) -> Result<Bytes, Infallible> {
    Ok(match event {
        StreamEvent::Message { id, data } => {
            Bytes::from(format!("event: message\nid: {id}\ndata: {data}\n\n"))
        }
        StreamEvent::KeepAlive => Bytes::from_static(b": keep-alive\n\n"),
    })
}

/// An event stream: `first` (a priming event or the legacy `endpoint`
/// event) and then every event sent on `events` until its sender is gone.
pub fn sse(first: Option<String>, events: mpsc::UnboundedReceiver<StreamEvent>) -> Response {
    let head = futures::stream::iter(first.map(|text| Ok::<Bytes, Infallible>(Bytes::from(text))));
    let body = head.chain(
        UnboundedReceiverStream::new(events)
            .map(frame as fn(StreamEvent) -> Result<Bytes, Infallible>),
    );
    let mut response = warp::reply::stream(body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        "content-type",
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert("cache-control", HeaderValue::from_static("no-cache"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

/// A priming event (SEP-1699): an id to resume from and the reconnection
/// delay, with empty data.
pub fn priming(event_id: &str, retry_ms: u64) -> String {
    format!("id: {event_id}\nretry: {retry_ms}\ndata: \n\n")
}
