//! `cargo bench --bench engines`: the catalog's engine pool
//! (`RMCP_R_ENGINES`), one `rmcp serve-http` with 1 engine next to one with
//! N (`RMCP_BENCH_ENGINES`, else the CPUs this process may use, 2 to 64), measured in one
//! run on one machine with the load generator of `benches/load/`.
//!
//! - **Head-of-line:** `summary_stats` latency (p50, p99, max) from one
//!   client while another client's `random_forest` of several seconds runs,
//!   on 1 engine, on N engines, and on the Python reference (`rmcp==0.12.0`,
//!   left out with `RMCP_BENCH_SKIP_REFERENCE`). Goal: max ≤ 100 ms with N.
//! - **Throughput:** `scatter_plot`, a mid-size `random_forest` and
//!   `summary_stats` from 2×N clients, calls/s on 1 and on N engines and
//!   their ratio. Goal on 2 cores: ≥ 1.7× for the plot and the forest; with
//!   16 engines on a many-core host, ≥ 12× for the plot.
//! - **Quick calls at concurrency 1:** `summary_stats` p50 on N engines
//!   within 5 % of 1 engine (engine 0, the in-process R, takes them).
//! - **Memory:** PSS of each engine process (`/proc/<pid>/smaps_rollup`,
//!   pids from `/health`), idle and after the load; the whole process tree's
//!   RSS and PSS idle with the default engine count.
//!
//! Prints a markdown table and writes it to `benches/results/engines.md`.
//! `RMCP_BENCH_QUICK=1` runs fewer rounds and calls.

mod load;

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use load::http::get_once;
use load::mcp::{Era, Session};
use load::process::{reference_command, Memory, Server, ServerCommand};
use load::report::{ms, times};
use load::run::{percentile, run, Budget, Call, Measured};
use serde_json::{json, Value};

/// How much to measure.
#[derive(Clone, Copy)]
struct Sizes {
    /// Long calls during which quick calls are timed.
    rounds: usize,
    /// Trees of the long forest (3,000 rows).
    long_trees: u32,
    /// Calls per throughput run: plot, forest, summary.
    throughput: (usize, usize, usize),
    throughput_time: Duration,
    /// Calls of the concurrency-1 run.
    quick: usize,
}

const FULL: Sizes = Sizes {
    rounds: 3,
    long_trees: 600,
    throughput: (80, 60, 3000),
    throughput_time: Duration::from_secs(25),
    quick: 1500,
};

const QUICK: Sizes = Sizes {
    rounds: 2,
    long_trees: 400,
    throughput: (32, 24, 600),
    throughput_time: Duration::from_secs(12),
    quick: 400,
};

fn sizes() -> Sizes {
    if std::env::var_os("RMCP_BENCH_QUICK").is_some() {
        QUICK
    } else {
        FULL
    }
}

