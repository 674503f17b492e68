//! One handler per MCP method: the lifecycle, lists with cursor pagination,
//! prompts, resources, completion and logging. `tools/call` lives in `call`.
//!
//! Protocol errors (unknown method, bad params, unknown prompt or resource)
//! are JSON-RPC errors; tool failures never are.

use std::sync::Arc;

use rmcp::model::ErrorData;
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::jsonrpc::{self, code, Message, Outgoing, Request};
use super::session::{Handshake, Session};
use super::stream::Outbound;
use super::{McpServer, LATEST_VERSION};
use crate::tools::{LogLevel, ProviderError};

/// Protocol versions this server speaks, newest first.
pub const SUPPORTED_VERSIONS: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

/// Most completion values returned at once (the spec's cap).
const MAX_COMPLETIONS: usize = 100;

impl McpServer {
    /// Handles one message of `session`. Returns the response to a request;
    /// notifications and the client's replies get none.
    pub async fn handle(
        &self,
        session: &Arc<Session>,
        message: Message,
        outbound: Outbound,
    ) -> Option<Value> {
        self.handle_encoded(session, message, outbound)
            .await
            .map(Outgoing::into_value)
    }

    /// [`handle`](Self::handle) for transports that write JSON text: cached
    /// results come back already serialized.
    pub async fn handle_encoded(
        &self,
        session: &Arc<Session>,
        message: Message,
        outbound: Outbound,
    ) -> Option<Outgoing> {
        match message {
            Message::Request(mut request) => {
                let outcome = if super::modern::is_modern(session) {
                    self.modern_call(session, &mut request, outbound).await
                } else {
                    self.request(session, &mut request, outbound).await
                };
                self.inner
                    .metrics
                    .mcp_request(&request.method, outcome.is_ok());
                Some(match outcome {
                    Ok(Answer::Value(result)) => {
                        Outgoing::Value(jsonrpc::response(&request.id, result))
                    }
                    Ok(Answer::Cached(result)) => Outgoing::Cached {
                        id: request.id.clone(),
                        result,
                    },
                    Err(error) => {
                        Outgoing::Value(jsonrpc::error_response(Some(&request.id), &error))
                    }
                })
            }
            Message::Notification(notification) => {
                self.notification(session, &notification.method, &notification.params);
                None
            }
            Message::Response(response) => {
                if !session.deliver_reply(&response.id, response.outcome) {
                    log::debug!("reply to an unknown or expired request; ignored");
                }
                None
            }
        }
    }

    pub(super) async fn request(
        &self,
        session: &Arc<Session>,
        request: &mut Request,
        outbound: Outbound,
    ) -> Result<Answer, ErrorData> {
        // A call's arguments are moved to the tool, not copied: they can be a
        // whole data table.
        let arguments = if request.method == "tools/call" {
            request.params.remove("arguments")
        } else {
            None
        };
        let request = &*request;
        let method = request.method.as_str();
        if super::modern::is_modern(session) {
            if let Some(answer) = self.modern_request(method) {
                return answer;
            }
        }
        if method == "initialize" {
            let result = self.initialize(session, &request.params);
            if result.is_ok() {
                self.inner.notifier.register(session, &outbound);
            }
            return result.map(Answer::Value);
        }
        if session.handshake().is_none() && method != "ping" {
            return Err(jsonrpc::error(
                code::INVALID_REQUEST,
                format!("the session is not initialized: send \"initialize\" before \"{method}\""),
            ));
        }
        let params = &request.params;
        if method == "tools/list" {
            return self.list_tools(params);
        }
        let result = match method {
            "ping" => Ok(json!({})),
            "tools/call" => self.call_tool(session, request, arguments, outbound).await,
            "prompts/list" => {
                let prompts: Vec<_> = self
                    .inner
                    .prompt_providers
                    .iter()
                    .flat_map(|provider| provider.prompts())
                    .collect();
                paginate("prompts", &prompts, params, self.inner.options.page_size)
            }
            "prompts/get" => self.get_prompt(params).await,
            "resources/list" => {
                let resources: Vec<_> = self
                    .inner
                    .resource_providers
                    .iter()
                    .flat_map(|provider| provider.resources())
                    .collect();
                paginate(
                    "resources",
                    &resources,
                    params,
                    self.inner.options.page_size,
                )
            }
            "resources/templates/list" => {
                let templates: Vec<_> = self
                    .inner
                    .resource_providers
                    .iter()
                    .flat_map(|provider| provider.templates())
                    .collect();
                paginate(
                    "resourceTemplates",
                    &templates,
                    params,
                    self.inner.options.page_size,
                )
            }
            "resources/read" => self.read_resource(params).await,
            "resources/subscribe" => {
                session.subscribe(required_str(params, "uri")?);
                Ok(json!({}))
            }
            "resources/unsubscribe" => {
                session.unsubscribe(required_str(params, "uri")?);
                Ok(json!({}))
            }
            "completion/complete" => self.complete(params),
            "tasks/get" | "tasks/update" | "tasks/cancel" => {
                self.task_method(session, method, params)
            }
            "logging/setLevel" => {
                let level = params.get("level").cloned().unwrap_or(Value::Null);
                let level: LogLevel = serde_json::from_value(level).map_err(|_| {
                    invalid_params("\"level\" must be one of debug, info, notice, warning, error, critical, alert, emergency")
                })?;
                session.set_log_level(level);
                Ok(json!({}))
            }
            _ => Err(jsonrpc::error(
                code::METHOD_NOT_FOUND,
                format!("method not found: {method}"),
            )),
        };
        result.map(Answer::Value)
    }

