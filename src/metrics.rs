//! Prometheus metrics (`GET /metrics`): HTTP requests by method and status,
//! MCP requests by method, tool-call latency by tool, and the R engine's
//! numbers (queue depth, busy seconds, timeouts, cancellations), copied from
//! a health snapshot at scrape time. Each server has its own registry, so
//! tests can run several servers in one process.
//!
//! It knows nothing about R: the caller passes the engine's numbers in as an
//! [`EngineNumbers`].

use prometheus::{
    Encoder, Gauge, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec,
    Opts, Registry, TextEncoder,
};

/// A metric could not be registered (a programming error, reported at start).
#[derive(Debug, thiserror::Error)]
#[error("cannot register metric: {0}")]
pub struct MetricsError(#[from] prometheus::Error);

/// The engine's numbers at scrape time.
#[derive(Debug, Clone, Default)]
pub struct EngineNumbers {
    pub alive: bool,
    pub queue_depth: usize,
    pub busy_seconds: f64,
    pub jobs_done: u64,
    pub jobs_failed: u64,
    pub jobs_timed_out: u64,
    pub jobs_cancelled: u64,
}

/// One engine of the catalog's engine pool at scrape time.
#[derive(Debug, Clone, Default)]
pub struct EngineSlotNumbers {
    /// Its index: 0 is the in-process R thread.
    pub engine: usize,
    /// `starting`, `idle`, `busy`, `overdue` or `disabled`.
    pub state: String,
    pub busy_seconds: f64,
    pub jobs: u64,
    pub restarts: u64,
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    http_requests: IntCounterVec,
    mcp_requests: IntCounterVec,
    tool_calls: IntCounterVec,
    tool_seconds: HistogramVec,
    active_sessions: IntGauge,
    r_alive: IntGauge,
    r_queue: IntGauge,
    r_busy: Gauge,
    r_done: IntGauge,
    r_failed: IntGauge,
    r_timeouts: IntGauge,
    r_cancelled: IntGauge,
    engine_state: IntGaugeVec,
    engine_busy: GaugeVec,
    engine_jobs: IntGaugeVec,
    engine_restarts: IntGaugeVec,
    engine_queue: IntGauge,
    /// Tasks held now (running and settled), and their result bytes.
    tasks: IntGauge,
    task_bytes: IntGauge,
    tasks_created: IntCounterVec,
    /// Tasks by how they ended (completed, failed, cancelled).
    tasks_settled: IntCounterVec,
    /// Tasks removed before their owner did: evicted by a bound, expired.
    tasks_removed: IntCounterVec,
}

/// The states an engine can report, each a series of `rmcp_r_engine_state`.
const ENGINE_STATES: &[&str] = &["starting", "idle", "busy", "overdue", "disabled"];

impl Metrics {
    pub fn new() -> Result<Metrics, MetricsError> {
        let registry = Registry::new();
        let http_requests = IntCounterVec::new(
            Opts::new(
                "rmcp_http_requests_total",
                "HTTP requests by method, route and status",
            ),
            &["method", "route", "status"],
        )?;
        let mcp_requests = IntCounterVec::new(
            Opts::new(
                "rmcp_mcp_requests_total",
                "MCP requests by JSON-RPC method and outcome",
            ),
            &["method", "outcome"],
        )?;
        let tool_calls = IntCounterVec::new(
            Opts::new("rmcp_tool_calls_total", "tool calls by tool and outcome"),
            &["tool", "outcome"],
        )?;
        let tool_seconds = HistogramVec::new(
            HistogramOpts::new("rmcp_tool_call_seconds", "tool-call latency by tool").buckets(
                vec![
                    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
                    60.0, 300.0,
                ],
            ),
            &["tool"],
        )?;
        let active_sessions = IntGauge::new("rmcp_active_sessions", "MCP sessions open now")?;
        let r_alive = IntGauge::new("rmcp_r_alive", "1 while the R thread accepts jobs")?;
        let r_queue = IntGauge::new("rmcp_r_queue_depth", "jobs waiting for the R thread")?;
        let r_busy = Gauge::new(
            "rmcp_r_busy_seconds_total",
            "seconds the R thread spent on jobs",
        )?;
        let r_done = IntGauge::new("rmcp_r_jobs_done_total", "R jobs finished")?;
        let r_failed = IntGauge::new("rmcp_r_jobs_failed_total", "R jobs that failed")?;
        let r_timeouts =
            IntGauge::new("rmcp_r_timeouts_total", "R jobs stopped at their deadline")?;
        let r_cancelled = IntGauge::new("rmcp_r_jobs_cancelled_total", "R jobs cancelled")?;
        let engine_state = IntGaugeVec::new(
            Opts::new(
                "rmcp_r_engine_state",
                "1 for each catalog engine's current state (0: the in-process R)",
            ),
            &["engine", "state"],
        )?;
        let engine_busy = GaugeVec::new(
            Opts::new(
                "rmcp_r_engine_busy_seconds_total",
                "seconds each catalog engine spent on calls",
            ),
            &["engine"],
        )?;
        let engine_jobs = IntGaugeVec::new(
            Opts::new(
                "rmcp_r_engine_jobs_total",
                "calls each catalog engine finished",
            ),
            &["engine"],
        )?;
        let engine_restarts = IntGaugeVec::new(
            Opts::new(
                "rmcp_r_engine_restarts_total",
                "times each catalog engine process was replaced",
            ),
            &["engine"],
        )?;
        let engine_queue = IntGauge::new(
            "rmcp_r_engine_queue_length",
            "catalog calls waiting for a free engine",
        )?;
        let tasks = IntGauge::new("rmcp_tasks", "tasks held now, running and settled")?;
        let task_bytes = IntGauge::new("rmcp_task_result_bytes", "bytes of task results held now")?;
        let tasks_created =
            IntCounterVec::new(Opts::new("rmcp_tasks_created_total", "tasks created"), &[])?;
        let tasks_settled = IntCounterVec::new(
            Opts::new("rmcp_tasks_settled_total", "tasks ended, by status"),
            &["status"],
        )?;
        let tasks_removed = IntCounterVec::new(
            Opts::new(
                "rmcp_tasks_removed_total",
                "tasks removed by a bound or their TTL, by reason",
            ),
            &["reason"],
        )?;
        registry.register(Box::new(tasks.clone()))?;
        registry.register(Box::new(task_bytes.clone()))?;
        registry.register(Box::new(tasks_created.clone()))?;
        registry.register(Box::new(tasks_settled.clone()))?;
        registry.register(Box::new(tasks_removed.clone()))?;
        registry.register(Box::new(engine_state.clone()))?;
        registry.register(Box::new(engine_busy.clone()))?;
        registry.register(Box::new(engine_jobs.clone()))?;
        registry.register(Box::new(engine_restarts.clone()))?;
        registry.register(Box::new(engine_queue.clone()))?;
        registry.register(Box::new(http_requests.clone()))?;
        registry.register(Box::new(mcp_requests.clone()))?;
        registry.register(Box::new(tool_calls.clone()))?;
        registry.register(Box::new(tool_seconds.clone()))?;
        registry.register(Box::new(active_sessions.clone()))?;
        registry.register(Box::new(r_alive.clone()))?;
        registry.register(Box::new(r_queue.clone()))?;
        registry.register(Box::new(r_busy.clone()))?;
        registry.register(Box::new(r_done.clone()))?;
        registry.register(Box::new(r_failed.clone()))?;
        registry.register(Box::new(r_timeouts.clone()))?;
        registry.register(Box::new(r_cancelled.clone()))?;
        Ok(Metrics {
            registry,
            http_requests,
            mcp_requests,
            tool_calls,
            tool_seconds,
            active_sessions,
            r_alive,
            r_queue,
            r_busy,
            r_done,
            r_failed,
            r_timeouts,
            r_cancelled,
            engine_state,
            engine_busy,
            engine_jobs,
            engine_restarts,
            engine_queue,
            tasks,
            task_bytes,
            tasks_created,
            tasks_settled,
            tasks_removed,
        })
    }

    /// Sets the engine pool's gauges (before [`render`](Self::render)).
    pub fn set_engines(&self, engines: &[EngineSlotNumbers], queued: usize) {
        self.engine_queue
            .set(i64::try_from(queued).unwrap_or(i64::MAX));
        for engine in engines {
            let label = engine.engine.to_string();
            for state in ENGINE_STATES {
                self.engine_state
                    .with_label_values(&[label.as_str(), state])
                    .set(i64::from(*state == engine.state));
            }
            self.engine_busy
                .with_label_values(&[label.as_str()])
                .set(engine.busy_seconds);
            self.engine_jobs
                .with_label_values(&[label.as_str()])
                .set(saturating(engine.jobs));
            self.engine_restarts
                .with_label_values(&[label.as_str()])
                .set(saturating(engine.restarts));
        }
    }

    pub fn http_request(&self, method: &str, route: &str, status: u16) {
        self.http_requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
    }

    pub fn mcp_request(&self, method: &str, ok: bool) {
        // Unknown methods share one label so clients cannot grow the series.
        let method = if KNOWN_METHODS.contains(&method) {
            method
        } else {
            "other"
        };
        self.mcp_requests
            .with_label_values(&[method, if ok { "ok" } else { "error" }])
            .inc();
    }

    /// Records one finished call of a listed tool.
    pub fn tool_call(&self, tool: &str, seconds: f64, is_error: bool) {
        self.tool_seconds
            .with_label_values(&[tool])
            .observe(seconds);
        self.tool_calls
            .with_label_values(&[tool, if is_error { "error" } else { "ok" }])
            .inc();
    }

    /// Sets the task gauges (the store, when it changes).
    pub fn set_tasks(&self, count: usize, bytes: usize) {
        self.tasks.set(i64::try_from(count).unwrap_or(i64::MAX));
        self.task_bytes
            .set(i64::try_from(bytes).unwrap_or(i64::MAX));
    }

    pub fn task_created(&self) {
        self.tasks_created.with_label_values(&[] as &[&str]).inc();
    }

    pub fn task_settled(&self, status: &str) {
        self.tasks_settled.with_label_values(&[status]).inc();
    }

    pub fn task_evicted(&self, reason: &str) {
        self.tasks_removed.with_label_values(&[reason]).inc();
    }

    /// The Prometheus text exposition, with gauges set from the arguments.
    pub fn render(&self, sessions: usize, engine: Option<&EngineNumbers>) -> String {
        self.active_sessions
            .set(i64::try_from(sessions).unwrap_or(i64::MAX));
        if let Some(engine) = engine {
            self.r_alive.set(i64::from(engine.alive));
            self.r_queue
                .set(i64::try_from(engine.queue_depth).unwrap_or(i64::MAX));
            self.r_busy.set(engine.busy_seconds);
            self.r_done.set(saturating(engine.jobs_done));
            self.r_failed.set(saturating(engine.jobs_failed));
            self.r_timeouts.set(saturating(engine.jobs_timed_out));
            self.r_cancelled.set(saturating(engine.jobs_cancelled));
        }
        let mut buffer = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&self.registry.gather(), &mut buffer) {
            log::error!("cannot encode metrics: {error}");
        }
        String::from_utf8_lossy(&buffer).into_owned()
    }
}

fn saturating(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

const KNOWN_METHODS: &[&str] = &[
    "initialize",
    "ping",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "resources/subscribe",
    "resources/unsubscribe",
    "prompts/list",
    "prompts/get",
    "completion/complete",
    "logging/setLevel",
    "tasks/get",
    "tasks/update",
    "tasks/cancel",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histograms_and_engine_gauges() {
        let metrics = Metrics::new().expect("metrics");
        metrics.http_request("POST", "/mcp", 200);
        metrics.tool_call("t_test", 0.02, false);
        metrics.mcp_request("tools/call", true);
        metrics.mcp_request("made/up", false);
        let text = metrics.render(
            2,
            Some(&EngineNumbers {
                alive: true,
                queue_depth: 3,
                ..EngineNumbers::default()
            }),
        );
        assert!(
            text.contains(
                "rmcp_http_requests_total{method=\"POST\",route=\"/mcp\",status=\"200\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains("rmcp_tool_call_seconds_bucket{tool=\"t_test\""),
            "{text}"
        );
        assert!(text.contains("rmcp_r_queue_depth 3"), "{text}");
        assert!(text.contains("rmcp_active_sessions 2"), "{text}");
        assert!(text.contains("method=\"other\""), "{text}");
    }
}
