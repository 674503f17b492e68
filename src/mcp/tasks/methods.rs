//! `tasks/get`, `tasks/update` and `tasks/cancel`. Each needs the extension
//! negotiated (-32021 otherwise) and a `taskId` of the caller's own (-32602
//! for any other: unknown, another client's, evicted or expired, the last
//! two with the reason). `tasks/result` and `tasks/list` (removed by
//! SEP-2663) are unknown methods.

use std::sync::Arc;

use rmcp::model::ErrorData;
use serde_json::{json, Map, Value};

use crate::mcp::dispatch::{invalid_params, required_str};
use crate::mcp::session::Session;
use crate::mcp::McpServer;

/// The methods of the extension.
pub const TASK_METHODS: &[&str] = &["tasks/get", "tasks/update", "tasks/cancel"];

impl McpServer {
    /// Handles one of [`TASK_METHODS`].
    pub(in crate::mcp) fn task_method(
        &self,
        session: &Arc<Session>,
        method: &str,
        params: &Map<String, Value>,
    ) -> Result<Value, ErrorData> {
        if !super::negotiated(session, params) {
            return Err(super::missing_extension(method));
        }
        let id = required_str(params, "taskId")?;
        let store = &self.inner.tasks;
        let task = store.get(&super::owner_of(session), id)?;
        match method {
            "tasks/get" => Ok(task.detailed(store.limits())),
            "tasks/update" => {
                match params.get("inputResponses") {
                    Some(Value::Object(responses)) => task.answer(responses),
                    None | Some(Value::Null) => {}
                    Some(_) => {
                        return Err(invalid_params(
                            "\"inputResponses\" must be an object of answers by key",
                        ))
                    }
                }
                Ok(json!({"resultType": "complete"}))
            }
            _ => {
                task.cancel();
                Ok(json!({"resultType": "complete"}))
            }
        }
    }
}
