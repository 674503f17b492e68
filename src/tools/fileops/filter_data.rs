//! `filter_data`: Filter rows. The work is done by `r/fileops/filter_data.R`
//! (`tool_filter_data`); this file declares the tool: its description, input
//! schema (names, types, enums and required fields as the Python rmcp 0.12
//! server advertises them) and output schema, and checks the conditions
//! before R runs: every condition names a column of `data`, has only the
//! fields variable, operator and value, and a value of the shape its
//! operator needs.

use serde_json::{Map, Value};

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "filter_data",
    title: "Filter rows",
    description: "Keep the rows of a table that meet structured conditions {variable, operator, value} combined with AND or OR; operators ==, !=, >, <, >=, <=, %in%, !%in%. Conditions are data, never code: values are compared literally (numbers against numeric columns, text against text). Comparisons never match missing cells; use == null / != null to select missing / present values, and null inside an %in% list to include missing cells. Unknown columns are refused. Returns the filtered table and counts.",
    category: "fileops",
    runs: Runs::R(RCall {
        function: "tool_filter_data",
        files: FileAccess::NoFile,
        randomness: Randomness::Deterministic,
        check: Some(check_conditions),
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
    "conditions": {
      "type": "array",
      "minItems": 1,
      "items": {
        "type": "object",
        "properties": {
          "variable": {
            "type": "string"
          },
          "operator": {
            "type": "string",
            "enum": [
              "==",
              "!=",
              ">",
              "<",
              ">=",
              "<=",
              "%in%",
              "!%in%"
            ]
          },
          "value": {}
        },
        "required": [
          "variable",
          "operator",
          "value"
        ],
        "additionalProperties": false,
        "allOf": [
          {
            "if": {
              "properties": {
                "operator": {
                  "enum": [
                    "%in%",
                    "!%in%"
                  ]
                }
              },
              "required": [
                "operator"
              ]
            },
            "then": {
              "properties": {
                "value": {
                  "type": "array",
                  "minItems": 1,
                  "items": {
                    "type": [
                      "string",
                      "number",
                      "boolean",
                      "null"
                    ]
                  }
                }
              }
            }
          },
          {
            "if": {
              "properties": {
                "operator": {
                  "enum": [
                    "==",
                    "!="
                  ]
                }
              },
              "required": [
                "operator"
              ]
            },
            "then": {
              "properties": {
                "value": {
                  "type": [
                    "string",
                    "number",
                    "boolean",
                    "null"
                  ]
                }
              }
            }
          },
          {
            "if": {
              "properties": {
                "operator": {
                  "enum": [
                    ">",
                    "<",
                    ">=",
                    "<="
                  ]
                }
              },
              "required": [
                "operator"
              ]
            },
            "then": {
              "properties": {
                "value": {
                  "type": [
                    "string",
                    "number",
                    "boolean"
                  ]
                }
              }
            }
          }
        ]
      }
    },
    "logic": {
      "type": "string",
      "enum": [
        "AND",
        "OR"
      ],
      "default": "AND"
    }
  },
  "required": [
    "data",
    "conditions"
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
    "filter_expression": {
      "type": "string"
    },
    "original_rows": {
      "type": "integer",
      "minimum": 0
    },
    "filtered_rows": {
      "type": "integer",
      "minimum": 0
    },
    "rows_removed": {
      "type": "integer",
      "minimum": 0
    },
    "removal_percentage": {
      "type": "number",
      "minimum": 0,
      "maximum": 100
    }
  },
  "required": [
    "data",
    "filter_expression",
    "original_rows",
    "filtered_rows",
    "rows_removed",
    "removal_percentage"
  ],
  "additionalProperties": false
}"##),
};

/// Comparison operators a condition may use.
const OPERATORS: &[&str] = &["==", "!=", ">", "<", ">=", "<=", "%in%", "!%in%"];

