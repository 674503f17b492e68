//! Tools: what `tools/list` advertises and what `tools/call` runs.
//!
//! This module is the seam between the protocol (`mcp/`, which knows no R)
//! and the tool implementations (which know no HTTP). A [`ToolProvider`]
//! lists tool definitions (the official SDK's `rmcp::model::Tool`, so
//! names, schemas and annotations are the wire types) and runs a call,
//! returning an `rmcp::model::CallToolResult`. Failures of the tool itself,
//! including invalid arguments, are results with `is_error: true` that name
//! the problem and the fix (spec 2025-11-25); only an unknown tool name is a
//! protocol error, which the caller reports.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use rmcp::model::{CallToolResult, Tool};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// Progress of a long call, sent back as `notifications/progress` when the
/// client asked for it (a `progressToken`).
pub trait ProgressSink: Send + Sync {
    /// `progress` so far, out of `total` when known, with a short message.
    fn report(&self, progress: f64, total: Option<f64>, message: Option<String>);
}

/// What a tool call knows about its caller.
#[derive(Clone)]
pub struct CallContext {
    /// The MCP session (`Mcp-Session-Id`, or a fixed id for stdio); tools
    /// that keep state (R workspaces, approvals) key it by this.
    pub session_id: Arc<str>,
    /// Cancelled when the client sends `notifications/cancelled` for this
    /// request, disconnects, or the server shuts down.
    pub cancel: CancellationToken,
    /// Where progress goes, when the client asked for it.
    pub progress: Option<Arc<dyn ProgressSink>>,
    /// Overrides the default R time limit for this call.
    pub timeout: Option<Duration>,
}

/// A set of tools the server exposes.
pub trait ToolProvider: Send + Sync {
    /// Every tool, sorted by name.
    fn tools(&self) -> Vec<Tool>;

    /// Runs tool `name`. `None` when this provider has no such tool (the
    /// protocol layer then answers with a JSON-RPC error or tries another
    /// provider).
    fn call<'a>(
        &'a self,
        name: &'a str,
        arguments: Value,
        context: CallContext,
    ) -> Option<BoxFuture<'a, CallToolResult>>;
}
