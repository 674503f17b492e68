//! Soak: sixteen MCP sessions hammer one real server (the catalog on a pool
//! of two R engines, the embedded R and an `rmcp engine` process; free-form
//! R on sandboxed workers) with a few thousand mixed
//! calls and a few percent of faults: malformed JSON, schema-violating
//! arguments, R failures, unknown tools, oversized bodies, cancellations of
//! calls in flight, clients that drop an event stream after its first bytes,
//! and free-form R past its time limit. Every well-formed call must get the
//! right answer for its own session's data; afterwards the server is healthy,
//! its memory (and the engine process's) has not run away, both engines
//! served calls, and `/metrics` counts exactly what was sent.

mod support {
    pub mod client;
    pub mod engine;
    pub mod server;
    pub mod workers;
}

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmcp_server::engines::{EnginePool, EngineState};
use serde_json::{json, Value};
use support::client::{answer_messages, sse_messages};
use support::engine;
use support::server::{settings, TestServer};
use support::workers;

/// Concurrent MCP sessions, each its own tokio task and HTTP client.
const SESSIONS: usize = 16;
/// The first sessions also keep a variable in their own free-form R
/// workspace (one sandboxed R process each), checked throughout.
const WORKER_SESSIONS: usize = 4;
/// Operations per session before the first memory reading (warm-up).
const WARMUP_OPS: usize = 16;
/// Operations per session in the soak proper (16 × 180 = 2880 calls).
const SOAK_OPS: usize = 180;
/// Each phase stops early past this, so a slow machine cannot hang CI; the
/// test then still checks everything that ran, and that most of it ran.
/// (A phase takes 4 to 10 s in a debug build on two cores.)
const PHASE_DEADLINE: Duration = Duration::from_secs(75);
/// Body limit of the soak server; the oversized fault sends more.
const MAX_BODY: u64 = 64 * 1024;
/// What this process (server, in-process R, clients) may grow between the
/// end of the warm-up and the end of the soak proper. Measured: 2 to 3 MiB
/// (R's heap settling, allocator arenas, finished event streams kept for
/// resumption: at most 64 a session). The bound leaves about eight times that, and a
/// leak of 9 KiB per call (about a request body and its reply) crosses it.
const RSS_GROWTH_BOUND_KIB: i64 = 24 * 1024;
/// R engines serving the catalog: the in-process R and one engine process.
const ENGINES: usize = 2;

const BOTH: &str = "application/json, text/event-stream";
/// A client that takes only event streams: every answer comes on one, even a
/// quick one the server would otherwise send as a plain JSON body.
const STREAM_ONLY: &str = "text/event-stream";

/// The soak server: the server as shipped (catalog plus free-form R, no
/// conformance fixtures) with a small body limit.
struct Server {
    http: TestServer,
    /// Where the workers' private folders live; removed at the end.
    workers_dir: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.http.begin_shutdown();
        self.http.server.shutdown_workers();
        let _ = std::fs::remove_dir_all(&self.workers_dir);
    }
}

