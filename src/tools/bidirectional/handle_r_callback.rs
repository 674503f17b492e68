//! `handle_r_callback`: Run a tool through a callback session.
//!
//! This file declares the tool (description, input schema as the Python
//! rmcp 0.12 server advertises it, output schema); `crate::freeform` runs it
//! for the calling MCP session.

use crate::tools::spec::{Annotations, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "handle_r_callback",
    title: "Run a tool through a callback session",
    description: "Run one catalog tool through a callback session of this MCP session, exactly as R code's rmcp_call() would: the tool must be among that session's allowed_tools and the session must not have expired; parameters are checked against the tool's input schema. Returns the tool's result.",
    category: "bidirectional",
    runs: Runs::Worker,
    annotations: Annotations::CHANGES_SESSION,
    tasks: crate::tools::TaskSupport::Forbidden,
    input_schema: r##"{
  "properties": {
    "callback_id": {
      "type": "string"
    },
    "tool_name": {
      "type": "string"
    },
    "parameters": {
      "type": "object"
    }
  },
  "required": [
    "callback_id",
    "tool_name",
    "parameters"
  ],
  "type": "object",
  "additionalProperties": false
}"##,
    output_schema: None,
};
