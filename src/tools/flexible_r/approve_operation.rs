//! `approve_operation`: Approve an operation for free-form R.
//!
//! This file declares the tool (description, input schema as the Python
//! rmcp 0.12 server advertises it, output schema); `crate::freeform` runs it
//! for the calling MCP session.

use crate::tools::spec::{Annotations, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "approve_operation",
    title: "Approve an operation for free-form R",
    description: "Approve (or deny) an operation for this session's free-form R. file_operations with a directory grants the session's R write access to that directory, which must lie inside one of the server's allowed data roots (the session's R worker restarts with its workspace carried over). Writing inside the session's own sandbox folder needs no approval. package_installation and system_operations cannot be granted: the sandbox never installs packages or runs commands, and the answer says so. Approvals belong to an R workspace: pass `workspace` (the handle an earlier call returned) to use that workspace; without it, a session's own workspace is used, or on protocol 2026-07-28 a new one; the answer names the handle.",
    category: "flexible_r",
    runs: Runs::Worker,
    annotations: Annotations::GRANTS,
    tasks: crate::tools::TaskSupport::Forbidden,
    input_schema: r##"{
  "properties": {
    "operation_type": {
      "type": "string",
      "enum": [
        "file_operations",
        "package_installation",
        "system_operations"
      ]
    },
    "specific_operation": {
      "type": "string"
    },
    "action": {
      "type": "string",
      "enum": [
        "approve",
        "deny"
      ],
      "default": "approve"
    },
    "scope": {
      "type": "string",
      "enum": [
        "session",
        "permanent"
      ],
      "default": "session"
    },
    "directory": {
      "type": "string"
    },
    "workspace": {
      "type": "string",
      "description": "The handle of an R workspace an earlier call returned (structuredContent.workspace); omit it to use a new workspace (or, on a session, the session's own) and get its handle back",
      "x-mcp-header": "Workspace"
    }
  },
  "required": [
    "operation_type",
    "specific_operation"
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
    "operation_type": {
      "type": "string"
    },
    "specific_operation": {
      "type": "string"
    },
    "action": {
      "type": "string",
      "enum": [
        "approved",
        "denied"
      ]
    },
    "scope": {
      "type": "string"
    },
    "message": {
      "type": "string"
    },
    "approved_operations": {
      "type": "object"
    },
    "security_info": {
      "type": "object",
      "properties": {
        "level": {
          "type": "string"
        },
        "implications": {
          "type": "string"
        },
        "recommendations": {
          "type": "array",
          "items": {
            "type": "string"
          }
        }
      }
    }
  },
  "required": [
    "success",
    "operation_type",
    "action",
    "message"
  ]
}"##),
};
