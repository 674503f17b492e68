//! `summary_stats`: Descriptive statistics. The statistics are computed by
//! `r/descriptive/summary_stats.R` (`tool_summary_stats`); this file declares the tool: its
//! description, input schema (names, types, enums and required fields as the
//! Python rmcp 0.12 server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "summary_stats",
    title: "Descriptive statistics",
    description: "Count, missing values, mean, standard deviation, min, max, range, skewness, excess kurtosis and the requested percentiles for each numeric column, optionally per group. Undefined statistics (e.g. the sd of one value) are null.",
    category: "descriptive",
    runs: Runs::R(RCall {
        function: "tool_summary_stats",
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
    "group_by": {
      "type": "string"
    },
    "percentiles": {
      "type": "array",
      "items": {
        "type": "number"
      },
      "default": [
        0.25,
        0.5,
        0.75
      ]
    }
  },
  "required": [
    "data"
  ],
  "type": "object",
  "additionalProperties": false
}"##,
    output_schema: Some(r##"{
  "type": "object",
  "properties": {
    "statistics": {
      "type": "object",
      "additionalProperties": {
        "type": "object",
        "properties": {
          "n": {
            "type": "integer",
            "minimum": 0
          },
          "n_missing": {
            "type": "integer",
            "minimum": 0
          },
          "mean": {
            "type": "number"
          },
          "sd": {
            "type": [
              "number",
              "null"
            ]
          },
          "min": {
            "type": "number"
          },
          "max": {
            "type": "number"
          },
          "range": {
            "type": "number"
          },
          "skewness": {
            "type": [
              "number",
              "null"
            ]
          },
          "kurtosis": {
            "type": [
              "number",
              "null"
            ]
          }
        }
      }
    },
    "variables": {
      "type": "array",
      "items": {
        "type": "string"
      }
    },
    "n_obs": {
      "type": "integer",
      "minimum": 0
    },
    "grouped": {
      "type": "boolean"
    },
    "group_by": {
      "type": "string"
    },
    "groups": {
      "type": "array",
      "items": {
        "type": "string"
      }
    }
  },
  "required": [
    "statistics",
    "variables",
    "n_obs",
    "grouped"
  ],
  "additionalProperties": false
}"##),
};
