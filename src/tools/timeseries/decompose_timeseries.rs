//! `decompose_timeseries`: Time series decomposition. The statistics are computed by
//! `r/timeseries/decompose_timeseries.R` (`tool_decompose_timeseries`); this file declares the tool: its
//! description, input schema (names, types, enums and required fields as the
//! Python rmcp 0.12 server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "decompose_timeseries",
    title: "Time series decomposition",
    description: "Split a series into trend, seasonal and remainder components with classical (moving-average) decomposition, additive or multiplicative. Needs at least two full periods.",
    category: "timeseries",
    runs: Runs::R(RCall {
        function: "tool_decompose_timeseries",
        files: FileAccess::NoFile,
        randomness: Randomness::Deterministic,
        check: None,
    }),
    annotations: Annotations::READ_ONLY,
    tasks: crate::tools::TaskSupport::Optional,
    input_schema: r##"{
  "properties": {
    "data": {
      "type": "object",
      "properties": {
        "values": {
          "type": "array",
          "items": {
            "type": "number"
          }
        },
        "dates": {
          "type": "array",
          "items": {
            "type": "string"
          }
        }
      },
      "required": [
        "values"
      ]
    },
    "frequency": {
      "type": "integer",
      "minimum": 1,
      "default": 12
    },
    "type": {
      "type": "string",
      "enum": [
        "additive",
        "multiplicative"
      ],
      "default": "additive"
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
    "original": {
      "type": "array",
      "items": {
        "type": "number"
      }
    },
    "trend": {
      "type": "array",
      "items": {
        "type": [
          "number",
          "null"
        ]
      }
    },
    "seasonal": {
      "type": "array",
      "items": {
        "type": [
          "number",
          "null"
        ]
      }
    },
    "remainder": {
      "type": "array",
      "items": {
        "type": [
          "number",
          "null"
        ]
      }
    },
    "type": {
      "type": "string",
      "enum": [
        "additive",
        "multiplicative"
      ]
    },
    "frequency": {
      "type": "integer",
      "minimum": 1
    },
    "n_obs": {
      "type": "integer",
      "minimum": 1
    }
  },
  "required": [
    "original",
    "trend",
    "seasonal",
    "remainder",
    "type",
    "frequency",
    "n_obs"
  ],
  "additionalProperties": false
}"##),
};
