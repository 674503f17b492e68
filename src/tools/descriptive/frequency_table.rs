//! `frequency_table`: Frequency tables. The statistics are computed by
//! `r/descriptive/frequency_table.R` (`tool_frequency_table`); this file declares the tool: its
//! description, input schema (names, types, enums and required fields as the
//! Python rmcp 0.12 server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "frequency_table",
    title: "Frequency tables",
    description: "Counts (and optionally percentages) of each value of the listed columns, missing values included, sorted by frequency or by value.",
    category: "descriptive",
    runs: Runs::R(RCall {
        function: "tool_frequency_table",
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
    "variables": {
      "type": "array",
      "items": {
        "type": "string"
      }
    },
    "include_percentages": {
      "type": "boolean",
      "default": true
    },
    "sort_by": {
      "type": "string",
      "enum": [
        "frequency",
        "value"
      ],
      "default": "frequency"
    }
  },
  "required": [
    "data",
    "variables"
  ],
  "type": "object",
  "additionalProperties": false
}"##,
    output_schema: Some(r##"{
  "type": "object",
  "properties": {
    "frequency_tables": {
      "type": "object",
      "additionalProperties": {
        "type": "object",
        "properties": {
          "values": {
            "type": "array",
            "items": {
              "type": "string"
            }
          },
          "frequencies": {
            "type": "array",
            "items": {
              "type": "integer"
            }
          },
          "percentages": {
            "type": "array",
            "items": {
              "type": "number"
            }
          },
          "n_total": {
            "type": "integer",
            "minimum": 0
          },
          "n_missing": {
            "type": "integer",
            "minimum": 0
          },
          "missing_percentage": {
            "type": "number",
            "minimum": 0,
            "maximum": 100
          }
        },
        "required": [
          "values",
          "frequencies",
          "n_total"
        ]
      }
    },
    "variables": {
      "type": "array",
      "items": {
        "type": "string"
      }
    },
    "total_observations": {
      "type": "integer",
      "minimum": 0
    }
  },
  "required": [
    "frequency_tables",
    "variables",
    "total_observations"
  ],
  "additionalProperties": false
}"##),
};
