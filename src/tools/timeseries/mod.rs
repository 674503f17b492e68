//! The timeseries tools: one file per tool.

pub(crate) mod arima_model;
pub(crate) mod decompose_timeseries;
pub(crate) mod stationarity_test;

/// This category's tools.
pub(crate) const TOOLS: &[&crate::tools::spec::ToolSpec] = &[
    &arima_model::SPEC,
    &decompose_timeseries::SPEC,
    &stationarity_test::SPEC,
];
