//! Configuration: raw command-line flags with environment fallbacks (clap),
//! checked once into a typed [`Config`] that the rest of the server is given.
//!
//! Nothing reads the environment after start-up. Besides the flags' env
//! fallbacks, the environment a worker inherits (R_HOME, locale, time zone,
//! R's library paths) is captured here into [`WorkerConfig::environment`],
//! once. The other reads are start-ups of their own: `main` removes
//! `RMCP_API_KEY` before any thread exists, the engine's R start-up
//! (`crate::r`) reads `R_HOME` and the locale, and a worker process reads
//! its own (already scrubbed) environment as it starts (`worker::child`).
//!
//! Why one long file: every setting is a documented flag next to the check
//! that turns it into its typed value, and an operator looking up a setting
//! should find both in one place; splitting by subcommand would split the
//! settings `serve-http` and `start` share.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::mcp::tasks::TaskLimits;
use crate::r::EngineConfig;
use crate::vfs::VfsConfig;
use crate::worker::{InheritedEnv, WorkerConfig};

/// A setting that cannot be used, with the flag or variable it came from.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid value {value:?} for {setting}: {reason}")]
    Invalid {
        setting: &'static str,
        value: String,
        reason: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, ConfigError> {
        let mut argv = vec!["rmcp", "serve-http"];
        argv.extend_from_slice(args);
        match Cli::try_parse_from(argv).expect("flags parse").command {
            Command::ServeHttp(args) => Config::from_args(&args),
            _ => panic!("serve-http expected"),
        }
    }

    #[test]
    fn non_loopback_needs_a_key_or_an_explicit_opt_out() {
        let error = parse(&["--host", "0.0.0.0"]).expect_err("refused");
        assert!(
            error.to_string().contains("--allow-unauthenticated"),
            "{error}"
        );
        assert!(parse(&["--host", "0.0.0.0", "--allow-unauthenticated"]).is_ok());
        let config = parse(&[
            "--host",
            "0.0.0.0",
            "--api-key",
            "0123456789abcdef",
            "--api-key",
            "fedcba9876543210",
        ])
        .expect("keys");
        assert_eq!(config.http.api_keys.len(), 2);
        assert!(!format!("{config:?}").contains("0123456789abcdef"));
    }

    #[test]
    fn bad_values_name_the_setting() {
        let error = parse(&["--allowed-origins", "evil"]).expect_err("origin");
        assert!(
            error.to_string().contains("RMCP_ALLOWED_ORIGINS"),
            "{error}"
        );
        let error = parse(&["--api-key", "short"]).expect_err("short key");
        assert!(error.to_string().contains("RMCP_API_KEY"), "{error}");
        assert!(!error.to_string().contains("short\""), "{error}");
        let error = parse(&["--session-ttl", "0"]).expect_err("ttl");
        assert!(error.to_string().contains("RMCP_SESSION_TTL"), "{error}");
        let error = parse(&["--r-spin-us", "200000"]).expect_err("spin");
        assert!(error.to_string().contains("RMCP_R_SPIN_US"), "{error}");
    }

    #[test]
    fn the_r_spin_reaches_the_server_and_its_workers() {
        let config = parse(&[]).expect("defaults");
        assert_eq!(config.engine.idle_spin, crate::r::DEFAULT_IDLE_SPIN);
        assert_eq!(config.workers.r_spin, crate::r::DEFAULT_IDLE_SPIN);
        let config = parse(&["--r-spin-us", "0"]).expect("no spin");
        assert!(config.engine.idle_spin.is_zero());
        assert!(config.workers.r_spin.is_zero());
    }

    #[test]
    fn vfs_settings_are_checked() {
        let config = parse(&[]).expect("defaults");
        assert!(config.vfs.enabled);
        assert_eq!(config.vfs.read_roots.len(), 1, "the working directory");
        assert!(config.vfs.writable_roots.is_empty(), "read-only by default");
        assert_eq!(config.vfs.max_bytes, 50 * 1024 * 1024);
        let error = parse(&["--vfs-root", "/no/such/dir"]).expect_err("missing root");
        assert!(error.to_string().contains("RMCP_VFS_ROOTS"), "{error}");
        let error = parse(&["--vfs-writable", "/no/such/dir"]).expect_err("missing root");
        assert!(error.to_string().contains("RMCP_VFS_WRITABLE"), "{error}");
        let error = parse(&["--vfs-max-bytes", "10"]).expect_err("tiny limit");
        assert!(error.to_string().contains("RMCP_VFS_MAX_BYTES"), "{error}");
        let temp = std::env::temp_dir();
        let config = parse(&[
            "--vfs-writable",
            &temp.to_string_lossy(),
            "--vfs-enabled",
            "false",
        ])
        .expect("writable temp");
        assert_eq!(config.vfs.writable_roots, [temp]);
        assert!(!config.vfs.enabled);
    }

    #[test]
    fn the_r_timeout_caps_free_form_r() {
        let config = parse(&[]).expect("defaults");
        assert_eq!(config.workers.default_timeout, Duration::from_secs(60));
        assert_eq!(config.workers.max_timeout, Duration::from_secs(300));
        let config = parse(&["--r-timeout", "5"]).expect("five seconds");
        assert_eq!(config.workers.default_timeout, Duration::from_secs(5));
        assert_eq!(config.workers.max_timeout, Duration::from_secs(5));
    }

    #[test]
    fn the_engine_count_is_checked() {
        let config = parse(&[]).expect("defaults");
        assert!((1..=DEFAULT_ENGINES_CAP).contains(&config.workers.engines));
        assert_eq!(
            parse(&["--r-engines", "1"]).expect("one").workers.engines,
            1
        );
        assert_eq!(
            parse(&["--r-engines", "3"]).expect("three").workers.engines,
            3
        );
        let error = parse(&["--r-engines", "0"]).expect_err("none");
        assert!(error.to_string().contains("RMCP_R_ENGINES"), "{error}");
    }

    #[test]
    fn node_ids_are_checked() {
        assert_eq!(parse(&[]).expect("no node id").http.node_id, None);
        assert_eq!(parse(&["--node-id", ""]).expect("empty").http.node_id, None);
        for good in ["a", "rmcp-1", "rmcp-server-0", "8001", &"x".repeat(32)] {
            let config = parse(&["--node-id", good]).expect(good);
            assert_eq!(config.http.node_id.as_deref(), Some(good));
        }
        for bad in [
            "-a",
            "Rmcp",
            "rmcp.1",
            "rmcp_1",
            "a b",
            "é",
            &"x".repeat(33),
        ] {
            let flag = format!("--node-id={bad}");
            let error = parse(&[&flag]).expect_err(bad);
            assert!(error.to_string().contains("RMCP_NODE_ID"), "{error}");
        }
    }

    #[test]
    fn task_bounds_are_checked() {
        let config = parse(&[]).expect("defaults");
        assert_eq!(config.tasks.ttl, Duration::from_secs(3600));
        assert_eq!(config.tasks.max_per_client, 100);
        let config = parse(&["--task-ttl", "60", "--task-max-per-client", "5"]).expect("set");
        assert_eq!(config.tasks.ttl, Duration::from_secs(60));
        assert_eq!(config.tasks.max_per_client, 5);
        let error = parse(&["--task-max-total", "0"]).expect_err("no room");
        assert!(error.to_string().contains("RMCP_TASK_MAX_TOTAL"), "{error}");
        let error = parse(&["--task-ttl", "0.5"]).expect_err("too short");
        assert!(error.to_string().contains("RMCP_TASK_TTL"), "{error}");
    }

    #[test]
    fn request_state_keys_are_long_enough_and_never_shown() {
        assert!(parse(&[]).expect("no key").request_state_key.is_none());
        let key = "k".repeat(32);
        let config = parse(&["--request-state-key", &key]).expect("32 bytes");
        assert_eq!(config.request_state_key, Some(Secret(key.clone())));
        assert!(!format!("{config:?}").contains(&key));
        let error = parse(&["--request-state-key", "short"]).expect_err("too short");
        assert!(
            error.to_string().contains("RMCP_REQUEST_STATE_KEY"),
            "{error}"
        );
        assert!(!error.to_string().contains("short\""), "{error}");
    }
}

