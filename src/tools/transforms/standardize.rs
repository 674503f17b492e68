//! `standardize`: Standardize. The statistics are computed by
//! `r/transforms/standardize.R` (`tool_standardize`); this file declares the tool: its
//! description, input schema (names, types, enums and required fields as the
//! Python rmcp 0.12 server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "standardize",
    title: "Standardize",
    description: "Add scaled copies of the listed columns: z-score (mean/sd), min-max to [0, 1], or robust (median/MAD), named <var>_<method>, with the scaling constants used.",
    category: "transforms",
    runs: Runs::R(RCall {
        function: "tool_standardize",
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
    "method": {
      "type": "string",
      "enum": [
        "z_score",
        "min_max",
        "robust"
      ],
      "default": "z_score"
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
    "scaling_method": {
      "type": "string",
      "enum": [
        "z_score",
        "min_max",
        "robust"
      ]
    },
    "scaling_info": {
      "type": "object",
      "additionalProperties": {
        "type": "object",
        "additionalProperties": {
          "type": [
            "number",
            "null"
          ]
        }
      }
    },
    "variables_scaled": {
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
    "scaling_method",
    "scaling_info",
    "variables_scaled",
    "n_obs"
  ],
  "additionalProperties": false
}"##),
};
