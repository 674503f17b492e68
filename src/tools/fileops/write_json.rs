//! `write_json`: Write a JSON file. The work is done by `r/fileops/write_json.R`
//! (`tool_write_json`); this file declares the tool: its description, input
//! schema (names, types, enums and required fields as the Python rmcp 0.12
//! server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "write_json",
    title: "Write a JSON file",
    description: "Write a table to a .json file as an array of records (one object per row), numbers at full precision and missing values as null, so read_json gives the same table back. Writes only into folders the server allows writes to (a configured writable folder, or one approved for this session with approve_operation). Returns the rows, columns, variables and bytes written.",
    category: "fileops",
    runs: Runs::R(RCall {
        function: "tool_write_json",
        files: FileAccess::Write(&["json"]),
        randomness: Randomness::Deterministic,
        check: None,
    }),
    annotations: Annotations::WRITES_FILE,
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
    "file_path": {
      "type": "string"
    },
    "pretty": {
      "type": "boolean",
      "default": true
    },
    "auto_unbox": {
      "type": "boolean",
      "default": true
    }
  },
  "required": [
    "data",
    "file_path"
  ],
  "type": "object",
  "additionalProperties": false
}"##,
    output_schema: Some(r##"{
  "type": "object",
  "properties": {
    "file_path": {
      "type": "string"
    },
    "rows_written": {
      "type": "integer",
      "minimum": 0
    },
    "cols_written": {
      "type": "integer",
      "minimum": 0
    },
    "variables_written": {
      "type": "array",
      "items": {
        "type": "string"
      }
    },
    "file_size_bytes": {
      "type": "number",
      "minimum": 0
    },
    "pretty_formatted": {
      "type": "boolean"
    },
    "success": {
      "type": "boolean",
      "enum": [
        true
      ]
    },
    "timestamp": {
      "type": "string"
    }
  },
  "required": [
    "file_path",
    "rows_written",
    "cols_written",
    "variables_written",
    "file_size_bytes",
    "pretty_formatted",
    "success",
    "timestamp"
  ],
  "additionalProperties": false
}"##),
};
