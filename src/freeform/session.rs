//! Which worker serves which R workspace, and what each workspace approved.
//!
//! A workspace is named by its handle (`crate::ids::routable`: the node id
//! and 128 random bits), bound to the credential that created it, and
//! reached by the handle or, for the MCP session that created it, without
//! one. A session's own workspace (made by its first free-form call without
//! a handle) ends with the session (DELETE /mcp, idle expiry,
//! /admin/sessions). The per-request session of protocol 2026-07-28 is only
//! detached at the request's end: its workspace lives on under its handle
//! until it sits idle past the TTL, and then its handle says "expired".
//!
//! A workspace gets a worker on its first call and keeps it until the
//! workspace ends, the worker sits idle past the TTL, or its slot is needed
//! by another workspace; a worker is never handed to a second workspace.
//! Calls of one workspace run one at a time. When a worker dies, times out
//! past its grace period or is freed, the workspace's next call says it was
//! reset. Finding a workspace never starts a worker, so guessed handles cost
//! a map lookup (`workspaces` keeps the refusals and the expired handles).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use super::approvals::{Approvals, Callbacks};
use super::workspaces::{Expired, WorkspaceError};
use crate::worker::pool::Pool;
use crate::worker::process::{CallbackHandler, Worker};
use crate::worker::protocol::{Op, Outcome};
use crate::worker::WorkerError;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One R workspace's free-form state.
pub struct SessionState {
    /// The MCP session that created the workspace; catalog tools that R
    /// calls back run for it (its file grants apply).
    pub id: Arc<str>,
    /// The name a client passes as `workspace` to reach it again.
    pub handle: Arc<str>,
    /// The credential that created it (`CallContext::principal`); no other
    /// may reach it.
    owner: Option<Arc<str>>,
    /// Whether it ends with its session (2025-11-25 and older); a detached
    /// one (2026-07-28) ends when idle past the TTL.
    bound: AtomicBool,
    /// Set when the workspace ended: a call that found it just before
    /// starts no worker for it.
    gone: AtomicBool,
    /// Held for the length of one call: a workspace's calls run in turn.
    turn: tokio::sync::Mutex<()>,
    worker: Mutex<Option<Arc<Worker>>>,
    /// Why the workspace was reset, told at the next call.
    note: Mutex<Option<String>>,
    last_used: Mutex<Instant>,
    approvals: Mutex<Approvals>,
    callbacks: Mutex<Callbacks>,
}

impl SessionState {
    fn new(id: &str, handle: String, owner: Option<&str>) -> SessionState {
        SessionState {
            id: Arc::from(id),
            handle: Arc::from(handle),
            owner: owner.map(Arc::from),
            bound: AtomicBool::new(true),
            gone: AtomicBool::new(false),
            turn: tokio::sync::Mutex::new(()),
            worker: Mutex::new(None),
            note: Mutex::new(None),
            last_used: Mutex::new(Instant::now()),
            approvals: Mutex::new(Approvals::default()),
            callbacks: Mutex::new(Callbacks::default()),
        }
    }

    /// Reads or changes the workspace's approvals.
    pub fn approvals_mut<T>(&self, change: impl FnOnce(&mut Approvals) -> T) -> T {
        change(&mut lock(&self.approvals))
    }

    /// Reads or changes the workspace's callback sessions.
    pub fn callbacks_mut<T>(&self, change: impl FnOnce(&mut Callbacks) -> T) -> T {
        change(&mut lock(&self.callbacks))
    }

    /// The live worker, if the workspace has one.
    pub fn worker(&self) -> Option<Arc<Worker>> {
        lock(&self.worker)
            .clone()
            .filter(|worker| worker.is_alive())
    }

    /// Frees the worker (and its workspace), remembering why for the next call.
    pub fn reset(&self, why: &str) {
        if let Some(worker) = lock(&self.worker).take() {
            worker.kill();
            *lock(&self.note) = Some(why.to_string());
        }
    }

    fn idle_for(&self) -> Duration {
        lock(&self.last_used).elapsed()
    }
}

/// What one request produced, with a note when the workspace was reset
/// before or by it.
pub struct Answer {
    pub outcome: Result<Outcome, WorkerError>,
    pub note: Option<String>,
}

