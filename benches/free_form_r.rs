//! `cargo bench --bench free_form_r`: free-form R in a sandboxed worker.
//!
//! Measures, on the server as the binary assembles it
//! (`rmcp_server::server`), execute_r_analysis of a small expression
//! through the full HTTP path (client → warp → MCP → worker channel → R in
//! the worker and back) with a warm worker, the same request straight to
//! the worker (no HTTP),
//! and the cost of replacing a worker: spawn to ready (sandbox applied, R
//! started and warmed up), and the first call of a session whose worker
//! died (served by a warm one from the pool). Clients of protocol
//! 2026-07-28 (no session) are measured too: with a workspace handle (the
//! workspace's warm worker, like a session) and without one (a new
//! workspace, so a worker from the warm pool, on every call).
//!
//! Prints a markdown table and writes it to `benches/results/free_form_r.md`.
//! Target: p50 ≤ 2 ms through HTTP with a warm worker.

mod load;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use load::serve::InProcess;
use rmcp_server::r::{EngineConfig, RHandle};
use rmcp_server::server::{Server, Settings};
use rmcp_server::vfs::VfsConfig;
use rmcp_server::worker::protocol::Op;
use rmcp_server::worker::WorkerConfig;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

/// The allocator the `rmcp` binary uses.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CALLS: usize = 1000;
const WARMUP: usize = 50;
const SPAWNS: usize = 8;
/// Calls without a handle: each takes a worker from the pool.
const FRESH: usize = 20;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// One MCP session over HTTP.
struct Session {
    http: reqwest::Client,
    url: String,
    id: String,
}

impl Session {
    async fn open(url: &str) -> Session {
        let http = reqwest::Client::new();
        let response = http
            .post(url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(
                json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "protocolVersion": "2025-11-25", "capabilities": {},
                "clientInfo": {"name": "bench", "version": "1"}}})
                .to_string(),
            )
            .send()
            .await
            .expect("initialize");
        let id = response.headers()["mcp-session-id"]
            .to_str()
            .expect("ascii")
            .to_string();
        Session {
            http,
            url: url.to_string(),
            id,
        }
    }

    async fn run(&self, code: &str) -> Value {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
            "name": "execute_r_analysis",
            "arguments": {"r_code": code, "description": "bench", "timeout_seconds": 5}}});
        let reply: Value = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", "application/json")
            .header("mcp-session-id", &self.id)
            .header("mcp-protocol-version", "2025-11-25")
            .body(body.to_string())
            .send()
            .await
            .expect("call")
            .json()
            .await
            .expect("json");
        reply["result"].clone()
    }
}

/// A client of protocol 2026-07-28: no session, `_meta` and the SEP-2243
/// headers on each request.
struct Modern {
    http: reqwest::Client,
    url: String,
}

impl Modern {
    /// Runs `code` in `workspace` (a new one without); the result.
    async fn run(&self, code: &str, workspace: Option<&str>) -> Value {
        let mut arguments = json!({"r_code": code, "description": "bench", "timeout_seconds": 5});
        if let Some(workspace) = workspace {
            arguments["workspace"] = json!(workspace);
        }
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "execute_r_analysis",
        "arguments": arguments,
        "_meta": {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": {"name": "bench", "version": "1"},
        }}});
        let mut request = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", "application/json")
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", "tools/call")
            .header("mcp-name", "execute_r_analysis");
        if let Some(workspace) = workspace {
            request = request.header("mcp-param-workspace", workspace);
        }
        let reply: Value = request
            .body(body.to_string())
            .send()
            .await
            .expect("call")
            .json()
            .await
            .expect("json");
        reply["result"].clone()
    }
}

fn main() {
    let engine = RHandle::start(EngineConfig::default()).expect("R starts");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let table = runtime.block_on(measure(engine.clone()));
    print!("{table}");
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/results/free_form_r.md");
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = std::fs::write(&path, &table);
    engine.shutdown(Duration::from_secs(5));
}

