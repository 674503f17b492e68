//! `histogram`: Histogram. The statistics are computed by
//! `r/visualization/histogram.R` (`tool_histogram`); this file declares the tool: its
//! description, input schema (names, types, enums and required fields as the
//! Python rmcp 0.12 server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "histogram",
    title: "Histogram",
    description: "Histogram with a density curve of one numeric column, optionally by group, returned as a PNG image, with mean, median, sd, skewness and kurtosis.",
    category: "visualization",
    runs: Runs::R(RCall {
        function: "tool_histogram",
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
    "bins": {
      "type": "integer",
      "minimum": 5,
      "maximum": 100,
      "default": 30
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
        "histogram"
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
    "bins": {
      "type": "integer"
    },
    "statistics": {
      "type": "object",
      "properties": {
        "mean": {
          "type": "number"
        },
        "median": {
          "type": "number"
        },
        "sd": {
          "type": "number"
        },
        "skewness": {
          "type": "number"
        },
        "kurtosis": {
          "type": "number"
        }
      }
    },
    "n_obs": {
      "type": "integer",
      "minimum": 0
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
    "bins",
    "statistics",
    "n_obs"
  ]
}"##),
};
