//! The catalog's R engines: a pool of N engines that serve catalog calls
//! side by side, so no call waits behind another's long R work.
//!
//! Engine 0 is the server's own in-process R thread ([`RHandle`]), the fast
//! path. Engines 1..N-1 are long-lived child processes of this binary
//! (`rmcp engine`, see [`child`]): the same embedded R (`crate::r`) with the
//! same `r/` sources, started and confined like the free-form workers
//! (`crate::worker`: a scrubbed environment, rlimits, landlock, seccomp),
//! allowed to read and write only their own folder and the file sandbox's
//! staging folder. They start with the server, are kept warm, and are
//! replaced when they die.
//!
//! Scheduling ([`EnginePool::eval`]): a call takes an idle engine, the
//! in-process one first. When every engine is busy the call waits in one
//! FIFO queue of bounded length (`RMCP_R_QUEUE`; past it the answer is
//! "busy"), and the first engine to free up takes the first waiter. A call
//! waits no longer than its deadline, and its cancellation removes it from
//! the queue. No engine ever runs two calls at once.
//!
//! Overruns: a child engine that does not let go of a call within a short
//! grace after its deadline (or cancellation) is killed and replaced; the
//! caller gets [`EngineError::Timeout`]. The in-process engine answers its
//! caller at the deadline, and stays out of rotation (state `overdue` in
//! `/health`) until R returns.
//!
//! Layout: `mod.rs` (the handle, scheduling, the in-process engine's
//! calls), `process` (engine processes: start, replace, one call),
//! `health` (snapshots for `/health` and `/metrics`), `child`
//! (`rmcp engine`).
//!
//! It knows no MCP, no HTTP and no tools: jobs are [`Job`]s.

pub mod child;
mod health;
mod process;

pub use health::{EngineSlotHealth, EngineState, PoolHealth};

use std::collections::VecDeque;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use crate::r::{EngineError, Job, RHandle, Reply};
use crate::worker::WorkerConfig;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The pool handle: cheap to clone, usable from any task.
#[derive(Clone)]
pub struct EnginePool {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for EnginePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnginePool")
            .field("engines", &self.shared.slots.len())
            .finish()
    }
}

/// What the callers, the engines' tasks and the replacement tasks share.
struct Shared {
    /// The server's own R (engine 0).
    in_process: RHandle,
    slots: Vec<Slot>,
    schedule: Mutex<Schedule>,
    /// Calls that may wait for an engine (`RMCP_R_QUEUE`).
    queue_capacity: usize,
    /// Deadline of a call that sets none (`RMCP_R_TIMEOUT`).
    default_timeout: Duration,
    /// How child engines are spawned; `None` with one engine.
    spawn: Option<WorkerConfig>,
    /// Tripped at shutdown: nothing is started or replaced after it.
    closed: CancellationToken,
}

/// Per-engine bookkeeping outside the schedule lock.
#[derive(Default)]
struct Slot {
    /// The child process (engines 1..N-1), once started.
    worker: Mutex<Option<Arc<crate::worker::process::Worker>>>,
    jobs: AtomicU64,
    busy_nanos: AtomicU64,
    restarts: AtomicU64,
    /// When its current call started.
    running_since: Mutex<Option<Instant>>,
    note: Mutex<Option<String>>,
}

/// Who is free and who waits; one lock, held only for bookkeeping.
struct Schedule {
    states: Vec<EngineState>,
    waiters: VecDeque<Waiter>,
    next_waiter: u64,
}

/// A call waiting for an engine: the engine's index arrives on `engine`.
struct Waiter {
    id: u64,
    engine: oneshot::Sender<usize>,
}

impl From<RHandle> for EnginePool {
    /// The in-process engine alone: today's one R thread, no processes.
    fn from(engine: RHandle) -> EnginePool {
        EnginePool::in_process(engine)
    }
}

impl EnginePool {
    /// A pool of the in-process engine alone (`RMCP_R_ENGINES=1`): calls
    /// go straight to [`RHandle::eval`], exactly as without a pool.
    pub fn in_process(engine: RHandle) -> EnginePool {
        EnginePool::build(engine, None, 1)
    }

    /// The in-process engine plus `config.engines - 1` engine processes,
    /// which start in the background (call inside a tokio runtime). They
    /// may read and write `staging` (the file sandbox's staging folder:
    /// staged copies in, staging files out) and nothing else of the
    /// server's files.
    pub fn start(engine: RHandle, config: &WorkerConfig, staging: &Path) -> EnginePool {
        let count = config.engines.max(1);
        if count == 1 {
            return EnginePool::in_process(engine);
        }
        let engine_config = engine.config().clone();
        let spawn = WorkerConfig {
            read_roots: vec![staging.to_path_buf()],
            write_roots: vec![staging.to_path_buf()],
            grantable_roots: Vec::new(),
            // A long-lived engine's CPU time adds up over days; its calls
            // are bounded by their deadlines instead.
            cpu_seconds: 1 << 40,
            max_reply_bytes: engine_config.max_reply_bytes,
            default_timeout: engine_config.default_timeout,
            kill_grace: config.kill_grace.min(process::KILL_GRACE),
            ..config.clone()
        };
        let pool = EnginePool::build(engine, Some(spawn), count);
        for index in 1..count {
            process::replace(&pool.shared, index, false);
        }
        pool
    }