/// Engines of the pooled server: `RMCP_BENCH_ENGINES`, else the CPUs this
/// process may use (at least 2, at most 64, the server's own limit; on a
/// 16-core host 16 engines, the setting of the ≥ 12× goal for plots).
fn engine_count() -> usize {
    std::env::var("RMCP_BENCH_ENGINES")
        .ok()
        .and_then(|value| value.trim().parse::<usize>().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .clamp(2, 64)
}

/// The throughput goal for plots with `n` engines: ≥ 12× with 16 or more
/// engines (a many-core host), else ≥ 1.7× (the 2-core goal, a floor
/// between).
fn plot_goal(n: usize) -> f64 {
    if n >= 16 {
        12.0
    } else {
        1.7
    }
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let logs = root.join("target/bench");
    let _ = std::fs::create_dir_all(&logs);
    let sizes = sizes();
    let n = engine_count();
    let limit = Duration::from_secs(180);

    let one = engines_command(&logs, Some(1));
    let many = engines_command(&logs, Some(n));
    let one = start_ready(&one, limit, 1);
    let many = start_ready(&many, limit, n);
    let idle_engines = engine_pss(many.address);

    let mut text = String::new();
    let _ = writeln!(
        text,
        "## Parallel R engines (`RMCP_R_ENGINES`): 1 engine vs N = {n}\n\n\
         One run, one machine ({}; {}; load average {} at the start), loopback, `rmcp serve-http --rate-limit 0 \
         --r-engines 1` and `--r-engines {n}` side by side, each case measured on 1 engine \
         and then on {n} while the other server idles, with the load generator of \
         `benches/load/` (one keep-alive connection and MCP session per client; latency \
         client-side, request written → whole response read, in ms).{}\n",
        machine(),
        r_version(one.address),
        load_average(),
        if std::env::var_os("RMCP_BENCH_QUICK").is_some() {
            " Quick mode (`RMCP_BENCH_QUICK=1`): fewer rounds and calls."
        } else {
            ""
        }
    );

    // Head-of-line.
    let long = long_forest(sizes.long_trees);
    let quick = Call::Tool {
        name: "summary_stats".into(),
        arguments: json!({"data": mtcars_mpg()}),
    };
    let _ = writeln!(
        text,
        "### Quick calls during a long call\n\n\
         One client sends `random_forest` (3,000 rows, {} trees; {} rounds); meanwhile \
         another client sends `summary_stats` (32 numbers) back to back, starting once \
         the forest runs and stopping at 90 % of the forest's own time alone on that \
         server. Goal: max ≤ 100 ms with {n} engines.\n\n\
         | server | forest alone (s) | quick calls | p50 | p99 | max | forest during (s) |\n\
         |---|---:|---:|---:|---:|---:|---:|",
        sizes.long_trees, sizes.rounds
    );
    let mut hol_max = None;
    for (label, server) in [
        ("rmcp-server, 1 engine".to_string(), &one),
        (format!("rmcp-server, {n} engines"), &many),
    ] {
        let row = head_of_line(server, &long, &quick, sizes.rounds, true);
        if server.address == many.address {
            hol_max = row.as_ref().ok().and_then(|r| r.latencies.last().copied());
        }
        let _ = writeln!(text, "{}", hol_row(&label, &row));
    }
    let reference_row = match reference_command(&root, &logs) {
        Ok(command) => match command.start(limit) {
            Ok(server) => {
                let row = head_of_line(&server, &long, &quick, 1, false);
                drop(server);
                row
            }
            Err(why) => Err(why),
        },
        Err(why) => Err(why),
    };
    let _ = writeln!(
        text,
        "{}",
        hol_row("Python rmcp 0.12.0 (1 round)", &reference_row)
    );
    let _ = writeln!(
        text,
        "\nGoal max ≤ 100 ms with {n} engines: {}.\n",
        match hol_max {
            Some(max) if max <= Duration::from_millis(100) => format!("**met** ({} ms)", ms(max)),
            Some(max) => format!("**not met** ({} ms)", ms(max)),
            None => "not measured".into(),
        }
    );

    // Throughput.
    let clients = 2 * n;
    let _ = writeln!(
        text,
        "### Throughput, {clients} clients\n\n\
         Closed loop: {clients} clients, one call after another (1 warm-up call each), \
         up to a call count or {} s. Goal on 2 cores: ≥ 1.7× for the plot and the forest; \
         with 16 engines on a many-core host: ≥ 12× for the plot.\n\n\
         The machine's CPUs busy (all processes, `/proc/stat`) during each run, and how \
         the {n}-engine server's calls split over its engines (`/health`), show whether \
         spare CPU was there for a second engine to use.\n\n\
         | call | 1 engine calls/s | p50 | CPUs busy | {n} engines calls/s | p50 | CPUs busy | calls per engine | ratio | goal |\n\
         |---|---:|---:|---:|---:|---:|---:|---|---:|---|",
        sizes.throughput_time.as_secs()
    );
    let (plots, forests, summaries) = sizes.throughput;
    let cases = [
        (
            "`scatter_plot` 640×480 PNG (mtcars)",
            Call::Tool {
                name: "scatter_plot".into(),
                arguments: json!({"data": mtcars_xy(), "x": "wt", "y": "mpg", "width": 640, "height": 480}),
            },
            plots,
            Some(plot_goal(n)),
        ),
        (
            "`random_forest` (600 rows, 100 trees)",
            Call::Tool {
                name: "random_forest".into(),
                arguments: forest_arguments(600, 100),
            },
            forests,
            Some(1.7),
        ),
        (
            "`summary_stats` (32 numbers)",
            quick.clone(),
            summaries,
            None,
        ),
    ];
    for (label, call, calls, goal) in cases {
        let budget = Budget {
            concurrency: clients,
            calls,
            time: sizes.throughput_time,
            warmup: 1,
        };
        let cpu = cpu_ticks();
        let single = run(one.address, one.child.id(), Era::Session, &call, budget);
        let single_busy = busy_share(cpu, cpu_ticks());
        let jobs = engine_jobs(many.address);
        let cpu = cpu_ticks();
        let pooled = run(many.address, many.child.id(), Era::Session, &call, budget);
        let pooled_busy = busy_share(cpu, cpu_ticks());
        let split: Vec<String> = engine_jobs(many.address)
            .iter()
            .zip(jobs.iter().chain(std::iter::repeat(&0)))
            .map(|(after, before)| (after - before).to_string())
            .collect();
        let _ = writeln!(
            text,
            "{}",
            throughput_row(
                label,
                (&single, single_busy),
                (&pooled, pooled_busy),
                &split.join(" / "),
                goal
            )
        );
    }

    // Quick calls at concurrency 1.
    let budget = Budget {
        concurrency: 1,
        calls: sizes.quick,
        time: Duration::from_secs(30),
        warmup: 20,
    };
    let single = run(one.address, one.child.id(), Era::Session, &quick, budget);
    let pooled = run(many.address, many.child.id(), Era::Session, &quick, budget);
    let p50 = |m: &Result<Measured, String>| m.as_ref().ok().and_then(|m| m.percentile(0.5));
    let _ = writeln!(
        text,
        "\n### Quick calls at concurrency 1\n\n\
         `summary_stats` (32 numbers), one client, {} calls after 20 warm-up calls. \
         Goal: p50 on {n} engines within 5 % of 1 engine.\n\n\
         | engines | p50 | p99 | calls/s |\n|---|---:|---:|---:|",
        sizes.quick
    );
    for (label, measured) in [("1", &single), (&n.to_string() as &str, &pooled)] {
        let _ = match measured {
            Ok(m) => writeln!(
                text,
                "| {label} | {} | {} | {:.0} |",
                m.percentile(0.5).map_or("–".into(), ms),
                m.percentile(0.99).map_or("–".into(), ms),
                m.throughput()
            ),
            Err(why) => writeln!(text, "| {label} | {why} | | |"),
        };
    }
    let _ = writeln!(
        text,
        "\nGoal within 5 %: {}.\n",
        match (p50(&single), p50(&pooled)) {
            (Some(a), Some(b)) => {
                let change = b.as_secs_f64() / a.as_secs_f64() - 1.0;
                format!(
                    "{} ({:+.1} %)",
                    if change <= 0.05 {
                        "**met**"
                    } else {
                        "**not met**"
                    },
                    change * 100.0
                )
            }
            _ => "not measured".into(),
        }
    );

    // Memory.
    let loaded_engines = engine_pss(many.address);
    drop(one);
    drop(many);
    let default = engines_command(&logs, None);
    let default = start_ready(&default, limit, 0);
    let default_engines = engine_pss(default.address);
    let tree = default.memory();
    let server_alone = tree_memory_of_process(default.child.id());
    drop(default);
    let mean = |pss: &[u64]| (!pss.is_empty()).then(|| pss.iter().sum::<u64>() / pss.len() as u64);
    let _ = writeln!(
        text,
        "### Memory\n\n\
         PSS (`Pss` of `/proc/<pid>/smaps_rollup`) of each engine process (engines 1..N-1, \
         pids from `/health`), on the {n}-engine server idle after start-up and again after \
         the load above; and the whole process tree (server, engine processes, the warm \
         free-form workers) idle with the default engine count ({} engines here).\n\n\
         | what | PSS | RSS |\n|---|---:|---:|\n\
         | one engine process, idle after start-up (mean of {}) | {} | |\n\
         | one engine process, after the load (mean of {}) | {} | |\n\
         | default count: the server process alone, idle | {} | {} |\n\
         | default count: the whole tree, idle ({} engine processes) | {} | {} |\n",
        default_engines.len() + 1,
        idle_engines.len(),
        mean(&idle_engines).map_or("–".into(), mib),
        loaded_engines.len(),
        mean(&loaded_engines).map_or("–".into(), mib),
        mib(server_alone.pss),
        mib(server_alone.rss),
        default_engines.len(),
        mib(tree.pss),
        mib(tree.rss),
    );
    let _ = writeln!(
        text,
        "Load average {} at the end. Timings on a shared, noisy machine (other builds, \
         tests and benches may run beside this one, and then take the CPUs the engines \
         would use): treat ratios within ±10 % as equal, and throughput ratios as a floor.",
        load_average()
    );

    println!("\n{text}");
    let path = root.join("benches/results/engines.md");
    let _ = std::fs::create_dir_all(root.join("benches/results"));
    if let Err(error) = std::fs::write(&path, &text) {
        eprintln!("could not write {}: {error}", path.display());
    }
}

/// `rmcp serve-http` with `engines` engines (`None`: the default count).
fn engines_command(logs: &Path, engines: Option<usize>) -> ServerCommand {
    let name = engines.map_or("default".to_string(), |n| n.to_string());
    let mut command = ServerCommand::rmcp_server(logs.join(format!("engines-{name}.log")));
    if let Some(engines) = engines {
        command.args.push("--r-engines".into());
        command.args.push(engines.to_string());
    }
    command
}

/// The server's `/health`.
fn health(address: SocketAddr) -> Option<Value> {
    let response = get_once(address, "/health", Duration::from_secs(10)).ok()?;
    serde_json::from_slice(&response.body).ok()
}

/// Starts `command` and waits (bounded) until its engines are all idle
/// (`expected` of them; 0: whatever count it chose).
fn start_ready(command: &ServerCommand, limit: Duration, expected: usize) -> Server {
    let server = command.start(limit).unwrap_or_else(|why| panic!("{why}"));
    let deadline = Instant::now() + limit;
    loop {
        let engines = health(server.address)
            .and_then(|health| health["engines"]["engines"].as_array().cloned())
            .unwrap_or_default();
        if !engines.is_empty()
            && (expected == 0 || engines.len() == expected)
            && engines.iter().all(|engine| engine["state"] == "idle")
        {
            return server;
        }
        assert!(
            Instant::now() < deadline,
            "{}: engines not ready: {engines:?}",
            command.label
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// PSS of each engine process of the server at `address`, in bytes.
fn engine_pss(address: SocketAddr) -> Vec<u64> {
    health(address)
        .and_then(|health| health["engines"]["engines"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|engine| engine["pid"].as_u64())
        .map(|pid| tree_memory_of_process(pid as u32).pss)
        .collect()
}

/// Memory of one process (not its children).
fn tree_memory_of_process(pid: u32) -> Memory {
    let field = |file: &str, name: &str| {
        std::fs::read_to_string(format!("/proc/{pid}/{file}"))
            .ok()
            .and_then(|text| {
                text.lines()
                    .find_map(|line| line.strip_prefix(name))
                    .and_then(|value| value.split_whitespace().next()?.parse::<u64>().ok())
            })
            .map_or(0, |kib| kib * 1024)
    };
    Memory {
        rss: field("status", "VmRSS:"),
        pss: field("smaps_rollup", "Pss:"),
    }
}

/// Quick-call latencies during long calls on one server.
struct HeadOfLine {
    /// Sorted, all rounds together.
    latencies: Vec<Duration>,
    /// The forest alone, and (mean) while the quick calls ran.
    alone: Duration,
    during: Duration,
}

/// `rounds` times: the long call from one client, and quick calls from
/// another for 90 % of the long call's time alone. `ours`: wait for an
/// engine to be busy before starting the quick calls (the reference has no
/// such `/health`; it waits 300 ms).
fn head_of_line(
    server: &Server,
    long: &Call,
    quick: &Call,
    rounds: usize,
    ours: bool,
) -> Result<HeadOfLine, String> {
    let address = server.address;
    let timeout = Duration::from_secs(600);
    let mut session = Session::open(address, timeout).map_err(|e| format!("session: {e}"))?;
    let started = Instant::now();
    long.send(&mut session)
        .map_err(|e| format!("long call: {e}"))?;
    let alone = started.elapsed();
    let mut latencies = Vec::new();
    let mut during = Duration::ZERO;
    for _ in 0..rounds {
        let busy_before = if ours { busy_engines(address) } else { 0 };
        let long_call = long.clone();
        let runner = std::thread::spawn(move || {
            let started = Instant::now();
            long_call
                .send(&mut session)
                .map(|_| (started.elapsed(), session))
        });
        if ours {
            let deadline = Instant::now() + Duration::from_secs(30);
            while busy_engines(address) <= busy_before && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
        } else {
            std::thread::sleep(Duration::from_millis(300));
        }
        let budget = Budget {
            concurrency: 1,
            calls: 100_000,
            time: alone.mul_f64(0.9),
            warmup: 0,
        };
        let measured = run(address, server.child.id(), Era::Session, quick, budget)?;
        if let Some(error) = measured.first_error {
            return Err(format!("quick call: {error}"));
        }
        latencies.extend(measured.latencies);
        let (took, back) = runner
            .join()
            .map_err(|_| "the long call's thread panicked".to_string())?
            .map_err(|e| format!("long call: {e}"))?;
        session = back;
        during += took;
    }
    latencies.sort();
    Ok(HeadOfLine {
        latencies,
        alone,
        during: during / rounds.max(1) as u32,
    })
}

/// Engines of the server at `address` running a call now.
fn busy_engines(address: SocketAddr) -> usize {
    health(address)
        .and_then(|health| health["engines"]["engines"].as_array().cloned())
        .map_or(0, |engines| {
            engines.iter().filter(|e| e["state"] == "busy").count()
        })
}

fn hol_row(label: &str, row: &Result<HeadOfLine, String>) -> String {
    match row {
        Ok(row) if !row.latencies.is_empty() => format!(
            "| {label} | {:.2} | {} | {} | {} | {} | {:.2} |",
            row.alone.as_secs_f64(),
            row.latencies.len(),
            percentile(&row.latencies, 0.5).map_or("–".into(), ms),
            percentile(&row.latencies, 0.99).map_or("–".into(), ms),
            row.latencies.last().map_or("–".into(), |max| ms(*max)),
            row.during.as_secs_f64(),
        ),
        Ok(_) => format!("| {label} | | no quick call finished | | | | |"),
        Err(why) => format!("| {label} | {} | | | | | |", why.replace('|', "/")),
    }
}

/// Jiffies of the machine: (busy, total), from `/proc/stat`'s `cpu` line.
fn cpu_ticks() -> (u64, u64) {
    let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let fields: Vec<u64> = text
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .filter_map(|field| field.parse().ok())
        .collect();
    let total: u64 = fields.iter().take(8).sum();
    // idle and iowait.
    let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
    (total - idle, total)
}

/// The share of the machine's CPU time that was busy between two readings.
fn busy_share(before: (u64, u64), after: (u64, u64)) -> f64 {
    let total = after.1.saturating_sub(before.1).max(1);
    after.0.saturating_sub(before.0) as f64 / total as f64
}

/// Calls each engine of the server at `address` let go of so far.
fn engine_jobs(address: SocketAddr) -> Vec<u64> {
    health(address)
        .and_then(|health| health["engines"]["engines"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .map(|engine| engine["jobs"].as_u64().unwrap_or(0))
        .collect()
}

fn throughput_row(
    label: &str,
    (single, single_busy): (&Result<Measured, String>, f64),
    (pooled, pooled_busy): (&Result<Measured, String>, f64),
    split: &str,
    goal: Option<f64>,
) -> String {
    let cells = |m: &Result<Measured, String>| match m {
        Ok(m) if !m.latencies.is_empty() => {
            let failed = if m.errors > 0 {
                format!(" ({} failed)", m.errors)
            } else {
                String::new()
            };
            (
                Some(m.throughput()),
                format!(
                    "{:.1}{failed} | {}",
                    m.throughput(),
                    m.percentile(0.5).map_or("–".into(), ms)
                ),
            )
        }
        Ok(m) => (
            None,
            format!(
                "all failed: {} | ",
                m.first_error.as_deref().unwrap_or("?").replace('|', "/")
            ),
        ),
        Err(why) => (None, format!("{} | ", why.replace('|', "/"))),
    };
    let (a, single) = cells(single);
    let (b, pooled) = cells(pooled);
    let ratio = a.zip(b).map(|(a, b)| b / a.max(1e-9));
    let verdict = match (goal, ratio) {
        (Some(goal), Some(ratio)) if ratio >= goal => format!("≥ {goal}×: **met**"),
        (Some(goal), Some(_)) => format!("≥ {goal}×: **not met**"),
        _ => "–".into(),
    };
    format!(
        "| {label} | {single} | {:.0} % | {pooled} | {:.0} % | {split} | {} | {verdict} |",
        single_busy * 100.0,
        pooled_busy * 100.0,
        ratio.map_or("–".into(), times)
    )
}

fn mib(bytes: u64) -> String {
    format!("{:.0} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_default();
    format!("{cpus} CPUs, {model}")
}

/// `/proc/loadavg`'s 1-, 5- and 15-minute averages.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "?".into())
}

fn r_version(address: SocketAddr) -> String {
    health(address)
        .and_then(|health| health["r"]["r_version"].as_str().map(String::from))
        .unwrap_or_else(|| "?".into())
}

/// mtcars' mpg (R: mean 20.09062).
fn mtcars_mpg() -> Value {
    json!({"mpg": [
        21.0, 21.0, 22.8, 21.4, 18.7, 18.1, 14.3, 24.4, 22.8, 19.2, 17.8, 16.4, 17.3, 15.2, 10.4,
        10.4, 14.7, 32.4, 30.4, 33.9, 21.5, 15.5, 15.2, 13.3, 19.2, 27.3, 26.0, 30.4, 15.8, 19.7,
        15.0, 21.4]})
}

/// mtcars' wt and mpg.
fn mtcars_xy() -> Value {
    let mut data = mtcars_mpg();
    data["wt"] = json!([
        2.62, 2.875, 2.32, 3.215, 3.44, 3.46, 3.57, 3.19, 3.15, 3.44, 3.44, 4.07, 3.73, 3.78, 5.25,
        5.424, 5.345, 2.2, 1.615, 1.835, 2.465, 3.52, 3.435, 3.84, 3.845, 1.935, 2.14, 1.513, 3.17,
        2.77, 3.57, 2.78
    ]);
    data
}

/// A deterministic regression forest's arguments: `rows` rows, `trees`.
fn forest_arguments(rows: u32, trees: u32) -> Value {
    let x1: Vec<f64> = (1..=rows).map(|i| f64::from(i).sin()).collect();
    let x2: Vec<f64> = (1..=rows).map(|i| (f64::from(i) * 0.7).cos()).collect();
    let x3: Vec<f64> = (1..=rows).map(|i| f64::from(i % 13) / 13.0).collect();
    let y: Vec<f64> = (0..rows as usize)
        .map(|k| x1[k] + 2.0 * x2[k] + (k % 7) as f64 / 10.0)
        .collect();
    json!({
        "data": {"x1": x1, "x2": x2, "x3": x3, "y": y},
        "formula": "y ~ x1 + x2 + x3",
        "n_trees": trees,
    })
}

/// The long call: a forest of 3,000 rows and `trees` trees.
fn long_forest(trees: u32) -> Call {
    Call::Tool {
        name: "random_forest".into(),
        arguments: forest_arguments(3000, trees),
    }
}
