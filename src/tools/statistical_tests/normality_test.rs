//! `normality_test`: Normality test. The statistics are computed by
//! `r/statistical_tests/normality_test.R` (`tool_normality_test`); this file declares the tool: its
//! description, input schema (names, types, enums and required fields as the
//! Python rmcp 0.12 server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "normality_test",
    title: "Normality test",
    description: "Test whether a numeric column is normally distributed with Shapiro-Wilk, Jarque-Bera or Anderson-Darling, as requested (the reference always runs Shapiro-Wilk); also reports mean, sd, skewness and excess kurtosis.",
    category: "statistical_tests",
    runs: Runs::R(RCall {
        function: "tool_normality_test",
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
    "test": {
      "type": "string",
      "enum": [
        "shapiro",
        "jarque_bera",
        "anderson"
      ],
      "default": "shapiro"
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
    "test_name": {
      "type": "string",
      "enum": [
        "Shapiro-Wilk normality test",
        "Jarque-Bera normality test",
        "Anderson-Darling normality test"
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
    "is_normal": {
      "type": "boolean"
    },
    "variable": {
      "type": "string"
    },
    "n_obs": {
      "type": "integer",
      "minimum": 1
    },
    "mean": {
      "type": "number"
    },
    "sd": {
      "type": "number",
      "minimum": 0
    },
    "skewness": {
      "type": "number"
    },
    "excess_kurtosis": {
      "type": "number"
    }
  },
  "required": [
    "test_name",
    "statistic",
    "p_value",
    "is_normal",
    "variable",
    "n_obs",
    "mean",
    "sd",
    "skewness",
    "excess_kurtosis"
  ],
  "additionalProperties": false
}"##),
};