/// rmcp: statistical analysis in R over the Model Context Protocol.
#[derive(Debug, Parser)]
#[command(name = "rmcp", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve MCP over stdio: newline-delimited JSON-RPC on stdin/stdout, logs on stderr.
    Start(StartArgs),
    /// Serve MCP over HTTP (Streamable HTTP at /mcp, legacy SSE at /mcp/sse, /health, /metrics).
    ServeHttp(ServeHttpArgs),
    /// A sandboxed R worker for one session's free-form R (started by the server).
    #[command(hide = true)]
    Worker(WorkerArgs),
    /// A sandboxed R engine serving catalog calls beside the server's own R (started by the server).
    #[command(hide = true)]
    Engine(WorkerArgs),
}

/// Packages the server's R (and every catalog engine) loads at start-up, so
/// the first plot does not pay for loading them.
pub const PRELOADED_PACKAGES: &[&str] = &["ggplot2", "ragg"];

/// Flags shared by every command that runs the R engine.
#[derive(Debug, Args, Clone)]
pub struct EngineArgs {
    /// Default time limit of one R computation, in seconds.
    #[arg(long, env = "RMCP_R_TIMEOUT", default_value_t = 300.0)]
    pub r_timeout: f64,
    /// R's vector-heap cap, e.g. "4Gb" (R_MAX_VSIZE).
    #[arg(long, env = "R_MAX_VSIZE")]
    pub r_max_vsize: Option<String>,
    /// R engines serving the catalog: the server's own R plus sandboxed engine
    /// processes (default: the CPUs this process may use, at most 8; 1: no
    /// engine processes).
    #[arg(long, env = "RMCP_R_ENGINES")]
    pub r_engines: Option<usize>,
    /// Jobs that may wait for the R thread before calls are refused as busy.
    #[arg(long, env = "RMCP_R_QUEUE", default_value_t = 1024)]
    pub r_queue: usize,
    /// Microseconds the R thread keeps polling for the next job after one
    /// ends, before it sleeps (0: sleep at once).
    #[arg(long, env = "RMCP_R_SPIN_US", default_value_t = crate::r::DEFAULT_IDLE_SPIN.as_micros() as u64)]
    pub r_spin_us: u64,
    /// Log level: error, warn, info, debug, trace.
    #[arg(long, env = "RMCP_LOG_LEVEL", default_value = "info")]
    pub log_level: String,
    /// Key (at least 32 bytes) that seals the requestState of input-required
    /// rounds (protocol 2026-07-28); give every replica the same one. Unset:
    /// a random key per process.
    #[arg(long, env = "RMCP_REQUEST_STATE_KEY", hide_env_values = true)]
    pub request_state_key: Option<String>,
    /// Let tools read and write files through the virtual filesystem (the sandbox).
    #[arg(long, env = "RMCP_VFS_ENABLED", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub vfs_enabled: bool,
    /// Folders clients may read below, besides the working directory (repeatable; RMCP_VFS_ROOTS is comma-separated).
    #[arg(long = "vfs-root", env = "RMCP_VFS_ROOTS", value_delimiter = ',')]
    pub vfs_roots: Vec<PathBuf>,
    /// Folders clients may also write below without an approval (repeatable; RMCP_VFS_WRITABLE is comma-separated).
    #[arg(
        long = "vfs-writable",
        env = "RMCP_VFS_WRITABLE",
        value_delimiter = ','
    )]
    pub vfs_writable: Vec<PathBuf>,
    /// Largest file the sandbox reads or writes, in bytes.
    #[arg(long, env = "RMCP_VFS_MAX_BYTES", default_value_t = crate::vfs::DEFAULT_MAX_BYTES)]
    pub vfs_max_bytes: u64,
    /// Seconds in-flight calls get to finish at shutdown before they are cancelled.
    #[arg(long, env = "RMCP_SHUTDOWN_GRACE", default_value_t = 10.0)]
    pub shutdown_grace: f64,
    /// Warm R worker processes kept ready for free-form R (execute_r_analysis).
    #[arg(long, env = "RMCP_WORKERS", default_value_t = 2)]
    pub workers: usize,
    /// Most sessions holding an R worker at once; past it the longest-idle one is reset.
    #[arg(long, env = "RMCP_MAX_WORKERS", default_value_t = 16)]
    pub max_workers: usize,
    /// Memory cap of one session's R worker, in MiB.
    #[arg(long, env = "RMCP_WORKER_MEMORY_MB", default_value_t = 2048)]
    pub worker_memory_mb: u64,
    /// CPU seconds one session's R worker may use over its life.
    #[arg(long, env = "RMCP_WORKER_CPU_SECONDS", default_value_t = 3600)]
    pub worker_cpu_seconds: u64,
    /// Seconds a session's R worker may sit idle before it and its workspace are freed.
    #[arg(long, env = "RMCP_WORKER_IDLE_TTL", default_value_t = 1800.0)]
    pub worker_idle_ttl: f64,
    /// Seconds a finished task's result is kept for tasks/get (its ttlMs).
    #[arg(long, env = "RMCP_TASK_TTL", default_value_t = 3600.0)]
    pub task_ttl: f64,
    /// Most tasks one client (an API key, or an older revision's session)
    /// holds; past it the oldest finished ones are evicted, and a new task
    /// is refused while all of them still run.
    #[arg(long, env = "RMCP_TASK_MAX_PER_CLIENT", default_value_t = 100)]
    pub task_max_per_client: usize,
    /// Bytes of task results one client holds; past it the oldest go.
    #[arg(long, env = "RMCP_TASK_MAX_BYTES_PER_CLIENT", default_value_t = 64 << 20)]
    pub task_max_bytes_per_client: usize,
    /// Most tasks the server holds in all.
    #[arg(long, env = "RMCP_TASK_MAX_TOTAL", default_value_t = 10_000)]
    pub task_max_total: usize,
    /// Bytes of task results the server holds in all.
    #[arg(long, env = "RMCP_TASK_MAX_TOTAL_BYTES", default_value_t = 512 << 20)]
    pub task_max_total_bytes: usize,
    /// Serve free-form R even when the worker sandbox (landlock, seccomp) is incomplete.
    #[arg(long, env = "RMCP_ALLOW_WEAK_SANDBOX", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub allow_weak_sandbox: bool,
}

