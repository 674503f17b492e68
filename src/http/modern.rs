//! `POST /mcp` for protocol 2026-07-28, the stateless revision (SEP-2575,
//! SEP-2243): which requests belong to it ([`is_modern`]), the checks of its
//! headers against the body (`MCP-Protocol-Version`, `Mcp-Method`,
//! `Mcp-Name`, `Mcp-Param-*`), and the answer: a JSON body, or an event
//! stream when a tool call sends notifications before its result;
//! `subscriptions/listen` streams; 405 for `GET`/`DELETE /mcp`.
//!
//! Each request gets a session of its own that lives only as long as the
//! request (never named to the client, no `Mcp-Session-Id`, not in the
//! session store), filled from the request's `_meta` and then handled by
//! the same `McpServer` dispatcher as every other revision. The older
//! revisions keep `streamable.rs` as it is.
//!
//! It does not own the protocol rules of the revision (`mcp::modern`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use rmcp::model::{ErrorData, RequestId};
use serde_json::Value;
use tokio::sync::mpsc;
use warp::http::{HeaderMap, StatusCode};
use warp::reply::Response;

use super::reply::{self, GzipCache};
use super::{AppState, RequestInfo};
use crate::mcp::jsonrpc::{self, code, Message, Outgoing};
use crate::mcp::modern::{self as era, Refusal, RefusalKind};
use crate::mcp::session::{Lifetime, Session};
use crate::mcp::stream::{MessageSink, Outbound, StreamEvent};
use crate::mcp::SUPPORTED_VERSIONS;

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
}

/// Whether a `POST /mcp` belongs to the stateless revision: no session, and
/// either a protocol version header that names no older revision (2026-07-28,
/// or one this server does not know, which is refused with the list of
/// versions it does), or, without that header, a request whose `_meta` names
/// a protocol version. Everything else (`initialize`, requests of a session,
/// the legacy transport) takes the older revisions' path unchanged.
pub(super) fn is_modern(headers: &HeaderMap, body: &Bytes) -> bool {
    if headers.contains_key("mcp-session-id") {
        return false;
    }
    match header(headers, "mcp-protocol-version") {
        Some(version) => !SUPPORTED_VERSIONS.contains(&version),
        None => serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|message| {
                let params = message.get("params")?.as_object()?;
                let is_initialize = message.get("method")? == "initialize";
                Some(!is_initialize && era::has_modern_meta(params))
            })
            .unwrap_or(false),
    }
}

/// Whether the headers name protocol 2026-07-28 and no session.
pub(super) fn names_modern_version(headers: &HeaderMap) -> bool {
    !headers.contains_key("mcp-session-id")
        && header(headers, "mcp-protocol-version") == Some(era::MODERN_VERSION)
}

/// `GET` and `DELETE /mcp` for protocol 2026-07-28: the revision has no
/// standalone stream (`subscriptions/listen` replaces it) and no session
/// to end, so 405 with `Allow: POST`.
pub(super) fn not_in_this_revision(method: &str) -> Response {
    let response = reply::rpc_error(
        StatusCode::METHOD_NOT_ALLOWED,
        code::METHOD_NOT_FOUND.0,
        &format!(
            "{method} /mcp is not part of protocol {}: POST requests, and subscriptions/listen for notifications",
            era::MODERN_VERSION
        ),
    );
    reply::with_header(response, "allow", "POST")
}

fn status_of(kind: RefusalKind) -> StatusCode {
    match kind {
        RefusalKind::BadRequest => StatusCode::BAD_REQUEST,
        RefusalKind::NotFound => StatusCode::NOT_FOUND,
    }
}

fn refuse(refusal: &Refusal, id: Option<&RequestId>) -> Response {
    reply::json(
        status_of(refusal.kind),
        &jsonrpc::error_response(id, &refusal.error),
    )
}

/// The status of a response: a refusal's when it is an error of that kind
/// (an undeclared capability is 400, an unknown method 404), else 200.
fn status_of_response(response: &Value) -> StatusCode {
    response
        .get("error")
        .and_then(|error| serde_json::from_value::<ErrorData>(error.clone()).ok())
        .and_then(|error| Refusal::kind_of(&error))
        .map(status_of)
        .unwrap_or(StatusCode::OK)
}

/// The SEP-2243 checks: `Mcp-Method` must name the body's method, and
/// `Mcp-Name` the tool, prompt or resource the body names. Values are
/// compared exactly after trimming (method names are case-sensitive).
fn check_headers(
    headers: &HeaderMap,
    method: &str,
    params: &serde_json::Map<String, Value>,
) -> Result<(), Refusal> {
    match header(headers, "mcp-method") {
        Some(value) if value == method => {}
        Some(value) => {
            return Err(Refusal::header_mismatch(format!(
                "header mismatch: Mcp-Method {value:?} does not match the body's method {method:?}"
            )))
        }
        None => {
            return Err(Refusal::header_mismatch(format!(
                "header mismatch: the Mcp-Method header is required (here {method:?})"
            )))
        }
    }
    let named = match method {
        "tools/call" | "prompts/get" => params.get("name"),
        "resources/read" => params.get("uri"),
        "tasks/get" | "tasks/update" | "tasks/cancel" => params.get("taskId"),
        _ => None,
    };
    if let Some(name) = named.and_then(Value::as_str) {
        match header(headers, "mcp-name") {
            Some(value) if value == name => {}
            Some(value) => {
                return Err(Refusal::header_mismatch(format!(
                    "header mismatch: Mcp-Name {value:?} does not match the body's {name:?}"
                )))
            }
            None => {
                return Err(Refusal::header_mismatch(format!(
                    "header mismatch: {method} needs the Mcp-Name header (here {name:?})"
                )))
            }
        }
    }
    Ok(())
}

