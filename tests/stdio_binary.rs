//! `rmcp start` as a desktop client runs it: a child process speaking
//! newline-delimited JSON-RPC on stdin/stdout, with logs only on stderr.

mod support {
    pub mod stdio;
}

use serde_json::json;
use support::stdio::StdioServer;

/// The handshake, errors for early or malformed requests, and the catalog's
/// tools with schemas; stdout carries nothing but JSON-RPC.
#[test]
fn handshake_errors_and_tools_over_stdio() {
    let mut server = StdioServer::start(|_| {});
    server.send(r#"{"jsonrpc":"2.0","id":0,"method":"tools/list"}"#);
    let early = server.next();
    assert_eq!(early["error"]["code"], -32600, "{early}");
    server.send("{not json");
    assert_eq!(server.next()["error"]["code"], -32700);
    let reply = server.initialize(json!({"sampling": {}}));
    assert_eq!(reply["result"]["protocolVersion"], "2025-06-18");
    server.send(r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#);
    let tools = server.next();
    let tools = tools["result"]["tools"].as_array().expect("tools").clone();
    assert!(!tools.is_empty());
    assert!(tools.iter().all(|tool| tool["inputSchema"].is_object()));
    server.send(r#"{"jsonrpc":"2.0","id":3,"method":"nope"}"#);
    assert_eq!(server.next()["error"]["code"], -32601);
    server.send(r#"{"jsonrpc":"2.0","id":4,"method":"ping"}"#);
    assert_eq!(server.next()["result"], json!({}));
    server.finish();
}

/// A tool reports progress and asks the client to sample; the client's
/// answer on stdin reaches the waiting call.
#[test]
fn progress_and_sampling_over_stdio() {
    let mut server = StdioServer::start(|command| {
        command.arg("--conformance-fixtures");
    });
    server.initialize(json!({"sampling": {}}));
    server.send(
        &json!({"jsonrpc": "2.0", "id": 10, "method": "tools/call", "params": {
        "name": "test_tool_with_progress", "arguments": {}, "_meta": {"progressToken": 99}}})
        .to_string(),
    );
    let messages = server.until_response(10);
    let progress = messages
        .iter()
        .filter(|m| m["method"] == "notifications/progress")
        .count();
    assert_eq!(progress, 3);
    assert!(messages
        .iter()
        .all(|m| m["params"]["progressToken"] == 99 || m["id"] == 10));

    server.send(
        &json!({"jsonrpc": "2.0", "id": 11, "method": "tools/call", "params": {
        "name": "test_sampling", "arguments": {"prompt": "2+2?"}}})
        .to_string(),
    );
    let request = server.next();
    assert_eq!(request["method"], "sampling/createMessage");
    assert_eq!(request["params"]["messages"][0]["content"]["text"], "2+2?");
    server.send(
        &json!({"jsonrpc": "2.0", "id": request["id"], "result": {
        "role": "assistant", "content": {"type": "text", "text": "four"}, "model": "m"}})
        .to_string(),
    );
    let reply = server.until_response(11);
    let text = reply.last().expect("reply")["result"]["content"][0]["text"]
        .as_str()
        .expect("text")
        .to_string();
    assert_eq!(text, "LLM response: four");
    server.finish();
}
