//! R calling back into the server: `rmcp_call("linear_model", list(...))`
//! in a worker becomes a `callback` frame, answered through the handler
//! built here by the [`CallbackRunner`](super::runner::CallbackRunner),
//! which runs the catalog tool on the server's in-process R only when the
//! session's active callback session allows it. Also the four bidirectional
//! tools that manage callback sessions (setup_r_bidirectional,
//! create_r_callback_session, handle_r_callback, list_callback_sessions).

use std::sync::Arc;
use std::time::{Duration, Instant};

use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{json, Map, Value};

use futures::future::BoxFuture;

use super::approvals::CallbackSession;
use super::session::SessionState;
use super::shared::{error, success, text_arg, Handler, Shared};
use crate::tools::CallContext;
use crate::worker::process::CallbackHandler;
use crate::worker::protocol::CallbackOutcome;

/// Callback sessions one MCP session may hold.
const MAX_SESSIONS: usize = 32;

/// Lifetime of the callback session setup_r_bidirectional creates.
const SETUP_LIFETIME: Duration = Duration::from_secs(3600);

/// The bidirectional tools this module serves.
pub(super) const HANDLERS: &[(&str, Handler)] = &[
    ("setup_r_bidirectional", setup_r_bidirectional),
    ("create_r_callback_session", create_r_callback_session),
    ("handle_r_callback", handle_r_callback),
    ("list_callback_sessions", list_callback_sessions),
];

fn setup_r_bidirectional<'a>(
    shared: &'a Shared,
    _tool: &'a str,
    arguments: Map<String, Value>,
    context: CallContext,
) -> BoxFuture<'a, CallToolResult> {
    Box::pin(async move { shared.setup_bidirectional(&arguments, &context) })
}

fn create_r_callback_session<'a>(
    shared: &'a Shared,
    _tool: &'a str,
    arguments: Map<String, Value>,
    context: CallContext,
) -> BoxFuture<'a, CallToolResult> {
    Box::pin(async move { shared.create_callback_session(&arguments, &context) })
}

fn handle_r_callback<'a>(
    shared: &'a Shared,
    _tool: &'a str,
    arguments: Map<String, Value>,
    context: CallContext,
) -> BoxFuture<'a, CallToolResult> {
    Box::pin(async move { shared.handle_callback(&arguments, context).await })
}

fn list_callback_sessions<'a>(
    shared: &'a Shared,
    _tool: &'a str,
    _arguments: Map<String, Value>,
    context: CallContext,
) -> BoxFuture<'a, CallToolResult> {
    Box::pin(async move { shared.list_callback_sessions(&context) })
}

