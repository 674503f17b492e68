//! The MCP protocol layer: JSON-RPC framing, the lifecycle (initialize,
//! version negotiation, ping), tools, prompts, resources, completion,
//! logging, progress, cancellation and server-to-client requests, over any
//! transport.
//!
//! Layout:
//! - `jsonrpc`: classifying incoming messages, building outgoing ones.
//! - `session`: per-client state and the session store.
//! - `stream`: message sinks and resumable event streams.
//! - `dispatch`: one handler per MCP method.
//! - `call`: `tools/call` (validation against the input schema with
//!   `tools::validate`, progress, cancellation, the client peer a tool uses
//!   for logs, sampling and elicitation).
//! - `notify`: resource notifications (updated, list changed) for the
//!   sessions that want them.
//! - `fixtures`: the conformance suite's tools, prompts and resources.
//! - `modern`: the 2026-07-28 revision's per-request context (`_meta`),
//!   `server/discover` and result decoration, around the same handlers.
//! - `input`: that revision's input-required rounds (SEP-2322) and their
//!   sealed `requestState`.
//! - `fixtures_modern`: the conformance suite's fixtures for 2026-07-28.
//! - `fixtures_tasks`: the conformance suite's fixtures of the Tasks
//!   extension.
//! - `listen`: that revision's `subscriptions/listen` (filter, tagging).
//! - `era`: the era lock of a connection without headers (stdio).
//! - `tasks`: the Tasks extension (SEP-2663): the task store, the task
//!   branch of `tools/call`, and `tasks/get`, `tasks/update`,
//!   `tasks/cancel`.
//!
//! It knows no R and no HTTP: tools come from [`ToolProvider`]s, and the
//! transports (`http`, `stdio`) hand it decoded messages and a sink.

mod call;
mod dispatch;
pub mod era;
pub mod fixtures;
pub mod fixtures_modern;
pub mod fixtures_tasks;
pub mod input;
pub mod jsonrpc;
pub mod listen;
pub mod modern;
mod notify;
pub mod session;
pub mod stream;
pub mod tasks;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rmcp::model::Tool;

use crate::metrics::Metrics;
use crate::tools::validate::Validators;
use crate::tools::{
    PromptProvider, ResourceProvider, TaskSupport, ToolProvider, TASK_SUPPORT_META,
};

pub use dispatch::SUPPORTED_VERSIONS;

/// The newest protocol version this server speaks.
pub const LATEST_VERSION: &str = "2025-11-25";

/// What the server says about itself and how it pages lists.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// `serverInfo.name`.
    pub name: String,
    /// `serverInfo.title`, for people.
    pub title: String,
    /// `serverInfo.version`.
    pub version: String,
    /// `instructions` in the initialize result: how to use the server well.
    pub instructions: Option<String>,
    /// Items per page of `tools/list`, `prompts/list`, `resources/list`.
    pub page_size: usize,
    /// How long a tool waits for the client to answer sampling or
    /// elicitation (a person may be typing).
    pub client_request_timeout: Duration,
    /// Seals the `requestState` of input-required rounds (protocol
    /// 2026-07-28); shared by replicas through `RMCP_REQUEST_STATE_KEY`.
    pub request_state_key: input::StateKey,
    /// This replica's name (`RMCP_NODE_ID`), first part of the ids a client
    /// keeps across requests; `None` on a single server.
    pub node_id: Option<String>,
    /// The bounds of the task store (TTL, tasks and result bytes per client
    /// and in all).
    pub tasks: tasks::TaskLimits,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            name: "rmcp-server".into(),
            title: "rmcp: statistical analysis in R".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            instructions: Some(DEFAULT_INSTRUCTIONS.into()),
            page_size: 100,
            client_request_timeout: Duration::from_secs(300),
            request_state_key: input::StateKey::random(),
            node_id: None,
            tasks: tasks::TaskLimits::default(),
        }
    }
}

const DEFAULT_INSTRUCTIONS: &str = "rmcp runs statistical analyses in R. Prefer the named tools \
(see tools/list) over free-form code; each tool's inputSchema says which arguments it takes. \
Data tables are passed column-wise: {\"column\": [values...]}. Invalid arguments come back as \
an error result that names the field and the fix. Long computations report progress when a \
progressToken is given and can be cancelled.";

/// A listed tool and the provider that runs it.
struct Entry {
    tool: Tool,
    provider: usize,
    /// Whether a call may (or must) run as a task.
    task_support: TaskSupport,
}

struct Inner {
    options: ServerOptions,
    /// Every tool, sorted by name.
    tools: Vec<Entry>,
    /// The same tools as `tools/list` sends them (with `execution`).
    wire_tools: Vec<serde_json::Value>,
    /// The tasks of every client (SEP-2663).
    tasks: Arc<tasks::TaskStore>,
    by_name: HashMap<String, usize>,
    tool_providers: Vec<Arc<dyn ToolProvider>>,
    prompt_providers: Vec<Arc<dyn PromptProvider>>,
    resource_providers: Vec<Arc<dyn ResourceProvider>>,
    validators: Validators,
    metrics: Arc<Metrics>,
    /// Sends resource notifications to the initialized sessions.
    notifier: Arc<notify::Notifier>,
    /// The first page of `tools/list`, serialized once here: the tools never
    /// change while the server runs, and building ~90 KB of schemas per call
    /// was most of that method's cost.
    first_tools_page: Arc<jsonrpc::CachedResult>,
    /// The same page as protocol 2026-07-28 answers it (with `resultType`
    /// and caching hints), made from it on first use.
    modern_first_tools_page: std::sync::OnceLock<Arc<jsonrpc::CachedResult>>,
}

