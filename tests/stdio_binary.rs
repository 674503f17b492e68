//! `rmcp start` as a desktop client runs it: a child process speaking
//! newline-delimited JSON-RPC on stdin/stdout, with logs only on stderr.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};

/// A running `rmcp start` and its stdout lines.
struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rmcp"))
            .arg("start")
            .args(args)
            .env("RMCP_LOG_LEVEL", "info")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("rmcp starts");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Server {
            child,
            stdin,
            lines,
        }
    }

    fn send(&mut self, message: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{message}").expect("write");
        stdin.flush().expect("flush");
    }

    /// The next stdout line, which must be one JSON-RPC message.
    fn next(&self) -> Value {
        let line = self
            .lines
            .recv_timeout(Duration::from_secs(60))
            .expect("a message in time");
        serde_json::from_str(&line)
            .unwrap_or_else(|error| panic!("stdout line is not JSON ({error}): {line}"))
    }

    /// Messages until the response to `id`.
    fn until_response(&self, id: i64) -> Vec<Value> {
        let mut seen = Vec::new();
        loop {
            let message = self.next();
            let done = message["id"] == id && message.get("method").is_none();
            seen.push(message);
            if done {
                return seen;
            }
        }
    }

    fn initialize(&mut self) -> Value {
        self.send(
            &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {"sampling": {}},
            "clientInfo": {"name": "stdio-test", "version": "1"}}})
            .to_string(),
        );
        let reply = self.next();
        self.send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
        reply
    }

    /// Closes stdin and waits for a clean exit.
    fn finish(mut self) {
        drop(self.stdin.take());
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                assert!(status.success(), "{status}");
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "rmcp did not exit at end of input"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The handshake, errors for early or malformed requests, and the catalog's
/// tools with schemas; stdout carries nothing but JSON-RPC.
#[test]
fn handshake_errors_and_tools_over_stdio() {
    let mut server = Server::start(&[]);
    server.send(r#"{"jsonrpc":"2.0","id":0,"method":"tools/list"}"#);
    let early = server.next();
    assert_eq!(early["error"]["code"], -32600, "{early}");
    server.send("{not json");
    assert_eq!(server.next()["error"]["code"], -32700);
    let reply = server.initialize();
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
    let mut server = Server::start(&["--conformance-fixtures"]);
    server.initialize();
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