    fn build(engine: RHandle, spawn: Option<WorkerConfig>, count: usize) -> EnginePool {
        let mut states = vec![EngineState::Starting; count];
        states[0] = EngineState::Idle;
        let config = engine.config().clone();
        EnginePool {
            shared: Arc::new(Shared {
                in_process: engine,
                slots: (0..count).map(|_| Slot::default()).collect(),
                schedule: Mutex::new(Schedule {
                    states,
                    waiters: VecDeque::new(),
                    next_waiter: 0,
                }),
                queue_capacity: config.queue_capacity.max(1),
                default_timeout: config.default_timeout,
                spawn,
                closed: CancellationToken::new(),
            }),
        }
    }

    /// The server's own R (engine 0).
    pub fn in_process_engine(&self) -> &RHandle {
        &self.shared.in_process
    }

    /// Engines in the pool, the in-process one included.
    pub fn len(&self) -> usize {
        self.shared.slots.len()
    }

    /// Never: the in-process engine is always there.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Runs a job on the first free engine (waiting in the queue when all
    /// are busy). It takes [`crate::r::Task::Call`] and fresh
    /// [`crate::r::Task::Eval`] jobs, which run alike on every engine (a
    /// named workspace lives in one process: use the in-process
    /// [`RHandle`] for those). Answers at the job's deadline (plus a child
    /// engine's short kill grace); dropping the future cancels the job.
    pub async fn eval(&self, job: Job) -> Result<Reply, EngineError> {
        let shared = &self.shared;
        if shared.slots.len() == 1 {
            // One engine (`RMCP_R_ENGINES=1`): exactly the in-process path,
            // its own bounded queue included.
            return shared.in_process.eval(job).await;
        }
        let limit = job.timeout.unwrap_or(shared.default_timeout);
        let deadline = Instant::now() + limit;
        let index = shared.acquire(&job, deadline, limit).await?;
        if index == 0 {
            shared.run_in_process(job, deadline, limit).await
        } else {
            process::run(shared, index, job, deadline, limit).await
        }
    }

    /// Every engine's state and counters, and the queue's length.
    pub fn health(&self) -> PoolHealth {
        if self.shared.slots.len() == 1 {
            return health::in_process(&self.shared.in_process);
        }
        health::of(&self.shared)
    }

    /// Stops the engine processes (the in-process engine is shut down by
    /// its owner); queued calls get [`EngineError::Unavailable`].
    pub fn shutdown(&self) {
        let shared = &self.shared;
        shared.closed.cancel();
        lock(&shared.schedule).waiters.clear();
        for slot in &shared.slots {
            if let Some(worker) = lock(&slot.worker).take() {
                worker.kill();
            }
        }
    }
}

impl Shared {
    /// An engine for `job`: an idle one now, or the first to free up.
    async fn acquire(
        &self,
        job: &Job,
        deadline: Instant,
        limit: Duration,
    ) -> Result<usize, EngineError> {
        if self.closed.is_cancelled() {
            return Err(EngineError::Unavailable);
        }
        if !process::portable(job) {
            return Err(EngineError::InvalidInput(
                "the engine pool runs calls by name and code in a fresh environment; named workspaces live on the in-process engine (RHandle)".into(),
            ));
        }
        let (id, receiver) = {
            let mut schedule = lock(&self.schedule);
            let free = schedule
                .states
                .iter()
                .position(|state| *state == EngineState::Idle);
            if let Some(index) = free {
                schedule.states[index] = EngineState::Busy;
                return Ok(index);
            }
            if schedule.waiters.len() >= self.queue_capacity {
                return Err(EngineError::Busy {
                    queued: schedule.waiters.len(),
                });
            }
            let (sender, receiver) = oneshot::channel();
            let id = schedule.next_waiter;
            schedule.next_waiter += 1;
            schedule.waiters.push_back(Waiter { id, engine: sender });
            (id, receiver)
        };
        let cancelled = async {
            match &job.cancel {
                Some(token) => token.cancelled().await,
                None => std::future::pending().await,
            }
        };
        let mut waiting = Waiting {
            shared: self,
            id,
            receiver: Some(receiver),
        };
        let Some(receiver) = waiting.receiver.as_mut() else {
            return Err(EngineError::Unavailable);
        };
        let outcome = tokio::select! {
            handed = receiver => handed.map_err(|_| EngineError::Unavailable),
            () = tokio::time::sleep_until(deadline.into()) => Err(EngineError::Timeout { limit }),
            () = cancelled => Err(EngineError::Cancelled),
        };
        if outcome.is_ok() {
            waiting.receiver = None;
        }
        // Otherwise `waiting` leaves the queue as it drops.
        outcome
    }

