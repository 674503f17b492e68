//! `lag_lead`: Lagged and leading columns. The statistics are computed by
//! `r/transforms/lag_lead.R` (`tool_lag_lead`); this file declares the tool: its
//! description, input schema (names, types, enums and required fields as the
//! Python rmcp 0.12 server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "lag_lead",
    title: "Lagged and leading columns",
    description: "Add lagged (<var>_lag<k>) and leading (<var>_lead<k>) copies of the listed columns, padded with nulls, and return the whole table.",
    category: "transforms",
    runs: Runs::R(RCall {
        function: "tool_lag_lead",
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
    "lags": {
      "type": "array",
      "items": {
        "type": "integer"
      }
    },
    "leads": {
      "type": "array",
      "items": {
        "type": "integer"
      }
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
    "variables_created": {
      "type": "array",
      "items": {
        "type": "string"
      }
    },
    "n_obs": {
      "type": "integer",
      "minimum": 0
    },
    "operation": {
      "type": "string",
      "enum": [
        "lag_lead"
      ]
    }
  },
  "required": [
    "data",
    "variables_created",
    "n_obs",
    "operation"
  ],
  "additionalProperties": false
}"##),
};
