//! The bench's results and their markdown: latency tables at concurrency 1
//! and 8 with ratios, protocol 2026-07-28 (stateless) against a session on
//! this server, the process table (memory, cold start), and the targets,
//! each marked met or MISSED. A missing measurement says why; no
//! number is ever made up.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::Value;

use super::run::{Call, Measured};

/// Which server a measurement belongs to.
#[derive(Clone, Copy, PartialEq)]
pub enum Side {
    Ours,
    Reference,
}

/// One measurement slot.
#[derive(Clone)]
pub enum Outcome {
    Measured(Measured),
    /// Not run, and why (e.g. the tool is not listed).
    Skipped(String),
    /// Could not be run (sessions or warm-up failed).
    Failed(String),
}

/// One call of the bench and what was measured for it.
pub struct Case {
    pub label: String,
    pub call: Call,
    /// R code (set-up, timed body) of its floor.
    pub floor_code: Option<(String, String)>,
    /// R's own time for the same work (median), when it has R work.
    pub floor: Option<Duration>,
    /// Its mean over back-to-back evaluations, garbage collections
    /// included: 1 / this is what one R thread can do. Timed before the
    /// case's concurrency-1 run.
    pub floor_mean: Option<Duration>,
    /// The same mean timed again right after the concurrency-8 run: this
    /// host's speed drifts by tens of percent over minutes, and the
    /// throughput ceiling is the average of the two, which bracket the run.
    pub floor_mean_after: Option<Duration>,
    /// The same, with R idle for 1 ms before each timed evaluation (as
    /// between the calls of one client).
    pub floor_after_idle: Option<Duration>,
    pub plot: bool,
    /// A catalog tool: its R work runs on the server's R thread (free-form R
    /// runs in worker processes).
    pub catalog: bool,
    /// One answer's `structuredContent` from each server (ours, the
    /// reference), or why there is none, for comparing the numbers.
    pub samples: [Option<Result<Value, String>>; 2],
    /// At concurrency 1 and 8.
    pub ours: [Option<Outcome>; 2],
    pub reference: [Option<Outcome>; 2],
    /// Also measured on rmcp-server in protocol 2026-07-28 (stateless:
    /// `_meta` and headers on each request, no session), each run right
    /// after the same call's session run at the same concurrency.
    pub modern_too: bool,
    /// Those runs, at concurrency 1 and 8.
    pub modern: [Option<Outcome>; 2],
}

impl Case {
    /// R's back-to-back time per call for the throughput ceiling: the mean
    /// of the timings before and after the runs, or the one there is.
    pub fn throughput_floor(&self) -> Option<Duration> {
        match (self.floor_mean, self.floor_mean_after) {
            (Some(before), Some(after)) => Some((before + after) / 2),
            (before, after) => before.or(after),
        }
    }

    pub fn new(label: &str, call: Call, floor_code: Option<(String, String)>, plot: bool) -> Case {
        Case {
            label: label.to_string(),
            call,
            floor_code,
            floor: None,
            floor_mean: None,
            floor_mean_after: None,
            floor_after_idle: None,
            plot,
            catalog: false,
            samples: [None, None],
            ours: [None, None],
            reference: [None, None],
            modern_too: false,
            modern: [None, None],
        }
    }

    pub fn set(&mut self, side: Side, concurrency: usize, outcome: Outcome) {
        let slot = usize::from(concurrency != 1);
        match side {
            Side::Ours => self.ours[slot] = Some(outcome),
            Side::Reference => self.reference[slot] = Some(outcome),
        }
    }

    fn is_tool(&self) -> bool {
        matches!(self.call, Call::Tool { .. })
    }

    fn tool_name(&self) -> Option<&str> {
        match &self.call {
            Call::Tool { name, .. } => Some(name),
            Call::Method { method, .. } => Some(method),
        }
    }
}

