//! `outlier_detection`: Outlier detection. The statistics are computed by
//! `r/descriptive/outlier_detection.R` (`tool_outlier_detection`); this file declares the tool: its
//! description, input schema (names, types, enums and required fields as the
//! Python rmcp 0.12 server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "outlier_detection",
    title: "Outlier detection",
    description: "Find outliers in one numeric column by IQR fences, z-score or modified z-score (median/MAD). Unlike the reference, `threshold` is honoured for the IQR method too (the fence multiplier; 1.5 when not given).",
    category: "descriptive",
    runs: Runs::R(RCall {
        function: "tool_outlier_detection",
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
    "variable": {
      "type": "string"
    },
    "method": {
      "type": "string",
      "enum": [
        "iqr",
        "z_score",
        "modified_z"
      ],
      "default": "iqr"
    },
    "threshold": {
      "type": "number",
      "minimum": 0,
      "default": 3.0
    }
  },
  "required": [
    "data",
    "variable"
  ],
  "type": "object",
  "additionalProperties": false
}"##,
    output_schema: Some(r##"{
  "type": "object",
  "properties": {
    "method": {
      "type": "string",
      "enum": [
        "iqr",
        "z_score",
        "modified_z"
      ]
    },
    "variable": {
      "type": "string"
    },
    "outlier_indices": {
      "type": "array",
      "items": {
        "type": "integer"
      }
    },
    "outlier_values": {
      "type": "array",
      "items": {
        "type": "number"
      }
    },
    "n_outliers": {
      "type": "integer",
      "minimum": 0
    },
    "n_obs": {
      "type": "integer",
      "minimum": 0
    },
    "outlier_percentage": {
      "type": "number",
      "minimum": 0,
      "maximum": 100
    },
    "bounds": {
      "type": "object",
      "additionalProperties": {
        "type": "number"
      }
    }
  },
  "required": [
    "method",
    "variable",
    "outlier_indices",
    "outlier_values",
    "n_outliers",
    "n_obs",
    "outlier_percentage",
    "bounds"
  ],
  "additionalProperties": false
}"##),
};
