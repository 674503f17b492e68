//! `get_r_session_info`: Describe your R session.
//!
//! This file declares the tool (description, input schema as the Python
//! rmcp 0.12 server advertises it, output schema); `crate::freeform` runs it
//! for the calling MCP session.

use crate::tools::spec::{Annotations, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "get_r_session_info",
    title: "Describe your R session",
    description: "Describe this MCP session's sandboxed R: R version, platform, locale, time zone, workspace size, memory in use and its cap, key options, attached packages and loaded namespaces, the number of installed packages, and which sandbox layers confine it.",
    category: "introspection",
    runs: Runs::Worker,
    annotations: Annotations::READ_ONLY,
    tasks: crate::tools::TaskSupport::Forbidden,
    input_schema: r##"{
  "properties": {
    "session_id": {
      "type": "string"
    }
  },
  "type": "object",
  "additionalProperties": false
}"##,
    output_schema: None,
};