/// Flags of `rmcp worker`, set by the server that spawns it.
#[derive(Debug, Args, Clone)]
pub struct WorkerArgs {
    /// The channel to the server (only 0: the socket arrives as stdin).
    #[arg(long)]
    pub channel_fd: i32,
    /// The worker's private folder: working directory, home and temp.
    #[arg(long)]
    pub dir: PathBuf,
    /// The server's pid: the worker exits if it is not its parent.
    #[arg(long)]
    pub parent_pid: u32,
    #[arg(long, default_value_t = 2048)]
    pub memory_mb: u64,
    #[arg(long, default_value_t = 3600)]
    pub cpu_seconds: u64,
    #[arg(long, default_value_t = 1024)]
    pub max_file_mb: u64,
    /// Extra folders R may read (repeatable).
    #[arg(long = "read-root")]
    pub read_roots: Vec<PathBuf>,
    /// Extra folders R may write (repeatable).
    #[arg(long = "write-root")]
    pub write_roots: Vec<PathBuf>,
    #[arg(long, default_value_t = 8 << 20)]
    pub max_reply_bytes: usize,
    /// Microseconds R polls for the next call after one ends.
    #[arg(long, default_value_t = 0)]
    pub r_spin_us: u64,
    #[arg(long, default_value = "warn")]
    pub log_level: String,
    /// Serve catalog jobs (`rmcp engine`): normal CPU priority, the server's
    /// preloaded packages.
    #[arg(long, default_value_t = false)]
    pub catalog_engine: bool,
}