async fn start_server() -> Server {
    let mut workers = workers::test_config("soak");
    workers.max_workers = WORKER_SESSIONS + 2;
    workers.engines = ENGINES;
    let workers_dir = workers.base_dir.clone();
    let server = rmcp_server::server::Server::builder(settings(workers))
        .engine(engine::engine())
        .build()
        .expect("server builds");
    let http = TestServer::serve(server, |config| config.max_body_bytes = MAX_BODY).await;
    let server = Server { http, workers_dir };
    // Bounded: the engine process starts its own R, on a loaded machine.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let health = server.pool().health();
        if health.engines.len() == ENGINES
            && health
                .engines
                .iter()
                .all(|engine| engine.state == EngineState::Idle)
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the engines never became ready: {health:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server
}

impl Server {
    fn pool(&self) -> &EnginePool {
        self.http
            .server
            .engines
            .as_ref()
            .expect("the catalog's engines")
    }

    /// The engine process's resident set, in KiB.
    fn engine_rss_kib(&self) -> i64 {
        let pid = self.pool().health().engines[1].pid.expect("engine 1's pid");
        rss_kib_of(&format!("/proc/{pid}/status"))
    }
}

/// A fixture case of `tests/catalog/<tool>.json` whose name contains `name`.
fn fixture_case(tool: &str, name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/catalog")
        .join(format!("{tool}.json"));
    let fixture: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("JSON");
    fixture["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|case| case["name"].as_str().is_some_and(|n| n.contains(name)))
        .unwrap_or_else(|| panic!("{tool} has a case named like {name:?}"))
        .clone()
}

/// Numbers within `tolerance` (or 1e-9 relative), arrays element-wise.
fn close(actual: &Value, expected: &Value, tolerance: f64) -> bool {
    match (actual, expected) {
        (Value::Number(a), Value::Number(e)) => {
            let (a, e) = (
                a.as_f64().unwrap_or(f64::NAN),
                e.as_f64().unwrap_or(f64::NAN),
            );
            (a - e).abs() <= tolerance.max(e.abs() * 1e-9)
        }
        (Value::Array(a), Value::Array(e)) => {
            a.len() == e.len() && a.iter().zip(e).all(|(a, e)| close(a, e, tolerance))
        }
        (a, e) => a == e,
    }
}

/// Checks a tool result against a fixture case's `expect` pointers.
fn check_fixture(result: &Value, case: &Value) -> Result<(), String> {
    if result["isError"] != json!(false) {
        return Err(format!("{}: not a success: {result}", case["name"]));
    }
    let tolerance = case["tolerance"].as_f64().unwrap_or(1e-6);
    let content = &result["structuredContent"];
    for (pointer, expected) in case["expect"].as_object().expect("expect") {
        let actual = content.pointer(pointer).unwrap_or(&Value::Null);
        if !close(actual, expected, tolerance) {
            return Err(format!(
                "{}: {pointer} is {actual}, expected {expected}",
                case["name"]
            ));
        }
    }
    Ok(())
}

/// The fixtures every session checks now and then (R's own numbers).
struct Fixtures {
    mtcars_lm: Value,
    mtcars_summary: Value,
}

fn fixtures() -> Fixtures {
    let mtcars_lm = fixture_case("linear_model", "mtcars mpg ~ wt");
    let mtcars_summary = fixture_case("summary_stats", "mtcars");
    // The headline numbers, so a fixture edit cannot quietly weaken the soak.
    assert!(close(
        &mtcars_lm["expect"]["/coefficients/wt"],
        &json!(-5.344),
        1e-3
    ));
    assert!(close(
        &mtcars_summary["expect"]["/statistics/mpg/mean"],
        &json!(20.09062),
        1e-5
    ));
    Fixtures {
        mtcars_lm,
        mtcars_summary,
    }
}

/// A small deterministic generator (xorshift), one per session.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// `y = intercept + slope·x + e` on x = 1..8, where the noise e sums to
/// zero and is orthogonal to x: lm gives exactly this intercept and slope
/// (and R² < 1, so no perfect-fit warning).
fn line_data(intercept: f64, slope: f64) -> Value {
    let noise = [1.0, -1.0, -1.0, 1.0, 1.0, -1.0, -1.0, 1.0];
    let x: Vec<f64> = (1..=8).map(f64::from).collect();
    let y: Vec<f64> = x
        .iter()
        .zip(noise)
        .map(|(x, e)| intercept + slope * x + 0.25 * e)
        .collect();
    json!({"x": x, "y": y})
}

/// What a session's operation was about, for its expected answer.
enum Expect {
    Line { intercept: f64, slope: f64 },
    Mean { column: String, mean: f64 },
    Fixture(Value),
}

fn check(result: &Value, expect: &Expect) -> Result<(), String> {
    match expect {
        Expect::Line { intercept, slope } => {
            let coefficients = &result["structuredContent"]["coefficients"];
            let ok = result["isError"] == json!(false)
                && close(&coefficients["x"], &json!(slope), 1e-9)
                && close(&coefficients["(Intercept)"], &json!(intercept), 1e-9)
                && result["structuredContent"]["n_obs"] == json!(8);
            ok.then_some(()).ok_or_else(|| {
                format!("lm expected intercept {intercept} slope {slope}, got {result}")
            })
        }
        Expect::Mean { column, mean } => {
            let statistics = &result["structuredContent"]["statistics"];
            let ok = result["isError"] == json!(false)
                && close(&statistics[column]["mean"], &json!(mean), 1e-9)
                && statistics[column]["n"] == json!(5)
                && statistics.as_object().is_some_and(|s| s.len() == 1);
            ok.then_some(())
                .ok_or_else(|| format!("summary of {column} expected mean {mean}, got {result}"))
        }
        Expect::Fixture(case) => check_fixture(result, case),
    }
}

/// What one session did and saw; merged across sessions for the metrics.
#[derive(Default, Debug)]
struct Tally {
    /// `(tool, outcome)` → finished tool calls that should be counted.
    tool_calls: BTreeMap<(String, String), u64>,
    /// tools/call requests answered with a JSON-RPC error (unknown tool).
    rpc_errors: u64,
    /// tools/call requests answered with a result.
    rpc_results: u64,
    /// HTTP status → POST /mcp responses.
    posts: BTreeMap<u16, u64>,
    /// GET /mcp (stream resumptions), all 200.
    resumes: u64,
    well_formed: u64,
    cancelled: u64,
    /// Calls whose R code failed (the engine counts each as a failed job).
    r_failures: u64,
    faults: u64,
    operations: u64,
    failures: Vec<String>,
}

impl Tally {
    fn tool(&mut self, tool: &str, is_error: bool) {
        let outcome = if is_error { "error" } else { "ok" };
        *self
            .tool_calls
            .entry((tool.to_string(), outcome.to_string()))
            .or_default() += 1;
    }

    fn post(&mut self, status: u16) {
        *self.posts.entry(status).or_default() += 1;
    }

    fn fail(&mut self, message: String) {
        if self.failures.len() < 20 {
            self.failures.push(message);
        }
    }

    fn merge(&mut self, other: Tally) {
        for (key, count) in other.tool_calls {
            *self.tool_calls.entry(key).or_default() += count;
        }
        for (status, count) in other.posts {
            *self.posts.entry(status).or_default() += count;
        }
        self.rpc_errors += other.rpc_errors;
        self.rpc_results += other.rpc_results;
        self.resumes += other.resumes;
        self.well_formed += other.well_formed;
        self.cancelled += other.cancelled;
        self.r_failures += other.r_failures;
        self.faults += other.faults;
        self.operations += other.operations;
        self.failures.extend(other.failures);
    }
}

/// One MCP session of the soak.
struct Session {
    number: usize,
    http: reqwest::Client,
    url: String,
    id: String,
    next_id: i64,
    rng: Rng,
}

impl Session {
    async fn open(url: &str, number: usize, tally: &mut Tally) -> Session {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client");
        let initialize = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": format!("soak-{number}"), "version": "1"}}});
        let response = http
            .post(url)
            .header("content-type", "application/json")
            .header("accept", BOTH)
            .body(initialize.to_string())
            .send()
            .await
            .expect("initialize");
        assert_eq!(response.status(), 200);
        tally.post(200);
        let id = response.headers()["mcp-session-id"]
            .to_str()
            .expect("ascii")
            .to_string();
        let session = Session {
            number,
            http,
            url: url.to_string(),
            id,
            next_id: 1,
            rng: Rng(0x9e37_79b9_7f4a_7c15 ^ (number as u64 + 1).wrapping_mul(0x2545_f491)),
        };
        let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        let status = session.post_raw(initialized.to_string(), BOTH).await;
        assert_eq!(status.0, 202);
        tally.post(202);
        session
    }

    fn id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    fn request(&self, body: String, accept: &str) -> reqwest::RequestBuilder {
        self.http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", accept)
            .header("mcp-session-id", &self.id)
            .header("mcp-protocol-version", "2025-11-25")
            .body(body)
    }

    /// Posts `body`; returns the status and the body text.
    async fn post_raw(&self, body: String, accept: &str) -> (u16, String) {
        match self.request(body, accept).send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                (status, response.text().await.unwrap_or_default())
            }
            Err(error) => {
                let mut chain = format!("no HTTP response: {error}");
                let mut source = std::error::Error::source(&error);
                while let Some(cause) = source {
                    chain.push_str(&format!(" <- {cause}"));
                    source = cause.source();
                }
                (0, chain)
            }
        }
    }

    /// A tools/call answered as JSON (or, with `stream`, as the server
    /// picks: a plain JSON body for a quick answer, else an event stream);
    /// returns the JSON-RPC response, checked to answer request `id`.
    async fn call(
        &mut self,
        tool: &str,
        arguments: Value,
        stream: bool,
        tally: &mut Tally,
    ) -> Option<Value> {
        let id = self.id();
        let body = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": tool, "arguments": arguments}});
        let accept = if stream { BOTH } else { "application/json" };
        let (status, text) = self.post_raw(body.to_string(), accept).await;
        tally.post(status);
        if status != 200 {
            tally.fail(format!(
                "session {}: {tool} got HTTP {status}: {text}",
                self.number
            ));
            return None;
        }
        let reply = answer_messages(&text)
            .into_iter()
            .find(|m| m.get("id").is_some());
        match reply {
            Some(reply) if reply["id"] == json!(id) && reply["jsonrpc"] == "2.0" => {
                if reply.get("error").is_some() {
                    tally.rpc_errors += 1;
                } else {
                    tally.rpc_results += 1;
                }
                Some(reply)
            }
            other => {
                tally.fail(format!(
                    "session {}: {tool} request {id} answered by {other:?}",
                    self.number
                ));
                None
            }
        }
    }

    /// A well-formed call whose answer must be `expect`.
    async fn checked(
        &mut self,
        tool: &str,
        arguments: Value,
        expect: &Expect,
        stream: bool,
        tally: &mut Tally,
    ) {
        tally.well_formed += 1;
        let Some(reply) = self.call(tool, arguments, stream, tally).await else {
            return;
        };
        let result = &reply["result"];
        tally.tool(tool, result["isError"] == json!(true));
        if let Err(message) = check(result, expect) {
            tally.fail(format!("session {}: {message}", self.number));
        }
    }

    /// This session's linear data for operation `op`: the slope and
    /// intercept name the session, so a crossed answer is caught.
    fn line(&self, op: usize) -> (Value, Expect) {
        let slope = (self.number * 1000 + op) as f64 + 0.5;
        let intercept = -(self.number as f64) - 0.25;
        (
            line_data(intercept, slope),
            Expect::Line { intercept, slope },
        )
    }

    /// This session's column for operation `op`: its name and mean name the
    /// session.
    fn column(&self, op: usize) -> (Value, Expect) {
        let base = (self.number * 100_000 + op * 10) as f64;
        let values: Vec<f64> = (0..5).map(|k| base + f64::from(k) * 1.5).collect();
        let column = format!("s{}", self.number);
        (
            json!({ column.clone(): values }),
            Expect::Mean {
                column,
                mean: base + 3.0,
            },
        )
    }

    /// Free-form R in this session's worker; returns the result value.
    async fn free_form(
        &mut self,
        code: &str,
        timeout_seconds: u64,
        tally: &mut Tally,
    ) -> Option<Value> {
        let arguments =
            json!({"r_code": code, "description": "soak", "timeout_seconds": timeout_seconds});
        let reply = self
            .call("execute_r_analysis", arguments, false, tally)
            .await?;
        let result = reply["result"].clone();
        tally.tool("execute_r_analysis", result["isError"] == json!(true));
        Some(result)
    }

    /// Reads back this session's `x` from its workspace.
    async fn check_state(&mut self, tally: &mut Tally) {
        tally.well_formed += 1;
        let result = self.free_form("result <- x", 20, tally).await;
        let seen = result
            .as_ref()
            .map(|r| r["structuredContent"]["result"].clone());
        if seen != Some(json!(self.number)) {
            tally.fail(format!(
                "session {}: its workspace's x reads {result:?}",
                self.number
            ));
        }
    }

    /// One operation: mostly well-formed calls, a few percent faults.
    async fn operate(&mut self, op: usize, fixtures: &Fixtures, tally: &mut Tally) {
        tally.operations += 1;
        let roll = self.rng.below(100);
        let stream = self.rng.below(8) == 0;
        match roll {
            0 => self.malformed(tally).await,
            1 => self.schema_violation(op, tally).await,
            2 => self.r_failure(op, tally).await,
            3 => self.unknown_tool(tally).await,
            4 => self.oversized(tally).await,
            5 | 6 => self.cancel_in_flight(op, tally).await,
            7 => self.disconnect_then_resume(op, tally).await,
            8 if self.number < WORKER_SESSIONS => self.check_state(tally).await,
            9..=11 => {
                let case = if roll == 9 {
                    &fixtures.mtcars_lm
                } else {
                    &fixtures.mtcars_summary
                };
                let tool = if roll == 9 {
                    "linear_model"
                } else {
                    "summary_stats"
                };
                let expect = Expect::Fixture(case.clone());
                self.checked(tool, case["args"].clone(), &expect, stream, tally)
                    .await;
            }
            12..=55 => {
                let (data, expect) = self.line(op);
                let arguments = json!({"data": data, "formula": "y ~ x"});
                self.checked("linear_model", arguments, &expect, stream, tally)
                    .await;
            }
            _ => {
                let (data, expect) = self.column(op);
                self.checked(
                    "summary_stats",
                    json!({ "data": data }),
                    &expect,
                    stream,
                    tally,
                )
                .await;
            }
        }
    }

    /// Not JSON at all: 400 with a parse error.
    async fn malformed(&mut self, tally: &mut Tally) {
        tally.faults += 1;
        let (status, text) = self
            .post_raw(r#"{"jsonrpc": "2.0", "id": 1, "method": "#.into(), BOTH)
            .await;
        tally.post(status);
        let body: Value = serde_json::from_str(&text).unwrap_or_default();
        if status != 400 || body["error"]["code"] != json!(-32700) {
            tally.fail(format!("malformed JSON got {status}: {text}"));
        }
    }

    /// Arguments the input schema refuses: an isError result naming the field.
    async fn schema_violation(&mut self, op: usize, tally: &mut Tally) {
        tally.faults += 1;
        let (data, _) = self.line(op);
        let arguments = json!({"data": data, "formula": 42, "bogus": true});
        let Some(reply) = self.call("linear_model", arguments, false, tally).await else {
            return;
        };
        tally.tool("linear_model", true);
        let text = reply["result"]["content"][0]["text"].as_str().unwrap_or("");
        if reply["result"]["isError"] != json!(true) || !text.contains("formula") {
            tally.fail(format!("schema violation answered {reply}"));
        }
    }

    /// R fails (the formula names a missing column): an isError result.
    async fn r_failure(&mut self, op: usize, tally: &mut Tally) {
        tally.faults += 1;
        let (data, _) = self.line(op);
        let arguments = json!({"data": data, "formula": "y ~ missing_column"});
        let Some(reply) = self.call("linear_model", arguments, false, tally).await else {
            return;
        };
        tally.tool("linear_model", true);
        tally.r_failures += 1;
        let text = reply["result"]["content"][0]["text"].as_str().unwrap_or("");
        if reply["result"]["isError"] != json!(true) || !text.contains("missing_column") {
            tally.fail(format!("R failure answered {reply}"));
        }
    }

    /// A tool that does not exist: JSON-RPC error -32602.
    async fn unknown_tool(&mut self, tally: &mut Tally) {
        tally.faults += 1;
        let Some(reply) = self.call("no_such_tool", json!({}), false, tally).await else {
            return;
        };
        if reply["error"]["code"] != json!(-32602) {
            tally.fail(format!("unknown tool answered {reply}"));
        }
    }

    /// A body past the limit: 413 with a JSON-RPC error, nothing runs.
    async fn oversized(&mut self, tally: &mut Tally) {
        tally.faults += 1;
        let id = self.id();
        let padding = "x".repeat(MAX_BODY as usize + 1024);
        let body = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": "summary_stats", "arguments": {"data": {"x": [1, 2]}, "pad": padding}}});
        // The server answers `Connection: close` (the body stays unread), so
        // the pooled client opens a new connection for the next request;
        // a missing header would fail that request at the network level.
        let sent = self.request(body.to_string(), BOTH).send().await;
        let (status, text) = match sent {
            Ok(response) => (
                response.status().as_u16(),
                response.text().await.unwrap_or_default(),
            ),
            Err(error) => (0, format!("no HTTP response: {error}")),
        };
        tally.post(status);
        let body: Value = serde_json::from_str(&text).unwrap_or_default();
        if status != 413 || body["error"]["code"] != json!(-32000) {
            tally.fail(format!("oversized body got {status}: {text}"));
        }
    }

    /// Starts a call on an event stream (asked for alone, so even a quick
    /// answer streams), cancels it once the stream is open, and reads the
    /// answer: the right result (it won the race) or an isError result
    /// saying it was cancelled.
    async fn cancel_in_flight(&mut self, op: usize, tally: &mut Tally) {
        tally.faults += 1;
        let id = self.id();
        let (data, expect) = self.line(op);
        let body = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": "linear_model", "arguments": {"data": data, "formula": "y ~ x"}}});
        let mut response = match self.request(body.to_string(), STREAM_ONLY).send().await {
            Ok(response) => response,
            Err(error) => return tally.fail(format!("cancel target not sent: {error}")),
        };
        tally.post(response.status().as_u16());
        let mut text = match response.chunk().await {
            Ok(Some(first)) => String::from_utf8_lossy(&first).into_owned(),
            other => return tally.fail(format!("cancel target stream: {other:?}")),
        };
        let cancel = json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
            "params": {"requestId": id, "reason": "soak"}});
        let (status, _) = self.post_raw(cancel.to_string(), BOTH).await;
        tally.post(status);
        if status != 202 {
            tally.fail(format!("cancellation got HTTP {status}"));
        }
        while let Ok(Some(chunk)) = response.chunk().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        let Some(reply) = sse_messages(&text).into_iter().find(|m| m["id"] == id) else {
            return tally.fail(format!("cancelled call {id} got no answer: {text}"));
        };
        tally.rpc_results += 1;
        let result = &reply["result"];
        let is_error = result["isError"] == json!(true);
        tally.tool("linear_model", is_error);
        let content = result["content"][0]["text"].as_str().unwrap_or("");
        if is_error {
            tally.cancelled += 1;
            if !content.contains("cancelled") {
                tally.fail(format!("cancelled call answered {reply}"));
            }
        } else if let Err(message) = check(result, &expect) {
            tally.fail(format!(
                "session {}: uncancelled call: {message}",
                self.number
            ));
        }
    }

    /// Starts a call on an event stream (asked for alone, so even a quick
    /// answer streams), hangs up after the first bytes, then resumes the
    /// stream with Last-Event-ID and must get the right answer: a dropped
    /// connection neither cancels nor loses the call.
    async fn disconnect_then_resume(&mut self, op: usize, tally: &mut Tally) {
        tally.faults += 1;
        let id = self.id();
        let (data, expect) = self.column(op);
        let body = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": "summary_stats", "arguments": {"data": data}}});
        let mut response = match self.request(body.to_string(), STREAM_ONLY).send().await {
            Ok(response) => response,
            Err(error) => return tally.fail(format!("disconnect target not sent: {error}")),
        };
        tally.post(response.status().as_u16());
        let first = match response.chunk().await {
            Ok(Some(first)) => String::from_utf8_lossy(&first).into_owned(),
            other => return tally.fail(format!("disconnect target stream: {other:?}")),
        };
        drop(response);
        let Some(event_id) = first
            .lines()
            .find_map(|line| line.strip_prefix("id: "))
            .map(str::to_string)
        else {
            return tally.fail(format!("no priming event id in {first:?}"));
        };
        // The call finishes even though nobody listens.
        tally.tool("summary_stats", false);
        let resumed = self
            .http
            .get(&self.url)
            .header("accept", "text/event-stream")
            .header("mcp-session-id", &self.id)
            .header("mcp-protocol-version", "2025-11-25")
            .header("last-event-id", &event_id)
            .send()
            .await;
        tally.resumes += 1;
        let text = match resumed {
            Ok(response) if response.status() == 200 => {
                tokio::time::timeout(Duration::from_secs(60), response.text())
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .unwrap_or_default()
            }
            other => return tally.fail(format!("resume got {other:?}")),
        };
        match sse_messages(&text).into_iter().find(|m| m["id"] == id) {
            Some(reply) => {
                tally.rpc_results += 1;
                if let Err(message) = check(&reply["result"], &expect) {
                    tally.fail(format!("session {}: resumed: {message}", self.number));
                }
            }
            None => tally.fail(format!("resumed stream lacks the answer to {id}: {text}")),
        }
    }

    /// Free-form R past its time limit: the call is stopped, the workspace
    /// (and this session's `x`) survives.
    async fn free_form_timeout(&mut self, tally: &mut Tally) {
        tally.faults += 1;
        let Some(result) = self.free_form("Sys.sleep(30)", 1, tally).await else {
            return;
        };
        let text = workers::text(&result);
        if result["isError"] != json!(true) || !text.contains("workspace is intact") {
            tally.fail(format!("free-form timeout answered {result}"));
        }
        self.check_state(tally).await;
    }
}

