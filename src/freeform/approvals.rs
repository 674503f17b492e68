//! What a workspace approved and registered, kept beside its worker in
//! `session::SessionState`: [`Approvals`] (packages, operations, writable
//! folders, from approve_r_package and approve_operation) and its callback
//! sessions ([`Callbacks`], from the bidirectional tools). Plain records:
//! the handlers in `flexible` and `callbacks` change them, `session` keeps
//! them for their workspace.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// What a workspace approved through approve_r_package and approve_operation.
#[derive(Debug, Default, Clone)]
pub struct Approvals {
    /// Packages loadable besides the allowlist.
    pub packages: BTreeSet<String>,
    /// Approved operations by category (`file_operations` → `write.csv`).
    pub operations: BTreeMap<String, BTreeSet<String>>,
    /// Directories this workspace's R may write.
    pub write_dirs: Vec<PathBuf>,
}

/// A callback session: which catalog tools R code may call, until when.
#[derive(Debug, Clone)]
pub struct CallbackSession {
    pub id: String,
    pub name: String,
    pub allowed_tools: Vec<String>,
    pub created: Instant,
    /// How long it accepts callbacks after creation.
    pub lifetime: Duration,
    pub calls: u64,
}

impl CallbackSession {
    /// Time left before it expires (zero once expired).
    pub fn remaining(&self) -> Duration {
        self.lifetime.saturating_sub(self.created.elapsed())
    }

    pub fn describe(&self, active: bool) -> Value {
        json!({
            "callback_session_id": self.id,
            "session_name": self.name,
            "allowed_tools": self.allowed_tools,
            "timeout_minutes": self.lifetime.as_secs_f64() / 60.0,
            "seconds_remaining": self.remaining().as_secs(),
            "expired": self.remaining().is_zero(),
            "callbacks_made": self.calls,
            "active": active,
        })
    }
}

/// A session's callback sessions; R code's `rmcp_call()` uses the active one.
#[derive(Debug, Default)]
pub struct Callbacks {
    pub sessions: BTreeMap<String, CallbackSession>,
    pub active: Option<String>,
}
