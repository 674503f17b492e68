//! The `rmcp` binary: parses the command line, starts the R engine, and runs
//! the chosen transport (`start`: stdio, `serve-http`: HTTP) until end of
//! input or SIGTERM/SIGINT, then shuts the engine down.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;

use rmcp_server::config::{Cli, Command, Config, StdioConfig};
use rmcp_server::http::{self, AppState};
use rmcp_server::mcp::fixtures::Fixtures;
use rmcp_server::mcp::{McpServer, ServerOptions};
use rmcp_server::metrics::Metrics;
use rmcp_server::r::{EngineConfig, RHandle};

/// Exit code for unusable configuration.
const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The key has been read into the config; keep it out of R's environment
    // (Sys.getenv) and out of child processes. No other thread runs yet.
    std::env::remove_var("RMCP_API_KEY");
    let outcome = match cli.command {
        Command::ServeHttp(args) => match Config::from_args(&args) {
            Ok(config) => serve_http(config),
            Err(error) => return config_error(&error),
        },
        Command::Start(args) => match StdioConfig::from_args(&args) {
            Ok(config) => serve_stdio(config),
            Err(error) => return config_error(&error),
        },
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("rmcp: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn config_error(error: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("rmcp: {error}");
    ExitCode::from(EXIT_CONFIG)
}

fn init_logging(level: log::LevelFilter) {
    // Clients that drop a connection mid-stream are routine, not errors.
    let warp_level = if level >= log::LevelFilter::Debug {
        level
    } else {
        log::LevelFilter::Off
    };
    env_logger::Builder::new()
        .filter_level(level)
        .filter_module("warp::server", warp_level)
        .target(env_logger::Target::Stderr)
        .init();
}

/// Starts R (before any other thread exists, so its environment set-up races
/// with nothing) and the async runtime.
fn start(engine: EngineConfig) -> anyhow::Result<(RHandle, tokio::runtime::Runtime)> {
    let engine = RHandle::start(engine).context("starting R")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    Ok((engine, runtime))
}

/// The protocol server with its providers: the statistics catalog on
/// `engine`, or, for the conformance suite, its fixtures instead (so the
/// suite sees exactly the tools it expects).
fn build_server(engine: &RHandle, fixtures: bool) -> anyhow::Result<McpServer> {
    let metrics = Arc::new(Metrics::new()?);
    let mut builder = McpServer::builder(ServerOptions::default());
    if !fixtures {
        let catalog = rmcp_server::tools::catalog::shared(engine.clone())
            .context("loading the tool catalog")?;
        builder = builder.resources(catalog.results()).tools(catalog);
    } else {
        let fixtures = Fixtures::new();
        builder = builder
            .tools(fixtures.clone())
            .prompts(fixtures.clone())
            .resources(fixtures);
    }
    Ok(builder.build(metrics))
}

fn serve_http(config: Config) -> anyhow::Result<()> {
    init_logging(config.log_level);
    let (engine, runtime) = start(config.engine.clone())?;
    let mcp = build_server(&engine, config.conformance_fixtures)?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("binding {}", config.listen))?;
        let address = listener.local_addr().context("reading the bound address")?;
        log::info!(
            "rmcp serving MCP on http://{address}/mcp ({} tools{})",
            mcp.tool_count(),
            if config.http.api_keys.is_empty() {
                ", no authentication"
            } else {
                ", bearer authentication"
            }
        );
        let mut http_config = config.http.clone();
        http_config.listen = address;
        let state = AppState::new(mcp, Some(engine.clone()), http_config);
        http::serve(listener, state, shutdown_signal()).await;
        anyhow::Ok(())
    })?;
    log::info!("shutting down the R engine");
    engine.shutdown(Duration::from_secs(10));
    runtime.shutdown_timeout(Duration::from_secs(2));
    Ok(())
}

fn serve_stdio(config: StdioConfig) -> anyhow::Result<()> {
    init_logging(config.log_level);
    let (engine, runtime) = start(config.engine.clone())?;
    let mcp = build_server(&engine, config.conformance_fixtures)?;
    runtime.block_on(async {
        log::info!("rmcp serving MCP on stdio ({} tools)", mcp.tool_count());
        rmcp_server::stdio::serve(
            mcp,
            tokio::io::stdin(),
            tokio::io::stdout(),
            shutdown_signal(),
            config.shutdown_grace,
        )
        .await;
    });
    engine.shutdown(Duration::from_secs(10));
    // stdin's blocking reader thread may still wait for input; do not join it.
    runtime.shutdown_timeout(Duration::from_millis(200));
    Ok(())
}

async fn shutdown_signal() {
    let mut terminate =
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(error) => {
                log::error!("cannot listen for SIGTERM: {error}");
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    log::info!("shutdown signal received");
}
