//! The task branch of `tools/call`: creates the task record (so `tasks/get`
//! finds it before the client learns its id), polls the call once (a call
//! that is done at once answers at once; one that ended its input-required
//! round with questions answers with that round), else runs it on its own
//! tokio task and answers with the `CreateTaskResult`.
//!
//! Inside a task, a tool's questions to the client (elicitation, sampling,
//! roots) go through [`TaskPeer`]: they park the task in `input_required`
//! under a server-minted key until `tasks/update` answers them.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use futures::FutureExt as _;
use rmcp::model::{CallToolResult, ErrorData};
use serde_json::{json, Value};

use super::{Outcome, Task, TaskStore};
use crate::mcp::call::{call_result, error_result};
use crate::mcp::dispatch::to_result;
use crate::mcp::session::Session;
use crate::mcp::{input, modern, McpServer};
use crate::tools::{CallContext, ClientPeer, LogLevel, PeerError, ToolProvider};

/// How long a cancelled task's call may take to stop by itself (R is
/// interrupted through the cancel token) before it is dropped.
const CANCEL_GRACE: Duration = Duration::from_secs(10);

impl McpServer {
    /// Runs tool `name` of `provider` as a task of `session`'s client.
    pub(in crate::mcp) async fn call_as_task(
        &self,
        session: &Arc<Session>,
        name: &str,
        provider: Arc<dyn ToolProvider>,
        arguments: Value,
    ) -> Result<Value, ErrorData> {
        let store = Arc::clone(&self.inner.tasks);
        let task = match store.create(super::owner_of(session)) {
            Ok(task) => task,
            Err(message) => return to_result(&error_result(message)),
        };
        // A 2026-07-28 request's session ends with the request; the task's
        // call gets a session of its own, which ends as a request's does
        // when the task settles (a free-form R workspace stays, under the
        // handle the task's result names). An older
        // revision's task runs in its session, like the session's calls.
        let own_session: Option<Arc<str>> =
            modern::is_modern(session).then(|| Arc::from(format!("task:{}", task.id)));
        let capabilities = session
            .handshake()
            .map(|handshake| handshake.client_capabilities)
            .unwrap_or_else(|| json!({}));
        let peer = TaskPeer {
            task: Arc::clone(&task),
            capabilities,
            timeout: self.inner.options.client_request_timeout,
        };
        let context = CallContext {
            session_id: own_session
                .clone()
                .unwrap_or_else(|| Arc::clone(&session.id)),
            cancel: task.cancel.clone(),
            progress: None,
            timeout: None,
            client: Some(Arc::new(peer)),
            principal: session.principal(),
        };
        // What does not persist on the stateless path (a free-form tool's
        // workspace), said in the result as a direct answer says it.
        let note = own_session
            .is_some()
            .then(|| provider.stateless_note(name))
            .flatten();
        let tool = name.to_string();
        let call: BoxFuture<'static, CallToolResult> = Box::pin(async move {
            match provider.call(&tool, arguments, context) {
                Some(future) => future.await,
                None => error_result(format!("unknown tool: {tool}")),
            }
        });
        let mut call = AssertUnwindSafe(call).catch_unwind();
        let started = Instant::now();
        match futures::poll!(&mut call) {
            Poll::Ready(outcome) => {
                store.discard(&task);
                self.end_task_session(own_session.as_deref());
                let result = outcome.map_err(|panic| {
                    ErrorData::internal_error(
                        format!("the tool failed: {}", panic_message(&panic)),
                        None,
                    )
                })?;
                self.inner.metrics.tool_call(
                    name,
                    started.elapsed().as_secs_f64(),
                    result.is_error.unwrap_or(false),
                );
                call_result(result)
            }
            Poll::Pending if input::current().is_some_and(|round| round.has_questions()) => {
                // The input-required round comes first (SEP-2663 over
                // SEP-2322): the task is made on the round that has all
                // its answers.
                task.cancel.cancel();
                store.discard(&task);
                drop(call);
                self.end_task_session(own_session.as_deref());
                Ok(json!({}))
            }
            Poll::Pending => {
                let created = task.create_result(store.limits());
                let server = self.clone();
                let name = name.to_string();
                tokio::spawn(async move {
                    let cancel = task.cancel.clone();
                    let outcome = tokio::select! {
                        outcome = &mut call => Some(outcome),
                        () = async { cancel.cancelled().await; tokio::time::sleep(CANCEL_GRACE).await } => None,
                    };
                    let outcome = match outcome {
                        Some(Ok(result)) => {
                            server.inner.metrics.tool_call(
                                &name,
                                started.elapsed().as_secs_f64(),
                                result.is_error.unwrap_or(false),
                            );
                            match call_result(result) {
                                Ok(value) => Outcome::Result(with_note(value, note)),
                                Err(error) => Outcome::Error(error_value(&error)),
                            }
                        }
                        Some(Err(panic)) => Outcome::Error(json!({
                            "code": -32603,
                            "message": format!("the tool failed: {}", panic_message(&panic)),
                        })),
                        None => Outcome::Error(json!({
                            "code": -32603,
                            "message": "the cancelled call did not stop in time",
                        })),
                    };
                    server.inner.tasks.settle(&task, outcome);
                    server.end_task_session(own_session.as_deref());
                });
                Ok(created)
            }
        }
    }

    /// Ends a 2026-07-28 task's own session as a request's ends: what a
    /// provider keeps under a handle the client holds (a free-form R
    /// workspace, named in the task's result) stays.
    fn end_task_session(&self, id: Option<&str>) {
        if let Some(id) = id {
            self.end_request(id);
        }
    }
}

