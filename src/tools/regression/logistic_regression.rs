//! `logistic_regression`: Generalised linear model. The statistics are computed by
//! `r/regression/logistic_regression.R` (`tool_logistic_regression`); this file declares the tool: its
//! description, input schema (names, types, enums and required fields as the
//! Python rmcp 0.12 server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "logistic_regression",
    title: "Generalised linear model",
    description: "Fit a GLM with R's glm(): binomial (logit/probit/cloglog/cauchit links) by default, or poisson, gamma, inverse.gaussian. Returns coefficients, standard errors, z values, p-values, deviance, AIC/BIC; for binomial models also odds ratios, McFadden R², predicted probabilities and, for a 0/1 response, accuracy and a confusion matrix. Unlike the reference, family 'gamma' maps to R's Gamma().",
    category: "regression",
    runs: Runs::R(RCall {
        function: "tool_logistic_regression",
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
    "family": {
      "type": "string",
      "enum": [
        "binomial",
        "poisson",
        "gamma",
        "inverse.gaussian"
      ]
    },
    "link": {
      "type": "string",
      "enum": [
        "logit",
        "probit",
        "cloglog",
        "cauchit"
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
    "z_values": {
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
    "deviance": {
      "type": "number"
    },
    "null_deviance": {
      "type": "number"
    },
    "aic": {
      "type": "number"
    },
    "bic": {
      "type": "number"
    },
    "fitted_values": {
      "type": "array",
      "items": {
        "type": "number"
      }
    },
    "residuals": {
      "type": "array",
      "items": {
        "type": "number"
      }
    },
    "n_obs": {
      "type": "integer",
      "minimum": 1
    },
    "family": {
      "type": "string",
      "enum": [
        "binomial",
        "poisson",
        "gamma",
        "inverse.gaussian"
      ]
    },
    "link": {
      "type": "string"
    },
    "odds_ratios": {
      "type": "object",
      "additionalProperties": {
        "type": "number"
      }
    },
    "mcfadden_r_squared": {
      "type": "number",
      "minimum": 0,
      "maximum": 1
    },
    "predicted_probabilities": {
      "type": "array",
      "items": {
        "type": "number"
      }
    },
    "accuracy": {
      "type": "number",
      "minimum": 0,
      "maximum": 1
    },
    "confusion_matrix": {
      "type": "object",
      "additionalProperties": {
        "type": "array"
      }
    }
  },
  "required": [
    "coefficients",
    "deviance",
    "null_deviance",
    "aic",
    "bic",
    "n_obs",
    "family",
    "link"
  ],
  "additionalProperties": false
}"##),
};
