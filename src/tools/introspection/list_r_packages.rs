//! `list_r_packages`: List installed and loaded R packages.
//!
//! This file declares the tool (description, input schema as the Python
//! rmcp 0.12 server advertises it, output schema); `crate::freeform` runs it
//! for the calling MCP session.

use crate::tools::spec::{Annotations, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "list_r_packages",
    title: "List installed and loaded R packages",
    description: "List the R packages installed on the server with their versions, and whether each is loaded or attached in the workspace's R and allowed for free-form R (with its approvals). include_base adds R's base packages; package_name describes one package. Pass `workspace` (the handle an earlier call returned) to use that workspace; without it, a session's own workspace is used, or on protocol 2026-07-28 a new one; the answer names the handle.",
    category: "introspection",
    runs: Runs::Worker,
    annotations: Annotations::READ_ONLY,
    tasks: crate::tools::TaskSupport::Forbidden,
    input_schema: r##"{
  "properties": {
    "session_id": {
      "type": "string"
    },
    "include_base": {
      "type": "boolean",
      "default": false
    },
    "package_name": {
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
