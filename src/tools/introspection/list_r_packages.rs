//! `list_r_packages`: List installed and loaded R packages.
//!
//! This file declares the tool (description, input schema as the Python
//! rmcp 0.12 server advertises it, output schema); `crate::freeform` runs it
//! for the calling MCP session.

use crate::tools::spec::{Annotations, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "list_r_packages",
    title: "List installed and loaded R packages",
    description: "List the R packages installed on the server with their versions, and whether each is loaded or attached in this session's R and allowed for free-form R. include_base adds R's base packages; package_name describes one package.",
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
    }
  },
  "type": "object",
  "additionalProperties": false
}"##,
    output_schema: None,
};
