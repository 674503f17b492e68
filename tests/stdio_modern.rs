//! `rmcp start` for a client of protocol 2026-07-28: the first request
//! locks the connection's era. A stateless client gets every answer with no
//! `initialize` (and `initialize` is then gone, as the revision says); a
//! client that begins with `initialize` keeps the older revisions.

mod support {
    pub mod stdio;
}

use serde_json::{json, Value};
use support::stdio::StdioServer;

/// Runs `rmcp start --conformance-fixtures`, writes `requests` and closes
/// stdin; returns every message written to stdout.
fn exchange(requests: &[Value]) -> Vec<Value> {
    let mut server = StdioServer::start(|command| {
        command.arg("--conformance-fixtures");
    });
    for request in requests {
        server.send_message(request);
    }
    server.collect_until_exit()
}

fn meta() -> Value {
    json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28",
           "io.modelcontextprotocol/clientCapabilities": {}})
}

fn answer(messages: &[Value], id: i64) -> &Value {
    messages
        .iter()
        .find(|message| message["id"] == id && message.get("method").is_none())
        .unwrap_or_else(|| panic!("no answer to {id} in {messages:?}"))
}

/// A stateless client discovers the server and calls a tool without a
/// handshake; `initialize` is then not found, and a listen channel is
/// acknowledged first and closed with its response at the end of input.
#[test]
fn a_stateless_client_locks_the_modern_era() {
    let messages = exchange(&[
        json!({"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {"_meta": meta()}}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "initialize", "params": {"_meta": meta()}}),
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
               "params": {"name": "test_simple_text", "arguments": {}, "_meta": meta()}}),
        json!({"jsonrpc": "2.0", "id": 4, "method": "tools/list", "params": {}}),
        json!({"jsonrpc": "2.0", "id": 5, "method": "subscriptions/listen",
               "params": {"notifications": {"resourcesListChanged": true}, "_meta": meta()}}),
    ]);
    assert!(answer(&messages, 1)["result"]["supportedVersions"]
        .as_array()
        .is_some_and(|versions| versions.contains(&json!("2026-07-28"))));
    assert_eq!(answer(&messages, 2)["error"]["code"], -32601);
    assert_eq!(answer(&messages, 3)["result"]["resultType"], "complete");
    assert_eq!(answer(&messages, 4)["error"]["code"], -32602);
    let acknowledged = messages
        .iter()
        .find(|message| message["method"] == "notifications/subscriptions/acknowledged")
        .expect("an acknowledgement");
    assert_eq!(
        acknowledged["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        5
    );
    assert_eq!(
        answer(&messages, 5)["result"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        5
    );
}

/// A client that starts with `initialize` stays in the older revisions'
/// era: later requests are served on its session even if they carry
/// `_meta`.
#[test]
fn an_initializing_client_keeps_the_older_revisions() {
    let messages = exchange(&[
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "legacy", "version": "1"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "ping", "params": {"_meta": meta()}}),
    ]);
    assert_eq!(
        answer(&messages, 1)["result"]["protocolVersion"],
        "2025-11-25"
    );
    assert_eq!(answer(&messages, 2)["result"], json!({}));
}
