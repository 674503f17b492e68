//! The conformance suite's fixtures for protocol 2026-07-28 (served, like
//! `fixtures`, only under `--conformance-fixtures`): the diagnostic tools of
//! the stateless scenarios (an undeclared capability, logging without a log
//! level, elicitation on a response stream) and the tools and the prompt of
//! the input-required scenarios (SEP-2322), which ask the client through
//! [`input::ask`] with the keys the suite expects.
//!
//! Called by a client of an older revision, the input-required tools say
//! they need 2026-07-28.

use std::sync::Arc;

use futures::future::BoxFuture;
use rmcp::model::{CallToolResult, ContentBlock, GetPromptResult, Prompt, Tool};
use serde_json::{json, Map, Value};

use super::input;
use crate::tools::{CallContext, LogLevel, PeerError, PromptProvider, ProviderError, ToolProvider};

/// The 2026-07-28 fixtures.
#[derive(Default)]
pub struct ModernFixtures;

impl ModernFixtures {
    pub fn new() -> Arc<ModernFixtures> {
        Arc::new(ModernFixtures)
    }
}

const TOOLS: &[(&str, &str)] = &[
    (
        "test_missing_capability",
        "Asks the client for sampling; a client that did not declare sampling gets -32021",
    ),
    (
        "test_logging_tool",
        "Sends log messages, which only a request with a log level receives",
    ),
    (
        "test_streaming_elicitation",
        "Asks the client to confirm through an input-required result",
    ),
    (
        "test_input_required_result_elicitation",
        "Asks the user's name (elicitation) and greets them",
    ),
    (
        "test_input_required_result_sampling",
        "Asks the client's model a question (sampling)",
    ),
    (
        "test_input_required_result_list_roots",
        "Asks the client for its roots",
    ),
    (
        "test_input_required_result_request_state",
        "Asks for a confirmation and checks the round's state",
    ),
    (
        "test_input_required_result_multiple_inputs",
        "Asks for a name, a model answer and the roots in one round",
    ),
    (
        "test_input_required_result_multi_round",
        "Asks for a name, then a colour, in two rounds",
    ),
    (
        "test_input_required_result_tampered_state",
        "Asks for a confirmation; an altered state is refused",
    ),
    (
        "test_input_required_result_capabilities",
        "Asks only what the client's declared capabilities allow",
    ),
];

const PROMPT: &str = "test_input_required_result_prompt";

/// A successful result of one text block (also the task fixtures').
pub(super) fn text(message: impl Into<String>) -> CallToolResult {
    CallToolResult::success(vec![ContentBlock::text(message)])
}

pub(super) fn failure(message: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message)])
}

pub(super) fn elicitation(message: &str, field: &str, kind: &str) -> Value {
    json!({
        "message": message,
        "requestedSchema": {
            "type": "object",
            "properties": {field: {"type": kind}},
            "required": [field]
        }
    })
}

fn sampling(question: &str) -> Value {
    json!({
        "messages": [{"role": "user", "content": {"type": "text", "text": question}}],
        "maxTokens": 100
    })
}

/// Asks under `key`; `Err` says why there is no answer yet (the round
/// then ends with an input-required result).
fn ask(key: &str, method: &str, params: Value) -> Result<Value, String> {
    match input::ask(Some(key), method, params) {
        None => Err(
            "this tool asks through input-required results: call it with protocol 2026-07-28"
                .into(),
        ),
        Some(Ok(answer)) => Ok(answer),
        Some(Err(error)) => Err(format!("no answer from the client: {error}")),
    }
}

