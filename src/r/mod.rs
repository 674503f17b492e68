//! The embedded R engine: R running inside this process on one dedicated OS
//! thread, driven from async Rust through a small safe API.
//!
//! This module owns every `unsafe` block and every call into libR-sys in the
//! crate. Outside it, R is only reachable through [`RHandle`]: a job goes in
//! (plain `Send` data: R code or a function name plus JSON arguments), a
//! [`Reply`] or an [`EngineError`] comes back on a oneshot
//! ([`RHandle::eval`]) or to a callback on the R thread
//! ([`RHandle::submit`]). No R value ever crosses a thread.
//!
//! Layout:
//! - `ffi`: declarations libR-sys lacks.
//! - `token`: the `!Send` [`token::RToken`] that proves code runs on the R
//!   thread, R objects bound to it ([`token::Sexp`]), the guard that
//!   protects them ([`token::ProtectScope`]), and the one trampoline that
//!   catches R's longjmps and Rust panics ([`token::RToken::run_toplevel`]).
//! - `convert`: JSON ⇄ R values.
//! - `host`, `format`: `.Call` routines R code calls into Rust with (host
//!   calls, fast number formatting).
//! - `runtime`: the R thread, one file per concern: start-up, the console,
//!   the job loop, the job state, the after-job restore, workspaces.
//! - `control`: what callers, the R thread and the watchdog share (the
//!   running job, aborts, counters) and the watchdog that enforces deadlines.
//! - `interrupt`: R's interrupt flag, raised by `control`, cleared by
//!   `runtime` (neither imports the other).
//!
//! It does not know about MCP, HTTP or tools: the R side's functions are
//! called by name.
//!
//! (Over 500 lines on purpose: this file is the engine's whole public API,
//! its types with their docs and `RHandle`'s methods, which only queue and
//! await jobs; the machinery is in the submodules.)

#![allow(unsafe_code)] // the one module allowed it (Cargo.toml denies it elsewhere)

mod control;
mod convert;
mod ffi;
mod format;
mod host;
mod interrupt;
mod runtime;
mod token;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use control::{AbortReason, Control};

/// Where the engine's R code comes from: every `r/**/*.R`, embedded at build
/// time and loaded once at start-up.
pub mod sources {
    include!(concat!(env!("OUT_DIR"), "/r_sources.rs"));
}

/// A Rust function R code can call as `rmcp_host_call(name, args)`: it gets
/// the name and the arguments as JSON, and returns JSON or an error message
/// (raised in R as an error). It runs on the R thread, inside the calling
/// job.
#[derive(Clone)]
pub struct HostHandler(pub Arc<HostFn>);

/// The function behind a [`HostHandler`]: name and JSON arguments in, JSON
/// or an error message out.
pub type HostFn = dyn Fn(&str, Value) -> Result<Value, String> + Send + Sync;

impl std::fmt::Debug for HostHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HostHandler")
    }
}

/// How the engine is set up; built from the server's `Config`.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Jobs that may wait for the R thread; past this `eval` answers
    /// [`EngineError::Busy`] at once instead of blocking a tokio worker.
    pub queue_capacity: usize,
    /// Deadline of a job that does not set its own (`RMCP_R_TIMEOUT`).
    pub default_timeout: Duration,
    /// Named environments unused for this long are dropped.
    pub environment_ttl: Duration,
    /// At most this many named environments exist at once.
    pub max_environments: usize,
    /// Cap on a reply's value (as JSON) plus console output, in bytes.
    pub max_reply_bytes: usize,
    /// R's vector-heap cap (`R_MAX_VSIZE`, e.g. `"4Gb"`); `None` keeps the
    /// process environment's value, if any.
    pub max_vsize: Option<String>,
    /// Stack of the R thread. Deep R recursion needs ~12 KiB per call level;
    /// the memory is reserved, not committed.
    pub stack_size: usize,
    /// Package namespaces loaded at start-up so the first plot does not pay
    /// for loading ggplot2.
    pub preload_packages: Vec<String>,
    /// What `rmcp_host_call()` in R reaches; `None` makes it an R error.
    pub host: Option<HostHandler>,
    /// How long the R thread keeps polling for the next job after one ends
    /// before it sleeps (zero: sleep at once). Saves the next job a thread
    /// wake-up and cold caches; costs at most this much CPU per job.
    pub idle_spin: Duration,
}

/// [`EngineConfig::idle_spin`] unless configured (`RMCP_R_SPIN_US`): long
/// enough to catch a client's next call sent right after its answer, short
/// enough to be noise next to the job before it.
pub const DEFAULT_IDLE_SPIN: Duration = Duration::from_micros(500);

