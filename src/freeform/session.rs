//! Which worker serves which MCP session, and what each session approved.
//!
//! A session gets a worker on its first free-form call and keeps it (its
//! live workspace) until the session ends (DELETE /mcp, idle expiry,
//! /admin/sessions), the worker sits idle past the TTL, or its slot is
//! needed by another session; a worker is never handed to a second session.
//! Calls of one session run one at a time. When a worker dies, times out
//! past its grace period or is freed, the session's next call says the
//! workspace was reset.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::worker::pool::Pool;
use crate::worker::process::{CallbackHandler, Worker};
use crate::worker::protocol::{Op, Outcome};
use crate::worker::WorkerError;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What a session approved through approve_r_package and approve_operation.
#[derive(Debug, Default, Clone)]
pub struct Approvals {
    /// Packages loadable besides the allowlist.
    pub packages: BTreeSet<String>,
    /// Approved operations by category (`file_operations` → `write.csv`).
    pub operations: BTreeMap<String, BTreeSet<String>>,
    /// Directories this session's R may write.
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

/// One MCP session's free-form R state.
pub struct SessionState {
    pub id: Arc<str>,
    /// Held for the length of one call: a session's calls run in turn.
    turn: tokio::sync::Mutex<()>,
    worker: Mutex<Option<Arc<Worker>>>,
    /// Why the workspace was reset, told at the next call.
    note: Mutex<Option<String>>,
    last_used: Mutex<Instant>,
    approvals: Mutex<Approvals>,
    callbacks: Mutex<Callbacks>,
}

impl SessionState {
    fn new(id: &str) -> SessionState {
        SessionState {
            id: Arc::from(id),
            turn: tokio::sync::Mutex::new(()),
            worker: Mutex::new(None),
            note: Mutex::new(None),
            last_used: Mutex::new(Instant::now()),
            approvals: Mutex::new(Approvals::default()),
            callbacks: Mutex::new(Callbacks::default()),
        }
    }

    /// Reads or changes the session's approvals.
    pub fn approvals_mut<T>(&self, change: impl FnOnce(&mut Approvals) -> T) -> T {
        change(&mut lock(&self.approvals))
    }

    /// Reads or changes the session's callback sessions.
    pub fn callbacks_mut<T>(&self, change: impl FnOnce(&mut Callbacks) -> T) -> T {
        change(&mut lock(&self.callbacks))
    }

    /// The live worker, if the session has one.
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

/// Every session's state and the pool their workers come from.
pub struct Sessions {
    pool: Arc<Pool>,
    map: Mutex<HashMap<String, Arc<SessionState>>>,
}

impl Sessions {
    pub fn new(pool: Arc<Pool>) -> Arc<Sessions> {
        Arc::new(Sessions {
            pool,
            map: Mutex::new(HashMap::new()),
        })
    }

    pub fn pool(&self) -> &Arc<Pool> {
        &self.pool
    }

    /// The state of session `id`, created on first use.
    pub fn state(&self, id: &str) -> Arc<SessionState> {
        let mut map = lock(&self.map);
        let state = map
            .entry(id.to_string())
            .or_insert_with(|| Arc::new(SessionState::new(id)));
        *lock(&state.last_used) = Instant::now();
        Arc::clone(state)
    }

    /// Forgets session `id` and kills its worker (the session ended).
    pub fn end(&self, id: &str) {
        let removed = lock(&self.map).remove(id);
        if let Some(state) = removed {
            if let Some(worker) = lock(&state.worker).take() {
                log::info!("session ended; stopping its R worker {}", worker.pid);
                worker.kill();
            }
        }
    }

    /// Ends every session (server shutdown).
    pub fn end_all(&self) {
        let ids: Vec<String> = lock(&self.map).keys().cloned().collect();
        for id in ids {
            self.end(&id);
        }
    }

    /// Sessions holding a live worker now.
    pub fn live_workers(&self) -> usize {
        lock(&self.map)
            .values()
            .filter(|state| state.worker().is_some())
            .count()
    }

    /// Frees workers idle longer than the TTL; returns how many.
    pub fn sweep(&self) -> usize {
        let ttl = self.pool.config().idle_ttl;
        let states: Vec<_> = lock(&self.map).values().cloned().collect();
        let mut freed = 0;
        for state in states {
            if state.worker().is_none() || state.idle_for() <= ttl {
                continue;
            }
            if let Ok(_turn) = state.turn.try_lock() {
                state.reset(&format!(
                    "it was idle for more than {} seconds",
                    ttl.as_secs()
                ));
                freed += 1;
            }
        }
        freed
    }

    /// Runs `op` on the session's worker, taking one from the pool when it
    /// has none. A worker that dies, or stays busy past its grace period,
    /// is dropped and the session told its workspace was reset.
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
            log::info!("replacing session R worker {}: {why}", worker.pid);
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

    /// Moves the session to a worker that may also write `write_dirs`,
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

    /// The session's live worker, or a new one (making room if every slot is
    /// taken). Called with the session's turn held.
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

    /// Frees the longest-idle other session's worker when every slot is
    /// taken; busy sessions are never interrupted.
    fn make_room(&self, state: &Arc<SessionState>) -> Result<(), WorkerError> {
        let limit = self.pool.config().max_workers;
        if self.live_workers() < limit {
            return Ok(());
        }
        let mut others: Vec<_> = lock(&self.map)
            .values()
            .filter(|other| other.id != state.id && other.worker().is_some())
            .cloned()
            .collect();
        others.sort_by_key(|other| std::cmp::Reverse(other.idle_for()));
        for other in others {
            if let Ok(_turn) = other.turn.try_lock() {
                log::info!("freeing an idle session's R worker to make room (limit {limit})");
                other.reset("its worker was freed to make room for other sessions");
                return Ok(());
            }
        }
        Err(WorkerError::Busy(limit))
    }
}
