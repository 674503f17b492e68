//! `approve_r_package`: Approve an R package for this session.
//!
//! This file declares the tool (description, input schema as the Python
//! rmcp 0.12 server advertises it, output schema); `crate::freeform` runs it
//! for the calling MCP session.

use crate::tools::spec::{Annotations, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "approve_r_package",
    title: "Approve an R package for this session",
    description: "Approve (or deny) loading one R package that is not on the allowlist, for one R workspace's free-form R only. The package must already be installed on the server: packages are never installed by a tool call. Returns the workspace's approved packages. Approvals belong to an R workspace: Pass `workspace` (the handle an earlier call returned) to use that workspace; without it, a session's own workspace is used, or on protocol 2026-07-28 a new one; the answer names the handle.",
    category: "flexible_r",
    runs: Runs::Worker,
    annotations: Annotations::GRANTS,
    tasks: crate::tools::TaskSupport::Forbidden,
    input_schema: r##"{
  "properties": {
    "package_name": {
      "type": "string"
    },
    "action": {
      "type": "string",
      "enum": [
        "approve",
        "deny"
      ]
    },
    "session_only": {
      "type": "boolean",
      "default": true
    },
    "workspace": {
      "type": "string",
      "description": "The handle of an R workspace an earlier call returned (structuredContent.workspace); omit it to use a new workspace (or, on a session, the session's own) and get its handle back",
      "x-mcp-header": "Workspace"
    }
  },
  "required": [
    "package_name",
    "action"
  ],
  "type": "object",
  "additionalProperties": false
}"##,
    output_schema: Some(r##"{
  "type": "object",
  "properties": {
    "success": {
      "type": "boolean"
    },
    "package": {
      "type": "string"
    },
    "action": {
      "type": "string"
    },
    "message": {
      "type": "string"
    },
    "session_packages": {
      "type": "array",
      "items": {
        "type": "string"
      }
    }
  },
  "required": [
    "success",
    "package",
    "action",
    "message"
  ]
}"##),
};
