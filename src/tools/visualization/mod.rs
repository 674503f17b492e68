//! The visualization tools: one file per tool.

pub(crate) mod boxplot;
pub(crate) mod correlation_heatmap;
pub(crate) mod histogram;
pub(crate) mod regression_plot;
pub(crate) mod scatter_plot;
pub(crate) mod time_series_plot;

/// This category's tools.
pub(crate) const TOOLS: &[&crate::tools::spec::ToolSpec] = &[
    &boxplot::SPEC,
    &correlation_heatmap::SPEC,
    &histogram::SPEC,
    &regression_plot::SPEC,
    &scatter_plot::SPEC,
    &time_series_plot::SPEC,
];
