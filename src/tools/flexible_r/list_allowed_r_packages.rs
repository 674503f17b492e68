//! `list_allowed_r_packages`: List R packages free-form R may load.
//!
//! This file declares the tool (description, input schema as the Python
//! rmcp 0.12 server advertises it, output schema); `crate::freeform` runs it
//! for the calling MCP session.

use crate::tools::spec::{Annotations, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "list_allowed_r_packages",
    title: "List R packages free-form R may load",
    description: "List the R packages execute_r_analysis may load without approval, from the allowlist grouped like CRAN task views. category='summary' (default) gives the category names with their package counts; 'all' or one category gives the package names and which of them are installed on this server. Other packages need approve_r_package first.",
    category: "flexible_r",
    runs: Runs::Worker,
    annotations: Annotations::READ_ONLY,
    tasks: crate::tools::TaskSupport::Forbidden,
    input_schema: r##"{
  "properties": {
    "category": {
      "type": "string",
      "enum": [
        "all",
        "summary",
        "base_r",
        "core_infrastructure",
        "tidyverse",
        "machine_learning",
        "econometrics",
        "time_series",
        "bayesian",
        "survival",
        "spatial",
        "optimization",
        "meta_analysis",
        "clinical_trials",
        "robust_stats",
        "missing_data",
        "nlp_text",
        "data_io",
        "experimental_design",
        "network_analysis",
        "stats",
        "ml",
        "visualization",
        "data"
      ],
      "default": "summary"
    }
  },
  "type": "object",
  "additionalProperties": false
}"##,
    output_schema: Some(r##"{
  "type": "object",
  "properties": {
    "packages": {
      "type": "array",
      "items": {
        "type": "string"
      }
    },
    "total_count": {
      "type": "integer"
    },
    "category": {
      "type": "string"
    }
  },
  "required": [
    "packages",
    "total_count",
    "category"
  ]
}"##),
};
