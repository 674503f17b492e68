//! Building HTTP responses: JSON bodies, results serialized once (plain, or
//! gzip from a text deflated once: [`GzipCache`]), JSON-RPC errors outside a
//! session, and Server-Sent Events streams fed by a session's
//! [`StreamHub`](crate::mcp::stream::StreamHub) subscriber channel.

use std::convert::Infallible;
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use futures::StreamExt;
use rmcp::model::RequestId;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_stream::wrappers::UnboundedReceiverStream;
use warp::http::{HeaderValue, StatusCode};
use warp::reply::Response;
use warp::Reply;

use super::gzip::{self, Deflated};
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

/// The deflated text of each result serialized once (`tools/list`'s first
/// page), kept for the server's life. A text is deflated (a few
/// milliseconds) on its first gzip answer or by [`prepare`](Self::prepare),
/// which `serve` calls off the accept path as it starts; a transport that
/// never compresses (stdio) never pays for it.
#[derive(Default)]
pub struct GzipCache {
    /// Each result (held, so its address stays its own) and its deflated
    /// text once made. A server has one or two such results.
    entries: Mutex<Vec<(Arc<CachedResult>, DeflatedSlot)>>,
}

/// A result's deflated text, empty until first needed.
type DeflatedSlot = Arc<OnceLock<Deflated>>;

impl GzipCache {
    /// The slot of `result`'s deflated text (empty until deflated).
    fn slot(&self, result: &Arc<CachedResult>) -> DeflatedSlot {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, slot)) = entries
            .iter()
            .find(|(cached, _)| Arc::ptr_eq(cached, result))
        {
            return Arc::clone(slot);
        }
        let slot = Arc::new(OnceLock::new());
        entries.push((Arc::clone(result), Arc::clone(&slot)));
        slot
    }

    /// Deflates `result`'s text now (once), so its first gzip answer does
    /// not wait for it.
    pub fn prepare(&self, result: &Arc<CachedResult>) {
        self.slot(result)
            .get_or_init(|| Deflated::new(result.text().as_bytes()));
    }

    /// The whole response to request `id`, as one gzip member: the envelope
    /// in stored blocks around the text deflated once.
    pub fn response(&self, id: &RequestId, result: &Arc<CachedResult>) -> Vec<u8> {
        let slot = self.slot(result);
        let (prefix, text, suffix) = result.response_parts(id);
        let deflated = slot.get_or_init(|| Deflated::new(text.as_bytes()));
        gzip::splice(prefix.as_bytes(), deflated, suffix.as_bytes())
    }
}

/// The response to request `id` whose result was serialized once: gzip from
/// `gzip` when the client accepts it (~90 KB of tool schemas become ~14 KB),
/// else the text as is.
pub fn cached(id: &RequestId, result: &Arc<CachedResult>, gzip: Option<&GzipCache>) -> Response {
    let mut response = if let Some(cache) = gzip {
        let mut response = Response::new(cache.response(id, result).into());
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The cached answer deflates only when a gzip answer is first wanted
    /// (stdio never compresses), once, and the compressed and plain answers
    /// carry the same text for each id.
    #[test]
    fn a_cached_result_deflates_on_first_use() {
        use std::io::Read as _;
        let cached = Arc::new(CachedResult::new(
            r#"{"tools":[{"name":"ping"}]}"#.repeat(50),
        ));
        let cache = GzipCache::default();
        let id = RequestId::Number(7);
        let plain = cached.response_text(&id);
        assert!(
            cache.slot(&cached).get().is_none(),
            "deflated before any use"
        );
        for _ in 0..2 {
            let mut inflated = String::new();
            flate2::read::GzDecoder::new(cache.response(&id, &cached).as_slice())
                .read_to_string(&mut inflated)
                .expect("one valid gzip member");
            assert_eq!(inflated, plain);
            assert!(cache.slot(&cached).get().is_some());
        }
        let entries = cache.entries.lock().expect("not poisoned").len();
        assert_eq!(entries, 1, "one deflated text per result");
        assert!(plain.starts_with(r#"{"jsonrpc":"2.0","id":7,"result":{"tools""#));
    }
}
