//! `tools/call`: finds the tool, validates the arguments against its input
//! schema, runs it with a [`CallContext`] (cancellation token, progress sink,
//! client peer), and encodes the result.
//!
//! Invalid arguments come back as an `isError` result naming the field; an
//! unknown tool is a JSON-RPC error (-32602).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use rmcp::model::{CallToolResult, ContentBlock, ErrorData};
use serde_json::{json, Map, Value};
use tokio_util::sync::CancellationToken;

use super::dispatch::{invalid_params, required_str, to_result};
use super::jsonrpc::{self, Request};
use super::session::Session;
use super::stream::Outbound;
use super::McpServer;
use crate::tools::{CallContext, ClientPeer, LogLevel, PeerError, ProgressSink, TaskSupport};

impl McpServer {
    pub(super) async fn call_tool(
        &self,
        session: &Arc<Session>,
        request: &Request,
        arguments: Option<Value>,
        outbound: Outbound,
    ) -> Result<Value, ErrorData> {
        let params = &request.params;
        let name = required_str(params, "name")?;
        let index = self.inner.by_name.get(name).copied().ok_or_else(|| {
            invalid_params(format!(
                "unknown tool: {name}; call tools/list for the available tools"
            ))
        })?;
        let Some(entry) = self.inner.tools.get(index) else {
            return Err(invalid_params(format!("unknown tool: {name}")));
        };
        // A tool that runs only as a task refuses a client that cannot take
        // one before anything runs (SEP-2663); a tool that may run as one
        // becomes a task for a client that negotiated the extension. A
        // legacy `task` param changes nothing.
        let as_task = match entry.task_support {
            TaskSupport::Forbidden => false,
            support => {
                let negotiated = super::tasks::negotiated(session, params);
                if support == TaskSupport::Required && !negotiated {
                    return Err(super::tasks::missing_extension(&format!("tool {name}")));
                }
                negotiated
            }
        };
        let arguments = match arguments {
            None | Some(Value::Null) => Value::Object(Map::new()),
            Some(arguments @ Value::Object(_)) => arguments,
            Some(_) => {
                return to_result(&error_result(format!(
                    "invalid arguments for tool '{name}': \"arguments\" must be a JSON object of named arguments"
                )))
            }
        };
        if let Err(message) = self.inner.validators.check(&entry.tool, &arguments) {
            self.inner.metrics.tool_call(name, 0.0, true);
            return to_result(&error_result(message));
        }
        let Some(provider) = self.inner.tool_providers.get(entry.provider) else {
            return Err(invalid_params(format!("unknown tool: {name}")));
        };
        if as_task {
            return self
                .call_as_task(session, name, Arc::clone(provider), arguments)
                .await;
        }
        let in_flight = session.begin_request(&request.id);
        let progress = params
            .get("_meta")
            .and_then(|meta| meta.get("progressToken"))
            .filter(|token| token.is_string() || token.is_i64() || token.is_u64())
            .map(|token| {
                Arc::new(ProgressNotifier {
                    outbound: Arc::clone(&outbound),
                    token: token.clone(),
                    last: Mutex::new(f64::NEG_INFINITY),
                }) as Arc<dyn ProgressSink>
            });
        let peer = SessionPeer {
            session: Arc::clone(session),
            outbound: Arc::clone(&outbound),
            cancel: in_flight.token.clone(),
            timeout: self.inner.options.client_request_timeout,
        };
        let context = CallContext {
            session_id: Arc::clone(&session.id),
            cancel: in_flight.token.clone(),
            progress,
            timeout: None,
            client: Some(Arc::new(peer)),
            principal: session.principal(),
        };
        let started = Instant::now();
        let Some(future) = provider.call(name, arguments, context) else {
            return Err(invalid_params(format!("unknown tool: {name}")));
        };
        let result = future.await;
        let seconds = started.elapsed().as_secs_f64();
        let is_error = result.is_error.unwrap_or(false);
        self.inner.metrics.tool_call(name, seconds, is_error);
        drop(in_flight);
        call_result(result)
    }
}

