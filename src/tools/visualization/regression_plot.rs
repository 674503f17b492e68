//! `regression_plot`: Regression diagnostics plot. The statistics are computed by
//! `r/visualization/regression_plot.R` (`tool_regression_plot`); this file declares the tool: its
//! description, input schema (names, types, enums and required fields as the
//! Python rmcp 0.12 server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "regression_plot",
    title: "Regression diagnostics plot",
    description: "Fitted-line plot of a linear model, with residual diagnostic panels (residuals vs fitted, normal Q-Q, scale-location) when residual_plots is true, returned as a PNG image with R² and residual SE.",
    category: "visualization",
    runs: Runs::R(RCall {
        function: "tool_regression_plot",
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
    "formula": {
      "type": "string",
      "pattern": "^[^~]+~[^~]+$",
      "x-rmcp-formula": true
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
    "residual_plots": {
      "type": "boolean",
      "default": true
    },
    "width": {
      "type": "integer",
      "minimum": 100,
      "default": 1200
    },
    "height": {
      "type": "integer",
      "minimum": 100,
      "default": 800
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
    "plot_type": {
      "type": "string",
      "enum": [
        "regression_plot"
      ]
    },
    "r_squared": {
      "type": "number",
      "minimum": 0,
      "maximum": 1
    },
    "adj_r_squared": {
      "type": [
        "number",
        "null"
      ],
      "maximum": 1
    },
    "residual_se": {
      "type": [
        "number",
        "null"
      ],
      "minimum": 0
    },
    "formula": {
      "type": "string"
    },
    "residual_plots": {
      "type": "boolean"
    },
    "n_obs": {
      "type": "integer",
      "minimum": 1
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
    "r_squared",
    "adj_r_squared",
    "residual_se",
    "formula",
    "residual_plots",
    "n_obs"
  ]
}"##),
};
