//! `make bench`: the embedded engine's latency, next to R's own compute time
//! for the same expressions and to one `Rscript` spawn.
//!
//! Prints a markdown table and writes it to `benches/results/engine.md`.
//! Target: channel + conversion overhead ≤ 50 µs p50 over R's own compute.
//! A second table times the tools' number formatting (`rmcp_fmt`, C's
//! `snprintf` per number in `src/r/format.rs`) against R's `sprintf` on a
//! whole result table of 4,000 doubles of mixed magnitudes.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use rmcp_server::r::{EngineConfig, Job, RHandle};
use serde_json::json;

/// The allocator the `rmcp` binary uses.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CALLS: usize = 2000;
const WARMUP: usize = 100;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Round trips of `make_job()` through the engine: p50 and p99.
async fn round_trips(engine: &RHandle, make_job: impl Fn() -> Job) -> (Duration, Duration) {
    for _ in 0..WARMUP {
        engine.eval(make_job()).await.expect("warm-up job runs");
    }
    let mut times = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let started = Instant::now();
        engine.eval(make_job()).await.expect("job runs");
        times.push(started.elapsed());
    }
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.99))
}

/// R's own time for `expr` after `setup` (median of per-iteration timings,
/// inside R).
async fn r_compute(engine: &RHandle, setup: &str, expr: &str) -> Duration {
    let code = format!(
        "{setup}\nf <- function() {expr}; for (i in 1:{WARMUP}) f(); \
         t <- numeric({CALLS}); for (i in seq_along(t)) {{ s <- proc.time()[[3]]; \
         t0 <- Sys.time(); f(); t[i] <- as.numeric(Sys.time() - t0) }}; median(t)"
    );
    let reply = engine.eval(Job::eval(code)).await.expect("timing runs");
    Duration::from_secs_f64(reply.value.as_f64().unwrap_or(f64::NAN))
}

fn rscript_spawn(expr: &str) -> Option<Duration> {
    let mut times = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let status = std::process::Command::new("Rscript")
            .args(["--vanilla", "-e", expr])
            .stdout(std::process::Stdio::null())
            .status()
            .ok()?;
        if !status.success() {
            return None;
        }
        times.push(started.elapsed());
    }
    times.sort();
    Some(times[times.len() / 2])
}

/// Numbers in the formatting case.
const FORMATTED: usize = 4000;

/// R's own time to format a result table's numbers, with `rmcp_fmt` and with
/// `sprintf`: estimates, standard errors, t values, p values down to 1e-30,
/// counts.
async fn number_formatting(engine: &RHandle) -> Vec<(&'static str, Duration)> {
    let setup = format!(
        "set.seed(1); n <- {FORMATTED} / 5; \
         x <- c(rnorm(n, 0, 50), runif(n, 0, 3), rnorm(n, 0, 5), runif(n)^8, round(runif(n, 0, 1e4), 1))"
    );
    let mut rows = Vec::new();
    for (label, expr) in [
        ("`rmcp_fmt(x, 4L)`", "rmcp_fmt(x, 4L)"),
        ("`sprintf(\"%.4g\", x)`", "sprintf(\"%.4g\", x)"),
    ] {
        rows.push((label, r_compute(engine, &setup, expr).await));
    }
    rows
}