/// `result` with `note` as a last text block.
fn with_note(mut result: Value, note: Option<&str>) -> Value {
    if let (Some(note), Some(content)) = (
        note,
        result.get_mut("content").and_then(Value::as_array_mut),
    ) {
        content.push(json!({"type": "text", "text": note}));
    }
    result
}

fn error_value(error: &ErrorData) -> Value {
    json!({"code": error.code.0, "message": error.message})
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|text| (*text).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "it panicked".into())
}

/// The client of a call that runs as a task: questions wait in the task for
/// `tasks/update`; log lines become the task's status message.
struct TaskPeer {
    task: Arc<Task>,
    /// What the client declared when it created the task.
    capabilities: Value,
    timeout: Duration,
}

impl ClientPeer for TaskPeer {
    fn log(&self, level: LogLevel, data: Value) {
        if level >= LogLevel::Info {
            let message = match data {
                Value::String(text) => text,
                other => other.to_string(),
            };
            self.task.set_message(message);
        }
    }

    fn request(&self, method: &str, params: Value) -> BoxFuture<'static, Result<Value, PeerError>> {
        let capability = crate::mcp::call::capability_of(method);
        if let Some(capability) = capability {
            if self.capabilities.get(capability).is_none_or(Value::is_null) {
                let error = PeerError::Unsupported {
                    capability: capability.to_string(),
                };
                return Box::pin(async move { Err(error) });
            }
        }
        let (key, answer) = self.task.ask(method, params);
        let task = Arc::clone(&self.task);
        let timeout = self.timeout;
        Box::pin(async move {
            let cancel = task.cancel.clone();
            tokio::select! {
                answer = answer => answer.map_err(|_| PeerError::Cancelled),
                () = cancel.cancelled() => Err(PeerError::Cancelled),
                () = tokio::time::sleep(timeout) => {
                    task.forget(&key);
                    Err(PeerError::Timeout(timeout))
                }
            }
        })
    }
}

impl TaskStore {
    /// Cancels and forgets the tasks of the older revisions' session `id`.
    pub fn end_session(&self, id: &str) {
        self.end_owner(&super::session_owner(id));
    }
}
