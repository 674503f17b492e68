//! The 2026-07-28 revision, the "modern era": a stateless core (SEP-2575).
//! There is no `initialize` and no session; every request carries its
//! protocol version, the client's capabilities and (optionally) the client's
//! identity and log level in `params._meta`, and `server/discover` says what
//! the server offers.
//!
//! It owns the per-request context of that era: reading and checking
//! `_meta` ([`read_meta`]), the methods the era keeps ([`is_modern_method`]),
//! `server/discover`, and the result decoration the era requires
//! (`resultType`, the caching hints of SEP-2549, input-required results).
//!
//! It does not own dispatch: a modern request runs through the same
//! [`McpServer`] handlers as a request of the older revisions, on a
//! per-request [`Session`] that the transport makes, fills from `_meta`
//! ([`McpServer::begin_modern`]) and ends after the answer. It knows no HTTP:
//! a refusal says which kind it is ([`RefusalKind`]); the transport maps it
//! to a status.

use std::sync::Arc;

use rmcp::model::{
    CacheScope, DiscoverResult, ErrorCode, ErrorData, Implementation, ProtocolVersion,
    ServerCapabilities,
};
use serde_json::{json, Map, Value};

use super::dispatch::{to_result, Answer, SUPPORTED_VERSIONS};
use super::input::{self, InputRound};
use super::jsonrpc::{self, code, Request};
use super::session::{Handshake, Session};
use super::stream::Outbound;
use super::McpServer;
use crate::tools::LogLevel;

/// The revision this module serves.
pub const MODERN_VERSION: &str = "2026-07-28";

/// `_meta` keys of a modern request.
pub const META_PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
pub const META_CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
pub const META_CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";
pub const META_LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";
/// `_meta` key of a result naming the server (spec PR #3002).
pub const META_SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";
/// `_meta` key tying a notification to its `subscriptions/listen` stream.
pub const META_SUBSCRIPTION_ID: &str = "io.modelcontextprotocol/subscriptionId";

/// The error codes the revision adds.
pub mod modern_code {
    use rmcp::model::ErrorCode;
    /// The `MCP-Protocol-Version` header is missing or disagrees with the body.
    pub const HEADER_MISMATCH: ErrorCode = ErrorCode::HEADER_MISMATCH;
    /// The request needs a client capability the client did not declare.
    pub const MISSING_CAPABILITY: ErrorCode = ErrorCode::MISSING_REQUIRED_CLIENT_CAPABILITY;
    /// The requested protocol version is not one this server speaks.
    pub const UNSUPPORTED_VERSION: ErrorCode = ErrorCode::UNSUPPORTED_PROTOCOL_VERSION;
}

/// Every revision served, newest first: the modern one, then the ones that
/// start with `initialize`.
pub fn all_versions() -> Vec<&'static str> {
    std::iter::once(MODERN_VERSION)
        .chain(SUPPORTED_VERSIONS.iter().copied())
        .collect()
}

/// What a modern request says about its client, from `_meta`.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub protocol_version: String,
    /// The capabilities declared for this request alone.
    pub client_capabilities: Value,
    /// `clientInfo.name` (optional on the wire), for logs.
    pub client_name: String,
    /// Log messages at or above this level go to the client; none without it.
    pub log_level: Option<LogLevel>,
}

/// How a transport should answer a refused request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// A malformed request or one this server cannot serve (HTTP 400).
    BadRequest,
    /// A method this revision does not have (HTTP 404).
    NotFound,
}

/// A modern request refused before any handler ran.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub kind: RefusalKind,
    pub error: ErrorData,
}

impl Refusal {
    fn bad_request(code: ErrorCode, message: impl Into<String>, data: Option<Value>) -> Refusal {
        Refusal {
            kind: RefusalKind::BadRequest,
            error: ErrorData::new(code, message.into(), data),
        }
    }

    /// The refusal for a method this revision does not serve.
    pub fn method_not_found(method: &str) -> Refusal {
        Refusal {
            kind: RefusalKind::NotFound,
            error: jsonrpc::error(
                code::METHOD_NOT_FOUND,
                format!("method not found: {method} (not part of protocol {MODERN_VERSION})"),
            ),
        }
    }

    /// The refusal of an unknown or unserved protocol version, listing the
    /// versions that work.
    pub fn unsupported_version(requested: &str) -> Refusal {
        Refusal::bad_request(
            modern_code::UNSUPPORTED_VERSION,
            format!(
                "unsupported protocol version {requested:?}; supported: {}",
                all_versions().join(", ")
            ),
            Some(json!({"supported": all_versions(), "requested": requested})),
        )
    }

    /// A header that disagrees with the body (or is missing).
    pub fn header_mismatch(message: impl Into<String>) -> Refusal {
        Refusal::bad_request(modern_code::HEADER_MISMATCH, message, None)
    }

