//! `time_series_plot`: Time series plot. The statistics are computed by
//! `r/visualization/time_series_plot.R` (`tool_time_series_plot`); this file declares the tool: its
//! description, input schema (names, types, enums and required fields as the
//! Python rmcp 0.12 server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "time_series_plot",
    title: "Time series plot",
    description: "Line plot of a series over dates (ISO 8601) or its index, with an optional smoothed trend, returned as a PNG image, with summary statistics.",
    category: "visualization",
    runs: Runs::R(RCall {
        function: "tool_time_series_plot",
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
      "properties": {
        "values": {
          "type": "array",
          "items": {
            "type": "number"
          }
        },
        "dates": {
          "type": "array",
          "items": {
            "type": "string",
            "format": "date"
          }
        }
      },
      "required": [
        "values"
      ],
      "additionalProperties": false
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
    "show_trend": {
      "type": "boolean",
      "default": true
    },
    "width": {
      "type": "integer",
      "minimum": 100,
      "default": 1000
    },
    "height": {
      "type": "integer",
      "minimum": 100,
      "default": 600
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
        "time_series_plot"
      ]
    },
    "statistics": {
      "type": "object",
      "properties": {
        "mean": {
          "type": "number"
        },
        "sd": {
          "type": [
            "number",
            "null"
          ]
        },
        "min": {
          "type": "number"
        },
        "max": {
          "type": "number"
        },
        "range": {
          "type": "number"
        },
        "n_obs": {
          "type": "integer"
        }
      }
    },
    "has_dates": {
      "type": "boolean"
    },
    "time_axis": {
      "type": "object",
      "properties": {
        "type": {
          "type": "string",
          "enum": [
            "date",
            "index"
          ]
        },
        "start": {
          "type": [
            "string",
            "integer"
          ]
        },
        "end": {
          "type": [
            "string",
            "integer"
          ]
        },
        "span_days": {
          "type": "number"
        }
      },
      "required": [
        "type",
        "start",
        "end"
      ],
      "additionalProperties": false
    },
    "show_trend": {
      "type": "boolean"
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
    "statistics",
    "has_dates",
    "time_axis",
    "show_trend"
  ]
}"##),
};