/// A field of an elicitation answer's `content`.
pub(super) fn field(answer: &Value, name: &str) -> String {
    match &answer["content"][name] {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn sampled_text(answer: &Value) -> String {
    answer["content"]["text"].as_str().unwrap_or("").to_string()
}

fn run(name: &str, context: &CallContext) -> CallToolResult {
    let outcome = match name {
        "test_missing_capability" => ask(
            "completion",
            "sampling/createMessage",
            sampling("Say hello"),
        )
        .map(|answer| text(format!("LLM response: {}", sampled_text(&answer)))),
        "test_logging_tool" => {
            if let Some(client) = &context.client {
                client.log(LogLevel::Info, json!("test_logging_tool started"));
                client.log(LogLevel::Info, json!("test_logging_tool finished"));
            }
            Ok(text(
                "logged two messages (sent only to requests with a log level)",
            ))
        }
        "test_streaming_elicitation"
        | "test_input_required_result_request_state"
        | "test_input_required_result_tampered_state" => ask(
            "confirm",
            "elicitation/create",
            elicitation("Please confirm", "ok", "boolean"),
        )
        .map(|answer| text(format!("state-ok: confirmed {}", field(&answer, "ok")))),
        "test_input_required_result_elicitation" => ask(
            "user_name",
            "elicitation/create",
            elicitation("What is your name?", "name", "string"),
        )
        .map(|answer| text(format!("Hello, {}!", field(&answer, "name")))),
        "test_input_required_result_sampling" => ask(
            "capital_question",
            "sampling/createMessage",
            sampling("What is the capital of France?"),
        )
        .map(|answer| text(format!("LLM response: {}", sampled_text(&answer)))),
        "test_input_required_result_list_roots" => ask("client_roots", "roots/list", json!({}))
            .map(|answer| {
                let roots: Vec<String> = answer["roots"]
                    .as_array()
                    .map(|roots| {
                        roots
                            .iter()
                            .filter_map(|root| root["uri"].as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                text(format!("client roots: {}", roots.join(", ")))
            }),
        "test_input_required_result_multiple_inputs" => {
            // All three are asked before any answer is needed, so one round
            // carries them all.
            let name = ask(
                "user_name",
                "elicitation/create",
                elicitation("What is your name?", "name", "string"),
            );
            let capital = ask(
                "capital_question",
                "sampling/createMessage",
                sampling("What is the capital of France?"),
            );
            let roots = ask("client_roots", "roots/list", json!({}));
            match (name, capital, roots) {
                (Ok(name), Ok(capital), Ok(roots)) => Ok(text(format!(
                    "name {}, answer {}, {} roots",
                    field(&name, "name"),
                    sampled_text(&capital),
                    roots["roots"].as_array().map_or(0, Vec::len)
                ))),
                (Err(error), _, _) | (_, Err(error), _) | (_, _, Err(error)) => Err(error),
            }
        }
        "test_input_required_result_multi_round" => ask(
            "step1",
            "elicitation/create",
            elicitation("Step 1: What is your name?", "name", "string"),
        )
        .and_then(|name| {
            ask(
                "step2",
                "elicitation/create",
                elicitation("Step 2: What is your favorite color?", "color", "string"),
            )
            .map(|color| {
                text(format!(
                    "{} likes {}",
                    field(&name, "name"),
                    field(&color, "color")
                ))
            })
        }),
        "test_input_required_result_capabilities" => {
            // Each question needs its capability; one the client did not
            // declare is not asked.
            let asked = [
                ask(
                    "user_input",
                    "elicitation/create",
                    elicitation("What should I summarize?", "topic", "string"),
                ),
                ask(
                    "summary",
                    "sampling/createMessage",
                    sampling("Summarize MCP"),
                ),
            ];
            if asked.iter().all(|answer| answer.is_err()) {
                Err("nothing the client supports was answered yet".into())
            } else {
                Ok(text("answered with the capabilities the client declared"))
            }
        }
        _ => Err(format!("unknown tool {name}")),
    };
    outcome.unwrap_or_else(failure)
}

/// The tool whose argument travels as a header too (SEP-2243).
const HEADER_TOOL: &str = "test_custom_headers";

impl ToolProvider for ModernFixtures {
    fn tools(&self) -> Vec<Tool> {
        let object = |value: Value| match value {
            Value::Object(schema) => schema,
            _ => Map::new(),
        };
        let schema = Arc::new(object(json!({"type": "object", "properties": {}})));
        let mut tools: Vec<Tool> = TOOLS
            .iter()
            .map(|(name, description)| Tool::new(*name, *description, Arc::clone(&schema)))
            .collect();
        tools.push(Tool::new(
            HEADER_TOOL,
            "Echoes its region, which a 2026-07-28 client also sends as the Mcp-Param-Region header",
            Arc::new(object(json!({
                "type": "object",
                "properties": {"region": {"type": "string", "x-mcp-header": "Region",
                                          "description": "where to route the call"}},
                "required": ["region"]
            }))),
        ));
        tools
    }

    fn call<'a>(
        &'a self,
        name: &'a str,
        arguments: Value,
        context: CallContext,
    ) -> Option<BoxFuture<'a, CallToolResult>> {
        if name == HEADER_TOOL {
            let region = arguments["region"].as_str().unwrap_or("").to_string();
            return Some(Box::pin(async move { text(format!("region: {region}")) }));
        }
        if !TOOLS.iter().any(|(listed, _)| *listed == name) {
            return None;
        }
        Some(Box::pin(async move { run(name, &context) }))
    }
}

impl PromptProvider for ModernFixtures {
    fn prompts(&self) -> Vec<Prompt> {
        vec![Prompt::new(
            PROMPT,
            Some("A prompt that first asks the user for context (input-required result)"),
            None,
        )]
    }

    fn get<'a>(
        &'a self,
        name: &'a str,
        _arguments: Map<String, Value>,
    ) -> Option<BoxFuture<'a, Result<GetPromptResult, ProviderError>>> {
        if name != PROMPT {
            return None;
        }
        Some(Box::pin(async move {
            let answer = input::ask(
                Some("user_context"),
                "elicitation/create",
                elicitation("What context should the prompt use?", "context", "string"),
            )
            .unwrap_or(Err(PeerError::InputRequired))
            .map_err(|error| ProviderError::InvalidParams(format!("no context yet: {error}")))?;
            let context = field(&answer, "context");
            serde_json::from_value(json!({
                "description": "A prompt built from the user's context",
                "messages": [{"role": "user", "content": {"type": "text",
                    "text": format!("Use this context: {context}")}}]
            }))
            .map_err(|error| ProviderError::Internal(error.to_string()))
        }))
    }
}
