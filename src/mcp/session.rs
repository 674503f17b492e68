//! MCP sessions: what the server remembers about one client between
//! messages (negotiated version, capabilities, log level, subscriptions,
//! calls in flight, requests waiting for the client's reply), and the
//! [`SessionStore`] that issues ids from the OS CSPRNG, caps their number and
//! expires idle ones.
//!
//! With a node id (`RMCP_NODE_ID`), ids are `<node-id>.<32 hex digits>`, so a
//! proxy in front of several processes can send every request of a session
//! to the process that holds it by looking at the id alone (deploy/README.md,
//! "Scaling and sessions").
//!
//! It knows no transport: HTTP keys sessions by `Mcp-Session-Id`, stdio has
//! exactly one.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rmcp::model::{ErrorData, RequestId};
use serde_json::Value;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use super::stream::StreamHub;
use crate::tools::LogLevel;

/// What the handshake settled.
#[derive(Debug, Clone)]
pub struct Handshake {
    /// The protocol version both sides speak.
    pub protocol_version: String,
    /// `capabilities` from the client's `initialize` (sampling, elicitation…).
    pub client_capabilities: Value,
    /// `clientInfo.name`, for logs.
    pub client_name: String,
}

struct State {
    handshake: Option<Handshake>,
    /// Log messages below this level are not sent.
    log_level: LogLevel,
    /// No log messages at all: a 2026-07-28 request without a log level.
    logs_muted: bool,
    /// A client capability a tool needed and the client had not declared
    /// (a 2026-07-28 request answers -32021 naming it).
    missing_capability: Option<String>,
    subscriptions: HashSet<String>,
    last_used: Instant,
    /// Who the transport authenticated (see [`Session::principal`]).
    principal: Option<Arc<str>>,
}

/// What ends a session besides `end`/`remove`, eviction and the idle TTL.
/// The transport that creates a session picks it; the store only applies
/// it (in [`SessionStore::sweep`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    /// Lives on while no stream listens: the client may reconnect and
    /// resume (Streamable HTTP, stdio).
    Independent,
    /// Bound to its one event stream: it also ends once no stream listens
    /// and no request is in flight, since no client could reach it again
    /// (HTTP+SSE of protocol 2024-11-05).
    StreamBound,
}