/// One server's process numbers.
#[derive(Default)]
pub struct ServerReport {
    /// Why it was not measured at all.
    pub unavailable: Option<String>,
    /// (process start → `/health`, → first `tools/call` answered) per start.
    pub cold_starts: Vec<(Duration, Duration)>,
    pub idle_rss: Option<u64>,
    pub peak_rss: u64,
    pub idle_rss_after: Option<u64>,
    pub idle_pss: Option<u64>,
    pub peak_pss: u64,
    pub idle_pss_after: Option<u64>,
    pub tools_listed: Option<usize>,
}

impl ServerReport {
    pub fn unavailable(why: String) -> ServerReport {
        eprintln!("{why}");
        ServerReport {
            unavailable: Some(why),
            ..ServerReport::default()
        }
    }

    fn cold(
        &self,
        pick: impl Fn(&(Duration, Duration)) -> Duration,
    ) -> Option<(Duration, Duration)> {
        let mut times: Vec<Duration> = self.cold_starts.iter().map(pick).collect();
        times.sort();
        Some((*times.get(times.len() / 2)?, *times.last()?))
    }
}

/// Milliseconds, with fewer decimals as they grow.
pub fn ms(duration: Duration) -> String {
    let ms = duration.as_secs_f64() * 1e3;
    if ms < 1.0 {
        format!("{ms:.3}")
    } else if ms < 100.0 {
        format!("{ms:.2}")
    } else {
        format!("{ms:.0}")
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.0} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// A ratio, as "12×" or "7.7×".
pub fn times(ratio: f64) -> String {
    if ratio >= 10.0 {
        format!("{ratio:.0}×")
    } else {
        format!("{ratio:.1}×")
    }
}

fn measured(outcome: &Option<Outcome>) -> Option<&Measured> {
    match outcome {
        Some(Outcome::Measured(measured)) if !measured.latencies.is_empty() => Some(measured),
        _ => None,
    }
}

/// p50 | p95 | p99 cells, or the reason spread over them.
fn latency_cells(outcome: &Option<Outcome>, unavailable: &Option<String>) -> String {
    match (outcome, unavailable) {
        (_, Some(why)) => format!("{why} | | "),
        (Some(Outcome::Measured(m)), _) if !m.latencies.is_empty() => {
            let cell = |p| m.percentile(p).map_or("–".into(), ms);
            let errors = if m.errors > 0 {
                format!(" ({} failed)", m.errors)
            } else {
                String::new()
            };
            format!("{}{errors} | {} | {}", cell(0.5), cell(0.95), cell(0.99))
        }
        (Some(Outcome::Measured(m)), _) => format!(
            "all {} calls failed: {} | | ",
            m.errors,
            m.first_error.as_deref().unwrap_or("?")
        ),
        (Some(Outcome::Skipped(why)), _) | (Some(Outcome::Failed(why)), _) => {
            format!("{why} | | ")
        }
        (None, None) => "not measured | | ".into(),
    }
}

fn p50(outcome: &Option<Outcome>) -> Option<Duration> {
    measured(outcome)?.percentile(0.5)
}

/// The whole report.
pub fn render(
    cases: &[Case],
    ours: &ServerReport,
    reference: &ServerReport,
    r_version: &str,
) -> String {
    let mut out = String::new();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .map(|name| name.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let _ = writeln!(
        out,
        "## MCP over Streamable HTTP: rmcp-server vs the Python reference vs the R floor\n"
    );
    let _ = writeln!(
        out,
        "One run, one machine ({cores} cores, {cpu}; {r_version}), loopback, the same calls and \
         arguments to both servers through the same Rust load generator (one keep-alive \
         connection and MCP session per client; `Accept: application/json, text/event-stream` and `Accept-Encoding: gzip`, as httpx and `fetch` send; bodies are inflated after the timing). \
         Latency is client-side, request written → whole response read, in ms; timed requests \
         are serialized once and their replies checked for their id and error flags, not parsed, \
         so the client adds little idle time between calls. The R floor is \
         the same R work (`rmcp_run_tool(request)`, or the expression) timed inside a warm R, \
         back to back: its median is the latency floor, and its mean (R's garbage collections \
         included, which the median leaves out) is what one R thread does per call, the \
         ceiling for throughput; the idle floor times it after R slept 1 ms, as the server's R does \
         between one client's calls (cold caches make the same work up to twice as slow). Each \
         case's floors are timed in the bench's own R just before rmcp-server's runs of it, and \
         the back-to-back mean again right after its concurrency-8 run: the throughput ceiling \
         uses the average of the two, as this host's speed drifts by tens of percent over minutes. \
         rmcp-server runs with `--rate-limit 0` (the default 50/s per client would throttle the \
         bench); both log at info to a file. Concurrency 8 means 8 clients with 8 sessions \
         sharing the {cores} cores with the servers.\n"
    );
    latency_table(&mut out, cases, reference, 0);
    latency_table(&mut out, cases, reference, 1);
    modern_table(&mut out, cases);
    agreement_table(&mut out, cases, reference);
    process_table(&mut out, ours, reference);
    targets_table(&mut out, cases, ours, reference);
    out
}

/// Relative difference within which two numbers count as the same.
const AGREE: f64 = 1e-9;

/// Whether both servers computed the same numbers for the same call: every
/// number found at the same place in both answers' `structuredContent` is
/// compared, and places the reference fills that this server leaves out are
/// listed (a drop-in replacement must not lose fields).
fn agreement_table(out: &mut String, cases: &[Case], reference: &ServerReport) {
    let _ = writeln!(
        out,
        "### Same answers
"
    );
    let _ = writeln!(
        out,
        "One answer of each call from each server, `structuredContent` compared place by place. \
         Numbers at the same path are equal when they differ by at most {AGREE} relative; the \
         reference rounds many of its numbers (to 4 or 2 decimals, and prints them without \
         trailing zeros), so a number that equals the reference's once rounded to as many \
         decimals as the reference printed, and at least {ROUNDED_DECIMALS}, is counted as \
         equal at its rounding. Only paths both answers have are compared; paths only the \
         reference fills are listed.\n"
    );
    let _ = writeln!(out, "| call | numbers compared | equal | equal at the reference's rounding | differ (first) | reference paths missing here (first) |");
    let _ = writeln!(out, "|---|---:|---:|---:|---|---|");
    for case in cases.iter().filter(|case| case.is_tool()) {
        let row = match (&case.samples[0], &case.samples[1], &reference.unavailable) {
            (_, _, Some(why)) => format!("{why} | | | | |"),
            (Some(Ok(ours)), Some(Ok(theirs)), _) => {
                let comparison = Comparison::of(ours, theirs);
                let first = |items: &[String]| {
                    let shown: Vec<&str> = items.iter().take(4).map(String::as_str).collect();
                    let more = items.len().saturating_sub(shown.len());
                    let mut text = shown.join(", ");
                    if more > 0 {
                        text.push_str(&format!(" and {more} more"));
                    }
                    if text.is_empty() {
                        "none".into()
                    } else {
                        text
                    }
                };
                format!(
                    "{} | {} | {} | {} | {}",
                    comparison.compared,
                    comparison.equal(),
                    comparison.rounded,
                    first(&comparison.differ),
                    first(&comparison.missing)
                )
            }
            (Some(Err(why)), _, _) => format!("rmcp-server: {why} | | | | "),
            (_, Some(Err(why)), _) => format!("reference: {why} | | | | "),
            _ => "not sampled | | | | ".into(),
        };
        let _ = writeln!(out, "| {} | {row} |", case.label);
    }
    let _ = writeln!(out);
}

/// Two answers' `structuredContent` compared place by place, from the
/// reference's side: its numbers and its short strings (names, labels,
/// methods; long text such as interpretations is left out), and the places
/// it fills that this server leaves out or fills with another kind of value.
#[derive(Default)]
pub struct Comparison {
    /// Numbers found at the same place in both.
    pub compared: usize,
    /// Numbers equal only once rounded as the reference printed them.
    pub rounded: usize,
    /// Numbers that differ, each as "`path` ours vs theirs".
    pub differ: Vec<String>,
    /// Places the reference fills and this server leaves out.
    pub missing: Vec<String>,
    /// Short strings and booleans found at the same place in both.
    pub strings_compared: usize,
    /// Short strings and booleans that differ, as "`path` ours vs theirs".
    pub strings_differ: Vec<String>,
    /// Places where the two hold different kinds of value (an object
    /// against an array, a number against text), or arrays of different
    /// lengths.
    pub shape: Vec<String>,
}

/// Strings up to this many characters are compared; longer ones are prose.
const SHORT_STRING: usize = 40;

/// The fewest decimals the reference rounds a number to.
const ROUNDED_DECIMALS: usize = 2;

impl Comparison {
    /// Compares `ours` with `theirs` (the reference's).
    pub fn of(ours: &Value, theirs: &Value) -> Comparison {
        let mut comparison = Comparison::default();
        comparison.walk(ours, theirs, "");
        comparison
    }

    /// Numbers equal outright.
    pub fn equal(&self) -> usize {
        self.compared - self.rounded - self.differ.len()
    }

    /// Whether anything differs: a number, a short string, a kind of value
    /// or a place the reference fills.
    pub fn any_difference(&self) -> bool {
        !(self.differ.is_empty()
            && self.missing.is_empty()
            && self.strings_differ.is_empty()
            && self.shape.is_empty())
    }

    fn walk(&mut self, ours: &Value, theirs: &Value, path: &str) {
        match (ours, theirs) {
            (Value::Object(a), Value::Object(b)) => {
                for (key, their) in b {
                    let path = format!("{path}.{key}");
                    match a.get(key) {
                        Some(our) => self.walk(our, their, &path),
                        None if !their.is_null() => self.missing.push(format!("`{path}`")),
                        None => {}
                    }
                }
            }
            (Value::Array(a), Value::Array(b)) => {
                if a.len() != b.len() {
                    self.shape
                        .push(format!("`{path}` {} items vs {}", a.len(), b.len()));
                }
                for (index, (our, their)) in a.iter().zip(b).enumerate() {
                    self.walk(our, their, &format!("{path}[{index}]"));
                }
            }
            (Value::Number(a), Value::Number(b)) => {
                let (a, b) = (
                    a.as_f64().unwrap_or(f64::NAN),
                    b.as_f64().unwrap_or(f64::NAN),
                );
                self.compared += 1;
                let same = |a: f64, b: f64| (a - b).abs() <= AGREE * a.abs().max(b.abs()).max(1.0);
                // Decimals the reference printed (its shortest spelling), at
                // least ROUNDED_DECIMALS: it rounds to 2 or 4 decimals and
                // drops trailing zeros, so 91.99996 comes back as 92 and
                // 0.00004 as 0.
                let decimals = b
                    .to_string()
                    .split_once('.')
                    .map_or(0, |(_, fraction)| fraction.len())
                    .max(ROUNDED_DECIMALS);
                // Half a unit of that decimal (ties either way).
                let half_unit = 0.5 * 10f64.powi(-i32::try_from(decimals).unwrap_or(0));
                if same(a, b) {
                    return;
                }
                if decimals < 15 && (a - b).abs() <= half_unit * (1.0 + 1e-9) {
                    self.rounded += 1;
                } else {
                    self.differ.push(format!("`{path}` {a} vs {b}"));
                }
            }
            (Value::String(a), Value::String(b)) if b.chars().count() <= SHORT_STRING => {
                self.strings_compared += 1;
                if a != b {
                    self.strings_differ.push(format!("`{path}` {a:?} vs {b:?}"));
                }
            }
            // A place this server leaves empty where the reference has a
            // value; the reverse is the reference leaving it empty.
            (Value::Null, their) if !their.is_null() => {
                self.shape.push(format!("`{path}` null vs {}", kind(their)));
            }
            (Value::String(_), Value::String(_)) | (_, Value::Null) | (Value::Null, _) => {}
            (Value::Bool(a), Value::Bool(b)) => {
                self.strings_compared += 1;
                if a != b {
                    self.strings_differ.push(format!("`{path}` {a} vs {b}"));
                }
            }
            (a, b) => self
                .shape
                .push(format!("`{path}` {} vs {}", kind(a), kind(b))),
        }
    }
}

/// The JSON kind of a value, for the report.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn latency_table(out: &mut String, cases: &[Case], reference: &ServerReport, slot: usize) {
    let concurrency = if slot == 0 { 1 } else { 8 };
    let _ = writeln!(out, "### Concurrency {concurrency}\n");
    if slot == 0 {
        let _ = writeln!(out, "| call | R floor p50 | idle floor p50 | rmcp-server p50 | p95 | p99 | overhead over floor (p50) | over idle floor | reference p50 | p95 | p99 | reference ÷ rmcp-server (p50) |");
        let _ = writeln!(
            out,
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        );
    } else {
        let _ = writeln!(out, "| call | rmcp-server p50 | p95 | p99 | calls/s | R floor mean (back to back) | % of one R thread (1 / floor mean) | R thread in jobs (share of the run; per job; catalog tools) | reference p50 | p95 | p99 | calls/s | throughput ÷ reference |");
        let _ = writeln!(
            out,
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        );
    }
    for case in cases {
        let ours = &case.ours[slot];
        let theirs = &case.reference[slot];
        let ours_cells = latency_cells(ours, &None);
        let theirs_cells = latency_cells(theirs, &reference.unavailable);
        if slot == 0 {
            let floor = case.floor.map_or("–".into(), ms);
            let idle_floor = case.floor_after_idle.map_or("–".into(), ms);
            let over = |floor: Option<Duration>| match (p50(ours), floor) {
                (Some(p50), Some(floor)) => {
                    format!("{:+.3}", (p50.as_secs_f64() - floor.as_secs_f64()) * 1e3)
                }
                _ => "–".to_string(),
            };
            let overhead = over(case.floor);
            let idle_overhead = over(case.floor_after_idle);
            let ratio = match (p50(theirs), p50(ours)) {
                (Some(theirs), Some(ours)) => {
                    times(theirs.as_secs_f64() / ours.as_secs_f64().max(1e-9))
                }
                _ => "–".into(),
            };
            let _ = writeln!(
                out,
                "| {} | {floor} | {idle_floor} | {ours_cells} | {overhead} | {idle_overhead} | {theirs_cells} | {ratio} |",
                case.label
            );
        } else {
            let ours_rate = measured(ours).map(Measured::throughput);
            let theirs_rate = measured(theirs).map(Measured::throughput);
            let ceiling = match (ours_rate, case.throughput_floor()) {
                (Some(rate), Some(floor)) => {
                    format!("{:.0} %", 100.0 * rate * floor.as_secs_f64())
                }
                _ => "–".into(),
            };
            let floor_mean = match (
                case.throughput_floor(),
                case.floor_mean,
                case.floor_mean_after,
            ) {
                (Some(mean), Some(before), Some(after)) => {
                    format!("{} ({} before, {} after)", ms(mean), ms(before), ms(after))
                }
                (mean, _, _) => mean.map_or("–".into(), ms),
            };
            let busy = match measured(ours) {
                Some(m) if case.catalog && !m.latencies.is_empty() => {
                    m.r_busy.filter(|(_, jobs)| *jobs > 0).map(|(busy, jobs)| {
                        format!(
                            "{:.0} % ({:.3} ms)",
                            100.0 * busy.as_secs_f64() / m.wall.as_secs_f64().max(1e-9),
                            busy.as_secs_f64() * 1e3 / jobs as f64
                        )
                    })
                }
                _ => None,
            }
            .unwrap_or_else(|| "–".into());
            let rate_cell = |rate: Option<f64>| rate.map_or("–".into(), |r| format!("{r:.1}"));
            let ratio = match (ours_rate, theirs_rate) {
                (Some(ours), Some(theirs)) => times(ours / theirs.max(1e-9)),
                _ => "–".into(),
            };
            let _ = writeln!(
                out,
                "| {} | {ours_cells} | {} | {floor_mean} | {ceiling} | {busy} | {theirs_cells} | {} | {ratio} |",
                case.label,
                rate_cell(ours_rate),
                rate_cell(theirs_rate)
            );
        }
    }
    let _ = writeln!(out);
}

/// A ratio of two durations or rates, as "1.03" (not "×": these sit near
/// 1), or with two significant digits below 0.1 ("0.0013").
fn ratio_cell(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => {
            let ratio = a / b;
            if ratio >= 0.1 || ratio <= 0.0 {
                format!("{ratio:.2}")
            } else {
                let decimals = (1.0 - ratio.log10().floor()).min(12.0) as usize;
                format!("{ratio:.decimals$}")
            }
        }
        _ => "–".into(),
    }
}

