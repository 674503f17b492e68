//! What callers, the R thread and the watchdog share: which job is running,
//! which queued jobs were aborted, counters for health, and the watchdog
//! thread that enforces deadlines.
//!
//! Interrupts are cooperative: setting R's `R_interrupts_pending` flag makes R
//! raise an `interrupt` condition at its next check (loop back-edges,
//! `Sys.sleep` polls, between C calls). The watchdog re-asserts the flag
//! while an aborted job keeps running, so user code that swallows one
//! interrupt still gets the next. R stuck inside C code (BLAS, sort) only
//! stops when that call returns; the caller has its answer at the deadline
//! anyway, and health shows the job as overdue until R comes back.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use super::EngineHealth;

/// How often an aborted job that keeps running is interrupted again.
const REASSERT_INTERVAL: Duration = Duration::from_millis(50);

/// How often the watchdog looks at the running job. Jobs start and end
/// without waking it (a wake-up per job costs a context switch on the hot
/// path), so a deadline is enforced within this much of its time. Callers
/// awaiting `RHandle::eval` are answered exactly at their deadline by their
/// own timer; a submitted job's callback hears of it once R lets go.
const TICK: Duration = Duration::from_millis(10);

/// After this long without a job starting, the watchdog goes dormant: it
/// sleeps until the next job starts (which wakes it), an abort or shutdown.
/// An idle server (and each idle worker process) then stops waking a
/// hundred times a second, while a busy one never pays for the wake-up.
const DORMANT_AFTER: Duration = Duration::from_secs(1);

/// The dormant watchdog's sleep when nothing wakes it: a safety net only.
const DORMANT_TICK: Duration = Duration::from_secs(60);

/// Why a job was stopped before it finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AbortReason {
    Timeout,
    Cancelled,
}

struct Running {
    id: u64,
    started: Instant,
    deadline: Instant,
    abort: Option<AbortReason>,
}

#[derive(Default)]
struct State {
    running: Option<Running>,
    /// Jobs submitted and not yet taken by the R thread.
    queued: HashSet<u64>,
    /// Queued jobs whose callers gave up: the R thread skips them.
    aborted_queued: HashMap<u64, AbortReason>,
    shutting_down: bool,
    /// When the last job started (the watchdog's start before any job).
    last_begin: Option<Instant>,
    /// The watchdog sleeps until a job starts (see [`DORMANT_AFTER`]).
    watchdog_dormant: bool,
}

pub(crate) struct Control {
    state: Mutex<State>,
    /// Wakes the watchdog: a job was aborted, the engine shuts down, or a job
    /// started while the watchdog was dormant.
    wake: Condvar,
    next_id: AtomicU64,
    /// False once the R thread has exited (or never started).
    pub(crate) alive: AtomicBool,
    pub(crate) ready: AtomicBool,
    pub(crate) r_version: OnceLock<String>,
    pub(crate) environments: AtomicUsize,
    jobs_done: AtomicU64,
    jobs_failed: AtomicU64,
    jobs_timed_out: AtomicU64,
    jobs_cancelled: AtomicU64,
    busy_micros: AtomicU64,
}

/// How a job ended, for the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Done,
    Failed,
    TimedOut,
    Cancelled,
}

