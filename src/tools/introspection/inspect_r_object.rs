//! `inspect_r_object`: Inspect one object in your R workspace.
//!
//! This file declares the tool (description, input schema as the Python
//! rmcp 0.12 server advertises it, output schema); `crate::freeform` runs it
//! for the calling MCP session.

use crate::tools::spec::{Annotations, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "inspect_r_object",
    title: "Inspect one object in your R workspace",
    description: "Describe one object of a live R workspace: class, type, length, dimensions, names, str() structure, summary() and the first rows (max_preview_rows) of a data frame, matrix or vector. Answers exists=false when there is no such object. Only the caller's own workspaces are visible. Pass `workspace` (the handle an earlier call returned) to use that workspace; without it, a session's own workspace is used, or on protocol 2026-07-28 a new one; the answer names the handle.",
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
    },
    "workspace": {
      "type": "string",
      "description": "The handle of an R workspace an earlier call returned (structuredContent.workspace); omit it to use a new workspace (or, on a session, the session's own) and get its handle back",
      "x-mcp-header": "Workspace"
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
