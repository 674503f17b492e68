//! The timeseries tools: one file per tool.

tool_files! {
    arima_model,
    decompose_timeseries,
    stationarity_test,
}
