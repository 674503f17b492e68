//! The tools, prompts and resources the official conformance suite
//! (`@modelcontextprotocol/conformance`) expects, served only under
//! `rmcp serve-http --conformance-fixtures`. They exercise the protocol
//! (content types, logging, progress, sampling, elicitation, SSE
//! resumption), not R.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use futures::future::BoxFuture;
use rmcp::model::{
    CallToolResult, ContentBlock, GetPromptResult, Prompt, PromptArgument, ReadResourceResult,
    Resource, ResourceContents, ResourceTemplate, Tool,
};
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

use crate::tools::{
    CallContext, LogLevel, PromptProvider, ProviderError, ResourceProvider, ToolProvider,
};

/// A 1×1 red PNG.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

/// The conformance fixtures: tools, prompts and resources in one provider.
#[derive(Default)]
pub struct Fixtures;

impl Fixtures {
    pub fn new() -> Arc<Fixtures> {
        Arc::new(Fixtures)
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn no_arguments() -> Map<String, Value> {
    object(json!({"type": "object", "properties": {}}))
}

fn string_argument(name: &str, description: &str) -> Map<String, Value> {
    object(json!({
        "type": "object",
        "properties": {name: {"type": "string", "description": description}},
        "required": [name]
    }))
}

fn tool(name: &'static str, description: &'static str, schema: Map<String, Value>) -> Tool {
    Tool::new(name, description, Arc::new(schema))
}

/// A tiny WAV file (8 kHz, 8-bit mono, 8 samples of silence).
fn wav() -> String {
    let samples = [128u8; 8];
    let mut bytes = Vec::new();
    bytes.extend_from_slice(b"RIFF");
    bytes.extend_from_slice(&(36 + samples.len() as u32).to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt ");
    bytes.extend_from_slice(&16u32.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes());
    bytes.extend_from_slice(&8000u32.to_le_bytes());
    bytes.extend_from_slice(&8000u32.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes());
    bytes.extend_from_slice(&8u16.to_le_bytes());
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&(samples.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&samples);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn text(message: impl Into<String>) -> CallToolResult {
    CallToolResult::success(vec![ContentBlock::text(message)])
}

fn failure(message: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message)])
}

fn elicitation_schema(tool: &str) -> Value {
    match tool {
        "test_elicitation_sep1034_defaults" => json!({
            "type": "object",
            "properties": {
                "name": {"type": "string", "description": "Full name", "default": "John Doe"},
                "age": {"type": "integer", "description": "Age", "default": 30},
                "score": {"type": "number", "description": "Score", "default": 95.5},
                "status": {"type": "string", "description": "Status", "enum": ["active", "inactive", "pending"], "default": "active"},
                "verified": {"type": "boolean", "description": "Verified", "default": true}
            }
        }),
        "test_elicitation_sep1330_enums" => json!({
            "type": "object",
            "properties": {
                "untitledSingle": {"type": "string", "enum": ["option1", "option2", "option3"]},
                "titledSingle": {"type": "string", "oneOf": [
                    {"const": "value1", "title": "First Option"},
                    {"const": "value2", "title": "Second Option"},
                    {"const": "value3", "title": "Third Option"}
                ]},
                "legacyEnum": {"type": "string", "enum": ["opt1", "opt2", "opt3"],
                    "enumNames": ["Option One", "Option Two", "Option Three"]},
                "untitledMulti": {"type": "array", "items": {"type": "string", "enum": ["option1", "option2", "option3"]}},
                "titledMulti": {"type": "array", "items": {"anyOf": [
                    {"const": "value1", "title": "First Choice"},
                    {"const": "value2", "title": "Second Choice"},
                    {"const": "value3", "title": "Third Choice"}
                ]}}
            }
        }),
        _ => json!({
            "type": "object",
            "properties": {
                "username": {"type": "string", "description": "User's response"},
                "email": {"type": "string", "description": "User's email address"}
            },
            "required": ["username", "email"]
        }),
    }
}

async fn elicit(tool: &str, message: String, context: &CallContext) -> CallToolResult {
    let Some(client) = &context.client else {
        return failure("elicitation needs an MCP client");
    };
    let params = json!({"message": message, "requestedSchema": elicitation_schema(tool)});
    match client.request("elicitation/create", params).await {
        Ok(reply) => {
            let action = reply
                .get("action")
                .and_then(Value::as_str)
                .unwrap_or("unknown");
            let content = reply.get("content").cloned().unwrap_or(Value::Null);
            if tool == "test_elicitation" {
                text(format!("User response: action={action}, content={content}"))
            } else {
                text(format!(
                    "Elicitation completed: action={action}, content={content}"
                ))
            }
        }
        Err(error) => failure(format!("elicitation failed: {error}")),
    }
}

async fn run(name: &str, arguments: Value, context: CallContext) -> CallToolResult {
    let argument = |key: &str| {
        arguments
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    match name {
        "test_simple_text" => text("This is a simple text response for testing."),
        "test_image_content" => {
            CallToolResult::success(vec![ContentBlock::image(PNG, "image/png")])
        }
        "test_audio_content" => {
            CallToolResult::success(vec![ContentBlock::audio(wav(), "audio/wav")])
        }
        "test_embedded_resource" => CallToolResult::success(vec![ContentBlock::resource(
            ResourceContents::text(
                "This is an embedded resource content.",
                "test://embedded-resource",
            )
            .with_mime_type("text/plain"),
        )]),
        "test_multiple_content_types" => CallToolResult::success(vec![
            ContentBlock::text("Multiple content types test:"),
            ContentBlock::image(PNG, "image/png"),
            ContentBlock::resource(
                ResourceContents::text(
                    r#"{"test":"data","value":123}"#,
                    "test://mixed-content-resource",
                )
                .with_mime_type("application/json"),
            ),
        ]),
        "test_tool_with_logging" => {
            let steps = [
                "Tool execution started",
                "Tool processing data",
                "Tool execution completed",
            ];
            for (index, step) in steps.iter().enumerate() {
                if index > 0 {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                if let Some(client) = &context.client {
                    client.log(LogLevel::Info, json!(step));
                }
            }
            text("Tool with logging executed successfully")
        }
        "test_tool_with_progress" => {
            for (index, progress) in [0.0, 50.0, 100.0].into_iter().enumerate() {
                if index > 0 {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                if let Some(sink) = &context.progress {
                    sink.report(progress, Some(100.0), Some(format!("{progress}% done")));
                }
            }
            text("Tool with progress executed successfully")
        }
        "test_error_handling" => failure("This tool intentionally returns an error for testing"),
        "test_sampling" => {
            let Some(client) = &context.client else {
                return failure("sampling needs an MCP client");
            };
            let params = json!({
                "messages": [{"role": "user", "content": {"type": "text", "text": argument("prompt")}}],
                "maxTokens": 100
            });
            match client.request("sampling/createMessage", params).await {
                Ok(reply) => {
                    let answer = reply
                        .get("content")
                        .and_then(|content| content.get("text"))
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    text(format!("LLM response: {answer}"))
                }
                Err(error) => failure(format!("sampling failed: {error}")),
            }
        }
        "test_elicitation" => elicit(name, argument("message"), &context).await,
        "test_elicitation_sep1034_defaults" | "test_elicitation_sep1330_enums" => {
            elicit(
                name,
                "Please review and update the form fields".into(),
                &context,
            )
            .await
        }
        "json_schema_2020_12_tool" => text(format!("received: {arguments}")),
        "test_reconnection" => {
            if let Some(client) = &context.client {
                client.suspend_stream();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            text("Reconnection test completed")
        }
        _ => failure(format!("unknown fixture tool {name}")),
    }
}

impl ToolProvider for Fixtures {
    fn tools(&self) -> Vec<Tool> {
        let mut tools = vec![
            tool(
                "test_simple_text",
                "Returns simple text content",
                no_arguments(),
            ),
            tool(
                "test_image_content",
                "Returns image content",
                no_arguments(),
            ),
            tool(
                "test_audio_content",
                "Returns audio content",
                no_arguments(),
            ),
            tool(
                "test_embedded_resource",
                "Returns an embedded resource",
                no_arguments(),
            ),
            tool(
                "test_multiple_content_types",
                "Returns text, image and resource content",
                no_arguments(),
            ),
            tool(
                "test_tool_with_logging",
                "Sends three log messages while it runs",
                no_arguments(),
            ),
            tool(
                "test_tool_with_progress",
                "Reports progress 0, 50, 100 of 100",
                no_arguments(),
            ),
            tool(
                "test_error_handling",
                "Always fails with an error result",
                no_arguments(),
            ),
            tool(
                "test_sampling",
                "Asks the client's LLM to answer a prompt",
                string_argument("prompt", "The prompt to send to the LLM"),
            ),
            tool(
                "test_elicitation",
                "Asks the user for a username and email",
                string_argument("message", "The message to show the user"),
            ),
            tool(
                "test_elicitation_sep1034_defaults",
                "Elicitation with default values (SEP-1034)",
                no_arguments(),
            ),
            tool(
                "test_elicitation_sep1330_enums",
                "Elicitation with every enum form (SEP-1330)",
                no_arguments(),
            ),
            tool(
                "test_reconnection",
                "Closes its SSE stream mid-call; the result arrives after the client reconnects",
                no_arguments(),
            ),
            tool(
                "json_schema_2020_12_tool",
                "Tool with JSON Schema 2020-12 features",
                object(json!({
                    "$schema": "https://json-schema.org/draft/2020-12/schema",
                    "type": "object",
                    "$defs": {
                        "address": {
                            "$anchor": "addressDef",
                            "type": "object",
                            "properties": {"street": {"type": "string"}, "city": {"type": "string"}}
                        }
                    },
                    "properties": {
                        "name": {"type": "string"},
                        "address": {"$ref": "#/$defs/address"},
                        "contactMethod": {"type": "string", "enum": ["phone", "email"]},
                        "phone": {"type": "string"},
                        "email": {"type": "string"}
                    },
                    "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
                    "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
                    "then": {"required": ["phone"]},
                    "else": {"required": ["email"]},
                    "additionalProperties": false
                })),
            ),
        ];
        tools.sort_by(|a, b| a.name.cmp(&b.name));
        tools
    }

    fn call<'a>(
        &'a self,
        name: &'a str,
        arguments: Value,
        context: CallContext,
    ) -> Option<BoxFuture<'a, CallToolResult>> {
        if !self.tools().iter().any(|tool| tool.name == name) {
            return None;
        }
        Some(Box::pin(run(name, arguments, context)))
    }
}

fn decode<T: DeserializeOwned>(value: Value) -> Result<T, ProviderError> {
    serde_json::from_value(value).map_err(|error| ProviderError::Internal(error.to_string()))
}

impl PromptProvider for Fixtures {
    fn prompts(&self) -> Vec<Prompt> {
        vec![
            Prompt::new(
                "test_prompt_with_arguments",
                Some("A prompt with two required arguments"),
                Some(vec![
                    PromptArgument::new("arg1")
                        .with_description("First test argument")
                        .with_required(true),
                    PromptArgument::new("arg2")
                        .with_description("Second test argument")
                        .with_required(true),
                ]),
            ),
            Prompt::new(
                "test_prompt_with_embedded_resource",
                Some("A prompt that embeds a resource"),
                Some(vec![PromptArgument::new("resourceUri")
                    .with_description("URI of the resource to embed")
                    .with_required(true)]),
            ),
            Prompt::new(
                "test_prompt_with_image",
                Some("A prompt with an image"),
                None,
            ),
            Prompt::new(
                "test_simple_prompt",
                Some("A simple prompt without arguments"),
                None,
            ),
        ]
    }

    fn get<'a>(
        &'a self,
        name: &'a str,
        arguments: Map<String, Value>,
    ) -> Option<BoxFuture<'a, Result<GetPromptResult, ProviderError>>> {
        let argument = move |key: &str| -> Result<String, ProviderError> {
            arguments
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| {
                    ProviderError::InvalidParams(format!("missing required argument \"{key}\""))
                })
        };
        let result = match name {
            "test_simple_prompt" => decode(json!({"messages": [
                {"role": "user", "content": {"type": "text", "text": "This is a simple prompt for testing."}}
            ]})),
            "test_prompt_with_arguments" => (|| {
                let (arg1, arg2) = (argument("arg1")?, argument("arg2")?);
                decode(json!({"messages": [{"role": "user", "content": {"type": "text",
                    "text": format!("Prompt with arguments: arg1='{arg1}', arg2='{arg2}'")}}]}))
            })(),
            "test_prompt_with_embedded_resource" => argument("resourceUri").and_then(|uri| {
                decode(json!({"messages": [
                    {"role": "user", "content": {"type": "resource", "resource": {
                        "uri": uri, "mimeType": "text/plain", "text": "Embedded resource content for testing."}}},
                    {"role": "user", "content": {"type": "text", "text": "Please process the embedded resource above."}}
                ]}))
            }),
            "test_prompt_with_image" => decode(json!({"messages": [
                {"role": "user", "content": {"type": "image", "data": PNG, "mimeType": "image/png"}},
                {"role": "user", "content": {"type": "text", "text": "Please analyze the image above."}}
            ]})),
            _ => return None,
        };
        Some(Box::pin(async move { result }))
    }

