//! The declaration every catalog tool file makes: a [`ToolSpec`] constant.
//! Schemas are JSON text, parsed once when the catalog is built; table and
//! formula arguments are found from the schema's `x-rmcp-table` and
//! `x-rmcp-formula` markers rather than listed twice.

/// One catalog tool, as declared in `src/tools/<category>/<tool>.rs`.
#[derive(Debug)]
pub(crate) struct ToolSpec {
    /// The MCP tool name (same as the Python rmcp 0.12 server's).
    pub name: &'static str,
    pub title: &'static str,
    /// Our own description, written for a model choosing a tool.
    pub description: &'static str,
    /// The reference's category (module) the tool belongs to.
    pub category: &'static str,
    /// The R function (in `r/<category>/<tool>.R`) that computes the result.
    pub r_function: &'static str,
    /// False for tools that may write files (plots with `file_path`).
    pub read_only: bool,
    /// JSON Schema of the arguments: names, types, enums and required fields
    /// as the reference advertises them.
    pub input_schema: &'static str,
    /// JSON Schema of `structuredContent`.
    pub output_schema: Option<&'static str>,
}
