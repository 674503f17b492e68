//! `load_example`: Load an example dataset. The work is done by `r/helpers/load_example.R`
//! (`tool_load_example`); this file declares the tool: its description, input
//! schema (names, types, enums and required fields as the Python rmcp 0.12
//! server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "load_example",
    title: "Load an example dataset",
    description: "Load a synthetic example dataset with known structure for trying the analysis tools: sales (sales vs marketing spend, seasonal), economics (a five-country panel: GDP growth, unemployment, investment), customers (churn with tenure, charges, contract), timeseries (trend + seasonality + AR noise) or survey (satisfaction, purchases, education, income). Sizes small/medium/large = 20/100/500 rows; add_noise perturbs the measured columns. Same arguments, same data (fixed seed). Returns the table, per-column statistics and suggested analyses.",
    category: "helpers",
    runs: Runs::R(RCall {
        function: "tool_load_example",
        files: FileAccess::NoFile,
        randomness: Randomness::Deterministic,
        check: None,
    }),
    annotations: Annotations::READ_ONLY,
    tasks: crate::tools::TaskSupport::Forbidden,
    input_schema: r##"{
  "properties": {
    "dataset_name": {
      "type": "string",
      "enum": [
        "sales",
        "economics",
        "customers",
        "timeseries",
        "survey"
      ]
    },
    "size": {
      "type": "string",
      "enum": [
        "small",
        "medium",
        "large"
      ],
      "default": "small"
    },
    "add_noise": {
      "type": "boolean",
      "default": false
    }
  },
  "required": [
    "dataset_name"
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
            "string",
            "number",
            "boolean",
            "null"
          ]
        }
      }
    },
    "metadata": {
      "type": "object",
      "properties": {
        "name": {
          "type": "string",
          "enum": [
            "sales",
            "economics",
            "customers",
            "timeseries",
            "survey"
          ]
        },
        "description": {
          "type": "string"
        },
        "size": {
          "type": "string",
          "enum": [
            "small",
            "medium",
            "large"
          ]
        },
        "rows": {
          "type": "integer",
          "minimum": 1
        },
        "columns": {
          "type": "integer",
          "minimum": 1
        },
        "has_noise": {
          "type": "boolean"
        }
      }
    },
    "statistics": {
      "type": "object",
      "additionalProperties": {
        "type": "object",
        "properties": {
          "mean": {
            "type": "number"
          },
          "sd": {
            "type": "number",
            "minimum": 0
          },
          "min": {
            "type": "number"
          },
          "max": {
            "type": "number"
          },
          "missing": {
            "type": "integer",
            "minimum": 0
          }
        }
      }
    },
    "suggested_analyses": {
      "type": "array",
      "items": {
        "type": "string"
      }
    },
    "variable_info": {
      "type": "object",
      "properties": {
        "numeric_variables": {
          "type": "array",
          "items": {
            "type": "string"
          }
        },
        "categorical_variables": {
          "type": "array",
          "items": {
            "type": "string"
          }
        },
        "variable_types": {
          "type": "object",
          "additionalProperties": {
            "type": "string"
          }
        }
      }
    }
  },
  "required": [
    "data",
    "metadata",
    "statistics",
    "suggested_analyses",
    "variable_info"
  ],
  "additionalProperties": false
}"##),
};
