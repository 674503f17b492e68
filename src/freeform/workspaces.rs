//! Workspace handles refused: why a `workspace` argument names no workspace
//! ([`WorkspaceError`], worded for the model with the fix), and the memory
//! of handles whose workspace ended ([`Expired`]), so that such a handle is
//! told "expired" rather than "unknown".
//!
//! A handle of another credential gets the same answer as one never made:
//! a handle is a capability, and its refusal must not tell a guesser that
//! it exists. Which workspace a handle names is `session`'s business.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

/// How many ended handles are remembered; older ones become "unknown".
const REMEMBERED: usize = 10_000;

/// Why a call's `workspace` names no workspace it may use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkspaceError {
    /// No workspace has this handle, or its credential is not the caller's.
    #[error("workspace: R workspace '{handle}' not found (the handle is unknown here, or was made with another credential); call again without `workspace` to start a new workspace, then pass the handle it returns")]
    Unknown { handle: String },
    /// The workspace ended: idle past the TTL, or its session ended.
    #[error("workspace: R workspace '{handle}' has expired (it was idle for more than {idle_seconds} seconds, or the session that made it ended), and its objects and approvals are gone; call again without `workspace` to start a new workspace")]
    Expired { handle: String, idle_seconds: u64 },
    /// No random bytes for a new handle.
    #[error("workspace: no new R workspace could be made ({0}); retry shortly")]
    NoHandle(String),
}

impl WorkspaceError {
    pub(super) fn unknown(handle: &str) -> WorkspaceError {
        WorkspaceError::Unknown {
            handle: shown(handle),
        }
    }
}

/// `handle` as a refusal quotes it: at most 80 characters, so a huge or
/// hostile argument is not echoed whole.
fn shown(handle: &str) -> String {
    if handle.chars().count() <= 80 {
        handle.to_string()
    } else {
        let kept: String = handle.chars().take(80).collect();
        format!("{kept}…")
    }
}

/// The handles of ended workspaces with the credential that made each,
/// the most recent [`REMEMBERED`].
#[derive(Debug, Default)]
pub(super) struct Expired {
    owners: HashMap<Arc<str>, Option<Arc<str>>>,
    order: VecDeque<Arc<str>>,
}

impl Expired {
    /// Remembers that workspace `handle` of `owner` ended.
    pub(super) fn remember(&mut self, handle: &Arc<str>, owner: Option<Arc<str>>) {
        if self.owners.insert(Arc::clone(handle), owner).is_none() {
            self.order.push_back(Arc::clone(handle));
        }
        while self.order.len() > REMEMBERED {
            if let Some(oldest) = self.order.pop_front() {
                self.owners.remove(&oldest);
            }
        }
    }

    /// The refusal for `handle`, which names no live workspace: "expired"
    /// when it named one of `principal`'s, else "unknown".
    pub(super) fn refusal(
        &self,
        handle: &str,
        principal: Option<&str>,
        ttl: Duration,
    ) -> WorkspaceError {
        match self.owners.get(handle) {
            Some(owner) if owner.as_deref() == principal => WorkspaceError::Expired {
                handle: handle.to_string(),
                idle_seconds: ttl.as_secs(),
            },
            _ => WorkspaceError::unknown(handle),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An ended handle is "expired" to its credential and "unknown" to any
    /// other; the memory keeps the most recent handles only.
    #[test]
    fn expired_handles_are_told_apart_for_their_owner_only() {
        let mut expired = Expired::default();
        let ttl = Duration::from_secs(5);
        let handle: Arc<str> = Arc::from("node.abc");
        expired.remember(&handle, Some(Arc::from("alice")));
        assert!(matches!(
            expired.refusal("node.abc", Some("alice"), ttl),
            WorkspaceError::Expired { .. }
        ));
        assert!(matches!(
            expired.refusal("node.abc", Some("bob"), ttl),
            WorkspaceError::Unknown { .. }
        ));
        assert!(matches!(
            expired.refusal("node.abc", None, ttl),
            WorkspaceError::Unknown { .. }
        ));
        for index in 0..REMEMBERED {
            expired.remember(&Arc::from(format!("h{index}")), None);
        }
        assert!(matches!(
            expired.refusal("node.abc", Some("alice"), ttl),
            WorkspaceError::Unknown { .. }
        ));
        assert_eq!(expired.order.len(), REMEMBERED);
        let long = "x".repeat(1000);
        assert!(WorkspaceError::unknown(&long).to_string().len() < 400);
    }
}
