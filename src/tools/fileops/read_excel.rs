//! `read_excel`: Read an Excel workbook. The work is done by `r/fileops/read_excel.R`
//! (`tool_read_excel`); this file declares the tool: its description, input
//! schema (names, types, enums and required fields as the Python rmcp 0.12
//! server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "read_excel",
    title: "Read an Excel workbook",
    description: "Read one sheet of an .xlsx or .xls workbook from the server's readable folders with readxl: sheet name (default the first; an unknown name lists the sheets), header row, rows to skip, a row limit, a cell range such as A1:D10, missing-value markers. Returns the table column-wise, the workbook's sheets, column types, missing values and a sample.",
    category: "fileops",
    runs: Runs::R(RCall {
        function: "tool_read_excel",
        files: FileAccess::Read(&["xlsx", "xls"]),
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
    "sheet_name": {
      "type": "string"
    },
    "header": {
      "type": "boolean",
      "default": true
    },
    "skip_rows": {
      "type": "integer",
      "minimum": 0,
      "default": 0
    },
    "max_rows": {
      "type": "integer",
      "minimum": 1
    },
    "cell_range": {
      "type": "string"
    },
    "na_strings": {
      "type": "array",
      "items": {
        "type": "string"
      },
      "default": [
        "",
        "NA",
        "NULL"
      ]
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
        "sheet_name": {
          "type": "string"
        },
        "available_sheets": {
          "type": "array",
          "items": {
            "type": "string"
          }
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
          "type": "number",
          "minimum": 0
        },
        "modified_date": {
          "type": "string",
          "format": "date-time"
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
