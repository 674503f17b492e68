//! What the free-form tools tell the model when they run for a request of
//! protocol 2026-07-28 (the stateless revision). Such a request has no
//! session, so its R workspace is reached by the handle the answer names
//! (`workspace`): the notes say to pass it on, since a call without it
//! starts a new, empty workspace. Callback sessions, which take no handle,
//! still last one request only, and the notes say so plainly, so the model
//! neither expects them to persist nor reads an empty listing as "deleted".
//!
//! It owns the wording; the handlers beside it run the tools, `mcp` adds
//! the note.

/// The note for tool `name` on the stateless path, if it needs one.
pub(crate) fn note(name: &str) -> Option<&'static str> {
    Some(match name {
        "execute_r_analysis" => {
            "Note: this request (protocol 2026-07-28) has no session; an R workspace is kept under the handle an answer names (\"Workspace: …\", structuredContent.workspace). Pass it as `workspace` in later calls to use its objects; a call without it starts a new, empty workspace. An unused workspace expires after a while."
        }
        "list_r_objects" | "inspect_r_object" | "get_r_session_info" | "list_r_packages" => {
            "Note: on protocol 2026-07-28 (no session) this looks at the R workspace named by `workspace`; without it a new, empty workspace is used. Pass the handle execute_r_analysis returned to see its objects."
        }
        "approve_r_package" | "approve_operation" => {
            "Note: on protocol 2026-07-28 (no session) an approval belongs to the R workspace this answer names; pass that handle as `workspace` to execute_r_analysis to use it. Without `workspace` the approval goes to a new workspace."
        }
        "setup_r_bidirectional" | "create_r_callback_session" | "handle_r_callback"
        | "list_callback_sessions" => {
            "Note: on the stateless path (protocol 2026-07-28) callback sessions live only as long as this request; a later request sees none of them. Use a 2025-11-25 session for callbacks across calls."
        }
        _ => return None,
    })
}
