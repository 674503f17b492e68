//! `validate_formula`: Check a model formula against data. The work is done by `r/formula_builder/validate_formula.R`
//! (`tool_validate_formula`); this file declares the tool: its description, input
//! schema (names, types, enums and required fields as the Python rmcp 0.12
//! server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "validate_formula",
    title: "Check a model formula against data",
    description: "Check an R model formula against a table before fitting. The text is parsed by R's parser and inspected, never evaluated: reports whether it parses (formula_parsed), which variables are missing from the data (with the closest column names), the types of those present, functions the model tools would refuse, and type problems for regression, ANOVA or correlation. is_valid says whether the formula can be used as is.",
    category: "formula_builder",
    runs: Runs::R(RCall {
        function: "tool_validate_formula",
        files: FileAccess::NoFile,
        randomness: Randomness::Deterministic,
        check: None,
    }),
    annotations: Annotations::READ_ONLY,
    tasks: crate::tools::TaskSupport::Forbidden,
    input_schema: r##"{
  "properties": {
    "formula": {
      "type": "string"
    },
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
        "anova",
        "correlation"
      ],
      "default": "regression"
    }
  },
  "required": [
    "formula",
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
    "missing_variables": {
      "type": "array",
      "items": {
        "type": "string"
      }
    },
    "existing_variables": {
      "type": "array",
      "items": {
        "type": "string"
      }
    },
    "available_variables": {
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
    },
    "warnings": {
      "type": "array",
      "items": {
        "type": "string"
      }
    },
    "formula_parsed": {
      "type": "boolean"
    },
    "error": {
      "type": "string"
    },
    "suggestions": {
      "type": "array",
      "items": {
        "type": "string"
      }
    },
    "analysis_type": {
      "type": "string",
      "enum": [
        "regression",
        "anova",
        "correlation"
      ]
    }
  },
  "required": [
    "is_valid",
    "formula_parsed",
    "suggestions",
    "analysis_type"
  ],
  "additionalProperties": false
}"##),
};