#[derive(Debug, Args, Clone)]
pub struct StartArgs {
    /// Serve the conformance suite's test tools, prompts and resources.
    #[arg(long, default_value_t = false)]
    pub conformance_fixtures: bool,
    #[command(flatten)]
    pub engine: EngineArgs,
}

#[derive(Debug, Args, Clone)]
pub struct ServeHttpArgs {
    /// Address to listen on.
    #[arg(long, env = "RMCP_HTTP_HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "RMCP_HTTP_PORT", default_value_t = 8000)]
    pub port: u16,
    /// Bearer token clients must send (repeatable; RMCP_API_KEY takes a comma-separated list).
    #[arg(
        long = "api-key",
        env = "RMCP_API_KEY",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub api_keys: Vec<String>,
    /// Serve a non-loopback address without an API key.
    #[arg(long, default_value_t = false)]
    pub allow_unauthenticated: bool,
    /// Browser origins allowed to call /mcp (comma-separated; "*" allows any). Loopback origins are always allowed.
    #[arg(long, env = "RMCP_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,
    /// Most MCP sessions at once; the longest-idle one is evicted past this.
    #[arg(long, env = "RMCP_MAX_SESSIONS", default_value_t = 100)]
    pub max_sessions: usize,
    /// Seconds an idle session lives.
    #[arg(long, env = "RMCP_SESSION_TTL", default_value_t = 3600.0)]
    pub session_ttl: f64,
    /// Largest request body, in bytes.
    #[arg(long, env = "RMCP_MAX_BODY_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_body_bytes: u64,
    /// Requests per second each client may make on average (0 turns the limit off).
    #[arg(long, env = "RMCP_RATE_LIMIT", default_value_t = 50.0)]
    pub rate_limit: f64,
    /// Requests a client may make in a burst.
    #[arg(long, env = "RMCP_RATE_BURST", default_value_t = 200)]
    pub rate_burst: u32,
    /// This process's name in the session ids it issues (`<node-id>.<random>`),
    /// so a proxy can route each session to the replica that holds it: 1 to 32
    /// of a-z, 0-9 and "-", starting with a letter or digit. Unset: plain ids.
    #[arg(long, env = "RMCP_NODE_ID")]
    pub node_id: Option<String>,
    /// Serve the conformance suite's test tools, prompts and resources.
    #[arg(long, default_value_t = false)]
    pub conformance_fixtures: bool,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// A secret that never shows in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Checked HTTP settings.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub listen: SocketAddr,
    /// Accepted bearer tokens; empty means no authentication.
    pub api_keys: Vec<Secret>,
    /// Extra allowed `Origin`s (lowercase, no trailing slash); `*` allows any.
    pub allowed_origins: Vec<String>,
    pub max_sessions: usize,
    pub session_ttl: Duration,
    pub max_body_bytes: u64,
    /// Token-bucket refill per second per client; `None` disables the limit.
    pub rate_limit: Option<f64>,
    pub rate_burst: u32,
    pub shutdown_grace: Duration,
    /// How often SSE streams get a keep-alive comment.
    pub keep_alive: Duration,
    /// `retry:` hint (ms) on event streams.
    pub sse_retry_ms: u64,
    /// Prefix of the session ids this process issues, so a proxy in front of
    /// several replicas can route a session by its id (`RMCP_NODE_ID`).
    pub node_id: Option<String>,
}

