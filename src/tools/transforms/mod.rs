//! The transforms tools: one file per tool.

pub(crate) mod difference;
pub(crate) mod lag_lead;
pub(crate) mod standardize;
pub(crate) mod winsorize;

/// This category's tools.
pub(crate) const TOOLS: &[&crate::tools::spec::ToolSpec] = &[
    &difference::SPEC,
    &lag_lead::SPEC,
    &standardize::SPEC,
    &winsorize::SPEC,
];