/// rmcp-server's protocol 2026-07-28 (stateless) runs against its session
/// runs of the same calls: latency and throughput, and modern ÷ session.
fn modern_table(out: &mut String, cases: &[Case]) {
    if !cases.iter().any(|case| case.modern_too) {
        return;
    }
    let _ = writeln!(
        out,
        "### Protocol 2026-07-28 (stateless) vs a session, rmcp-server\n"
    );
    let _ = writeln!(
        out,
        "The same calls through the same load generator, each client speaking protocol \
         2026-07-28 (no `initialize`, no session: every request carries `_meta` with the \
         protocol version, client capabilities and client info, and the `MCP-Protocol-Version`, \
         `Mcp-Method` and `Mcp-Name` headers) instead of a 2025-06-18 session; each 2026-07-28 \
         run comes right after the session run of the same call at the same concurrency (the \
         session columns are the runs in the tables above). Ratios are 2026-07-28 ÷ session: \
         above 1 for latency, or below 1 for calls/s, means the stateless path is slower. \
         `ping` is not part of 2026-07-28. The free-form R calls here pass no `workspace` \
         handle, so each one starts a new workspace on a worker from the warm pool (which \
         then starts another), where a session's calls reuse the session's worker; with a \
         handle the stateless path costs what the session's does \
         (`benches/results/free_form_r.md`). The reference does not speak 2026-07-28.\n"
    );
    let _ = writeln!(out, "| call | clients | session p50 | p95 | p99 | calls/s | 2026-07-28 p50 | p95 | p99 | calls/s | ÷ session p50 | p95 | p99 | calls/s |");
    let _ = writeln!(
        out,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for case in cases.iter().filter(|case| case.modern_too) {
        for (slot, clients) in [(0, 1), (1, 8)] {
            let session = &case.ours[slot];
            let modern = &case.modern[slot];
            let rate = |outcome: &Option<Outcome>| measured(outcome).map(Measured::throughput);
            let rate_cell = |outcome: &Option<Outcome>| {
                rate(outcome).map_or("–".into(), |r| format!("{r:.1}"))
            };
            let at = |outcome: &Option<Outcome>, p: f64| {
                measured(outcome)
                    .and_then(|m| m.percentile(p))
                    .map(|d| d.as_secs_f64())
            };
            let _ = writeln!(
                out,
                "| {} | {clients} | {} | {} | {} | {} | {} | {} | {} | {} |",
                case.label,
                latency_cells(session, &None),
                rate_cell(session),
                latency_cells(modern, &None),
                rate_cell(modern),
                ratio_cell(at(modern, 0.5), at(session, 0.5)),
                ratio_cell(at(modern, 0.95), at(session, 0.95)),
                ratio_cell(at(modern, 0.99), at(session, 0.99)),
                ratio_cell(rate(modern), rate(session)),
            );
        }
    }
    let _ = writeln!(out);
}

fn process_table(out: &mut String, ours: &ServerReport, reference: &ServerReport) {
    let _ = writeln!(out, "### Process\n");
    let _ = writeln!(out, "Memory is that of the server and every process it started (rmcp-server: its sandboxed R workers, one per open session that ran free-form R plus a warm spare; the reference: R per call). The bench's clients end their sessions with `DELETE /mcp` after each run, as the SDK clients do when they close, so \"idle after the load\" is what a server keeps once its clients are gone. RSS counts pages the processes share (libR, R packages) once per process; PSS splits them between the processes. Cold start: median (worst) of {} starts for rmcp-server, {} for the reference.\n", ours.cold_starts.len(), reference.cold_starts.len());
    let _ = writeln!(
        out,
        "| | rmcp-server | reference | reference ÷ rmcp-server |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|");
    let why = reference.unavailable.clone();
    let bytes_row = |out: &mut String, label: &str, a: Option<u64>, b: Option<u64>| {
        let cell = |v: Option<u64>, side_why: &Option<String>| match (v, side_why) {
            (_, Some(why)) => why.clone(),
            (Some(v), _) if v > 0 => mib(v),
            _ => "–".into(),
        };
        let ratio = match (a, b) {
            (Some(a), Some(b)) if a > 0 && b > 0 => times(b as f64 / a as f64),
            _ => "–".into(),
        };
        let _ = writeln!(
            out,
            "| {label} | {} | {} | {ratio} |",
            cell(a, &ours.unavailable),
            cell(b, &why)
        );
    };
    bytes_row(
        out,
        "RSS idle after start",
        ours.idle_rss,
        reference.idle_rss,
    );
    bytes_row(
        out,
        "RSS under load (peak of the whole run)",
        Some(ours.peak_rss),
        Some(reference.peak_rss),
    );
    bytes_row(
        out,
        "RSS idle after the load",
        ours.idle_rss_after,
        reference.idle_rss_after,
    );
    bytes_row(
        out,
        "PSS idle after start (shared pages split between processes)",
        ours.idle_pss,
        reference.idle_pss,
    );
    bytes_row(
        out,
        "PSS under load (peak of the whole run)",
        Some(ours.peak_pss),
        Some(reference.peak_pss),
    );
    bytes_row(
        out,
        "PSS idle after the load",
        ours.idle_pss_after,
        reference.idle_pss_after,
    );
    for (label, pick) in [
        (
            "cold start: process start → `/health` 200",
            (|t: &(Duration, Duration)| t.0) as fn(&(Duration, Duration)) -> Duration,
        ),
        (
            "cold start: process start → first `tools/call` answered",
            |t: &(Duration, Duration)| t.1,
        ),
    ] {
        let cell = |report: &ServerReport| match (&report.unavailable, report.cold(pick)) {
            (Some(why), _) => why.clone(),
            (None, Some((median, worst))) => format!("{} ms ({} ms)", ms(median), ms(worst)),
            _ => "–".into(),
        };
        let ratio = match (ours.cold(pick), reference.cold(pick)) {
            (Some((a, _)), Some((b, _))) => times(b.as_secs_f64() / a.as_secs_f64().max(1e-9)),
            _ => "–".into(),
        };
        let _ = writeln!(
            out,
            "| {label} | {} | {} | {ratio} |",
            cell(ours),
            cell(reference)
        );
    }
    let listed = |report: &ServerReport| match (&report.unavailable, report.tools_listed) {
        (Some(why), _) => why.clone(),
        (None, Some(n)) => n.to_string(),
        _ => "–".into(),
    };
    let _ = writeln!(
        out,
        "| tools listed by `tools/list` | {} | {} | |\n",
        listed(ours),
        listed(reference)
    );
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "MISSED"
    }
}

