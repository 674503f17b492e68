//! `make bench`: the whole catalog next to the Python reference
//! (`rmcp==0.12.0`). Every case of `tests/catalog/*.json` (the fixtures
//! `tests/catalog_tools.rs` checks against R's own functions, exact
//! identities and bad input) goes to both servers over MCP Streamable HTTP
//! with the same arguments. Per tool: latency on both, their ratio, the
//! part of this server's latency its R thread spent (from its `/metrics`),
//! and whether the two answers agree, differ, or only one side answers; then
//! each case where they part, with the first places they differ or the
//! refusing side's message. Prints the tables and writes them to
//! `benches/results/catalog.md`.
//!
//! `mcp_http` measures a few calls under load; this one covers breadth, one
//! client at a time. The reference spawns R for every call (~1 s), so it
//! gets one call per case and this server [`WARM_UP`] then [`TIMED`] calls.
//! `RMCP_BENCH_QUICK=1` takes the first case of each tool only;
//! `RMCP_BENCH_SKIP_REFERENCE=1` leaves the reference out.

mod load;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use load::mcp::Session;
use load::process::{reference_command, Server, ServerCommand};
use load::report::{ms, times, Comparison};
use load::run::{percentile, r_busy};
use serde::Deserialize;
use serde_json::{json, Value};

/// Untimed calls per case on this server, then timed ones.
const WARM_UP: usize = 2;
const TIMED: usize = 5;

/// How long one call may take before the case counts as failed.
const CALL_LIMIT: Duration = Duration::from_secs(120);

/// Wall time the reference's calls may take in all; cases left when it is
/// spent are reported as not run.
const REFERENCE_BUDGET: Duration = Duration::from_secs(20 * 60);

/// One `tests/catalog/<tool>.json` file (its expectations are the tests'
/// business; only the arguments are sent here).
#[derive(Deserialize)]
struct Fixture {
    tool: String,
    cases: Vec<FixtureCase>,
}

#[derive(Deserialize)]
struct FixtureCase {
    name: String,
    args: Value,
}

/// What a server made of one case.
enum Answer {
    /// A result: its `structuredContent`.
    Result(Value),
    /// An `isError` result: its text.
    Refused(String),
    /// No result at all (HTTP, JSON-RPC or time failure), or not run.
    Failed(String),
}

/// One case as both servers answered it.
struct CaseRun {
    tool: String,
    name: String,
    args: Value,
    ours: Answer,
    /// Median of the timed calls.
    ours_time: Option<Duration>,
    /// The R thread's time per timed call (from the server's `/metrics`):
    /// R's work plus the conversion of arguments and result; none for a
    /// case refused before R.
    ours_r: Option<Duration>,
    theirs: Answer,
    theirs_time: Option<Duration>,
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let logs = root.join("target/bench");
    let _ = std::fs::create_dir_all(&logs);
    let quick = std::env::var_os("RMCP_BENCH_QUICK").is_some();
    let fixtures = match read_fixtures(&root.join("tests/catalog"), quick) {
        Ok(fixtures) => fixtures,
        Err(why) => {
            eprintln!("catalog bench: {why}");
            std::process::exit(1);
        }
    };
    let ours = ServerCommand::rmcp_server(logs.join("catalog-rmcp-server.log"));
    let mut runs: Vec<CaseRun> = fixtures
        .into_iter()
        .flat_map(|fixture| {
            let tool = fixture.tool;
            fixture.cases.into_iter().map(move |case| CaseRun {
                tool: tool.clone(),
                name: case.name,
                args: case.args,
                ours: Answer::Failed("not run".into()),
                ours_time: None,
                ours_r: None,
                theirs: Answer::Failed("not run".into()),
                theirs_time: None,
            })
        })
        .collect();

    if let Err(why) = run_ours(&ours, &mut runs) {
        eprintln!("catalog bench: rmcp-server did not start: {why}");
    }
    let reference_note = reference_command(&root, &logs)
        .and_then(|mut command| {
            command.log = logs.join("catalog-reference.log");
            run_reference(&command, &mut runs).map_err(|why| format!("did not start: {why}"))
        })
        .err();

    let text = render(&runs, reference_note.as_deref(), quick);
    println!("\n{text}");
    let path = root.join("benches/results/catalog.md");
    let _ = std::fs::create_dir_all(root.join("benches/results"));
    if let Err(error) = std::fs::write(&path, &text) {
        eprintln!("could not write {}: {error}", path.display());
    }
}

