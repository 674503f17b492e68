//! The regression tools: one file per tool.

tool_files! {
    correlation_analysis,
    linear_model,
    logistic_regression,
}
