//! The HTTP server (warp): one route table for Streamable HTTP at `/mcp`,
//! the legacy SSE transport at `/mcp/sse` + `/mcp/messages`, `GET /health`,
//! `GET /metrics` and `DELETE /admin/sessions`; the checks every MCP request
//! passes (origin, auth, rate limit, body size); one log line per request;
//! and graceful shutdown.
//!
//! It knows nothing about R beyond the engine's health snapshot
//! ([`RHandle::health`]); MCP itself is `mcp`'s business.
//!
//! Layout: `guard` (checks), `reply` (responses, SSE bodies, the gzip
//! answers of results serialized once), `gzip` (a text deflated once and
//! spliced into one gzip member per answer; `Accept-Encoding`), `streamable`
//! and `legacy` (the two MCP transports of the older revisions), `modern`
//! (`POST /mcp` of the stateless 2026-07-28 revision).

mod guard;
pub mod gzip;
mod legacy;
mod modern;
mod reply;
mod streamable;

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::Stream;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use warp::http::{HeaderMap, Method, StatusCode};
use warp::reply::Response;
use warp::{Buf, Filter};

use crate::config::HttpConfig;
use crate::engines::EnginePool;
use crate::mcp::jsonrpc::Message;
use crate::mcp::session::SessionStore;
use crate::mcp::McpServer;
use crate::metrics::EngineNumbers;
use crate::metrics::EngineSlotNumbers;
use crate::r::RHandle;

/// State the handlers share; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

/// What the handlers share.
pub struct Inner {
    pub mcp: McpServer,
    pub sessions: SessionStore,
    /// For `/health` and `/metrics`; `None` in servers without R.
    pub engine: Option<RHandle>,
    pub config: HttpConfig,
    limiter: guard::RateLimiter,
    /// Cancelled when shutdown begins: new requests get 503, standalone
    /// streams close.
    closing: CancellationToken,
    /// Parent of every session's token: cancelled when the grace period ends.
    calls: CancellationToken,
    /// Tasks answering on event streams, awaited at shutdown.
    tasks: TaskTracker,
    /// What `/health` shows as `sandbox`: the free-form R workers' layers.
    sandbox: std::sync::OnceLock<SandboxReporter>,
    /// The catalog's engine pool, shown per engine in `/health` and
    /// `/metrics`.
    engines: std::sync::OnceLock<EnginePool>,
    /// The deflated text of `mcp`'s results serialized once, for clients
    /// that accept gzip.
    gzip: reply::GzipCache,
}

/// Produces the `sandbox` object of `/health`.
pub type SandboxReporter = Arc<dyn Fn() -> Value + Send + Sync>;

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.inner
    }
}

impl AppState {
    pub fn new(mcp: McpServer, engine: Option<RHandle>, config: HttpConfig) -> AppState {
        let calls = CancellationToken::new();
        AppState {
            inner: Arc::new(Inner {
                sessions: SessionStore::new(config.max_sessions, config.session_ttl, calls.clone())
                    .with_node_id(config.node_id.as_deref()),
                limiter: guard::RateLimiter::new(config.rate_limit, config.rate_burst),
                mcp,
                engine,
                config,
                closing: CancellationToken::new(),
                calls,
                tasks: TaskTracker::new(),
                sandbox: std::sync::OnceLock::new(),
                engines: std::sync::OnceLock::new(),
                gzip: reply::GzipCache::default(),
            }),
        }
    }

    /// A server with no tools that only reports `engine`'s health (for
    /// engine tests and tools-less deployments).
    pub fn with_engine(engine: RHandle) -> AppState {
        // Registering fixed, distinct metric names in a new registry cannot fail.
        let metrics = Arc::new(crate::metrics::Metrics::new().expect("metrics register"));
        let mcp = McpServer::builder(crate::mcp::ServerOptions::default()).build(metrics);
        AppState::new(
            mcp,
            Some(engine),
            HttpConfig::local(SocketAddr::from(([127, 0, 0, 1], 0))),
        )
    }

    /// Has `/health` show `reporter`'s object as `sandbox` (set once).
    pub fn report_sandbox(&self, reporter: SandboxReporter) {
        let _ = self.sandbox.set(reporter);
    }

