//! An MCP Streamable HTTP client session for the load generator: initialize,
//! then JSON-RPC requests whose answer may come as a JSON body or on an SSE
//! stream (both servers pick; the client accepts both, as real clients do).
//! Like httpx (the Python SDK's client) and `fetch`, it accepts gzip bodies
//! and inflates them once the response has been read. A session ends with
//! `DELETE /mcp` when it is dropped, as the SDK clients end theirs.
//!
//! The same client speaks protocol 2026-07-28 (the stateless revision,
//! [`Era::Modern`]) as `tests/support/modern.rs` does: no `initialize` and no
//! session; each request carries `_meta` (protocol version, client
//! capabilities and info) and the `MCP-Protocol-Version`, `Mcp-Method` and
//! `Mcp-Name` headers.

use std::io::Read as _;
use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{json, Value};

use super::http::Connection;

/// The protocol 2026-07-28 clients name: stateless, `_meta` per request.
pub const MODERN: &str = "2026-07-28";

/// Which revision a client speaks.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Era {
    /// `initialize`, then requests of an `Mcp-Session-Id` session
    /// (2025-06-18, as the reference speaks).
    Session,
    /// Protocol 2026-07-28: each request on its own, `_meta` and headers.
    Modern,
}

impl Era {
    /// `params` as this era sends them: with the stateless `_meta` added
    /// for [`Era::Modern`] (no capabilities), unchanged for a session.
    pub fn params(self, params: &Value) -> Value {
        let mut params = params.clone();
        if self == Era::Modern {
            if let Some(object) = params.as_object_mut() {
                object.entry("_meta").or_insert_with(|| {
                    json!({
                        "io.modelcontextprotocol/protocolVersion": MODERN,
                        "io.modelcontextprotocol/clientCapabilities": {},
                        "io.modelcontextprotocol/clientInfo": {"name": "rmcp-bench", "version": "1"},
                    })
                });
            }
        }
        params
    }
}

/// What a 2026-07-28 request's `Mcp-Name` header carries: the tool or
/// prompt of `tools/call` and `prompts/get`, the URI of `resources/read`.
pub fn mcp_name<'a>(method: &str, params: &'a Value) -> Option<&'a str> {
    match method {
        "tools/call" | "prompts/get" => params["name"].as_str(),
        "resources/read" => params["uri"].as_str(),
        _ => None,
    }
}

/// One MCP session on its own keep-alive connection (for [`Era::Modern`],
/// a stateless client on its own connection).
pub struct Session {
    connection: Connection,
    era: Era,
    session_id: Option<String>,
    protocol: String,
    next_id: i64,
    /// The last request's time on the wire: request written → whole
    /// response read (building the request and parsing the answer are the
    /// client's own work, left out).
    pub last_round_trip: Duration,
}

