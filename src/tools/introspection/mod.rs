//! The introspection tools: the caller's live R workspace; one file per tool, run by `crate::worker`.

pub(crate) mod get_r_session_info;
pub(crate) mod inspect_r_object;
pub(crate) mod list_r_objects;
pub(crate) mod list_r_packages;

/// This category's tools.
pub(crate) const TOOLS: &[&crate::tools::spec::ToolSpec] = &[
    &list_r_objects::SPEC,
    &inspect_r_object::SPEC,
    &get_r_session_info::SPEC,
    &list_r_packages::SPEC,
];