/// Every workspace's state and the pool their workers come from.
pub struct Sessions {
    pool: Arc<Pool>,
    /// This replica's name, the prefix of the handles it makes.
    node_id: Option<String>,
    /// Every live workspace by handle.
    map: Mutex<HashMap<String, Arc<SessionState>>>,
    /// Each MCP session's own workspace (the one a call without a handle
    /// uses), by session id.
    own: Mutex<HashMap<String, Arc<SessionState>>>,
    /// Handles of workspaces that ended, to tell "expired" from "unknown".
    expired: Mutex<Expired>,
}

/// At most this many detached workspaces (2026-07-28) are kept; making
/// another ends the longest-idle one. Each costs a few hundred bytes
/// without a worker; workers are capped by `RMCP_MAX_WORKERS` apart.
const MAX_DETACHED: usize = 10_000;

impl Sessions {
    pub fn new(pool: Arc<Pool>, node_id: Option<String>) -> Arc<Sessions> {
        Arc::new(Sessions {
            pool,
            node_id,
            map: Mutex::new(HashMap::new()),
            own: Mutex::new(HashMap::new()),
            expired: Mutex::new(Expired::default()),
        })
    }

    pub fn pool(&self) -> &Arc<Pool> {
        &self.pool
    }

    /// The workspace a call uses: `handle`'s when one is given (it must
    /// exist and belong to `principal`), else session `session_id`'s own,
    /// made on first use with a new handle. An unknown handle, or one of
    /// another credential, is never made into a workspace.
    pub fn workspace(
        &self,
        session_id: &str,
        principal: Option<&str>,
        handle: Option<&str>,
    ) -> Result<Arc<SessionState>, WorkspaceError> {
        let state = match handle {
            Some(handle) => self.find(handle, principal)?,
            None => self.own(session_id, principal)?,
        };
        *lock(&state.last_used) = Instant::now();
        Ok(state)
    }

    /// The live workspace named `handle`, if `principal` created it.
    fn find(
        &self,
        handle: &str,
        principal: Option<&str>,
    ) -> Result<Arc<SessionState>, WorkspaceError> {
        let found = lock(&self.map).get(handle).cloned();
        match found {
            Some(state) if state.owner.as_deref() == principal => Ok(state),
            Some(_) => Err(WorkspaceError::unknown(handle)),
            None => Err(lock(&self.expired).refusal(handle, principal, self.ttl())),
        }
    }

    /// Session `session_id`'s own workspace, made on first use.
    fn own(
        &self,
        session_id: &str,
        principal: Option<&str>,
    ) -> Result<Arc<SessionState>, WorkspaceError> {
        if let Some(state) = lock(&self.own).get(session_id) {
            return Ok(Arc::clone(state));
        }
        self.make_space();
        // Locks in the order `own`, then `map`; holding `own` throughout,
        // the session cannot end between the two inserts.
        let mut own = lock(&self.own);
        if let Some(state) = own.get(session_id) {
            return Ok(Arc::clone(state));
        }
        let handle = crate::ids::routable(self.node_id.as_deref())
            .map_err(|error| WorkspaceError::NoHandle(error.to_string()))?;
        let state = Arc::new(SessionState::new(session_id, handle, principal));
        own.insert(session_id.to_string(), Arc::clone(&state));
        lock(&self.map).insert(state.handle.to_string(), Arc::clone(&state));
        Ok(state)
    }

    /// Session `session_id`'s own workspace, if it has one (tests, benches).
    pub fn session_workspace(&self, session_id: &str) -> Option<Arc<SessionState>> {
        lock(&self.own).get(session_id).cloned()
    }

    /// Live workspaces, with a worker or not.
    pub fn workspaces(&self) -> usize {
        lock(&self.map).len()
    }

    /// Forgets session `id`'s own workspace and kills its worker (the
    /// session ended).
    pub fn end(&self, id: &str) {
        let removed = lock(&self.own).remove(id);
        if let Some(state) = removed {
            if state.bound.load(Ordering::Acquire) {
                self.retire(&state);
            }
        }
    }

