//! The server's resources (`resources/list`, `resources/templates/list`,
//! `resources/read`), besides `rmcp://data/<id>` (the result store):
//!
//! - `rmcp://catalog`: every tool by category, as markdown.
//! - `rmcp://env`: R's version, platform and packages, and the server's
//!   version and sandbox settings, as JSON; no paths, no secrets.
//! - `file://<root>/`: one per sandbox root; a folder reads as a JSON
//!   listing, a file as its text (csv, tsv, txt, json, xml) or bytes (xlsx,
//!   xls, pdf), through the same checks as the file tools.
//! - `rmcp://dataset/{name}` (template): an example dataset from
//!   `load_example`, with the query parameters `size` and `add_noise`.
//!
//! Subscribers to a `file://` URI hear when a tool writes that file or
//! anything below that folder.

use std::sync::Arc;

use base64::Engine as _;
use futures::future::BoxFuture;
use rmcp::model::{ReadResourceResult, Resource, ResourceContents, ResourceTemplate, Tool};
use serde_json::{json, Value};

use super::{ProviderError, ResourceListener, ResourceProvider, ToolProvider};
use crate::r::{Job, RHandle};
use crate::vfs::{Vfs, VfsError};

const CATALOG_URI: &str = "rmcp://catalog";
const ENV_URI: &str = "rmcp://env";
const DATASET_PREFIX: &str = "rmcp://dataset/";
const DATASETS: &[&str] = &["sales", "economics", "customers", "timeseries", "survey"];

/// The catalog, environment, file and dataset resources.
pub struct ServerResources {
    engine: RHandle,
    vfs: Arc<Vfs>,
    /// Whose tools `rmcp://catalog` lists.
    tools: Vec<Arc<dyn ToolProvider>>,
    /// `serverInfo.version`, for the environment report.
    server_version: String,
}

impl ServerResources {
    pub fn new(
        engine: RHandle,
        vfs: Arc<Vfs>,
        tools: Vec<Arc<dyn ToolProvider>>,
        server_version: impl Into<String>,
    ) -> ServerResources {
        ServerResources {
            engine,
            vfs,
            tools,
            server_version: server_version.into(),
        }
    }

    fn catalog_markdown(&self) -> String {
        let mut tools: Vec<Tool> = self.tools.iter().flat_map(|p| p.tools()).collect();
        tools.sort_by(|a, b| a.name.cmp(&b.name));
        let category = |tool: &Tool| -> String {
            serde_json::to_value(tool)
                .ok()
                .and_then(|value| value["_meta"]["rmcp/category"].as_str().map(str::to_string))
                .unwrap_or_else(|| "other".to_string())
        };
        let mut categories: Vec<String> = tools.iter().map(category).collect();
        categories.sort();
        categories.dedup();
        let mut text = format!(
            "# rmcp tool catalog\n\n{} tools in {} categories. Each tool's inputSchema (tools/list) gives its arguments; tables are passed column-wise, {{\"column\": [values...]}}.\n",
            tools.len(),
            categories.len()
        );
        for name in &categories {
            text.push_str(&format!("\n## {}\n\n", name.replace('_', " ")));
            for tool in tools.iter().filter(|tool| &category(tool) == name) {
                let description = tool.description.as_deref().unwrap_or("");
                let first = description
                    .split_once(". ")
                    .map_or(description, |(first, _)| first)
                    .trim_end_matches('.');
                let title = tool.title.as_deref().unwrap_or(&tool.name);
                text.push_str(&format!("- **{}** ({title}): {first}.\n", tool.name));
            }
        }
        text
    }

    async fn environment(&self) -> Result<Value, ProviderError> {
        let reply = self
            .engine
            .eval(Job::call("rmcp_environment_report", json!({})))
            .await
            .map_err(|error| ProviderError::Internal(format!("the R engine failed: {error}")))?;
        let tool_count: usize = self.tools.iter().map(|p| p.tools().len()).sum();
        let roots: Vec<Value> = self
            .vfs
            .roots()
            .iter()
            .map(|root| json!({"uri": format!("file://{}/", root.name), "writable": root.writable}))
            .collect();
        Ok(json!({
            "server": {
                "name": "rmcp-server",
                "version": self.server_version,
                "tools": tool_count,
                "r_embedded": true,
            },
            "r": reply.value.get("r").cloned().unwrap_or(Value::Null),
            "packages": reply.value.get("packages").cloned().unwrap_or(Value::Null),
            "files": {
                "enabled": self.vfs.enabled(),
                "roots": roots,
                "max_file_bytes": self.vfs.max_bytes(),
                "read_extensions": crate::vfs::READ_EXTENSIONS,
                "writes": "only into writable roots and folders approved for a session",
            },
        }))
    }

