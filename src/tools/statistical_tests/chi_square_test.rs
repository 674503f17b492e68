//! `chi_square_test`: Chi-square test. The statistics are computed by
//! `r/statistical_tests/chi_square_test.R` (`tool_chi_square_test`); this file declares the tool: its
//! description, input schema (names, types, enums and required fields as the
//! Python rmcp 0.12 server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "chi_square_test",
    title: "Chi-square test",
    description: "Chi-square test of independence between two categorical columns (contingency table, expected counts, residuals, Cramér's V) or goodness of fit of one column against expected proportions.",
    category: "statistical_tests",
    runs: Runs::R(RCall {
        function: "tool_chi_square_test",
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
    "test_type": {
      "type": "string",
      "enum": [
        "independence",
        "goodness_of_fit"
      ]
    },
    "x": {
      "type": "string"
    },
    "y": {
      "type": "string"
    },
    "expected": {
      "type": "array",
      "items": {
        "type": "number",
        "minimum": 0
      },
      "minItems": 1
    }
  },
  "required": [
    "data",
    "test_type",
    "x"
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
        "Chi-square test of independence",
        "Chi-square goodness of fit test"
      ]
    },
    "statistic": {
      "type": "number",
      "minimum": 0
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
    "expected_frequencies": {
      "type": "array",
      "items": {
        "type": "array",
        "items": {
          "type": "number"
        }
      }
    },
    "residuals": {
      "type": "array",
      "items": {
        "type": "array",
        "items": {
          "type": "number"
        }
      }
    },
    "contingency_table": {
      "type": "array",
      "items": {
        "type": "array",
        "items": {
          "type": "number"
        }
      }
    },
    "x_variable": {
      "type": "string"
    },
    "y_variable": {
      "type": "string"
    },
    "cramers_v": {
      "type": "number",
      "minimum": 0,
      "maximum": 1
    },
    "observed_frequencies": {
      "type": "array",
      "items": {
        "type": "number"
      }
    },
    "categories": {
      "type": "array",
      "items": {
        "type": "string"
      }
    }
  },
  "required": [
    "test_type",
    "statistic",
    "df",
    "p_value",
    "expected_frequencies",
    "residuals"
  ],
  "additionalProperties": false
}"##),
};
