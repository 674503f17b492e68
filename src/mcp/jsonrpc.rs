//! JSON-RPC 2.0 framing: classifies one decoded message (request,
//! notification or response) and builds the messages the server sends.
//!
//! It does not know MCP methods; `dispatch` does. Malformed input becomes an
//! [`ErrorData`] with the standard code, never a panic.

use std::sync::Arc;

use rmcp::model::{ErrorCode, ErrorData, RequestId};
use serde_json::{json, Map, Value};

/// Protocol error codes used by the server (the SDK's [`ErrorCode`]s).
pub mod code {
    use rmcp::model::ErrorCode;

    pub const PARSE_ERROR: ErrorCode = ErrorCode::PARSE_ERROR;
    pub const INVALID_REQUEST: ErrorCode = ErrorCode::INVALID_REQUEST;
    pub const METHOD_NOT_FOUND: ErrorCode = ErrorCode::METHOD_NOT_FOUND;
    pub const INVALID_PARAMS: ErrorCode = ErrorCode::INVALID_PARAMS;
    pub const INTERNAL_ERROR: ErrorCode = ErrorCode::INTERNAL_ERROR;
    pub const RESOURCE_NOT_FOUND: ErrorCode = ErrorCode::RESOURCE_NOT_FOUND;
}

/// A request: it has an id and wants a response.
#[derive(Debug, Clone)]
pub struct Request {
    pub id: RequestId,
    pub method: String,
    /// Always an object (absent params become an empty one).
    pub params: Map<String, Value>,
}

/// A notification: no id, no response.
#[derive(Debug, Clone)]
pub struct Notification {
    pub method: String,
    pub params: Map<String, Value>,
}

/// The client's answer to a request the server sent.
#[derive(Debug, Clone)]
pub struct Response {
    pub id: RequestId,
    pub outcome: Result<Value, ErrorData>,
}

/// One incoming message.
#[derive(Debug, Clone)]
pub enum Message {
    Request(Request),
    Notification(Notification),
    Response(Response),
}

impl Message {
    /// The method of a request or notification.
    pub fn method(&self) -> Option<&str> {
        match self {
            Message::Request(request) => Some(&request.method),
            Message::Notification(notification) => Some(&notification.method),
            Message::Response(_) => None,
        }
    }
}

/// Why a message could not be classified, with the id to answer to when the
/// message had a usable one.
#[derive(Debug, Clone)]
pub struct Rejected {
    pub id: Option<RequestId>,
    /// Boxed: results carrying it stay small.
    pub error: Box<ErrorData>,
}

/// Decodes raw bytes into a JSON value (`-32700` on failure).
pub fn decode(bytes: &[u8]) -> Result<Value, Rejected> {
    serde_json::from_slice(bytes).map_err(|error| Rejected {
        id: None,
        error: Box::new(ErrorData::new(
            code::PARSE_ERROR,
            format!("parse error: the body is not valid JSON ({error})"),
            None,
        )),
    })
}

/// Classifies one decoded JSON-RPC message.
pub fn classify(value: Value) -> Result<Message, Rejected> {
    let mut object = match value {
        Value::Object(object) => object,
        Value::Array(_) => {
            return Err(invalid(
                None,
                "batch requests are not supported; send one JSON-RPC message per request",
            ))
        }
        _ => return Err(invalid(None, "a JSON-RPC message must be a JSON object")),
    };
    let id = match object.remove("id") {
        None => None,
        Some(value) => Some(parse_id(value)?),
    };
    if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(invalid(
            id,
            "the \"jsonrpc\" member must be exactly \"2.0\"",
        ));
    }
    if let Some(method) = object.remove("method") {
        let Value::String(method) = method else {
            return Err(invalid(id, "the \"method\" member must be a string"));
        };
        let params = match object.remove("params") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(params)) => params,
            Some(_) => {
                return Err(Rejected {
                    id,
                    error: Box::new(ErrorData::new(
                        code::INVALID_PARAMS,
                        "\"params\" must be an object",
                        None,
                    )),
                })
            }
        };
        return Ok(match id {
            Some(id) => Message::Request(Request { id, method, params }),
            None => Message::Notification(Notification { method, params }),
        });
    }
    let Some(id) = id else {
        return Err(invalid(
            None,
            "a message needs a \"method\" (request or notification) or an \"id\" with \"result\" or \"error\" (response)",
        ));
    };
    if let Some(result) = object.remove("result") {
        return Ok(Message::Response(Response {
            id,
            outcome: Ok(result),
        }));
    }
    if let Some(error) = object.remove("error") {
        let error = serde_json::from_value::<ErrorData>(error).unwrap_or_else(|_| {
            ErrorData::new(
                code::INTERNAL_ERROR,
                "malformed error from the client",
                None,
            )
        });
        return Ok(Message::Response(Response {
            id,
            outcome: Err(error),
        }));
    }
    Err(invalid(
        Some(id),
        "a response needs a \"result\" or an \"error\" member",
    ))
}

fn parse_id(value: Value) -> Result<RequestId, Rejected> {
    match &value {
        Value::String(_) => {}
        Value::Number(number) if number.is_i64() => {}
        Value::Number(number) if number.is_u64() => {
            return Err(invalid(
                None,
                "the \"id\" member is an integer above 9223372036854775807; use a smaller integer or a string",
            ))
        }
        _ => {
            return Err(invalid(
                None,
                "the \"id\" member must be a string or an integer",
            ))
        }
    }
    serde_json::from_value(value)
        .map_err(|_| invalid(None, "the \"id\" member must be a string or an integer"))
}

fn invalid(id: Option<RequestId>, message: &str) -> Rejected {
    Rejected {
        id,
        error: Box::new(ErrorData::new(
            code::INVALID_REQUEST,
            format!("invalid request: {message}"),
            None,
        )),
    }
}

