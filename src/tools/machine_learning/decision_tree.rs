//! `decision_tree`: Decision tree. The statistics are computed by
//! `r/machine_learning/decision_tree.R` (`tool_decision_tree`); this file declares the tool: its
//! description, input schema (names, types, enums and required fields as the
//! Python rmcp 0.12 server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "decision_tree",
    title: "Decision tree",
    description: "Classification or regression tree with rpart: predictions, variable importance, number of nodes, complexity, and accuracy with a confusion matrix (classification) or MSE, RMSE and R² (regression).",
    category: "machine_learning",
    runs: Runs::R(RCall {
        function: "tool_decision_tree",
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
    "type": {
      "type": "string",
      "enum": [
        "classification",
        "regression"
      ],
      "default": "classification"
    },
    "min_split": {
      "type": "integer",
      "minimum": 1,
      "default": 20
    },
    "max_depth": {
      "type": "integer",
      "minimum": 1,
      "default": 30
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
    "tree_type": {
      "type": "string",
      "enum": [
        "classification",
        "regression"
      ]
    },
    "performance": {
      "type": "object",
      "properties": {
        "accuracy": {
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
        "mse": {
          "type": "number",
          "minimum": 0
        },
        "rmse": {
          "type": "number",
          "minimum": 0
        },
        "r_squared": {
          "type": "number",
          "maximum": 1
        }
      },
      "additionalProperties": false
    },
    "variable_importance": {
      "type": "object",
      "additionalProperties": {
        "type": "number"
      }
    },
    "predictions": {
      "type": "array",
      "items": {
        "type": "number"
      }
    },
    "n_nodes": {
      "type": "integer",
      "minimum": 1
    },
    "n_obs": {
      "type": "integer",
      "minimum": 1
    },
    "formula": {
      "type": "string"
    },
    "tree_complexity": {
      "type": "number",
      "minimum": 0
    }
  },
  "required": [
    "tree_type",
    "performance",
    "variable_importance",
    "predictions",
    "n_nodes",
    "n_obs",
    "formula",
    "tree_complexity"
  ],
  "additionalProperties": false
}"##),
};