/// Numbers the per-request sessions (their ids key what a provider holds
/// for them, such as a free-form R worker, until the request ends).
static NEXT_REQUEST: AtomicU64 = AtomicU64::new(1);

/// The SEP-2243 custom-parameter headers: each argument the tool marks with
/// `x-mcp-header` travels also as `Mcp-Param-<name>` (literally, or as
/// `=?base64?<standard Base64>?=`), and must agree with the body; a value
/// in the body without its header, malformed Base64, or a different value
/// is refused (400, -32020), so a proxy routing on the header sees what the
/// tool gets.
fn check_parameter_headers(
    state: &AppState,
    headers: &HeaderMap,
    params: &serde_json::Map<String, Value>,
) -> Result<(), Refusal> {
    let Some(tool) = params.get("name").and_then(Value::as_str) else {
        return Ok(());
    };
    let parameters = state.mcp.header_parameters(tool);
    if parameters.is_empty() {
        return Ok(());
    }
    let arguments = params.get("arguments").and_then(Value::as_object);
    for (suffix, argument) in parameters {
        let header_name = format!("mcp-param-{}", suffix.to_ascii_lowercase());
        let sent = header(headers, &header_name);
        let body = arguments.and_then(|arguments| arguments.get(&argument));
        let body = match body {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(text.clone()),
            Some(other) => Some(other.to_string()),
        };
        match (sent, body) {
            (None, None) => {}
            (None, Some(_)) => {
                return Err(Refusal::header_mismatch(format!(
                    "header mismatch: argument {argument:?} needs the Mcp-Param-{suffix} header"
                )))
            }
            (Some(value), body) => {
                let decoded = decode_parameter(value).ok_or_else(|| {
                    Refusal::header_mismatch(format!(
                        "header mismatch: Mcp-Param-{suffix} is not valid =?base64?…?= text"
                    ))
                })?;
                if body.as_deref() != Some(decoded.as_str()) {
                    return Err(Refusal::header_mismatch(format!(
                        "header mismatch: Mcp-Param-{suffix} does not match argument {argument:?}"
                    )));
                }
            }
        }
    }
    Ok(())
}

/// A parameter header's value: `=?base64?…?=` decoded (standard alphabet,
/// padding required, UTF-8), anything else as it is.
fn decode_parameter(value: &str) -> Option<String> {
    use base64::Engine as _;
    match value
        .strip_prefix("=?base64?")
        .and_then(|rest| rest.strip_suffix("?="))
    {
        Some(encoded) => base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok()),
        None => Some(value.to_string()),
    }
}

/// Collects what a request sends before its response (progress, logs) as
/// event-stream events.
struct EventSink {
    sender: mpsc::UnboundedSender<StreamEvent>,
    next: AtomicU64,
}

impl MessageSink for EventSink {
    fn send(&self, message: Value) -> bool {
        let sequence = self.next.fetch_add(1, Ordering::Relaxed);
        self.sender
            .send(StreamEvent::Message {
                id: sequence.to_string(),
                data: message.to_string().into(),
            })
            .is_ok()
    }

    fn connected(&self) -> bool {
        !self.sender.is_closed()
    }
}

/// `POST /mcp` of a stateless request.
pub(super) async fn post(
    state: &AppState,
    headers: &HeaderMap,
    body: Bytes,
    info: &mut RequestInfo,
) -> Response {
    let accepts_sse = match super::streamable::check_media(headers) {
        Ok(media) => media.sse,
        Err(refusal) => return refusal.response(),
    };
    let message = match super::streamable::decode(&body, info) {
        Ok(message) => message,
        Err(refusal) => return *refusal,
    };
    let Message::Request(request) = &message else {
        // No session holds a request a notification could cancel, and the
        // server sends no requests to answer: nothing to do.
        return reply::empty(StatusCode::ACCEPTED);
    };
    let id = request.id.clone();
    let Some(version) = header(headers, "mcp-protocol-version") else {
        let refusal = Refusal::header_mismatch(
            "header mismatch: the MCP-Protocol-Version header is required and must match _meta",
        );
        return refuse(&refusal, Some(&id));
    };
    if let Err(refusal) = check_headers(headers, &request.method, &request.params) {
        return refuse(&refusal, Some(&id));
    }
    if request.method == "tools/call" {
        if let Err(refusal) = check_parameter_headers(state, headers, &request.params) {
            return refuse(&refusal, Some(&id));
        }
    }
    let meta = match era::read_meta(&request.params, Some(version)) {
        Ok(meta) => meta,
        Err(refusal) => return refuse(&refusal, Some(&id)),
    };
    if !era::is_modern_method(&request.method) {
        return refuse(&Refusal::method_not_found(&request.method), Some(&id));
    }
    if request.method == "subscriptions/listen" {
        return listen(state, &id, &request.params);
    }
    // The request's own session: never in the session store (it names no
    // client, so it neither counts against nor evicts the older revisions'
    // sessions); cancelled at shutdown with every call.
    let number = NEXT_REQUEST.fetch_add(1, Ordering::Relaxed);
    let session = Arc::new(Session::new(
        format!("modern-{number}"),
        Lifetime::Independent,
        &state.calls,
    ));
    session.set_principal(info.principal.clone());
    state.mcp.begin_modern(&session, &meta);
    let streams = accepts_sse && request.method == "tools/call";
    let gzip = super::streamable::accepts_gzip(headers).then_some(&state.gzip);
    answer(state, session, message, streams, gzip, info).await
}

