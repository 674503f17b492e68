//! `make bench`: this server next to the Python reference (`rmcp==0.12.0`
//! from PyPI, `rmcp serve-http`) and next to the R floor (the same R work
//! timed inside a warm R), over MCP Streamable HTTP on loopback, measured in
//! one run on one machine.
//!
//! Calls: `ping`, `tools/list`, `summary_stats`, `linear_model` and `t_test`
//! on mtcars, a `scatter_plot` PNG, and `execute_r_analysis` of a small
//! expression (when this server lists it). For each: p50/p95/p99 latency at
//! concurrency 1 and 8, throughput, and ratios; for each server: memory idle
//! and under load, and cold start (process start → `/health`, → first
//! `tools/call` answered). Prints markdown tables, checks them against the
//! targets, and writes them to `benches/results/mcp_http.md`.
//!
//! `tools/list`, `summary_stats`, `linear_model` and `execute_r_analysis`
//! are also sent by clients of protocol 2026-07-28 (stateless: `_meta` and
//! headers on each request, no session), each run right after the same
//! call's session run, and compared with it (this server only: the
//! reference does not speak that revision). `RMCP_BENCH_SKIP_MODERN=1`
//! leaves those runs out, so that a run is the same sequence as one of a
//! commit from before them (for paired runs of two commits).
//!
//! The reference spawns R for every call (~0.7 s), so it gets fewer calls.
//! Set `RMCP_BENCH_SKIP_REFERENCE=1` to leave it out (its columns then say
//! why). The load generator is `benches/load/`.

mod load;

use std::path::PathBuf;
use std::time::Duration;

use load::floor::{r_arguments, time_in_r, RTime};
use load::mcp::Era;
use load::process::{reference_command, ServerCommand};
use load::report::{self, Case, Outcome, ServerReport, Side};
use load::run::{run, Budget, Call, Measured};
use rmcp_server::r::{EngineConfig, Job, RHandle};
use serde_json::{json, Value};

/// Load sizes for one server.
#[derive(Clone, Copy)]
struct Sizes {
    /// Calls at concurrency 1 and 8 for protocol methods, fast tools, plots.
    method: (usize, usize),
    tool: (usize, usize),
    plot: (usize, usize),
    /// Time budget per run.
    time: Duration,
    cold_starts: usize,
}

const OURS: Sizes = Sizes {
    method: (3000, 6000),
    tool: (1000, 2000),
    plot: (100, 200),
    time: Duration::from_secs(12),
    cold_starts: 5,
};

const REFERENCE: Sizes = Sizes {
    method: (200, 400),
    tool: (20, 16),
    plot: (10, 16),
    time: Duration::from_secs(60),
    cold_starts: 2,
};

/// `RMCP_BENCH_QUICK=1`: a tenth of the calls, for trying changes.
fn sized(sizes: Sizes) -> Sizes {
    if std::env::var_os("RMCP_BENCH_QUICK").is_none() {
        return sizes;
    }
    let tenth = |(a, b): (usize, usize)| ((a / 10).max(4), (b / 10).max(8));
    Sizes {
        method: tenth(sizes.method),
        tool: tenth(sizes.tool),
        plot: tenth(sizes.plot),
        time: sizes.time / 4,
        cold_starts: 2,
    }
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let logs = root.join("target/bench");
    let _ = std::fs::create_dir_all(&logs);
    let engine = RHandle::start(EngineConfig {
        preload_packages: vec!["ggplot2".into(), "ragg".into()],
        ..EngineConfig::default()
    })
    .expect("R starts");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mtcars = runtime
        .block_on(engine.eval(Job::eval("mtcars")))
        .expect("mtcars")
        .value;
    let r_version = engine.health().r_version.unwrap_or_default();
    let mut cases = cases(&mtcars);

    let ours = ServerCommand::rmcp_server(logs.join("rmcp-server.log"));
    let floor = Floor {
        engine: &engine,
        runtime: &runtime,
    };
    let ours = measure(&ours, &mut cases, sized(OURS), Side::Ours, Some(&floor));
    engine.shutdown(Duration::from_secs(5));

    let reference = match reference_command(&root, &logs) {
        Ok(command) => measure(
            &command,
            &mut cases,
            sized(REFERENCE),
            Side::Reference,
            None,
        ),
        Err(why) => ServerReport::unavailable(why),
    };

    let text = report::render(&cases, &ours, &reference, &r_version);
    println!("\n{text}");
    let path = root.join("benches/results/mcp_http.md");
    let _ = std::fs::create_dir_all(root.join("benches/results"));
    if let Err(error) = std::fs::write(&path, &text) {
        eprintln!("could not write {}: {error}", path.display());
    }
}

