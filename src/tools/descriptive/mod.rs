//! The descriptive tools: one file per tool.

tool_files! {
    frequency_table,
    outlier_detection,
    summary_stats,
}
