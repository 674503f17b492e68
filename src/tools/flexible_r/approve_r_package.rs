//! `approve_r_package`: Approve an R package for this session.
//!
//! This file declares the tool (description, input schema as the Python
//! rmcp 0.12 server advertises it, output schema); `crate::freeform` runs it
//! for the calling MCP session.

use crate::tools::spec::{Annotations, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "approve_r_package",
    title: "Approve an R package for this session",
    description: "Approve (or deny) loading one R package that is not on the allowlist, for this MCP session's free-form R only. The package must already be installed on the server: packages are never installed by a tool call. Returns the session's approved packages.",
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
