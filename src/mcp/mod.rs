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
//! - `listen`: that revision's `subscriptions/listen` (filter, tagging).
//! - `era`: the era lock of a connection without headers (stdio).
//!
//! It knows no R and no HTTP: tools come from [`ToolProvider`]s, and the
//! transports (`http`, `stdio`) hand it decoded messages and a sink.

mod call;
mod dispatch;
pub mod era;
pub mod fixtures;
pub mod fixtures_modern;
pub mod input;
pub mod jsonrpc;
pub mod listen;
pub mod modern;
mod notify;
pub mod session;
pub mod stream;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rmcp::model::Tool;

use crate::metrics::Metrics;
use crate::tools::validate::Validators;
use crate::tools::{PromptProvider, ResourceProvider, ToolProvider};

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
}

struct Inner {
    options: ServerOptions,
    /// Every tool, sorted by name.
    tools: Vec<Entry>,
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
                    tools.push(Entry {
                        tool,
                        provider: index,
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
        let first_tools_page = Arc::new(jsonrpc::CachedResult::new(dispatch::first_page_text(
            "tools",
            &listed,
            self.options.page_size,
        )));
        let notifier = Arc::new(notify::Notifier::default());
        for provider in &self.resources {
            provider.listen(Arc::clone(&notifier) as Arc<dyn crate::tools::ResourceListener>);
        }
        McpServer {
            inner: Arc::new(Inner {
                options: self.options,
                tools,
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