async fn measure(engine: RHandle) -> String {
    let config = WorkerConfig {
        binary: PathBuf::from(env!("CARGO_BIN_EXE_rmcp")),
        pool_size: 2,
        base_dir: std::env::temp_dir().join(format!("rmcp-bench-workers-{}", std::process::id())),
        ..WorkerConfig::default()
    };
    // The server as the binary assembles it (catalog, file sandbox on the
    // working directory, free-form R over these workers).
    let settings = Settings {
        vfs: VfsConfig::working_directory(),
        workers: config,
        conformance_fixtures: false,
        request_state_key: None,
        node_id: None,
        tasks: Default::default(),
    };
    let assembled = Server::builder(settings)
        .engine(engine)
        .build()
        .expect("server builds");
    let free = assembled.free_form.clone().expect("free-form R");
    let pool = Arc::clone(free.sessions().pool());
    let serving = InProcess::start(&assembled).await;
    let url = serving.url.clone();
    let report = pool
        .sandbox_report(Duration::from_secs(30))
        .await
        .expect("a worker starts");

    // Through HTTP, warm worker.
    let session = Session::open(&url).await;
    for _ in 0..WARMUP {
        session.run("result <- 1 + 1").await;
    }
    let mut http_times = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let started = Instant::now();
        let result = session.run("result <- 1 + 1").await;
        http_times.push(started.elapsed());
        assert_eq!(result["structuredContent"]["result"], json!(2), "{result}");
    }
    http_times.sort();

    // Protocol 2026-07-28 with a workspace handle: the workspace's warm
    // worker on every call.
    let modern = Modern {
        http: reqwest::Client::new(),
        url: url.clone(),
    };
    let first = modern.run("result <- 1 + 1", None).await;
    let handle = first["structuredContent"]["workspace"]
        .as_str()
        .expect("a workspace handle")
        .to_string();
    for _ in 0..WARMUP {
        modern.run("result <- 1 + 1", Some(&handle)).await;
    }
    let mut with_handle = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let started = Instant::now();
        let result = modern.run("result <- 1 + 1", Some(&handle)).await;
        with_handle.push(started.elapsed());
        assert_eq!(result["structuredContent"]["result"], json!(2), "{result}");
    }
    with_handle.sort();

    // Protocol 2026-07-28 without a handle: a new workspace each call,
    // served by a warm worker from the pool (waited for, as a client that
    // calls now and then would find it).
    let mut without_handle = Vec::with_capacity(FRESH);
    for _ in 0..FRESH {
        while pool.idle_count() < 2 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let started = Instant::now();
        let result = modern.run("result <- 1 + 1", None).await;
        without_handle.push(started.elapsed());
        assert_eq!(result["structuredContent"]["result"], json!(2), "{result}");
    }
    without_handle.sort();

    // Straight to a worker.
    let worker = pool.take().await.expect("worker");
    let cancel = CancellationToken::new();
    let args = json!({"code": "result <- 1 + 1", "approved_packages": [], "packages": []});
    let mut direct = Vec::with_capacity(CALLS);
    for round in 0..(CALLS + WARMUP) {
        let started = Instant::now();
        worker
            .request(Op::Eval, args.clone(), Duration::from_secs(5), &cancel)
            .await
            .expect("reply");
        if round >= WARMUP {
            direct.push(started.elapsed());
        }
    }
    direct.sort();
    worker.kill();

    // Spawn to ready.
    let mut spawns = Vec::new();
    for _ in 0..SPAWNS {
        let started = Instant::now();
        let worker = pool.spawn_now(&[]).await.expect("spawn");
        spawns.push(started.elapsed());
        worker.kill();
    }
    spawns.sort();

    // A session whose worker died gets a warm one on its next call.
    let mut replaced = Vec::new();
    for _ in 0..SPAWNS {
        while pool.idle_count() < 2 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let state = free.sessions().session_workspace(&session.id);
        if let Some(worker) = state.and_then(|state| state.worker()) {
            worker.kill();
        }
        let started = Instant::now();
        let result = session.run("result <- 1 + 1").await;
        replaced.push(started.elapsed());
        assert_eq!(result["structuredContent"]["result"], json!(2), "{result}");
    }
    replaced.sort();

    serving.stop().await;
    assembled.shutdown_workers();

    let mut table = String::new();
    let _ = writeln!(
        table,
        "## Free-form R (execute_r_analysis), sandboxed worker\n\n\
         Sandbox: landlock {} (ABI {}), seccomp {}, rlimits {}. {CALLS} calls after {WARMUP} warm-up calls \
         ({FRESH} without a handle); `result <- 1 + 1`.\n",
        report.landlock, report.landlock_abi, report.seccomp, report.rlimits
    );
    let _ = writeln!(
        table,
        "| measurement | p50 | p90 | p99 |\n|---|---|---|---|"
    );
    for (name, times) in [
        (
            "execute_r_analysis through HTTP, 2025-11-25 session (warm worker)",
            &http_times,
        ),
        (
            "the same, 2026-07-28 with a `workspace` handle (warm worker)",
            &with_handle,
        ),
        (
            "the same, 2026-07-28 without a handle (new workspace, warm pool)",
            &without_handle,
        ),
        ("the same request straight to the worker", &direct),
        (
            "worker start: spawn → sandboxed, R warmed up, ready",
            &spawns,
        ),
        (
            "first call after the session's worker died (warm pool)",
            &replaced,
        ),
    ] {
        let _ = writeln!(
            table,
            "| {name} | {:.2} ms | {:.2} ms | {:.2} ms |",
            millis(percentile(times, 0.5)),
            millis(percentile(times, 0.9)),
            millis(percentile(times, 0.99))
        );
    }
    table
}