/// The text of a result's text blocks.
fn text_of(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|block| block.as_text().map(|text| text.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Shared {
    /// What answers this session's `rmcp_call()`s during one call.
    pub(super) fn callback_handler(
        &self,
        state: &Arc<SessionState>,
        context: &CallContext,
    ) -> CallbackHandler {
        let runner = Arc::clone(&self.runner);
        let state = Arc::clone(state);
        let cancel = context.cancel.clone();
        Arc::new(move |tool: String, arguments: Value| {
            let runner = Arc::clone(&runner);
            let state = Arc::clone(&state);
            let cancel = cancel.clone();
            Box::pin(async move {
                match runner.run(&state, None, &tool, arguments, cancel).await {
                    Err(message) => CallbackOutcome::Error(format!("rmcp_call: {message}")),
                    Ok(result) if result.is_error == Some(true) => {
                        CallbackOutcome::Error(text_of(&result))
                    }
                    Ok(result) => {
                        let text = text_of(&result);
                        CallbackOutcome::Ok(
                            result
                                .structured_content
                                .unwrap_or_else(|| json!({ "text": text })),
                        )
                    }
                }
            })
        })
    }

    fn new_callback_session(
        &self,
        state: &SessionState,
        name: String,
        allowed_tools: Vec<String>,
        lifetime: Duration,
    ) -> Result<CallbackSession, String> {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).map_err(|e| e.to_string())?;
        let id = format!(
            "cb-{}",
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        let session = CallbackSession {
            id: id.clone(),
            name,
            allowed_tools,
            created: Instant::now(),
            lifetime,
            calls: 0,
        };
        state.callbacks_mut(|callbacks| {
            callbacks.sessions.retain(|_, s| !s.remaining().is_zero());
            if callbacks.sessions.len() >= MAX_SESSIONS {
                return Err(format!(
                    "this MCP session already has {MAX_SESSIONS} callback sessions; wait for some to expire"
                ));
            }
            callbacks.sessions.insert(id.clone(), session.clone());
            callbacks.active = Some(id);
            Ok(session)
        })
    }

    pub(super) fn setup_bidirectional(
        &self,
        arguments: &Map<String, Value>,
        context: &CallContext,
    ) -> CallToolResult {
        const TOOL: &str = "setup_r_bidirectional";
        let state = match self.own_workspace(context) {
            Ok(state) => state,
            Err(message) => return error(TOOL, &message),
        };
        let session = match text_arg(arguments, "session_id") {
            Some(id) => {
                let found = state.callbacks_mut(|callbacks| {
                    let found = callbacks.sessions.get(id).cloned();
                    if found.is_some() {
                        callbacks.active = Some(id.to_string());
                    }
                    found
                });
                match found {
                    Some(session) => session,
                    None => {
                        return error(TOOL, &format!("session_id: no callback session '{id}' in this MCP session; omit it to create one"))
                    }
                }
            }
            None => {
                let tools = match self.runner.check_tools(arguments.get("allowed_tools")) {
                    Ok(tools) => tools,
                    Err(message) => return error(TOOL, &message),
                };
                match self.new_callback_session(&state, "default".into(), tools, SETUP_LIFETIME) {
                    Ok(session) => session,
                    Err(message) => return error(TOOL, &message),
                }
            }
        };
        let example = "fit <- rmcp_call(\"linear_model\", list(data = mtcars, formula = \"mpg ~ wt\"))\nresult <- fit$coefficients";
        let mut structured = session.describe(true);
        structured["success"] = json!(true);
        structured["r_function"] = json!("rmcp_call(tool, args = list())");
        structured["example_r_code"] = json!(example);
        structured["how_it_works"] = json!("R code run by execute_r_analysis in this session calls rmcp_call(); the call goes over the sandboxed worker's channel to the server, which runs the catalog tool (if allowed) and returns its structured result as an R list; a tool error becomes an R error");
        success(
            format!(
                "Callbacks enabled for this session's R (callback session {}, {} tools allowed). In execute_r_analysis:\n\n```r\n{example}\n```",
                session.id,
                session.allowed_tools.len()
            ),
            structured,
        )
    }

    pub(super) fn create_callback_session(
        &self,
        arguments: &Map<String, Value>,
        context: &CallContext,
    ) -> CallToolResult {
        const TOOL: &str = "create_r_callback_session";
        let minutes = arguments
            .get("timeout_minutes")
            .and_then(Value::as_f64)
            .unwrap_or(5.0);
        if !(minutes > 0.0 && minutes <= 1440.0) {
            return error(
                TOOL,
                "timeout_minutes: expected more than 0 and at most 1440 (a day)",
            );
        }
        let tools = match self.runner.check_tools(arguments.get("allowed_tools")) {
            Ok(tools) => tools,
            Err(message) => return error(TOOL, &message),
        };
        let name = text_arg(arguments, "session_name")
            .unwrap_or("callbacks")
            .chars()
            .take(100)
            .collect();
        let state = match self.own_workspace(context) {
            Ok(state) => state,
            Err(message) => return error(TOOL, &message),
        };
        match self.new_callback_session(
            &state,
            name,
            tools,
            Duration::from_secs_f64(minutes * 60.0),
        ) {
            Ok(session) => {
                let mut structured = session.describe(true);
                structured["success"] = json!(true);
                success(
                    format!(
                        "Callback session {} created ({} tools, {minutes} minutes); R code calls them with rmcp_call(tool, args)",
                        session.id,
                        session.allowed_tools.len()
                    ),
                    structured,
                )
            }
            Err(message) => error(TOOL, &message),
        }
    }

    pub(super) async fn handle_callback(
        &self,
        arguments: &Map<String, Value>,
        context: CallContext,
    ) -> CallToolResult {
        const TOOL: &str = "handle_r_callback";
        let callback_id = text_arg(arguments, "callback_id").unwrap_or_default();
        let tool = text_arg(arguments, "tool_name").unwrap_or_default();
        let parameters = arguments.get("parameters").cloned().unwrap_or(json!({}));
        let state = match self.own_workspace(&context) {
            Ok(state) => state,
            Err(message) => return error(TOOL, &message),
        };
        match self
            .runner
            .run(
                &state,
                Some(callback_id),
                tool,
                parameters,
                context.cancel.clone(),
            )
            .await
        {
            Ok(mut result) => {
                if let Some(ContentBlock::Text(text)) = result.content.first_mut() {
                    text.text = format!("(via callback session {callback_id}) {}", text.text);
                }
                result
            }
            Err(message) => error(TOOL, &message),
        }
    }

    pub(super) fn list_callback_sessions(&self, context: &CallContext) -> CallToolResult {
        let state = match self.own_workspace(context) {
            Ok(state) => state,
            Err(message) => return error("list_callback_sessions", &message),
        };
        let sessions: Vec<Value> = state.callbacks_mut(|callbacks| {
            callbacks
                .sessions
                .values()
                .map(|s| s.describe(callbacks.active.as_deref() == Some(s.id.as_str())))
                .collect()
        });
        let text = if sessions.is_empty() {
            "No callback sessions; setup_r_bidirectional creates one".to_string()
        } else {
            format!("{} callback sessions", sessions.len())
        };
        success(
            text,
            json!({"sessions": sessions, "count": sessions.len(), "success": true}),
        )
    }
}
