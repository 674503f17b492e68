//! `boxplot`: Box plot. The statistics are computed by
//! `r/visualization/boxplot.R` (`tool_boxplot`); this file declares the tool: its
//! description, input schema (names, types, enums and required fields as the
//! Python rmcp 0.12 server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "boxplot",
    title: "Box plot",
    description: "Box plot of one numeric column, optionally split by group, returned as a PNG image, with median, quartiles, IQR and outliers.",
    category: "visualization",
    runs: Runs::R(RCall {
        function: "tool_boxplot",
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
    "variable": {
      "type": "string"
    },
    "group": {
      "type": [
        "string",
        "null"
      ],
      "default": null
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
      "default": 600
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
    "plot_type": {
      "type": "string",
      "enum": [
        "boxplot"
      ]
    },
    "variable": {
      "type": "string"
    },
    "group_variable": {
      "type": [
        "string",
        "null"
      ]
    },
    "summary_statistics": {
      "type": "object",
      "additionalProperties": {
        "type": "object",
        "properties": {
          "median": {
            "type": "number"
          },
          "q1": {
            "type": "number"
          },
          "q3": {
            "type": "number"
          },
          "iqr": {
            "type": "number"
          },
          "n": {
            "type": "integer"
          },
          "outliers": {
            "type": "integer"
          }
        }
      }
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
    "variable",
    "summary_statistics"
  ]
}"##),
};
