//! The file tools: reading and writing CSV, Excel and JSON through the
//! sandbox, and inspecting and filtering tables. One file per tool.

tool_files! {
    data_info,
    filter_data,
    read_csv,
    read_excel,
    read_json,
    write_csv,
    write_excel,
    write_json,
}
