//! The callback tools: R code calling catalog tools; one file per tool, run by `crate::worker`.

pub(crate) mod create_r_callback_session;
pub(crate) mod handle_r_callback;
pub(crate) mod list_callback_sessions;
pub(crate) mod setup_r_bidirectional;

/// This category's tools.
pub(crate) const TOOLS: &[&crate::tools::spec::ToolSpec] = &[
    &setup_r_bidirectional::SPEC,
    &create_r_callback_session::SPEC,
    &handle_r_callback::SPEC,
    &list_callback_sessions::SPEC,
];
