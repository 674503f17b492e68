//! Worker mode: `rmcp worker --channel-fd 0 ...`, the sandboxed process that
//! runs one MCP session's free-form R.
//!
//! Start-up, in order, while the process has one thread: take the channel
//! (the server's end of a socket pair, handed over as stdin) and point stdin
//! at `/dev/null`; ask to die with the server; move into the worker's
//! folder; apply rlimits and landlock (`sandbox`); start the same embedded
//! engine the server uses (`crate::r`), whose threads inherit them; load R's
//! base packages and warm up the R side; then install seccomp on every
//! thread. Only then does the worker say `ready` and serve frames
//! (`protocol`) until the channel closes:
//!
//! - the main thread reads frames: a request becomes an engine job calling
//!   the op's R function in `r/worker/` (queued with `RHandle::submit`, so
//!   requests run one at a time in arrival order), `cancel` aborts the
//!   request's job, `callback_result` wakes the R thread waiting in a
//!   callback;
//! - the R thread writes each request's reply frame itself when R is done
//!   with it: no thread sits between R and the channel. At a deadline the
//!   engine's watchdog interrupts R, and the reply (a timeout) goes out once
//!   R lets go; R that never does is killed by the server;
//! - R code's `rmcp_call(tool, args)` reaches [`Bridge::call`] on the R
//!   thread through the engine's host-call hook; it sends a `callback` frame
//!   and blocks until the server answers or the job's deadline passes.
//!
//! Its environment reads (`R_HOME`, R's library paths, whether the
//! environment is scrubbed) happen here, at this process's own start-up,
//! on the environment the server built for it from values captured at the
//! server's start-up (`environment`).
//!
//! It knows nothing of MCP or HTTP.

use std::collections::HashMap;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::allowlist::Allowlist;
use super::protocol::{
    self, CallbackOutcome, EngineJob, FailureKind, FromWorker, Op, Outcome, SandboxReport, ToWorker,
};
use super::sandbox::{self, SandboxPlan};
use crate::config::WorkerArgs;
use crate::r::{EngineConfig, EngineError, HostHandler, Job, JobId, RHandle, Reply};

/// Environment variables a worker may have; anything else means the server
/// did not scrub its environment.
pub const ALLOWED_ENV: &[&str] = &[
    "PATH",
    "LANG",
    "LANGUAGE",
    "R_HOME",
    "HOME",
    "TMPDIR",
    "R_MAX_VSIZE",
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "MIMALLOC_ARENA_EAGER_COMMIT",
    "R_LIBS",
    "R_LIBS_SITE",
    "R_LIBS_USER",
    "TZ",
];

/// Whether `name` may be in a worker's environment.
pub fn env_allowed(name: &str) -> bool {
    ALLOWED_ENV.contains(&name) || name.starts_with("LC_")
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs worker mode; returns when the server closes the channel.
/// How much lower a worker's CPU priority is than the server's (nice).
const WORKER_NICENESS: i32 = 10;

pub fn run(args: &WorkerArgs) -> ExitCode {
    let level = crate::config::parse_log_level(&args.log_level).unwrap_or(log::LevelFilter::Warn);
    let _ = env_logger::Builder::new()
        .filter_level(level)
        .target(env_logger::Target::Stderr)
        .try_init();
    let channel = match take_channel(args.channel_fd) {
        Ok(channel) => channel,
        Err(message) => {
            eprintln!("rmcp worker: {message}");
            return ExitCode::from(2);
        }
    };
    let mut report = SandboxReport {
        env_scrubbed: std::env::vars_os().all(|(name, _)| env_allowed(&name.to_string_lossy())),
        ..SandboxReport::default()
    };
    report.parent_death_signal =
        rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))
            .is_ok();
    if std::os::unix::process::parent_id() != args.parent_pid {
        // The server died before the death signal was armed.
        return ExitCode::from(3);
    }
    // Below the server in CPU priority: a worker warming up or running a
    // client's long computation must not slow the catalog's R thread or the
    // HTTP layer (on a small machine the warm pool's start-up alone delayed
    // the server's first answer by ~0.5 s).
    // A catalog engine (`rmcp engine`) serves the catalog beside the
    // server's own R thread, at the same priority.
    if !args.catalog_engine {
        if let Err(error) = rustix::process::nice(WORKER_NICENESS) {
            log::warn!("could not lower the worker's CPU priority: {error}");
        }
    }
    if let Err(error) = std::env::set_current_dir(&args.dir) {
        eprintln!("rmcp worker: cannot enter its folder: {error}");
        return ExitCode::from(2);
    }
    sandbox::apply_before_r(&plan(args), &mut report);
    serve(args, channel, report)
}

