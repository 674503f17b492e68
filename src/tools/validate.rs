//! Checks a tool's arguments against its `inputSchema` before the tool runs
//! (JSON Schema 2020-12 by default, or the draft a schema names in
//! `$schema`). Validators are compiled once per tool and cached. `mcp` checks
//! every `tools/call` with it, and the free-form provider checks R's
//! callbacks (`rmcp_call()`) with it, so both refuse the same arguments the
//! same way; it lives here so that neither provider imports `mcp`.
//!
//! A failure is a message for the model, naming each bad field and how to
//! fix it; the caller turns it into an `isError` result (spec 2025-11-25).
//! Custom keywords (`x-rmcp-*`) are ignored here; tools check them.

use std::collections::HashMap;

use jsonschema::error::ValidationErrorKind;
use jsonschema::Validator;
use rmcp::model::Tool;
use serde_json::Value;

/// At most this many problems are reported per call.
const MAX_PROBLEMS: usize = 5;

/// One compiled validator per tool.
pub struct Validators {
    by_tool: HashMap<String, Result<Validator, String>>,
}

impl Validators {
    /// Compiles every tool's input schema. A schema that does not compile is
    /// logged and makes calls of that tool fail with a clear message.
    pub fn compile(tools: &[Tool]) -> Validators {
        let by_tool = tools
            .iter()
            .map(|tool| {
                let schema = Value::Object((*tool.input_schema).clone());
                let compiled = jsonschema::validator_for(&schema).map_err(|error| {
                    log::error!(
                        "input schema of tool {} does not compile: {error}",
                        tool.name
                    );
                    error.to_string()
                });
                (tool.name.to_string(), compiled)
            })
            .collect();
        Validators { by_tool }
    }

    /// Checks `arguments` for tool `name`; `Err` is the message for the model.
    pub fn check(&self, tool: &Tool, arguments: &Value) -> Result<(), String> {
        let validator = match self.by_tool.get(tool.name.as_ref()) {
            Some(Ok(validator)) => validator,
            Some(Err(error)) => {
                return Err(format!(
                    "tool '{}' cannot be called: its input schema is invalid ({error})",
                    tool.name
                ))
            }
            None => return Ok(()),
        };
        let problems: Vec<String> = validator
            .iter_errors(arguments)
            .take(MAX_PROBLEMS)
            .map(|error| describe(tool, &error))
            .collect();
        if problems.is_empty() {
            return Ok(());
        }
        Err(format!(
            "invalid arguments for tool '{}':\n- {}\nfix the arguments to match the tool's inputSchema and call it again",
            tool.name,
            problems.join("\n- ")
        ))
    }
}

/// One problem: what is wrong, where, and the fix.
fn describe(tool: &Tool, error: &jsonschema::ValidationError<'_>) -> String {
    let path = field_path(&error.instance_path().to_string());
    match error.kind() {
        ValidationErrorKind::Required { property } => {
            let name = property
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| property.to_string());
            let field = join(&path, &name);
            format!("missing required field '{field}' (field: {field}); add it")
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let allowed = allowed_properties(tool, &path);
            let names: Vec<String> = unexpected.iter().map(|name| join(&path, name)).collect();
            let hint = if allowed.is_empty() {
                "remove it".to_string()
            } else {
                format!("remove it; allowed fields: {}", allowed.join(", "))
            };
            format!(
                "unknown field {} (field: {}); {hint}",
                names
                    .iter()
                    .map(|n| format!("'{n}'"))
                    .collect::<Vec<_>>()
                    .join(", "),
                names.join(", ")
            )
        }
        _ => {
            let shown = if path.is_empty() {
                "(arguments)"
            } else {
                &path
            };
            format!("{error} (field: {shown})")
        }
    }
}

/// `/data/0/x` → `data[0].x`; the root is empty.
fn field_path(pointer: &str) -> String {
    let mut path = String::new();
    for segment in pointer.split('/').filter(|segment| !segment.is_empty()) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if segment.chars().all(|c| c.is_ascii_digit()) {
            path.push_str(&format!("[{segment}]"));
        } else {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&segment);
        }
    }
    path
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// Property names the schema allows at the top level (nested objects are
/// reported without a list).
fn allowed_properties(tool: &Tool, path: &str) -> Vec<String> {
    if !path.is_empty() {
        return Vec::new();
    }
    let mut names: Vec<String> = tool
        .input_schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|properties| properties.keys().cloned().collect())
        .unwrap_or_default();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Arc;

    fn tool(schema: Value) -> Tool {
        let Value::Object(schema) = schema else {
            panic!("object schema")
        };
        Tool::new("t_test", "a test", Arc::new(schema))
    }

    #[test]
    fn messages_name_the_field_and_the_fix() {
        let tool = tool(json!({
            "type": "object",
            "properties": {
                "alpha": {"type": "number"},
                "alternative": {"type": "string", "enum": ["two.sided", "less", "greater"]}
            },
            "required": ["alpha"],
            "additionalProperties": false
        }));
        let validators = Validators::compile(std::slice::from_ref(&tool));
        assert!(validators.check(&tool, &json!({"alpha": 0.05})).is_ok());
        let missing = validators.check(&tool, &json!({})).expect_err("required");
        assert!(missing.contains("field: alpha"), "{missing}");
        let extra = validators
            .check(&tool, &json!({"alpha": 1, "beta": 2}))
            .expect_err("extra");
        assert!(
            extra.contains("'beta'") && extra.contains("allowed fields: alpha, alternative"),
            "{extra}"
        );
        let wrong = validators
            .check(&tool, &json!({"alpha": "x", "alternative": "both"}))
            .expect_err("types");
        assert!(
            wrong.contains("field: alpha") && wrong.contains("field: alternative"),
            "{wrong}"
        );
    }

    #[test]
    fn pointers_become_readable_paths() {
        assert_eq!(field_path("/data/0/x"), "data[0].x");
        assert_eq!(field_path(""), "");
    }
}
