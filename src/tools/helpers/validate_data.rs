//! `validate_data`: Check data before an analysis. The work is done by `r/helpers/validate_data.R`
//! (`tool_validate_data`); this file declares the tool: its description, input
//! schema (names, types, enums and required fields as the Python rmcp 0.12
//! server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "validate_data",
    title: "Check data before an analysis",
    description: "Check a table before an analysis: size, column types, numbers stored as text, missing values, constant columns, extreme outliers (beyond 3 IQR), duplicate rows, plus rules for the analysis type (regression, correlation, timeseries, classification, general). Problems that make the analysis impossible are errors; the rest are warnings (errors too with strict). Returns is_valid, the findings, a data-quality summary and recommendations.",
    category: "helpers",
    runs: Runs::R(RCall {
        function: "tool_validate_data",
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
    "analysis_type": {
      "type": "string",
      "enum": [
        "regression",
        "correlation",
        "timeseries",
        "classification",
        "general"
      ],
      "default": "general"
    },
    "strict": {
      "type": "boolean",
      "default": false
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
    "is_valid": {
      "type": "boolean"
    },
    "warnings": {
      "type": "array",
      "items": {
        "type": "string"
      }
    },
    "errors": {
      "type": "array",
      "items": {
        "type": "string"
      }
    },
    "suggestions": {
      "type": "array",
      "items": {
        "type": "string"
      }
    },
    "data_quality": {
      "type": "object",
      "properties": {
        "dimensions": {
          "type": "object",
          "properties": {
            "rows": {
              "type": "integer",
              "minimum": 0
            },
            "columns": {
              "type": "integer",
              "minimum": 0
            }
          }
        },
        "variable_types": {
          "type": "object",
          "properties": {
            "numeric": {
              "type": "integer",
              "minimum": 0
            },
            "character": {
              "type": "integer",
              "minimum": 0
            },
            "factor": {
              "type": "integer",
              "minimum": 0
            },
            "logical": {
              "type": "integer",
              "minimum": 0
            }
          }
        },
        "missing_values": {
          "type": "object",
          "properties": {
            "total_missing_cells": {
              "type": "integer",
              "minimum": 0
            },
            "variables_with_missing": {
              "type": "integer",
              "minimum": 0
            },
            "max_missing_percentage": {
              "type": "number",
              "minimum": 0,
              "maximum": 100
            }
          }
        },
        "data_issues": {
          "type": "object",
          "properties": {
            "constant_variables": {
              "type": "integer",
              "minimum": 0
            },
            "high_outlier_variables": {
              "type": "integer",
              "minimum": 0
            },
            "duplicate_rows": {
              "type": [
                "integer",
                "null"
              ],
              "minimum": 0
            }
          }
        }
      }
    },
    "recommendations": {
      "type": "array",
      "items": {
        "type": "string"
      }
    }
  },
  "required": [
    "is_valid",
    "warnings",
    "errors",
    "suggestions",
    "data_quality",
    "recommendations"
  ],
  "additionalProperties": false
}"##),
};
