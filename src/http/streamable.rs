//! Streamable HTTP (spec 2025-03-26 and later) at `/mcp`: `POST` carries
//! one JSON-RPC message (a JSON reply, an SSE stream for `tools/call` when
//! the client accepts one, 202 for notifications and responses), `GET`
//! opens or resumes a server-to-client event stream, `DELETE` ends the
//! session.

use std::sync::Arc;

use bytes::Bytes;
use rmcp::model::{ErrorData, RequestId};
use serde_json::Value;
use tokio::sync::mpsc;
use warp::http::{HeaderMap, StatusCode};
use warp::reply::Response;

use super::reply;
use super::{AppState, RequestInfo};
use crate::mcp::jsonrpc::{self, code, Message, Outgoing};
use crate::mcp::session::{Lifetime, Session};
use crate::mcp::stream::{EventId, HubSink, Outbound, StreamEvent};
use crate::mcp::SUPPORTED_VERSIONS;

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

fn accepts(headers: &HeaderMap, media: &str) -> bool {
    header(headers, "accept").is_some_and(|accept| accept.to_ascii_lowercase().contains(media))
}

/// Whether the client takes gzip bodies (every `Accept-Encoding` line read
/// as one list).
pub(super) fn accepts_gzip(headers: &HeaderMap) -> bool {
    let lines: Vec<&str> = headers
        .get_all("accept-encoding")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    super::gzip::accepts_gzip(&lines.join(","))
}

/// An HTTP-level refusal of a message: status and JSON-RPC error.
struct Refusal {
    status: StatusCode,
    error: ErrorData,
}

impl Refusal {
    fn new(status: StatusCode, message: String) -> Refusal {
        Refusal {
            status,
            error: jsonrpc::error(code::INVALID_REQUEST, message),
        }
    }

    /// The response, answering request `id` when there is one.
    fn response(&self, id: Option<&RequestId>) -> Response {
        reply::json(self.status, &jsonrpc::error_response(id, &self.error))
    }
}

/// Rejects an unsupported `MCP-Protocol-Version` (absent means 2025-03-26).
fn check_version(headers: &HeaderMap) -> Result<(), Refusal> {
    match header(headers, "mcp-protocol-version") {
        Some(version) if !SUPPORTED_VERSIONS.contains(&version.trim()) => Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            format!(
                "bad request: unsupported MCP-Protocol-Version {version:?}; supported: {}",
                SUPPORTED_VERSIONS.join(", ")
            ),
        )),
        _ => Ok(()),
    }
}

/// The session named by `Mcp-Session-Id`: 400 without one, 404 when unknown
/// or expired (the client must initialize again).
/// The session a request names, when the request's credential opened it
/// (another credential gets the same 404 as an unknown id).
fn session(
    state: &AppState,
    headers: &HeaderMap,
    principal: Option<&str>,
) -> Result<Arc<Session>, Refusal> {
    let Some(id) = header(headers, "mcp-session-id") else {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "bad request: the Mcp-Session-Id header is required (send initialize first to get one)"
                .into(),
        ));
    };
    match state.sessions.get(id.trim()) {
        Some(session)
            if session.lifetime == Lifetime::Independent && session.admits(principal) =>
        {
            Ok(session)
        }
        _ => Err(Refusal::new(
            StatusCode::NOT_FOUND,
            "session not found: it expired, was ended, or the server that held it stopped; send initialize to start a new session".into(),
        )),
    }
}

/// The id of a request, for error responses.
fn request_id(message: &Message) -> Option<&RequestId> {
    match message {
        Message::Request(request) => Some(&request.id),
        _ => None,
    }
}

/// One JSON-RPC message from a `POST /mcp` body, described in the request
/// log; a body that is not one is answered 400 with the JSON-RPC error.
pub(super) fn decode(body: &Bytes, info: &mut RequestInfo) -> Result<Message, Box<Response>> {
    let message = jsonrpc::decode(body)
        .and_then(jsonrpc::classify)
        .map_err(|rejected| {
            Box::new(reply::json(
                StatusCode::BAD_REQUEST,
                &jsonrpc::error_response(rejected.id.as_ref(), &rejected.error),
            ))
        })?;
    info.describe(&message);
    Ok(message)
}

/// The answer forms a `POST /mcp` client takes.
pub(super) struct Media {
    /// A plain JSON body (`application/json`, or `*/*`, or no `Accept`).
    pub json: bool,
    /// An event stream (`text/event-stream`).
    pub sse: bool,
}

/// Why a `POST /mcp` is refused before its body is read.
pub(super) enum MediaRefusal {
    /// 406: the client takes neither JSON nor an event stream.
    NotAcceptable,
    /// 415: the body is not said to be JSON.
    UnsupportedType,
}