/// This server's answers and times: per case [`WARM_UP`] untimed calls,
/// then [`TIMED`] timed ones.
fn run_ours(command: &ServerCommand, runs: &mut [CaseRun]) -> Result<(), String> {
    let mut server = command.start(Duration::from_secs(60))?;
    let mut client = Client::new(&server);
    for run in runs.iter_mut() {
        // Two untimed calls: a tool's first call in a process loads its
        // packages, and R's JIT compiles the catalog's R functions before
        // their second use (tens of milliseconds, once).
        for _ in 0..WARM_UP {
            let _ = client.ask(&run.tool, &run.args);
        }
        let mut timed = Vec::with_capacity(TIMED);
        let mut answer = None;
        let before = r_busy(server.address);
        for _ in 0..TIMED {
            let (reply, time) = client.ask(&run.tool, &run.args);
            timed.extend(time);
            answer = Some(reply);
        }
        run.ours_r = match (before, r_busy(server.address)) {
            (Some((busy_before, jobs_before)), Some((busy, jobs))) if jobs > jobs_before => {
                Some(Duration::from_secs_f64(
                    (busy - busy_before).max(0.0) / (jobs - jobs_before) as f64,
                ))
            }
            _ => None,
        };
        run.ours_time = median(&timed);
        run.ours = answer.unwrap_or(Answer::Failed("not run".into()));
    }
    drop(client);
    server.stop();
    Ok(())
}

/// The reference's answers and times: one call per case, within
/// [`REFERENCE_BUDGET`].
fn run_reference(command: &ServerCommand, runs: &mut [CaseRun]) -> Result<(), String> {
    let mut server = command.start(Duration::from_secs(120))?;
    let mut client = Client::new(&server);
    let started = Instant::now();
    for (index, run) in runs.iter_mut().enumerate() {
        if started.elapsed() > REFERENCE_BUDGET {
            eprintln!("catalog bench: the reference's time budget ran out at case {index}");
            break;
        }
        let (reply, time) = client.ask(&run.tool, &run.args);
        run.theirs = reply;
        run.theirs_time = time;
    }
    drop(client);
    server.stop();
    Ok(())
}

/// The fixtures, sorted by tool; with `first_only`, each tool's first case.
fn read_fixtures(dir: &Path, first_only: bool) -> Result<Vec<Fixture>, String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|error| format!("cannot read {}: {error}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "json")
        })
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path)
                .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
            let mut fixture: Fixture = serde_json::from_str(&text)
                .map_err(|error| format!("{} is not a fixture: {error}", path.display()))?;
            if first_only {
                fixture.cases.truncate(1);
            }
            Ok(fixture)
        })
        .collect()
}

/// One MCP session with a server, opened again after a failed call (a
/// timed-out request leaves the connection unusable).
struct Client {
    address: std::net::SocketAddr,
    session: Option<Session>,
}

impl Client {
    fn new(server: &Server) -> Client {
        Client {
            address: server.address,
            session: None,
        }
    }

    /// Calls `tool` with `args`: the answer, and its time on the wire when
    /// the server answered.
    fn ask(&mut self, tool: &str, args: &Value) -> (Answer, Option<Duration>) {
        let mut session = match self.session.take() {
            Some(session) => session,
            None => match Session::open(self.address, CALL_LIMIT) {
                Ok(session) => session,
                Err(error) => return (Answer::Failed(format!("no session: {error}")), None),
            },
        };
        let reply = session.request("tools/call", &json!({"name": tool, "arguments": args}));
        let time = session.last_round_trip;
        match reply {
            Ok(result) => {
                self.session = Some(session);
                let answer = match result.get("structuredContent") {
                    _ if result["isError"] == true => Answer::Refused(first_text(&result)),
                    Some(content) if !content.is_null() => Answer::Result(content.clone()),
                    _ => Answer::Failed("a result without structuredContent".into()),
                };
                (answer, Some(time))
            }
            Err(error) => (Answer::Failed(error.0), None),
        }
    }
}

/// The first text block of a tool result.
fn first_text(result: &Value) -> String {
    result["content"]
        .as_array()
        .and_then(|blocks| blocks.iter().find_map(|block| block["text"].as_str()))
        .unwrap_or("")
        .to_string()
}

/// How the two answers to one case relate.
enum Verdict {
    Agree,
    Differ(Comparison),
    OnlyOurs,
    OnlyTheirs,
    BothRefuse,
    /// Either side failed outright or did not run.
    Missing,
}

fn verdict(run: &CaseRun) -> Verdict {
    match (&run.ours, &run.theirs) {
        (Answer::Result(ours), Answer::Result(theirs)) => {
            let comparison = Comparison::of(ours, theirs);
            if comparison.any_difference() {
                Verdict::Differ(comparison)
            } else {
                Verdict::Agree
            }
        }
        (Answer::Result(_), Answer::Refused(_)) => Verdict::OnlyOurs,
        (Answer::Refused(_), Answer::Result(_)) => Verdict::OnlyTheirs,
        (Answer::Refused(_), Answer::Refused(_)) => Verdict::BothRefuse,
        _ => Verdict::Missing,
    }
}

