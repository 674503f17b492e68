//! execute_r_analysis: free-form R in the calling session's sandboxed
//! worker, answered in the reference's shape (`success`, `result`,
//! `console_output`, `warnings`, `r_code_executed`, `packages_loaded`), plus
//! an image block when `return_image` is set and a plot was drawn.
//!
//! Refusals by the guard and packages that need approval are normal results
//! with `success: false`, as in the reference; timeouts, cancellations and a
//! worker that died are `isError` results that say whether the workspace
//! survived. Every answer past the workspace lookup names the workspace's
//! handle (`structuredContent.workspace` and the text); a `workspace` that
//! names none the caller may use is an `isError` result saying to start a
//! new one.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{json, Map, Value};

use super::flexible::{state_packages, valid_package_name};
use super::session::SessionState;
use super::shared::{error, flag, success, text_arg, with_workspace, Handler, Shared};
use crate::tools::result;
use crate::tools::CallContext;
use crate::worker::protocol::{FailureKind, Op, Outcome};
use crate::worker::WorkerError;

/// The tool this module serves.
pub(super) const HANDLERS: &[(&str, Handler)] = &[("execute_r_analysis", execute_r_analysis)];

fn execute_r_analysis<'a>(
    shared: &'a Shared,
    _tool: &'a str,
    arguments: Map<String, Value>,
    context: CallContext,
) -> BoxFuture<'a, CallToolResult> {
    Box::pin(shared.execute(arguments, context))
}

/// A table argument's rules: at least one column, at least one row, all
/// columns the same length.
fn check_table(data: &Value) -> Result<(), String> {
    let Value::Object(columns) = data else {
        return Err(
            "data: must be a table, an object of equal-length columns such as {\"x\": [1, 2]}"
                .into(),
        );
    };
    let mut lengths = columns
        .iter()
        .map(|(name, values)| (name, values.as_array().map_or(0, Vec::len)));
    let Some((first, rows)) = lengths.next() else {
        return Err("data: the table has no columns; send at least one column".into());
    };
    if rows == 0 {
        return Err(format!(
            "data: column '{first}' is empty; send at least one row"
        ));
    }
    if let Some((column, length)) = lengths.find(|(_, length)| *length != rows) {
        return Err(format!(
            "data: columns must have the same length, but '{first}' has {rows} values and '{column}' has {length}; pad with null"
        ));
    }
    Ok(())
}

/// At most this much console output goes into the text summary.
const TEXT_OUTPUT_CHARS: usize = 4000;

fn clip(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        text.to_string()
    } else {
        let kept: String = text.chars().take(limit).collect();
        format!(
            "{kept}\n[… {} more characters]",
            text.chars().count() - limit
        )
    }
}

impl Shared {
    pub(super) async fn execute(
        &self,
        arguments: Map<String, Value>,
        context: CallContext,
    ) -> CallToolResult {
        const TOOL: &str = "execute_r_analysis";
        if let Err(message) = self.gate().await {
            return error(TOOL, &message);
        }
        let state = match self.workspace(&arguments, &context) {
            Ok(state) => state,
            Err(message) => return error(TOOL, &message),
        };
        let result = self.execute_in(&state, arguments, context).await;
        with_workspace(result, &state.handle)
    }

