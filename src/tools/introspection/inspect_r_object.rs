//! `inspect_r_object`: Inspect one object in your R workspace.
//!
//! This file declares the tool (description, input schema as the Python
//! rmcp 0.12 server advertises it, output schema); `crate::freeform` runs it
//! for the calling MCP session.

use crate::tools::spec::{Annotations, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "inspect_r_object",
    title: "Inspect one object in your R workspace",
    description: "Describe one object of this session's live R workspace: class, type, length, dimensions, names, str() structure, summary() and the first rows (max_preview_rows) of a data frame, matrix or vector. Answers exists=false when there is no such object. Only the caller's own workspace is visible.",
    category: "introspection",
    runs: Runs::Worker,
    annotations: Annotations::READ_ONLY,
    tasks: crate::tools::TaskSupport::Forbidden,
    input_schema: r##"{
  "properties": {
    "object_name": {
      "type": "string"
    },
    "session_id": {
      "type": "string"
    },
    "include_summary": {
      "type": "boolean",
      "default": true
    },
    "include_structure": {
      "type": "boolean",
      "default": true
    },
    "max_preview_rows": {
      "type": "integer",
      "default": 10
    }
  },
  "required": [
    "object_name"
  ],
  "type": "object",
  "additionalProperties": false
}"##,
    output_schema: None,
};
