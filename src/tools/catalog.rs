//! The statistics catalog as a [`ToolProvider`]: every tool declared under
//! `src/tools/<category>/`, run on the embedded R engine.
//!
//! A call goes: table rules checked in Rust (the protocol layer has already
//! validated the arguments against the input schema) → one engine job calling
//! `rmcp_run_tool` (formula rules on R's parse tree, then the tool's R
//! function) → the R result shaped into MCP content: the `_formatting`
//! markdown as text, `image_data` as a PNG image block, the rest as
//! `structuredContent` conformed to the published output schema.
//!
//! Path arguments (`file_path` of the file and plot tools) go through the
//! sandbox ([`crate::vfs::Vfs`]) first; R only ever sees private staged
//! paths, and written files are put in place only after R succeeded
//! (`prepare`).
//!
//! It knows nothing about HTTP or JSON-RPC.

use std::collections::HashMap;
use std::sync::Arc;

use futures::future::BoxFuture;
use rmcp::model::{CallToolResult, Tool};
use serde_json::{json, Map, Value};

use super::prepare;
use super::result::{shape_reply, tool_error, Shape};
use super::result_store::ResultStore;
use super::spec::ToolSpec;
use super::{CallContext, ToolProvider};
use crate::r::{Job, RHandle};
use crate::vfs::{Vfs, VfsConfig};

/// Tools whose results depend on random numbers: each call is seeded, so the
/// same arguments give the same answer.
const SEEDED_TOOLS: &[&str] = &["kmeans_clustering", "random_forest", "decision_tree"];

/// The seed those calls use.
const TOOL_SEED: i32 = 42;

/// A catalog declaration that cannot be used (a bug caught at start-up).
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("tool {tool}: its {which} schema is not valid JSON: {source}")]
    Schema {
        tool: &'static str,
        which: &'static str,
        source: serde_json::Error,
    },
    #[error("tool {tool}: its declaration does not form an MCP tool: {source}")]
    Tool {
        tool: &'static str,
        source: serde_json::Error,
    },
    /// The default sandbox (the working directory) could not be set up.
    #[error("cannot set up the file sandbox: {0}")]
    Vfs(std::io::Error),
}

/// Every catalog tool's declaration, sorted by name.
pub(crate) fn specs() -> Vec<&'static ToolSpec> {
    let mut all: Vec<&'static ToolSpec> = [
        super::descriptive::TOOLS,
        super::econometrics::TOOLS,
        super::fileops::TOOLS,
        super::formula_builder::TOOLS,
        super::helpers::TOOLS,
        super::machine_learning::TOOLS,
        super::regression::TOOLS,
        super::statistical_tests::TOOLS,
        super::timeseries::TOOLS,
        super::transforms::TOOLS,
        super::visualization::TOOLS,
    ]
    .concat();
    all.sort_by_key(|spec| spec.name);
    all
}

/// How often a client that asked for progress hears about a running job.
const PROGRESS_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// Progress for a call whose client sent a `progressToken`: a notification
/// every second while R works (seconds elapsed), and a final one at the end.
struct ProgressTicker {
    sink: Arc<dyn super::ProgressSink>,
    task: tokio::task::JoinHandle<()>,
    started: std::time::Instant,
}

fn report_progress(sink: Arc<dyn super::ProgressSink>) -> ProgressTicker {
    let started = std::time::Instant::now();
    let task = tokio::spawn({
        let sink = Arc::clone(&sink);
        async move {
            let mut interval = tokio::time::interval(PROGRESS_INTERVAL);
            interval.tick().await;
            loop {
                interval.tick().await;
                let seconds = started.elapsed().as_secs_f64().floor();
                sink.report(
                    seconds,
                    None,
                    Some(format!("R is computing ({seconds:.0} s)")),
                );
            }
        }
    });
    ProgressTicker {
        sink,
        task,
        started,
    }
}

impl ProgressTicker {
    fn finish(self) {
        self.task.abort();
        let total = self.started.elapsed().as_secs_f64().floor() + 1.0;
        self.sink.report(total, Some(total), Some("done".into()));
    }
}

/// One tool, ready to list and run.
struct Entry {
    spec: &'static ToolSpec,
    tool: Tool,
    /// Argument names marked `x-rmcp-table`.
    tables: Vec<String>,
    /// Argument names marked `x-rmcp-formula`.
    formulas: Vec<String>,
    /// The output schema, compiled for conforming results to it.
    output_shape: Option<Shape>,
}

