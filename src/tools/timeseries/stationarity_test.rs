//! `stationarity_test`: Stationarity test. The statistics are computed by
//! `r/timeseries/stationarity_test.R` (`tool_stationarity_test`); this file declares the tool: its
//! description, input schema (names, types, enums and required fields as the
//! Python rmcp 0.12 server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "stationarity_test",
    title: "Stationarity test",
    description: "Augmented Dickey-Fuller, KPSS or Phillips-Perron test (tseries) of a series; reports the statistic, p-value and whether the series looks stationary at the 5% level.",
    category: "timeseries",
    runs: Runs::R(RCall {
        function: "tool_stationarity_test",
        files: FileAccess::NoFile,
        randomness: Randomness::Deterministic,
        check: None,
    }),
    annotations: Annotations::READ_ONLY,
    tasks: crate::tools::TaskSupport::Optional,
    input_schema: r##"{
  "properties": {
    "data": {
      "type": "object",
      "properties": {
        "values": {
          "type": "array",
          "items": {
            "type": "number"
          }
        }
      },
      "required": [
        "values"
      ]
    },
    "test": {
      "type": "string",
      "enum": [
        "adf",
        "kpss",
        "pp"
      ],
      "default": "adf"
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
    "test_name": {
      "type": "string",
      "enum": [
        "Augmented Dickey-Fuller",
        "KPSS",
        "Phillips-Perron"
      ]
    },
    "test_type": {
      "type": "string",
      "enum": [
        "adf",
        "kpss",
        "pp"
      ]
    },
    "statistic": {
      "type": "number"
    },
    "p_value": {
      "type": "number",
      "minimum": 0,
      "maximum": 1
    },
    "critical_values": {
      "type": "object",
      "additionalProperties": {
        "type": "number"
      }
    },
    "alternative": {
      "type": "string"
    },
    "is_stationary": {
      "type": "boolean"
    },
    "n_obs": {
      "type": "integer",
      "minimum": 1
    }
  },
  "required": [
    "test_name",
    "test_type",
    "statistic",
    "p_value",
    "critical_values",
    "alternative",
    "is_stationary",
    "n_obs"
  ],
  "additionalProperties": false
}"##),
};
