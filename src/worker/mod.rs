//! Sandboxed R workers: free-form R written by an AI model runs here, never
//! in the server's own R.
//!
//! One worker process per MCP session, taken from a warm pool so no process
//! is spawned on the call path. A worker is this same binary in worker mode
//! (`rmcp worker`), embedding R with the same engine (`crate::r`), confined
//! by rlimits, landlock and seccomp that it applies to itself before R
//! starts, and talking to the server over a Unix socket pair.
//!
//! Layout:
//! - `protocol`: the length-prefixed JSON frames both sides speak.
//! - `sandbox`: the layers a worker applies to itself.
//! - `child`: worker mode, the process side.
//! - `process`: the server side of one worker: spawning it with a scrubbed
//!   environment, requests, cancellation, callbacks, killing it.
//! - `environment`: what workers inherit from the server's environment,
//!   captured once at start-up.
//! - `allowlist`: the package allowlist both sides read.
//! - `pool`: warm workers, replaced in the background.
//!
//! It knows no MCP and no HTTP: which worker serves which session,
//! and the free-form tools that send it R, are the `freeform` provider's.
//! Catalog tools run on the server's engines (`crate::engines`: the
//! in-process R, and catalog engine processes started with this same
//! machinery in [`process::Mode::CatalogEngine`]); a worker reaches them
//! only through `rmcp_call()`, forwarded as a callback frame that the
//! server answers through a [`process::CallbackHandler`].

pub mod allowlist;
pub mod child;
pub mod environment;
pub mod pool;
pub mod process;
pub mod protocol;
pub mod sandbox;

use std::path::PathBuf;
use std::time::Duration;

pub use environment::InheritedEnv;
pub use pool::Pool;
pub use protocol::SandboxReport;

/// How workers are started and limited; built from the server's `Config`.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// The program started in worker mode: this binary (`current_exe`), or
    /// in tests the built `rmcp`.
    pub binary: PathBuf,
    /// Warm workers kept ready (`RMCP_WORKERS`).
    pub pool_size: usize,
    /// Sessions holding a worker at once; past it the longest-idle session's
    /// worker is freed (its workspace reset) to make room.
    pub max_workers: usize,
    /// One worker's memory cap in MiB (its session's workspace).
    pub memory_mb: u64,
    /// CPU seconds one worker may use over its life.
    pub cpu_seconds: u64,
    /// Largest file a worker may write, in MiB.
    pub max_file_mb: u64,
    /// A session's worker idle this long is freed with its workspace.
    pub idle_ttl: Duration,
    /// Time limit of free-form R when the call sets none: the reference's
    /// 60 s, or the ceiling when that is lower.
    pub default_timeout: Duration,
    /// The most time any free-form R computation may take, whatever the call
    /// asks for (`RMCP_R_TIMEOUT`, which caps every R computation).
    pub max_timeout: Duration,
    /// After a call's time limit (or its cancellation): how long R gets to
    /// let go of the code, the worker's answer included, before the worker
    /// is killed and the session's workspace reset.
    pub kill_grace: Duration,
    /// How long a new worker may take to report ready.
    pub spawn_timeout: Duration,
    /// Serve free-form R even when landlock or seccomp could not be applied.
    pub allow_weak_sandbox: bool,
    /// Where worker folders are created (each private, removed with its
    /// worker).
    pub base_dir: PathBuf,
    /// Folders every worker may read (the server's allowed data roots).
    pub read_roots: Vec<PathBuf>,
    /// Folders every worker may write (the server's writable data roots).
    pub write_roots: Vec<PathBuf>,
    /// Folders inside which `approve_operation` may grant a session write
    /// access (the server's allowed data roots).
    pub grantable_roots: Vec<PathBuf>,
    /// Cap on a reply's value plus console output, in bytes.
    pub max_reply_bytes: usize,
    /// How long a worker's R keeps polling for the session's next call
    /// after one ends (the server's `RMCP_R_SPIN_US`).
    pub r_spin: Duration,
    /// Log level of worker processes (their stderr goes to the server log).
    pub log_level: String,
    /// What workers inherit from the server's environment (R's home, locale,
    /// time zone, library paths), read once when this configuration is
    /// built, so no spawn reads the environment.
    pub environment: InheritedEnv,
    /// Run the parse-tree guard before free-form R. Only tests turn it off,
    /// to show the sandbox alone stops what the guard would refuse.
    pub guard: bool,
    /// R engines serving the catalog (`RMCP_R_ENGINES`): the server's own R
    /// thread plus `engines - 1` catalog engine processes (`rmcp engine`),
    /// started and confined like workers. 1: the server's R alone.
    pub engines: usize,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            binary: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("rmcp")),
            pool_size: 2,
            max_workers: 16,
            memory_mb: 2048,
            cpu_seconds: 3600,
            max_file_mb: 1024,
            idle_ttl: Duration::from_secs(1800),
            default_timeout: Duration::from_secs(60),
            max_timeout: Duration::from_secs(300),
            kill_grace: Duration::from_secs(3),
            spawn_timeout: Duration::from_secs(30),
            allow_weak_sandbox: false,
            base_dir: std::env::temp_dir().join(format!("rmcp-workers-{}", std::process::id())),
            read_roots: Vec::new(),
            write_roots: Vec::new(),
            grantable_roots: Vec::new(),
            max_reply_bytes: 8 << 20,
            r_spin: crate::r::DEFAULT_IDLE_SPIN,
            log_level: "warn".into(),
            guard: true,
            engines: 1,
            environment: InheritedEnv::capture(),
        }
    }
}

/// Why a worker could not do what was asked. Messages are lowercase and say
/// what the client can do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WorkerError {
    /// No worker could be started.
    #[error("no R worker could be started: {0}")]
    Spawn(String),
    /// The worker process ended (crash, `q()`, memory or CPU limit).
    #[error("the R worker stopped unexpectedly ({0})")]
    Died(String),
    /// The worker did not answer within its time limit plus the grace
    /// period, and was killed.
    #[error("the R worker did not answer in time and was stopped")]
    Stuck,
    /// Every worker slot is busy with another session's call.
    #[error("all {0} R workers are busy; retry shortly")]
    Busy(usize),
    /// The worker sent something outside the protocol.
    #[error("the R worker broke the protocol: {0}")]
    Protocol(String),
    /// The server is shutting down.
    #[error("the server is shutting down")]
    Closed,
}
