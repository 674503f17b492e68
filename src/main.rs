//! The `rmcp` binary: parses the command line, starts the R engine, and runs
//! the chosen server until SIGTERM/SIGINT.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;

use rmcp_server::config::{Cli, Command, Config};
use rmcp_server::http::{self, AppState};
use rmcp_server::r::RHandle;

/// Exit code for unusable configuration.
const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::ServeHttp(args) => {
            let config = match Config::from_args(&args) {
                Ok(config) => config,
                Err(error) => {
                    eprintln!("rmcp: {error}");
                    return ExitCode::from(EXIT_CONFIG);
                }
            };
            match serve_http(config) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("rmcp: {error:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn serve_http(config: Config) -> anyhow::Result<()> {
    env_logger::Builder::new()
        .filter_level(config.log_level)
        .target(env_logger::Target::Stderr)
        .init();
    // R starts before the tokio runtime so its environment set-up races with
    // no other thread.
    let engine = RHandle::start(config.engine.clone()).context("starting R")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("binding {}", config.listen))?;
        let address = listener.local_addr().context("reading the bound address")?;
        log::info!("rmcp serving on http://{address}");
        let state = AppState {
            engine: engine.clone(),
        };
        http::serve(listener, state, shutdown_signal()).await;
        anyhow::Ok(())
    })?;
    log::info!("shutting down the R engine");
    engine.shutdown(Duration::from_secs(10));
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