    /// Takes waiter `id` out of the queue; an engine already handed to it
    /// is passed on.
    fn leave_queue(&self, id: u64, receiver: &mut oneshot::Receiver<usize>) {
        let removed = {
            let mut schedule = lock(&self.schedule);
            let before = schedule.waiters.len();
            schedule.waiters.retain(|waiter| waiter.id != id);
            schedule.waiters.len() != before
        };
        if !removed {
            if let Ok(index) = receiver.try_recv() {
                self.release(index);
            }
        }
    }

    /// Engine `index` is free: the first waiter takes it, else it is idle.
    fn release(&self, index: usize) {
        let mut schedule = lock(&self.schedule);
        while let Some(waiter) = schedule.waiters.pop_front() {
            // A waiter whose caller is gone refuses it; try the next one.
            if waiter.engine.send(index).is_ok() {
                schedule.states[index] = EngineState::Busy;
                return;
            }
        }
        schedule.states[index] = EngineState::Idle;
    }

    /// Sets engine `index`'s state.
    fn set_state(&self, index: usize, state: EngineState) {
        lock(&self.schedule).states[index] = state;
    }

    /// Takes idle engine `index` out of rotation (for its replacement);
    /// false when it is not idle.
    fn take_if_idle(&self, index: usize) -> bool {
        let mut schedule = lock(&self.schedule);
        let idle = schedule.states[index] == EngineState::Idle;
        if idle {
            schedule.states[index] = EngineState::Starting;
        }
        idle
    }

    /// Bookkeeping when a call starts on engine `index`.
    fn started(&self, index: usize) -> Instant {
        let now = Instant::now();
        *lock(&self.slots[index].running_since) = Some(now);
        now
    }

    /// Bookkeeping when engine `index` let go of its call.
    fn finished(&self, index: usize, started: Instant) {
        let slot = &self.slots[index];
        slot.jobs.fetch_add(1, Ordering::Relaxed);
        slot.busy_nanos.fetch_add(
            u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        *lock(&slot.running_since) = None;
    }

    /// Runs `job` on the in-process engine, which this caller holds. The
    /// engine is released when R lets go of the job, not when the caller is
    /// answered: a job stuck in C code keeps it out of rotation.
    async fn run_in_process(
        self: &Arc<Self>,
        mut job: Job,
        deadline: Instant,
        limit: Duration,
    ) -> Result<Reply, EngineError> {
        let engine = &self.in_process;
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            self.release(0);
            return Err(EngineError::Timeout { limit });
        }
        job.timeout = Some(remaining);
        let cancel = job.cancel.take();
        let (sender, receiver) = oneshot::channel();
        let started = self.started(0);
        let done = {
            let shared = Arc::clone(self);
            move |outcome: Result<Reply, EngineError>| {
                // Bookkeeping first: whoever hears the answer sees the
                // engine free and the job counted.
                shared.finished(0, started);
                shared.release(0);
                let _ = sender.send(outcome);
            }
        };
        let id = match engine.submit(job, done) {
            Ok(id) => id,
            Err(error) => {
                *lock(&self.slots[0].running_since) = None;
                if engine.health().alive {
                    self.release(0);
                } else {
                    self.set_state(0, EngineState::Disabled);
                }
                return Err(error);
            }
        };
        let mut abort_on_drop = AbortOnDrop {
            shared: self,
            job: id,
            started,
            armed: true,
        };
        let cancelled = async {
            match &cancel {
                Some(token) => token.cancelled().await,
                None => std::future::pending().await,
            }
        };
        let outcome = tokio::select! {
            received = receiver => received.unwrap_or(Err(EngineError::Unavailable)),
            () = tokio::time::sleep_until(deadline.into()) => {
                // The watchdog interrupts R at the same deadline.
                self.mark_overdue(started);
                Err(EngineError::Timeout { limit })
            }
            () = cancelled => {
                engine.abort(id);
                self.mark_overdue(started);
                Err(EngineError::Cancelled)
            }
        };
        abort_on_drop.armed = false;
        outcome
    }

    /// The in-process engine's caller (of the job that started at
    /// `started`) was answered but R still runs that job.
    fn mark_overdue(&self, started: Instant) {
        let mut schedule = lock(&self.schedule);
        // The job may have ended (and the engine moved on) meanwhile.
        let still_ours = *lock(&self.slots[0].running_since) == Some(started);
        if still_ours && schedule.states[0] == EngineState::Busy {
            schedule.states[0] = EngineState::Overdue;
        }
    }
}

/// A call in the queue: leaves it when the call stops waiting (answered
/// otherwise, or its future dropped), passing on an engine already handed
/// to it.
struct Waiting<'a> {
    shared: &'a Shared,
    id: u64,
    /// `None` once the call took its engine.
    receiver: Option<oneshot::Receiver<usize>>,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if let Some(mut receiver) = self.receiver.take() {
            self.shared.leave_queue(self.id, &mut receiver);
        }
    }
}

/// Aborts the in-process job when its caller's future is dropped.
struct AbortOnDrop<'a> {
    shared: &'a Shared,
    job: crate::r::JobId,
    started: Instant,
    armed: bool,
}

impl Drop for AbortOnDrop<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.shared.in_process.abort(self.job);
            self.shared.mark_overdue(self.started);
        }
    }
}