fn targets_table(out: &mut String, cases: &[Case], ours: &ServerReport, reference: &ServerReport) {
    let _ = writeln!(out, "### Targets\n");
    let _ = writeln!(out, "| target | call | measured | verdict |");
    let _ = writeln!(out, "|---|---|---:|---|");
    let mut row = |target: &str, call: &str, measured: String, met: Option<bool>| {
        let verdict = met.map_or("not measured", verdict);
        let _ = writeln!(out, "| {target} | {call} | {measured} | {verdict} |");
    };
    for case in cases.iter().filter(|case| case.is_tool()) {
        let name = case.tool_name().unwrap_or("");
        if let (Some(p50), Some(floor)) = (p50(&case.ours[0]), case.floor) {
            let overhead = (p50.as_secs_f64() - floor.as_secs_f64()) * 1e3;
            row(
                "overhead over the R floor ≤ 0.3 ms p50, concurrency 1",
                name,
                format!("{overhead:.3} ms"),
                Some(overhead <= 0.3),
            );
        }
        if let (Some(p50), Some(floor)) = (p50(&case.ours[0]), case.floor_after_idle) {
            let overhead = (p50.as_secs_f64() - floor.as_secs_f64()) * 1e3;
            row(
                "(same, over the idle floor; not an issue target)",
                name,
                format!("{overhead:.3} ms"),
                Some(overhead <= 0.3),
            );
        }
    }
    for case in cases
        .iter()
        .filter(|case| matches!(case.tool_name(), Some("summary_stats" | "linear_model")))
    {
        let name = case.tool_name().unwrap_or("");
        match (p50(&case.ours[0]), p50(&case.reference[0])) {
            (Some(a), Some(b)) => {
                let ratio = b.as_secs_f64() / a.as_secs_f64().max(1e-9);
                row(
                    "≥ 500× lower p50 than the reference, concurrency 1",
                    name,
                    times(ratio),
                    Some(ratio >= 500.0),
                );
            }
            _ => row(
                "≥ 500× lower p50 than the reference, concurrency 1",
                name,
                reference.unavailable.clone().unwrap_or_else(|| "–".into()),
                None,
            ),
        }
    }
    for case in cases.iter().filter(|case| case.is_tool()) {
        let name = case.tool_name().unwrap_or("");
        if let (Some(m), Some(floor)) = (measured(&case.ours[1]), case.throughput_floor()) {
            let share = m.throughput() * floor.as_secs_f64();
            row(
                "throughput at concurrency 8 ≥ 80 % of one R thread (1 / mean floor)",
                name,
                format!(
                    "{:.0} of {:.0} calls/s = {:.0} %",
                    m.throughput(),
                    1.0 / floor.as_secs_f64(),
                    share * 100.0
                ),
                Some(share >= 0.8),
            );
        }
    }
    for case in cases.iter().filter(|case| !case.is_tool()) {
        if let Some(p50) = p50(&case.ours[0]) {
            row(
                "`ping` and `tools/list` p50 ≤ 0.2 ms",
                case.tool_name().unwrap_or(""),
                format!("{} ms", ms(p50)),
                Some(p50 <= Duration::from_micros(200)),
            );
        }
    }
    if let Some(rss) = ours.idle_rss {
        row(
            "idle RSS ≤ 200 MB",
            "",
            mib(rss),
            Some(rss <= 200 * 1000 * 1000),
        );
    }
    if let Some((_, worst)) = ours.cold(|t| t.0) {
        row(
            "`/health` ≤ 1 s after process start (worst start)",
            "",
            format!("{} ms", ms(worst)),
            Some(worst <= Duration::from_secs(1)),
        );
    }
    if let Some((_, worst)) = ours.cold(|t| t.1) {
        row(
            "first `tools/call` answered ≤ 2 s after process start (worst start)",
            "summary_stats",
            format!("{} ms", ms(worst)),
            Some(worst <= Duration::from_secs(2)),
        );
    }
    let failures: usize = cases
        .iter()
        .flat_map(|case| case.ours.iter().chain(&case.modern))
        .filter_map(measured)
        .map(|m| m.errors)
        .sum();
    row(
        "every rmcp-server call answered without error",
        "",
        format!("{failures} failed"),
        Some(failures == 0),
    );
    let _ = writeln!(out);
}
