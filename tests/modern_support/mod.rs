//! Helpers for the tests of protocol 2026-07-28 (the stateless revision):
//! the real HTTP server on 127.0.0.1:0 in this process (the conformance
//! fixtures, plus the catalog on one shared embedded R when asked), and a
//! small stateless client that puts `_meta` and the SEP-2243 headers on each
//! request. Self-contained, so these tests do not depend on the other
//! suites' helpers.

#![allow(dead_code)]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rmcp_server::config::HttpConfig;
use rmcp_server::http::{self, AppState};
use rmcp_server::mcp::fixtures::Fixtures;
use rmcp_server::mcp::fixtures_modern::ModernFixtures;
use rmcp_server::mcp::input::StateKey;
use rmcp_server::mcp::{McpServer, ServerOptions};
use rmcp_server::metrics::Metrics;
use rmcp_server::r::{EngineConfig, RHandle};
use rmcp_server::tools::catalog::Catalog;
use rmcp_server::tools::ToolProvider;
use serde_json::{json, Value};
use tokio::sync::oneshot;

pub const MODERN: &str = "2026-07-28";

/// The test binary's engine, started on first use (R starts once per
/// process).
pub fn engine() -> RHandle {
    static ENGINE: OnceLock<RHandle> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            RHandle::start(EngineConfig {
                default_timeout: Duration::from_secs(60),
                ..EngineConfig::default()
            })
            .expect("R starts")
        })
        .clone()
}

/// A running server; shut down when dropped.
pub struct Server {
    pub url: String,
    pub state: AppState,
    _shutdown: oneshot::Sender<()>,
}

impl Server {
    /// The fixtures server, with the catalog (on R) when `with_catalog`.
    pub async fn start(with_catalog: bool) -> Server {
        Server::start_keyed(with_catalog, None).await
    }

    /// [`start`](Self::start) with `key` sealing input-required rounds
    /// (replicas that share it can continue each other's rounds).
    pub async fn start_keyed(with_catalog: bool, key: Option<&[u8]>) -> Server {
        Server::start_with(with_catalog, key, None).await
    }

    /// [`start_keyed`](Self::start_keyed) with `extra` tools (the free-form
    /// R provider) after the fixtures.
    pub async fn start_with(
        with_catalog: bool,
        key: Option<&[u8]>,
        extra: Option<Arc<dyn ToolProvider>>,
    ) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let config = HttpConfig::local(address);
        let fixtures = Fixtures::new();
        let modern = ModernFixtures::new();
        let mut options = ServerOptions::default();
        if let Some(key) = key {
            options.request_state_key = StateKey::new(key);
        }
        let mut builder = McpServer::builder(options)
            .tools(fixtures.clone())
            .prompts(fixtures.clone())
            .resources(fixtures)
            .tools(modern.clone())
            .prompts(modern);
        let engine = with_catalog.then(engine);
        if let Some(engine) = &engine {
            builder = builder.tools(Arc::new(Catalog::new(engine.clone()).expect("catalog")));
        }
        if let Some(extra) = extra {
            builder = builder.tools(extra);
        }
        let mcp = builder.build(Arc::new(Metrics::new().expect("metrics")));
        let state = AppState::new(mcp, engine, config);
        let (sender, receiver) = oneshot::channel::<()>();
        tokio::spawn(http::serve(listener, state.clone(), async move {
            let _ = receiver.await;
        }));
        Server {
            url: format!("http://{address}/mcp"),
            state,
            _shutdown: sender,
        }
    }
}

/// The `_meta` of a stateless request.
pub fn meta(capabilities: Value) -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": capabilities,
        "io.modelcontextprotocol/clientInfo": {"name": "rmcp-tests", "version": "1.0.0"},
    })
}

/// `params` with the default `_meta` added (no capabilities).
pub fn with_meta(mut params: Value) -> Value {
    if let Some(object) = params.as_object_mut() {
        object.entry("_meta").or_insert_with(|| meta(json!({})));
    }
    params
}

/// An HTTP answer: status, `Mcp-Session-Id` if any, and the JSON-RPC
/// messages of the body (one for JSON, each event's for SSE).
pub struct Answer {
    pub status: u16,
    pub session: Option<String>,
    pub messages: Vec<Value>,
}

impl Answer {
    /// The last message: the response.
    pub fn response(&self) -> &Value {
        self.messages.last().expect("a response")
    }
}

/// POSTs `body` with `headers` (name, value) and reads the answer.
pub async fn post(url: &str, body: &Value, headers: &[(&str, &str)]) -> Answer {
    let client = reqwest::Client::new();
    let mut request = client
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(body.to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    let session = response
        .headers()
        .get("mcp-session-id")
        .and_then(|value| value.to_str().ok())
        .map(str::to_string);
    let is_sse = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/event-stream"));
    let text = response.text().await.expect("body read");
    let messages = if is_sse {
        text.lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .filter_map(|data| serde_json::from_str(data.trim()).ok())
            .collect()
    } else if text.is_empty() {
        Vec::new()
    } else {
        vec![serde_json::from_str(&text).expect("JSON body")]
    };
    Answer {
        status,
        session,
        messages,
    }
}

/// A stateless request as a 2026-07-28 client sends it: `_meta` in the
/// params and the matching `MCP-Protocol-Version`, `Mcp-Method` and
/// `Mcp-Name` headers.
pub async fn request(url: &str, method: &str, params: Value) -> Answer {
    let params = with_meta(params);
    let name = match method {
        "tools/call" | "prompts/get" => params["name"].as_str().map(str::to_string),
        "resources/read" => params["uri"].as_str().map(str::to_string),
        _ => None,
    };
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let mut headers = vec![("mcp-protocol-version", MODERN), ("mcp-method", method)];
    if let Some(name) = &name {
        headers.push(("mcp-name", name.as_str()));
    }
    post(url, &body, &headers).await
}