/// The sandbox for this worker: system folders, R's libraries, the roots the
/// server passed; its own folder and granted directories writable.
fn plan(args: &WorkerArgs) -> SandboxPlan {
    let r_home = std::env::var_os("R_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("RMCP_BUILD_R_HOME")));
    let mut read_paths = sandbox::system_read_paths(&r_home);
    for variable in ["R_LIBS", "R_LIBS_SITE", "R_LIBS_USER"] {
        if let Some(value) = std::env::var_os(variable) {
            read_paths.extend(std::env::split_paths(&value));
        }
    }
    read_paths.extend(args.read_roots.iter().cloned());
    let mut write_paths = vec![args.dir.clone()];
    write_paths.extend(args.write_roots.iter().cloned());
    SandboxPlan {
        read_paths,
        write_paths,
        memory_bytes: args.memory_mb.saturating_mul(1 << 20),
        cpu_seconds: args.cpu_seconds,
        max_file_bytes: args.max_file_mb.saturating_mul(1 << 20),
        open_files: 256,
    }
}

/// The channel is the server's end of a socket pair given as stdin: keep a
/// private, close-on-exec copy and give R `/dev/null` as stdin.
fn take_channel(fd: i32) -> Result<UnixStream, String> {
    if fd != 0 {
        return Err(format!(
            "--channel-fd {fd}: only 0 (stdin) is supported; the server passes the channel as stdin"
        ));
    }
    let stdin = std::io::stdin();
    let channel: OwnedFd = stdin
        .as_fd()
        .try_clone_to_owned()
        .map_err(|error| format!("cannot take the channel: {error}"))?;
    let null = std::fs::File::open("/dev/null")
        .map_err(|error| format!("cannot open /dev/null: {error}"))?;
    rustix::stdio::dup2_stdin(&null).map_err(|error| format!("cannot replace stdin: {error}"))?;
    Ok(UnixStream::from(channel))
}

/// Callbacks from R into the server, and what the reader thread needs to
/// wake them.
struct Bridge {
    writer: Arc<Mutex<UnixStream>>,
    next_id: AtomicU64,
    /// The callback the R thread is waiting for (R runs one at a time).
    waiting: Mutex<Option<(u64, crossbeam_channel::Sender<CallbackOutcome>)>>,
    /// When the running job must end; callbacks wait no longer.
    deadline: Mutex<Option<Instant>>,
}

impl Bridge {
    /// `rmcp_host_call(name, args)` on the R thread.
    fn call(&self, name: &str, args: Value) -> Result<Value, String> {
        if name != "tool" {
            return Err(format!("unknown host call '{name}'"));
        }
        let tool = args
            .get("tool")
            .and_then(Value::as_str)
            .ok_or("rmcp_call: tool must be one string, such as \"linear_model\"")?
            .to_string();
        let tool_args = match args.get("args") {
            None | Some(Value::Null) => json!({}),
            Some(Value::Array(items)) if items.is_empty() => json!({}),
            Some(Value::Object(members)) => Value::Object(members.clone()),
            Some(_) => {
                return Err("rmcp_call: args must be a named list, such as list(data = df, formula = \"y ~ x\")".into())
            }
        };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (sender, receiver) = crossbeam_channel::bounded(1);
        *lock(&self.waiting) = Some((id, sender));
        let frame = FromWorker::Callback {
            id,
            tool,
            args: tool_args,
        };
        if let Err(error) = protocol::write_frame(&mut *lock(&self.writer), &frame) {
            *lock(&self.waiting) = None;
            return Err(format!("the server cannot be reached: {error}"));
        }
        let wait = lock(&self.deadline)
            .map(|deadline| deadline.saturating_duration_since(Instant::now()))
            .unwrap_or(Duration::from_secs(300));
        let answer = receiver.recv_timeout(wait);
        *lock(&self.waiting) = None;
        match answer {
            Ok(CallbackOutcome::Ok(value)) => Ok(value),
            Ok(CallbackOutcome::Error(message)) => Err(message),
            Err(_) => Err("the tool call got no answer before the time limit".into()),
        }
    }

    /// Hands the server's answer to the waiting R thread.
    fn deliver(&self, id: u64, outcome: CallbackOutcome) {
        if let Some((waiting, sender)) = lock(&self.waiting).as_ref() {
            if *waiting == id {
                let _ = sender.try_send(outcome);
            }
        }
    }

    /// Wakes a waiting callback with an error (its request was cancelled).
    fn abandon(&self) {
        if let Some((_, sender)) = lock(&self.waiting).as_ref() {
            let _ = sender.try_send(CallbackOutcome::Error("the call was cancelled".into()));
        }
    }
}

fn serve(args: &WorkerArgs, channel: UnixStream, mut report: SandboxReport) -> ExitCode {
    let writer = match channel.try_clone() {
        Ok(writer) => Arc::new(Mutex::new(writer)),
        Err(error) => {
            eprintln!("rmcp worker: cannot share the channel: {error}");
            return ExitCode::from(2);
        }
    };
    let bridge = Arc::new(Bridge {
        writer: Arc::clone(&writer),
        next_id: AtomicU64::new(1),
        waiting: Mutex::new(None),
        deadline: Mutex::new(None),
    });
    let host = {
        let bridge = Arc::clone(&bridge);
        HostHandler(Arc::new(move |name: &str, args: Value| {
            bridge.call(name, args)
        }))
    };
    let engine = match RHandle::start(EngineConfig {
        queue_capacity: 4,
        default_timeout: Duration::from_secs(60),
        environment_ttl: Duration::from_secs(86_400),
        max_environments: 4,
        max_reply_bytes: args.max_reply_bytes,
        max_vsize: None,
        stack_size: 64 * 1024 * 1024,
        // A catalog engine loads what the server's R preloads, before
        // seccomp, so its first plot costs what the server's does.
        preload_packages: if args.catalog_engine {
            crate::config::PRELOADED_PACKAGES
                .iter()
                .map(|name| name.to_string())
                .collect()
        } else {
            Vec::new()
        },
        host: Some(host),
        // The server's RMCP_R_SPIN_US: a session's back-to-back calls find
        // this R awake.
        idle_spin: Duration::from_micros(args.r_spin_us),
    }) {
        Ok(engine) => engine,
        Err(error) => {
            eprintln!("rmcp worker: {error}");
            return ExitCode::from(1);
        }
    };
    warm_up(&engine);
    sandbox::apply_after_r(&mut report);
    for error in &report.errors {
        log::warn!("sandbox: {error}");
    }
    let ready = FromWorker::Ready {
        pid: std::process::id(),
        r_version: engine.health().r_version,
        sandbox: report,
    };
    if protocol::write_frame(&mut *lock(&writer), &ready).is_err() {
        return ExitCode::SUCCESS;
    }
    let requests = Requests {
        engine: engine.clone(),
        writer: Arc::clone(&writer),
        bridge: Arc::clone(&bridge),
        running: Arc::default(),
    };
    let mut reader = std::io::BufReader::with_capacity(protocol::FRAME_BUFFER, channel);
    loop {
        match protocol::read_frame::<ToWorker>(&mut reader) {
            Ok(Some(ToWorker::Request {
                id,
                op,
                args,
                timeout_ms,
            })) => {
                requests.submit(id, op, args, Duration::from_millis(timeout_ms.max(1)));
            }
            Ok(Some(ToWorker::Cancel { id })) => requests.cancel(id),
            Ok(Some(ToWorker::CallbackResult { id, outcome })) => bridge.deliver(id, outcome),
            Ok(None) => break,
            Err(error) => {
                log::warn!("worker channel: {error}");
                break;
            }
        }
    }
    // The server is gone or done with this worker.
    engine.shutdown(Duration::from_millis(500));
    ExitCode::SUCCESS
}

/// Hands R the package allowlist (built into this binary, so the server
/// sends only a session's own approvals with each call), loads R's base
/// packages (some run programs while loading, which seccomp will forbid)
/// and runs the R side once, so the first call is fast.
fn warm_up(engine: &RHandle) {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    else {
        return;
    };
    let allowlist: Vec<String> = match Allowlist::load() {
        Ok(allowlist) => allowlist.names().cloned().collect(),
        Err(error) => {
            // Fail closed: every package then needs the session's approval.
            log::error!("the package allowlist does not load: {error}");
            Vec::new()
        }
    };
    let job = Job::call("rmcp_worker_warm_up", json!({ "allowlist": allowlist }))
        .with_timeout(Duration::from_secs(60));
    if let Err(error) = runtime.block_on(engine.eval(job)) {
        log::warn!("warming up R failed: {error}");
    }
}

/// The server's requests on their way through the engine.
struct Requests {
    engine: RHandle,
    writer: Arc<Mutex<UnixStream>>,
    bridge: Arc<Bridge>,
    /// The engine's job for each request still running, for `cancel`.
    running: Arc<Mutex<HashMap<u64, JobId>>>,
}

impl Requests {
    /// Queues request `id` as an engine job whose reply frame the R thread
    /// writes when the job ends; a job the engine refuses is answered at
    /// once.
    fn submit(&self, id: u64, op: Op, args: Value, timeout: Duration) {
        let mut job = match op {
            Op::Job => match engine_job(args) {
                Ok(job) => job,
                Err(error) => return reply(&self.writer, id, Err(error)),
            },
            Op::Eval => Job::call(op.r_function(), args).with_tables(["data"]),
            _ => Job::call(op.r_function(), args),
        };
        job = job.with_timeout(timeout);
        // The server sends one request at a time; callbacks made while it
        // runs wait no longer than its deadline.
        *lock(&self.bridge.deadline) = Some(Instant::now() + timeout);
        let answer = {
            let writer = Arc::clone(&self.writer);
            let bridge = Arc::clone(&self.bridge);
            let running = Arc::clone(&self.running);
            move |result: Result<Reply, EngineError>| {
                lock(&running).remove(&id);
                *lock(&bridge.deadline) = None;
                reply(&writer, id, result);
            }
        };
        // The map stays locked across the submission, so a job that ends at
        // once cannot look for its entry before it is there.
        let mut running = lock(&self.running);
        match self.engine.submit(job, answer) {
            Ok(job) => {
                running.insert(id, job);
            }
            Err(error) => {
                drop(running);
                *lock(&self.bridge.deadline) = None;
                reply(&self.writer, id, Err(error));
            }
        }
    }

    /// Stops request `id`: its job is dropped from the queue or interrupted,
    /// and a callback it waits in gives up.
    fn cancel(&self, id: u64) {
        if let Some(job) = lock(&self.running).get(&id) {
            self.engine.abort(*job);
            self.bridge.abandon();
        }
    }
}

/// The engine job an [`Op::Job`] request describes (a catalog engine's).
fn engine_job(args: Value) -> Result<Job, EngineError> {
    let request: EngineJob = serde_json::from_value(args)
        .map_err(|error| EngineError::InvalidInput(format!("bad engine job: {error}")))?;
    let mut job = match (request.function, request.code) {
        (Some(function), None) => Job::call(function, request.args).with_tables(request.tables),
        (None, Some(code)) => Job::eval(code),
        _ => {
            return Err(EngineError::InvalidInput(
                "an engine job names one function or carries code".into(),
            ))
        }
    };
    if let Some(seed) = request.seed {
        job = job.with_seed(seed);
    }
    Ok(job)
}

/// Writes the reply frame of request `id`. A failed write means the server
/// is gone; the reader then ends.
fn reply(writer: &Mutex<UnixStream>, id: u64, result: Result<Reply, EngineError>) {
    let frame = FromWorker::Reply {
        id,
        outcome: outcome(result),
    };
    let _ = protocol::write_frame(&mut *lock(writer), &frame);
}

/// A job's result as the protocol reports it.
fn outcome(result: Result<Reply, EngineError>) -> Outcome {
    let failed = |kind: FailureKind, message: String| Outcome::Failed {
        kind,
        message,
        stdout: String::new(),
        stderr: String::new(),
        warnings: Vec::new(),
    };
    match result {
        Ok(reply) => Outcome::Ok {
            value: reply.value,
            stdout: reply.stdout,
            stderr: reply.stderr,
            warnings: reply.warnings,
            r_time_ms: reply.r_time.as_secs_f64() * 1000.0,
        },
        Err(error @ EngineError::Timeout { .. }) => failed(FailureKind::Timeout, error.to_string()),
        Err(error @ EngineError::Cancelled) => failed(FailureKind::Cancelled, error.to_string()),
        Err(EngineError::R(error)) => Outcome::Failed {
            kind: FailureKind::R,
            message: error.message,
            stdout: error.stdout,
            stderr: error.stderr,
            warnings: error.warnings,
        },
        Err(error @ EngineError::Parse { .. }) => failed(FailureKind::Parse, error.to_string()),
        Err(error @ EngineError::ReplyTooLarge { .. }) => {
            failed(FailureKind::TooLarge, error.to_string())
        }
        Err(error @ EngineError::InvalidInput(_)) => {
            failed(FailureKind::Invalid, error.to_string())
        }
        Err(error) => failed(FailureKind::Internal, error.to_string()),
    }
}