/// `result` as the response's `result` member. `structuredContent` is moved
/// in rather than serialized again: it can be the bulk of the answer.
pub(super) fn call_result(mut result: CallToolResult) -> Result<Value, ErrorData> {
    let structured = result.structured_content.take();
    let mut value = to_result(&result)?;
    if let (Some(structured), Some(object)) = (structured, value.as_object_mut()) {
        object.insert("structuredContent".into(), structured);
    }
    Ok(value)
}

/// A failed call's result: one text block saying what went wrong.
pub fn error_result(message: String) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message)])
}

/// The client capability a request to the client needs (`None` for a
/// method no capability gates).
pub(super) fn capability_of(method: &str) -> Option<&'static str> {
    match method {
        "sampling/createMessage" => Some("sampling"),
        "elicitation/create" => Some("elicitation"),
        "roots/list" => Some("roots"),
        _ => None,
    }
}

/// Sends `notifications/progress` for one call, never going backwards.
struct ProgressNotifier {
    outbound: Outbound,
    token: Value,
    last: Mutex<f64>,
}

impl ProgressSink for ProgressNotifier {
    fn report(&self, progress: f64, total: Option<f64>, message: Option<String>) {
        {
            let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
            if !progress.is_finite() || progress < *last {
                return;
            }
            *last = progress;
        }
        let mut params = json!({"progressToken": self.token, "progress": progress});
        if let Some(object) = params.as_object_mut() {
            if let Some(total) = total.filter(|total| total.is_finite()) {
                object.insert("total".into(), json!(total));
            }
            if let Some(message) = message {
                object.insert("message".into(), json!(message));
            }
        }
        self.outbound
            .send(jsonrpc::notification("notifications/progress", params));
    }
}

/// The client of one call, as the tool sees it.
struct SessionPeer {
    session: Arc<Session>,
    outbound: Outbound,
    cancel: CancellationToken,
    timeout: Duration,
}

impl ClientPeer for SessionPeer {
    fn log(&self, level: LogLevel, data: Value) {
        if level >= self.session.log_level() && !self.session.logs_muted() {
            let params = json!({"level": level, "logger": "rmcp", "data": data});
            self.outbound
                .send(jsonrpc::notification("notifications/message", params));
        }
    }

    fn request(&self, method: &str, params: Value) -> BoxFuture<'static, Result<Value, PeerError>> {
        // Protocol 2026-07-28 sends the client no requests: the question
        // goes into the call's input-required result.
        if super::input::current().is_some() {
            let answer =
                super::input::ask(None, method, params).unwrap_or(Err(PeerError::Disconnected));
            return Box::pin(async move { answer });
        }
        let capability = capability_of(method);
        if let Some(capability) = capability {
            if !self.session.client_supports(capability) {
                self.session.note_missing_capability(capability);
                let error = PeerError::Unsupported {
                    capability: capability.to_string(),
                };
                return Box::pin(async move { Err(error) });
            }
        }
        if !self.outbound.connected() {
            return Box::pin(async { Err(PeerError::Disconnected) });
        }
        let (id, reply) = self.session.expect_reply();
        let sent = self.outbound.send(jsonrpc::request(&id, method, params));
        let session = Arc::clone(&self.session);
        let cancel = self.cancel.clone();
        let timeout = self.timeout;
        Box::pin(async move {
            if !sent {
                session.forget_reply(&id);
                return Err(PeerError::Disconnected);
            }
            let outcome = tokio::select! {
                reply = reply => match reply {
                    Ok(Ok(result)) => Ok(result),
                    Ok(Err(error)) => Err(PeerError::Rejected { code: error.code.0, message: error.message.to_string() }),
                    Err(_) => Err(PeerError::Disconnected),
                },
                () = cancel.cancelled() => Err(PeerError::Cancelled),
                () = tokio::time::sleep(timeout) => Err(PeerError::Timeout(timeout)),
            };
            if outcome.is_err() {
                session.forget_reply(&id);
            }
            outcome
        })
    }

    fn suspend_stream(&self) {
        self.outbound.suspend();
    }
}
