//! `t_test`: t-test. The statistics are computed by
//! `r/statistical_tests/t_test.R` (`tool_t_test`); this file declares the tool: its
//! description, input schema (names, types, enums and required fields as the
//! Python rmcp 0.12 server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "t_test",
    title: "t-test",
    description: "One-sample t-test of a column against mu, or a two-sample test between the two groups of `group` (Welch's by default, pooled variance with var_equal, paired with paired). Returns the statistic, df, p-value, confidence interval and means.",
    category: "statistical_tests",
    runs: Runs::R(RCall {
        function: "tool_t_test",
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
    "variable": {
      "type": "string"
    },
    "group": {
      "type": "string"
    },
    "mu": {
      "type": "number",
      "default": 0
    },
    "alternative": {
      "type": "string",
      "enum": [
        "two.sided",
        "less",
        "greater"
      ],
      "default": "two.sided"
    },
    "paired": {
      "type": "boolean",
      "default": false
    },
    "var_equal": {
      "type": "boolean",
      "default": false
    }
  },
  "required": [
    "data",
    "variable"
  ],
  "type": "object",
  "additionalProperties": false
}"##,
    output_schema: Some(r##"{
  "type": "object",
  "properties": {
    "test_type": {
      "type": "string",
      "enum": [
        "One-sample t-test",
        "Paired t-test",
        "Two-sample t-test (equal variances)",
        "Welch's t-test"
      ]
    },
    "statistic": {
      "type": "number"
    },
    "df": {
      "type": "number",
      "minimum": 0
    },
    "p_value": {
      "type": "number",
      "minimum": 0,
      "maximum": 1
    },
    "confidence_interval": {
      "type": "object",
      "properties": {
        "lower": {
          "type": "number"
        },
        "upper": {
          "type": "number"
        },
        "level": {
          "type": "number",
          "minimum": 0,
          "maximum": 1
        }
      }
    },
    "alternative": {
      "type": "string",
      "enum": [
        "two.sided",
        "less",
        "greater"
      ]
    },
    "mean": {
      "type": "number"
    },
    "null_value": {
      "type": "number"
    },
    "n_obs": {
      "type": "integer",
      "minimum": 1
    },
    "mean_x": {
      "type": "number"
    },
    "mean_y": {
      "type": "number"
    },
    "mean_difference": {
      "type": "number"
    },
    "groups": {
      "type": "array",
      "items": {
        "type": "string"
      }
    },
    "paired": {
      "type": "boolean"
    },
    "var_equal": {
      "type": "boolean"
    },
    "n_obs_x": {
      "type": "integer",
      "minimum": 1
    },
    "n_obs_y": {
      "type": "integer",
      "minimum": 1
    }
  },
  "required": [
    "test_type",
    "statistic",
    "df",
    "p_value",
    "confidence_interval",
    "alternative"
  ],
  "additionalProperties": false
}"##),
};