    /// Detaches session `id`'s own workspace from it (a 2026-07-28 request
    /// ended): the workspace lives on under its handle until idle past the
    /// TTL.
    pub fn detach(&self, id: &str) {
        if let Some(state) = lock(&self.own).remove(id) {
            state.bound.store(false, Ordering::Release);
            *lock(&state.last_used) = Instant::now();
        }
    }

    /// Ends a workspace: forgets it, kills its worker, remembers its handle
    /// as expired.
    fn retire(&self, state: &Arc<SessionState>) {
        state.gone.store(true, Ordering::Release);
        lock(&self.map).remove(state.handle.as_ref());
        lock(&self.expired).remember(&state.handle, state.owner.clone());
        if let Some(worker) = lock(&state.worker).take() {
            log::info!("R workspace ended; stopping its R worker {}", worker.pid);
            worker.kill();
        }
    }

    /// Ends every workspace (server shutdown).
    pub fn end_all(&self) {
        lock(&self.own).clear();
        let states: Vec<_> = lock(&self.map).values().cloned().collect();
        for state in states {
            self.retire(&state);
        }
    }

    /// Workspaces holding a live worker now.
    pub fn live_workers(&self) -> usize {
        lock(&self.map)
            .values()
            .filter(|state| state.worker().is_some())
            .count()
    }

    fn ttl(&self) -> Duration {
        self.pool.config().idle_ttl
    }

    /// Frees workers idle longer than the TTL, and ends detached workspaces
    /// idle that long; returns how many workers were freed.
    pub fn sweep(&self) -> usize {
        let ttl = self.ttl();
        let states: Vec<_> = lock(&self.map).values().cloned().collect();
        let mut freed = 0;
        for state in states {
            let detached = !state.bound.load(Ordering::Acquire);
            if state.idle_for() <= ttl || !(detached || state.worker().is_some()) {
                continue;
            }
            if let Ok(_turn) = state.turn.try_lock() {
                if state.worker().is_some() {
                    freed += 1;
                }
                if detached {
                    self.retire(&state);
                } else {
                    state.reset(&format!(
                        "it was idle for more than {} seconds",
                        ttl.as_secs()
                    ));
                }
            }
        }
        freed
    }

    /// Ends the longest-idle detached workspaces while there are too many.
    fn make_space(&self) {
        if lock(&self.map).len() < MAX_DETACHED {
            return;
        }
        let mut detached: Vec<_> = lock(&self.map)
            .values()
            .filter(|state| !state.bound.load(Ordering::Acquire))
            .cloned()
            .collect();
        if detached.len() < MAX_DETACHED {
            return;
        }
        detached.sort_by_key(|state| std::cmp::Reverse(state.idle_for()));
        let mut excess = detached.len() + 1 - MAX_DETACHED;
        for state in detached {
            if excess == 0 {
                break;
            }
            if let Ok(_turn) = state.turn.try_lock() {
                log::info!("ending the longest-idle R workspace (limit {MAX_DETACHED})");
                self.retire(&state);
                excess -= 1;
            }
        }
    }

    /// Runs `op` on the workspace's worker, taking one from the pool when
    /// it has none. A worker that dies, or stays busy past its grace
    /// period, is dropped and the call told the workspace was reset.
    pub async fn run(
        &self,
        state: &Arc<SessionState>,
        op: Op,
        args: Value,
        timeout: Duration,
        cancel: &CancellationToken,
        callbacks: Option<CallbackHandler>,
    ) -> Answer {
        let _turn = tokio::select! {
            turn = state.turn.lock() => turn,
            () = cancel.cancelled() => {
                return Answer { outcome: Err(WorkerError::Closed), note: None };
            }
        };
        *lock(&state.last_used) = Instant::now();
        if state.gone.load(Ordering::Acquire) {
            return Answer {
                outcome: Err(WorkerError::Spawn(format!(
                    "workspace '{}' ended while this call waited; call again without `workspace` to start a new one",
                    state.handle
                ))),
                note: None,
            };
        }
        let worker = match self.worker_for(state).await {
            Ok(worker) => worker,
            Err(error) => {
                return Answer {
                    outcome: Err(error),
                    note: lock(&state.note).take(),
                }
            }
        };
        worker.set_callback_handler(callbacks);
        let outcome = worker.request(op, args, timeout, cancel).await;
        let stuck = match &outcome {
            Err(WorkerError::Stuck) => Some("R did not stop at the time limit".to_string()),
            Err(WorkerError::Died(why)) => Some(format!("the R worker stopped: {why}")),
            _ => None,
        };
        if let Some(why) = stuck {
            // This call's answer says the workspace was reset; later calls
            // need no note.
            log::info!("replacing a workspace's R worker {}: {why}", worker.pid);
            if let Some(worker) = lock(&state.worker).take() {
                worker.kill();
            }
        }
        *lock(&state.last_used) = Instant::now();
        Answer {
            outcome,
            note: lock(&state.note).take(),
        }
    }

