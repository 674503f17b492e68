//! The HTTP+SSE transport of protocol 2024-11-05, for older clients:
//! `GET /mcp/sse` opens the session's event stream, whose first event
//! (`endpoint`) names where to `POST` messages
//! (`/mcp/messages?session_id=…`); every response arrives on the stream.
//! Its sessions are [`Lifetime::StreamBound`]: one ends when its stream
//! closes, and only this transport accepts them (Streamable HTTP accepts
//! only [`Lifetime::Independent`] ones).

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::mpsc;
use warp::http::StatusCode;
use warp::reply::Response;

use super::reply;
use super::{AppState, RequestInfo};
use crate::mcp::jsonrpc::{self, code};
use crate::mcp::session::Lifetime;
use crate::mcp::stream::{HubSink, Outbound};

/// `GET /mcp/sse`: a new session and its stream.
pub fn connect(state: &AppState, principal: Option<Arc<str>>) -> Response {
    let session = match state.sessions.create(Lifetime::StreamBound) {
        Ok(session) => {
            session.set_principal(principal);
            session
        }
        Err(error) => {
            return reply::rpc_error(
                StatusCode::SERVICE_UNAVAILABLE,
                code::INTERNAL_ERROR.0,
                &error.to_string(),
            )
        }
    };
    let (sender, receiver) = mpsc::unbounded_channel();
    session.streams.attach(0, None, sender);
    let endpoint = format!(
        "event: endpoint\ndata: /mcp/messages?session_id={}\n\n",
        session.id
    );
    log::info!("legacy SSE session opened");
    reply::sse(Some(endpoint), receiver)
}

/// The `session_id` of a query string.
fn session_id(query: &str) -> Option<&str> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        matches!(key, "session_id" | "sessionId").then_some(value)
    })
}

/// `POST /mcp/messages?session_id=…`: 202 at once; the answer goes on the
/// session's stream.
pub fn message(state: &AppState, query: &str, body: Bytes, info: &mut RequestInfo) -> Response {
    let session = session_id(query).and_then(|id| state.sessions.get(id));
    let Some(session) = session.filter(|session| {
        session.lifetime == Lifetime::StreamBound && session.admits(info.principal.as_deref())
    }) else {
        return reply::rpc_error(
            StatusCode::NOT_FOUND,
            code::INVALID_REQUEST.0,
            "session not found: it expired, was ended, or the server that held it stopped; open GET /mcp/sse again and post to the endpoint it names",
        );
    };
    let sink: Outbound = Arc::new(HubSink {
        hub: Arc::clone(&session.streams),
        stream: 0,
    });
    let message = match jsonrpc::decode(&body).and_then(jsonrpc::classify) {
        Ok(message) => message,
        Err(rejected) => {
            let error = jsonrpc::error_response(rejected.id.as_ref(), &rejected.error);
            sink.send(error.clone());
            return reply::json(StatusCode::BAD_REQUEST, &error);
        }
    };
    info.describe(&message);
    let mcp = state.mcp.clone();
    state.tasks.spawn(async move {
        if let Some(response) = mcp.handle(&session, message, Arc::clone(&sink)).await {
            sink.send(response);
        }
    });
    reply::empty(StatusCode::ACCEPTED)
}
