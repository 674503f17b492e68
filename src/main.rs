//! The `rmcp` binary: parses the command line, starts the R engine and the
//! async runtime, has the library assemble the server (`rmcp_server::server`),
//! and runs the chosen transport (`start`: stdio, `serve-http`: HTTP) until
//! end of input or SIGTERM/SIGINT, then shuts the workers and the engine
//! down. The order matters and lives here: the API key leaves the
//! environment before any thread exists, and R starts before the runtime.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;

use rmcp_server::config::{Cli, Command, Config, StdioConfig};
use rmcp_server::http;
use rmcp_server::r::{EngineConfig, RHandle};
use rmcp_server::server::{Server, Settings};

/// mimalloc instead of glibc's malloc for Rust's allocations (R keeps
/// glibc's): requests, replies and JSON ⇄ R conversion allocate and free
/// many small blocks across threads, where glibc's arenas cost the R thread
/// and the HTTP workers measurably (`benches/results/`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit code for unusable configuration.
const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The key has been read into the config; keep it out of R's environment
    // (Sys.getenv) and out of child processes. No other thread runs yet.
    std::env::remove_var("RMCP_API_KEY");
    std::env::remove_var("RMCP_REQUEST_STATE_KEY");
    let outcome = match cli.command {
        // A sandboxed R worker started by a server: no logging set-up, no R
        // here (the worker starts its own after sandboxing itself).
        Command::Worker(args) => return rmcp_server::worker::child::run(&args),
        // A catalog engine process of the pool, the same way.
        Command::Engine(args) => return rmcp_server::engines::child::run(&args),
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

/// The server `settings` describe, on `engine` (see `rmcp_server::server`).
/// Inside the runtime: free-form R's pool starts filling at once.
fn build_server(
    runtime: &tokio::runtime::Runtime,
    engine: &RHandle,
    settings: Settings,
) -> anyhow::Result<Server> {
    let _context = runtime.enter();
    Ok(Server::builder(settings).engine(engine.clone()).build()?)
}

fn serve_http(config: Config) -> anyhow::Result<()> {
    init_logging(config.log_level);
    let (engine, runtime) = start(config.engine.clone())?;
    let server = build_server(&runtime, &engine, Settings::from(&config))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("binding {}", config.listen))?;
        let address = listener.local_addr().context("reading the bound address")?;
        log::info!(
            "rmcp serving MCP on http://{address}/mcp ({} tools{}, {})",
            server.mcp.tool_count(),
            if config.http.api_keys.is_empty() {
                ", no authentication"
            } else {
                ", bearer authentication"
            },
            match &config.http.node_id {
                Some(node_id) => format!("node id {node_id}: session ids {node_id}.<random>"),
                None => "no node id: plain session ids".to_string(),
            }
        );
        let mut http_config = config.http.clone();
        http_config.listen = address;
        let state = server.http_state(http_config);
        http::serve(listener, state, shutdown_signal()).await;
        server.shutdown_workers();
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
    let server = build_server(&runtime, &engine, Settings::from(&config))?;
    runtime.block_on(async {
        log::info!(
            "rmcp serving MCP on stdio ({} tools)",
            server.mcp.tool_count()
        );
        rmcp_server::stdio::serve(
            server.mcp.clone(),
            tokio::io::stdin(),
            tokio::io::stdout(),
            shutdown_signal(),
            config.shutdown_grace,
        )
        .await;
        server.shutdown_workers();
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