/// The statistics tools, run on the embedded R engine.
pub struct Catalog {
    engine: RHandle,
    /// Large results, readable as `rmcp://data/<id>` resources.
    results: Arc<ResultStore>,
    entries: Vec<Entry>,
    by_name: HashMap<&'static str, usize>,
    /// The sandbox every path argument goes through.
    vfs: Arc<Vfs>,
}

impl Catalog {
    /// Builds the catalog with the default sandbox: the working directory,
    /// read-only.
    pub fn new(engine: RHandle) -> Result<Catalog, CatalogError> {
        let vfs = Vfs::new(&VfsConfig::working_directory()).map_err(CatalogError::Vfs)?;
        Catalog::with_vfs(engine, Arc::new(vfs))
    }

    /// Builds the catalog on sandbox `vfs`: parses every declaration once.
    pub fn with_vfs(engine: RHandle, vfs: Arc<Vfs>) -> Result<Catalog, CatalogError> {
        let mut entries = Vec::new();
        for spec in specs() {
            entries.push(entry(spec)?);
        }
        let by_name = entries
            .iter()
            .enumerate()
            .map(|(index, entry)| (entry.spec.name, index))
            .collect();
        Ok(Catalog {
            engine,
            results: Arc::new(ResultStore::new()),
            entries,
            by_name,
            vfs,
        })
    }

    async fn run(&self, entry: &Entry, arguments: Value, context: CallContext) -> CallToolResult {
        let name = entry.spec.name;
        let Value::Object(mut arguments) = arguments else {
            return tool_error(name, "arguments must be a JSON object");
        };
        if let Err(message) = check_tables(&arguments, &entry.tables) {
            return tool_error(name, &message);
        }
        if let Err(message) = prepare::check(entry.spec, &arguments) {
            return tool_error(name, &message);
        }
        let staged =
            match prepare::stage(entry.spec, &mut arguments, &self.vfs, &context.session_id) {
                Ok(staged) => staged,
                Err(message) => return tool_error(name, &message),
            };
        // Built by hand so the arguments (perhaps a whole table) are moved,
        // not copied as `json!` would.
        let mut request = Map::with_capacity(3);
        request.insert("tool".into(), Value::from(entry.spec.r_function));
        request.insert("formulas".into(), Value::from(entry.formulas.clone()));
        request.insert("args".into(), Value::Object(arguments));
        let request = Value::Object(request);
        let mut job = Job::call("rmcp_run_tool", request)
            .with_tables(entry.tables.iter().map(|t| format!("args.{t}")))
            .with_cancel(context.cancel.clone());
        if let Some(timeout) = context.timeout {
            job = job.with_timeout(timeout);
        }
        if SEEDED_TOOLS.contains(&name) {
            job = job.with_seed(TOOL_SEED);
        }
        let ticker = context.progress.clone().map(report_progress);
        let outcome = self.engine.eval(job).await;
        if let Some(ticker) = ticker {
            ticker.finish();
        }
        match outcome {
            Ok(reply) => {
                let result = shape_reply(name, reply, entry.output_shape.as_ref(), &self.results);
                if result.is_error == Some(true) {
                    return result;
                }
                match staged.commit(&self.vfs) {
                    Ok(()) => result,
                    Err(message) => tool_error(name, &message),
                }
            }
            Err(error) => tool_error(
                name,
                &staged.scrub(&super::result::describe_engine_error(&error)),
            ),
        }
    }
}

impl ToolProvider for Catalog {
    fn tools(&self) -> Vec<Tool> {
        self.entries
            .iter()
            .map(|entry| entry.tool.clone())
            .collect()
    }

    fn call<'a>(
        &'a self,
        name: &'a str,
        arguments: Value,
        context: CallContext,
    ) -> Option<BoxFuture<'a, CallToolResult>> {
        let entry = self.entries.get(*self.by_name.get(name)?)?;
        Some(Box::pin(self.run(entry, arguments, context)))
    }
}