/// One client's session.
pub struct Session {
    pub id: Arc<str>,
    /// Whether it outlives its streams (set by the transport).
    pub lifetime: Lifetime,
    state: Mutex<State>,
    /// Cancellation tokens of the requests in flight, by request id.
    in_flight: Mutex<HashMap<String, CancellationToken>>,
    /// Server-to-client requests waiting for their reply, by request id.
    pending: Mutex<HashMap<String, oneshot::Sender<Result<Value, ErrorData>>>>,
    next_request: AtomicU64,
    /// Parent of every call's token: cancelled when the session ends.
    pub cancel: CancellationToken,
    /// The session's resumable streams.
    pub streams: Arc<StreamHub>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded data stays consistent even if a holder panicked.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Session {
    /// The credential the transport authenticated this session's client
    /// with: an opaque name derived from the API key (never the key), or
    /// `None` when the server runs without keys. What a client creates that
    /// others must not reach (tasks, workspace handles) is bound to it.
    pub fn principal(&self) -> Option<Arc<str>> {
        lock(&self.state).principal.clone()
    }

    /// Sets [`Session::principal`] (the transport, when it makes the session).
    pub fn set_principal(&self, principal: Option<Arc<str>>) {
        lock(&self.state).principal = principal;
    }

    /// Whether a request authenticated as `principal` may use this session:
    /// only the credential that opened it may.
    pub fn admits(&self, principal: Option<&str>) -> bool {
        lock(&self.state).principal.as_deref() == principal
    }

    /// A session whose calls are cancelled when `parent` is.
    pub fn new(id: impl Into<Arc<str>>, lifetime: Lifetime, parent: &CancellationToken) -> Session {
        Session {
            id: id.into(),
            lifetime,
            state: Mutex::new(State {
                handshake: None,
                log_level: LogLevel::Info,
                logs_muted: false,
                missing_capability: None,
                subscriptions: HashSet::new(),
                last_used: Instant::now(),
                principal: None,
            }),
            in_flight: Mutex::new(HashMap::new()),
            pending: Mutex::new(HashMap::new()),
            next_request: AtomicU64::new(1),
            cancel: parent.child_token(),
            streams: Arc::new(StreamHub::default()),
        }
    }

    pub fn handshake(&self) -> Option<Handshake> {
        lock(&self.state).handshake.clone()
    }

    pub fn set_handshake(&self, handshake: Handshake) {
        lock(&self.state).handshake = Some(handshake);
    }

    /// The negotiated protocol version (the oldest supported one before the
    /// handshake).
    pub fn protocol_version(&self) -> String {
        lock(&self.state)
            .handshake
            .as_ref()
            .map(|handshake| handshake.protocol_version.clone())
            .unwrap_or_else(|| "2024-11-05".to_string())
    }

    /// Whether the session speaks protocol `version` (no copy of it made).
    pub fn speaks(&self, version: &str) -> bool {
        lock(&self.state)
            .handshake
            .as_ref()
            .is_some_and(|handshake| handshake.protocol_version == version)
    }

    /// Whether the client declared capability `name` (e.g. `"sampling"`).
    pub fn client_supports(&self, name: &str) -> bool {
        lock(&self.state)
            .handshake
            .as_ref()
            .and_then(|handshake| handshake.client_capabilities.get(name))
            .is_some_and(|value| !value.is_null())
    }

    pub fn log_level(&self) -> LogLevel {
        lock(&self.state).log_level
    }

    pub fn set_log_level(&self, level: LogLevel) {
        let mut state = lock(&self.state);
        state.log_level = level;
        state.logs_muted = false;
    }

    /// Sends no log messages from now on (until a level is set).
    pub fn mute_logs(&self) {
        lock(&self.state).logs_muted = true;
    }

    pub fn logs_muted(&self) -> bool {
        lock(&self.state).logs_muted
    }

    /// Records that a tool asked for `capability` the client lacks.
    pub fn note_missing_capability(&self, capability: &str) {
        lock(&self.state).missing_capability = Some(capability.to_string());
    }

    pub fn missing_capability(&self) -> Option<String> {
        lock(&self.state).missing_capability.clone()
    }

    pub fn subscribe(&self, uri: &str) {
        lock(&self.state).subscriptions.insert(uri.to_string());
    }

    pub fn unsubscribe(&self, uri: &str) {
        lock(&self.state).subscriptions.remove(uri);
    }

    pub fn is_subscribed(&self, uri: &str) -> bool {
        lock(&self.state).subscriptions.contains(uri)
    }

    /// Marks the session used now (idle expiry counts from here).
    pub fn touch(&self) {
        lock(&self.state).last_used = Instant::now();
    }

    pub fn idle_for(&self) -> Duration {
        lock(&self.state).last_used.elapsed()
    }

    /// Registers a request in flight; its token is cancelled by
    /// `notifications/cancelled`, the session's end or server shutdown.
    pub fn begin_request(self: &Arc<Self>, id: &RequestId) -> InFlight {
        let key = super::jsonrpc::id_key(id);
        let token = self.cancel.child_token();
        lock(&self.in_flight).insert(key.clone(), token.clone());
        InFlight {
            session: Arc::clone(self),
            key,
            token,
        }
    }

    /// Cancels request `id` if it is in flight.
    pub fn cancel_request(&self, id: &RequestId) -> bool {
        let key = super::jsonrpc::id_key(id);
        match lock(&self.in_flight).get(&key) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    /// Requests in flight now.
    pub fn requests_in_flight(&self) -> usize {
        lock(&self.in_flight).len()
    }

    /// A fresh id for a server-to-client request, and the receiver of the
    /// client's reply.
    pub fn expect_reply(&self) -> (RequestId, oneshot::Receiver<Result<Value, ErrorData>>) {
        let number = self.next_request.fetch_add(1, Ordering::Relaxed);
        let id = RequestId::String(format!("rmcp-{number}").into());
        let (sender, receiver) = oneshot::channel();
        lock(&self.pending).insert(super::jsonrpc::id_key(&id), sender);
        (id, receiver)
    }

    /// Forgets a server-to-client request nobody waits for any more.
    pub fn forget_reply(&self, id: &RequestId) {
        lock(&self.pending).remove(&super::jsonrpc::id_key(id));
    }

    /// Routes the client's reply to the waiting call; `false` when no call
    /// waits for this id.
    pub fn deliver_reply(&self, id: &RequestId, outcome: Result<Value, ErrorData>) -> bool {
        match lock(&self.pending).remove(&super::jsonrpc::id_key(id)) {
            Some(sender) => sender.send(outcome).is_ok(),
            None => false,
        }
    }

    /// Ends the session: cancels its calls and closes its streams.
    pub fn close(&self) {
        self.cancel.cancel();
        self.streams.close_all();
        lock(&self.pending).clear();
    }
}

/// A request in flight; dropping it unregisters the request.
pub struct InFlight {
    session: Arc<Session>,
    key: String,
    pub token: CancellationToken,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        lock(&self.session.in_flight).remove(&self.key);
    }
}

/// Why a session could not be created.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SessionError {
    /// Every slot holds a session with calls in flight.
    #[error("too many active sessions (limit {limit}); end an unused session (DELETE /mcp) or retry later")]
    Full { limit: usize },
    /// The OS random number generator failed.
    #[error("cannot generate a session id: {0}")]
    Random(String),
}

