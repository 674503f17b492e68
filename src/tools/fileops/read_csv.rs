//! `read_csv`: Read a CSV file. The work is done by `r/fileops/read_csv.R`
//! (`tool_read_csv`); this file declares the tool: its description, input
//! schema (names, types, enums and required fields as the Python rmcp 0.12
//! server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "read_csv",
    title: "Read a CSV file",
    description: "Read a delimited text file (.csv, .tsv, .txt) from the server's readable folders (paths relative to its working folder) with R's read.csv: header, separator, missing-value markers, rows to skip and a row limit. Ragged rows and binary files are refused with the line at fault. Returns the table column-wise, file facts, column types, missing values and a sample. Remote URLs are not fetched.",
    category: "fileops",
    runs: Runs::R(RCall {
        function: "tool_read_csv",
        files: FileAccess::Read(&["csv", "tsv", "txt"]),
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
    "header": {
      "type": "boolean",
      "default": true
    },
    "sep": {
      "type": "string",
      "default": ","
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
    },
    "skip_rows": {
      "type": "integer",
      "minimum": 0,
      "default": 0
    },
    "max_rows": {
      "type": "integer",
      "minimum": 1
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
        "is_url": {
          "type": "boolean"
        },
        "n_rows": {
          "type": "integer",
          "minimum": 0
        },
        "n_cols": {
          "type": "integer",
          "minimum": 0
        },
        "column_names": {
          "type": "array",
          "items": {
            "type": "string"
          }
        },
        "numeric_variables": {
          "type": "array",
          "items": {
            "type": "string"
          }
        },
        "character_variables": {
          "type": "array",
          "items": {
            "type": "string"
          }
        },
        "factor_variables": {
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
        }
      }
    },
    "parsing_info": {
      "type": "object",
      "properties": {
        "header": {
          "type": "boolean"
        },
        "separator": {
          "type": "string"
        },
        "na_strings": {
          "type": "array",
          "items": {
            "type": "string"
          }
        },
        "rows_skipped": {
          "type": "integer",
          "minimum": 0
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
    "parsing_info",
    "summary"
  ],
  "additionalProperties": false
}"##),
};