impl MediaRefusal {
    pub(super) fn response(self) -> Response {
        match self {
            MediaRefusal::NotAcceptable => reply::rpc_error(
                StatusCode::NOT_ACCEPTABLE,
                code::INVALID_REQUEST.0,
                "not acceptable: the Accept header must include application/json and text/event-stream",
            ),
            MediaRefusal::UnsupportedType => reply::rpc_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                code::INVALID_REQUEST.0,
                "unsupported media type: send Content-Type: application/json",
            ),
        }
    }
}

/// What every `POST /mcp` must pass before its body is read, whatever its
/// revision: an `Accept` the server can answer (else 406) and a JSON
/// `Content-Type` when one is given (else 415).
pub(super) fn check_media(headers: &HeaderMap) -> Result<Media, MediaRefusal> {
    let accept_any = header(headers, "accept").is_none_or(|accept| accept.contains("*/*"));
    let media = Media {
        json: accept_any || accepts(headers, "application/json"),
        sse: accepts(headers, "text/event-stream"),
    };
    if !(media.json || media.sse) {
        return Err(MediaRefusal::NotAcceptable);
    }
    let json_body = header(headers, "content-type").is_none_or(|content_type| {
        content_type
            .to_ascii_lowercase()
            .starts_with("application/json")
    });
    if !json_body {
        return Err(MediaRefusal::UnsupportedType);
    }
    Ok(media)
}

/// `POST /mcp`.
pub async fn post(
    state: &AppState,
    headers: &HeaderMap,
    body: Bytes,
    info: &mut RequestInfo,
) -> Response {
    let Media {
        json: accepts_json,
        sse: accepts_sse,
    } = match check_media(headers) {
        Ok(media) => media,
        Err(refusal) => return refusal.response(),
    };
    let message = match decode(&body, info) {
        Ok(message) => message,
        Err(refusal) => return *refusal,
    };
    let is_initialize =
        message.method() == Some("initialize") && matches!(message, Message::Request(_));
    let session = if is_initialize {
        if headers.contains_key("mcp-session-id") {
            return reply::rpc_error(
                StatusCode::BAD_REQUEST,
                code::INVALID_REQUEST.0,
                "bad request: initialize starts a new session; send it without Mcp-Session-Id",
            );
        }
        match state.sessions.create(Lifetime::Independent) {
            Ok(session) => {
                session.set_principal(info.principal.clone());
                session
            }
            Err(error) => {
                return reply::rpc_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    code::INTERNAL_ERROR.0,
                    &error.to_string(),
                )
            }
        }
    } else {
        if let Err(refusal) = check_version(headers) {
            return refusal.response(request_id(&message));
        }
        match session(state, headers, info.principal.as_deref()) {
            Ok(session) => session,
            Err(refusal) => return refusal.response(request_id(&message)),
        }
    };
    let standalone: Outbound = Arc::new(HubSink {
        hub: Arc::clone(&session.streams),
        stream: 0,
    });
    let Message::Request(_) = &message else {
        // Notifications and the client's replies are quick: handle, then 202.
        state.mcp.handle(&session, message, standalone).await;
        return reply::empty(StatusCode::ACCEPTED);
    };
    let stream_reply = accepts_sse && (!accepts_json || message.method() == Some("tools/call"));
    if stream_reply {
        let (done, answered) = tokio::sync::oneshot::channel();
        info.answered = Some(answered);
        let response = post_stream(state, Arc::clone(&session), message, done, accepts_json).await;
        if is_initialize {
            return reply::with_header(response, "mcp-session-id", &session.id);
        }
        return response;
    }
    let response = state
        .mcp
        .handle_encoded(&session, message, standalone)
        .await;
    let body = match response {
        Some(Outgoing::Cached { id, result }) => {
            let gzip = accepts_gzip(headers).then_some(&state.gzip);
            return reply::cached(&id, &result, gzip);
        }
        Some(Outgoing::Value(value)) => value,
        None => Value::Null,
    };
    if is_initialize {
        if body.get("error").is_some() {
            state.sessions.remove(&session.id);
            return reply::json(StatusCode::OK, &body);
        }
        return reply::with_header(
            reply::json(StatusCode::OK, &body),
            "mcp-session-id",
            &session.id,
        );
    }
    reply::json(StatusCode::OK, &body)
}