/// The calls, with the R code of their floor.
fn cases(mtcars: &Value) -> Vec<Case> {
    let tool = |label: &str, name: &str, arguments: Value, formulas: &[&str], plot: bool| {
        let setup = format!(
            "request <- list(tool = \"tool_{name}\", formulas = {}, args = {})",
            load::floor::r_literal(&json!(formulas)),
            r_arguments(&arguments, &["data"])
        );
        let mut case = Case::new(
            label,
            Call::Tool {
                name: name.into(),
                arguments,
            },
            Some((setup, "rmcp_run_tool(request)".into())),
            plot,
        );
        case.catalog = true;
        case
    };
    let method = |label: &str, method: &str| {
        Case::new(
            label,
            Call::Method {
                method: method.into(),
                params: json!({}),
            },
            None,
            false,
        )
    };
    let expression = "result <- summary(c(2.5, 3.1, 4.7, 5.2, 6.8))";
    let mut cases = vec![
        method("`ping`", "ping"),
        method("`tools/list`", "tools/list"),
        tool(
            "`summary_stats` (mtcars)",
            "summary_stats",
            json!({"data": mtcars}),
            &[],
            false,
        ),
        tool(
            "`linear_model` mpg ~ wt + hp (mtcars)",
            "linear_model",
            json!({"data": mtcars, "formula": "mpg ~ wt + hp"}),
            &["formula"],
            false,
        ),
        tool(
            "`t_test` mpg by am (mtcars)",
            "t_test",
            json!({"data": mtcars, "variable": "mpg", "group": "am"}),
            &[],
            false,
        ),
        tool(
            "`scatter_plot` 640×480 PNG (mtcars)",
            "scatter_plot",
            json!({"data": mtcars, "x": "wt", "y": "mpg", "width": 640, "height": 480}),
            &[],
            true,
        ),
        Case::new(
            "`execute_r_analysis` `summary()` of 5 numbers",
            Call::Tool {
                name: "execute_r_analysis".into(),
                arguments: json!({"r_code": expression, "description": "bench: a small expression"}),
            },
            Some((String::new(), expression.into())),
            false,
        ),
    ];
    if std::env::var_os("RMCP_BENCH_SKIP_MODERN").is_none() {
        for case in &mut cases {
            // `ping` is not part of 2026-07-28.
            case.modern_too = match &case.call {
                Call::Method { method, .. } => method == "tools/list",
                Call::Tool { name, .. } => matches!(
                    name.as_str(),
                    "summary_stats" | "linear_model" | "execute_r_analysis"
                ),
            };
        }
    }
    cases
}

/// This process's warm R, for timing each case's floor.
struct Floor<'a> {
    engine: &'a RHandle,
    runtime: &'a tokio::runtime::Runtime,
}

impl Floor<'_> {
    /// Times `case`'s R work back to back, and after 1 ms of idle R.
    fn time(&self, case: &mut Case) {
        let floor = self.timed(case, 2000, None);
        let after_idle = self.timed(case, 500, Some(Duration::from_millis(1)));
        case.floor = floor.map(|time| time.median);
        case.floor_mean = floor.map(|time| time.mean);
        case.floor_after_idle = after_idle.map(|time| time.median);
    }

    /// Times `case`'s R work back to back again, after its runs (see
    /// `Case::floor_mean_after`).
    fn time_again(&self, case: &mut Case) {
        case.floor_mean_after = self.timed(case, 2000, None).map(|time| time.mean);
    }

    /// Up to `calls` evaluations of `case`'s R work in about 2 s, each after
    /// `gap` of idle R when given; `None` for a case without R work.
    fn timed(&self, case: &Case, calls: usize, gap: Option<Duration>) -> Option<RTime> {
        let (setup, body) = case.floor_code.as_ref()?;
        let budget = Duration::from_secs(2);
        self.runtime
            .block_on(time_in_r(self.engine, setup, body, calls, budget, gap))
            .map_err(|error| eprintln!("{}: {error}", case.label))
            .ok()
    }
}

