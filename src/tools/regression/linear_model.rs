//! `linear_model`: Linear regression (OLS). The statistics are computed by
//! `r/regression/linear_model.R` (`tool_linear_model`); this file declares the tool: its
//! description, input schema (names, types, enums and required fields as the
//! Python rmcp 0.12 server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "linear_model",
    title: "Linear regression (OLS)",
    description: "Fit an ordinary least-squares regression with R's lm() on a table of columns. Returns coefficients with standard errors, t values and p-values (keyed by term, including (Intercept)), R², adjusted R², the F test, residual standard error, fitted values and residuals. Optional weights and NA handling.",
    category: "regression",
    runs: Runs::R(RCall {
        function: "tool_linear_model",
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
    "weights": {
      "type": "array",
      "items": {
        "type": "number"
      }
    },
    "na_action": {
      "type": "string",
      "enum": [
        "na.omit",
        "na.exclude",
        "na.fail"
      ]
    }
  },
  "required": [
    "data",
    "formula"
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
    "f_statistic": {
      "type": "number"
    },
    "f_p_value": {
      "type": "number",
      "minimum": 0,
      "maximum": 1
    },
    "residuals": {
      "type": "array",
      "items": {
        "type": "number"
      }
    },
    "fitted_values": {
      "type": "array",
      "items": {
        "type": "number"
      }
    },
    "n_obs": {
      "type": "integer",
      "minimum": 1
    },
    "df_residual": {
      "type": "integer"
    },
    "residual_se": {
      "type": "number",
      "minimum": 0
    },
    "method": {
      "type": "string",
      "enum": [
        "lm"
      ]
    }
  },
  "required": [
    "coefficients",
    "r_squared",
    "n_obs",
    "method"
  ],
  "additionalProperties": false
}"##),
};