impl HttpConfig {
    /// Defaults for a loopback server on `listen` (used by tests).
    pub fn local(listen: SocketAddr) -> HttpConfig {
        HttpConfig {
            listen,
            api_keys: Vec::new(),
            allowed_origins: Vec::new(),
            max_sessions: 100,
            session_ttl: Duration::from_secs(3600),
            max_body_bytes: 16 * 1024 * 1024,
            rate_limit: None,
            rate_burst: 200,
            shutdown_grace: Duration::from_secs(10),
            keep_alive: Duration::from_secs(15),
            sse_retry_ms: 500,
            node_id: None,
        }
    }
}

/// Checked settings of `rmcp serve-http`.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub log_level: log::LevelFilter,
    pub engine: EngineConfig,
    pub http: HttpConfig,
    pub vfs_enabled: bool,
    /// The file sandbox: roots, writable roots, size limit.
    pub vfs: VfsConfig,
    pub conformance_fixtures: bool,
    /// Sandboxed R workers for free-form R.
    pub workers: WorkerConfig,
    /// Seals input-required rounds' requestState; `None`: random per process.
    pub request_state_key: Option<Secret>,
    /// The bounds of the task store (`RMCP_TASK_*`).
    pub tasks: TaskLimits,
}

/// Checked settings of `rmcp start` (stdio).
#[derive(Debug, Clone)]
pub struct StdioConfig {
    pub log_level: log::LevelFilter,
    pub engine: EngineConfig,
    pub vfs_enabled: bool,
    /// The file sandbox: roots, writable roots, size limit.
    pub vfs: VfsConfig,
    pub shutdown_grace: Duration,
    pub conformance_fixtures: bool,
    /// Sandboxed R workers for free-form R.
    pub workers: WorkerConfig,
    /// Seals input-required rounds' requestState; `None`: random per process.
    pub request_state_key: Option<Secret>,
    /// The bounds of the task store (`RMCP_TASK_*`).
    pub tasks: TaskLimits,
}

impl StdioConfig {
    pub fn from_args(args: &StartArgs) -> Result<StdioConfig, ConfigError> {
        Ok(StdioConfig {
            log_level: parse_log_level(&args.engine.log_level)?,
            engine: engine_config(&args.engine)?,
            vfs_enabled: args.engine.vfs_enabled,
            vfs: vfs_config(&args.engine)?,
            shutdown_grace: seconds(
                "RMCP_SHUTDOWN_GRACE / --shutdown-grace",
                args.engine.shutdown_grace,
                0.0,
            )?,
            conformance_fixtures: args.conformance_fixtures,
            workers: worker_config(&args.engine)?,
            request_state_key: request_state_key(&args.engine)?,
            tasks: task_limits(&args.engine)?,
        })
    }
}

