//! A client of protocol 2026-07-28 (the stateless revision) over real
//! HTTP: it puts `_meta` and the SEP-2243 headers (`MCP-Protocol-Version`,
//! `Mcp-Method`, `Mcp-Name`) on each request and reads JSON or event-stream
//! answers. No `initialize`, no session. It needs no other helper module;
//! the server comes from `server.rs`.

#![allow(dead_code)]

use serde_json::{json, Value};

pub const MODERN: &str = "2026-07-28";

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
        "tasks/get" | "tasks/update" | "tasks/cancel" => {
            params["taskId"].as_str().map(str::to_string)
        }
        _ => None,
    };
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let mut headers = vec![("mcp-protocol-version", MODERN), ("mcp-method", method)];
    if let Some(name) = &name {
        headers.push(("mcp-name", name.as_str()));
    }
    post(url, &body, &headers).await
}
