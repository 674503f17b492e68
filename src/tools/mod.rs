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
//!
//! Prompts and resources come from [`PromptProvider`] and
//! [`ResourceProvider`] in the same style; a running tool reaches its client
//! (log messages, sampling, elicitation) through [`ClientPeer`].

/// Declares a category's tool files (`src/tools/<category>/<tool>.rs`, each
/// with a `SPEC`) and its `TOOLS` list from one list of names, so a tool
/// cannot be compiled without being listed or listed without being compiled.
///
/// `build.rs` does not generate these lists from the folders: modules
/// declared in a generated file need absolute `#[path]`s, which
/// rust-analyzer does not resolve (rust-lang/rust-analyzer#3898), so the
/// tool files would drop out of the editor. `layout` checks the lists
/// against the files instead.
macro_rules! tool_files {
    ($($tool:ident),* $(,)?) => {
        $(pub(crate) mod $tool;)*

        /// This category's tools.
        pub(crate) const TOOLS: &[&crate::tools::spec::ToolSpec] = &[$(&$tool::SPEC),*];
    };
}

pub mod catalog;
mod prepare;
pub mod prompts;
pub mod resources;
pub(crate) mod result;
pub mod result_store;
mod spec;
pub mod validate;

pub(crate) mod bidirectional;
mod descriptive;
mod econometrics;
mod fileops;
pub(crate) mod flexible_r;
mod formula_builder;
mod helpers;
pub(crate) mod introspection;
mod machine_learning;
mod regression;
mod statistical_tests;
mod timeseries;
mod transforms;
mod visualization;

#[cfg(test)]
mod layout;

pub use spec::SpecError;

/// Every tool's declaration, catalog and free-form alike, sorted by name.
pub(crate) fn specs() -> Vec<&'static spec::ToolSpec> {
    let mut all: Vec<&'static spec::ToolSpec> = [
        bidirectional::TOOLS,
        descriptive::TOOLS,
        econometrics::TOOLS,
        fileops::TOOLS,
        flexible_r::TOOLS,
        formula_builder::TOOLS,
        helpers::TOOLS,
        introspection::TOOLS,
        machine_learning::TOOLS,
        regression::TOOLS,
        statistical_tests::TOOLS,
        timeseries::TOOLS,
        transforms::TOOLS,
        visualization::TOOLS,
    ]
    .concat();
    all.sort_by_key(|spec| spec.name);
    all
}

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use rmcp::model::{
    CallToolResult, GetPromptResult, Prompt, ReadResourceResult, Resource, ResourceTemplate, Tool,
};
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
    /// The client that made the call, for log messages and requests back to
    /// it (sampling, elicitation); `None` outside an MCP session.
    pub client: Option<Arc<dyn ClientPeer>>,
    /// The credential the caller authenticated with (an opaque name, never
    /// the key); `None` without API keys. State a call creates for later
    /// calls (workspaces) is bound to it.
    pub principal: Option<Arc<str>>,
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

    /// Frees what session `session_id` holds with this provider. The
    /// per-request sessions of protocol 2026-07-28 end after each request.
    fn end_session(&self, _session_id: &str) {}

    /// Frees what the per-request session `session_id` of a 2026-07-28
    /// request holds, as the request ends. By default [`end_session`]; a
    /// provider whose state outlives the request under a handle the client
    /// keeps (free-form R's workspaces) keeps that state.
    ///
    /// [`end_session`]: ToolProvider::end_session
    fn end_request(&self, session_id: &str) {
        self.end_session(session_id);
    }

    /// What a call of tool `name` for a stateless (2026-07-28) request should
    /// add to its answer: what does not persist on that path. `None` for
    /// tools that keep nothing between calls.
    fn stateless_note(&self, _name: &str) -> Option<&'static str> {
        None
    }
}

impl CallContext {
    /// A context with no progress sink, no client peer and the engine's
    /// default time limit.
    pub fn new(session_id: impl Into<Arc<str>>, cancel: CancellationToken) -> CallContext {
        CallContext {
            session_id: session_id.into(),
            cancel,
            progress: None,
            timeout: None,
            client: None,
            principal: None,
        }
    }
}

/// Severity of a log message sent to the client (`notifications/message`),
/// in increasing order (RFC 5424 names, as the MCP spec uses).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Debug,
    Info,
    Notice,
    Warning,
    Error,
    Critical,
    Alert,
    Emergency,
}

/// Whether a tool's calls may run as tasks (SEP-2663, the wire's
/// `execution.taskSupport`): a client that negotiated the Tasks extension
/// gets a task for an `Optional` or `Required` tool; a `Required` tool
/// refuses a client that did not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TaskSupport {
    /// Always answered in the request (quick tools).
    #[default]
    Forbidden,
    /// A task when the client can take one (long fits, plots, free R).
    Optional,
    /// Only as a task.
    Required,
}

