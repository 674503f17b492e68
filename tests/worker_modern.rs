//! Free-form R for clients of protocol 2026-07-28 (the stateless revision):
//! a request without a `workspace` handle runs in a new, empty workspace,
//! like the reference's stateless server, and the answers say so plainly and
//! name the handle that reaches it again (`tests/worker_handles.rs`).

mod support {
    pub mod client;
    pub mod engine;
    pub mod modern;
    pub mod server;
    pub mod workers;
}

use serde_json::json;
use support::modern::request;
use support::workers::{self, text};

/// An assistant on a 2026-07-28 client runs R, and in its next request
/// without the handle finds that the object is not there, as the answers
/// warned; the introspection tool says it looked at a new, empty workspace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn free_form_r_is_per_request_and_says_so() {
    let harness = workers::start(workers::test_config("modern")).await;
    let server = &harness.server;
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
    assert!(
        text(result).contains("a call without it starts a new, empty workspace"),
        "{result}"
    );
    assert!(
        result["structuredContent"]["workspace"].is_string(),
        "{result}"
    );

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
    assert!(text(result).contains("new, empty workspace"), "{result}");
    assert!(!result.to_string().contains("\"x\""), "{result}");
}