/// Per-tool counts of the verdicts, and latencies of the cases both
/// servers answered.
#[derive(Default)]
struct Tally {
    cases: usize,
    agree: usize,
    differ: usize,
    only_ours: usize,
    only_theirs: usize,
    both_refuse: usize,
    missing: usize,
    ours_times: Vec<Duration>,
    /// The R thread's time per call, for the cases in `ours_times` that
    /// reached R.
    ours_r_times: Vec<Duration>,
    theirs_times: Vec<Duration>,
}

impl Tally {
    /// Counts one case. Its latencies count when both servers answered it,
    /// or, when the reference did not run, when this server answered it.
    fn add(&mut self, run: &CaseRun, verdict: &Verdict, reference_ran: bool) {
        self.cases += 1;
        match verdict {
            Verdict::Agree => self.agree += 1,
            Verdict::Differ(_) => self.differ += 1,
            Verdict::OnlyOurs => self.only_ours += 1,
            Verdict::OnlyTheirs => self.only_theirs += 1,
            Verdict::BothRefuse => self.both_refuse += 1,
            Verdict::Missing => self.missing += 1,
        }
        let counted = if !reference_ran {
            matches!(run.ours, Answer::Result(_)) && run.ours_time.is_some()
        } else {
            matches!(verdict, Verdict::Agree | Verdict::Differ(_))
                && run.ours_time.is_some()
                && run.theirs_time.is_some()
        };
        if counted {
            self.ours_times.extend(run.ours_time);
            self.ours_r_times.extend(run.ours_r);
            self.theirs_times.extend(run.theirs_time);
        }
    }

    fn row(&self, label: &str, reference_note: Option<&str>) -> String {
        let ours = median(&self.ours_times);
        let theirs = median(&self.theirs_times);
        let (theirs_cell, ratio) = match (reference_note, ours, theirs) {
            (Some(note), _, _) => (note.to_string(), "–".to_string()),
            (None, Some(ours), Some(theirs)) => (
                ms(theirs),
                times(theirs.as_secs_f64() / ours.as_secs_f64().max(1e-9)),
            ),
            _ => ("–".into(), "–".into()),
        };
        format!(
            "| {label} | {} | {} | {} | {theirs_cell} | {ratio} | {} | {} | {} | {} | {} | {} |",
            self.cases,
            ours.map_or("–".into(), ms),
            median(&self.ours_r_times).map_or("–".into(), ms),
            self.agree,
            self.differ,
            self.only_ours,
            self.only_theirs,
            self.both_refuse,
            self.missing,
        )
    }
}

fn median(durations: &[Duration]) -> Option<Duration> {
    let mut sorted = durations.to_vec();
    sorted.sort();
    percentile(&sorted, 0.5)
}

/// At most `limit` characters of `text` on one line, for a table cell.
fn clip(text: &str, limit: usize) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut clipped: String = line.chars().take(limit).collect();
    if line.chars().count() > limit {
        clipped.push('…');
    }
    clipped.replace('|', "\\|")
}

