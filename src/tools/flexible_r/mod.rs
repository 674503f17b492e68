//! The free-form R tools (execute_r_analysis, the package allowlist and
//! approvals); one file per tool, run by `crate::worker`.

pub(crate) mod approve_operation;
pub(crate) mod approve_r_package;
pub(crate) mod execute_r_analysis;
pub(crate) mod list_allowed_r_packages;
pub(crate) mod stateless;

/// This category's tools.
pub(crate) const TOOLS: &[&crate::tools::spec::ToolSpec] = &[
    &execute_r_analysis::SPEC,
    &list_allowed_r_packages::SPEC,
    &approve_r_package::SPEC,
    &approve_operation::SPEC,
];

/// The reference's package allowlist (`shared/spec/r-package-allowlist.json`):
/// category → package names.
pub(crate) const ALLOWLIST_JSON: &str = include_str!("r-package-allowlist.json");

/// The twelve free-form tools (this category, introspection and
/// bidirectional) as MCP tool definitions, sorted by name.
pub(crate) fn definitions() -> Result<Vec<rmcp::model::Tool>, serde_json::Error> {
    let mut specs: Vec<&crate::tools::spec::ToolSpec> = [
        TOOLS,
        super::introspection::TOOLS,
        super::bidirectional::TOOLS,
    ]
    .concat();
    specs.sort_by_key(|spec| spec.name);
    specs.into_iter().map(definition).collect()
}

fn definition(spec: &crate::tools::spec::ToolSpec) -> Result<rmcp::model::Tool, serde_json::Error> {
    let input: serde_json::Value = serde_json::from_str(spec.input_schema)?;
    let mut tool = serde_json::json!({
        "name": spec.name,
        "title": spec.title,
        "description": spec.description,
        "inputSchema": input,
        "annotations": {
            "title": spec.title,
            "readOnlyHint": spec.read_only,
            "destructiveHint": false,
            "idempotentHint": spec.read_only,
            "openWorldHint": false,
        },
        "_meta": {"rmcp/category": spec.category},
    });
    if let Some(output) = spec.output_schema {
        tool["outputSchema"] = serde_json::from_str(output)?;
    }
    serde_json::from_value(tool)
}