/// The protocol engine shared by every transport and session.
#[derive(Clone)]
pub struct McpServer {
    inner: Arc<Inner>,
}

/// Collects the providers of a server.
pub struct McpServerBuilder {
    options: ServerOptions,
    tools: Vec<Arc<dyn ToolProvider>>,
    prompts: Vec<Arc<dyn PromptProvider>>,
    resources: Vec<Arc<dyn ResourceProvider>>,
}

impl McpServer {
    pub fn builder(options: ServerOptions) -> McpServerBuilder {
        McpServerBuilder {
            options,
            tools: Vec::new(),
            prompts: Vec::new(),
            resources: Vec::new(),
        }
    }

    /// Number of tools advertised.
    pub fn tool_count(&self) -> usize {
        self.inner.tools.len()
    }

    /// The results serialized once (`tools/list`'s first page), which a
    /// transport may prepare more for (HTTP deflates them for gzip answers
    /// as it starts).
    pub fn cached_results(&self) -> Vec<Arc<jsonrpc::CachedResult>> {
        vec![Arc::clone(&self.inner.first_tools_page)]
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.inner.metrics
    }

    pub fn options(&self) -> &ServerOptions {
        &self.inner.options
    }

    /// The task store (tests and `/health` read its usage; the transports
    /// end an older session's tasks with its session).
    pub fn tasks(&self) -> &Arc<tasks::TaskStore> {
        &self.inner.tasks
    }
}

impl McpServerBuilder {
    pub fn tools(mut self, provider: Arc<dyn ToolProvider>) -> Self {
        self.tools.push(provider);
        self
    }

    pub fn prompts(mut self, provider: Arc<dyn PromptProvider>) -> Self {
        self.prompts.push(provider);
        self
    }

    pub fn resources(mut self, provider: Arc<dyn ResourceProvider>) -> Self {
        self.resources.push(provider);
        self
    }

    /// Collects every provider's tools (the first provider wins a name
    /// clash), compiles their input schemas, and builds the server.
    pub fn build(self, metrics: Arc<Metrics>) -> McpServer {
        let mut tools: Vec<Entry> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (index, provider) in self.tools.iter().enumerate() {
            for tool in provider.tools() {
                if seen.insert(tool.name.to_string()) {
                    let task_support = tool
                        .meta
                        .as_ref()
                        .and_then(|meta| meta.get(TASK_SUPPORT_META))
                        .and_then(serde_json::Value::as_str)
                        .and_then(TaskSupport::parse)
                        .unwrap_or_default();
                    tools.push(Entry {
                        tool,
                        provider: index,
                        task_support,
                    });
                } else {
                    log::warn!("tool {} is listed twice; keeping the first", tool.name);
                }
            }
        }
        tools.sort_by(|a, b| a.tool.name.cmp(&b.tool.name));
        let by_name = tools
            .iter()
            .enumerate()
            .map(|(index, entry)| (entry.tool.name.to_string(), index))
            .collect();
        let listed: Vec<Tool> = tools.iter().map(|entry| entry.tool.clone()).collect();
        let validators = Validators::compile(&listed);
        let wire_tools: Vec<serde_json::Value> = tools.iter().map(wire_tool).collect();
        let first_tools_page = Arc::new(jsonrpc::CachedResult::new(dispatch::first_page_text(
            "tools",
            &wire_tools,
            self.options.page_size,
        )));
        let notifier = Arc::new(notify::Notifier::default());
        for provider in &self.resources {
            provider.listen(Arc::clone(&notifier) as Arc<dyn crate::tools::ResourceListener>);
        }
        let tasks = Arc::new(tasks::TaskStore::new(
            self.options.tasks.clone(),
            self.options.node_id.clone(),
            Arc::clone(&metrics),
        ));
        McpServer {
            inner: Arc::new(Inner {
                options: self.options,
                tools,
                wire_tools,
                tasks,
                by_name,
                tool_providers: self.tools,
                prompt_providers: self.prompts,
                resource_providers: self.resources,
                validators,
                metrics,
                notifier,
                first_tools_page,
                modern_first_tools_page: std::sync::OnceLock::new(),
            }),
        }
    }
}

/// A tool as `tools/list` sends it: its task support moves from the
/// provider's `_meta` (rmcp's `Tool` has no member for it) to
/// `execution.taskSupport` (SEP-2663; every tool says it, `forbidden`
/// included).
fn wire_tool(entry: &Entry) -> serde_json::Value {
    let mut value = serde_json::to_value(&entry.tool).unwrap_or(serde_json::Value::Null);
    if let Some(object) = value.as_object_mut() {
        let empty_meta = object
            .get_mut("_meta")
            .and_then(serde_json::Value::as_object_mut)
            .is_some_and(|meta| {
                meta.remove(TASK_SUPPORT_META);
                meta.is_empty()
            });
        if empty_meta {
            object.remove("_meta");
        }
        object.insert(
            "execution".into(),
            serde_json::json!({"taskSupport": entry.task_support.as_str()}),
        );
    }
    value
}
