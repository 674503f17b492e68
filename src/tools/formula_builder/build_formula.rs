//! `build_formula`: Build a model formula from a description. The work is done by `r/formula_builder/build_formula.R`
//! (`tool_build_formula`); this file declares the tool: its description, input
//! schema (names, types, enums and required fields as the Python rmcp 0.12
//! server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "build_formula",
    title: "Build a model formula from a description",
    description: "Turn a plain-language description such as \"predict sales from price and advertising, controlling for region\" into an R model formula (sales ~ price + advertising + region): predict/depends on/effect of/compare across/over time phrasings, controls and interactions. With data, names are matched to the columns (case, spaces and small misspellings forgiven) and the formula is validated. Returns the formula, the phrasing matched, alternatives, examples and an interpretation.",
    category: "formula_builder",
    runs: Runs::R(RCall {
        function: "tool_build_formula",
        files: FileAccess::NoFile,
        randomness: Randomness::Deterministic,
        check: None,
    }),
    annotations: Annotations::READ_ONLY,
    tasks: crate::tools::TaskSupport::Forbidden,
    input_schema: r##"{
  "properties": {
    "description": {
      "type": "string"
    },
    "data": {
      "type": "object"
    },
    "analysis_type": {
      "type": "string",
      "enum": [
        "regression",
        "correlation",
        "anova",
        "classification",
        "general"
      ],
      "default": "regression"
    },
    "suggest_alternatives": {
      "type": "boolean",
      "default": true
    }
  },
  "required": [
    "description"
  ],
  "type": "object",
  "additionalProperties": false
}"##,
    output_schema: Some(r##"{
  "type": "object",
  "properties": {
    "formula": {
      "type": [
        "string",
        "null"
      ]
    },
    "matched_pattern": {
      "type": [
        "string",
        "null"
      ]
    },
    "alternatives": {
      "type": "array",
      "items": {
        "type": "string"
      }
    },
    "validation": {
      "type": [
        "object",
        "null"
      ],
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
        }
      }
    },
    "examples": {
      "type": "array",
      "items": {
        "type": "object",
        "properties": {
          "description": {
            "type": "string"
          },
          "formula": {
            "type": "string"
          },
          "use_case": {
            "type": "string"
          }
        }
      }
    },
    "interpretation": {
      "type": [
        "string",
        "null"
      ]
    },
    "suggestions": {
      "type": "array",
      "items": {
        "type": "string"
      }
    }
  },
  "required": [
    "formula",
    "matched_pattern",
    "alternatives",
    "examples",
    "interpretation",
    "suggestions"
  ],
  "additionalProperties": false
}"##),
};
