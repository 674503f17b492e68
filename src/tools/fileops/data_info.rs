//! `data_info`: Describe a table. The work is done by `r/fileops/data_info.R`
//! (`tool_data_info`); this file declares the tool: its description, input
//! schema (names, types, enums and required fields as the Python rmcp 0.12
//! server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "data_info",
    title: "Describe a table",
    description: "Describe a table's structure: rows and columns, the columns of each kind (numeric, text, factor, logical, dates, including ISO-8601 date strings), each column's type, missing values per column (count and percent), complete rows, memory used, and optionally the first rows.",
    category: "fileops",
    runs: Runs::R(RCall {
        function: "tool_data_info",
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
    "include_sample": {
      "type": "boolean",
      "default": true
    },
    "sample_size": {
      "type": "integer",
      "minimum": 1,
      "maximum": 100,
      "default": 5
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
    "dimensions": {
      "type": "object",
      "properties": {
        "rows": {
          "type": "integer",
          "minimum": 0
        },
        "columns": {
          "type": "integer",
          "minimum": 0
        }
      }
    },
    "variables": {
      "type": "object",
      "properties": {
        "all": {
          "type": "array",
          "items": {
            "type": "string"
          }
        },
        "numeric": {
          "type": "array",
          "items": {
            "type": "string"
          }
        },
        "character": {
          "type": "array",
          "items": {
            "type": "string"
          }
        },
        "factor": {
          "type": "array",
          "items": {
            "type": "string"
          }
        },
        "logical": {
          "type": "array",
          "items": {
            "type": "string"
          }
        },
        "date": {
          "type": "array",
          "items": {
            "type": "string"
          }
        }
      }
    },
    "variable_types": {
      "type": "object",
      "additionalProperties": {
        "type": "string"
      }
    },
    "missing_values": {
      "type": "object",
      "properties": {
        "counts": {
          "type": "object",
          "additionalProperties": {
            "type": "integer"
          }
        },
        "percentages": {
          "type": "object",
          "additionalProperties": {
            "type": "number"
          }
        },
        "total_missing": {
          "type": "integer",
          "minimum": 0
        },
        "complete_cases": {
          "type": "integer",
          "minimum": 0
        }
      }
    },
    "memory_usage_bytes": {
      "type": "number",
      "minimum": 0
    },
    "sample_data": {
      "type": [
        "object",
        "array"
      ]
    }
  },
  "required": [
    "dimensions",
    "variables",
    "variable_types",
    "missing_values",
    "memory_usage_bytes"
  ],
  "additionalProperties": false
}"##),
};
