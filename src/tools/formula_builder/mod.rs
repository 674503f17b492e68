//! The formula tools: building a model formula from a description and
//! checking one against data. One file per tool.

tool_files! {
    build_formula,
    validate_formula,
}