/// Answers a request on its own event stream: notifications and
/// server-to-client requests of the call first, then the response. The call
/// runs in a task, so a dropped connection does not cancel it; the client
/// can resume the stream with `Last-Event-ID`.
///
/// A call answered within `QUICK_CALL` with nothing but its response goes
/// back as a plain JSON body when the client takes one (`json_ok`): the
/// same message without a priming event, event ids or chunked framing, and
/// nothing kept for a resume that cannot happen.
///
/// `done` is dropped when the answer has been sent (the access log waits
/// for it).
async fn post_stream(
    state: &AppState,
    session: Arc<Session>,
    message: Message,
    done: tokio::sync::oneshot::Sender<()>,
    json_ok: bool,
) -> Response {
    let hub = Arc::clone(&session.streams);
    let stream = hub.open();
    let (sender, mut receiver) = mpsc::unbounded_channel();
    hub.attach(stream, None, sender);
    let sink: Outbound = Arc::new(HubSink {
        hub: Arc::clone(&hub),
        stream,
    });
    let first = primes(&session).then(|| {
        reply::priming(
            &EventId {
                stream,
                sequence: 0,
            }
            .render(),
            state.config.sse_retry_ms,
        )
    });
    let mcp = state.mcp.clone();
    let task_session = Arc::clone(&session);
    let mut call = Box::pin(async move {
        let started = std::time::Instant::now();
        let response = mcp.handle(&task_session, message, Arc::clone(&sink)).await;
        if let Some(response) = response {
            sink.send(response);
        }
        hub.finish(stream);
        drop(done);
        log::debug!(
            "event stream {stream} finished after {} ms",
            started.elapsed().as_millis()
        );
    });
    // The call starts here, on this worker, and runs to its first wait (a
    // tool call: its job queued for R). A spawned task would start only once
    // the runtime had woken another worker to take it, tens of microseconds
    // on an idle core, before R could begin.
    if futures::poll!(call.as_mut()).is_pending() {
        // A quick call is awaited here, in the connection's own task: R's
        // reply wakes this task (not a spawned one that would then wake the
        // connection's), and its whole answer leaves in one write. A call
        // still running after `QUICK_CALL` goes on in its own task, as does
        // any call whose client disconnects after the priming event: the
        // stream stays resumable.
        if tokio::time::timeout(QUICK_CALL, call.as_mut())
            .await
            .is_err()
        {
            state.tasks.spawn(call);
            return reply::sse(first, receiver);
        }
    }
    // The call is over and its stream finished: everything it sent is in
    // `receiver`.
    let mut messages = Vec::new();
    while let Ok(event) = receiver.try_recv() {
        if let StreamEvent::Message { id, data } = event {
            messages.push((id, data));
        }
    }
    if let ([(_, response)], true) = (messages.as_slice(), json_ok) {
        session.streams.discard(stream);
        return reply::json_text(response);
    }
    let (sender, replay) = mpsc::unbounded_channel();
    for (id, data) in messages {
        let _ = sender.send(StreamEvent::Message { id, data });
    }
    reply::sse(first, replay)
}

/// How long a `POST`'s SSE stream waits for its call before sending its
/// head and priming event on their own. Long enough for most catalog tools
/// (well under a millisecond to a few); short enough that a long call's
/// client holds a resumable event id almost at once.
const QUICK_CALL: std::time::Duration = std::time::Duration::from_millis(10);

/// Priming events go only to clients of 2025-11-25 or later, which know to
/// ignore their empty data.
fn primes(session: &Session) -> bool {
    session.protocol_version().as_str() >= "2025-11-25"
}

/// `GET /mcp`: the standalone stream, or the resumption of any stream of
/// the session named by `Last-Event-ID`.
pub fn get(state: &AppState, headers: &HeaderMap, principal: Option<&str>) -> Response {
    if !accepts(headers, "text/event-stream") {
        return reply::rpc_error(
            StatusCode::NOT_ACCEPTABLE,
            code::INVALID_REQUEST.0,
            "not acceptable: GET /mcp opens an event stream; send Accept: text/event-stream",
        );
    }
    if let Err(refusal) = check_version(headers) {
        return refusal.response(None);
    }
    let session = match session(state, headers, principal) {
        Ok(session) => session,
        Err(refusal) => return refusal.response(None),
    };
    let resume = header(headers, "last-event-id").and_then(EventId::parse);
    let (sender, receiver) = mpsc::unbounded_channel();
    let (stream, after) = match resume {
        Some(id) => (id.stream, Some(id.sequence)),
        None => (0, None),
    };
    let Some(last) = session.streams.attach(stream, after, sender) else {
        return reply::rpc_error(
            StatusCode::NOT_FOUND,
            code::INVALID_REQUEST.0,
            "the stream named by Last-Event-ID is gone; open a new one without it",
        );
    };
    let resume_from = EventId {
        stream,
        sequence: after.unwrap_or(last),
    };
    let first =
        primes(&session).then(|| reply::priming(&resume_from.render(), state.config.sse_retry_ms));
    reply::sse(first, receiver)
}

/// `DELETE /mcp`: ends the session, cancelling its calls.
pub fn delete(state: &AppState, headers: &HeaderMap, principal: Option<&str>) -> Response {
    match session(state, headers, principal) {
        Ok(session) => {
            state.sessions.remove(&session.id);
            log::info!("session ended by the client");
            reply::empty(StatusCode::OK)
        }
        Err(refusal) => refusal.response(None),
    }
}
