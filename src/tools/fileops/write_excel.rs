//! `write_excel`: Write an Excel workbook. The work is done by `r/fileops/write_excel.R`
//! (`tool_write_excel`); this file declares the tool: its description, input
//! schema (names, types, enums and required fields as the Python rmcp 0.12
//! server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "write_excel",
    title: "Write an Excel workbook",
    description: "Write a table to one sheet of a new .xlsx workbook with openxlsx (missing values as empty cells, true/false as Excel booleans). Writes only into folders the server allows writes to (a configured writable folder, or one approved for this session with approve_operation). Returns the sheet, rows, columns and bytes written.",
    category: "fileops",
    runs: Runs::R(RCall {
        function: "tool_write_excel",
        files: FileAccess::Write(&["xlsx"]),
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
    "sheet_name": {
      "type": "string",
      "default": "Sheet1"
    },
    "include_rownames": {
      "type": "boolean",
      "default": false
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
    "sheet_name": {
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
    "sheet_name",
    "rows_written",
    "cols_written",
    "file_size_bytes",
    "success",
    "timestamp"
  ],
  "additionalProperties": false
}"##),
};