    /// Has `/health` and `/metrics` show `engines`, engine by engine (set
    /// once).
    pub fn report_engines(&self, engines: EnginePool) {
        let _ = self.engines.set(engines);
    }

    /// Starts shutting down: refuse new requests, close standalone streams,
    /// give calls in flight the grace period, then cancel them.
    pub fn begin_shutdown(&self) {
        if self.closing.is_cancelled() {
            return;
        }
        log::info!(
            "shutting down: no new requests, {:?} for calls in flight",
            self.config.shutdown_grace
        );
        self.closing.cancel();
        for session in self.sessions.all() {
            session.streams.close_standalone();
        }
        self.tasks.close();
        let state = self.clone();
        tokio::spawn(async move {
            let busy = || {
                !state.tasks.is_empty()
                    || state.mcp.tasks().running() > 0
                    || state
                        .sessions
                        .all()
                        .iter()
                        .any(|session| session.requests_in_flight() > 0)
            };
            let deadline = Instant::now() + state.config.shutdown_grace;
            while busy() && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            if busy() {
                log::warn!("cancelling the calls still running after the grace period");
                state.calls.cancel();
                state.mcp.tasks().shutdown();
                let _ = tokio::time::timeout(Duration::from_secs(2), state.tasks.wait()).await;
            }
            // Legacy SSE streams and finished event streams close with their sessions.
            state.sessions.clear();
        });
    }
}

/// What one request was about, for the log line and metrics.
#[derive(Default)]
pub struct RequestInfo {
    mcp_method: Option<String>,
    tool: Option<String>,
    /// For an answer streamed by a task: closed when the task is done, so
    /// the access log times the whole call, not just the stream's opening.
    answered: Option<tokio::sync::oneshot::Receiver<()>>,
    /// The credential the request authenticated with (`guard::check_auth`).
    principal: Option<Arc<str>>,
}

impl RequestInfo {
    fn describe(&mut self, message: &Message) {
        self.mcp_method = message.method().map(str::to_string);
        if let Message::Request(request) = message {
            if request.method == "tools/call" {
                self.tool = request
                    .params
                    .get("name")
                    .and_then(Value::as_str)
                    .map(|name| {
                        // Tool names are short identifiers; cap what a client can put in a log.
                        name.chars().take(64).collect()
                    });
            }
        }
    }
}

/// Every route, as one filter.
pub fn routes(state: AppState) -> impl Filter<Extract = (Response,), Error = Infallible> + Clone {
    let query = warp::query::raw().or(warp::any().map(String::new)).unify();
    warp::any()
        .and(warp::method())
        .and(warp::path::full())
        .and(query)
        .and(warp::header::headers_cloned())
        .and(warp::addr::remote())
        .and(warp::body::stream())
        .and(warp::any().map(move || state.clone()))
        .then(
            |method: Method,
             path: warp::path::FullPath,
             query: String,
             headers: HeaderMap,
             remote: Option<SocketAddr>,
             body,
             state: AppState| async move {
                handle(
                    state,
                    method,
                    path.as_str().to_string(),
                    query,
                    headers,
                    remote,
                    body,
                )
                .await
            },
        )
        .recover(|_rejection: warp::Rejection| async move {
            Ok::<_, Infallible>(reply::plain_error(
                StatusCode::BAD_REQUEST,
                "the request could not be read",
            ))
        })
        .unify()
}

async fn handle<S, B>(
    state: AppState,
    method: Method,
    path: String,
    query: String,
    headers: HeaderMap,
    remote: Option<SocketAddr>,
    body: S,
) -> Response
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    let started = Instant::now();
    let mut info = RequestInfo::default();
    let route = match path.as_str() {
        "/health" | "/metrics" | "/mcp" | "/mcp/sse" | "/mcp/messages" | "/admin/sessions" => {
            path.as_str()
        }
        _ => "other",
    };
    let response = route_request(
        &state, &method, route, &query, &headers, remote, body, &mut info,
    )
    .await;
    let status = response.status().as_u16();
    state
        .mcp
        .metrics()
        .http_request(method.as_str(), route, status);
    let mut line = format!("{} {}", method, route);
    if let Some(mcp_method) = &info.mcp_method {
        line.push(' ');
        line.push_str(mcp_method);
    }
    if let Some(tool) = &info.tool {
        line.push_str(&format!(" tool={tool}"));
    }
    let log = move || {
        log::info!(
            "{line} {status} {:.2}ms",
            started.elapsed().as_secs_f64() * 1e3
        );
    };
    // A call still running is logged by a task once it ends. Most are
    // already answered here (quick calls are awaited before their stream is
    // returned): they are logged at once, without a task whose spawning
    // would wake an idle worker thread.
    let running = info
        .answered
        .take()
        .filter(|_| log::log_enabled!(log::Level::Info));
    match running.map(|mut answered| (answered.try_recv(), answered)) {
        Some((Err(tokio::sync::oneshot::error::TryRecvError::Empty), answered)) => {
            tokio::spawn(async move {
                let _ = answered.await;
                log();
            });
        }
        _ => log(),
    }
    response
}