/// Cold starts, then one long-lived server: memory idle, every case at
/// concurrency 1 and 8, memory under load and idle again. With `floor`,
/// each case's R floor is timed just before its concurrency-1 run, so both
/// see the machine in the same state (this host's speed drifts by tens of
/// percent over minutes), and its back-to-back mean again right after its
/// concurrency-8 run. On this server, a case marked `modern_too` is run
/// again by 2026-07-28 clients right after each of its session runs.
fn measure(
    command: &ServerCommand,
    cases: &mut [Case],
    sizes: Sizes,
    side: Side,
    floor: Option<&Floor>,
) -> ServerReport {
    let limit = Duration::from_secs(60);
    let mut report = ServerReport::default();
    eprintln!("{}: {} cold starts", command.label, sizes.cold_starts);
    let first_tool = json!({"data": {"x": [1.5, 2.5, 3.5, 4.0]}});
    for _ in 0..sizes.cold_starts {
        match command.cold_start("summary_stats", &first_tool, limit) {
            Ok(times) => report.cold_starts.push(times),
            Err(error) => {
                return ServerReport::unavailable(format!("not available: {error}"));
            }
        }
    }
    let server = match command.start(limit) {
        Ok(server) => server,
        Err(error) => return ServerReport::unavailable(format!("not available: {error}")),
    };
    let memory = server.memory();
    report.idle_rss = Some(memory.rss);
    report.idle_pss = Some(memory.pss);
    let listed = load::mcp::Session::open(server.address, limit)
        .and_then(|mut session| session.request("tools/list", &json!({})));
    let listed: Vec<String> = listed
        .map(|result| {
            result["tools"]
                .as_array()
                .map(|tools| {
                    tools
                        .iter()
                        .filter_map(|tool| tool["name"].as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        })
        .unwrap_or_default();
    report.tools_listed = Some(listed.len());
    let pid = server.child.id();
    for case in cases.iter_mut() {
        if let Call::Tool { name, .. } = &case.call {
            if !listed.contains(name) {
                let outcome =
                    Outcome::Skipped(format!("not yet available (`{name}` is not listed)"));
                case.set(side, 1, outcome.clone());
                case.set(side, 8, outcome);
                continue;
            }
        }
        let (c1, c8) = match (&case.call, case.plot) {
            (Call::Method { .. }, _) => sizes.method,
            (_, true) => sizes.plot,
            _ => sizes.tool,
        };
        if let Some(floor) = floor {
            eprintln!("timing the R floor of {} in a warm R", case.label);
            floor.time(case);
        }
        if matches!(case.call, Call::Tool { .. }) {
            let sample = load::mcp::Session::open(server.address, limit)
                .and_then(|mut session| case.call.send(&mut session))
                .map(|mut result| result["structuredContent"].take())
                .map_err(|error| error.0);
            case.samples[usize::from(matches!(side, Side::Reference))] = Some(sample);
        }
        let modern = case.modern_too && side == Side::Ours;
        let eras: &[Era] = if modern {
            &[Era::Session, Era::Modern]
        } else {
            &[Era::Session]
        };
        for ((concurrency, calls), &era) in [(1, c1), (8, c8)]
            .into_iter()
            .flat_map(|run| eras.iter().map(move |era| (run, era)))
        {
            let modern = if era == Era::Modern {
                " (2026-07-28, stateless)"
            } else {
                ""
            };
            eprintln!(
                "{}: {}{modern} at concurrency {concurrency}",
                command.label, case.label
            );
            let warmup = match (side, &case.call) {
                (Side::Ours, Call::Method { .. }) => 50,
                (Side::Ours, _) => 5,
                (Side::Reference, Call::Method { .. }) => 5,
                (Side::Reference, _) => usize::from(concurrency == 1),
            };
            let budget = Budget {
                concurrency,
                calls,
                time: sizes.time,
                warmup,
            };
            let outcome = match run(server.address, pid, era, &case.call, budget) {
                Ok(measured) => {
                    report.peak_rss = report.peak_rss.max(measured.peak_rss);
                    report.peak_pss = report.peak_pss.max(measured.peak_pss);
                    Outcome::Measured(measured)
                }
                Err(error) => Outcome::Failed(error),
            };
            if let Outcome::Measured(Measured {
                errors,
                first_error,
                ..
            }) = &outcome
            {
                if *errors > 0 {
                    eprintln!("  {errors} calls failed, first: {first_error:?}");
                }
            }
            match era {
                Era::Session => case.set(side, concurrency, outcome),
                Era::Modern => case.modern[usize::from(concurrency != 1)] = Some(outcome),
            }
        }
        if let Some(floor) = floor {
            floor.time_again(case);
        }
    }
    std::thread::sleep(Duration::from_secs(1));
    let memory = server.memory();
    report.idle_rss_after = Some(memory.rss);
    report.idle_pss_after = Some(memory.pss);
    drop(server);
    report
}