    /// execute_r_analysis in workspace `state`.
    async fn execute_in(
        &self,
        state: &Arc<SessionState>,
        arguments: Map<String, Value>,
        context: CallContext,
    ) -> CallToolResult {
        const TOOL: &str = "execute_r_analysis";
        let code = text_arg(&arguments, "r_code")
            .unwrap_or_default()
            .to_string();
        let description = text_arg(&arguments, "description")
            .unwrap_or_default()
            .to_string();
        if let Some(data) = arguments.get("data") {
            if let Err(message) = check_table(data) {
                return error(TOOL, &message);
            }
        }
        let packages: Vec<String> = arguments
            .get("packages")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let approved = state_packages(state);
        let base = json!({
            "r_code_executed": code,
            "packages_loaded": [],
            "description": description,
        });
        for package in &packages {
            if !valid_package_name(package) {
                let mut refused = base.clone();
                refused["success"] = json!(false);
                refused["error"] = json!(format!(
                    "Security validation failed: Invalid package name '{package}'; package names start with a letter and use letters, digits, '.' and '_'"
                ));
                return success(
                    format!("**{TOOL}**: invalid package name `{package}`"),
                    refused,
                );
            }
            if !self.allowlist.contains(package) && !approved.contains(package) {
                return approval_required(&base, package);
            }
        }
        let config = self.sessions.pool().config();
        let asked = arguments
            .get("timeout_seconds")
            .and_then(Value::as_u64)
            .map(|seconds| Duration::from_secs(seconds.clamp(1, 300)));
        // RMCP_R_TIMEOUT caps every R computation: a longer limit asked for
        // is lowered, and the answer says so.
        let timeout = asked
            .or(context.timeout)
            .unwrap_or(config.default_timeout)
            .min(config.max_timeout);
        let capped = asked
            .filter(|asked| *asked > config.max_timeout)
            .map(|asked| {
                format!(
                    "Note: timeout_seconds {} is above this server's limit for R computations ({} s, RMCP_R_TIMEOUT); the code ran with {} s.\n\n",
                    asked.as_secs(),
                    config.max_timeout.as_secs_f64(),
                    config.max_timeout.as_secs_f64()
                )
            });
        let mut request = json!({
            "code": code,
            "packages": packages,
            // The worker has the allowlist; it needs only what this session approved.
            "approved_packages": approved,
            "return_image": flag(&arguments, "return_image", false),
            "guard": self.sessions.pool().config().guard,
        });
        if let Some(data) = arguments.get("data") {
            request["data"] = data.clone();
        }
        let handler = self.callback_handler(state, &context);
        let answer = self
            .sessions
            .run(
                state,
                Op::Eval,
                request,
                timeout,
                &context.cancel,
                Some(handler),
            )
            .await;
        let reset = answer.note.map(|why| {
            format!(
                "Note: this R workspace was reset ({why}); objects from earlier calls are gone.\n\n"
            )
        });
        let note = match (capped, reset) {
            (Some(capped), Some(reset)) => Some(format!("{capped}{reset}")),
            (capped, reset) => capped.or(reset),
        };
        let mut result = match answer.outcome {
            Ok(Outcome::Ok {
                value,
                stdout,
                stderr,
                warnings,
                ..
            }) => self.shape(&base, value, join_output(&stdout, &stderr), warnings),
            // The worker answers a timeout once R let go of the code; R that
            // does not is killed (`WorkerError::Stuck` below).
            Ok(Outcome::Failed {
                kind: FailureKind::Timeout,
                ..
            }) => error(
                TOOL,
                &format!("the R code exceeded its time limit of {} s and was interrupted; the workspace is intact. Make the code faster, work on less data, or raise timeout_seconds (at most 300)", timeout.as_secs()),
            ),
            Ok(Outcome::Failed {
                kind: FailureKind::Cancelled,
                ..
            }) => error(TOOL, "the R computation was cancelled"),
            Ok(Outcome::Failed {
                message,
                stdout,
                stderr,
                warnings,
                ..
            }) => {
                let mut failed = base.clone();
                failed["success"] = json!(false);
                failed["error"] = json!(message);
                failed["console_output"] = json!(join_output(&stdout, &stderr));
                failed["warnings"] = json!(warnings);
                success(format!("**{TOOL}** failed: {message}"), failed)
            }
            Err(WorkerError::Stuck) => error(
                TOOL,
                &format!("the R code exceeded its time limit of {} s and did not stop, so this workspace's R worker was replaced: the workspace was reset and objects from earlier calls are gone", timeout.as_secs()),
            ),
            Err(WorkerError::Died(why)) => error(
                TOOL,
                &format!("the R worker running this code stopped ({why}); this workspace was reset and objects from earlier calls are gone. Other workspaces are unaffected; run the analysis again with less memory or time"),
            ),
            Err(WorkerError::Closed) if context.cancel.is_cancelled() => {
                error(TOOL, "the R computation was cancelled")
            }
            Err(other) => error(TOOL, &other.to_string()),
        };
        if let Some(note) = note {
            if let Some(ContentBlock::Text(text)) = result.content.first_mut() {
                text.text = format!("{note}{}", text.text);
            }
        }
        result
    }