    async fn dataset(&self, uri: &str, rest: &str) -> Result<ReadResourceResult, ProviderError> {
        let (name, query) = rest.split_once('?').unwrap_or((rest, ""));
        let name = percent_decode(name);
        if !DATASETS.contains(&name.as_str()) {
            return Err(ProviderError::ResourceNotFound(format!(
                "{uri} (no example dataset '{name}'; use one of {})",
                DATASETS.join(", ")
            )));
        }
        let mut args = json!({"dataset_name": name});
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode(value);
            match key {
                "size" if ["small", "medium", "large"].contains(&value.as_str()) => {
                    args["size"] = json!(value);
                }
                "size" => {
                    return Err(ProviderError::InvalidParams(format!(
                        "size={value} is not a size; use small, medium or large"
                    )))
                }
                "add_noise" => {
                    args["add_noise"] = json!(matches!(
                        value.to_ascii_lowercase().as_str(),
                        "1" | "true" | "yes" | "on"
                    ));
                }
                other => {
                    return Err(ProviderError::InvalidParams(format!(
                        "unknown query parameter '{other}'; use size and add_noise"
                    )))
                }
            }
        }
        let request = json!({"tool": "tool_load_example", "formulas": [], "args": args});
        let reply = self
            .engine
            .eval(Job::call("rmcp_run_tool", request))
            .await
            .map_err(|error| {
                ProviderError::Internal(format!("the example dataset failed: {error}"))
            })?;
        let mut value = reply.value;
        if let Some(object) = value.as_object_mut() {
            object.remove("_formatting");
        }
        Ok(ReadResourceResult::new(vec![ResourceContents::text(
            value.to_string(),
            uri,
        )
        .with_mime_type("application/json")]))
    }

    fn file(&self, uri: &str, rest: &str) -> Result<ReadResourceResult, ProviderError> {
        let (root_name, relative) = rest.split_once('/').unwrap_or((rest, ""));
        let root_name = percent_decode(root_name);
        let Some(root) = self
            .vfs
            .roots()
            .iter()
            .position(|root| root.name == root_name)
        else {
            return Err(ProviderError::ResourceNotFound(format!(
                "{uri} (no readable folder named '{root_name}'; resources/list shows them)"
            )));
        };
        let relative = percent_decode(relative);
        let failed = |error: VfsError| match error {
            VfsError::Outside { .. } | VfsError::NotFound { .. } => {
                ProviderError::ResourceNotFound(format!("{uri} ({error})"))
            }
            other => ProviderError::InvalidParams(other.to_string()),
        };
        if self.vfs.is_dir(root, &relative) {
            let entries = self.vfs.list_dir(root, &relative).map_err(failed)?;
            let base = if uri.ends_with('/') {
                uri.to_string()
            } else {
                format!("{uri}/")
            };
            let listed: Vec<Value> = entries
                .iter()
                .map(|entry| {
                    let suffix = if entry.kind == "folder" { "/" } else { "" };
                    let mut value = json!(entry);
                    value["uri"] = json!(format!("{base}{}{suffix}", percent_encode(&entry.name)));
                    value
                })
                .collect();
            let body = json!({"uri": base, "entries": listed});
            return Ok(ReadResourceResult::new(vec![ResourceContents::text(
                body.to_string(),
                uri,
            )
            .with_mime_type("application/json")]));
        }
        let bytes = self.vfs.read_bytes(root, &relative).map_err(failed)?;
        let ext = crate::vfs::extension(std::path::Path::new(&relative));
        let mime = mime_type(&ext);
        let blob = |bytes: &[u8]| {
            ResourceContents::blob(base64::engine::general_purpose::STANDARD.encode(bytes), uri)
                .with_mime_type(mime)
        };
        let contents = if matches!(ext.as_str(), "csv" | "tsv" | "txt" | "json" | "xml") {
            match String::from_utf8(bytes) {
                Ok(text) => ResourceContents::text(text, uri).with_mime_type(mime),
                Err(error) => blob(error.as_bytes()),
            }
        } else {
            blob(&bytes)
        };
        Ok(ReadResourceResult::new(vec![contents]))
    }
}

fn mime_type(ext: &str) -> &'static str {
    match ext {
        "csv" => "text/csv",
        "tsv" => "text/tab-separated-values",
        "txt" => "text/plain",
        "json" => "application/json",
        "xml" => "application/xml",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xls" => "application/vnd.ms-excel",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

/// `%XX` sequences decoded (invalid ones kept as written).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |byte: u8| (byte as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        if byte == b'%' {
            if let (Some(high), Some(low)) = (
                bytes.get(index + 1).and_then(|b| hex(*b)),
                bytes.get(index + 2).and_then(|b| hex(*b)),
            ) {
                out.push((high * 16 + low) as u8);
                index += 3;
                continue;
            }
        }
        out.push(byte);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A path segment with everything but unreserved characters encoded.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

