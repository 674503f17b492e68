//! `suggest_fix`: Diagnose an error. The work is done by `r/helpers/suggest_fix.R`
//! (`tool_suggest_fix`); this file declares the tool: its description, input
//! schema (names, types, enums and required fields as the Python rmcp 0.12
//! server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "suggest_fix",
    title: "Diagnose an error",
    description: "Turn an error message (from R or from one of these tools) into a diagnosis and concrete fixes: the kind of error (missing package, missing variable, formula syntax, file not found, data type, missing values, memory/size, general), what to try, quick fixes such as the install command for a missing package, next steps and documentation links. Given the data and the call's parameters, it also checks them (a misspelt column gets its closest match).",
    category: "helpers",
    runs: Runs::R(RCall {
        function: "tool_suggest_fix",
        files: FileAccess::NoFile,
        randomness: Randomness::Deterministic,
        check: None,
    }),
    annotations: Annotations::READ_ONLY,
    tasks: crate::tools::TaskSupport::Forbidden,
    input_schema: r##"{
  "properties": {
    "error_message": {
      "type": "string"
    },
    "tool_name": {
      "type": "string"
    },
    "data": {
      "type": "object"
    },
    "parameters": {
      "type": "object"
    }
  },
  "required": [
    "error_message"
  ],
  "type": "object",
  "additionalProperties": false
}"##,
    output_schema: Some(r##"{
  "type": "object",
  "properties": {
    "error_type": {
      "type": "string",
      "enum": [
        "missing_package",
        "missing_variable",
        "formula_syntax",
        "file_not_found",
        "data_type",
        "missing_values",
        "memory_size",
        "general"
      ]
    },
    "suggestions": {
      "type": "array",
      "items": {
        "type": "string"
      }
    },
    "data_suggestions": {
      "type": "array",
      "items": {
        "type": "string"
      }
    },
    "next_steps": {
      "type": "array",
      "items": {
        "type": "string"
      }
    },
    "documentation_links": {
      "type": "array",
      "items": {
        "type": "string"
      }
    },
    "quick_fixes": {
      "type": "array",
      "items": {
        "type": "string"
      }
    }
  },
  "required": [
    "error_type",
    "suggestions",
    "data_suggestions",
    "next_steps",
    "documentation_links",
    "quick_fixes"
  ],
  "additionalProperties": false
}"##),
};
