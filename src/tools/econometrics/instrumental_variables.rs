//! `instrumental_variables`: Instrumental variables (2SLS). The statistics are computed by
//! `r/econometrics/instrumental_variables.R` (`tool_instrumental_variables`); this file declares the tool: its
//! description, input schema (names, types, enums and required fields as the
//! Python rmcp 0.12 server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "instrumental_variables",
    title: "Instrumental variables (2SLS)",
    description: "Two-stage least squares with AER::ivreg; write the formula as 'y ~ x + w | z + w' (instruments after the bar). Returns coefficients with (robust by default) standard errors and the weak-instrument, Wu-Hausman and Sargan diagnostics.",
    category: "econometrics",
    runs: Runs::R(RCall {
        function: "tool_instrumental_variables",
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
    "robust": {
      "type": "boolean",
      "default": true
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
      "maximum": 1
    },
    "adj_r_squared": {
      "type": "number",
      "maximum": 1
    },
    "weak_instruments": {
      "type": "object",
      "properties": {
        "statistic": {
          "type": "number"
        },
        "p_value": {
          "type": "number",
          "minimum": 0,
          "maximum": 1
        }
      }
    },
    "wu_hausman": {
      "type": "object",
      "properties": {
        "statistic": {
          "type": "number"
        },
        "p_value": {
          "type": "number",
          "minimum": 0,
          "maximum": 1
        }
      }
    },
    "sargan": {
      "type": "object",
      "properties": {
        "statistic": {
          "type": "number"
        },
        "p_value": {
          "type": "number",
          "minimum": 0,
          "maximum": 1
        }
      }
    },
    "robust_se": {
      "type": "boolean"
    },
    "formula": {
      "type": "string"
    },
    "n_obs": {
      "type": "integer",
      "minimum": 1
    }
  },
  "required": [
    "coefficients",
    "std_errors",
    "t_values",
    "p_values",
    "r_squared",
    "adj_r_squared",
    "weak_instruments",
    "wu_hausman",
    "sargan",
    "robust_se",
    "formula",
    "n_obs"
  ],
  "additionalProperties": false
}"##),
};
