//! `winsorize`: Winsorize. The statistics are computed by
//! `r/transforms/winsorize.R` (`tool_winsorize`); this file declares the tool: its
//! description, input schema (names, types, enums and required fields as the
//! Python rmcp 0.12 server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "winsorize",
    title: "Winsorize",
    description: "Cap the listed columns at lower and upper percentiles (default 5% and 95%) and return the table with a summary of how many values were capped.",
    category: "transforms",
    runs: Runs::R(RCall {
        function: "tool_winsorize",
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
    "percentiles": {
      "type": "array",
      "items": {
        "type": "number",
        "minimum": 0,
        "maximum": 1
      },
      "minItems": 2,
      "maxItems": 2,
      "default": [
        0.05,
        0.95
      ]
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
    "outliers_summary": {
      "type": "object",
      "additionalProperties": {
        "type": "object",
        "properties": {
          "lower_threshold": {
            "type": "number"
          },
          "upper_threshold": {
            "type": "number"
          },
          "n_capped_lower": {
            "type": "integer",
            "minimum": 0
          },
          "n_capped_upper": {
            "type": "integer",
            "minimum": 0
          },
          "total_capped": {
            "type": "integer",
            "minimum": 0
          }
        }
      }
    },
    "percentiles": {
      "type": "array",
      "items": {
        "type": "number"
      }
    },
    "variables_winsorized": {
      "type": "array",
      "items": {
        "type": "string"
      }
    },
    "n_obs": {
      "type": "integer",
      "minimum": 0
    }
  },
  "required": [
    "data",
    "outliers_summary",
    "percentiles",
    "variables_winsorized",
    "n_obs"
  ],
  "additionalProperties": false
}"##),
};
