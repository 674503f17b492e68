//! Which revision a connection speaks when nothing per request says so
//! (stdio has no headers): its first request decides, and the connection
//! stays in that era. `initialize` starts the older revisions' era (one
//! session for the connection); a request whose `_meta` names a protocol
//! version starts the stateless 2026-07-28 era (a session per request).
//!
//! It owns the lock and the start of a modern request on such a
//! connection; HTTP decides per request (`http::modern`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use rmcp::model::{ErrorData, RequestId};
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use super::jsonrpc::{self, Request};
use super::modern::{self, Refusal};
use super::session::{Lifetime, Session};
use super::McpServer;

/// The two eras.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Era {
    /// 2024-11-05 to 2025-11-25: `initialize`, then one session.
    Legacy,
    /// 2026-07-28: stateless requests carrying `_meta`.
    Modern,
}

/// The era of one connection, fixed by its first deciding request.
#[derive(Default)]
pub struct EraLock {
    era: OnceLock<Era>,
    /// Numbers the per-request sessions of the modern era.
    next: AtomicU64,
    /// The modern era's requests in flight, by request id, so that
    /// `notifications/cancelled` finds the session the request runs on.
    in_flight: Arc<Mutex<HashMap<String, Arc<Session>>>>,
}

/// Keeps a modern request findable for cancellation until dropped.
pub struct Tracked {
    in_flight: Arc<Mutex<HashMap<String, Arc<Session>>>>,
    key: String,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        lock(&self.in_flight).remove(&self.key);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl EraLock {
    /// The era `request` is handled in. A request that decides nothing (a
    /// `ping` before `initialize`) is handled as the older revisions would,
    /// without locking.
    pub fn decide(&self, request: &Request) -> Era {
        if let Some(era) = self.era.get() {
            return *era;
        }
        let era = if request.method == "initialize" {
            Era::Legacy
        } else if modern::has_modern_meta(&request.params) {
            Era::Modern
        } else {
            return Era::Legacy;
        };
        *self.era.get_or_init(|| era)
    }

    /// Whether the connection is locked in the modern era.
    pub fn is_modern(&self) -> bool {
        self.era.get() == Some(&Era::Modern)
    }

    /// Registers modern request `id` running on `session` until the
    /// returned guard is dropped.
    pub fn track(&self, id: &RequestId, session: &Arc<Session>) -> Tracked {
        let key = jsonrpc::id_key(id);
        lock(&self.in_flight).insert(key.clone(), Arc::clone(session));
        Tracked {
            in_flight: Arc::clone(&self.in_flight),
            key,
        }
    }

    /// `notifications/cancelled` of the modern era: cancels the named
    /// request if it is in flight.
    pub fn cancel(&self, params: &Map<String, Value>) -> bool {
        let Some(id) = params
            .get("requestId")
            .cloned()
            .and_then(|id| serde_json::from_value::<RequestId>(id).ok())
        else {
            return false;
        };
        let session = lock(&self.in_flight).get(&jsonrpc::id_key(&id)).cloned();
        session.is_some_and(|session| session.cancel_request(&id))
    }

    fn next_id(&self) -> String {
        format!("stdio-modern-{}", self.next.fetch_add(1, Ordering::Relaxed))
    }
}

impl McpServer {
    /// Starts a modern request on an era-locked connection: checks `_meta`
    /// and the method (the errors a client of the revision expects), and
    /// makes the request's own session, ended when its handling is over.
    pub fn begin_modern_request(
        &self,
        lock: &EraLock,
        request: &Request,
        parent: &CancellationToken,
    ) -> Result<Arc<Session>, ErrorData> {
        let meta = modern::read_meta(&request.params, None).map_err(|refusal| refusal.error)?;
        if !modern::is_modern_method(&request.method) {
            return Err(Refusal::method_not_found(&request.method).error);
        }
        let session = Arc::new(Session::new(lock.next_id(), Lifetime::Independent, parent));
        self.begin_modern(&session, &meta);
        Ok(session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(method: &str, params: serde_json::Value) -> Request {
        Request {
            id: rmcp::model::RequestId::Number(1),
            method: method.into(),
            params: params.as_object().cloned().unwrap_or_default(),
        }
    }

    #[test]
    fn the_first_deciding_request_locks_the_era() {
        let lock = EraLock::default();
        assert_eq!(lock.decide(&request("ping", json!({}))), Era::Legacy);
        let modern = request(
            "tools/list",
            json!({"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}}),
        );
        assert_eq!(lock.decide(&modern), Era::Modern);
        assert_eq!(lock.decide(&request("initialize", json!({}))), Era::Modern);

        let lock = EraLock::default();
        assert_eq!(lock.decide(&request("initialize", json!({}))), Era::Legacy);
        assert_eq!(lock.decide(&modern), Era::Legacy);
    }

    #[test]
    fn a_modern_request_in_flight_can_be_cancelled_until_it_ends() {
        let lock = EraLock::default();
        let root = CancellationToken::new();
        let session = Arc::new(Session::new("s", Lifetime::Independent, &root));
        let id = RequestId::Number(7);
        let in_flight = session.begin_request(&id);
        let tracked = lock.track(&id, &session);
        let params = json!({"requestId": 7});
        let params = params.as_object().cloned().unwrap_or_default();
        assert!(lock.cancel(&params));
        assert!(in_flight.token.is_cancelled());
        drop(tracked);
        assert!(!lock.cancel(&params));
    }
}
