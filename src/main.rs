//! The `rmcp` binary: parses the command line, starts the R engine, and runs
//! the chosen transport (`start`: stdio, `serve-http`: HTTP) until end of
//! input or SIGTERM/SIGINT, then shuts the engine down.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;

use rmcp_server::config::{Cli, Command, Config, StdioConfig};
use rmcp_server::engines::EnginePool;
use rmcp_server::freeform::FreeFormR;
use rmcp_server::http::{self, AppState};
use rmcp_server::mcp::fixtures::Fixtures;
use rmcp_server::mcp::{McpServer, ServerOptions};
use rmcp_server::metrics::Metrics;
use rmcp_server::r::{EngineConfig, RHandle};
use rmcp_server::tools::catalog::Catalog;
use rmcp_server::tools::prompts::AnalysisPrompts;
use rmcp_server::tools::resources::ServerResources;
use rmcp_server::tools::ToolProvider;
use rmcp_server::vfs::{Vfs, VfsConfig};
use rmcp_server::worker::{Pool, WorkerConfig};

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

/// The protocol server with its providers: the statistics catalog on
/// `engine` with its file sandbox, the analysis prompts and the server's
/// resources, or, for the conformance suite, its fixtures instead (so the
/// suite sees exactly the tools it expects).
fn build_server(
    engine: &RHandle,
    vfs: &VfsConfig,
    fixtures: bool,
    workers: &WorkerConfig,
) -> anyhow::Result<(McpServer, Option<Arc<FreeFormR>>, Option<EnginePool>)> {
    let mut free_form = None;
    let mut pool = None;
    let data_roots = vfs;
    let metrics = Arc::new(Metrics::new()?);
    let options = ServerOptions::default();
    let version = options.version.clone();
    let mut builder = McpServer::builder(options);
    if !fixtures {
        let vfs = Arc::new(Vfs::new(vfs).context("setting up the file sandbox")?);
        let engines = EnginePool::start(engine.clone(), workers, vfs.staging_dir());
        pool = Some(engines.clone());
        let catalog = Arc::new(
            Catalog::with_vfs(engines, Arc::clone(&vfs)).context("loading the tool catalog")?,
        );
        let free = free_form_r(
            workers,
            data_roots,
            catalog.clone(),
            catalog.results(),
            Arc::clone(&vfs),
        )?;
        free_form = Some(Arc::clone(&free));
        let tools: Vec<Arc<dyn ToolProvider>> = vec![catalog.clone(), free.clone()];
        let resources = ServerResources::new(engine.clone(), vfs, tools, version);
        builder = builder
            .resources(catalog.results())
            .resources(Arc::new(resources))
            .prompts(Arc::new(AnalysisPrompts::new()))
            .tools(catalog)
            .tools(free);
    } else {
        let fixtures = Fixtures::new();
        builder = builder
            .tools(fixtures.clone())
            .prompts(fixtures.clone())
            .resources(fixtures);
    }
    Ok((builder.build(metrics), free_form, pool))
}

/// The free-form R tools over a warm pool of sandboxed workers; callbacks
/// from R reach `catalog`. Workers may read the file sandbox's roots and
/// write its writable ones (plus directories a session is granted inside
/// its roots). Call inside the runtime: the pool starts filling at once.
fn free_form_r(
    workers: &WorkerConfig,
    data_roots: &VfsConfig,
    catalog: Arc<Catalog>,
    results: Arc<rmcp_server::tools::result_store::ResultStore>,
    vfs: Arc<Vfs>,
) -> anyhow::Result<Arc<FreeFormR>> {
    let mut workers = workers.clone();
    if data_roots.enabled {
        workers.read_roots = data_roots.read_roots.clone();
        workers.write_roots = data_roots.writable_roots.clone();
        workers.grantable_roots = data_roots.read_roots.clone();
    }
    let pool = Pool::start(workers);
    FreeFormR::new(pool, catalog, Some(results), Some(vfs))
        .context("declaring the free-form R tools")
}

/// Frees a session's R worker when the session ends, and shows the sandbox
/// in `/health`.
fn wire_free_form(state: &AppState, free_form: &Arc<FreeFormR>) {
    let hook = Arc::clone(free_form);
    state
        .sessions
        .on_session_end(Arc::new(move |id: &str| hook.session_ended(id)));
    let health = Arc::clone(free_form);
    state.report_sandbox(Arc::new(move || health.health()));
}

fn serve_http(config: Config) -> anyhow::Result<()> {
    init_logging(config.log_level);
    let (engine, runtime) = start(config.engine.clone())?;
    let (mcp, free_form, engines) = {
        let _context = runtime.enter();
        build_server(
            &engine,
            &config.vfs,
            config.conformance_fixtures,
            &config.workers,
        )?
    };
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("binding {}", config.listen))?;
        let address = listener.local_addr().context("reading the bound address")?;
        log::info!(
            "rmcp serving MCP on http://{address}/mcp ({} tools{}, {})",
            mcp.tool_count(),
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
        let state = AppState::new(mcp, Some(engine.clone()), http_config);
        if let Some(free_form) = &free_form {
            wire_free_form(&state, free_form);
        }
        if let Some(engines) = &engines {
            state.report_engines(engines.clone());
        }
        http::serve(listener, state, shutdown_signal()).await;
        if let Some(free_form) = &free_form {
            free_form.shutdown();
        }
        if let Some(engines) = &engines {
            engines.shutdown();
        }
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
    let (mcp, free_form, engines) = {
        let _context = runtime.enter();
        build_server(
            &engine,
            &config.vfs,
            config.conformance_fixtures,
            &config.workers,
        )?
    };
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
        if let Some(free_form) = &free_form {
            free_form.shutdown();
        }
        if let Some(engines) = &engines {
            engines.shutdown();
        }
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