/// Every session of a server.
pub struct SessionStore {
    sessions: Mutex<HashMap<String, Arc<Session>>>,
    max_sessions: usize,
    idle_ttl: Duration,
    /// Parent of every session's token (server shutdown cancels it).
    root: CancellationToken,
    /// Prefix of every id this store issues, naming this process to a proxy
    /// that routes sessions by id; `None` for plain random ids.
    node_id: Option<Arc<str>>,

    /// Told the id of every session that ends (DELETE, idle expiry,
    /// eviction, clear), so providers free what they keep per session.
    end_hooks: Mutex<Vec<SessionEndHook>>,
}

/// A function told the id of a session that ended; see
/// [`SessionStore::on_session_end`].
pub type SessionEndHook = Arc<dyn Fn(&str) + Send + Sync>;

impl SessionStore {
    pub fn new(max_sessions: usize, idle_ttl: Duration, root: CancellationToken) -> SessionStore {
        SessionStore {
            sessions: Mutex::new(HashMap::new()),
            max_sessions: max_sessions.max(1),
            idle_ttl,
            root,
            node_id: None,
            end_hooks: Mutex::new(Vec::new()),
        }
    }

    /// Registers `hook`, called (outside the store's lock) with the id of
    /// every session that ends from now on.
    pub fn on_session_end(&self, hook: SessionEndHook) {
        lock(&self.end_hooks).push(hook);
    }

    fn ended(&self, ids: &[String]) {
        let hooks = lock(&self.end_hooks).clone();
        for id in ids {
            for hook in &hooks {
                hook(id);
            }
        }
    }

    /// Issues ids `<node_id>.<random>` instead of plain random ones. The
    /// caller checks `node_id` (config: `^[a-z0-9][a-z0-9-]{0,31}$`, no dot).
    pub fn with_node_id(mut self, node_id: Option<&str>) -> SessionStore {
        self.node_id = node_id.map(Arc::from);
        self
    }

    /// Creates a session with a new random id, evicting the longest-idle
    /// session without calls in flight when the store is full.
    pub fn create(&self, lifetime: Lifetime) -> Result<Arc<Session>, SessionError> {
        let id = new_session_id(self.node_id.as_deref())?;
        let mut evicted = None;
        let mut sessions = lock(&self.sessions);
        if sessions.len() >= self.max_sessions {
            let victim = sessions
                .values()
                .filter(|session| session.requests_in_flight() == 0)
                .max_by_key(|session| session.idle_for())
                .map(|session| session.id.to_string());
            match victim {
                Some(victim) => {
                    if let Some(session) = sessions.remove(&victim) {
                        log::info!(
                            "evicting idle session to make room (limit {})",
                            self.max_sessions
                        );
                        session.close();
                        evicted = Some(victim);
                    }
                }
                None => {
                    return Err(SessionError::Full {
                        limit: self.max_sessions,
                    })
                }
            }
        }
        let session = Arc::new(Session::new(id.clone(), lifetime, &self.root));
        sessions.insert(id, Arc::clone(&session));
        drop(sessions);
        if let Some(evicted) = evicted {
            self.ended(&[evicted]);
        }
        Ok(session)
    }

    /// The live session `id`, marked as used.
    pub fn get(&self, id: &str) -> Option<Arc<Session>> {
        let session = lock(&self.sessions).get(id).cloned()?;
        session.touch();
        Some(session)
    }

    /// Ends session `id`; `false` when there was none.
    pub fn remove(&self, id: &str) -> bool {
        let removed = lock(&self.sessions).remove(id);
        match removed {
            Some(session) => {
                session.close();
                self.ended(&[session.id.to_string()]);
                true
            }
            None => false,
        }
    }

    /// Ends every session and says how many there were.
    pub fn clear(&self) -> usize {
        let drained: Vec<_> = lock(&self.sessions).drain().map(|(_, s)| s).collect();
        for session in &drained {
            session.close();
        }
        let ids: Vec<String> = drained.iter().map(|s| s.id.to_string()).collect();
        self.ended(&ids);
        drained.len()
    }

