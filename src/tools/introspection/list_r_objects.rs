//! `list_r_objects`: List objects in your R workspace.
//!
//! This file declares the tool (description, input schema as the Python
//! rmcp 0.12 server advertises it, output schema); `crate::freeform` runs it
//! for the calling MCP session.

use crate::tools::spec::{Annotations, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "list_r_objects",
    title: "List objects in your R workspace",
    description: "List the objects in a live R workspace (what earlier execute_r_analysis calls created), with class, type, size in bytes, length, dimensions and when each was created. Filter by a regular expression, include hidden (dot) names, sort by name, size, class or creation. Only the caller's own workspaces are visible. Pass `workspace` (the handle an earlier call returned) to use that workspace; without it, a session's own workspace is used, or on protocol 2026-07-28 a new one; the answer names the handle; session_id is accepted for compatibility and echoed.",
    category: "introspection",
    runs: Runs::Worker,
    annotations: Annotations::READ_ONLY,
    tasks: crate::tools::TaskSupport::Forbidden,
    input_schema: r##"{
  "properties": {
    "session_id": {
      "type": "string"
    },
    "pattern": {
      "type": "string"
    },
    "include_hidden": {
      "type": "boolean",
      "default": false
    },
    "sort_by": {
      "type": "string",
      "enum": [
        "name",
        "size",
        "class",
        "created"
      ],
      "default": "name"
    },
    "workspace": {
      "type": "string",
      "description": "The handle of an R workspace an earlier call returned (structuredContent.workspace); omit it to use a new workspace (or, on a session, the session's own) and get its handle back",
      "x-mcp-header": "Workspace"
    }
  },
  "type": "object",
  "additionalProperties": false
}"##,
    output_schema: None,
};
