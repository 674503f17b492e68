//! `kmeans_clustering`: K-means clustering. The statistics are computed by
//! `r/machine_learning/kmeans_clustering.R` (`tool_kmeans_clustering`); this file declares the tool: its
//! description, input schema (names, types, enums and required fields as the
//! Python rmcp 0.12 server advertises them) and output schema.

use crate::tools::spec::{Annotations, FileAccess, RCall, Randomness, Runs, ToolSpec};

pub(crate) const SPEC: ToolSpec = ToolSpec {
    name: "kmeans_clustering",
    title: "K-means clustering",
    description: "K-means clustering of the listed numeric columns (standardised first; fixed seed for reproducible results): cluster assignments, centres, sizes, within/between sums of squares, variance explained and the mean silhouette width.",
    category: "machine_learning",
    runs: Runs::R(RCall {
        function: "tool_kmeans_clustering",
        files: FileAccess::NoFile,
        randomness: Randomness::Seeded,
        check: None,
    }),
    annotations: Annotations::READ_ONLY,
    tasks: crate::tools::TaskSupport::Optional,
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
    "variables": {
      "type": "array",
      "items": {
        "type": "string"
      }
    },
    "k": {
      "type": "integer",
      "minimum": 2,
      "maximum": 20
    },
    "max_iter": {
      "type": "integer",
      "minimum": 1,
      "default": 100
    },
    "nstart": {
      "type": "integer",
      "minimum": 1,
      "default": 25
    }
  },
  "required": [
    "data",
    "variables",
    "k"
  ],
  "type": "object",
  "additionalProperties": false
}"##,
    output_schema: Some(r##"{
  "type": "object",
  "properties": {
    "cluster_assignments": {
      "type": "array",
      "items": {
        "type": "integer"
      }
    },
    "cluster_centers": {
      "type": "object",
      "additionalProperties": {
        "type": "array",
        "items": {
          "type": "number"
        }
      }
    },
    "cluster_sizes": {
      "type": "object",
      "additionalProperties": {
        "type": "integer"
      }
    },
    "within_ss": {
      "type": "array",
      "items": {
        "type": "number"
      }
    },
    "total_within_ss": {
      "type": "number",
      "minimum": 0
    },
    "between_ss": {
      "type": "number",
      "minimum": 0
    },
    "total_ss": {
      "type": "number",
      "minimum": 0
    },
    "variance_explained": {
      "type": "number",
      "minimum": 0,
      "maximum": 100
    },
    "silhouette_score": {
      "type": "number",
      "minimum": -1,
      "maximum": 1
    },
    "k": {
      "type": "integer",
      "minimum": 2,
      "maximum": 20
    },
    "variables": {
      "type": "array",
      "items": {
        "type": "string"
      }
    },
    "n_obs": {
      "type": "integer",
      "minimum": 1
    },
    "converged": {
      "type": "boolean"
    }
  },
  "required": [
    "cluster_assignments",
    "cluster_centers",
    "cluster_sizes",
    "within_ss",
    "total_within_ss",
    "between_ss",
    "total_ss",
    "variance_explained",
    "silhouette_score",
    "k",
    "variables",
    "n_obs",
    "converged"
  ],
  "additionalProperties": false
}"##),
};
