//! `correlation_analysis`: Correlation matrix with tests. The statistics are computed by
//! `r/regression/correlation_analysis.R` (`tool_correlation_analysis`); this file declares the tool: its
//! description, input schema (names, types, enums and required fields as the
//! Python rmcp 0.12 server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "correlation_analysis",
    title: "Correlation matrix with tests",
    description: "Correlation matrix of the numeric columns (or the listed variables) by Pearson, Spearman or Kendall, with a cor.test for every pair (estimate, p-value, confidence interval) and pairwise complete-observation counts.",
    category: "regression",
    runs: Runs::R(RCall {
        function: "tool_correlation_analysis",
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
    "method": {
      "type": "string",
      "enum": [
        "pearson",
        "spearman",
        "kendall"
      ]
    },
    "use": {
      "type": "string",
      "enum": [
        "everything",
        "all.obs",
        "complete.obs",
        "na.or.complete",
        "pairwise.complete.obs"
      ]
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
    "correlation_matrix": {
      "type": "object",
      "additionalProperties": {
        "type": "object",
        "additionalProperties": {
          "type": "number"
        }
      }
    },
    "significance_tests": {
      "type": "object",
      "properties": {
        "p_values": {
          "type": "object",
          "additionalProperties": {
            "type": "object",
            "additionalProperties": {
              "type": "number"
            }
          }
        },
        "test_statistics": {
          "type": "object",
          "additionalProperties": {
            "type": "object",
            "additionalProperties": {
              "type": "number"
            }
          }
        }
      }
    },
    "method": {
      "type": "string",
      "enum": [
        "pearson",
        "spearman",
        "kendall"
      ]
    },
    "n_obs": {
      "type": "object",
      "additionalProperties": {
        "type": "object",
        "additionalProperties": {
          "type": "integer"
        }
      }
    },
    "variables": {
      "type": "array",
      "items": {
        "type": "string"
      }
    }
  },
  "required": [
    "correlation_matrix",
    "method",
    "variables"
  ],
  "additionalProperties": false
}"##),
};
