//! The introspection tools: list_r_objects, inspect_r_object,
//! get_r_session_info and list_r_packages, all looking at the caller's own
//! live workspace in its worker (the reference starts a fresh R per call, so
//! its versions see nothing). The workspace is the calling session's own or
//! the one the `workspace` handle names (of the caller's credential only),
//! and its handle comes back in every answer. `session_id` is accepted for
//! compatibility and echoed, never used to pick a workspace.
//!
//! Listing or inspecting a workspace that has no worker yet answers at once
//! (an empty workspace) without starting one. list_r_packages takes a
//! handle too: what it may load depends on the workspace's approvals.

use futures::future::BoxFuture;
use rmcp::model::CallToolResult;
use serde_json::{json, Map, Value};

use super::flexible::state_packages;
use super::shared::{error, success, with_workspace, Handler, Shared};
use crate::tools::CallContext;
use crate::worker::protocol::{Op, Outcome};

/// The introspection tools this module serves (one handler for the four).
pub(super) const HANDLERS: &[(&str, Handler)] = &[
    ("list_r_objects", introspect),
    ("inspect_r_object", introspect),
    ("get_r_session_info", introspect),
    ("list_r_packages", introspect),
];

fn introspect<'a>(
    shared: &'a Shared,
    tool: &'a str,
    arguments: Map<String, Value>,
    context: CallContext,
) -> BoxFuture<'a, CallToolResult> {
    Box::pin(shared.introspect(tool, arguments, context))
}

impl Shared {
    pub(super) async fn introspect(
        &self,
        tool: &str,
        arguments: Map<String, Value>,
        context: CallContext,
    ) -> CallToolResult {
        if let Err(message) = self.gate().await {
            return error(tool, &message);
        }
        let label = arguments
            .get("session_id")
            .and_then(Value::as_str)
            .unwrap_or("current")
            .to_string();
        let state = match self.workspace(&arguments, &context) {
            Ok(state) => state,
            Err(message) => return error(tool, &message),
        };
        let op = match tool {
            "list_r_objects" => Op::Describe,
            "inspect_r_object" => Op::Inspect,
            "get_r_session_info" => Op::SessionInfo,
            _ => Op::Packages,
        };
        if state.worker().is_none() && matches!(op, Op::Describe | Op::Inspect) {
            let value = if op == Op::Describe {
                json!({"objects": [], "summary": {"total_objects": 0, "total_size_bytes": 0, "classes": {}}})
            } else {
                json!({
                    "exists": false,
                    "object_name": arguments.get("object_name"),
                    "message": "this R workspace has no objects yet; create them with execute_r_analysis (pass the same `workspace`)",
                })
            };
            return finish(tool, value, &label, None, &state.handle);
        }
        let mut args = Value::Object(arguments);
        if let Value::Object(fields) = &mut args {
            fields.remove("workspace");
        }
        if op == Op::Packages {
            // The worker has the allowlist; it needs only what this session approved.
            args["approved_packages"] = json!(state_packages(&state));
        }
        // The free-form default: 60 s, or RMCP_R_TIMEOUT when lower.
        let timeout = self.sessions.pool().config().default_timeout;
        let answer = self
            .sessions
            .run(&state, op, args, timeout, &context.cancel, None)
            .await;
        match answer.outcome {
            Ok(Outcome::Ok { value, .. }) => {
                finish(tool, value, &label, answer.note, &state.handle)
            }
            Ok(Outcome::Failed { message, .. }) => with_workspace(
                success(
                    format!("**{tool}** failed: {message}"),
                    json!({"success": false, "error": message, "session_id": label}),
                ),
                &state.handle,
            ),
            Err(failure) => with_workspace(error(tool, &failure.to_string()), &state.handle),
        }
    }
}

/// Adds the common fields (the workspace's `handle` among them) and a short
/// text summary.
fn finish(
    tool: &str,
    mut value: Value,
    label: &str,
    note: Option<String>,
    handle: &str,
) -> CallToolResult {
    if let Value::Object(fields) = &mut value {
        fields.insert("session_id".into(), json!(label));
        fields.insert("success".into(), json!(true));
        if let Some(note) = &note {
            fields.insert("workspace_reset".into(), json!(note));
        }
    }
    let summary = match tool {
        "list_r_objects" => {
            let objects = value["objects"].as_array().map_or(0, Vec::len);
            let names: Vec<&str> = value["objects"]
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|o| o["name"].as_str())
                        .take(50)
                        .collect()
                })
                .unwrap_or_default();
            format!(
                "{objects} objects in this R workspace: {}",
                names.join(", ")
            )
        }
        "inspect_r_object" => {
            if value["exists"] == json!(true) {
                format!(
                    "`{}`: class {}, {} bytes\n\n```\n{}\n```",
                    value["object_name"].as_str().unwrap_or(""),
                    value["class"],
                    value["size_bytes"],
                    value["structure"].as_str().unwrap_or("")
                )
            } else {
                value["message"]
                    .as_str()
                    .unwrap_or("no such object")
                    .to_string()
            }
        }
        "get_r_session_info" => format!(
            "{} on {}; {} objects in the workspace",
            value["r_version"].as_str().unwrap_or("R"),
            value["platform"].as_str().unwrap_or("?"),
            value["workspace_objects"]
        ),
        _ => match value.get("packages").and_then(Value::as_array) {
            Some(packages) => format!("{} packages listed", packages.len()),
            None => format!(
                "package {}: installed {}, loaded {}",
                value["package"], value["installed"], value["loaded"]
            ),
        },
    };
    let text = match note {
        Some(note) => format!("Note: this R workspace was reset ({note}).\n\n{summary}"),
        None => summary,
    };
    with_workspace(success(text, value), handle)
}
