//! `anova`: Analysis of variance. The statistics are computed by
//! `r/statistical_tests/anova.R` (`tool_anova`); this file declares the tool: its
//! description, input schema (names, types, enums and required fields as the
//! Python rmcp 0.12 server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "anova",
    title: "Analysis of variance",
    description: "ANOVA table for a linear model formula: sums of squares, mean squares, F values and p-values per term. Type I (sequential) by default; Type II and III via car::Anova are computed as requested (the reference ignores `type`).",
    category: "statistical_tests",
    runs: Runs::R(RCall {
        function: "tool_anova",
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
    "formula": {
      "type": "string",
      "pattern": "^[^~]+~[^~]+$",
      "x-rmcp-formula": true
    },
    "type": {
      "type": "string",
      "enum": [
        "I",
        "II",
        "III"
      ],
      "default": "I"
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
    "anova_table": {
      "type": "object",
      "properties": {
        "terms": {
          "type": "array",
          "items": {
            "type": "string"
          }
        },
        "df": {
          "type": "array",
          "items": {
            "type": "integer"
          }
        },
        "sum_sq": {
          "type": "array",
          "items": {
            "type": "number"
          }
        },
        "mean_sq": {
          "type": "array",
          "items": {
            "type": "number"
          }
        },
        "f_value": {
          "type": "array",
          "items": {
            "type": "number"
          }
        },
        "p_value": {
          "type": "array",
          "items": {
            "type": "number"
          }
        }
      }
    },
    "model_summary": {
      "type": "object",
      "properties": {
        "r_squared": {
          "type": "number",
          "minimum": 0,
          "maximum": 1
        },
        "adj_r_squared": {
          "type": "number",
          "maximum": 1
        },
        "residual_se": {
          "type": "number",
          "minimum": 0
        },
        "df_residual": {
          "type": "integer",
          "minimum": 0
        },
        "n_obs": {
          "type": "integer",
          "minimum": 1
        }
      }
    },
    "formula": {
      "type": "string"
    },
    "anova_type": {
      "type": "string",
      "enum": [
        "Type I",
        "Type II",
        "Type III"
      ]
    }
  },
  "required": [
    "anova_table",
    "model_summary",
    "formula",
    "anova_type"
  ],
  "additionalProperties": false
}"##),
};
