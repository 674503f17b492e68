//! The visualization tools: one file per tool.

tool_files! {
    boxplot,
    correlation_heatmap,
    histogram,
    regression_plot,
    scatter_plot,
    time_series_plot,
}