    fn complete(&self, name: &str, argument: &str, value: &str) -> Option<Vec<String>> {
        if name != "test_prompt_with_arguments" {
            return None;
        }
        let candidates: &[&str] = match argument {
            "arg1" => &["paris", "park", "party"],
            "arg2" => &["world", "word", "work"],
            _ => &[],
        };
        Some(
            candidates
                .iter()
                .filter(|candidate| candidate.starts_with(value))
                .map(|candidate| candidate.to_string())
                .collect(),
        )
    }
}

impl ResourceProvider for Fixtures {
    fn resources(&self) -> Vec<Resource> {
        vec![
            Resource::new("test://static-text", "static-text")
                .with_description("A static text resource")
                .with_mime_type("text/plain"),
            Resource::new("test://static-binary", "static-binary")
                .with_description("A static binary resource (PNG)")
                .with_mime_type("image/png"),
            Resource::new("test://watched-resource", "watched-resource")
                .with_description("A resource clients may subscribe to")
                .with_mime_type("text/plain"),
        ]
    }

    fn templates(&self) -> Vec<ResourceTemplate> {
        vec![
            ResourceTemplate::new("test://template/{id}/data", "template-data")
                .with_description("Data for one id")
                .with_mime_type("application/json"),
        ]
    }

    fn read<'a>(
        &'a self,
        uri: &'a str,
    ) -> Option<BoxFuture<'a, Result<ReadResourceResult, ProviderError>>> {
        let contents = match uri {
            "test://static-text" => {
                ResourceContents::text("This is the content of the static text resource.", uri)
            }
            "test://static-binary" => ResourceContents::blob(PNG, uri).with_mime_type("image/png"),
            "test://watched-resource" => ResourceContents::text("Watched resource content.", uri),
            _ => {
                let id = uri
                    .strip_prefix("test://template/")?
                    .strip_suffix("/data")?;
                if id.is_empty() || id.contains('/') {
                    return None;
                }
                let body =
                    json!({"id": id, "templateTest": true, "data": format!("Data for ID: {id}")});
                ResourceContents::text(body.to_string(), uri).with_mime_type("application/json")
            }
        };
        Some(Box::pin(async move {
            Ok(ReadResourceResult::new(vec![contents]))
        }))
    }

    fn complete(&self, uri_template: &str, argument: &str, value: &str) -> Option<Vec<String>> {
        if uri_template != "test://template/{id}/data" || argument != "id" {
            return None;
        }
        Some(
            ["1", "2", "3", "123"]
                .iter()
                .filter(|id| id.starts_with(value))
                .map(|id| id.to_string())
                .collect(),
        )
    }
}
