//! The free-form R tools (execute_r_analysis, the package allowlist and
//! approvals); one file per tool, run by `crate::freeform`.

use crate::tools::spec::Runs;

tool_files! {
    approve_operation,
    approve_r_package,
    execute_r_analysis,
    list_allowed_r_packages,
}

/// The reference's package allowlist (its `r-package-allowlist.json`, copied here):
/// category → package names.
pub(crate) const ALLOWLIST_JSON: &str = include_str!("r-package-allowlist.json");

/// The free-form tools (every [`Runs::Worker`] declaration: this category,
/// introspection and bidirectional) as MCP tool definitions, sorted by name.
///
/// The error is a `serde_json::Error` because that is what
/// `crate::freeform::FreeFormError` takes; its message names the tool.
pub(crate) fn definitions() -> Result<Vec<rmcp::model::Tool>, serde_json::Error> {
    crate::tools::specs()
        .into_iter()
        .filter(|spec| matches!(spec.runs, Runs::Worker))
        .map(|spec| {
            spec.to_wire()
                .map(|wire| wire.tool)
                .map_err(serde::de::Error::custom)
        })
        .collect()
}
