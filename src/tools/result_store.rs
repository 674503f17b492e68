//! Large tool results, kept for `resources/read` at `rmcp://data/<id>`.
//!
//! A result over 50 KB of JSON, or holding an array of more than 1,000
//! items (a table's rows), would flood a model's context. The client then
//! gets a preview in `structuredContent` (every array cut to its first 100
//! items, so it still matches the output schema), a note saying so, and a
//! `resource_link` to the whole result. The last 32 results are kept, as the
//! reference does; ids are random, so one session cannot guess another's.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use rmcp::model::{ReadResourceResult, Resource, ResourceTemplate};
use serde_json::{json, Value};

use super::{ProviderError, ResourceProvider};

/// Results kept at once; the oldest is dropped first.
const CAPACITY: usize = 32;
/// Serialized size past which a result is stored rather than inlined.
pub(crate) const LARGE_BYTES: usize = 50 * 1024;
/// Array length past which a result is stored rather than inlined.
pub(crate) const LARGE_ITEMS: usize = 1000;
/// Items of each array kept in the inline preview.
const PREVIEW_ITEMS: usize = 100;

const SCHEME: &str = "rmcp://data/";

/// The store of large results.
#[derive(Default)]
pub struct ResultStore {
    entries: Mutex<VecDeque<(String, Arc<str>)>>,
}

impl ResultStore {
    pub fn new() -> ResultStore {
        ResultStore::default()
    }

    /// Keeps `json` and returns its URI.
    pub(crate) fn put(&self, json: String) -> String {
        let mut bytes = [0u8; 16];
        // Without the system RNG, the clock still gives unique ids (but
        // guessable ones, so this is logged).
        if getrandom::fill(&mut bytes).is_err() {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            bytes = nanos.to_le_bytes();
            log::warn!("system random source unavailable; large-result ids fall back to the clock");
        }
        let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() == CAPACITY {
            entries.pop_front();
        }
        entries.push_back((id.clone(), Arc::from(json)));
        format!("{SCHEME}{id}")
    }

    fn get(&self, id: &str) -> Option<Arc<str>> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .iter()
            .find(|(key, _)| key == id)
            .map(|(_, json)| Arc::clone(json))
    }
}

/// The JSON text of a result that must be stored (over [`LARGE_BYTES`] or
/// holding an array of over [`LARGE_ITEMS`] items), or `None` for one that
/// can be inlined. Results are serialized only when a cheap upper bound on
/// their size says they might be large: most are a few kilobytes.
pub(crate) fn oversized(value: &Value) -> Option<String> {
    /// An upper bound on the serialized size, and the longest array.
    fn measure(value: &Value) -> (usize, usize) {
        // Every character of a string may need a six-byte \u escape.
        let text = |s: &str| 2 + 6 * s.len();
        match value {
            Value::Null | Value::Bool(_) => (5, 0),
            // The longest spelling of an f64, i64 or u64 ("-1.7976931348623157e308").
            Value::Number(_) => (24, 0),
            Value::String(s) => (text(s), 0),
            Value::Array(items) => items
                .iter()
                .fold((2, items.len()), |(bytes, longest), item| {
                    let (b, l) = measure(item);
                    (bytes + b + 1, longest.max(l))
                }),
            Value::Object(members) => {
                members
                    .iter()
                    .fold((2, 0), |(bytes, longest), (key, item)| {
                        let (b, l) = measure(item);
                        (bytes + text(key) + b + 2, longest.max(l))
                    })
            }
        }
    }
    let (bound, longest) = measure(value);
    if longest <= LARGE_ITEMS && bound <= LARGE_BYTES {
        return None;
    }
    let json = serde_json::to_string(value).ok()?;
    (longest > LARGE_ITEMS || json.len() > LARGE_BYTES).then_some(json)
}

