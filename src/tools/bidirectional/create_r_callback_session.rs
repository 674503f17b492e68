//! `create_r_callback_session`: Create a callback session.
//!
//! This file declares the tool (description, input schema as the Python
//! rmcp 0.12 server advertises it, output schema); `crate::freeform` runs it
//! for the calling MCP session.

use crate::tools::spec::{Annotations, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "create_r_callback_session",
    title: "Create a callback session",
    description: "Create a named callback session for this MCP session: the catalog tools R code may call through rmcp_call() (allowed_tools) and how long it accepts callbacks (timeout_minutes, default 5). It becomes the active one; returns its id for handle_r_callback and setup_r_bidirectional.",
    category: "bidirectional",
    runs: Runs::Worker,
    annotations: Annotations::CHANGES_SESSION,
    tasks: crate::tools::TaskSupport::Forbidden,
    input_schema: r##"{
  "properties": {
    "session_name": {
      "type": "string"
    },
    "allowed_tools": {
      "type": "array",
      "items": {
        "type": "string"
      }
    },
    "timeout_minutes": {
      "type": "number",
      "default": 5
    }
  },
  "type": "object",
  "additionalProperties": false
}"##,
    output_schema: None,
};
