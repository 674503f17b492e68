//! The machine learning tools: one file per tool.

pub(crate) mod decision_tree;
pub(crate) mod kmeans_clustering;
pub(crate) mod random_forest;

/// This category's tools.
pub(crate) const TOOLS: &[&crate::tools::spec::ToolSpec] = &[
    &decision_tree::SPEC,
    &kmeans_clustering::SPEC,
    &random_forest::SPEC,
];