    pub fn len(&self) -> usize {
        lock(&self.sessions).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every live session.
    pub fn all(&self) -> Vec<Arc<Session>> {
        lock(&self.sessions).values().cloned().collect()
    }

    /// Keep-alives for open streams; ends sessions idle past the TTL and
    /// stream-bound sessions whose stream is gone. Returns how many ended.
    pub fn sweep(&self) -> usize {
        let mut ended = Vec::new();
        for session in self.all() {
            let listening = session.streams.maintain();
            let expired = session.idle_for() > self.idle_ttl && session.requests_in_flight() == 0;
            let orphaned = session.lifetime == Lifetime::StreamBound
                && !listening
                && session.requests_in_flight() == 0;
            if expired || orphaned {
                ended.push(session.id.to_string());
            }
        }
        for id in &ended {
            self.remove(id);
        }
        ended.len()
    }
}

/// 128 bits from the OS CSPRNG, hex-encoded (visible ASCII, as the spec
/// asks), after `<node_id>.` when the process has a node id.
fn new_session_id(node_id: Option<&str>) -> Result<String, SessionError> {
    crate::ids::routable(node_id).map_err(|error| SessionError::Random(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_random_and_the_oldest_idle_session_is_evicted() {
        let store = SessionStore::new(2, Duration::from_secs(60), CancellationToken::new());
        let first = store.create(Lifetime::Independent).expect("first");
        let second = store.create(Lifetime::Independent).expect("second");
        assert_ne!(first.id, second.id);
        assert_eq!(first.id.len(), 32);
        std::thread::sleep(Duration::from_millis(5));
        second.touch();
        let _third = store.create(Lifetime::Independent).expect("third evicts");
        assert!(store.get(&first.id).is_none());
        assert!(first.cancel.is_cancelled());
        assert!(store.get(&second.id).is_some());
    }

    /// A replica with a node id names itself in every id it issues, so a
    /// proxy can route the session's later requests back to it.
    #[test]
    fn ids_carry_the_node_id_when_there_is_one() {
        let store = SessionStore::new(10, Duration::from_secs(60), CancellationToken::new())
            .with_node_id(Some("rmcp-2"));
        let first = store.create(Lifetime::Independent).expect("first");
        let second = store.create(Lifetime::StreamBound).expect("second");
        assert_ne!(first.id, second.id);
        for id in [&first.id, &second.id] {
            let (node, random) = id.split_once('.').expect("node.random");
            assert_eq!(node, "rmcp-2");
            assert_eq!(random.len(), 32, "{id}");
            assert!(random
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
            assert!(id.bytes().all(|b| (0x21..=0x7e).contains(&b)), "{id}");
        }
        assert!(store.get(&first.id).is_some());
        let plain = new_session_id(None).expect("plain id");
        assert_eq!(plain.len(), 32);
        assert!(!plain.contains('.'));
    }

    /// Providers hear of every session that ends: removed, evicted or
    /// cleared.
    #[test]
    fn ending_sessions_are_announced() {
        let store = SessionStore::new(2, Duration::from_secs(60), CancellationToken::new());
        let ended = Arc::new(Mutex::new(Vec::<String>::new()));
        let seen = Arc::clone(&ended);
        store.on_session_end(Arc::new(move |id: &str| lock(&seen).push(id.to_string())));
        let first = store.create(Lifetime::Independent).expect("first");
        let second = store.create(Lifetime::Independent).expect("second");
        assert!(store.remove(&first.id));
        std::thread::sleep(Duration::from_millis(5));
        let third = store.create(Lifetime::Independent).expect("third");
        let fourth = store.create(Lifetime::Independent).expect("fourth evicts");
        assert_eq!(store.clear(), 2);
        let ended = lock(&ended).clone();
        assert_eq!(&ended[..2], &[first.id.to_string(), second.id.to_string()]);
        assert!(ended[2..].contains(&third.id.to_string()));
        assert!(ended[2..].contains(&fourth.id.to_string()));
    }

    #[test]
    fn a_full_store_of_busy_sessions_refuses() {
        let store = SessionStore::new(1, Duration::from_secs(60), CancellationToken::new());
        let busy = store.create(Lifetime::Independent).expect("first");
        let _call = busy.begin_request(&RequestId::Number(1));
        let Err(error) = store.create(Lifetime::Independent) else {
            panic!("a full store of busy sessions must refuse");
        };
        assert_eq!(error, SessionError::Full { limit: 1 });
    }
}