/// What a [`Task::Call`] must pass before it is queued: input R could not
/// hold is refused here, on the caller's thread, and costs the R thread
/// nothing (the walk over a call's arguments was a few percent of its time
/// on R's thread).
fn check_call(function: &str, args: &Value) -> Result<(), EngineError> {
    convert::check_input(args).map_err(EngineError::InvalidInput)?;
    if function.contains('\0') {
        return Err(EngineError::InvalidInput(
            "function name contains a NUL character".into(),
        ));
    }
    Ok(())
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            queue_capacity: 1024,
            default_timeout: Duration::from_secs(300),
            environment_ttl: Duration::from_secs(3600),
            max_environments: 1000,
            max_reply_bytes: 32 * 1024 * 1024,
            max_vsize: None,
            stack_size: 256 * 1024 * 1024,
            preload_packages: Vec::new(),
            host: None,
            idle_spin: DEFAULT_IDLE_SPIN,
        }
    }
}

/// Which environment R code is evaluated in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvSpec {
    /// A new environment for this job only. Like named ones, its parent is
    /// the R side's environment, so `rmcp_*` helpers (e.g.
    /// `rmcp_render_png`) are visible, then the global environment.
    Fresh,
    /// A persistent environment, created on first use and kept until dropped
    /// or idle for `environment_ttl`. Variables in one are invisible to
    /// every other.
    Named(String),
}

/// What a job asks R to do.
#[derive(Debug, Clone)]
pub enum Task {
    /// Parse and evaluate R source code; the value is the last expression's.
    Eval { code: String, env: EnvSpec },
    /// Call a function of the R side (`r/`) with one argument, `args`
    /// converted to a named list; the members named in `tables` (column-wise
    /// objects) arrive as `data.frame`s.
    Call {
        function: String,
        args: Value,
        tables: Vec<String>,
    },
    /// List a named environment's objects with their classes and sizes.
    DescribeEnv { env: String },
    /// Drop a named environment; the value says whether it existed.
    DropEnv { env: String },
}

/// One unit of work for the R thread.
#[derive(Debug, Clone)]
pub struct Job {
    pub task: Task,
    /// Overrides the engine's default deadline.
    pub timeout: Option<Duration>,
    /// Seeds R's RNG for this job only; the previous RNG state is restored.
    pub seed: Option<i32>,
    /// Cancelling it interrupts the job (or drops it from the queue).
    pub cancel: Option<CancellationToken>,
}

impl Job {
    /// Evaluate `code` in a fresh environment.
    pub fn eval(code: impl Into<String>) -> Job {
        Job::new(Task::Eval {
            code: code.into(),
            env: EnvSpec::Fresh,
        })
    }

    /// Call the R side's `function` with `args`.
    pub fn call(function: impl Into<String>, args: Value) -> Job {
        Job::new(Task::Call {
            function: function.into(),
            args,
            tables: Vec::new(),
        })
    }

    pub fn new(task: Task) -> Job {
        Job {
            task,
            timeout: None,
            seed: None,
            cancel: None,
        }
    }

    /// Evaluate in the named persistent environment instead.
    pub fn in_env(mut self, name: impl Into<String>) -> Job {
        if let Task::Eval { env, .. } = &mut self.task {
            *env = EnvSpec::Named(name.into());
        }
        self
    }

    /// Arguments (of a [`Task::Call`]) to hand to R as data frames.
    pub fn with_tables<I, S>(mut self, names: I) -> Job
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        if let Task::Call { tables, .. } = &mut self.task {
            tables.extend(names.into_iter().map(Into::into));
        }
        self
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Job {
        self.timeout = Some(timeout);
        self
    }

    pub fn with_seed(mut self, seed: i32) -> Job {
        self.seed = Some(seed);
        self
    }

    pub fn with_cancel(mut self, token: CancellationToken) -> Job {
        self.cancel = Some(token);
        self
    }
}

/// A finished job.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The job's value as JSON (see `convert` for the mapping).
    pub value: Value,
    /// What R printed to standard output (`print`, `cat`, `str`).
    pub stdout: String,
    /// What R printed to standard error (`message`).
    pub stderr: String,
    /// Warnings the job raised, in order.
    pub warnings: Vec<String>,
    /// Time spent on the R thread, conversions included.
    pub r_time: Duration,
}

