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
    output_shape: Option<&Shape>,
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
    if let Some(shape) = output_shape {
        shape.conform(&mut structured);
    }
    success(tool, text, image, structured, Some(store))
}

/// The MCP result of a tool that succeeded: `text`, the PNG `image` if any,
/// and `structured` as `structuredContent`. A result too large to inline
/// goes to `store` and comes back as a preview plus a `resource_link`.
pub(crate) fn success(
    tool: &str,
    mut text: String,
    image: Option<String>,
    mut structured: Value,
    store: Option<&ResultStore>,
) -> CallToolResult {
    let mut link = None;
    if let Some((store, json)) = store.zip(result_store::oversized(&structured)) {
        let bytes = json.len();
        let uri = store.put(json);
        text.push_str(&format!(
            "\n\nThe full result ({bytes} bytes) is at `{uri}` (read it as a resource); \
             `structuredContent` shows the first 100 items of each list."
        ));
        link = result_store::link(&uri, tool, bytes);
        structured = result_store::preview(&structured);
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

/// What an output schema says about each field's shape, compiled once per
/// tool: which JSON types a node may take and the schemas of its items and
/// members. [`Shape::conform`] walks a result against it without touching the
/// schema's maps again.
#[derive(Debug, Default)]
pub(crate) struct Shape {
    array: bool,
    object: bool,
    scalar: bool,
    items: Option<Box<Shape>>,
    /// Named members, in schema order (few per object: a linear search
    /// beats hashing the name).
    properties: Vec<(String, Shape)>,
    /// The schema of members not named in `properties`.
    additional: Option<Box<Shape>>,
}

impl Shape {
    /// Compiles the parts of `schema` that [`Shape::conform`] reads.
    pub(crate) fn of(schema: &Value) -> Shape {
        let mut shape = Shape::default();
        let mut kind = |name: &str| match name {
            "array" => shape.array = true,
            "object" => shape.object = true,
            "number" | "integer" | "string" | "boolean" => shape.scalar = true,
            _ => {}
        };
        match schema.get("type") {
            Some(Value::String(name)) => kind(name),
            Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).for_each(kind),
            _ => {}
        }
        shape.items = schema.get("items").map(|items| Box::new(Shape::of(items)));
        if let Some(Value::Object(properties)) = schema.get("properties") {
            shape.properties = properties
                .iter()
                .map(|(name, member)| (name.clone(), Shape::of(member)))
                .collect();
        }
        shape.additional = schema
            .get("additionalProperties")
            .filter(|additional| additional.is_object())
            .map(|additional| Box::new(Shape::of(additional)));
        shape
    }

    /// Adjusts length-1 vectors to what the schema says: R cannot tell a
    /// scalar from a one-element vector, so an `array` field gets `[x]` and a
    /// scalar field gets `x` back from `[x]`.
    pub(crate) fn conform(&self, value: &mut Value) {
        if self.array && !self.object && !value.is_array() && !value.is_null() {
            let inner = value.take();
            *value = Value::Array(vec![inner]);
        } else if self.scalar && !self.array {
            if let Value::Array(items) = value {
                if items.len() == 1 {
                    if let Some(inner) = items.pop() {
                        *value = inner;
                    }
                }
            }
        }
        match value {
            Value::Array(items) => {
                if let Some(item_shape) = &self.items {
                    items.iter_mut().for_each(|item| item_shape.conform(item));
                }
            }
            Value::Object(members) => {
                for (name, member) in members.iter_mut() {
                    let named = self
                        .properties
                        .iter()
                        .find(|(property, _)| property == name)
                        .map(|(_, shape)| shape);
                    if let Some(shape) = named.or(self.additional.as_deref()) {
                        shape.conform(member);
                    }
                }
            }
            _ => {}
        }
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
        Shape::of(&schema).conform(&mut value);
        assert_eq!(
            value,
            json!({"values": [3], "n": 5, "nested": {"a": [1], "b": [1, 2]}, "other": [1]})
        );
    }

    #[test]
    fn nulls_stay_null() {
        let schema = json!({"type": "object", "properties": {"xs": {"type": "array"}}});
        let mut value = json!({"xs": null});
        Shape::of(&schema).conform(&mut value);
        assert_eq!(value, json!({"xs": null}));
    }
}
