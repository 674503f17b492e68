//! Turning an engine reply into an MCP tool result, and failures into
//! `isError` results whose text says what went wrong and how to fix it.

use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{Map, Value};

use super::result_store::{self, ResultStore};
use crate::r::{EngineError, Reply};

/// The summary lists at most this many fields when R gave no `_formatting`.
const SUMMARY_FIELDS: usize = 8;

/// An `isError` result: `<tool>: <message>`.
pub(crate) fn tool_error(tool: &str, message: &str) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(format!("{tool}: {message}"))])
}

/// A client-facing sentence for an engine failure: R's own message for R
/// errors (it names the argument), advice to retry for busy and timeouts.
pub(crate) fn describe_engine_error(error: &EngineError) -> String {
    match error {
        EngineError::R(r) => {
            let mut text = r.message.clone();
            if !r.warnings.is_empty() {
                text.push_str(&format!(" (R warnings: {})", r.warnings.join("; ")));
            }
            text
        }
        other => other.to_string(),
    }
}

/// Shapes a successful reply: `_formatting` → text, `image_data` → PNG image
/// block, the rest → `structuredContent` conformed to `output_schema`.
/// Results too large to inline go to `store` and come back as a preview plus
/// a `resource_link`.
pub(crate) fn shape_reply(
    tool: &str,
    reply: Reply,
    output_schema: Option<&Value>,
    store: &ResultStore,
) -> CallToolResult {
    let Value::Object(mut fields) = reply.value else {
        return tool_error(
            tool,
            "the R implementation returned no result object; this is a server bug, please report it",
        );
    };
    let formatting = match fields.remove("_formatting") {
        Some(Value::String(text)) => Some(text),
        _ => None,
    };
    let image = match fields.remove("image_data") {
        Some(Value::String(data)) if !data.is_empty() => Some(data),
        _ => None,
    };
    fields.remove("image_mime_type");
    let mut text = formatting.unwrap_or_else(|| bullet_summary(tool, &fields));
    if !reply.warnings.is_empty() {
        text.push_str("\n\n**R warnings:**\n");
        for warning in &reply.warnings {
            text.push_str(&format!("- {warning}\n"));
        }
    }
    let mut structured = Value::Object(fields);
    if let Some(schema) = output_schema {
        conform(&mut structured, schema);
    }
    let mut link = None;
    let bytes = serde_json::to_vec(&structured).map_or(0, |json| json.len());
    if result_store::is_large(&structured, bytes) {
        if let Ok(json) = serde_json::to_string(&structured) {
            let uri = store.put(json);
            text.push_str(&format!(
                "\n\nThe full result ({bytes} bytes) is at `{uri}` (read it as a resource); \
                 `structuredContent` shows the first 100 items of each list."
            ));
            link = result_store::link(&uri, tool, bytes);
            structured = result_store::preview(&structured);
        }
    }
    let mut content = vec![ContentBlock::text(text)];
    if let Some(data) = image {
        content.push(ContentBlock::image(data, "image/png"));
    }
    if let Some(resource) = link {
        content.push(ContentBlock::ResourceLink(resource));
    }
    let mut result = CallToolResult::success(content);
    result.structured_content = Some(structured);
    result
}

/// A markdown list of the first fields, for results without a summary.
fn bullet_summary(tool: &str, fields: &Map<String, Value>) -> String {
    let mut text = format!("**{tool}** result:\n");
    for (name, value) in fields.iter().take(SUMMARY_FIELDS) {
        let shown = match value {
            Value::Array(items) => format!("{} values", items.len()),
            Value::Object(members) => format!("{} entries", members.len()),
            other => other.to_string(),
        };
        text.push_str(&format!("- {name}: {shown}\n"));
    }
    text
}

/// Adjusts length-1 vectors to what the schema says: R cannot tell a
/// scalar from a one-element vector, so an `array` field gets `[x]` and a
/// scalar field gets `x` back from `[x]`.
pub(crate) fn conform(value: &mut Value, schema: &Value) {
    let kinds = schema_types(schema);
    let wants_array = kinds.iter().any(|k| k == "array");
    let wants_scalar = kinds
        .iter()
        .any(|k| matches!(k.as_str(), "number" | "integer" | "string" | "boolean"));
    if wants_array && !value.is_array() && !value.is_null() && !kinds.iter().any(|k| k == "object")
    {
        let inner = value.take();
        *value = Value::Array(vec![inner]);
    } else if wants_scalar && !wants_array {
        if let Value::Array(items) = value {
            if items.len() == 1 {
                let inner = items.remove(0);
                *value = inner;
            }
        }
    }
    match value {
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for item in items.iter_mut() {
                    conform(item, item_schema);
                }
            }
        }
        Value::Object(members) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties").filter(|s| s.is_object());
            for (name, member) in members.iter_mut() {
                if let Some(member_schema) = properties.and_then(|p| p.get(name)).or(additional) {
                    conform(member, member_schema);
                }
            }
        }
        _ => {}
    }
}

fn schema_types(schema: &Value) -> Vec<String> {
    match schema.get("type") {
        Some(Value::String(kind)) => vec![kind.clone()],
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(|k| k.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn conform_wraps_and_unwraps_by_schema() {
        let schema = json!({"type": "object", "properties": {
            "values": {"type": "array", "items": {"type": "number"}},
            "n": {"type": "integer"},
            "nested": {"type": "object", "additionalProperties": {"type": "array"}}
        }});
        let mut value =
            json!({"values": 3, "n": [5], "nested": {"a": 1, "b": [1, 2]}, "other": [1]});
        conform(&mut value, &schema);
        assert_eq!(
            value,
            json!({"values": [3], "n": 5, "nested": {"a": [1], "b": [1, 2]}, "other": [1]})
        );
    }

    #[test]
    fn nulls_stay_null() {
        let schema = json!({"type": "object", "properties": {"xs": {"type": "array"}}});
        let mut value = json!({"xs": null});
        conform(&mut value, &schema);
        assert_eq!(value, json!({"xs": null}));
    }
}
