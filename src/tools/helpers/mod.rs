//! The helper tools: checking data, diagnosing errors, example datasets.
//! One file per tool.

pub(crate) mod load_example;
pub(crate) mod suggest_fix;
pub(crate) mod validate_data;

/// This category's tools.
pub(crate) const TOOLS: &[&crate::tools::spec::ToolSpec] = &[
    &load_example::SPEC,
    &suggest_fix::SPEC,
    &validate_data::SPEC,
];
