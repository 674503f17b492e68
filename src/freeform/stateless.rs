//! What the free-form tools tell the model when they run for a request of
//! protocol 2026-07-28 (the stateless revision). Such a request has no
//! session: its R worker and workspace are fresh and end with the request,
//! so nothing it creates, approves or registers is there for the next one.
//! The notes say so plainly, per tool, so the model neither expects objects
//! to persist nor reads an empty listing as "the objects were deleted".
//!
//! It owns the wording; the handlers beside it run the tools, `mcp` adds
//! the note.

/// The note for tool `name` on the stateless path, if it needs one.
pub(crate) fn note(name: &str) -> Option<&'static str> {
    Some(match name {
        "execute_r_analysis" => {
            "Note: this request (protocol 2026-07-28, stateless) ran in a fresh R workspace that ended with the call; objects created here do not persist. Put all the steps in one call, or use a 2025-11-25 session to keep objects between calls."
        }
        "list_r_objects" | "inspect_r_object" => {
            "Note: on the stateless path (protocol 2026-07-28) each request has its own fresh R workspace, so this sees only objects made in this request, never those of earlier calls. Use a 2025-11-25 session to inspect objects across calls."
        }
        "get_r_session_info" => {
            "Note: on the stateless path (protocol 2026-07-28) this describes a fresh R worker for this request alone; R's version and the installed packages hold for every request, loaded packages and approvals do not carry over."
        }
        "approve_r_package" | "approve_operation" => {
            "Note: on the stateless path (protocol 2026-07-28) an approval lasts only for this request; later requests start without it. Use a 2025-11-25 session to keep approvals."
        }
        "setup_r_bidirectional" | "create_r_callback_session" | "handle_r_callback"
        | "list_callback_sessions" => {
            "Note: on the stateless path (protocol 2026-07-28) callback sessions live only as long as this request; a later request sees none of them. Use a 2025-11-25 session for callbacks across calls."
        }
        _ => return None,
    })
}
