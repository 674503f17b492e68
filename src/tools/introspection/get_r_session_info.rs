//! `get_r_session_info`: Describe your R session.
//!
//! This file declares the tool (description, input schema as the Python
//! rmcp 0.12 server advertises it, output schema); `crate::freeform` runs it
//! for the calling MCP session.

use crate::tools::spec::{Annotations, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "get_r_session_info",
    title: "Describe your R session",
    description: "Describe the sandboxed R of one R workspace: R version, platform, locale, time zone, workspace size, memory in use and its cap, key options, attached packages and loaded namespaces, the number of installed packages, and which sandbox layers confine it. Pass `workspace` (the handle an earlier call returned) to use that workspace; without it, a session's own workspace is used, or on protocol 2026-07-28 a new one; the answer names the handle.",
    category: "introspection",
    runs: Runs::Worker,
    annotations: Annotations::READ_ONLY,
    tasks: crate::tools::TaskSupport::Forbidden,
    input_schema: r##"{
  "properties": {
    "session_id": {
      "type": "string"
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
