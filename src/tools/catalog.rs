//! The statistics catalog as a [`ToolProvider`]: every tool declared under
//! `src/tools/<category>/` that runs on R ([`Runs::R`]), run on the R
//! engines ([`EnginePool`]: the embedded R, and engine processes beside it).
//! The free-form tools declared beside them run in workers.
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
use serde_json::{Map, Value};

use super::prepare;
use super::result::{shape_reply, tool_error, Shape};
use super::result_store::ResultStore;
use super::spec::{RCall, Randomness, Runs, SpecError, ToolSpec, WireTool};
use super::{CallContext, ToolProvider};
use crate::engines::EnginePool;
use crate::r::Job;
use crate::vfs::{Vfs, VfsConfig};

/// The seed every call of a [`Randomness::Seeded`] tool uses, so the same
/// arguments give the same answer.
const TOOL_SEED: i32 = 42;

/// Why the catalog could not be built.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// A tool's declaration cannot be used (a bug caught at start-up).
    #[error(transparent)]
    Declaration(#[from] SpecError),
    /// The default sandbox (the working directory) could not be set up.
    #[error("cannot set up the file sandbox: {0}")]
    Vfs(std::io::Error),
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
    /// How the catalog runs it (the spec's [`Runs::R`]).
    call: RCall,
    tool: Tool,
    /// Argument names marked `x-rmcp-table`.
    tables: Vec<String>,
    /// Argument names marked `x-rmcp-formula`.
    formulas: Vec<String>,
    /// The output schema, compiled for conforming results to it.
    output_shape: Option<Shape>,
}

/// The statistics tools, run on the R engines.
pub struct Catalog {
    /// The engines that run the tools: the in-process R, and engine
    /// processes beside it when configured.
    engines: EnginePool,
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
    pub fn new(engine: impl Into<EnginePool>) -> Result<Catalog, CatalogError> {
        let vfs = Vfs::new(&VfsConfig::working_directory()).map_err(CatalogError::Vfs)?;
        Catalog::with_vfs(engine, Arc::new(vfs))
    }

    /// Builds the catalog on sandbox `vfs`: parses every declaration once.
    pub fn with_vfs(
        engines: impl Into<EnginePool>,
        vfs: Arc<Vfs>,
    ) -> Result<Catalog, CatalogError> {
        let mut entries = Vec::new();
        for spec in super::specs() {
            if let Runs::R(call) = spec.runs {
                entries.push(entry(spec, call)?);
            }
        }
        let by_name = entries
            .iter()
            .enumerate()
            .map(|(index, entry)| (entry.spec.name, index))
            .collect();
        Ok(Catalog {
            engines: engines.into(),
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
        if let Err(message) = prepare::check(&entry.call, &arguments) {
            return tool_error(name, &message);
        }
        let staged = match prepare::stage(
            name,
            entry.call.files,
            &mut arguments,
            &self.vfs,
            &context.session_id,
        ) {
            Ok(staged) => staged,
            Err(message) => return tool_error(name, &message),
        };
        // Built by hand so the arguments (perhaps a whole table) are moved,
        // not copied as `json!` would.
        let mut request = Map::with_capacity(3);
        request.insert("tool".into(), Value::from(entry.call.function));
        request.insert("formulas".into(), Value::from(entry.formulas.clone()));
        request.insert("args".into(), Value::Object(arguments));
        let request = Value::Object(request);
        let mut job = Job::call("rmcp_run_tool", request)
            .with_tables(entry.tables.iter().map(|t| format!("args.{t}")))
            .with_cancel(context.cancel.clone());
        if let Some(timeout) = context.timeout {
            job = job.with_timeout(timeout);
        }
        if entry.call.randomness == Randomness::Seeded {
            job = job.with_seed(TOOL_SEED);
        }
        let ticker = context.progress.clone().map(report_progress);
        let outcome = self.engines.eval(job).await;
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

fn entry(spec: &'static ToolSpec, call: RCall) -> Result<Entry, CatalogError> {
    let WireTool {
        tool,
        input,
        output,
    } = spec.to_wire()?;
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
    Ok(Entry {
        spec,
        call,
        tool,
        tables: marked("x-rmcp-table"),
        formulas: marked("x-rmcp-formula"),
        output_shape: output.as_ref().map(Shape::of),
    })
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

    /// The engines the tools run on (for `/health`, `/metrics`, shutdown).
    pub fn engines(&self) -> &EnginePool {
        &self.engines
    }

    /// The sandbox the catalog checks paths with.
    pub fn vfs(&self) -> Arc<Vfs> {
        Arc::clone(&self.vfs)
    }
}

/// The catalog behind an `Arc`, as the server holds providers.
pub fn shared(engine: impl Into<EnginePool>) -> Result<Arc<Catalog>, CatalogError> {
    Catalog::new(engine).map(Arc::new)
}
