//! Set-up for the free-form R tests: the server as shipped (catalog, file
//! sandbox, prompts, resources) on 127.0.0.1:0, with the free-form tools over
//! a pool of real sandboxed workers (the built `rmcp` binary in worker mode),
//! callbacks answered by the in-process catalog, and helpers to call
//! execute_r_analysis over real HTTP. Needs the `engine`, `server` and
//! `client` helper modules beside it.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rmcp_server::freeform::FreeFormR;
use rmcp_server::server::{Server, Settings};
use rmcp_server::worker::WorkerConfig;
use serde_json::{json, Value};

use super::client::Client;
use super::server::{settings, TestServer};

/// A server with the free-form tools, and what the tests look at.
pub struct Harness {
    pub server: TestServer,
    pub free: Arc<FreeFormR>,
    /// Where this harness's worker folders live.
    pub base_dir: PathBuf,
}

/// A worker configuration for tests: the built binary, small limits, a
/// private folder for worker directories.
pub fn test_config(name: &str) -> WorkerConfig {
    let base_dir =
        std::env::temp_dir().join(format!("rmcp-test-workers-{}-{name}", std::process::id()));
    WorkerConfig {
        binary: PathBuf::from(env!("CARGO_BIN_EXE_rmcp")),
        pool_size: 1,
        max_workers: 8,
        memory_mb: 1024,
        cpu_seconds: 120,
        default_timeout: Duration::from_secs(20),
        kill_grace: Duration::from_secs(1),
        base_dir,
        ..WorkerConfig::default()
    }
}

/// Starts the server as shipped with `config` for its workers (the server's
/// drop stops them).
pub async fn start(config: WorkerConfig) -> Harness {
    start_with(settings(config)).await
}

/// Starts the server as `settings` describe (other file sandbox roots).
pub async fn start_with(settings: Settings) -> Harness {
    let base_dir = settings.workers.base_dir.clone();
    let server = Server::builder(settings)
        .engine(super::engine::engine())
        .build()
        .expect("server builds");
    let free = server.free_form.clone().expect("free-form R is built");
    let server = TestServer::serve(server, |_| {}).await;
    Harness {
        server,
        free,
        base_dir,
    }
}

/// A client with an initialized session.
pub async fn client(harness: &Harness) -> Client {
    let mut client = Client::new(&harness.server.url);
    client.initialize(json!({})).await;
    client
}

/// Calls `tool` and returns the `result` of the JSON-RPC response.
pub async fn call(client: &Client, tool: &str, arguments: Value) -> Value {
    let reply = client
        .request("tools/call", json!({"name": tool, "arguments": arguments}))
        .await;
    assert!(reply.get("error").is_none(), "{tool}: {reply}");
    reply["result"].clone()
}

/// Runs R code with execute_r_analysis.
pub async fn run_r(client: &Client, code: &str) -> Value {
    call(
        client,
        "execute_r_analysis",
        json!({"r_code": code, "description": "test", "timeout_seconds": 20}),
    )
    .await
}

/// The text of a tool result's text blocks.
pub fn text(result: &Value) -> String {
    result["content"]
        .as_array()
        .map(|blocks| {
            blocks
                .iter()
                .filter_map(|block| block["text"].as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// The `result` field of a successful run, failing with the whole reply
/// otherwise.
pub fn value(result: &Value) -> Value {
    assert_eq!(
        result["structuredContent"]["success"],
        json!(true),
        "expected success: {result}"
    );
    result["structuredContent"]["result"].clone()
}