    /// Moves the workspace to a worker that may also write `write_dirs`,
    /// carrying its workspace over (saved to a file, loaded by the new one).
    pub async fn regrant(
        &self,
        state: &Arc<SessionState>,
        write_dirs: Vec<PathBuf>,
        cancel: &CancellationToken,
    ) -> Result<usize, WorkerError> {
        let _turn = state.turn.lock().await;
        let Some(old) = state.worker() else {
            // The next call starts a worker with the grant.
            return Ok(0);
        };
        let saved = old.dir.join("tmp").join("rmcp-carry.rds");
        let timeout = Duration::from_secs(60);
        let save = old
            .request(Op::Save, json!({"file": saved}), timeout, cancel)
            .await?;
        if let Outcome::Failed { message, .. } = save {
            return Err(WorkerError::Protocol(format!(
                "saving the workspace failed: {message}"
            )));
        }
        let new = self.pool.spawn_now(&write_dirs).await?;
        let target = new.dir.join("tmp").join("rmcp-carry.rds");
        std::fs::copy(&saved, &target)
            .map_err(|e| WorkerError::Spawn(format!("carrying the workspace failed: {e}")))?;
        let loaded = new
            .request(Op::Load, json!({"file": target}), timeout, cancel)
            .await?;
        let count = match loaded {
            Outcome::Ok { value, .. } => value["loaded"].as_u64().unwrap_or(0) as usize,
            Outcome::Failed { message, .. } => {
                new.kill();
                return Err(WorkerError::Protocol(format!(
                    "loading the workspace failed: {message}"
                )));
            }
        };
        *lock(&state.worker) = Some(new);
        old.kill();
        Ok(count)
    }

    /// The workspace's live worker, or a new one (making room if every slot
    /// is taken). Called with the workspace's turn held.
    async fn worker_for(&self, state: &Arc<SessionState>) -> Result<Arc<Worker>, WorkerError> {
        if let Some(worker) = state.worker() {
            return Ok(worker);
        }
        let previous = lock(&state.worker).take();
        if let Some(previous) = previous {
            *lock(&state.note) = Some(format!("the R worker stopped: {}", previous.ending()));
        }
        self.make_room(state)?;
        let write_dirs = lock(&state.approvals).write_dirs.clone();
        let worker = if write_dirs.is_empty() {
            self.pool.take().await?
        } else {
            self.pool.spawn_now(&write_dirs).await?
        };
        *lock(&state.worker) = Some(Arc::clone(&worker));
        Ok(worker)
    }

    /// Frees the longest-idle other workspace's worker when every slot is
    /// taken; busy workspaces are never interrupted.
    fn make_room(&self, state: &Arc<SessionState>) -> Result<(), WorkerError> {
        let limit = self.pool.config().max_workers;
        if self.live_workers() < limit {
            return Ok(());
        }
        let mut others: Vec<_> = lock(&self.map)
            .values()
            .filter(|other| other.handle != state.handle && other.worker().is_some())
            .cloned()
            .collect();
        others.sort_by_key(|other| std::cmp::Reverse(other.idle_for()));
        for other in others {
            if let Ok(_turn) = other.turn.try_lock() {
                log::info!("freeing an idle workspace's R worker to make room (limit {limit})");
                other.reset("its worker was freed to make room for other workspaces");
                return Ok(());
            }
        }
        Err(WorkerError::Busy(limit))
    }
}
