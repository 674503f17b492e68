//! The declaration every tool file makes: a [`ToolSpec`] constant holding
//! every fact about the tool (how it runs, which files it touches, whether
//! it is seeded, what it checks before R, its MCP annotations, its schemas),
//! and the one conversion of a declaration into the MCP wire tool that both
//! the catalog and the free-form R tools list.
//!
//! Schemas are JSON text, parsed once when a provider is built; table and
//! formula arguments are found from the schema's `x-rmcp-table` and
//! `x-rmcp-formula` markers rather than listed twice. This module does not
//! run tools: `catalog` runs the [`Runs::R`] tools and `crate::freeform` the
//! [`Runs::Worker`] ones.

use serde_json::{json, Map, Value};

/// One tool, as declared in `src/tools/<category>/<tool>.rs`.
#[derive(Debug)]
pub(crate) struct ToolSpec {
    /// The MCP tool name (same as the Python rmcp 0.12 server's), and the
    /// name of the tool's files.
    pub name: &'static str,
    pub title: &'static str,
    /// Our own description, written for a model choosing a tool.
    pub description: &'static str,
    /// The reference's category (module) the tool belongs to; also the
    /// folder its files live in.
    pub category: &'static str,
    /// Who runs the tool: the catalog on the server's R, or the session's
    /// worker.
    pub runs: Runs,
    /// The MCP behaviour hints clients see in `tools/list`.
    pub annotations: Annotations,
    /// Whether a call may run as a task (SEP-2663): `Optional` for the
    /// tools that can take long (model fits, plots, free-form R), so a
    /// client that negotiated tasks gets its answer by polling instead of
    /// holding a request open; `Forbidden` for quick ones.
    pub tasks: crate::tools::TaskSupport,
    /// JSON Schema of the arguments: names, types, enums and required fields
    /// as the reference advertises them.
    pub input_schema: &'static str,
    /// JSON Schema of `structuredContent`.
    pub output_schema: Option<&'static str>,
}

/// Who runs a tool.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Runs {
    /// The catalog, as one job on the server's R thread.
    R(RCall),
    /// The calling session's sandboxed worker (`crate::freeform` over `crate::worker`), which
    /// decides itself what R, if any, a call runs.
    Worker,
}

/// How the catalog runs a [`Runs::R`] tool.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RCall {
    /// The R function (defined in `r/<category>/<tool>.R`) that computes the
    /// result.
    pub function: &'static str,
    /// Which file, if any, the tool's `file_path` argument names.
    pub files: FileAccess,
    /// Whether the R code draws random numbers.
    pub randomness: Randomness,
    /// A check of the arguments that must hold before R runs, beyond the
    /// input schema and the table rules.
    pub check: Option<ArgumentCheck>,
}

/// A check run before R; the error is a message for the client that names
/// the argument and the fix.
pub(crate) type ArgumentCheck = fn(&Map<String, Value>) -> Result<(), String>;

/// How a tool uses its `file_path` argument; every path goes through the
/// sandbox (`prepare`), and R sees only private staged paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileAccess {
    /// The tool takes no path.
    NoFile,
    /// Reads a file with one of these extensions; `file_path` is required.
    Read(&'static [&'static str]),
    /// Writes a file with one of these extensions when `file_path` is given.
    Write(&'static [&'static str]),
}

/// Whether a tool's result depends on random numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Randomness {
    /// The arguments alone decide the result.
    Deterministic,
    /// The R code draws random numbers: each call is seeded, so the same
    /// arguments give the same answer.
    Seeded,
}

/// The MCP tool annotations (spec 2025-11-25, `ToolAnnotations`): hints for
/// a client deciding whether a call needs the user's confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Annotations {
    /// The tool changes nothing outside its answer.
    pub read_only: bool,
    /// The tool may delete or overwrite what was there before.
    pub destructive: bool,
    /// Calling the tool again with the same arguments has no further effect.
    pub idempotent: bool,
    /// The tool reaches things outside the server (the network).
    pub open_world: bool,
}

impl Annotations {
    /// Computes an answer from its arguments (or reads a file, or the
    /// session's state) and changes nothing.
    pub(crate) const READ_ONLY: Annotations = Annotations {
        read_only: true,
        destructive: false,
        idempotent: true,
        open_world: false,
    };

    /// Writes the file its `file_path` names; the same call writes the same
    /// bytes to the same place again.
    pub(crate) const WRITES_FILE: Annotations = Annotations {
        read_only: false,
        destructive: false,
        idempotent: true,
        open_world: false,
    };

    /// Grants (or withdraws) something for the calling session; granting
    /// it twice leaves the session as granting it once.
    pub(crate) const GRANTS: Annotations = Annotations {
        read_only: false,
        destructive: false,
        idempotent: true,
        open_world: false,
    };

    /// Changes the calling session's state in a way a repeat changes again
    /// (runs code in the workspace, opens another callback session).
    pub(crate) const CHANGES_SESSION: Annotations = Annotations {
        read_only: false,
        destructive: false,
        idempotent: false,
        open_world: false,
    };
}

/// A declaration that does not form an MCP tool (a bug caught at start-up).
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// A schema's JSON text does not parse.
    #[error("tool {tool}: its {which} schema is not valid JSON: {source}")]
    Schema {
        tool: &'static str,
        which: &'static str,
        source: serde_json::Error,
    },
    /// The parsed declaration is not an `rmcp::model::Tool`.
    #[error("tool {tool}: its declaration does not form an MCP tool: {source}")]
    Tool {
        tool: &'static str,
        source: serde_json::Error,
    },
}

/// A declaration turned into what `tools/list` sends, with the parsed
/// schemas its provider keeps for running calls.
#[derive(Debug)]
pub(crate) struct WireTool {
    pub tool: rmcp::model::Tool,
    /// The input schema as declared.
    pub input: Value,
    /// The output schema as published (for [`Runs::R`] tools, with `null`
    /// allowed for statistics).
    pub output: Option<Value>,
}

impl ToolSpec {
    /// The MCP tool this declaration lists as: name, title, description,
    /// schemas, annotations, the `rmcp/category` meta field and the task
    /// support (which the protocol layer lists as `execution.taskSupport`).
    pub(crate) fn to_wire(&self) -> Result<WireTool, SpecError> {
        let parse = |which: &'static str, text: &str| {
            serde_json::from_str::<Value>(text).map_err(|source| SpecError::Schema {
                tool: self.name,
                which,
                source,
            })
        };
        let input = parse("input", self.input_schema)?;
        let mut output = self
            .output_schema
            .map(|text| parse("output", text))
            .transpose()?;
        // The catalog's R results carry `null` for undefined statistics; the
        // worker builds its own results, which its schemas describe as
        // declared.
        if let Runs::R(_) = self.runs {
            output = output.map(allow_null_statistics);
        }
        let mut tool = json!({
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "inputSchema": input,
            "annotations": {
                "title": self.title,
                "readOnlyHint": self.annotations.read_only,
                "destructiveHint": self.annotations.destructive,
                "idempotentHint": self.annotations.idempotent,
                "openWorldHint": self.annotations.open_world,
            },
            "_meta": {
                "rmcp/category": self.category,
                crate::tools::TASK_SUPPORT_META: self.tasks.as_str(),
            },
        });
        if let Some(output) = &output {
            tool["outputSchema"] = output.clone();
        }
        let tool = serde_json::from_value(tool).map_err(|source| SpecError::Tool {
            tool: self.name,
            source,
        })?;
        Ok(WireTool {
            tool,
            input,
            output,
        })
    }
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
