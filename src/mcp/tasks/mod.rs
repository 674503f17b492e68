//! Tasks (SEP-2663, the extension `io.modelcontextprotocol/tasks`): a
//! `tools/call` of a long tool answers at once with a task id, the work goes
//! on without the request, and the client polls `tasks/get` for the status
//! and, once terminal, the result inlined; `tasks/update` answers the
//! questions a running task asked (elicitation, sampling, roots), and
//! `tasks/cancel` stops it.
//!
//! Layout: this file holds the bounds, the statuses and who may see a task
//! (its creator only: the session of an older revision, the credential of
//! a 2026-07-28 request); `task` one task (its state, its questions to the
//! client, its wire shapes); `store` the task store ([`TaskStore`]: the
//! records and their bounds, a TTL after they settle, a count and result
//! bytes per client and in all, the oldest finished tasks evicted first,
//! with a small bounded list of tombstones that say plainly why an id is
//! gone); `run` the `tools/call` branch that creates and runs tasks;
//! `methods` the `tasks/*` methods; `time` timestamps. It knows no R and
//! no HTTP.

mod methods;
mod run;
mod store;
mod task;
mod time;

pub use methods::TASK_METHODS;
pub use store::TaskStore;
pub(crate) use task::{Outcome, Task};

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rmcp::model::ErrorData;
use serde_json::{json, Map, Value};

use super::modern::{modern_code, META_CLIENT_CAPABILITIES};
use super::session::Session;

/// The extension's id, in `capabilities.extensions`.
pub const TASKS_EXTENSION: &str = "io.modelcontextprotocol/tasks";

/// The bounds of the task store (`RMCP_TASK_*`).
#[derive(Debug, Clone)]
pub struct TaskLimits {
    /// How long a settled task's result is kept (reported as `ttlMs`).
    pub ttl: Duration,
    /// How often a client should poll (`pollIntervalMs`).
    pub poll_interval: Duration,
    /// Tasks one client (session or credential) may hold, running or not.
    pub max_per_client: usize,
    /// Bytes of results one client may hold.
    pub max_bytes_per_client: usize,
    /// Tasks the server holds in all.
    pub max_total: usize,
    /// Bytes of results the server holds in all.
    pub max_total_bytes: usize,
}

impl Default for TaskLimits {
    fn default() -> Self {
        TaskLimits {
            ttl: Duration::from_secs(3600),
            poll_interval: Duration::from_millis(500),
            max_per_client: 100,
            max_bytes_per_client: 64 << 20,
            max_total: 10_000,
            max_total_bytes: 512 << 20,
        }
    }
}

/// Where a task stands (the wire's `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Working,
    InputRequired,
    Completed,
    Failed,
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Working => "working",
            Status::InputRequired => "input_required",
            Status::Completed => "completed",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Completed | Status::Failed | Status::Cancelled)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether this request negotiated the extension: in the session's
/// capabilities (`initialize`, or a 2026-07-28 request's `_meta`), or
/// opted in for this request alone in `_meta`.
pub(super) fn negotiated(session: &Session, params: &Map<String, Value>) -> bool {
    let declares = |capabilities: &Value| {
        capabilities
            .get("extensions")
            .and_then(|extensions| extensions.get(TASKS_EXTENSION))
            .is_some_and(|value| !value.is_null())
    };
    session
        .handshake()
        .is_some_and(|handshake| declares(&handshake.client_capabilities))
        || params
            .get("_meta")
            .and_then(|meta| meta.get(META_CLIENT_CAPABILITIES))
            .is_some_and(declares)
}

/// The -32021 error of a request that needs the extension the client did
/// not declare.
pub(super) fn missing_extension(what: &str) -> ErrorData {
    ErrorData::new(
        modern_code::MISSING_CAPABILITY,
        format!(
            "{what} needs the client capability extensions[{TASKS_EXTENSION:?}]; declare it in the client's capabilities"
        ),
        Some(json!({"requiredCapabilities": {"extensions": {TASKS_EXTENSION: {}}}})),
    )
}

/// Whose tasks a request sees: the session's (older revisions) or the
/// credential's (2026-07-28, where each request has a session of its own).
pub(super) fn owner_of(session: &Session) -> String {
    if super::modern::is_modern(session) {
        format!("key:{}", session.principal().as_deref().unwrap_or(""))
    } else {
        format!("session:{}", session.id)
    }
}

/// The owner key of the older revisions' session `id`.
pub(super) fn session_owner(id: &str) -> String {
    format!("session:{id}")
}