fn main() {
    let engine = RHandle::start(EngineConfig::default()).expect("R starts");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    if let Some(profile) = std::env::var_os("RMCP_BENCH_PROFILE") {
        // A fixed workload for `valgrind --tool=callgrind`: R-side echo calls,
        // or (`RMCP_BENCH_PROFILE=summary_stats`) the catalog job below.
        runtime.block_on(async {
            let mtcars = engine
                .eval(Job::eval("mtcars"))
                .await
                .expect("mtcars")
                .value;
            let request =
                json!({"tool": "tool_summary_stats", "formulas": [], "args": {"data": mtcars}});
            for _ in 0..2000 {
                let job = if profile == "summary_stats" {
                    Job::call("rmcp_run_tool", request.clone()).with_tables(["args.data"])
                } else {
                    Job::call("rmcp_engine_echo", json!({"x": [1, 2, 3]}))
                };
                engine.eval(job).await.expect("job runs");
            }
        });
        return;
    }
    let lm = "coef(lm(mpg ~ wt, mtcars))";
    let rows = runtime.block_on(async {
        let mut rows = Vec::new();
        for (label, expr) in [("`1+1`", "1+1"), ("`coef(lm(mpg ~ wt, mtcars))`", lm)] {
            let (p50, p99) = round_trips(&engine, || Job::eval(expr)).await;
            let r = r_compute(&engine, "", expr).await;
            rows.push((format!("eval {label}"), p50, p99, Some(r)));
        }
        let (p50, p99) = round_trips(&engine, || {
            Job::call("rmcp_engine_echo", json!({"x": [1, 2, 3]}))
        })
        .await;
        rows.push((
            "call R-side function (echo 3 numbers)".to_string(),
            p50,
            p99,
            Some(Duration::ZERO),
        ));
        // A catalog tool as the server runs it: mtcars as a JSON column table
        // in, converted to a data.frame, the tool's result converted back.
        let mtcars = engine
            .eval(Job::eval("mtcars"))
            .await
            .expect("mtcars")
            .value;
        let request = json!({"tool": "tool_summary_stats", "formulas": [], "args": {"data": mtcars}});
        let (p50, p99) = round_trips(&engine, || {
            Job::call("rmcp_run_tool", request.clone()).with_tables(["args.data"])
        })
        .await;
        let setup = "request <- list(tool = \"tool_summary_stats\", formulas = NULL, args = list(data = mtcars))";
        let r = r_compute(&engine, setup, "rmcp_run_tool(request)").await;
        rows.push((
            "catalog job `summary_stats` on mtcars (JSON table in, result out)".to_string(),
            p50,
            p99,
            Some(r),
        ));
        rows
    });
    let mut table = String::new();
    let _ = writeln!(table, "| case | round trip p50 (µs) | p99 (µs) | R compute p50 (µs) | overhead p50 (µs) | target |");
    let _ = writeln!(table, "|---|---:|---:|---:|---:|---|");
    for (label, p50, p99, r) in &rows {
        let r = r.unwrap_or_default();
        let overhead = micros(*p50) - micros(r);
        let verdict = if overhead <= 50.0 {
            "≤ 50 µs: met"
        } else {
            "≤ 50 µs: MISSED"
        };
        let _ = writeln!(
            table,
            "| {label} | {:.1} | {:.1} | {:.1} | {:.1} | {verdict} |",
            micros(*p50),
            micros(*p99),
            micros(r),
            overhead
        );
    }
    match rscript_spawn(&format!("invisible({lm})")) {
        Some(spawn) => {
            let lm_p50 = rows.get(1).map_or(Duration::ZERO, |row| row.1);
            let _ = writeln!(
                table,
                "| `Rscript --vanilla -e` spawn of the lm job (median of 5) | {:.0} | | | | embedded is {:.0}× faster |",
                micros(spawn),
                spawn.as_secs_f64() / lm_p50.as_secs_f64().max(1e-9)
            );
        }
        None => {
            let _ = writeln!(table, "| `Rscript` spawn | not available | | | | |");
        }
    }
    let formatting = runtime.block_on(number_formatting(&engine));
    let _ = writeln!(
        table,
        "\n| formatting 4,000 numbers as `%.4g` (R thread) | p50 (µs) | per number (ns) |"
    );
    let _ = writeln!(table, "|---|---:|---:|");
    for (label, time) in formatting {
        let _ = writeln!(
            table,
            "| {label} | {:.1} | {:.0} |",
            micros(time),
            time.as_secs_f64() * 1e9 / FORMATTED as f64
        );
    }
    println!("\n{table}");
    let _ = std::fs::create_dir_all("benches/results");
    if let Err(error) = std::fs::write("benches/results/engine.md", &table) {
        eprintln!("could not write benches/results/engine.md: {error}");
    }
    engine.shutdown(Duration::from_secs(5));
}