/// A copy of `value` with every array cut to its first items.
pub(crate) fn preview(value: &Value) -> Value {
    match value {
        Value::Array(items) => {
            Value::Array(items.iter().take(PREVIEW_ITEMS).map(preview).collect())
        }
        Value::Object(members) => Value::Object(
            members
                .iter()
                .map(|(key, item)| (key.clone(), preview(item)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The `resource_link` block's resource for a stored result.
pub(crate) fn link(uri: &str, tool: &str, bytes: usize) -> Option<Resource> {
    serde_json::from_value(json!({
        "uri": uri,
        "name": format!("{tool} result"),
        "description": format!("The complete {tool} result as JSON ({bytes} bytes)"),
        "mimeType": "application/json",
        "size": bytes,
    }))
    .ok()
}

impl ResourceProvider for ResultStore {
    fn resources(&self) -> Vec<Resource> {
        Vec::new()
    }

    fn templates(&self) -> Vec<ResourceTemplate> {
        serde_json::from_value(json!({
            "uriTemplate": "rmcp://data/{id}",
            "name": "Large tool result",
            "description": "A tool result too large to return inline, by the id its resource_link gave",
            "mimeType": "application/json",
        }))
        .map(|template| vec![template])
        .unwrap_or_default()
    }

    fn read<'a>(
        &'a self,
        uri: &'a str,
    ) -> Option<BoxFuture<'a, Result<ReadResourceResult, ProviderError>>> {
        let id = uri.strip_prefix(SCHEME)?;
        let result = match self.get(id) {
            Some(json) => serde_json::from_value(json!({
                "contents": [{"uri": uri, "mimeType": "application/json", "text": &*json}],
            }))
            .map_err(|error| {
                ProviderError::Internal(format!("cannot build the resource: {error}"))
            }),
            None => Err(ProviderError::ResourceNotFound(format!(
                "{uri} (large results are kept for the last {CAPACITY} calls; run the tool again)"
            ))),
        };
        Some(Box::pin(std::future::ready(result)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    #[test]
    fn large_means_bytes_or_items() {
        assert!(oversized(&json!({"x": [1, 2, 3]})).is_none());
        let rows: Vec<Value> = (0..=LARGE_ITEMS).map(|i| json!(i)).collect();
        let json = oversized(&json!({"data": {"x": rows}})).expect("too many items");
        assert!(
            json.len() < LARGE_BYTES,
            "stored for its items, not its size"
        );
        // Long text: the bound (six bytes a character) passes the limit
        // before the text does, so only the exact size decides.
        let under = "a".repeat(LARGE_BYTES - 100);
        assert!(oversized(&json!({"text": under})).is_none());
        let over = "a".repeat(LARGE_BYTES + 1);
        assert_eq!(
            oversized(&json!({"text": over})).map(|json| json.len()),
            Some(LARGE_BYTES + 12)
        );
        // Many numbers under the item limit, but over the byte limit.
        let numbers: Vec<Value> = (0..900)
            .map(|i| json!(f64::from(i) + 0.123_456_789))
            .collect();
        let wide: Map<String, Value> = (0..10).map(|i| (format!("c{i}"), json!(numbers))).collect();
        assert!(oversized(&Value::Object(wide)).is_some());
    }

    #[test]
    fn preview_cuts_every_array() {
        let rows: Vec<Value> = (0..500).map(|i| json!(i)).collect();
        let cut = preview(&json!({"data": {"x": rows}, "n": 500}));
        assert_eq!(
            cut["data"]["x"].as_array().map(Vec::len),
            Some(PREVIEW_ITEMS)
        );
        assert_eq!(cut["n"], 500);
    }

    #[test]
    fn store_keeps_the_last_results() {
        let store = ResultStore::new();
        let first = store.put("1".into());
        for i in 0..CAPACITY {
            store.put(i.to_string());
        }
        let id = first.trim_start_matches(SCHEME);
        assert!(store.get(id).is_none(), "the oldest is dropped");
    }
}
