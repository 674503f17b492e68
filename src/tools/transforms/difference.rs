//! `difference`: Differencing. The statistics are computed by
//! `r/transforms/difference.R` (`tool_difference`); this file declares the tool: its
//! description, input schema (names, types, enums and required fields as the
//! Python rmcp 0.12 server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "difference",
    title: "Differencing",
    description: "Add differenced columns (<var>_diff, or <var>_diff1..k for higher orders), optionally of the log (log_<var>), padded with leading nulls, and return the whole table.",
    category: "transforms",
    runs: Runs::R(RCall {
        function: "tool_difference",
        files: FileAccess::NoFile,
        randomness: Randomness::Deterministic,
        check: None,
    }),
    annotations: Annotations::READ_ONLY,
    tasks: crate::tools::TaskSupport::Forbidden,
    input_schema: r##"{
  "properties": {
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
    "variables": {
      "type": "array",
      "items": {
        "type": "string"
      }
    },
    "order": {
      "type": "integer",
      "minimum": 1,
      "maximum": 3,
      "default": 1
    },
    "log_transform": {
      "type": "boolean",
      "default": false
    }
  },
  "required": [
    "data",
    "variables"
  ],
  "type": "object",
  "additionalProperties": false
}"##,
    output_schema: Some(r##"{
  "type": "object",
  "properties": {
    "data": {
      "type": "object",
      "additionalProperties": {
        "type": "array",
        "items": {
          "type": [
            "number",
            "string",
            "null"
          ]
        }
      }
    },
    "variables_differenced": {
      "type": "array",
      "items": {
        "type": "string"
      }
    },
    "difference_order": {
      "type": "integer",
      "minimum": 1,
      "maximum": 3
    },
    "log_transformed": {
      "type": "boolean"
    },
    "n_obs": {
      "type": "integer",
      "minimum": 0
    }
  },
  "required": [
    "data",
    "variables_differenced",
    "difference_order",
    "log_transformed",
    "n_obs"
  ],
  "additionalProperties": false
}"##),
};
