//! Closed-loop load: `concurrency` clients, each with its own MCP session
//! (or, for protocol 2026-07-28, its own stateless client) and connection,
//! send one call after another until a call count or a time budget is
//! reached. Latencies are per call, client-side (request
//! written → whole response read); throughput is calls / wall time. Timed
//! calls are pre-serialized and their replies checked, not parsed
//! ([`Session::request_lean`]); warm-up calls are parsed in full.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::http::get_once;
use super::mcp::{mcp_name, CallError, Era, Session};
use super::process::tree_memory;

/// How often the server tree's memory is sampled during a run. A sample
/// reads `/proc` for every process and each one's `smaps_rollup`, which the
/// kernel computes by walking the page tables: about 8 ms of CPU for a
/// server with two R engines. Every 25 ms (as before) that took a third of
/// a core from the server under test, which on a 2-core machine capped the
/// engine pool's measured throughput; every 250 ms it takes about 3 %.
const MEMORY_SAMPLE_EVERY: Duration = Duration::from_millis(250);

/// What one call sends.
#[derive(Clone)]
pub enum Call {
    /// A JSON-RPC method without tool semantics (`ping`, `tools/list`).
    Method { method: String, params: Value },
    /// `tools/call` of `name`; the result must not be an error.
    Tool { name: String, arguments: Value },
}

impl Call {
    /// Sends the call and parses its result in full.
    pub fn send(&self, session: &mut Session) -> Result<Value, CallError> {
        match self {
            Call::Method { method, params } => session.request(method, params),
            Call::Tool { name, arguments } => session.call_tool(name, arguments),
        }
    }

    /// The JSON-RPC method, its `Mcp-Name` (2026-07-28 only) and its
    /// params as `era` sends them, serialized once per run.
    fn wire(&self, era: Era) -> (&str, Option<String>, String) {
        let (method, params) = match self {
            Call::Method { method, params } => (method.as_str(), params.clone()),
            Call::Tool { name, arguments } => (
                "tools/call",
                serde_json::json!({"name": name, "arguments": arguments}),
            ),
        };
        let name = match era {
            Era::Modern => mcp_name(method, &params).map(str::to_string),
            Era::Session => None,
        };
        (method, name, era.params(&params).to_string())
    }
}

/// How much load to send.
#[derive(Clone, Copy)]
pub struct Budget {
    pub concurrency: usize,
    /// Calls in total across clients (timed ones; warm-up excluded).
    pub calls: usize,
    /// Stop starting calls after this long.
    pub time: Duration,
    /// Untimed calls per client first.
    pub warmup: usize,
}

/// What a run measured.
#[derive(Clone)]
pub struct Measured {
    /// Sorted latencies of successful calls.
    pub latencies: Vec<Duration>,
    pub errors: usize,
    pub first_error: Option<String>,
    pub wall: Duration,
    /// Highest resident memory (and proportional set size) of the server's
    /// process tree during the run.
    pub peak_rss: u64,
    pub peak_pss: u64,
    /// Time the server's R thread spent in jobs during the run, and how
    /// many jobs it finished (`rmcp_r_busy_seconds_total` and
    /// `rmcp_r_jobs_done_total` on `/metrics`), when the server has them.
    /// Not the thread's CPU time: that also counts its polling for the next
    /// job (`RMCP_R_SPIN_US`).
    pub r_busy: Option<(Duration, u64)>,
}

impl Measured {
    pub fn percentile(&self, p: f64) -> Option<Duration> {
        percentile(&self.latencies, p)
    }

    /// Successful calls per second.
    pub fn throughput(&self) -> f64 {
        self.latencies.len() as f64 / self.wall.as_secs_f64().max(1e-9)
    }
}

pub fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    Some(sorted[index.min(sorted.len() - 1)])
}

