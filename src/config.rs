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

/// rmcp: statistical analysis in R over the Model Context Protocol.
#[derive(Debug, Parser)]
#[command(name = "rmcp", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve MCP over HTTP (Streamable HTTP at /mcp, /health, /metrics).
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
}

#[derive(Debug, Args, Clone)]
pub struct ServeHttpArgs {
    /// Address to listen on.
    #[arg(long, env = "RMCP_HTTP_HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "RMCP_HTTP_PORT", default_value_t = 8000)]
    pub port: u16,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// Checked settings of `rmcp serve-http`.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub log_level: log::LevelFilter,
    pub engine: EngineConfig,
}

impl Config {
    pub fn from_args(args: &ServeHttpArgs) -> Result<Config, ConfigError> {
        let host: IpAddr = args.host.parse().map_err(|_| ConfigError::Invalid {
            setting: "RMCP_HTTP_HOST / --host",
            value: args.host.clone(),
            reason: "expected an IP address such as 127.0.0.1 or 0.0.0.0".into(),
        })?;
        Ok(Config {
            listen: SocketAddr::new(host, args.port),
            log_level: parse_log_level(&args.engine.log_level)?,
            engine: engine_config(&args.engine)?,
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
