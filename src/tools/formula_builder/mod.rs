//! The formula tools: building a model formula from a description and
//! checking one against data. One file per tool.

pub(crate) mod build_formula;
pub(crate) mod validate_formula;

/// This category's tools.
pub(crate) const TOOLS: &[&crate::tools::spec::ToolSpec] =
    &[&build_formula::SPEC, &validate_formula::SPEC];
