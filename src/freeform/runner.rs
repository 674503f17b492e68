//! Running catalog tools for R's callbacks: [`CallbackRunner`] checks a
//! call against the session's active callback session (allowed tools,
//! expiry, calls left) and the tool's input schema, exactly as a
//! `tools/call` would be, then runs it on the catalog (the server's
//! in-process R). The bidirectional tools that manage callback sessions are
//! in `callbacks`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rmcp::model::{CallToolResult, Tool};
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use super::session::SessionState;
use crate::tools::validate::Validators;
use crate::tools::{CallContext, ToolProvider};

/// Callbacks one callback session may make.
const MAX_CALLS: u64 = 1000;

/// Runs catalog tools for callbacks.
pub struct CallbackRunner {
    catalog: Arc<dyn ToolProvider>,
    tools: HashMap<String, Tool>,
    validators: Validators,
}

impl CallbackRunner {
    pub fn new(catalog: Arc<dyn ToolProvider>) -> CallbackRunner {
        let listed = catalog.tools();
        let validators = Validators::compile(&listed);
        let tools = listed
            .into_iter()
            .map(|tool| (tool.name.to_string(), tool))
            .collect();
        CallbackRunner {
            catalog,
            tools,
            validators,
        }
    }

    /// Catalog tool names, sorted.
    pub(super) fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.tools.keys().cloned().collect();
        names.sort();
        names
    }

    /// Checks a requested tool list: `None` means every catalog tool.
    pub(super) fn check_tools(&self, requested: Option<&Value>) -> Result<Vec<String>, String> {
        let Some(Value::Array(items)) = requested else {
            return Ok(self.names());
        };
        let mut tools = Vec::new();
        let mut unknown = Vec::new();
        for name in items.iter().filter_map(Value::as_str) {
            if self.tools.contains_key(name) {
                if !tools.iter().any(|t| t == name) {
                    tools.push(name.to_string());
                }
            } else {
                unknown.push(name.to_string());
            }
        }
        if unknown.is_empty() {
            Ok(tools)
        } else {
            Err(format!(
                "allowed_tools: {} {} not catalog tools; callbacks reach the statistics catalog only (e.g. linear_model, t_test, summary_stats)",
                unknown.join(", "),
                if unknown.len() == 1 { "is" } else { "are" }
            ))
        }
    }

    /// Runs `tool` through callback session `callback_id` (the active one
    /// when `None`) of `state`.
    pub(super) async fn run(
        &self,
        state: &SessionState,
        callback_id: Option<&str>,
        tool: &str,
        arguments: Value,
        cancel: CancellationToken,
    ) -> Result<CallToolResult, String> {
        let remaining = state.callbacks_mut(|callbacks| {
            let id = match callback_id {
                Some(id) => id.to_string(),
                None => callbacks.active.clone().ok_or(
                    "callbacks are not enabled for this session; call setup_r_bidirectional (or create_r_callback_session) first",
                )?,
            };
            let session = callbacks
                .sessions
                .get_mut(&id)
                .ok_or_else(|| format!("no callback session '{id}' in this MCP session"))?;
            if session.remaining().is_zero() {
                return Err(format!("callback session '{id}' has expired; create a new one"));
            }
            if !session.allowed_tools.iter().any(|t| t == tool) {
                return Err(format!(
                    "tool '{tool}' is not allowed in callback session '{id}' (allowed: {})",
                    session.allowed_tools.join(", ")
                ));
            }
            if session.calls >= MAX_CALLS {
                return Err(format!("callback session '{id}' has used its {MAX_CALLS} calls"));
            }
            session.calls += 1;
            Ok(session.remaining())
        })?;
        let definition = self
            .tools
            .get(tool)
            .ok_or_else(|| format!("'{tool}' is not a catalog tool"))?;
        let arguments = match arguments {
            Value::Array(items) if items.is_empty() => Value::Object(Map::new()),
            other => other,
        };
        self.validators.check(definition, &arguments)?;
        let mut context = CallContext::new(state.id.clone(), cancel);
        context.timeout = Some(remaining.min(Duration::from_secs(300)));
        let call = self
            .catalog
            .call(tool, arguments, context)
            .ok_or_else(|| format!("'{tool}' is not a catalog tool"))?;
        Ok(call.await)
    }
}
