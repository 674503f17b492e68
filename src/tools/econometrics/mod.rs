//! The econometrics tools: one file per tool.

pub(crate) mod instrumental_variables;
pub(crate) mod panel_regression;
pub(crate) mod var_model;

/// This category's tools.
pub(crate) const TOOLS: &[&crate::tools::spec::ToolSpec] = &[
    &instrumental_variables::SPEC,
    &panel_regression::SPEC,
    &var_model::SPEC,
];