/// Why a job produced no [`Reply`]. Messages are lowercase, say what went
/// wrong, and never include paths or environment details.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    /// The R thread is gone (failed to start, crashed, or shut down).
    #[error("the R engine is not available")]
    Unavailable,
    /// The job queue is full.
    #[error("the R engine is busy ({queued} jobs queued); retry shortly")]
    Busy { queued: usize },
    /// The job passed its deadline (queued or running) and was stopped.
    #[error("the R computation exceeded its time limit of {limit:.1?} and was stopped; simplify it, use less data, or raise the timeout")]
    Timeout { limit: Duration },
    /// The caller cancelled the job.
    #[error("the R computation was cancelled")]
    Cancelled,
    /// R raised an error.
    #[error("{}", .0)]
    R(RError),
    /// The R code does not parse.
    #[error("R syntax error{}: {message}", match (.line, .column) { (Some(l), Some(c)) => format!(" at line {l}, column {c}"), _ => String::new() })]
    Parse {
        message: String,
        line: Option<u32>,
        column: Option<u32>,
    },
    /// The value plus output is larger than the reply cap.
    #[error("the R result is too large ({bytes} bytes, limit {limit}); return a summary instead")]
    ReplyTooLarge { bytes: usize, limit: usize },
    /// The job's input cannot be handed to R (e.g. a string with a NUL).
    #[error("invalid input for R: {0}")]
    InvalidInput(String),
    /// R could not be started.
    #[error("the R engine failed to start: {0}")]
    Startup(String),
    /// A bug in the engine, caught before it could take the R thread down.
    #[error("internal engine error: {0}")]
    Internal(String),
}

/// An error raised by R code, with what the job printed and warned before it.
#[derive(Debug, Clone, PartialEq)]
pub struct RError {
    /// R's condition message (`stop("boom")` gives `boom`).
    pub message: String,
    /// The call that raised it, deparsed, when R recorded one.
    pub call: Option<String>,
    pub warnings: Vec<String>,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Display for RError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.call {
            Some(call) => write!(f, "R error in {call}: {}", self.message),
            None => write!(f, "R error: {}", self.message),
        }
    }
}

/// A snapshot of the engine for `/health` and `/metrics`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EngineHealth {
    /// The R thread is running and accepting jobs.
    pub alive: bool,
    /// Start-up finished (R initialised, the R side loaded).
    pub ready: bool,
    pub r_version: Option<String>,
    pub jobs_queued: usize,
    /// How long the current job has been running, if one is.
    pub running_for_ms: Option<u64>,
    /// The current job passed its deadline or was cancelled, and R has not
    /// yet come back (e.g. it is inside C code that cannot be interrupted).
    pub running_overdue: bool,
    pub jobs_done: u64,
    pub jobs_failed: u64,
    pub jobs_timed_out: u64,
    pub jobs_cancelled: u64,
    /// Total seconds the R thread has spent on jobs.
    pub busy_seconds: f64,
    pub environments: usize,
}

/// What travels to the R thread for one job.
struct Envelope {
    id: u64,
    job: Job,
    deadline: Instant,
    limit: Duration,
    reply: ReplyTo,
}

/// Where a finished job's outcome goes.
enum ReplyTo {
    /// A caller awaiting [`RHandle::eval`].
    Waiter(oneshot::Sender<Result<Reply, EngineError>>),
    /// A function called on the R thread ([`RHandle::submit`]).
    Callback(Box<dyn FnOnce(Result<Reply, EngineError>) + Send>),
}

impl ReplyTo {
    fn send(self, outcome: Result<Reply, EngineError>) {
        match self {
            ReplyTo::Waiter(waiter) => {
                // The caller may have stopped waiting (timed out, cancelled).
                let _ = waiter.send(outcome);
            }
            ReplyTo::Callback(done) => {
                // A panicking callback must not take the R thread with it.
                let called =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| done(outcome)));
                if called.is_err() {
                    log::error!("a job's completion callback panicked");
                }
            }
        }
    }
}

/// A job queued with [`RHandle::submit`], for [`RHandle::abort`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JobId(u64);

/// Messages to the R thread.
enum Message {
    Job(Box<Envelope>),
    Shutdown,
    /// Runs a closure on the R thread between jobs (the engine's own tests).
    #[cfg(test)]
    Probe(Box<dyn FnOnce(&token::RToken) + Send>),
}

/// The handle to the R engine: cheap to clone, usable from any thread.
#[derive(Clone)]
pub struct RHandle {
    inner: Arc<Inner>,
}