/// Runs `call` against the server at `address` (process `pid`), its
/// clients speaking `era`.
pub fn run(
    address: SocketAddr,
    pid: u32,
    era: Era,
    call: &Call,
    budget: Budget,
) -> Result<Measured, String> {
    let timeout = Duration::from_secs(120);
    let mut sessions = Vec::with_capacity(budget.concurrency);
    for _ in 0..budget.concurrency {
        let mut session =
            Session::open_as(era, address, timeout).map_err(|error| format!("session: {error}"))?;
        for _ in 0..budget.warmup {
            call.send(&mut session)
                .map_err(|error| format!("warm-up call failed: {error}"))?;
        }
        sessions.push(session);
    }
    let remaining = Arc::new(AtomicUsize::new(budget.calls));
    let done = Arc::new(AtomicBool::new(false));
    let barrier = Arc::new(Barrier::new(budget.concurrency + 1));
    let results = Arc::new(Mutex::new((Vec::new(), 0usize, None::<String>)));
    let peak = Arc::new(AtomicUsize::new(0));
    let peak_pss = Arc::new(AtomicUsize::new(0));
    let sampler = {
        let done = Arc::clone(&done);
        let peak = Arc::clone(&peak);
        let peak_pss = Arc::clone(&peak_pss);
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                let memory = tree_memory(pid);
                peak.fetch_max(
                    usize::try_from(memory.rss).unwrap_or(usize::MAX),
                    Ordering::Relaxed,
                );
                peak_pss.fetch_max(
                    usize::try_from(memory.pss).unwrap_or(usize::MAX),
                    Ordering::Relaxed,
                );
                std::thread::sleep(MEMORY_SAMPLE_EVERY);
            }
        })
    };
    let (method, name, params_json) = call.wire(era);
    let (method, params_json): (Arc<str>, Arc<str>) = (method.into(), params_json.into());
    let name: Option<Arc<str>> = name.map(Into::into);
    let mut workers = Vec::new();
    for mut session in sessions {
        let method = Arc::clone(&method);
        let name = name.clone();
        let params_json = Arc::clone(&params_json);
        let remaining = Arc::clone(&remaining);
        let barrier = Arc::clone(&barrier);
        let results = Arc::clone(&results);
        let time = budget.time;
        workers.push(std::thread::spawn(move || {
            let mut latencies = Vec::new();
            let mut errors = 0;
            let mut first_error = None;
            barrier.wait();
            let started = Instant::now();
            while started.elapsed() < time
                && remaining
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                    .is_ok()
            {
                match session.request_lean(&method, name.as_deref(), &params_json) {
                    Ok(()) => latencies.push(session.last_round_trip),
                    Err(error) => {
                        errors += 1;
                        first_error.get_or_insert(error.0);
                    }
                }
            }
            let mut results = results.lock().unwrap_or_else(|p| p.into_inner());
            results.0.extend(latencies);
            results.1 += errors;
            if results.2.is_none() {
                results.2 = first_error;
            }
            // Ended after the timing (dropping it sends DELETE).
            session
        }));
    }
    let r_before = r_busy(address);
    barrier.wait();
    let started = Instant::now();
    let sessions: Vec<Session> = workers
        .into_iter()
        .filter_map(|worker| worker.join().ok())
        .collect();
    let wall = started.elapsed();
    let r_busy = r_busy(address)
        .zip(r_before)
        .map(|((busy, jobs), (busy_before, jobs_before))| {
            (
                Duration::from_secs_f64((busy - busy_before).max(0.0)),
                jobs.saturating_sub(jobs_before),
            )
        });
    // The clients close their sessions, as SDK clients do: the memory the
    // server holds afterwards is what it keeps for nobody.
    drop(sessions);
    done.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    let (mut latencies, errors, first_error) =
        std::mem::take(&mut *results.lock().unwrap_or_else(|p| p.into_inner()));
    latencies.sort();
    Ok(Measured {
        latencies,
        errors,
        first_error,
        wall,
        peak_rss: peak.load(Ordering::Relaxed) as u64,
        peak_pss: peak_pss.load(Ordering::Relaxed) as u64,
        r_busy,
    })
}

/// Seconds the server's R spent in jobs (any outcome), and jobs done, from
/// its `/metrics` (`None` for a server without them, like the reference).
pub fn r_busy(address: SocketAddr) -> Option<(f64, u64)> {
    let response = get_once(address, "/metrics", Duration::from_secs(10)).ok()?;
    if response.status != 200 {
        return None;
    }
    let text = String::from_utf8_lossy(&response.body);
    let value = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .and_then(|value| value.trim().parse::<f64>().ok())
    };
    let busy = value("rmcp_r_busy_seconds_total")?;
    let jobs = value("rmcp_r_jobs_done_total")?;
    Some((busy, jobs as u64))
}
