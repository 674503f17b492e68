//! `setup_r_bidirectional`: Let your R code call catalog tools.
//!
//! This file declares the tool (description, input schema as the Python
//! rmcp 0.12 server advertises it, output schema); `crate::freeform` runs it
//! for the calling MCP session.

use crate::tools::spec::{Annotations, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "setup_r_bidirectional",
    title: "Let your R code call catalog tools",
    description: "Enable callbacks for this session's free-form R: afterwards R code in execute_r_analysis can run catalog tools with rmcp_call(\"tool_name\", list(arg = value, ...)), which returns the tool's structured result as an R list (data frames are sent as tables). allowed_tools limits which tools R may call (default: every catalog tool); session_id activates an existing callback session instead. Returns example R code.",
    category: "bidirectional",
    runs: Runs::Worker,
    annotations: Annotations::CHANGES_SESSION,
    tasks: crate::tools::TaskSupport::Forbidden,
    input_schema: r##"{
  "properties": {
    "session_id": {
      "type": "string"
    },
    "allowed_tools": {
      "type": "array",
      "items": {
        "type": "string"
      }
    }
  },
  "type": "object",
  "additionalProperties": false
}"##,
    output_schema: None,
};
