//! The transforms tools: one file per tool.

tool_files! {
    difference,
    lag_lead,
    standardize,
    winsorize,
}