/// Checks `conditions` against the columns of `data` (the schema has
/// already been checked when the call came through `tools/call`; this also
/// guards direct calls). Errors name the condition, e.g.
/// `conditions[1].variable`.
fn check_conditions(arguments: &Map<String, Value>) -> Result<(), String> {
    let columns: Vec<&str> = match arguments.get("data") {
        Some(Value::Object(columns)) => columns.keys().map(String::as_str).collect(),
        _ => return Ok(()),
    };
    let conditions = match arguments.get("conditions") {
        Some(Value::Array(conditions)) if !conditions.is_empty() => conditions,
        _ => {
            return Err("conditions: needs at least one condition; pass e.g. [{\"variable\": \"age\", \"operator\": \">\", \"value\": 30}]".into())
        }
    };
    let available = || {
        let shown: Vec<String> = columns.iter().take(30).map(|c| format!("'{c}'")).collect();
        format!("available columns: {}", shown.join(", "))
    };
    for (index, condition) in conditions.iter().enumerate() {
        let at = format!("conditions[{index}]");
        let Value::Object(fields) = condition else {
            return Err(format!(
                "{at}: must be an object {{\"variable\": ..., \"operator\": ..., \"value\": ...}}"
            ));
        };
        if let Some(extra) = fields
            .keys()
            .find(|key| !["variable", "operator", "value"].contains(&key.as_str()))
        {
            return Err(format!(
                "{at}: unknown field '{extra}'; a condition has only variable, operator and value"
            ));
        }
        let Some(Value::String(variable)) = fields.get("variable") else {
            return Err(format!("{at}.variable: must be a column name (a string)"));
        };
        if !columns.contains(&variable.as_str()) {
            return Err(format!(
                "{at}.variable: column '{variable}' not found in data; {}",
                available()
            ));
        }
        let operator = match fields.get("operator") {
            Some(Value::String(op)) if OPERATORS.contains(&op.as_str()) => op.as_str(),
            _ => {
                return Err(format!(
                    "{at}.operator: must be one of {}",
                    OPERATORS.join(", ")
                ))
            }
        };
        let Some(value) = fields.get("value") else {
            return Err(format!(
                "{at}.value: is required (null selects missing values with == and !=)"
            ));
        };
        let scalar = |v: &Value| !matches!(v, Value::Array(_) | Value::Object(_));
        match operator {
            "%in%" | "!%in%" => match value {
                Value::Array(items) if !items.is_empty() && items.iter().all(scalar) => {}
                _ => {
                    return Err(format!(
                        "{at}.value: {operator} needs a non-empty list of plain values, e.g. [\"a\", \"b\", null]"
                    ))
                }
            },
            "==" | "!=" if scalar(value) => {}
            "==" | "!=" => {
                return Err(format!(
                    "{at}.value: {operator} needs one value (or null for missing values); use %in% for a list"
                ))
            }
            _ if scalar(value) && !value.is_null() => {}
            _ => {
                return Err(format!(
                    "{at}.value: {operator} needs one number or text, not null or a list"
                ))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(conditions: Value) -> Result<(), String> {
        let arguments =
            json!({"data": {"x": [1, 2], "name": ["a", "b"]}, "conditions": conditions});
        check_conditions(arguments.as_object().expect("object"))
    }

    #[test]
    fn conditions_are_checked_before_r() {
        assert!(check(json!([{"variable": "x", "operator": ">", "value": 1}])).is_ok());
        assert!(check(json!([{"variable": "x", "operator": "==", "value": null}])).is_ok());
        assert!(
            check(json!([{"variable": "name", "operator": "%in%", "value": ["a", null]}])).is_ok()
        );
        let unknown =
            check(json!([{"variable": "y", "operator": ">", "value": 1}])).expect_err("column");
        assert!(
            unknown.starts_with("conditions[0].variable: column 'y' not found"),
            "{unknown}"
        );
        assert!(unknown.contains("'x', 'name'"), "{unknown}");
        let nested = check(json!([{"variable": "x", "operator": ">", "value": 1, "code": "q()"}]))
            .expect_err("field");
        assert!(nested.contains("unknown field 'code'"), "{nested}");
        assert!(check(json!([{"variable": "x", "operator": ">", "value": null}])).is_err());
        assert!(check(json!([{"variable": "x", "operator": "%in%", "value": []}])).is_err());
        assert!(check(json!([{"variable": "x", "operator": "%in%", "value": [[1]]}])).is_err());
        assert!(check(json!([{"variable": "x", "operator": "==", "value": [1]}])).is_err());
        assert!(check(json!([{"variable": "x", "operator": "like", "value": 1}])).is_err());
        assert!(check(json!([])).is_err());
    }
}