/// A call that did not produce a JSON-RPC result.
#[derive(Debug)]
pub struct CallError(pub String);

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Session {
    /// Opens a session: `initialize` plus `notifications/initialized`.
    pub fn open(address: SocketAddr, timeout: Duration) -> Result<Session, CallError> {
        let mut session = Session {
            connection: Connection::new(address, timeout),
            era: Era::Session,
            session_id: None,
            protocol: "2025-06-18".to_string(),
            next_id: 1,
            last_round_trip: Duration::ZERO,
        };
        let initialize = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": session.protocol, "capabilities": {},
            "clientInfo": {"name": "rmcp-bench", "version": "1"}}});
        let (status, headers, body) = session.post(&initialize)?;
        if status != 200 {
            return Err(CallError(format!("initialize answered HTTP {status}")));
        }
        session.session_id = headers;
        let reply = response_for(&body, 0)?;
        if let Some(version) = reply["result"]["protocolVersion"].as_str() {
            session.protocol = version.to_string();
        }
        let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        let (status, _, _) = session.post(&initialized)?;
        if !(200..300).contains(&status) {
            return Err(CallError(format!("initialized answered HTTP {status}")));
        }
        Ok(session)
    }

    /// A client of `era`: [`open`](Self::open) for a session, and for
    /// [`Era::Modern`] a connection only (nothing to set up).
    pub fn open_as(era: Era, address: SocketAddr, timeout: Duration) -> Result<Session, CallError> {
        match era {
            Era::Session => Session::open(address, timeout),
            Era::Modern => Ok(Session {
                connection: Connection::new(address, timeout),
                era,
                session_id: None,
                protocol: MODERN.to_string(),
                next_id: 1,
                last_round_trip: Duration::ZERO,
            }),
        }
    }

    fn post(&mut self, message: &Value) -> Result<(u16, Option<String>, Vec<u8>), CallError> {
        self.post_text(&message.to_string(), None)
    }

    /// POSTs `body`; `call` is its method and `Mcp-Name` (both only sent as
    /// headers by a 2026-07-28 client).
    fn post_text(
        &mut self,
        body: &str,
        call: Option<(&str, Option<&str>)>,
    ) -> Result<(u16, Option<String>, Vec<u8>), CallError> {
        let mut headers = vec![
            ("content-type", "application/json"),
            ("accept", "application/json, text/event-stream"),
            ("accept-encoding", "gzip"),
        ];
        if let Some(id) = &self.session_id {
            headers.push(("mcp-session-id", id.as_str()));
            headers.push(("mcp-protocol-version", self.protocol.as_str()));
        }
        if self.era == Era::Modern {
            headers.push(("mcp-protocol-version", MODERN));
            if let Some((method, name)) = call {
                headers.push(("mcp-method", method));
                if let Some(name) = name {
                    headers.push(("mcp-name", name));
                }
            }
        }
        let sent = std::time::Instant::now();
        let response = self
            .connection
            .request("POST", "/mcp", &headers, body.as_bytes())
            .map_err(|error| CallError(format!("HTTP request failed: {error}")))?;
        self.last_round_trip = sent.elapsed();
        let session = response.header("mcp-session-id").map(str::to_string);
        let body = if response.header("content-encoding") == Some("gzip") {
            let mut inflated = Vec::new();
            flate2::read::GzDecoder::new(response.body.as_slice())
                .read_to_end(&mut inflated)
                .map_err(|error| CallError(format!("bad gzip body: {error}")))?;
            inflated
        } else {
            response.body
        };
        Ok((response.status, session, body))
    }

    /// Sends request `method` and returns its `result` (a JSON-RPC error or
    /// an HTTP failure is a [`CallError`]). A 2026-07-28 client adds its
    /// `_meta` and headers.
    pub fn request(&mut self, method: &str, params: &Value) -> Result<Value, CallError> {
        let id = self.next_id;
        self.next_id += 1;
        let params = self.era.params(params);
        let message = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let name = mcp_name(method, &params);
        let (status, _, body) = self.post_text(&message.to_string(), Some((method, name)))?;
        if status != 200 {
            return Err(http_failure(
                method,
                status,
                &String::from_utf8_lossy(&body),
            ));
        }
        let mut reply = response_for(&body, id)?;
        if let Some(error) = reply.get("error") {
            return Err(CallError(format!("{method}: JSON-RPC error {error}")));
        }
        Ok(reply["result"].take())
    }

    /// A timed call with as little client work around it as the check
    /// allows: the body is `params_json` (serialized once by the caller)
    /// around a fresh id, and the reply is checked for that id and for an
    /// error without being parsed into a value. A client busy between calls
    /// leaves the server idle, and a server woken from idle answers later:
    /// that is the client's cost, not the server's. (Warm-up calls and the
    /// answers the report compares go through [`request`](Self::request).)
    /// For a 2026-07-28 client, `params_json` already holds its `_meta`
    /// ([`Era::params`]) and `name` is its `Mcp-Name` ([`mcp_name`]).
    pub fn request_lean(
        &mut self,
        method: &str,
        name: Option<&str>,
        params_json: &str,
    ) -> Result<(), CallError> {
        let id = self.next_id;
        self.next_id += 1;
        let body = format!(
            "{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":{},\"params\":{params_json}}}",
            Value::from(method)
        );
        let (status, _, body) = self.post_text(&body, Some((method, name)))?;
        let text = String::from_utf8_lossy(&body);
        if status != 200 {
            return Err(http_failure(method, status, &text));
        }
        let answers = [
            format!("\"id\":{id},"),
            format!("\"id\": {id},"),
            format!("\"id\":{id}}}"),
        ];
        if !answers.iter().any(|marker| text.contains(marker.as_str())) {
            return Err(CallError(format!("{method}: no answer to id {id}")));
        }
        for marker in [
            "\"error\":{\"code\"",
            "\"error\": {\"code\"",
            "\"isError\":true",
            "\"isError\": true",
        ] {
            if text.contains(marker) {
                return Err(CallError(format!(
                    "{method} failed: {}",
                    text.chars().take(300).collect::<String>()
                )));
            }
        }
        Ok(())
    }

    /// `tools/call`; an `isError` result is a [`CallError`] with its text.
    pub fn call_tool(&mut self, name: &str, arguments: &Value) -> Result<Value, CallError> {
        let result = self.request("tools/call", &json!({"name": name, "arguments": arguments}))?;
        if result["isError"] == true {
            let text = result["content"][0]["text"].as_str().unwrap_or("");
            return Err(CallError(format!(
                "{name} failed: {}",
                text.chars().take(300).collect::<String>()
            )));
        }
        Ok(result)
    }
}

impl Session {
    /// Ends the session with `DELETE /mcp`, as the SDK clients do when they
    /// close: the server frees what the session held (its free-form R
    /// worker) now, not when the session would expire idle. Best effort: a
    /// server that refuses it is left to expire the session.
    fn end(&mut self) {
        let Some(id) = self.session_id.take() else {
            return;
        };
        let headers = [
            ("mcp-session-id", id.as_str()),
            ("mcp-protocol-version", self.protocol.as_str()),
        ];
        let _ = self.connection.request("DELETE", "/mcp", &headers, b"");
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.end();
    }
}

/// A request answered with an HTTP status other than 200.
fn http_failure(method: &str, status: u16, body: &str) -> CallError {
    CallError(format!(
        "{method} answered HTTP {status}: {}",
        body.chars().take(200).collect::<String>()
    ))
}

/// The JSON-RPC response to `id` in a JSON body or an SSE body.
fn response_for(body: &[u8], id: i64) -> Result<Value, CallError> {
    let text = std::str::from_utf8(body).map_err(|_| CallError("body is not UTF-8".into()))?;
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        return serde_json::from_str(trimmed)
            .map_err(|error| CallError(format!("body is not JSON: {error}")));
    }
    for event in text.split("\n\n") {
        let data: Vec<&str> = event
            .lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .map(str::trim)
            .collect();
        if data.is_empty() {
            continue;
        }
        let Ok(message) = serde_json::from_str::<Value>(&data.join("\n")) else {
            continue;
        };
        if message["id"] == id
            && (message.get("result").is_some() || message.get("error").is_some())
        {
            return Ok(message);
        }
    }
    Err(CallError(format!(
        "no response to request {id} in the body: {}",
        text.chars().take(200).collect::<String>()
    )))
}