fn entry(spec: &'static ToolSpec) -> Result<Entry, CatalogError> {
    let input: Value =
        serde_json::from_str(spec.input_schema).map_err(|source| CatalogError::Schema {
            tool: spec.name,
            which: "input",
            source,
        })?;
    let output = spec
        .output_schema
        .map(|text| {
            serde_json::from_str::<Value>(text).map_err(|source| CatalogError::Schema {
                tool: spec.name,
                which: "output",
                source,
            })
        })
        .transpose()?
        .map(allow_null_statistics);
    let marked = |marker: &str| -> Vec<String> {
        input["properties"]
            .as_object()
            .map(|properties| {
                properties
                    .iter()
                    .filter(|(_, schema)| schema[marker] == Value::Bool(true))
                    .map(|(name, _)| name.clone())
                    .collect()
            })
            .unwrap_or_default()
    };
    let tables = marked("x-rmcp-table");
    let formulas = marked("x-rmcp-formula");
    let mut tool = json!({
        "name": spec.name,
        "title": spec.title,
        "description": spec.description,
        "inputSchema": input,
        "annotations": {
            "title": spec.title,
            "readOnlyHint": spec.read_only,
            "destructiveHint": false,
            "idempotentHint": true,
            "openWorldHint": false,
        },
        "_meta": {"rmcp/category": spec.category},
    });
    if let Some(output) = &output {
        tool["outputSchema"] = output.clone();
    }
    let tool: Tool = serde_json::from_value(tool).map_err(|source| CatalogError::Tool {
        tool: spec.name,
        source,
    })?;
    Ok(Entry {
        spec,
        tool,
        tables,
        formulas,
        output_shape: output.as_ref().map(Shape::of),
    })
}

/// Our results use `null` for statistics that are undefined (the sd of one
/// value, a p-value of a perfect fit); the published output schemas say so by
/// allowing `null` wherever a number is expected.
fn allow_null_statistics(mut schema: Value) -> Value {
    fn visit(schema: &mut Value) {
        let Value::Object(map) = schema else { return };
        match map.get_mut("type") {
            Some(Value::String(kind)) if kind == "number" || kind == "integer" => {
                let kind = kind.clone();
                map.insert("type".into(), json!([kind, "null"]));
            }
            Some(Value::Array(kinds))
                if kinds.iter().any(|k| k == "number" || k == "integer")
                    && !kinds.iter().any(|k| k == "null") =>
            {
                kinds.push(json!("null"));
            }
            _ => {}
        }
        for key in ["properties", "patternProperties"] {
            if let Some(Value::Object(children)) = map.get_mut(key) {
                children.values_mut().for_each(visit);
            }
        }
        for key in ["items", "additionalProperties"] {
            if let Some(child) = map.get_mut(key) {
                visit(child);
            }
        }
        for key in ["anyOf", "oneOf", "allOf"] {
            if let Some(Value::Array(children)) = map.get_mut(key) {
                children.iter_mut().for_each(visit);
            }
        }
    }
    visit(&mut schema);
    schema
}

/// The reference's table rules: at least one column, at least one row, all
/// columns the same length.
fn check_tables(arguments: &Map<String, Value>, tables: &[String]) -> Result<(), String> {
    for name in tables {
        let Some(table) = arguments.get(name) else {
            continue;
        };
        let Value::Object(columns) = table else {
            return Err(format!(
                "{name}: must be a table, an object of equal-length columns such as {{\"x\": [1, 2], \"y\": [3, 4]}}"
            ));
        };
        let mut lengths = columns
            .iter()
            .map(|(column, values)| (column, values.as_array().map_or(0, Vec::len)));
        let Some((first_column, rows)) = lengths.next() else {
            return Err(format!(
                "{name}: the table has no columns; send at least one column, e.g. {{\"x\": [1, 2, 3]}}"
            ));
        };
        if rows == 0 {
            return Err(format!(
                "{name}: the table has no rows (column '{first_column}' is empty); send at least one value per column"
            ));
        }
        if let Some((column, length)) = lengths.find(|(_, length)| *length != rows) {
            return Err(format!(
                "{name}: columns must all have the same length, but '{first_column}' has {rows} values and '{column}' has {length}; pad missing values with null"
            ));
        }
    }
    Ok(())
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("tools", &self.entries.len())
            .finish()
    }
}

impl Catalog {
    /// The store behind `rmcp://data/<id>`: register it as a resource
    /// provider so clients can read large results.
    pub fn results(&self) -> Arc<ResultStore> {
        Arc::clone(&self.results)
    }

    /// The sandbox the catalog checks paths with.
    pub fn vfs(&self) -> Arc<Vfs> {
        Arc::clone(&self.vfs)
    }
}

/// The catalog behind an `Arc`, as the server holds providers.
pub fn shared(engine: RHandle) -> Result<Arc<Catalog>, CatalogError> {
    Catalog::new(engine).map(Arc::new)
}