    /// Which kind of answer an error produced by a handler calls for.
    pub fn kind_of(error: &ErrorData) -> Option<RefusalKind> {
        match error.code {
            code::METHOD_NOT_FOUND => Some(RefusalKind::NotFound),
            modern_code::HEADER_MISMATCH
            | modern_code::MISSING_CAPABILITY
            | modern_code::UNSUPPORTED_VERSION => Some(RefusalKind::BadRequest),
            _ => None,
        }
    }
}

/// Methods of the modern revision this server serves. `initialize`, `ping`,
/// `logging/setLevel` and `resources/(un)subscribe` are gone from it.
const MODERN_METHODS: &[&str] = &[
    "server/discover",
    "tools/list",
    "tools/call",
    "prompts/list",
    "prompts/get",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "completion/complete",
    "subscriptions/listen",
    "tasks/get",
    "tasks/update",
    "tasks/cancel",
];

/// Whether a modern request may use `method`.
pub fn is_modern_method(method: &str) -> bool {
    MODERN_METHODS.contains(&method)
}

/// Whether `params` look like a modern request's (a `_meta` naming a
/// protocol version): how a transport without headers tells the eras apart.
pub fn has_modern_meta(params: &Map<String, Value>) -> bool {
    params
        .get("_meta")
        .and_then(Value::as_object)
        .is_some_and(|meta| meta.contains_key(META_PROTOCOL_VERSION))
}

/// Reads and checks a modern request's `_meta`: -32602 when it or a required
/// member is missing or malformed, -32020 when its version is not the one
/// the transport announced (`announced`: HTTP's `MCP-Protocol-Version`),
/// -32022 for a version other than [`MODERN_VERSION`].
pub fn read_meta(
    params: &Map<String, Value>,
    announced: Option<&str>,
) -> Result<RequestMeta, Refusal> {
    let invalid = |message: String| Refusal::bad_request(code::INVALID_PARAMS, message, None);
    let meta = params.get("_meta").and_then(Value::as_object).ok_or_else(|| {
        invalid(format!(
            "invalid params: protocol {MODERN_VERSION} requests carry params._meta with {META_PROTOCOL_VERSION} and {META_CLIENT_CAPABILITIES}"
        ))
    })?;
    let version = meta
        .get(META_PROTOCOL_VERSION)
        .and_then(Value::as_str)
        .ok_or_else(|| {
            invalid(format!(
                "invalid params: _meta needs the string {META_PROTOCOL_VERSION}"
            ))
        })?;
    let capabilities = meta
        .get(META_CLIENT_CAPABILITIES)
        .filter(|value| value.is_object())
        .ok_or_else(|| {
            invalid(format!(
                "invalid params: _meta needs the object {META_CLIENT_CAPABILITIES} (empty when the client declares none)"
            ))
        })?;
    if let Some(announced) = announced.filter(|announced| *announced != version) {
        return Err(Refusal::header_mismatch(format!(
            "header mismatch: MCP-Protocol-Version {announced:?} does not match _meta {META_PROTOCOL_VERSION} {version:?}"
        )));
    }
    if version != MODERN_VERSION {
        return Err(Refusal::unsupported_version(version));
    }
    let log_level = match meta.get(META_LOG_LEVEL) {
        None | Some(Value::Null) => None,
        Some(level) => Some(serde_json::from_value(level.clone()).map_err(|_| {
            invalid(format!(
                "invalid params: {META_LOG_LEVEL} must be one of debug, info, notice, warning, error, critical, alert, emergency"
            ))
        })?),
    };
    let client_name = meta
        .get(META_CLIENT_INFO)
        .and_then(|info| info.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("unknown")
        .to_string();
    Ok(RequestMeta {
        protocol_version: version.to_string(),
        client_capabilities: capabilities.clone(),
        client_name,
        log_level,
    })
}

/// Whether `session` serves one modern request (its context came from
/// `_meta`, not from `initialize`).
pub fn is_modern(session: &Session) -> bool {
    session.speaks(MODERN_VERSION)
}

/// How long a client may keep a result of `method`, and who may share it
/// (SEP-2549). The hints are true: the tools, prompts and resource templates
/// never change while the server runs, but the list of resources and a
/// resource's contents can (`file://` roots, results that expire), and
/// `server/discover` says what this build serves.
fn cache_hints(method: &str) -> Option<(u64, CacheScope)> {
    match method {
        "tools/list" | "prompts/list" | "resources/templates/list" => {
            Some((LIST_TTL_MS, CacheScope::Public))
        }
        "server/discover" => Some((LIST_TTL_MS, CacheScope::Public)),
        "resources/list" | "resources/read" => Some((0, CacheScope::Private)),
        _ => None,
    }
}

/// Freshness of the lists that never change while the server runs: an
/// hour, short enough that a new release is seen the same day.
const LIST_TTL_MS: u64 = 3_600_000;

/// Ends a per-request session when dropped.
struct EndOnDrop<'a> {
    server: &'a McpServer,
    session: &'a Session,
}