struct Inner {
    sender: crossbeam_channel::Sender<Message>,
    control: Arc<Control>,
    config: EngineConfig,
    thread: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl RHandle {
    /// Starts the R thread and waits until R is initialised and the R side is
    /// loaded. R can be started once per process: a second call fails.
    pub fn start(config: EngineConfig) -> Result<RHandle, EngineError> {
        let control = Arc::new(Control::new());
        let (sender, receiver) = crossbeam_channel::bounded(config.queue_capacity.max(1));
        let thread = runtime::spawn(config.clone(), receiver, Arc::clone(&control))?;
        control::spawn_watchdog(Arc::clone(&control));
        Ok(RHandle {
            inner: Arc::new(Inner {
                sender,
                control,
                config,
                thread: std::sync::Mutex::new(Some(thread)),
            }),
        })
    }

    /// Runs a job on the R thread. Returns at the job's deadline even when R
    /// is stuck in C code (it is interrupted as soon as R allows); dropping
    /// the future cancels the job.
    pub async fn eval(&self, job: Job) -> Result<Reply, EngineError> {
        let control = &self.inner.control;
        let cancel = job.cancel.clone();
        let (reply, receiver) = oneshot::channel();
        let Queued {
            id,
            deadline,
            limit,
        } = self.enqueue(job, ReplyTo::Waiter(reply))?;
        let mut abort_on_drop = AbortOnDrop {
            control,
            id,
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
                control.abort(id, AbortReason::Timeout);
                Err(EngineError::Timeout { limit })
            }
            () = cancelled => {
                control.abort(id, AbortReason::Cancelled);
                Err(EngineError::Cancelled)
            }
        };
        abort_on_drop.armed = false;
        outcome
    }

    /// Queues a job and returns at once: `done` gets the job's outcome on
    /// the R thread when R is done with it. For a caller that has its own
    /// thread to answer from (a worker process answering its server), this
    /// saves the two thread wake-ups of awaiting [`RHandle::eval`].
    ///
    /// The watchdog enforces the job's deadline: R is interrupted there, and
    /// `done` gets [`EngineError::Timeout`] once R lets go (R stuck inside C
    /// code answers only when the call returns; a job whose deadline passes
    /// while it is queued is answered, without running, when R reaches it).
    /// [`RHandle::abort`] cancels the job; its `cancel` token is not watched.
    /// `done` should be quick and must not wait for the engine.
    pub fn submit(
        &self,
        job: Job,
        done: impl FnOnce(Result<Reply, EngineError>) + Send + 'static,
    ) -> Result<JobId, EngineError> {
        let queued = self.enqueue(job, ReplyTo::Callback(Box::new(done)))?;
        Ok(JobId(queued.id))
    }

    /// Cancels a job from [`RHandle::submit`]: it is dropped if still queued
    /// and interrupted if running (its callback then gets
    /// [`EngineError::Cancelled`]); a finished job is left alone.
    pub fn abort(&self, job: JobId) {
        self.inner.control.abort(job.0, AbortReason::Cancelled);
    }

    /// Checks a job and puts it on the R thread's queue.
    fn enqueue(&self, job: Job, reply: ReplyTo) -> Result<Queued, EngineError> {
        let control = &self.inner.control;
        if !control.alive.load(Ordering::Acquire) {
            return Err(EngineError::Unavailable);
        }
        if let Task::Call { function, args, .. } = &job.task {
            check_call(function, args)?;
        }
        let limit = job.timeout.unwrap_or(self.inner.config.default_timeout);
        let deadline = Instant::now() + limit;
        let id = control.next_id();
        control.enqueued(id);
        let envelope = Envelope {
            id,
            job,
            deadline,
            limit,
            reply,
        };
        if let Err(error) = self.inner.sender.try_send(Message::Job(Box::new(envelope))) {
            control.dequeued(id);
            return Err(match error {
                crossbeam_channel::TrySendError::Full(_) => EngineError::Busy {
                    queued: self.inner.sender.len(),
                },
                crossbeam_channel::TrySendError::Disconnected(_) => EngineError::Unavailable,
            });
        }
        Ok(Queued {
            id,
            deadline,
            limit,
        })
    }

    /// Health of the engine, without touching R.
    pub fn health(&self) -> EngineHealth {
        self.inner.control.health(self.inner.sender.len())
    }

    /// Asks the R thread to stop after its current job (which is
    /// interrupted), then waits up to `grace` for it to finish. Queued jobs
    /// get [`EngineError::Unavailable`].
    pub fn shutdown(&self, grace: Duration) {
        self.inner.control.begin_shutdown();
        // A full queue must not block shutdown: the R thread also watches the
        // shutdown flag.
        let _ = self.inner.sender.try_send(Message::Shutdown);
        let handle = match self.inner.thread.lock() {
            Ok(mut guard) => guard.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(handle) = handle {
            let deadline = Instant::now() + grace;
            while !handle.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if handle.is_finished() {
                let _ = handle.join();
            }
        }
    }

    /// The configuration the engine runs with.
    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }
}

/// A job on the R thread's queue.
struct Queued {
    id: u64,
    deadline: Instant,
    limit: Duration,
}

/// Aborts a job whose caller stopped waiting (its future was dropped).
struct AbortOnDrop<'a> {
    control: &'a Control,
    id: u64,
    armed: bool,
}

impl Drop for AbortOnDrop<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.control.abort(self.id, AbortReason::Cancelled);
        }
    }
}