/// A key for maps of request ids (`1` and `"1"` stay distinct).
pub fn id_key(id: &RequestId) -> String {
    serde_json::to_string(id).unwrap_or_default()
}

/// A JSON-RPC message object: `"jsonrpc": "2.0"` and `members`, moved in
/// (`json!` would copy a large result or params value member by member).
fn message<const N: usize>(members: [(&str, Value); N]) -> Value {
    let mut object = Map::with_capacity(N + 1);
    object.insert("jsonrpc".into(), Value::from("2.0"));
    for (name, value) in members {
        object.insert(name.into(), value);
    }
    Value::Object(object)
}

fn id_value(id: &RequestId) -> Value {
    serde_json::to_value(id).unwrap_or(Value::Null)
}

/// A successful response.
pub fn response(id: &RequestId, result: Value) -> Value {
    message([("id", id_value(id)), ("result", result)])
}

/// A message on its way out: a JSON value, or the response to `id` with a
/// result serialized once (written without being built or parsed again).
#[derive(Debug, Clone)]
pub enum Outgoing {
    Value(Value),
    Cached {
        id: RequestId,
        result: Arc<CachedResult>,
    },
}

impl Outgoing {
    /// The message as a value, for transports that frame values.
    pub fn into_value(self) -> Value {
        match self {
            Outgoing::Value(value) => value,
            Outgoing::Cached { id, result } => {
                serde_json::from_str(&result.response_text(&id)).unwrap_or(Value::Null)
            }
        }
    }
}

/// A result serialized once (the first page of `tools/list`): a response to
/// any id is then written without building or serializing the large part
/// again. A transport may keep more per result (HTTP deflates the text once
/// for gzip answers); this type knows only the text.
pub struct CachedResult {
    json: String,
}

impl std::fmt::Debug for CachedResult {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("CachedResult")
            .field("bytes", &self.json.len())
            .finish()
    }
}

impl CachedResult {
    pub fn new(json: String) -> CachedResult {
        CachedResult { json }
    }

    /// The result's text, the same for every answer.
    pub fn text(&self) -> &str {
        &self.json
    }

    /// The response to request `id` in three parts: the envelope before the
    /// result (`{"jsonrpc":"2.0","id":…,"result":`), the result's text, and
    /// the envelope after it.
    pub fn response_parts(&self, id: &RequestId) -> (String, &str, &'static str) {
        (response_prefix(id), &self.json, "}")
    }

    /// The whole response to request `id`.
    pub fn response_text(&self, id: &RequestId) -> String {
        let (prefix, text, suffix) = self.response_parts(id);
        let mut whole = String::with_capacity(prefix.len() + text.len() + suffix.len());
        whole.push_str(&prefix);
        whole.push_str(text);
        whole.push_str(suffix);
        whole
    }
}

fn response_prefix(id: &RequestId) -> String {
    format!("{{\"jsonrpc\":\"2.0\",\"id\":{},\"result\":", id_key(id))
}

/// An error response; `id` is `null` when the request had no usable id.
pub fn error_response(id: Option<&RequestId>, error: &ErrorData) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": error})
}

/// A notification from the server.
pub fn notification(method: &str, params: Value) -> Value {
    message([("method", Value::from(method)), ("params", params)])
}

/// A request from the server to the client.
pub fn request(id: &RequestId, method: &str, params: Value) -> Value {
    message([
        ("id", id_value(id)),
        ("method", Value::from(method)),
        ("params", params),
    ])
}

/// An [`ErrorData`] with `code` and `message`.
pub fn error(code: ErrorCode, message: impl Into<String>) -> ErrorData {
    ErrorData::new(code, message.into(), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_requests_notifications_and_responses() {
        let request = classify(json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}));
        assert!(matches!(request, Ok(Message::Request(_))));
        let notification =
            classify(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        assert!(matches!(notification, Ok(Message::Notification(_))));
        let response = classify(json!({"jsonrpc": "2.0", "id": "s1", "result": {}}));
        assert!(matches!(response, Ok(Message::Response(_))));
    }

    #[test]
    fn rejects_malformed_messages_with_standard_codes() {
        let cases = [
            json!([]),
            json!(3),
            json!({"id": 1, "method": "ping"}),
            json!({"jsonrpc": "2.0", "id": 1.5, "method": "ping"}),
            json!({"jsonrpc": "2.0", "id": 1, "method": 7}),
            json!({"jsonrpc": "2.0", "id": 1}),
        ];
        for case in cases {
            let rejected = classify(case.clone()).expect_err("malformed");
            assert_eq!(rejected.error.code, code::INVALID_REQUEST, "{case}");
        }
        let params = classify(json!({"jsonrpc": "2.0", "id": 1, "method": "x", "params": [1]}))
            .expect_err("array params");
        assert_eq!(params.error.code, code::INVALID_PARAMS);
        assert_eq!(
            decode(b"{").expect_err("bad json").error.code,
            code::PARSE_ERROR
        );
    }

    /// A cached result's response carries the request's id around the
    /// text serialized once.
    #[test]
    fn a_cached_result_answers_any_id() {
        let cached = CachedResult::new(r#"{"tools":[{"name":"ping"}]}"#.into());
        let plain = cached.response_text(&RequestId::Number(7));
        assert_eq!(
            plain,
            r#"{"jsonrpc":"2.0","id":7,"result":{"tools":[{"name":"ping"}]}}"#
        );
        let parsed: Value =
            serde_json::from_str(&cached.response_text(&RequestId::String("a\"b".into())))
                .expect("valid JSON");
        assert_eq!(parsed["id"], "a\"b");
    }
}