    /// The reference's result shape from the worker's answer.
    fn shape(
        &self,
        base: &Value,
        value: Value,
        console: String,
        warnings: Vec<String>,
    ) -> CallToolResult {
        const TOOL: &str = "execute_r_analysis";
        let status = value["status"].as_str().unwrap_or("ok");
        match status {
            "refused" => {
                let message = value["message"].as_str().unwrap_or("refused").to_string();
                let mut refused = base.clone();
                refused["success"] = json!(false);
                refused["error"] = json!(format!("Security validation failed: {message}"));
                refused["refused_call"] = value["call"].clone();
                return success(
                    format!("**{TOOL}**: the code was not run: {message}"),
                    refused,
                );
            }
            "approval_required" => {
                let package = value["package"].as_str().unwrap_or_default();
                return approval_required(base, package);
            }
            _ => {}
        }
        let mut structured = base.clone();
        structured["success"] = json!(true);
        structured["result"] = value["result"].clone();
        structured["result_source"] = value["result_source"].clone();
        structured["console_output"] = json!(console);
        structured["warnings"] = json!(warnings);
        structured["packages_loaded"] = match &value["packages_loaded"] {
            Value::Array(items) => Value::Array(items.clone()),
            Value::String(one) => json!([one]),
            _ => json!([]),
        };
        let image = value["image"]
            .as_str()
            .filter(|data| !data.is_empty())
            .map(str::to_string);
        let result_json = serde_json::to_string(&structured["result"]).unwrap_or_default();
        let mut text = format!(
            "**R analysis**: {}\n\n",
            base["description"].as_str().unwrap_or("")
        );
        text.push_str(&format!(
            "Result ({}):\n```json\n{}\n```\n",
            value["result_source"].as_str().unwrap_or("result"),
            clip(&result_json, 2000)
        ));
        if !console.is_empty() {
            text.push_str(&format!(
                "\nConsole output:\n```\n{}\n```\n",
                clip(&console, TEXT_OUTPUT_CHARS)
            ));
        }
        if !warnings.is_empty() {
            text.push_str("\n**R warnings:**\n");
            for warning in &warnings {
                text.push_str(&format!("- {warning}\n"));
            }
        }
        result::success(TOOL, text, image, structured, self.results.as_deref())
    }
}

fn join_output(stdout: &str, stderr: &str) -> String {
    match (stdout.is_empty(), stderr.is_empty()) {
        (_, true) => stdout.to_string(),
        (true, false) => stderr.to_string(),
        (false, false) => format!(
            "{stdout}{}{stderr}",
            if stdout.ends_with('\n') { "" } else { "\n" }
        ),
    }
}

fn approval_required(base: &Value, package: &str) -> CallToolResult {
    let message = format!(
        "package '{package}' is not on the allowlist; call approve_r_package with package_name \"{package}\" and action \"approve\", then run the code again"
    );
    let mut structured = base.clone();
    structured["success"] = json!(false);
    structured["result"] = json!({
        "approval_required": true,
        "package": package,
        "message": message,
    });
    structured["console_output"] = json!("");
    structured["packages_loaded"] = json!([]);
    success(format!("**execute_r_analysis**: {message}"), structured)
}
