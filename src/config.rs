//! Configuration: raw command-line flags with environment fallbacks (clap),
//! checked once into a typed [`Config`] that the rest of the server is given.
//! Nothing reads the environment after start-up.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::r::EngineConfig;

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
            Command::Start(_) => panic!("serve-http expected"),
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
}

/// Flags shared by every command that runs the R engine.
#[derive(Debug, Args, Clone)]
pub struct EngineArgs {
    /// Default time limit of one R computation, in seconds.
    #[arg(long, env = "RMCP_R_TIMEOUT", default_value_t = 300.0)]
    pub r_timeout: f64,
    /// R's vector-heap cap, e.g. "4Gb" (R_MAX_VSIZE).
    #[arg(long, env = "R_MAX_VSIZE")]
    pub r_max_vsize: Option<String>,
    /// Jobs that may wait for the R thread before calls are refused as busy.
    #[arg(long, env = "RMCP_R_QUEUE", default_value_t = 1024)]
    pub r_queue: usize,
    /// Log level: error, warn, info, debug, trace.
    #[arg(long, env = "RMCP_LOG_LEVEL", default_value = "info")]
    pub log_level: String,
    /// Let tools read and write files through the virtual filesystem.
    #[arg(long, env = "RMCP_VFS_ENABLED", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub vfs_enabled: bool,
    /// Seconds in-flight calls get to finish at shutdown before they are cancelled.
    #[arg(long, env = "RMCP_SHUTDOWN_GRACE", default_value_t = 10.0)]
    pub shutdown_grace: f64,
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
    pub conformance_fixtures: bool,
}

/// Checked settings of `rmcp start` (stdio).
#[derive(Debug, Clone)]
pub struct StdioConfig {
    pub log_level: log::LevelFilter,
    pub engine: EngineConfig,
    pub vfs_enabled: bool,
    pub shutdown_grace: Duration,
    pub conformance_fixtures: bool,
}

impl StdioConfig {
    pub fn from_args(args: &StartArgs) -> Result<StdioConfig, ConfigError> {
        Ok(StdioConfig {
            log_level: parse_log_level(&args.engine.log_level)?,
            engine: engine_config(&args.engine)?,
            vfs_enabled: args.engine.vfs_enabled,
            shutdown_grace: seconds(
                "RMCP_SHUTDOWN_GRACE / --shutdown-grace",
                args.engine.shutdown_grace,
                0.0,
            )?,
            conformance_fixtures: args.conformance_fixtures,
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
            ..HttpConfig::local(listen)
        };
        Ok(Config {
            listen,
            log_level: parse_log_level(&args.engine.log_level)?,
            engine: engine_config(&args.engine)?,
            http,
            vfs_enabled: args.engine.vfs_enabled,
            conformance_fixtures: args.conformance_fixtures,
        })
    }
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
        preload_packages: vec!["ggplot2".into(), "ragg".into()],
        ..EngineConfig::default()
    })
}