/// Handles the request on its own session and ends the session after the
/// answer. A tool call whose client takes an event stream and that is not
/// over within `QUICK_CALL`, or that sent notifications, is answered on a
/// stream (notifications, then the response); everything else as one JSON
/// body.
async fn answer(
    state: &AppState,
    session: Arc<Session>,
    message: Message,
    streams: bool,
    gzip: Option<&GzipCache>,
    info: &mut RequestInfo,
) -> Response {
    let (sender, mut receiver) = mpsc::unbounded_channel();
    let sink: Outbound = Arc::new(EventSink {
        sender: sender.clone(),
        next: AtomicU64::new(1),
    });
    let mcp = state.mcp.clone();
    let (done, answered) = tokio::sync::oneshot::channel::<()>();
    let mut call = Box::pin(async move {
        let response = mcp.handle_encoded(&session, message, sink).await;
        session.close();
        drop(done);
        response
    });
    if streams {
        let finished = tokio::time::timeout(QUICK_CALL, call.as_mut()).await.ok();
        let Some(response) = finished else {
            info.answered = Some(answered);
            state.tasks.spawn(async move {
                if let Some(response) = call.await {
                    let _ = sender.send(StreamEvent::Message {
                        id: "0".into(),
                        data: response.into_value().to_string().into(),
                    });
                }
            });
            return reply::sse(None, receiver);
        };
        let mut events = Vec::new();
        while let Ok(event) = receiver.try_recv() {
            events.push(event);
        }
        if !events.is_empty() {
            if let Some(response) = response {
                events.push(StreamEvent::Message {
                    id: "0".into(),
                    data: response.into_value().to_string().into(),
                });
            }
            let (replay_sender, replay) = mpsc::unbounded_channel();
            for event in events {
                let _ = replay_sender.send(event);
            }
            return reply::sse(None, replay);
        }
        return json_answer(response, gzip);
    }
    json_answer(call.await, gzip)
}

/// `subscriptions/listen`: an event stream that starts with the
/// acknowledgement and carries the subscription's notifications until the
/// client goes away or the server shuts down (which ends it with the
/// request's response).
fn listen(state: &AppState, id: &RequestId, params: &serde_json::Map<String, Value>) -> Response {
    let (sender, receiver) = mpsc::unbounded_channel();
    let sink = Arc::new(EventSink {
        sender: sender.clone(),
        next: AtomicU64::new(1),
    });
    let listening = match state
        .mcp
        .listen(id, params, Arc::clone(&sink) as Outbound, &state.calls)
    {
        Ok(listening) => listening,
        Err(error) => {
            return reply::json(StatusCode::OK, &jsonrpc::error_response(Some(id), &error))
        }
    };
    let closing = state.closing.clone();
    let id = id.clone();
    state.tasks.spawn(async move {
        loop {
            tokio::select! {
                () = closing.cancelled() => {
                    sink.send(listening.closing_response(&id));
                    break;
                }
                () = sender.closed() => break,
                () = tokio::time::sleep(KEEP_ALIVE) => {
                    if sender.send(StreamEvent::KeepAlive).is_err() {
                        break;
                    }
                }
            }
        }
        drop(listening);
    });
    reply::sse(None, receiver)
}

/// How often an idle listen stream sends a comment, so proxies keep it
/// open and a client that went away is noticed.
const KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(15);

/// A JSON body; a result serialized once (the first page of `tools/list`)
/// is written as it is, gzipped from `gzip` when the client takes it.
fn json_answer(response: Option<Outgoing>, gzip: Option<&GzipCache>) -> Response {
    match response {
        Some(Outgoing::Cached { id, result }) => reply::cached(&id, &result, gzip),
        Some(Outgoing::Value(response)) => reply::json(status_of_response(&response), &response),
        None => reply::empty(StatusCode::ACCEPTED),
    }
}

/// How long a tool call's answer waits to be one JSON body before it
/// becomes an event stream (the same bound as the older revisions').
const QUICK_CALL: std::time::Duration = std::time::Duration::from_millis(10);
