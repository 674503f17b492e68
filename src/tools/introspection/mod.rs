//! The introspection tools: the caller's live R workspace; one file per tool, run by `crate::freeform`.

tool_files! {
    get_r_session_info,
    inspect_r_object,
    list_r_objects,
    list_r_packages,
}
