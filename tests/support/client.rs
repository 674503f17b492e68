//! A small MCP client over real HTTP (reqwest) that reads JSON and SSE
//! replies, and helpers to read event streams and wait for events under a
//! deadline. It needs no other helper module; `server` starts what it talks
//! to.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use serde_json::{json, Value};

/// An MCP client over real HTTP.
#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub url: String,
    pub session: Option<String>,
    pub token: Option<String>,
    next_id: Arc<std::sync::atomic::AtomicI64>,
}

impl Client {
    pub fn new(url: &str) -> Client {
        Client {
            http: reqwest::Client::new(),
            url: url.to_string(),
            session: None,
            token: None,
            next_id: Arc::new(std::sync::atomic::AtomicI64::new(1)),
        }
    }

    pub fn next_id(&self) -> i64 {
        self.next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    /// A POST of `body` with the usual MCP headers.
    pub fn post(&self, body: &Value, accept: &str) -> reqwest::RequestBuilder {
        let mut request = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", accept)
            .body(body.to_string());
        if let Some(session) = &self.session {
            request = request
                .header("mcp-session-id", session)
                .header("mcp-protocol-version", "2025-11-25");
        }
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        request
    }

    /// initialize + notifications/initialized; returns the initialize result.
    pub async fn initialize(&mut self, capabilities: Value) -> Value {
        let body = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": capabilities,
            "clientInfo": {"name": "rust-test", "version": "1"}}});
        let response = self
            .post(&body, "application/json, text/event-stream")
            .send()
            .await
            .expect("initialize");
        assert_eq!(response.status(), 200);
        let session = response
            .headers()
            .get("mcp-session-id")
            .expect("session id header")
            .to_str()
            .expect("ascii")
            .to_string();
        let reply: Value = response.json().await.expect("json");
        self.session = Some(session);
        let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        let response = self
            .post(&initialized, "application/json, text/event-stream")
            .send()
            .await
            .expect("initialized");
        assert_eq!(response.status(), 202);
        reply["result"].clone()
    }

    /// A request answered as JSON; returns the whole JSON-RPC response.
    pub async fn request(&self, method: &str, params: Value) -> Value {
        let body =
            json!({"jsonrpc": "2.0", "id": self.next_id(), "method": method, "params": params});
        let response = self
            .post(&body, "application/json")
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200, "{method}");
        response.json().await.expect("json body")
    }

    /// A request answered as an event stream; returns every message on it.
    pub async fn request_sse(&self, method: &str, params: Value) -> Vec<Value> {
        let body =
            json!({"jsonrpc": "2.0", "id": self.next_id(), "method": method, "params": params});
        let response = self
            .post(&body, "application/json, text/event-stream")
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        sse_messages(&response.text().await.expect("body"))
    }
}

/// The JSON-RPC messages of an answer to a client that accepts both kinds:
/// one plain JSON body (a quick call that sent nothing else) or an event
/// stream.
pub fn answer_messages(body: &str) -> Vec<Value> {
    if body.trim_start().starts_with('{') {
        serde_json::from_str(body)
            .map(|m| vec![m])
            .unwrap_or_default()
    } else {
        sse_messages(body)
    }
}

/// The JSON messages of an SSE body (priming events and comments skipped).
pub fn sse_messages(body: &str) -> Vec<Value> {
    body.split("\n\n")
        .filter_map(|event| {
            let data: Vec<&str> = event
                .lines()
                .filter_map(|line| line.strip_prefix("data:"))
                .map(str::trim)
                .collect();
            let data = data.join("\n");
            (!data.is_empty()).then(|| serde_json::from_str(&data).expect("event data is JSON"))
        })
        .collect()
}

/// Reads an open event stream until a message satisfies `wanted`.
pub async fn wait_for_event(
    response: &mut reqwest::Response,
    buffer: &mut String,
    wanted: impl Fn(&Value) -> bool,
) -> Value {
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            while let Some(end) = buffer.find("\n\n") {
                let event: String = buffer.drain(..end + 2).collect();
                for message in sse_messages(&event) {
                    if wanted(&message) {
                        return message;
                    }
                }
            }
            let chunk = response
                .chunk()
                .await
                .expect("stream")
                .expect("stream still open");
            buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await
    .expect("event arrives in time")
}

/// Waits (bounded) until `condition` holds.
pub async fn eventually(what: &str, condition: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Reads the whole body of a stream that ends.
pub async fn read_all(response: reqwest::Response) -> String {
    let mut stream = response.bytes_stream();
    let mut text = String::new();
    while let Some(chunk) = stream.next().await {
        text.push_str(&String::from_utf8_lossy(&chunk.expect("chunk")));
    }
    text
}
