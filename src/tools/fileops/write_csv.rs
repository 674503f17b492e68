//! `write_csv`: Write a CSV file. The work is done by `r/fileops/write_csv.R`
//! (`tool_write_csv`); this file declares the tool: its description, input
//! schema (names, types, enums and required fields as the Python rmcp 0.12
//! server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "write_csv",
    title: "Write a CSV file",
    description: "Write a table to a .csv file (tab-separated for .tsv) with R's write.csv, UTF-8, missing values as na_string. Writes only into folders the server allows writes to: a configured writable folder, or one approved for this session with approve_operation; the file appears only once it is complete. Returns the rows, columns and bytes written.",
    category: "fileops",
    runs: Runs::R(RCall {
        function: "tool_write_csv",
        files: FileAccess::Write(&["csv", "tsv", "txt"]),
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
    "include_rownames": {
      "type": "boolean",
      "default": false
    },
    "na_string": {
      "type": "string",
      "default": ""
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
    "file_size_bytes": {
      "type": "number",
      "minimum": 0
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
    "file_size_bytes",
    "success",
    "timestamp"
  ],
  "additionalProperties": false
}"##),
};
