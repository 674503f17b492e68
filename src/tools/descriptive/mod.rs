//! The descriptive tools: one file per tool.

pub(crate) mod frequency_table;
pub(crate) mod outlier_detection;
pub(crate) mod summary_stats;

/// This category's tools.
pub(crate) const TOOLS: &[&crate::tools::spec::ToolSpec] = &[
    &frequency_table::SPEC,
    &outlier_detection::SPEC,
    &summary_stats::SPEC,
];