    fn notification(&self, session: &Arc<Session>, method: &str, params: &Map<String, Value>) {
        match method {
            "notifications/cancelled" => {
                let id = params
                    .get("requestId")
                    .cloned()
                    .and_then(|id| serde_json::from_value(id).ok());
                match id {
                    Some(id) => {
                        if session.cancel_request(&id) {
                            log::info!("request cancelled by the client");
                        }
                    }
                    None => log::debug!("notifications/cancelled without a usable requestId"),
                }
            }
            "notifications/initialized" => log::debug!("client initialized"),
            other => log::debug!("notification {other} ignored"),
        }
    }

    fn initialize(
        &self,
        session: &Arc<Session>,
        params: &Map<String, Value>,
    ) -> Result<Value, ErrorData> {
        if session.handshake().is_some() {
            return Err(jsonrpc::error(
                code::INVALID_REQUEST,
                "the session is already initialized; start a new session to initialize again",
            ));
        }
        let requested = required_str(params, "protocolVersion")?;
        let version = if SUPPORTED_VERSIONS.contains(&requested) {
            requested
        } else {
            LATEST_VERSION
        };
        let capabilities = params
            .get("capabilities")
            .cloned()
            .filter(Value::is_object)
            .unwrap_or_else(|| json!({}));
        let client_name = params
            .get("clientInfo")
            .and_then(|info| info.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("unknown")
            .to_string();
        log::info!("session initialized: client {client_name:?}, protocol {version}");
        session.set_handshake(Handshake {
            protocol_version: version.to_string(),
            client_capabilities: capabilities,
            client_name,
        });
        let options = &self.inner.options;
        let mut result = json!({
            "protocolVersion": version,
            "capabilities": {
                "tools": {"listChanged": false},
                "prompts": {"listChanged": false},
                "resources": {"subscribe": true, "listChanged": true},
                "logging": {},
                "completions": {},
                "extensions": {super::tasks::TASKS_EXTENSION: {}},
            },
            "serverInfo": {
                "name": options.name,
                "title": options.title,
                "version": options.version,
            },
        });
        if let (Some(instructions), Some(object)) = (&options.instructions, result.as_object_mut())
        {
            object.insert("instructions".into(), json!(instructions));
        }
        Ok(result)
    }

    fn list_tools(&self, params: &Map<String, Value>) -> Result<Answer, ErrorData> {
        if matches!(params.get("cursor"), None | Some(Value::Null)) {
            return Ok(Answer::Cached(Arc::clone(&self.inner.first_tools_page)));
        }
        paginate(
            "tools",
            &self.inner.wire_tools,
            params,
            self.inner.options.page_size,
        )
        .map(Answer::Value)
    }

    async fn get_prompt(&self, params: &Map<String, Value>) -> Result<Value, ErrorData> {
        let name = required_str(params, "name")?;
        let arguments = match params.get("arguments") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(arguments)) => arguments.clone(),
            Some(_) => return Err(invalid_params("\"arguments\" must be an object of strings")),
        };
        for provider in &self.inner.prompt_providers {
            if let Some(future) = provider.get(name, arguments.clone()) {
                let result = future.await.map_err(provider_error)?;
                return to_result(&result);
            }
        }
        Err(invalid_params(format!(
            "unknown prompt: {name}; call prompts/list for the available prompts"
        )))
    }

    async fn read_resource(&self, params: &Map<String, Value>) -> Result<Value, ErrorData> {
        let uri = required_str(params, "uri")?;
        for provider in &self.inner.resource_providers {
            if let Some(future) = provider.read(uri) {
                let result = future.await.map_err(provider_error)?;
                return to_result(&result);
            }
        }
        Err(provider_error(ProviderError::ResourceNotFound(
            uri.to_string(),
        )))
    }

    fn complete(&self, params: &Map<String, Value>) -> Result<Value, ErrorData> {
        let reference = params
            .get("ref")
            .and_then(Value::as_object)
            .ok_or_else(|| invalid_params("\"ref\" must be an object"))?;
        let argument = params
            .get("argument")
            .and_then(Value::as_object)
            .ok_or_else(|| invalid_params("\"argument\" must be an object with name and value"))?;
        let argument_name = required_str(argument, "name")?;
        let value = argument.get("value").and_then(Value::as_str).unwrap_or("");
        let values = match reference.get("type").and_then(Value::as_str) {
            Some("ref/prompt") => {
                let name = required_str(reference, "name")?;
                self.inner
                    .prompt_providers
                    .iter()
                    .find_map(|provider| provider.complete(name, argument_name, value))
            }
            Some("ref/resource") => {
                let uri = required_str(reference, "uri")?;
                self.inner
                    .resource_providers
                    .iter()
                    .find_map(|provider| provider.complete(uri, argument_name, value))
            }
            _ => {
                return Err(invalid_params(
                    "\"ref.type\" must be \"ref/prompt\" or \"ref/resource\"",
                ))
            }
        };
        let values = values.unwrap_or_default();
        let total = values.len();
        let shown: Vec<String> = values.into_iter().take(MAX_COMPLETIONS).collect();
        Ok(json!({
            "completion": {"values": shown, "total": total, "hasMore": total > MAX_COMPLETIONS}
        }))
    }
}