impl Drop for EndOnDrop<'_> {
    fn drop(&mut self) {
        self.session.close();
        self.server.end_request(&self.session.id);
    }
}

impl McpServer {
    /// Fills a fresh per-request session from a modern request's `_meta`:
    /// after this the handlers see that request's version, capabilities and
    /// log level, and nothing of any other request.
    pub fn begin_modern(&self, session: &Arc<Session>, meta: &RequestMeta) {
        session.set_handshake(Handshake {
            protocol_version: meta.protocol_version.clone(),
            client_capabilities: meta.client_capabilities.clone(),
            client_name: meta.client_name.clone(),
        });
        match meta.log_level {
            Some(level) => session.set_log_level(level),
            None => session.mute_logs(),
        }
    }

    /// The answer to a modern request that the shared handlers do not give:
    /// methods the revision removed, and `server/discover`. `None` lets the
    /// request go on to its handler.
    pub(super) fn modern_request(&self, method: &str) -> Option<Result<Answer, ErrorData>> {
        if !is_modern_method(method) {
            return Some(Err(Refusal::method_not_found(method).error));
        }
        if method == "server/discover" {
            return Some(self.discover().map(Answer::Value));
        }
        None
    }

    /// `server/discover`: the versions served, the capabilities, the
    /// instructions, and the server's name in `_meta`.
    fn discover(&self) -> Result<Value, ErrorData> {
        let capabilities: ServerCapabilities = serde_json::from_value(self.modern_capabilities())
            .map_err(|error| {
            jsonrpc::error(
                code::INTERNAL_ERROR,
                format!("cannot encode the capabilities: {error}"),
            )
        })?;
        let versions = all_versions()
            .into_iter()
            .filter_map(|version| serde_json::from_value::<ProtocolVersion>(json!(version)).ok())
            .collect();
        let options = &self.inner.options;
        let mut result = DiscoverResult::new(versions, capabilities).with_server_info(
            Implementation::new(options.name.clone(), options.version.clone())
                .with_title(options.title.clone()),
        );
        result.instructions = options.instructions.clone();
        let mut value = serde_json::to_value(&result).map_err(|error| {
            jsonrpc::error(
                code::INTERNAL_ERROR,
                format!("cannot encode the result: {error}"),
            )
        })?;
        // The hints are set with the other results' in `finish_modern`.
        if let Some(object) = value.as_object_mut() {
            object.remove("ttlMs");
            object.remove("cacheScope");
        }
        Ok(value)
    }

    /// The capabilities of the modern era: those of the older revisions
    /// less `logging` (a request opts in with `_meta` instead), with
    /// resource subscriptions delivered by `subscriptions/listen`.
    fn modern_capabilities(&self) -> Value {
        json!({
            "tools": {"listChanged": false},
            "prompts": {"listChanged": false},
            "resources": {"subscribe": true, "listChanged": true},
            "completions": {},
            "extensions": {super::tasks::TASKS_EXTENSION: {}},
        })
    }

    /// Handles one modern request: its input-required round (answers from
    /// `inputResponses` and a verified `requestState`) is in scope while the
    /// shared handler runs, then the outcome is completed for the era.
    pub(super) async fn modern_call(
        &self,
        session: &Arc<Session>,
        request: &mut Request,
        outbound: Outbound,
    ) -> Result<Answer, ErrorData> {
        let capabilities = session
            .handshake()
            .map(|handshake| handshake.client_capabilities)
            .unwrap_or_else(|| json!({}));
        let round = InputRound::begin(
            &self.inner.options.request_state_key,
            &request.method,
            &request.params,
            capabilities,
        )?;
        let round = Arc::new(round);
        let tool = (request.method == "tools/call")
            .then(|| request.params.get("name").and_then(Value::as_str))
            .flatten()
            .map(str::to_string);
        // The request's session ends with it, also when the transport drops
        // this future (the client went away): its calls are cancelled and
        // what a provider holds for it (a free-form R worker and its
        // workspace) goes.
        let ending = EndOnDrop {
            server: self,
            session,
        };
        let outcome =
            input::scope(Arc::clone(&round), self.request(session, request, outbound)).await;
        drop(ending);
        let outcome = self.finish_modern(session, &request.method, outcome, &round)?;
        Ok(match (tool, outcome) {
            (Some(tool), Answer::Value(result)) => {
                Answer::Value(self.add_stateless_note(&tool, result))
            }
            (_, outcome) => outcome,
        })
    }