impl ResourceProvider for ServerResources {
    fn resources(&self) -> Vec<Resource> {
        let mut resources = vec![
            Resource::new(CATALOG_URI, "catalog")
                .with_title("Tool catalog")
                .with_description("Every tool of this server by category, with what it does")
                .with_mime_type("text/markdown"),
            Resource::new(ENV_URI, "env")
                .with_title("Environment report")
                .with_description(
                    "R version, platform and packages, the server version and its file sandbox settings",
                )
                .with_mime_type("application/json"),
        ];
        for root in self.vfs.roots() {
            resources.push(
                Resource::new(
                    format!("file://{}/", root.name),
                    format!("files-{}", root.name),
                )
                .with_title(format!("Files: {}", root.name))
                .with_description(if root.writable {
                    "A folder the file tools may read and write; reads as a JSON listing"
                } else {
                    "A folder the file tools may read; reads as a JSON listing"
                })
                .with_mime_type("application/json"),
            );
        }
        resources
    }

    fn templates(&self) -> Vec<ResourceTemplate> {
        let mut templates = vec![serde_json::from_value(json!({
            "uriTemplate": "rmcp://dataset/{name}",
            "name": "example-dataset",
            "title": "Example dataset",
            "description": "An example dataset as load_example returns it (sales, economics, customers, timeseries, survey); add ?size=small|medium|large&add_noise=true",
            "mimeType": "application/json",
        }))];
        if !self.vfs.roots().is_empty() {
            templates.push(serde_json::from_value(json!({
                "uriTemplate": "file://{root}/{+path}",
                "name": "file",
                "title": "A file or folder in a readable folder",
                "description": "A file's contents (text for csv/tsv/txt/json/xml, bytes for xlsx/xls/pdf) or a folder's listing",
            })));
        }
        templates.into_iter().filter_map(Result::ok).collect()
    }

    fn read<'a>(
        &'a self,
        uri: &'a str,
    ) -> Option<BoxFuture<'a, Result<ReadResourceResult, ProviderError>>> {
        if uri == CATALOG_URI {
            let text = self.catalog_markdown();
            return Some(Box::pin(std::future::ready(Ok(ReadResourceResult::new(
                vec![ResourceContents::text(text, uri).with_mime_type("text/markdown")],
            )))));
        }
        if uri == ENV_URI {
            return Some(Box::pin(async move {
                let report = self.environment().await?;
                Ok(ReadResourceResult::new(vec![ResourceContents::text(
                    serde_json::to_string_pretty(&report).unwrap_or_default(),
                    uri,
                )
                .with_mime_type("application/json")]))
            }));
        }
        if let Some(rest) = uri.strip_prefix(DATASET_PREFIX) {
            return Some(Box::pin(self.dataset(uri, rest)));
        }
        let rest = uri.strip_prefix("file://")?;
        Some(Box::pin(std::future::ready(self.file(uri, rest))))
    }

    fn complete(&self, uri_template: &str, argument: &str, value: &str) -> Option<Vec<String>> {
        let candidates: Vec<String> = match (uri_template, argument) {
            ("rmcp://dataset/{name}", "name") => {
                DATASETS.iter().map(|name| name.to_string()).collect()
            }
            ("file://{root}/{+path}", "root") => self
                .vfs
                .roots()
                .iter()
                .map(|root| root.name.clone())
                .collect(),
            _ => return None,
        };
        Some(
            candidates
                .into_iter()
                .filter(|candidate| candidate.starts_with(value))
                .collect(),
        )
    }

    fn listen(&self, listener: Arc<dyn ResourceListener>) {
        let vfs = Arc::downgrade(&self.vfs);
        self.vfs.watch(Arc::new(move |path| {
            let Some(vfs) = vfs.upgrade() else { return };
            for (index, relative) in vfs.locate(path) {
                let Some(root) = vfs.roots().get(index) else {
                    continue;
                };
                let base = format!("file://{}/", root.name);
                let parts: Vec<&str> = relative.split('/').filter(|p| !p.is_empty()).collect();
                listener.updated(&format!(
                    "{base}{}",
                    parts
                        .iter()
                        .map(|p| percent_encode(p))
                        .collect::<Vec<_>>()
                        .join("/")
                ));
                for depth in (0..parts.len()).rev() {
                    let folder: String = parts[..depth]
                        .iter()
                        .map(|p| format!("{}/", percent_encode(p)))
                        .collect();
                    listener.updated(&format!("{base}{folder}"));
                }
            }
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_coding_round_trips() {
        assert_eq!(percent_decode("my%20data.csv"), "my data.csv");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_encode("my data.csv"), "my%20data.csv");
        assert_eq!(percent_decode(&percent_encode("ä b/c")), "ä b/c");
    }
}
