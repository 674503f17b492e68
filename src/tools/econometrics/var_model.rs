//! `var_model`: Vector autoregression. The statistics are computed by
//! `r/econometrics/var_model.R` (`tool_var_model`); this file declares the tool: its
//! description, input schema (names, types, enums and required fields as the
//! Python rmcp 0.12 server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "var_model",
    title: "Vector autoregression",
    description: "Vector autoregression estimated equation by equation with OLS on lagged values (the textbook VAR, as vars::VAR computes it): per-equation coefficients, standard errors, t values, p-values and R², plus log-likelihood, AIC, BIC and the residual covariance matrix. Deterministic terms: const, trend, both or none.",
    category: "econometrics",
    runs: Runs::R(RCall {
        function: "tool_var_model",
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
    "variables": {
      "type": "array",
      "items": {
        "type": "string"
      }
    },
    "lags": {
      "type": "integer",
      "minimum": 1,
      "maximum": 10,
      "default": 2
    },
    "type": {
      "type": "string",
      "enum": [
        "const",
        "trend",
        "both",
        "none"
      ],
      "default": "const"
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
    "equations": {
      "type": "object",
      "additionalProperties": {
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
    "lag_order": {
      "type": "integer",
      "minimum": 1,
      "maximum": 10
    },
    "var_type": {
      "type": "string",
      "enum": [
        "const",
        "trend",
        "both",
        "none"
      ]
    },
    "n_obs": {
      "type": "integer",
      "minimum": 1
    },
    "n_variables": {
      "type": "integer",
      "minimum": 2
    },
    "loglik": {
      "type": "number"
    },
    "aic": {
      "type": "number"
    },
    "bic": {
      "type": "number"
    },
    "residual_covariance": {
      "type": "array",
      "items": {
        "type": "array",
        "items": {
          "type": "number"
        }
      }
    }
  },
  "required": [
    "equations",
    "variables",
    "lag_order",
    "var_type",
    "n_obs",
    "n_variables",
    "loglik",
    "aic",
    "bic",
    "residual_covariance"
  ],
  "additionalProperties": false
}"##),
};