    /// The first page of `tools/list` for this era, serialized once from the
    /// older revisions' page (`legacy`) with `resultType` and the hints.
    fn modern_tools_page(&self, legacy: Arc<jsonrpc::CachedResult>) -> Arc<jsonrpc::CachedResult> {
        let page = self.inner.modern_first_tools_page.get_or_init(|| {
            let response = jsonrpc::Outgoing::Cached {
                id: rmcp::model::RequestId::Number(0),
                result: legacy,
            }
            .into_value();
            let mut result = response.get("result").cloned().unwrap_or(Value::Null);
            if let (Some(object), Some((ttl_ms, scope))) =
                (result.as_object_mut(), cache_hints("tools/list"))
            {
                object.insert("resultType".into(), json!("complete"));
                object.insert("ttlMs".into(), json!(ttl_ms));
                object.insert(
                    "cacheScope".into(),
                    to_result(&scope).unwrap_or(Value::Null),
                );
            }
            Arc::new(jsonrpc::CachedResult::new(result.to_string()))
        });
        Arc::clone(page)
    }

    /// The arguments of tool `name` that a client of 2026-07-28 also sends
    /// as HTTP headers (SEP-2243: `x-mcp-header` on a property of the input
    /// schema): (header name suffix, argument name) pairs.
    pub fn header_parameters(&self, name: &str) -> Vec<(String, String)> {
        let Some(entry) = self
            .inner
            .by_name
            .get(name)
            .and_then(|index| self.inner.tools.get(*index))
        else {
            return Vec::new();
        };
        entry
            .tool
            .input_schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|properties| {
                properties
                    .iter()
                    .filter_map(|(argument, schema)| {
                        let header = schema.get("x-mcp-header")?.as_str()?;
                        Some((header.to_string(), argument.clone()))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Frees what every tool provider holds for session `id`.
    pub fn end_session(&self, id: &str) {
        for provider in &self.inner.tool_providers {
            provider.end_session(id);
        }
        self.inner.tasks.end_session(id);
    }

    /// Frees what every tool provider holds for the per-request session
    /// `id` of a 2026-07-28 request; what a provider keeps under a handle
    /// the client holds (free-form R workspaces) stays.
    pub fn end_request(&self, id: &str) {
        for provider in &self.inner.tool_providers {
            provider.end_request(id);
        }
    }

    /// Appends to a completed tool result the note its provider gives for
    /// the stateless path (what did not persist), as a last text block.
    fn add_stateless_note(&self, tool: &str, mut result: Value) -> Value {
        if result["resultType"] != "complete" {
            return result;
        }
        let note = self
            .inner
            .by_name
            .get(tool)
            .and_then(|index| self.inner.tools.get(*index))
            .and_then(|entry| self.inner.tool_providers.get(entry.provider))
            .and_then(|provider| provider.stateless_note(tool));
        if let (Some(note), Some(content)) = (
            note,
            result.get_mut("content").and_then(Value::as_array_mut),
        ) {
            content.push(json!({"type": "text", "text": note}));
        }
        result
    }

    /// Completes a modern request's outcome: an input-required result when
    /// the handler asked the client something it has not answered yet; the
    /// error a handler's need of an undeclared client capability calls for
    /// (-32021); else `resultType` and the caching hints.
    fn finish_modern(
        &self,
        session: &Session,
        method: &str,
        outcome: Result<Answer, ErrorData>,
        round: &InputRound,
    ) -> Result<Answer, ErrorData> {
        if let Some(result) = round.input_required(&self.inner.options.request_state_key) {
            return result.map(Answer::Value);
        }
        if let Some(capability) = round
            .missing_capability()
            .or_else(|| session.missing_capability())
        {
            return Err(ErrorData::new(
                modern_code::MISSING_CAPABILITY,
                format!(
                    "this request needs the client capability {capability:?}; declare it in _meta {META_CLIENT_CAPABILITIES}"
                ),
                Some(json!({"requiredCapabilities": {capability: {}}})),
            ));
        }
        let mut value = match outcome? {
            Answer::Value(value) => value,
            Answer::Cached(result) if method == "tools/list" => {
                return Ok(Answer::Cached(self.modern_tools_page(result)));
            }
            // The cached first page of `tools/list` is text; this era adds
            // members to it, so it is parsed back (once per such request).
            Answer::Cached(result) => {
                let response = jsonrpc::Outgoing::Cached {
                    id: rmcp::model::RequestId::Number(0),
                    result,
                }
                .into_value();
                response.get("result").cloned().unwrap_or(Value::Null)
            }
        };
        if let Some(object) = value.as_object_mut() {
            if !object.contains_key("resultType") {
                object.insert("resultType".into(), json!("complete"));
            }
            if let Some((ttl_ms, scope)) = cache_hints(method) {
                object.insert("ttlMs".into(), json!(ttl_ms));
                object.insert("cacheScope".into(), to_result(&scope)?);
            }
        }
        Ok(Answer::Value(value))
    }
}
