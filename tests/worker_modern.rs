//! Free-form R for clients of protocol 2026-07-28 (the stateless revision):
//! each request runs in a fresh sandboxed R worker whose workspace ends with
//! the request, like the reference's stateless server, and the answers say
//! so plainly.

mod modern_support;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use modern_support::{engine, request, Server};
use rmcp_server::tools::catalog::Catalog;
use rmcp_server::tools::ToolProvider;
use rmcp_server::worker::{FreeFormR, Pool, WorkerConfig};
use serde_json::{json, Value};

fn text(result: &Value) -> String {
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

/// An assistant on a 2026-07-28 client runs R, and in its next request finds
/// that the object is gone, as the answers warned; the introspection tool
/// says it sees only this request's workspace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn free_form_r_is_per_request_and_says_so() {
    let base_dir =
        std::env::temp_dir().join(format!("rmcp-test-workers-{}-modern", std::process::id()));
    let config = WorkerConfig {
        binary: PathBuf::from(env!("CARGO_BIN_EXE_rmcp")),
        pool_size: 1,
        max_workers: 4,
        memory_mb: 1024,
        cpu_seconds: 120,
        default_timeout: Duration::from_secs(20),
        kill_grace: Duration::from_secs(1),
        base_dir,
        ..WorkerConfig::default()
    };
    let engine = engine();
    let catalog = Arc::new(Catalog::new(engine.clone()).expect("catalog"));
    let free = FreeFormR::new(
        Pool::start(config),
        catalog.clone(),
        Some(catalog.results()),
        None,
    )
    .expect("provider");
    let server = Server::start_with(false, None, Some(free.clone() as Arc<dyn ToolProvider>)).await;
    let run = |code: &str| {
        request(
            &server.url,
            "tools/call",
            json!({"name": "execute_r_analysis",
                   "arguments": {"r_code": code, "description": "test", "timeout_seconds": 20}}),
        )
    };

    let first = run("x <- 41; result <- x + 1").await;
    let result = &first.response()["result"];
    assert_eq!(result["structuredContent"]["success"], true, "{result}");
    assert_eq!(result["structuredContent"]["result"], json!(42));
    assert!(text(result).contains("do not persist"), "{result}");

    let second = run("result <- exists('x')").await;
    let result = &second.response()["result"];
    assert_eq!(
        result["structuredContent"]["result"],
        json!(false),
        "{result}"
    );

    let listed = request(
        &server.url,
        "tools/call",
        json!({"name": "list_r_objects", "arguments": {}}),
    )
    .await;
    let result = &listed.response()["result"];
    assert!(text(result).contains("fresh R workspace"), "{result}");
    assert!(!result.to_string().contains("\"x\""), "{result}");
    free.shutdown();
}
