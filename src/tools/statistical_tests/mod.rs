//! The statistical tests tools: one file per tool.

pub(crate) mod anova;
pub(crate) mod chi_square_test;
pub(crate) mod normality_test;
pub(crate) mod t_test;

/// This category's tools.
pub(crate) const TOOLS: &[&crate::tools::spec::ToolSpec] = &[
    &anova::SPEC,
    &chi_square_test::SPEC,
    &normality_test::SPEC,
    &t_test::SPEC,
];
