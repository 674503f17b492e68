//! `read_json`: Read a JSON file. The work is done by `r/fileops/read_json.R`
//! (`tool_read_json`); this file declares the tool: its description, input
//! schema (names, types, enums and required fields as the Python rmcp 0.12
//! server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "read_json",
    title: "Read a JSON file",
    description: "Read a .json file from the server's readable folders as a table: an array of records (one row each), an object of equal-length columns, or an object wrapping one array of records; array_to_rows = false reads an object as one row. Nested objects are flattened into parent.child columns down to max_depth; deeper values and arrays stay JSON text. Ragged columns and invalid JSON are refused naming the problem.",
    category: "fileops",
    runs: Runs::R(RCall {
        function: "tool_read_json",
        files: FileAccess::Read(&["json"]),
        randomness: Randomness::Deterministic,
        check: None,
    }),
    annotations: Annotations::READ_ONLY,
    tasks: crate::tools::TaskSupport::Forbidden,
    input_schema: r##"{
  "properties": {
    "file_path": {
      "type": "string"
    },
    "flatten": {
      "type": "boolean",
      "default": true
    },
    "max_depth": {
      "type": "integer",
      "minimum": 1,
      "default": 3
    },
    "array_to_rows": {
      "type": "boolean",
      "default": true
    }
  },
  "required": [
    "file_path"
  ],
  "type": "object",
  "additionalProperties": false
}"##,
    output_schema: Some(r##"{
  "type": "object",
  "properties": {
    "data": {
      "type": "object",
      "additionalProperties": {
        "type": "array",
        "items": {
          "type": [
            "string",
            "number",
            "boolean",
            "null"
          ]
        }
      }
    },
    "file_info": {
      "type": "object",
      "properties": {
        "file_path": {
          "type": "string"
        },
        "rows": {
          "type": "integer",
          "minimum": 0
        },
        "columns": {
          "type": "integer",
          "minimum": 0
        },
        "column_names": {
          "type": "array",
          "items": {
            "type": "string"
          }
        },
        "file_size_bytes": {
          "type": [
            "number",
            "null"
          ]
        },
        "modified_date": {
          "type": [
            "string",
            "null"
          ],
          "format": "date-time"
        },
        "is_url": {
          "type": "boolean"
        }
      }
    },
    "summary": {
      "type": "object",
      "properties": {
        "rows_read": {
          "type": "integer",
          "minimum": 0
        },
        "columns_read": {
          "type": "integer",
          "minimum": 0
        },
        "column_types": {
          "type": "object",
          "additionalProperties": {
            "type": "string"
          }
        },
        "missing_values": {
          "type": "object",
          "additionalProperties": {
            "type": "integer"
          }
        },
        "sample_data": {
          "type": [
            "object",
            "array"
          ]
        }
      }
    }
  },
  "required": [
    "data",
    "file_info",
    "summary"
  ],
  "additionalProperties": false
}"##),
};
