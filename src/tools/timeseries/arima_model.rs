//! `arima_model`: ARIMA model and forecast. The statistics are computed by
//! `r/timeseries/arima_model.R` (`tool_arima_model`); this file declares the tool: its
//! description, input schema (names, types, enums and required fields as the
//! Python rmcp 0.12 server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "arima_model",
    title: "ARIMA model and forecast",
    description: "Fit an ARIMA model (forecast::Arima with the given order and seasonal order, or auto.arima when no order is given) to a monthly series and forecast ahead with 95% intervals; returns coefficients, AIC/BIC, fitted values, residuals and training-set accuracy.",
    category: "timeseries",
    runs: Runs::R(RCall {
        function: "tool_arima_model",
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
    "order": {
      "type": "array",
      "items": {
        "type": "integer"
      },
      "minItems": 3,
      "maxItems": 3
    },
    "seasonal": {
      "type": "array",
      "items": {
        "type": "integer"
      },
      "minItems": 4,
      "maxItems": 4
    },
    "forecast_periods": {
      "type": "integer",
      "minimum": 1,
      "maximum": 100,
      "default": 12
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
    "model_type": {
      "type": "string",
      "enum": [
        "ARIMA"
      ]
    },
    "order": {
      "type": "array",
      "items": {
        "type": "integer"
      }
    },
    "coefficients": {
      "type": "object",
      "additionalProperties": {
        "type": "number"
      }
    },
    "aic": {
      "type": [
        "number",
        "null"
      ]
    },
    "bic": {
      "type": [
        "number",
        "null"
      ]
    },
    "loglik": {
      "type": [
        "number",
        "null"
      ]
    },
    "sigma2": {
      "type": "number",
      "minimum": 0
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
    "forecasts": {
      "type": "array",
      "items": {
        "type": "number"
      }
    },
    "forecast_lower": {
      "type": "array",
      "items": {
        "type": "number"
      }
    },
    "forecast_upper": {
      "type": "array",
      "items": {
        "type": "number"
      }
    },
    "accuracy": {
      "type": "object",
      "additionalProperties": {
        "type": [
          "number",
          "null"
        ]
      }
    },
    "n_obs": {
      "type": "integer",
      "minimum": 1
    }
  },
  "required": [
    "model_type",
    "order",
    "aic",
    "bic",
    "loglik",
    "sigma2",
    "fitted_values",
    "residuals",
    "forecasts",
    "forecast_lower",
    "forecast_upper",
    "accuracy",
    "n_obs"
  ],
  "additionalProperties": false
}"##),
};
