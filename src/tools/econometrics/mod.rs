//! The econometrics tools: one file per tool.

tool_files! {
    instrumental_variables,
    panel_regression,
    var_model,
}