impl Control {
    pub(crate) fn new() -> Control {
        Control {
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
            next_id: AtomicU64::new(1),
            alive: AtomicBool::new(false),
            ready: AtomicBool::new(false),
            r_version: OnceLock::new(),
            environments: AtomicUsize::new(0),
            jobs_done: AtomicU64::new(0),
            jobs_failed: AtomicU64::new(0),
            jobs_timed_out: AtomicU64::new(0),
            jobs_cancelled: AtomicU64::new(0),
            busy_micros: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // No code holding this lock can panic halfway through an update, so a
        // poisoned lock still guards consistent state.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn enqueued(&self, id: u64) {
        self.lock().queued.insert(id);
    }

    pub(crate) fn dequeued(&self, id: u64) {
        self.lock().queued.remove(&id);
    }

    /// The caller of job `id` stopped waiting: interrupt it if it runs, skip
    /// it if it is still queued, forget it if it already finished.
    pub(crate) fn abort(&self, id: u64, reason: AbortReason) {
        let mut state = self.lock();
        if let Some(running) = state.running.as_mut().filter(|r| r.id == id) {
            if running.abort.is_none() {
                running.abort = Some(reason);
            }
            super::interrupt::request_interrupt();
            self.wake.notify_all();
        } else if state.queued.contains(&id) {
            state.aborted_queued.insert(id, reason);
        }
    }

    /// The R thread takes job `id` off the queue. Returns why it must not run
    /// when it was aborted while queued, its deadline passed, or the engine
    /// is shutting down.
    pub(crate) fn begin(&self, id: u64, deadline: Instant) -> Result<(), AbortReason> {
        let mut state = self.lock();
        state.queued.remove(&id);
        if let Some(reason) = state.aborted_queued.remove(&id) {
            return Err(reason);
        }
        if state.shutting_down {
            return Err(AbortReason::Cancelled);
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(AbortReason::Timeout);
        }
        state.running = Some(Running {
            id,
            started: now,
            deadline,
            abort: None,
        });
        state.last_begin = Some(now);
        if state.watchdog_dormant {
            state.watchdog_dormant = false;
            self.wake.notify_all();
        }
        Ok(())
    }

    /// The R thread is done with the running job. Returns why it was aborted,
    /// if it was: its caller has already been answered.
    pub(crate) fn finish(&self) -> Option<AbortReason> {
        let mut state = self.lock();
        let running = state.running.take()?;
        let elapsed = running.started.elapsed();
        self.busy_micros.fetch_add(
            u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        running.abort
    }

    pub(crate) fn record(&self, outcome: Outcome) {
        let counter = match outcome {
            Outcome::Done => &self.jobs_done,
            Outcome::Failed => &self.jobs_failed,
            Outcome::TimedOut => &self.jobs_timed_out,
            Outcome::Cancelled => &self.jobs_cancelled,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn begin_shutdown(&self) {
        let mut state = self.lock();
        state.shutting_down = true;
        if let Some(running) = state.running.as_mut() {
            running.abort.get_or_insert(AbortReason::Cancelled);
            super::interrupt::request_interrupt();
        }
        self.wake.notify_all();
    }

    pub(crate) fn is_shutting_down(&self) -> bool {
        self.lock().shutting_down
    }

    pub(crate) fn health(&self, jobs_queued: usize) -> EngineHealth {
        let state = self.lock();
        let now = Instant::now();
        EngineHealth {
            alive: self.alive.load(Ordering::Acquire),
            ready: self.ready.load(Ordering::Acquire),
            r_version: self.r_version.get().cloned(),
            jobs_queued,
            running_for_ms: state.running.as_ref().map(|r| {
                u64::try_from(now.duration_since(r.started).as_millis()).unwrap_or(u64::MAX)
            }),
            running_overdue: state
                .running
                .as_ref()
                .is_some_and(|r| r.abort.is_some() || now >= r.deadline),
            jobs_done: self.jobs_done.load(Ordering::Relaxed),
            jobs_failed: self.jobs_failed.load(Ordering::Relaxed),
            jobs_timed_out: self.jobs_timed_out.load(Ordering::Relaxed),
            jobs_cancelled: self.jobs_cancelled.load(Ordering::Relaxed),
            busy_seconds: self.busy_micros.load(Ordering::Relaxed) as f64 / 1e6,
            environments: self.environments.load(Ordering::Relaxed),
        }
    }
}

/// Starts the watchdog: it sleeps until the running job's deadline, then
/// interrupts R, and keeps interrupting an aborted job until R lets go.
pub(crate) fn spawn_watchdog(control: Arc<Control>) {
    let spawned = std::thread::Builder::new()
        .name("rmcp-r-watchdog".into())
        .spawn(move || watch(&control));
    if let Err(error) = spawned {
        log::error!("could not start the R watchdog thread: {error}; R jobs will only stop when their callers time out");
    }
}

fn watch(control: &Control) {
    let mut state = control.lock();
    let started = Instant::now();
    loop {
        if state.shutting_down && state.running.is_none() {
            return;
        }
        let now = Instant::now();
        let wait: Duration = match state.running.as_mut() {
            None => {
                let idle_since = state.last_begin.unwrap_or(started);
                if now.duration_since(idle_since) >= DORMANT_AFTER {
                    state.watchdog_dormant = true;
                    DORMANT_TICK
                } else {
                    TICK
                }
            }
            Some(running) if running.abort.is_some() => {
                super::interrupt::request_interrupt();
                REASSERT_INTERVAL
            }
            Some(running) if now >= running.deadline => {
                running.abort = Some(AbortReason::Timeout);
                super::interrupt::request_interrupt();
                REASSERT_INTERVAL
            }
            Some(running) => (running.deadline - now).min(TICK),
        };
        state = control
            .wake
            .wait_timeout(state, wait)
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .0;
        state.watchdog_dormant = false;
    }
}