#[allow(clippy::too_many_arguments)]
async fn route_request<S, B>(
    state: &AppState,
    method: &Method,
    route: &str,
    query: &str,
    headers: &HeaderMap,
    remote: Option<SocketAddr>,
    body: S,
    info: &mut RequestInfo,
) -> Response
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    if route == "/health" {
        return if method == Method::GET {
            health(state)
        } else {
            reply::plain_error(StatusCode::METHOD_NOT_ALLOWED, "use GET /health")
        };
    }
    if route == "other" {
        return reply::plain_error(StatusCode::NOT_FOUND, "not found");
    }
    let is_mcp = route.starts_with("/mcp");
    if is_mcp {
        if let Err(response) = guard::check_origin(headers, &state.config) {
            return *response;
        }
    }
    info.principal = match guard::check_auth(headers, &state.config.api_keys) {
        Ok(principal) => principal,
        Err(response) => return *response,
    };
    let client = remote
        .map(|address| address.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    if let Err(wait) = state.limiter.check(client) {
        return guard::RateLimiter::refusal(wait);
    }
    if state.closing.is_cancelled() && is_mcp {
        let response = reply::rpc_error(
            StatusCode::SERVICE_UNAVAILABLE,
            -32000,
            "the server is shutting down",
        );
        return reply::with_header(response, "retry-after", "5");
    }
    match (method.as_str(), route) {
        ("GET", "/metrics") => metrics(state),
        ("DELETE", "/admin/sessions") => {
            if state.config.api_keys.is_empty() {
                return reply::plain_error(
                    StatusCode::FORBIDDEN,
                    "admin endpoints need an API key (RMCP_API_KEY)",
                );
            }
            let cleared = state.sessions.clear();
            log::info!("admin cleared {cleared} sessions");
            reply::json(StatusCode::OK, &json!({"cleared": cleared}))
        }
        ("POST", "/mcp") | ("POST", "/mcp/messages") => {
            let bytes = match guard::read_body(headers, body, state.config.max_body_bytes).await {
                Ok(bytes) => bytes,
                Err(error) => return error.response(),
            };
            if route == "/mcp" && modern::is_modern(headers, &bytes) {
                modern::post(state, headers, bytes, info).await
            } else if route == "/mcp" {
                streamable::post(state, headers, bytes, info).await
            } else {
                legacy::message(state, query, bytes, info)
            }
        }
        ("GET" | "DELETE", "/mcp") if modern::names_modern_version(headers) => {
            modern::not_in_this_revision(method.as_str())
        }
        ("GET", "/mcp") => streamable::get(state, headers, info.principal.as_deref()),
        ("DELETE", "/mcp") => streamable::delete(state, headers, info.principal.as_deref()),
        ("GET", "/mcp/sse") => legacy::connect(state, info.principal.clone()),
        _ => reply::with_header(
            reply::plain_error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed on this path",
            ),
            "allow",
            match route {
                "/mcp" => "GET, POST, DELETE",
                "/mcp/sse" | "/metrics" => "GET",
                "/mcp/messages" => "POST",
                _ => "DELETE",
            },
        ),
    }
}

/// `GET /health`: 200 with the engine's state, 503 when R is not alive.
/// The task store's use and bounds, for `/health`.
fn tasks_health(state: &AppState) -> serde_json::Value {
    let tasks = state.mcp.tasks();
    let (held, result_bytes) = tasks.usage();
    json!({
        "held": held,
        "running": tasks.running(),
        "result_bytes": result_bytes,
        "max_total": tasks.limits().max_total,
        "max_total_bytes": tasks.limits().max_total_bytes,
    })
}