/// Runs `ops` operations in each session, concurrently.
async fn phase(
    sessions: Vec<Session>,
    range: std::ops::Range<usize>,
    fixtures: Arc<Fixtures>,
    deadline: Instant,
) -> (Vec<Session>, Tally) {
    let tasks: Vec<_> = sessions
        .into_iter()
        .map(|mut session| {
            let fixtures = Arc::clone(&fixtures);
            let range = range.clone();
            tokio::spawn(async move {
                let mut tally = Tally::default();
                for op in range {
                    if Instant::now() > deadline {
                        break;
                    }
                    session.operate(op, &fixtures, &mut tally).await;
                    if session.number < WORKER_SESSIONS && op == 100 {
                        session.free_form_timeout(&mut tally).await;
                    }
                }
                (session, tally)
            })
        })
        .collect();
    let mut sessions = Vec::new();
    let mut total = Tally::default();
    for task in tasks {
        let (session, tally) = task.await.expect("session task");
        sessions.push(session);
        total.merge(tally);
    }
    (sessions, total)
}

/// This process's resident set, in KiB.
fn rss_kib() -> i64 {
    rss_kib_of("/proc/self/status")
}

/// The resident set of the process whose `/proc/<pid>/status` is `path`.
fn rss_kib_of(path: &str) -> i64 {
    let status = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// One Prometheus sample: name, labels, value.
fn samples(text: &str) -> Vec<(String, BTreeMap<String, String>, f64)> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let value: f64 = value.parse().ok()?;
            let (name, labels) = match series.split_once('{') {
                Some((name, labels)) => (name, labels.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split("\",")
                .filter(|pair| !pair.is_empty())
                .filter_map(|pair| {
                    let (key, value) = pair.split_once('=')?;
                    Some((key.to_string(), value.trim_matches('"').to_string()))
                })
                .collect();
            Some((name.to_string(), labels, value))
        })
        .collect()
}

