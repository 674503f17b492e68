//! `correlation_heatmap`: Correlation heatmap. The statistics are computed by
//! `r/visualization/correlation_heatmap.R` (`tool_correlation_heatmap`); this file declares the tool: its
//! description, input schema (names, types, enums and required fields as the
//! Python rmcp 0.12 server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "correlation_heatmap",
    title: "Correlation heatmap",
    description: "Heatmap of the correlation matrix of numeric columns with the coefficients printed in each cell, returned as a PNG image together with the matrix.",
    category: "visualization",
    runs: Runs::R(RCall {
        function: "tool_correlation_heatmap",
        files: FileAccess::Write(&["png"]),
        randomness: Randomness::Deterministic,
        check: None,
    }),
    annotations: Annotations::WRITES_FILE,
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
      ],
      "default": "pearson"
    },
    "title": {
      "type": "string"
    },
    "file_path": {
      "type": "string"
    },
    "return_image": {
      "type": "boolean",
      "default": true
    },
    "width": {
      "type": "integer",
      "minimum": 100,
      "default": 800
    },
    "height": {
      "type": "integer",
      "minimum": 100,
      "default": 800
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
    "plot_type": {
      "type": "string",
      "enum": [
        "heatmap"
      ]
    },
    "correlation_matrix": {
      "type": "object",
      "additionalProperties": {
        "type": "array",
        "items": {
          "type": [
            "number",
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
    "n_variables": {
      "type": "integer",
      "minimum": 2
    },
    "dimensions": {
      "type": "object",
      "properties": {
        "width": {
          "type": "integer"
        },
        "height": {
          "type": "integer"
        }
      }
    },
    "image_data": {
      "type": "string"
    },
    "image_mime_type": {
      "type": "string",
      "enum": [
        "image/png"
      ]
    }
  },
  "required": [
    "plot_type",
    "correlation_matrix",
    "variables",
    "method",
    "n_variables"
  ]
}"##),
};