/// Serializes a result, dropping the 2026 draft's `resultType`, which no
/// version this server negotiates knows.
pub(super) fn to_result<T: Serialize>(value: &T) -> Result<Value, ErrorData> {
    let mut value = serde_json::to_value(value).map_err(|error| {
        jsonrpc::error(
            code::INTERNAL_ERROR,
            format!("cannot encode the result: {error}"),
        )
    })?;
    if let Some(object) = value.as_object_mut() {
        object.remove("resultType");
    }
    Ok(value)
}

/// A method's result: built for this call, or serialized once.
pub(super) enum Answer {
    Value(Value),
    Cached(Arc<jsonrpc::CachedResult>),
}

/// The first page of `items` under `key`, as JSON text (the result of a
/// list request without a cursor).
pub(super) fn first_page_text<T: Serialize>(key: &str, items: &[T], page_size: usize) -> String {
    paginate(key, items, &Map::new(), page_size)
        .ok()
        .and_then(|page| serde_json::to_string(&page).ok())
        .unwrap_or_else(|| {
            log::error!("the first page of {key} could not be serialized; listing none");
            format!("{{{key:?}:[]}}")
        })
}

/// One page of `items` under `key`, with `nextCursor` when more remain. The
/// cursor is an opaque decimal offset.
fn paginate<T: Serialize>(
    key: &str,
    items: &[T],
    params: &Map<String, Value>,
    page_size: usize,
) -> Result<Value, ErrorData> {
    let start = match params.get("cursor") {
        None | Some(Value::Null) => 0,
        Some(Value::String(cursor)) => cursor
            .parse::<usize>()
            .ok()
            .filter(|start| *start <= items.len())
            .ok_or_else(|| {
                invalid_params(format!(
                    "invalid cursor {cursor:?}; use a nextCursor from a previous page"
                ))
            })?,
        Some(_) => return Err(invalid_params("\"cursor\" must be a string")),
    };
    let end = (start + page_size.max(1)).min(items.len());
    let page = items.get(start..end).unwrap_or_default();
    let mut result = Map::new();
    result.insert(key.to_string(), to_result(&page)?);
    if end < items.len() {
        result.insert("nextCursor".into(), json!(end.to_string()));
    }
    Ok(Value::Object(result))
}

pub(super) fn required_str<'a>(
    params: &'a Map<String, Value>,
    name: &str,
) -> Result<&'a str, ErrorData> {
    params
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| invalid_params(format!("missing string parameter \"{name}\"")))
}

pub(super) fn invalid_params(message: impl Into<String>) -> ErrorData {
    jsonrpc::error(code::INVALID_PARAMS, message)
}

fn provider_error(error: ProviderError) -> ErrorData {
    match &error {
        ProviderError::InvalidParams(_) => invalid_params(error.to_string()),
        ProviderError::ResourceNotFound(uri) => ErrorData::new(
            code::RESOURCE_NOT_FOUND,
            error.to_string(),
            Some(json!({"uri": uri})),
        ),
        ProviderError::Internal(_) => jsonrpc::error(code::INTERNAL_ERROR, error.to_string()),
    }
}
