//! `panel_regression`: Panel data regression. The statistics are computed by
//! `r/econometrics/panel_regression.R` (`tool_panel_regression`); this file declares the tool: its
//! description, input schema (names, types, enums and required fields as the
//! Python rmcp 0.12 server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "panel_regression",
    title: "Panel data regression",
    description: "Panel regression with plm: fixed effects (within), random effects, pooled OLS or between estimator, indexed by an id and a time column; heteroskedasticity-robust (HC1) standard errors by default.",
    category: "econometrics",
    runs: Runs::R(RCall {
        function: "tool_panel_regression",
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
    "formula": {
      "type": "string",
      "pattern": "^[^~]+~[^~]+$",
      "x-rmcp-formula": true
    },
    "id_variable": {
      "type": "string"
    },
    "time_variable": {
      "type": "string"
    },
    "model": {
      "type": "string",
      "enum": [
        "pooling",
        "within",
        "between",
        "random"
      ],
      "default": "within"
    },
    "robust": {
      "type": "boolean",
      "default": true
    }
  },
  "required": [
    "data",
    "formula",
    "id_variable",
    "time_variable"
  ],
  "type": "object",
  "additionalProperties": false
}"##,
    output_schema: Some(r##"{
  "type": "object",
  "properties": {
    "coefficients": {
      "type": "object",
      "additionalProperties": {
        "type": "number"
      }
    },
    "std_errors": {
      "type": "object",
      "additionalProperties": {
        "type": "number"
      }
    },
    "t_values": {
      "type": "object",
      "additionalProperties": {
        "type": "number"
      }
    },
    "p_values": {
      "type": "object",
      "additionalProperties": {
        "type": "number"
      }
    },
    "r_squared": {
      "type": "number",
      "minimum": 0,
      "maximum": 1
    },
    "adj_r_squared": {
      "type": "number",
      "maximum": 1
    },
    "model_type": {
      "type": "string",
      "enum": [
        "pooling",
        "within",
        "between",
        "random"
      ]
    },
    "robust_se": {
      "type": "boolean"
    },
    "n_obs": {
      "type": "integer",
      "minimum": 1
    },
    "n_groups": {
      "type": "integer",
      "minimum": 1
    },
    "time_periods": {
      "type": "integer",
      "minimum": 1
    },
    "formula": {
      "type": "string"
    },
    "id_variable": {
      "type": "string"
    },
    "time_variable": {
      "type": "string"
    }
  },
  "required": [
    "coefficients",
    "std_errors",
    "t_values",
    "p_values",
    "r_squared",
    "adj_r_squared",
    "model_type",
    "robust_se",
    "n_obs",
    "n_groups",
    "time_periods",
    "formula",
    "id_variable",
    "time_variable"
  ],
  "additionalProperties": false
}"##),
};
