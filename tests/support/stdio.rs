//! The stdio driver: `rmcp start` as a child process, as a desktop client
//! runs it, spoken to in newline-delimited JSON-RPC on stdin/stdout (its
//! logs go to stderr, which is dropped). Every line it writes must be one
//! JSON-RPC message. It needs no other helper module.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How long a message may take (R starts first).
const MESSAGE_WAIT: Duration = Duration::from_secs(60);

/// A running `rmcp start` and its stdout lines.
pub struct StdioServer {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    /// The id of the next request `request` sends.
    next_id: i64,
}

impl StdioServer {
    /// Starts `rmcp start` with `configure` applied to its command (extra
    /// arguments, environment, working folder). Logs at `info` unless
    /// `configure` says otherwise, so that a log line on stdout would show.
    pub fn start(configure: impl FnOnce(&mut Command)) -> StdioServer {
        let mut command = Command::new(env!("CARGO_BIN_EXE_rmcp"));
        command
            .arg("start")
            .env("RMCP_LOG_LEVEL", "info")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        configure(&mut command);
        let mut child = command.spawn().expect("rmcp starts");
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
        StdioServer {
            child,
            stdin,
            lines,
            next_id: 1,
        }
    }

    /// Writes one line (which need not be valid JSON).
    pub fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{line}").expect("write");
        stdin.flush().expect("flush");
    }

    /// Writes one message.
    pub fn send_message(&mut self, message: &Value) {
        self.send(&message.to_string());
    }

    /// The next stdout line, which must be one JSON-RPC message.
    pub fn next(&self) -> Value {
        let line = self
            .lines
            .recv_timeout(MESSAGE_WAIT)
            .expect("a message in time");
        serde_json::from_str(&line)
            .unwrap_or_else(|error| panic!("stdout line is not JSON ({error}): {line}"))
    }

    /// Messages until the response to `id`, that response last.
    pub fn until_response(&self, id: i64) -> Vec<Value> {
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

    /// `initialize` (protocol 2025-06-18, the client's `capabilities`) and
    /// `notifications/initialized`; returns the initialize response.
    pub fn initialize(&mut self, capabilities: Value) -> Value {
        let id = self.take_id();
        self.send_message(
            &json!({"jsonrpc": "2.0", "id": id, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": capabilities,
            "clientInfo": {"name": "stdio-test", "version": "1"}}}),
        );
        let reply = self.next();
        self.send_message(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        reply
    }

    /// Sends a request; returns its response and the messages before it.
    pub fn request(&mut self, method: &str, params: Value) -> (Value, Vec<Value>) {
        let id = self.take_id();
        self.send_message(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let mut before = self.until_response(id);
        let response = before.pop().expect("the response");
        (response, before)
    }

    fn take_id(&mut self) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Closes stdin and returns every message written until `rmcp` exits.
    pub fn collect_until_exit(mut self) -> Vec<Value> {
        drop(self.stdin.take());
        let mut messages = Vec::new();
        while let Ok(line) = self.lines.recv_timeout(MESSAGE_WAIT) {
            messages.push(
                serde_json::from_str(&line)
                    .unwrap_or_else(|error| panic!("stdout line is not JSON ({error}): {line}")),
            );
        }
        messages
    }

    /// Closes stdin and waits for a clean exit.
    pub fn finish(mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                assert!(status.success(), "{status}");
                return;
            }
            assert!(
                Instant::now() < deadline,
                "rmcp did not exit at end of input"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for StdioServer {
    /// A test that failed midway leaves no server behind.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
