//! What every free-form tool handler shares ([`Shared`]: the sessions'
//! workers, the callback runner, the package allowlist, the result store,
//! the file sandbox), the [`Handler`] signature the provider's table holds,
//! and the small helpers handlers answer with.
//!
//! It names no handler: `execute`, `flexible`, `inspect` and `callbacks`
//! add their methods to [`Shared`] and list their tools in a `HANDLERS`
//! table, and the provider (`freeform/mod.rs`) dispatches from those tables,
//! so the dependencies run one way.

use std::sync::Arc;

use futures::future::BoxFuture;
use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{Map, Value};

use super::runner::CallbackRunner;
use super::session::{SessionState, Sessions};
use crate::tools::result_store::ResultStore;
use crate::tools::CallContext;
use crate::vfs::Vfs;
use crate::worker::allowlist::Allowlist;

/// Runs one free-form tool: the shared state, the tool's name (one handler
/// may serve several tools), its arguments (a JSON object) and the call's
/// context.
pub(super) type Handler = for<'a> fn(
    &'a Shared,
    &'a str,
    Map<String, Value>,
    CallContext,
) -> BoxFuture<'a, CallToolResult>;

/// The state the free-form tools share.
pub(super) struct Shared {
    /// Which worker serves which MCP session, and what each approved.
    pub(super) sessions: Arc<Sessions>,
    /// Answers R's `rmcp_call()` with the catalog's tools.
    pub(super) runner: Arc<CallbackRunner>,
    pub(super) allowlist: Allowlist,
    /// Where results too large to inline go (the catalog's store, served as
    /// `rmcp://data/<id>`).
    pub(super) results: Option<Arc<ResultStore>>,
    /// The file sandbox: approve_operation's directory grants go through it
    /// (so the file tools honour them) before a worker gets them.
    pub(super) vfs: Option<Arc<Vfs>>,
}

impl Shared {
    /// `Err` with the client-facing reason while free-form R must not run:
    /// no worker can start, or the sandbox is incomplete and weak sandboxes
    /// are not accepted.
    pub(super) async fn gate(&self) -> Result<(), String> {
        let pool = self.sessions.pool();
        let config = pool.config();
        let report = pool.sandbox_report(config.spawn_timeout).await;
        let Some(report) = report else {
            return Err(format!(
                "free-form R is unavailable: no sandboxed R worker could be started ({}); the catalog tools still work",
                pool.last_error().unwrap_or_else(|| "no report yet".into())
            ));
        };
        if report.is_complete() || config.allow_weak_sandbox {
            return Ok(());
        }
        Err(format!(
            "free-form R is disabled: the R sandbox is incomplete on this host ({}); the operator can start the server with --allow-weak-sandbox to accept a weaker sandbox. The catalog tools still work",
            report.missing_layers().join(", "),
        ))
    }
}

impl Shared {
    /// The workspace a call uses: the one its `workspace` argument names,
    /// or the calling session's own. `Err` is what to tell the model (in an
    /// `isError` result) when the handle names none the caller may use.
    pub(super) fn workspace(
        &self,
        arguments: &Map<String, Value>,
        context: &CallContext,
    ) -> Result<Arc<SessionState>, String> {
        let handle = arguments.get("workspace").and_then(Value::as_str);
        self.sessions
            .workspace(&context.session_id, context.principal.as_deref(), handle)
            .map_err(|refusal| refusal.to_string())
    }

    /// The calling session's own workspace (the callback tools, which take
    /// no handle).
    pub(super) fn own_workspace(&self, context: &CallContext) -> Result<Arc<SessionState>, String> {
        self.workspace(&Map::new(), context)
    }
}

/// Adds workspace `handle` to a result: `structuredContent.workspace` for
/// programs, and a last line of the first text block telling the model to
/// pass it on.
pub(super) fn with_workspace(mut result: CallToolResult, handle: &str) -> CallToolResult {
    if let Some(Value::Object(fields)) = &mut result.structured_content {
        fields.insert("workspace".into(), Value::String(handle.to_string()));
    }
    if let Some(ContentBlock::Text(text)) = result.content.first_mut() {
        text.text.push_str(&format!(
            "\n\nWorkspace: {handle} (pass it as `workspace` to use this workspace's objects and approvals in later calls)"
        ));
    }
    result
}

/// An `isError` result: `<tool>: <message>`.
pub(super) fn error(tool: &str, message: &str) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(format!("{tool}: {message}"))])
}

/// A successful result: `text` for people, `structured` for programs.
pub(super) fn success(text: String, structured: Value) -> CallToolResult {
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    result.structured_content = Some(structured);
    result
}

/// A string argument.
pub(super) fn text_arg<'a>(arguments: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    arguments.get(name).and_then(Value::as_str)
}

/// A boolean argument with its default.
pub(super) fn flag(arguments: &Map<String, Value>, name: &str, default: bool) -> bool {
    arguments
        .get(name)
        .and_then(Value::as_bool)
        .unwrap_or(default)
}
