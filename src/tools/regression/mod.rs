//! The regression tools: one file per tool.

pub(crate) mod correlation_analysis;
pub(crate) mod linear_model;
pub(crate) mod logistic_regression;

/// This category's tools.
pub(crate) const TOOLS: &[&crate::tools::spec::ToolSpec] = &[
    &correlation_analysis::SPEC,
    &linear_model::SPEC,
    &logistic_regression::SPEC,
];
