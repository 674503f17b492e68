//! The file tools: reading and writing CSV, Excel and JSON through the
//! sandbox, and inspecting and filtering tables. One file per tool.

pub(crate) mod data_info;
pub(crate) mod filter_data;
pub(crate) mod read_csv;
pub(crate) mod read_excel;
pub(crate) mod read_json;
pub(crate) mod write_csv;
pub(crate) mod write_excel;
pub(crate) mod write_json;

/// This category's tools.
pub(crate) const TOOLS: &[&crate::tools::spec::ToolSpec] = &[
    &data_info::SPEC,
    &filter_data::SPEC,
    &read_csv::SPEC,
    &read_excel::SPEC,
    &read_json::SPEC,
    &write_csv::SPEC,
    &write_excel::SPEC,
    &write_json::SPEC,
];