impl Config {
    pub fn from_args(args: &ServeHttpArgs) -> Result<Config, ConfigError> {
        let host: IpAddr = args.host.parse().map_err(|_| ConfigError::Invalid {
            setting: "RMCP_HTTP_HOST / --host",
            value: args.host.clone(),
            reason: "expected an IP address such as 127.0.0.1 or 0.0.0.0".into(),
        })?;
        let listen = SocketAddr::new(host, args.port);
        let api_keys: Vec<Secret> = args
            .api_keys
            .iter()
            .map(|key| key.trim())
            .filter(|key| !key.is_empty())
            .map(|key| Secret(key.to_string()))
            .collect();
        if let Some(short) = api_keys.iter().find(|key| key.0.len() < 16) {
            return Err(ConfigError::Invalid {
                setting: "RMCP_API_KEY / --api-key",
                value: format!("({} characters)", short.0.len()),
                reason: "API keys must have at least 16 characters".into(),
            });
        }
        if !host.is_loopback() && api_keys.is_empty() && !args.allow_unauthenticated {
            return Err(ConfigError::Invalid {
                setting: "RMCP_HTTP_HOST / --host",
                value: args.host.clone(),
                reason: "serving a non-loopback address needs an API key (RMCP_API_KEY or --api-key); pass --allow-unauthenticated to serve it without one".into(),
            });
        }
        let mut allowed_origins = Vec::new();
        for origin in args
            .allowed_origins
            .iter()
            .map(|o| o.trim())
            .filter(|o| !o.is_empty())
        {
            let normalized = origin.trim_end_matches('/').to_ascii_lowercase();
            if normalized != "*"
                && !(normalized.starts_with("http://") || normalized.starts_with("https://"))
            {
                return Err(ConfigError::Invalid {
                    setting: "RMCP_ALLOWED_ORIGINS / --allowed-origins",
                    value: origin.to_string(),
                    reason: "expected origins such as https://app.example.com, or *".into(),
                });
            }
            allowed_origins.push(normalized);
        }
        if args.max_sessions == 0 {
            return Err(ConfigError::Invalid {
                setting: "RMCP_MAX_SESSIONS / --max-sessions",
                value: "0".into(),
                reason: "at least one session must be allowed".into(),
            });
        }
        if args.max_body_bytes < 1024 {
            return Err(ConfigError::Invalid {
                setting: "RMCP_MAX_BODY_BYTES / --max-body-bytes",
                value: args.max_body_bytes.to_string(),
                reason: "expected at least 1024 bytes".into(),
            });
        }
        if !(args.rate_limit.is_finite() && args.rate_limit >= 0.0) || args.rate_burst == 0 {
            return Err(ConfigError::Invalid {
                setting: "RMCP_RATE_LIMIT / --rate-limit, RMCP_RATE_BURST / --rate-burst",
                value: format!("{} / {}", args.rate_limit, args.rate_burst),
                reason: "expected a rate of 0 (off) or more per second and a burst of at least 1"
                    .into(),
            });
        }
        let node_id = match args.node_id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(node_id) if is_node_id(node_id) => Some(node_id.to_string()),
            Some(node_id) => {
                return Err(ConfigError::Invalid {
                    setting: "RMCP_NODE_ID / --node-id",
                    value: node_id.to_string(),
                    reason: "expected 1 to 32 of a-z, 0-9 and \"-\", starting with a letter or digit (e.g. rmcp-1)".into(),
                })
            }
        };
        let http = HttpConfig {
            listen,
            api_keys,
            allowed_origins,
            max_sessions: args.max_sessions,
            session_ttl: seconds("RMCP_SESSION_TTL / --session-ttl", args.session_ttl, 1.0)?,
            max_body_bytes: args.max_body_bytes,
            rate_limit: (args.rate_limit > 0.0).then_some(args.rate_limit),
            rate_burst: args.rate_burst,
            shutdown_grace: seconds(
                "RMCP_SHUTDOWN_GRACE / --shutdown-grace",
                args.engine.shutdown_grace,
                0.0,
            )?,
            node_id,
            ..HttpConfig::local(listen)
        };
        Ok(Config {
            listen,
            log_level: parse_log_level(&args.engine.log_level)?,
            engine: engine_config(&args.engine)?,
            http,
            vfs_enabled: args.engine.vfs_enabled,
            vfs: vfs_config(&args.engine)?,
            conformance_fixtures: args.conformance_fixtures,
            workers: worker_config(&args.engine)?,
            request_state_key: request_state_key(&args.engine)?,
            tasks: task_limits(&args.engine)?,
        })
    }
}

/// `RMCP_TASK_*`: a TTL of at least a second, and room for one task.
fn task_limits(args: &EngineArgs) -> Result<TaskLimits, ConfigError> {
    let at_least_one = |setting: &'static str, value: usize| {
        if value == 0 {
            Err(ConfigError::Invalid {
                setting,
                value: "0".into(),
                reason: "expected at least 1".into(),
            })
        } else {
            Ok(value)
        }
    };
    Ok(TaskLimits {
        ttl: seconds("RMCP_TASK_TTL / --task-ttl", args.task_ttl, 1.0)?,
        max_per_client: at_least_one(
            "RMCP_TASK_MAX_PER_CLIENT / --task-max-per-client",
            args.task_max_per_client,
        )?,
        max_bytes_per_client: at_least_one(
            "RMCP_TASK_MAX_BYTES_PER_CLIENT / --task-max-bytes-per-client",
            args.task_max_bytes_per_client,
        )?,
        max_total: at_least_one(
            "RMCP_TASK_MAX_TOTAL / --task-max-total",
            args.task_max_total,
        )?,
        max_total_bytes: at_least_one(
            "RMCP_TASK_MAX_TOTAL_BYTES / --task-max-total-bytes",
            args.task_max_total_bytes,
        )?,
        ..TaskLimits::default()
    })
}

