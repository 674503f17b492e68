//! `list_callback_sessions`: List your callback sessions.
//!
//! This file declares the tool (description, input schema as the Python
//! rmcp 0.12 server advertises it, output schema); `crate::freeform` runs it
//! for the calling MCP session.

use crate::tools::spec::{Annotations, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "list_callback_sessions",
    title: "List your callback sessions",
    description: "List this MCP session's callback sessions: their ids, names, allowed tools, time remaining, number of callbacks made, and which one R code's rmcp_call() uses.",
    category: "bidirectional",
    runs: Runs::Worker,
    annotations: Annotations::READ_ONLY,
    tasks: crate::tools::TaskSupport::Forbidden,
    input_schema: r##"{
  "properties": {},
  "type": "object",
  "additionalProperties": false
}"##,
    output_schema: None,
};
