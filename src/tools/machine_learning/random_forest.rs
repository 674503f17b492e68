//! `random_forest`: Random forest. The statistics are computed by
//! `r/machine_learning/random_forest.R` (`tool_random_forest`); this file declares the tool: its
//! description, input schema (names, types, enums and required fields as the
//! Python rmcp 0.12 server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "random_forest",
    title: "Random forest",
    description: "Random forest (randomForest) for classification (character/factor response) or regression: out-of-bag error, confusion matrix and class errors or MSE and variance explained, and variable importance. Seeded per call, so results are reproducible.",
    category: "machine_learning",
    runs: Runs::R(RCall {
        function: "tool_random_forest",
        files: FileAccess::NoFile,
        randomness: Randomness::Seeded,
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
    "n_trees": {
      "type": "integer",
      "minimum": 1,
      "maximum": 1000,
      "default": 500
    },
    "mtry": {
      "type": "integer",
      "minimum": 1
    },
    "importance": {
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
    "problem_type": {
      "type": "string",
      "enum": [
        "classification",
        "regression"
      ]
    },
    "performance": {
      "type": "object",
      "properties": {
        "oob_error_rate": {
          "type": "number",
          "minimum": 0,
          "maximum": 1
        },
        "confusion_matrix": {
          "type": "array",
          "items": {
            "type": "array",
            "items": {
              "type": "number"
            }
          }
        },
        "class_error": {
          "type": "object",
          "additionalProperties": {
            "type": "number"
          }
        },
        "mse": {
          "type": "number",
          "minimum": 0
        },
        "rmse": {
          "type": "number",
          "minimum": 0
        },
        "variance_explained": {
          "type": "number",
          "maximum": 100
        }
      },
      "additionalProperties": false
    },
    "variable_importance": {
      "type": [
        "object",
        "null"
      ],
      "additionalProperties": {
        "type": "number"
      }
    },
    "n_trees": {
      "type": "integer",
      "minimum": 1,
      "maximum": 1000
    },
    "mtry": {
      "type": "integer",
      "minimum": 1
    },
    "oob_error": {
      "type": "number",
      "minimum": 0
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
    "problem_type",
    "performance",
    "n_trees",
    "mtry",
    "oob_error",
    "formula",
    "n_obs"
  ],
  "additionalProperties": false
}"##),
};