impl TaskSupport {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskSupport::Forbidden => "forbidden",
            TaskSupport::Optional => "optional",
            TaskSupport::Required => "required",
        }
    }

    pub fn parse(text: &str) -> Option<TaskSupport> {
        match text {
            "forbidden" => Some(TaskSupport::Forbidden),
            "optional" => Some(TaskSupport::Optional),
            "required" => Some(TaskSupport::Required),
            _ => None,
        }
    }
}

/// The `_meta` key under which a provider's tool carries its
/// [`TaskSupport`] (`"optional"`…): rmcp's `Tool` has no `execution` member,
/// so the protocol layer moves it there when it lists the tool. A tool
/// without it is `forbidden`.
pub const TASK_SUPPORT_META: &str = "rmcp/taskSupport";

/// Why a request to the client (sampling, elicitation) got no result.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PeerError {
    /// The client did not declare the capability the request needs.
    #[error("the client does not support {capability}")]
    Unsupported { capability: String },
    /// The client answered with a JSON-RPC error.
    #[error("the client rejected the request: {message}")]
    Rejected { code: i32, message: String },
    /// The client cannot be reached (no open stream, or it went away).
    #[error("the client is not connected")]
    Disconnected,
    /// The call was cancelled while waiting for the client.
    #[error("cancelled while waiting for the client")]
    Cancelled,
    /// The client did not answer in time.
    #[error("the client did not answer within {0:?}")]
    Timeout(Duration),
    /// A request of protocol 2026-07-28 has no answer to this question yet:
    /// it goes back to the client in an input-required result.
    #[error("waiting for the client's answer (input required)")]
    InputRequired,
}

/// What a running tool may ask of the client that called it: log messages
/// (`notifications/message`, filtered by the level the client set) and
/// requests such as `sampling/createMessage` or `elicitation/create`, whose
/// replies are routed back to the waiting call.
pub trait ClientPeer: Send + Sync {
    /// Sends a log message when `level` is at or above the client's level.
    fn log(&self, level: LogLevel, data: Value);

    /// Sends request `method` to the client and waits for its result.
    fn request(&self, method: &str, params: Value) -> BoxFuture<'static, Result<Value, PeerError>>;

    /// Asks the transport to end the current response stream early; the call
    /// goes on, and the client gets its result when it reconnects (SSE
    /// polling, spec 2025-11-25). A no-op where streams cannot be resumed.
    fn suspend_stream(&self) {}
}

/// Why a prompt or resource request failed; the protocol layer turns it into
/// a JSON-RPC error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    /// The arguments are missing or wrong (JSON-RPC -32602).
    #[error("{0}")]
    InvalidParams(String),
    /// No resource has this URI (-32002).
    #[error("resource not found: {0}")]
    ResourceNotFound(String),
    /// The provider failed (-32603).
    #[error("{0}")]
    Internal(String),
}

/// A set of prompts the server exposes (`prompts/list`, `prompts/get`,
/// completion of prompt arguments).
pub trait PromptProvider: Send + Sync {
    /// Every prompt, sorted by name.
    fn prompts(&self) -> Vec<Prompt>;

    /// Renders prompt `name`; `None` when this provider has no such prompt.
    fn get<'a>(
        &'a self,
        name: &'a str,
        arguments: serde_json::Map<String, Value>,
    ) -> Option<BoxFuture<'a, Result<GetPromptResult, ProviderError>>>;

    /// Suggestions for argument `argument` of prompt `name` given what the
    /// user typed so far; `None` when this provider has no such prompt.
    fn complete(&self, name: &str, argument: &str, value: &str) -> Option<Vec<String>> {
        let _ = (name, argument, value);
        None
    }
}

/// A set of resources the server exposes (`resources/list`,
/// `resources/templates/list`, `resources/read`).
pub trait ResourceProvider: Send + Sync {
    /// Concrete resources.
    fn resources(&self) -> Vec<Resource>;

    /// URI templates (RFC 6570) of resources read by parameter.
    fn templates(&self) -> Vec<ResourceTemplate> {
        Vec::new()
    }

    /// Reads `uri`; `None` when this provider does not serve it.
    fn read<'a>(
        &'a self,
        uri: &'a str,
    ) -> Option<BoxFuture<'a, Result<ReadResourceResult, ProviderError>>>;

    /// Suggestions for variable `argument` of template `uri_template`.
    fn complete(&self, uri_template: &str, argument: &str, value: &str) -> Option<Vec<String>> {
        let _ = (uri_template, argument, value);
        None
    }

    /// Gives the provider the listener to tell when its resources change
    /// (called once, when the server is built). The default ignores it:
    /// the provider's resources never change.
    fn listen(&self, listener: Arc<dyn ResourceListener>) {
        let _ = listener;
    }
}

/// Told by resource providers when resources change; the protocol layer
/// turns that into notifications for the sessions that asked for them.
pub trait ResourceListener: Send + Sync {
    /// The resource at `uri` changed (`notifications/resources/updated`,
    /// sent to sessions subscribed to `uri`).
    fn updated(&self, uri: &str);

    /// The list of resources changed
    /// (`notifications/resources/list_changed`, sent to every session).
    fn list_changed(&self);
}