fn render(runs: &[CaseRun], reference_note: Option<&str>, quick: bool) -> String {
    let verdicts: Vec<Verdict> = runs.iter().map(verdict).collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## The whole catalog: rmcp-server vs the Python reference, case by case\n"
    );
    let _ = writeln!(
        out,
        "One run, one machine ({} cores), loopback, one client at a time. The cases are \
         `tests/catalog/*.json`{}: the arguments `tests/catalog_tools.rs` runs through this \
         server's catalog, where it checks the answers against values from R's own functions \
         and exact identities, and bad input that must be refused. The same arguments go to \
         both servers as `tools/call` over Streamable HTTP. This server gets {WARM_UP} untimed \
         calls then {TIMED} timed ones per case (its time is their median); the reference, which \
         spawns R for every call, gets one. Latency is request written → whole response read. \
         The latency columns take the cases both servers answered (all the cases this server \
         answered when the reference did not run), their median per tool. \"Of which R's \
         thread\" is the time this server's R thread spent per timed call, from its own \
         `/metrics` (`rmcp_r_busy_seconds_total` over `rmcp_r_jobs_done_total`): R's work plus \
         the conversion of arguments and result; the rest of the latency is HTTP, MCP, JSON \
         and the hand-offs between threads.\n",
        std::thread::available_parallelism().map_or(0, usize::from),
        if quick {
            " (RMCP_BENCH_QUICK: the first case of each tool)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        out,
        "Answers are compared on their `structuredContent`, from the reference's side: its \
         numbers (equal within 1e-9 relative, or once rounded as the reference printed them, \
         to at least 2 decimals: it prints 92 for 91.99996), \
         its strings of up to 40 characters and its booleans, the kind of value at each place, \
         array lengths, and places the reference fills that this server leaves out. They \
         **agree** when none of these differ. A tool **refuses** a case when it answers with \
         `isError`.\n"
    );
    let _ = writeln!(out, "| tool | cases | rmcp-server p50 (ms) | of which R's thread (ms) | reference p50 (ms) | reference ÷ rmcp-server | agree | differ | only rmcp-server answers | only the reference answers | both refuse | not compared |");
    let _ = writeln!(
        out,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    let mut total = Tally::default();
    let mut tool_ratios = Vec::new();
    let mut start = 0;
    while start < runs.len() {
        let tool = &runs[start].tool;
        let end = runs[start..]
            .iter()
            .position(|run| &run.tool != tool)
            .map_or(runs.len(), |offset| start + offset);
        let mut tally = Tally::default();
        for (run, verdict) in runs[start..end].iter().zip(&verdicts[start..end]) {
            tally.add(run, verdict, reference_note.is_none());
            total.add(run, verdict, reference_note.is_none());
        }
        if let (Some(ours), Some(theirs)) = (median(&tally.ours_times), median(&tally.theirs_times))
        {
            tool_ratios.push(theirs.as_secs_f64() / ours.as_secs_f64().max(1e-9));
        }
        let _ = writeln!(out, "{}", tally.row(&format!("`{tool}`"), reference_note));
        start = end;
    }
    let _ = writeln!(out, "{}", total.row("**all**", reference_note));
    let _ = writeln!(out);
    if !tool_ratios.is_empty() {
        tool_ratios.sort_by(f64::total_cmp);
        let _ = writeln!(
            out,
            "Per tool, the reference took {:.0}× to {:.0}× as long as this server (median {:.0}×) \
             over {} tools with at least one case both answered.\n",
            tool_ratios[0],
            tool_ratios[tool_ratios.len() - 1],
            tool_ratios[tool_ratios.len() / 2],
            tool_ratios.len()
        );
    }

    let _ = writeln!(out, "### Where the answers part\n");
    let _ = writeln!(
        out,
        "Each case the two servers answer differently: the first places that differ \
         (this server's value first), or the refusing side's message.\n"
    );
    let _ = writeln!(out, "| tool | case | how |");
    let _ = writeln!(out, "|---|---|---|");
    for (run, verdict) in runs.iter().zip(&verdicts) {
        let how = match verdict {
            Verdict::Agree | Verdict::BothRefuse => continue,
            Verdict::Differ(comparison) => {
                let mut items: Vec<String> = Vec::new();
                items.extend(comparison.differ.iter().take(2).cloned());
                items.extend(comparison.strings_differ.iter().take(2).cloned());
                items.extend(comparison.shape.iter().take(2).cloned());
                items.extend(
                    comparison
                        .missing
                        .iter()
                        .take(2)
                        .map(|path| format!("{path} only in the reference")),
                );
                let shown = items.len().min(4);
                let more = comparison.differ.len()
                    + comparison.strings_differ.len()
                    + comparison.shape.len()
                    + comparison.missing.len()
                    - shown;
                let mut text = items[..shown].join("; ");
                if more > 0 {
                    let _ = write!(text, "; and {more} more");
                }
                clip(&text, 400)
            }
            Verdict::OnlyOurs => match &run.theirs {
                Answer::Refused(why) => format!("the reference refuses: {}", clip(why, 200)),
                _ => String::new(),
            },
            Verdict::OnlyTheirs => match &run.ours {
                Answer::Refused(why) => format!("rmcp-server refuses: {}", clip(why, 200)),
                _ => String::new(),
            },
            Verdict::Missing => {
                let side = |answer: &Answer| match answer {
                    Answer::Failed(why) => Some(clip(why, 160)),
                    _ => None,
                };
                match (side(&run.ours), side(&run.theirs), reference_note) {
                    (None, _, Some(_)) => continue,
                    (Some(why), _, _) => format!("rmcp-server: {why}"),
                    (None, Some(why), None) => format!("the reference: {why}"),
                    (None, None, None) => continue,
                }
            }
        };
        let _ = writeln!(out, "| `{}` | {} | {how} |", run.tool, clip(&run.name, 120));
    }
    let _ = writeln!(out);
    out
}