/// `RMCP_REQUEST_STATE_KEY`: at least 32 bytes, so it cannot be guessed.
fn request_state_key(args: &EngineArgs) -> Result<Option<Secret>, ConfigError> {
    match &args.request_state_key {
        None => Ok(None),
        Some(key) if key.len() >= 32 => Ok(Some(Secret(key.clone()))),
        Some(key) => Err(ConfigError::Invalid {
            setting: "RMCP_REQUEST_STATE_KEY / --request-state-key",
            value: format!("<{} bytes>", key.len()),
            reason: "use at least 32 bytes (e.g. openssl rand -hex 32)".into(),
        }),
    }
}

/// Whether `text` matches `^[a-z0-9][a-z0-9-]{0,31}$`: usable in a session id
/// (visible ASCII, no `.`, which separates it from the random part), in an
/// nginx upstream name and as a Kubernetes pod name.
fn is_node_id(text: &str) -> bool {
    let bytes = text.as_bytes();
    (1..=32).contains(&bytes.len())
        && bytes[0] != b'-'
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

/// Checked sandbox settings: the working directory is the first read root;
/// every configured root must be an existing directory.
pub fn vfs_config(args: &EngineArgs) -> Result<VfsConfig, ConfigError> {
    let working = std::env::current_dir().map_err(|error| ConfigError::Invalid {
        setting: "working directory",
        value: String::new(),
        reason: format!("cannot read the working directory for the file sandbox: {error}"),
    })?;
    let check = |setting: &'static str, paths: &[PathBuf]| -> Result<Vec<PathBuf>, ConfigError> {
        let mut checked = Vec::new();
        for path in paths.iter().filter(|p| !p.as_os_str().is_empty()) {
            if !path.is_dir() {
                return Err(ConfigError::Invalid {
                    setting,
                    value: path.display().to_string(),
                    reason: "expected an existing directory".into(),
                });
            }
            checked.push(path.clone());
        }
        Ok(checked)
    };
    if args.vfs_max_bytes < 1024 {
        return Err(ConfigError::Invalid {
            setting: "RMCP_VFS_MAX_BYTES / --vfs-max-bytes",
            value: args.vfs_max_bytes.to_string(),
            reason: "expected at least 1024 bytes".into(),
        });
    }
    let mut read_roots = vec![working];
    read_roots.extend(check("RMCP_VFS_ROOTS / --vfs-root", &args.vfs_roots)?);
    Ok(VfsConfig {
        enabled: args.vfs_enabled,
        read_roots,
        writable_roots: check("RMCP_VFS_WRITABLE / --vfs-writable", &args.vfs_writable)?,
        max_bytes: args.vfs_max_bytes,
    })
}

/// A number of seconds, at least `min`, at most a day.
fn seconds(setting: &'static str, value: f64, min: f64) -> Result<Duration, ConfigError> {
    if value.is_finite() && value >= min && value <= 86_400.0 {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(ConfigError::Invalid {
            setting,
            value: value.to_string(),
            reason: format!("expected seconds between {min} and 86400"),
        })
    }
}

pub fn parse_log_level(text: &str) -> Result<log::LevelFilter, ConfigError> {
    text.parse().map_err(|_| ConfigError::Invalid {
        setting: "RMCP_LOG_LEVEL / --log-level",
        value: text.to_string(),
        reason: "expected one of off, error, warn, info, debug, trace".into(),
    })
}

