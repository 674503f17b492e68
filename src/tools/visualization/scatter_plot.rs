//! `scatter_plot`: Scatter plot. The statistics are computed by
//! `r/visualization/scatter_plot.R` (`tool_scatter_plot`); this file declares the tool: its
//! description, input schema (names, types, enums and required fields as the
//! Python rmcp 0.12 server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "scatter_plot",
    title: "Scatter plot",
    description: "Scatter plot of two columns with a linear trend line, optionally coloured by group, returned as a PNG image; also reports the correlation and number of points.",
    category: "visualization",
    runs: Runs::R(RCall {
        function: "tool_scatter_plot",
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
    "x": {
      "type": "string"
    },
    "y": {
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
    "x",
    "y"
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
        "scatter"
      ]
    },
    "variables": {
      "type": "object",
      "properties": {
        "x": {
          "type": "string"
        },
        "y": {
          "type": "string"
        },
        "group": {
          "type": [
            "string",
            "null"
          ]
        }
      },
      "required": [
        "x",
        "y"
      ]
    },
    "statistics": {
      "type": "object",
      "properties": {
        "correlation": {
          "type": "number"
        },
        "n_points": {
          "type": "integer"
        },
        "trend_line": {
          "type": "object",
          "properties": {
            "slope": {
              "type": "number"
            },
            "intercept": {
              "type": "number"
            },
            "r_squared": {
              "type": "number"
            }
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
    "variables"
  ]
}"##),
};