fn health(state: &AppState) -> Response {
    let engine = state.engine.as_ref().map(RHandle::health);
    let alive = engine.as_ref().is_none_or(|engine| engine.alive);
    let status = if alive {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if alive { "healthy" } else { "unhealthy" },
        "server": "rmcp-server",
        "version": env!("CARGO_PKG_VERSION"),
        "transport": "http",
        "tools": state.mcp.tool_count(),
        "sessions": state.sessions.len(),
        "tasks": tasks_health(state),
        "r": engine,
        "sandbox": state.sandbox.get().map(|report| report()),
        "engines": state.engines.get().map(EnginePool::health),
    });
    reply::json(status, &body)
}

/// `GET /metrics`: Prometheus text format.
fn metrics(state: &AppState) -> Response {
    let engine = state.engine.as_ref().map(|engine| {
        let health = engine.health();
        EngineNumbers {
            alive: health.alive,
            queue_depth: health.jobs_queued,
            busy_seconds: health.busy_seconds,
            jobs_done: health.jobs_done,
            jobs_failed: health.jobs_failed,
            jobs_timed_out: health.jobs_timed_out,
            jobs_cancelled: health.jobs_cancelled,
        }
    });
    if let Some(pool) = state.engines.get() {
        let health = pool.health();
        let engines: Vec<EngineSlotNumbers> = health
            .engines
            .iter()
            .map(|engine| EngineSlotNumbers {
                engine: engine.index,
                state: engine.state.name().to_string(),
                busy_seconds: engine.busy_seconds,
                jobs: engine.jobs,
                restarts: engine.restarts,
            })
            .collect();
        state.mcp.metrics().set_engines(&engines, health.queued);
    }
    let text = state
        .mcp
        .metrics()
        .render(state.sessions.len(), engine.as_ref());
    let response = warp::reply::with_status(text, StatusCode::OK);
    let response = warp::reply::with_header(
        response,
        "content-type",
        "text/plain; version=0.0.4; charset=utf-8",
    );
    warp::Reply::into_response(response)
}

/// Serves on an already-bound listener until `shutdown` completes, then
/// shuts down gracefully: stop accepting, close standalone streams, let
/// calls in flight finish within the grace period, cancel the rest.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    // Accepted connections inherit TCP_NODELAY from the listener on Linux.
    // Without it a response written in two parts (headers, then a streamed
    // body) waits for the client's delayed ACK: ~40 ms per call.
    if let Err(error) = socket2::SockRef::from(&listener).set_tcp_nodelay(true) {
        log::warn!("could not set TCP_NODELAY on the listener: {error}");
    }
    // Off the accept path: the first gzip `tools/list` then finds its
    // answer compressed.
    let prepared = state.clone();
    drop(tokio::task::spawn_blocking(move || {
        for result in prepared.mcp.cached_results() {
            prepared.gzip.prepare(&result);
        }
    }));
    let sweeper = tokio::spawn(sweep(state.clone()));
    let signal = {
        let state = state.clone();
        async move {
            shutdown.await;
            state.begin_shutdown();
        }
    };
    let server = warp::serve(routes(state.clone()))
        .incoming(listener)
        .graceful(signal)
        .run();
    let hard_stop = {
        let state = state.clone();
        async move {
            state.closing.cancelled().await;
            tokio::time::sleep(state.config.shutdown_grace * 2 + Duration::from_secs(3)).await;
        }
    };
    tokio::select! {
        () = server => {}
        () = hard_stop => log::warn!("connections still open after shutdown; closing them"),
    }
    state.tasks.close();
    let _ = tokio::time::timeout(Duration::from_secs(2), state.tasks.wait()).await;
    state.sessions.clear();
    sweeper.abort();
}

/// Keep-alives for open streams and expiry of idle sessions.
async fn sweep(state: AppState) {
    let period = state
        .config
        .keep_alive
        .min(state.config.session_ttl)
        .max(Duration::from_millis(50));
    loop {
        tokio::select! {
            () = tokio::time::sleep(period) => {}
            () = state.closing.cancelled() => return,
        }
        let ended = state.sessions.sweep();
        if ended > 0 {
            log::info!("{ended} idle sessions expired");
        }
    }
}