/// Checked worker settings; the worker binary is this program.
pub fn worker_config(args: &EngineArgs) -> Result<WorkerConfig, ConfigError> {
    let invalid = |setting: &'static str, value: String, reason: &str| ConfigError::Invalid {
        setting,
        value,
        reason: reason.into(),
    };
    if args.workers > 64 {
        return Err(invalid(
            "RMCP_WORKERS / --workers",
            args.workers.to_string(),
            "expected 0 to 64 warm workers",
        ));
    }
    if args.max_workers == 0 || args.max_workers > 1024 {
        return Err(invalid(
            "RMCP_MAX_WORKERS / --max-workers",
            args.max_workers.to_string(),
            "expected 1 to 1024",
        ));
    }
    if !(256..=1 << 20).contains(&args.worker_memory_mb) {
        return Err(invalid(
            "RMCP_WORKER_MEMORY_MB / --worker-memory-mb",
            args.worker_memory_mb.to_string(),
            "expected 256 MiB to 1 TiB",
        ));
    }
    if args.worker_cpu_seconds < 10 {
        return Err(invalid(
            "RMCP_WORKER_CPU_SECONDS / --worker-cpu-seconds",
            args.worker_cpu_seconds.to_string(),
            "expected at least 10 seconds",
        ));
    }
    // RMCP_R_TIMEOUT caps free-form R too (checked in `engine_config`).
    let ceiling = Duration::from_secs_f64(args.r_timeout.clamp(1.0, 86_400.0));
    let engines = match args.r_engines {
        None => default_engines(),
        Some(engines) if (1..=MAX_ENGINES).contains(&engines) => engines,
        Some(engines) => {
            return Err(invalid(
                "RMCP_R_ENGINES / --r-engines",
                engines.to_string(),
                "expected 1 to 64 R engines",
            ))
        }
    };
    let binary = std::env::current_exe().map_err(|error| {
        invalid(
            "rmcp worker binary",
            "current_exe".into(),
            &format!("cannot find this program to start workers: {error}"),
        )
    })?;
    Ok(WorkerConfig {
        binary,
        pool_size: args.workers,
        max_workers: args.max_workers,
        memory_mb: args.worker_memory_mb,
        cpu_seconds: args.worker_cpu_seconds,
        idle_ttl: seconds(
            "RMCP_WORKER_IDLE_TTL / --worker-idle-ttl",
            args.worker_idle_ttl,
            1.0,
        )?,
        allow_weak_sandbox: args.allow_weak_sandbox,
        log_level: args.log_level.clone(),
        r_spin: Duration::from_micros(args.r_spin_us),
        environment: InheritedEnv::capture(),
        engines,
        default_timeout: free_form_default_timeout(ceiling),
        max_timeout: ceiling,
        ..WorkerConfig::default()
    })
}

/// Free-form R's time limit when a call sets none: the reference's 60 s,
/// or the `RMCP_R_TIMEOUT` ceiling when that is lower.
fn free_form_default_timeout(ceiling: Duration) -> Duration {
    Duration::from_secs(60).min(ceiling)
}

/// Most R engines `RMCP_R_ENGINES` may ask for.
const MAX_ENGINES: usize = 64;

/// Engines when `RMCP_R_ENGINES` is unset: the CPUs this process may use
/// (`available_parallelism` honours cgroup quotas and CPU affinity), at most
/// [`DEFAULT_ENGINES_CAP`]: each engine is a resident R (see deploy/README.md).
fn default_engines() -> usize {
    std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, DEFAULT_ENGINES_CAP)
}

/// The default engine count's ceiling.
const DEFAULT_ENGINES_CAP: usize = 8;

pub fn engine_config(args: &EngineArgs) -> Result<EngineConfig, ConfigError> {
    if !(args.r_timeout.is_finite() && args.r_timeout > 0.0 && args.r_timeout <= 86_400.0) {
        return Err(ConfigError::Invalid {
            setting: "RMCP_R_TIMEOUT / --r-timeout",
            value: args.r_timeout.to_string(),
            reason: "expected seconds between 0 and 86400".into(),
        });
    }
    if args.r_queue == 0 {
        return Err(ConfigError::Invalid {
            setting: "RMCP_R_QUEUE / --r-queue",
            value: "0".into(),
            reason: "at least one job must be able to wait".into(),
        });
    }
    if args.r_spin_us > 100_000 {
        return Err(ConfigError::Invalid {
            setting: "RMCP_R_SPIN_US / --r-spin-us",
            value: args.r_spin_us.to_string(),
            reason: "expected microseconds between 0 and 100000".into(),
        });
    }
    if let Some(vsize) = &args.r_max_vsize {
        let valid = vsize
            .trim_end_matches(|c: char| c.is_ascii_alphabetic())
            .parse::<f64>()
            .is_ok();
        if !valid {
            return Err(ConfigError::Invalid {
                setting: "R_MAX_VSIZE / --r-max-vsize",
                value: vsize.clone(),
                reason: "expected a size such as 4Gb or 500Mb".into(),
            });
        }
    }
    Ok(EngineConfig {
        default_timeout: Duration::from_secs_f64(args.r_timeout),
        queue_capacity: args.r_queue,
        max_vsize: args.r_max_vsize.clone(),
        preload_packages: PRELOADED_PACKAGES
            .iter()
            .map(|name| name.to_string())
            .collect(),
        idle_spin: Duration::from_micros(args.r_spin_us),
        ..EngineConfig::default()
    })
}
