//! The callback tools: R code calling catalog tools; one file per tool, run by `crate::freeform`.

tool_files! {
    create_r_callback_session,
    handle_r_callback,
    list_callback_sessions,
    setup_r_bidirectional,
}
