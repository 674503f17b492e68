//! `execute_r_analysis`: Run free-form R in a sandboxed workspace.
//!
//! This file declares the tool (description, input schema as the Python
//! rmcp 0.12 server advertises it, output schema); `crate::freeform` runs it
//! for the calling MCP session.

use crate::tools::spec::{Annotations, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "execute_r_analysis",
    title: "Run free-form R in a sandboxed workspace",
    description: "Run your own R code in a sandboxed R workspace. Objects persist across calls in the same workspace (see list_r_objects and inspect_r_object): every answer names its workspace handle (structuredContent.workspace and the text); pass it back as `workspace` to keep using the objects. Without `workspace`, an MCP session's calls share the session's own workspace, and a request of protocol 2026-07-28 (no session) starts a new one. A workspace idle for a while expires; its handle then says so. Assign the answer to `result` (otherwise the last expression's value is returned); a `data` table arrives as a data.frame named `data`; `packages` are attached first (allowlisted ones, see list_allowed_r_packages; others need approve_r_package). Set return_image to get the plot the code draws (or a ggplot in `result`) as a PNG. The code runs in a separate process with no network, no commands, read access only to its own folder and the server's data roots, and write access only to its own folder, the server's writable roots and directories granted with approve_operation; calls that cannot work there (system, .Call, Sys.setenv, q, ...) are refused with a message naming them. After setup_r_bidirectional, R code can call catalog tools: rmcp_call(\"linear_model\", list(data = df, formula = \"y ~ x\")). A timeout stops the code; if R does not stop, the workspace is reset and the result says so.",
    category: "flexible_r",
    runs: Runs::Worker,
    annotations: Annotations::CHANGES_SESSION,
    tasks: crate::tools::TaskSupport::Optional,
    input_schema: r##"{
  "properties": {
    "r_code": {
      "type": "string"
    },
    "data": {
      "type": "object",
      "x-rmcp-table": true,
      "properties": {},
      "additionalProperties": {
        "type": "array",
        "items": {
          "type": [
            "number",
            "string",
            "boolean",
            "null"
          ]
        }
      }
    },
    "packages": {
      "type": "array",
      "items": {
        "type": "string"
      },
      "default": []
    },
    "description": {
      "type": "string"
    },
    "timeout_seconds": {
      "type": "integer",
      "minimum": 1,
      "maximum": 300,
      "default": 60
    },
    "return_image": {
      "type": "boolean",
      "default": false
    },
    "workspace": {
      "type": "string",
      "description": "The handle of an R workspace an earlier call returned (structuredContent.workspace); omit it to use a new workspace (or, on a session, the session's own) and get its handle back",
      "x-mcp-header": "Workspace"
    }
  },
  "required": [
    "r_code",
    "description"
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
    "result": {
      "type": [
        "object",
        "array",
        "number",
        "string",
        "boolean",
        "null"
      ]
    },
    "console_output": {
      "type": "string"
    },
    "warnings": {
      "type": "array",
      "items": {
        "type": "string"
      }
    },
    "image_data": {
      "type": "string"
    },
    "r_code_executed": {
      "type": "string"
    },
    "packages_loaded": {
      "type": "array",
      "items": {
        "type": "string"
      }
    }
  },
  "required": [
    "success"
  ]
}"##),
};