/// The value of `name` with exactly these labels (0 when absent).
fn metric(text: &str, name: &str, labels: &[(&str, &str)]) -> u64 {
    samples(text)
        .into_iter()
        .filter(|(sample, found, _)| {
            sample == name
                && found.len() == labels.len()
                && labels
                    .iter()
                    .all(|(key, value)| found.get(*key).map(String::as_str) == Some(*value))
        })
        .map(|(_, _, value)| value as u64)
        .sum()
}

/// A few thousand mixed calls from sixteen sessions with a few percent of
/// faults: every well-formed call gets its own session's right answer, no
/// session sees another's workspace, the server stays healthy with bounded
/// memory growth, and /metrics counts exactly what was sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_sessions_with_faults_stay_correct() {
    let started = Instant::now();
    let server = start_server().await;
    let fixtures = Arc::new(fixtures());
    let mut total = Tally::default();
    let mut sessions = Vec::new();
    for number in 0..SESSIONS {
        sessions.push(Session::open(&server.http.url, number, &mut total).await);
    }
    // Each worker session keeps its number in its own R workspace.
    for session in sessions.iter_mut().take(WORKER_SESSIONS) {
        let code = format!("x <- {}L; result <- x", session.number);
        let result = session.free_form(&code, 30, &mut total).await;
        assert_eq!(
            result
                .as_ref()
                .map(|r| r["structuredContent"]["result"].clone()),
            Some(json!(session.number)),
            "{result:?}"
        );
    }

    let (sessions, warmup) = phase(
        sessions,
        0..WARMUP_OPS,
        Arc::clone(&fixtures),
        Instant::now() + PHASE_DEADLINE,
    )
    .await;
    total.merge(warmup);
    let rss_before = rss_kib();
    let engine_rss_before = server.engine_rss_kib();
    let soak_started = Instant::now();
    let (mut sessions, soak) = phase(
        sessions,
        WARMUP_OPS..WARMUP_OPS + SOAK_OPS,
        Arc::clone(&fixtures),
        Instant::now() + PHASE_DEADLINE,
    )
    .await;
    let soak_time = soak_started.elapsed();
    let soak_operations = soak.operations;
    total.merge(soak);
    let rss_after = rss_kib();
    let engine_rss_after = server.engine_rss_kib();

    // Every session reads its own x back at the end.
    for session in sessions.iter_mut().take(WORKER_SESSIONS) {
        session.check_state(&mut total).await;
    }
    eprintln!(
        "soak: {} operations ({} well-formed, {} faults, {} cancelled in flight) in {:?} \
         (soak phase {soak_operations} in {soak_time:?}); RSS {rss_before} KiB -> {rss_after} KiB, \
         engine process {engine_rss_before} KiB -> {engine_rss_after} KiB",
        total.operations,
        total.well_formed,
        total.faults,
        total.cancelled,
        started.elapsed(),
    );
    assert!(
        total.failures.is_empty(),
        "{} failures, first: {:#?}",
        total.failures.len(),
        total.failures
    );
    let planned = (SESSIONS * SOAK_OPS) as u64;
    assert!(
        soak_operations * 10 >= planned * 9,
        "only {soak_operations} of {planned} operations ran before the deadline"
    );
    assert!(total.faults * 100 >= total.operations * 3, "{total:?}");
    assert!(
        total.cancelled > 0,
        "no cancellation reached a call in flight"
    );
    let growth = rss_after - rss_before;
    assert!(
        growth <= RSS_GROWTH_BOUND_KIB,
        "RSS grew {growth} KiB during the soak (bound {RSS_GROWTH_BOUND_KIB} KiB)"
    );
    // The engine process runs the same R as the in-process engine; the
    // same bound holds for it (the same pid: it was never replaced).
    let engine_growth = engine_rss_after - engine_rss_before;
    assert!(
        engine_growth <= RSS_GROWTH_BOUND_KIB,
        "the engine process's RSS grew {engine_growth} KiB during the soak (bound {RSS_GROWTH_BOUND_KIB} KiB)"
    );

    // Wait until every call (including those whose client hung up) is done.
    let state = server.http.state.clone();
    support::client::eventually("every call to finish", || {
        state
            .sessions
            .all()
            .iter()
            .all(|session| session.requests_in_flight() == 0)
    })
    .await;
    let pool = server.pool().clone();
    support::client::eventually("every engine to be idle", || {
        let health = pool.health();
        health.queued == 0
            && health
                .engines
                .iter()
                .all(|engine| engine.state == EngineState::Idle)
    })
    .await;
    let http = reqwest::Client::new();
    let metrics_url = format!("{}/metrics", server.http.base);
    let deadline = Instant::now() + Duration::from_secs(20);
    let expected_calls = total.rpc_results + total.rpc_errors;
    let text = loop {
        let text = http
            .get(&metrics_url)
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        let counted = metric(
            &text,
            "rmcp_mcp_requests_total",
            &[("method", "tools/call"), ("outcome", "ok")],
        ) + metric(
            &text,
            "rmcp_mcp_requests_total",
            &[("method", "tools/call"), ("outcome", "error")],
        );
        if counted >= expected_calls || Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    for ((tool, outcome), count) in &total.tool_calls {
        assert_eq!(
            metric(
                &text,
                "rmcp_tool_calls_total",
                &[("tool", tool), ("outcome", outcome)]
            ),
            *count,
            "rmcp_tool_calls_total{{tool={tool},outcome={outcome}}}"
        );
    }
    let counted_tools: u64 = samples(&text)
        .iter()
        .filter(|(name, _, _)| name == "rmcp_tool_calls_total")
        .map(|(_, _, value)| *value as u64)
        .sum();
    assert_eq!(
        counted_tools,
        total.tool_calls.values().sum::<u64>(),
        "tool calls of tools the soak did not call"
    );
    assert_eq!(
        metric(
            &text,
            "rmcp_mcp_requests_total",
            &[("method", "tools/call"), ("outcome", "ok")]
        ),
        total.rpc_results
    );
    assert_eq!(
        metric(
            &text,
            "rmcp_mcp_requests_total",
            &[("method", "tools/call"), ("outcome", "error")]
        ),
        total.rpc_errors
    );
    assert_eq!(
        metric(
            &text,
            "rmcp_mcp_requests_total",
            &[("method", "initialize"), ("outcome", "ok")]
        ),
        SESSIONS as u64
    );
    for (status, count) in &total.posts {
        assert_eq!(
            metric(
                &text,
                "rmcp_http_requests_total",
                &[
                    ("method", "POST"),
                    ("route", "/mcp"),
                    ("status", &status.to_string())
                ]
            ),
            *count,
            "POST /mcp {status}"
        );
    }
    assert_eq!(
        metric(
            &text,
            "rmcp_http_requests_total",
            &[("method", "GET"), ("route", "/mcp"), ("status", "200")]
        ),
        total.resumes
    );
    // The engines' own counters. Each engine counts every call it let go
    // of (answered, failed or stopped): every successful catalog call and
    // every R failure ran on one of them, and a cancelled call was counted
    // only if it had left the queue for an engine (a race), so the sum is
    // bounded by both. Both engines took calls, and none was replaced.
    let catalog_ok: u64 = ["linear_model", "summary_stats"]
        .iter()
        .map(|tool| {
            total
                .tool_calls
                .get(&(tool.to_string(), "ok".to_string()))
                .copied()
                .unwrap_or(0)
        })
        .sum();
    let engine_jobs: Vec<u64> = (0..ENGINES)
        .map(|index| {
            metric(
                &text,
                "rmcp_r_engine_jobs_total",
                &[("engine", &index.to_string())],
            )
        })
        .collect();
    let ran: u64 = engine_jobs.iter().sum();
    eprintln!("soak: calls per engine {engine_jobs:?}");
    assert!(
        ran >= catalog_ok + total.r_failures
            && ran <= catalog_ok + total.r_failures + total.cancelled,
        "engines counted {ran} calls; {catalog_ok} succeeded, {} failed in R, {} cancelled",
        total.r_failures,
        total.cancelled
    );
    assert!(
        engine_jobs.iter().all(|jobs| *jobs > 0),
        "an engine took no calls: {engine_jobs:?}"
    );
    for index in 0..ENGINES {
        assert_eq!(
            metric(
                &text,
                "rmcp_r_engine_restarts_total",
                &[("engine", &index.to_string())]
            ),
            0,
            "engine {index} was replaced"
        );
    }
    // Engine 0 is the in-process R: its own counters see its share.
    assert!(metric(&text, "rmcp_r_jobs_failed_total", &[]) <= total.r_failures);
    assert!(metric(&text, "rmcp_r_jobs_cancelled_total", &[]) <= total.cancelled);
    assert_eq!(metric(&text, "rmcp_r_timeouts_total", &[]), 0);
    assert_eq!(metric(&text, "rmcp_r_engine_queue_length", &[]), 0);
    assert!(total.posts.get(&400).is_some_and(|n| *n > 0), "{total:?}");
    assert!(total.posts.get(&413).is_some_and(|n| *n > 0), "{total:?}");
    assert_eq!(metric(&text, "rmcp_active_sessions", &[]), SESSIONS as u64);

    // Still healthy, and a new client gets the right answer.
    let health = http
        .get(format!("{}/health", server.http.base))
        .send()
        .await
        .expect("health");
    assert_eq!(health.status(), 200);
    let health: Value = health.json().await.expect("json");
    assert_eq!(health["status"], "healthy");
    let mut fresh = Session::open(&server.http.url, SESSIONS, &mut Tally::default()).await;
    let mut tally = Tally::default();
    let expect = Expect::Fixture(fixtures.mtcars_lm.clone());
    fresh
        .checked(
            "linear_model",
            fixtures.mtcars_lm["args"].clone(),
            &expect,
            false,
            &mut tally,
        )
        .await;
    assert!(tally.failures.is_empty(), "{:?}", tally.failures);
    drop(sessions);
}
