//! `make bench`: what Tasks (SEP-2663) cost a 2026-07-28 client over HTTP on
//! loopback, on the server as shipped (the catalog on R, no free-form R)
//! plus the Tasks fixtures:
//!
//! - creating a task: the `tools/call` round trip that answers with a
//!   `CreateTaskResult` (`slow_compute` of 60 s, cancelled right after),
//!   next to a plain call answered in the request (`greet`);
//! - polling: `tasks/get` of a running task;
//! - a long model: a `random_forest` (about ten seconds on an idle
//!   machine) called directly, then as a task whose result a new client
//!   (new connection, the first one dropped) fetches by polling at the
//!   server's `pollIntervalMs`, and the same result.
//!
//! Prints a markdown table and writes it to `benches/results/tasks.md`.
//! `RMCP_BENCH_TASK_ROWS` sets the forest's rows (default 4500);
//! `RMCP_BENCH_NOTE` adds a sentence about the machine to the report.

mod load;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use load::serve::InProcess;
use rmcp_server::mcp::fixtures_tasks::TaskFixtures;
use rmcp_server::r::{EngineConfig, RHandle};
use rmcp_server::server::{Server, Settings};
use rmcp_server::vfs::VfsConfig;
use rmcp_server::worker::WorkerConfig;
use serde_json::{json, Value};

const TASKS: &str = "io.modelcontextprotocol/tasks";
const CREATES: usize = 300;
const POLLS: usize = 2000;

/// A 2026-07-28 client with the Tasks extension declared.
struct Client {
    http: reqwest::Client,
    url: String,
}

impl Client {
    fn new(url: &str) -> Client {
        Client {
            http: reqwest::Client::new(),
            url: url.to_string(),
        }
    }

    async fn send(&self, method: &str, params: Value) -> Value {
        self.send_as(method, params, json!({"extensions": {TASKS: {}}}))
            .await
    }

    /// A request declaring `capabilities`; the JSON-RPC result, from a JSON
    /// or an event-stream answer.
    async fn send_as(&self, method: &str, mut params: Value, capabilities: Value) -> Value {
        params["_meta"] = json!({
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": capabilities,
            "io.modelcontextprotocol/clientInfo": {"name": "tasks-bench", "version": "1"},
        });
        let name = params
            .get("name")
            .or_else(|| params.get("taskId"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let mut request = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", method)
            .body(body.to_string());
        if !name.is_empty() {
            request = request.header("mcp-name", name);
        }
        let response = request.send().await.expect("request sent");
        let text = response.text().await.expect("body");
        let answer = text
            .lines()
            .rev()
            .filter_map(|line| line.strip_prefix("data:"))
            .filter_map(|data| serde_json::from_str::<Value>(data.trim()).ok())
            .find(|message| message.get("id").is_some())
            .or_else(|| serde_json::from_str(&text).ok())
            .unwrap_or_else(|| panic!("no JSON-RPC answer in {text:?}"));
        answer["result"].clone()
    }
}

fn percentile(times: &mut [Duration], fraction: f64) -> Duration {
    times.sort();
    let index = ((times.len() as f64 - 1.0) * fraction).round() as usize;
    times.get(index).copied().unwrap_or_default()
}

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

fn forest_data(rows: usize) -> Value {
    let mut data = serde_json::Map::new();
    for (shift, name) in ["x1", "x2", "x3", "x4", "x5", "y"].iter().enumerate() {
        let column: Vec<f64> = (0..rows)
            .map(|i| (i as f64 * 0.7919 + shift as f64).sin() * 10.0)
            .collect();
        data.insert((*name).to_string(), json!(column));
    }
    Value::Object(data)
}

async fn measure(engine: RHandle) -> String {
    let settings = Settings {
        vfs: VfsConfig::working_directory(),
        workers: WorkerConfig::default(),
        conformance_fixtures: false,
        request_state_key: None,
        node_id: None,
        tasks: Default::default(),
    };
    let assembled = Server::builder(settings)
        .engine(engine)
        .without_free_form_r()
        .tools(TaskFixtures::new())
        .build()
        .expect("server builds");
    let serving = InProcess::start(&assembled).await;
    let url = serving.url.clone();
    let client = Client::new(&url);

    // Creating tasks, next to plain calls.
    for _ in 0..50 {
        client
            .send(
                "tools/call",
                json!({"name": "greet", "arguments": {"name": "warm"}}),
            )
            .await;
    }
    let mut plain = Vec::with_capacity(CREATES);
    for _ in 0..CREATES {
        let started = Instant::now();
        let result = client
            .send(
                "tools/call",
                json!({"name": "greet", "arguments": {"name": "x"}}),
            )
            .await;
        plain.push(started.elapsed());
        assert_eq!(result["resultType"], "complete");
    }
    let mut creates = Vec::with_capacity(CREATES);
    let mut cancels = Vec::with_capacity(CREATES);
    for _ in 0..CREATES {
        let started = Instant::now();
        let created = client
            .send(
                "tools/call",
                json!({"name": "slow_compute", "arguments": {"seconds": 60, "label": "bench"}}),
            )
            .await;
        creates.push(started.elapsed());
        assert_eq!(created["resultType"], "task", "{created}");
        let id = created["taskId"].as_str().expect("task id").to_string();
        let started = Instant::now();
        client.send("tasks/cancel", json!({"taskId": id})).await;
        cancels.push(started.elapsed());
    }

    // Polling a running task.
    let running = client
        .send(
            "tools/call",
            json!({"name": "slow_compute", "arguments": {"seconds": 600, "label": "polled"}}),
        )
        .await;
    let id = running["taskId"].as_str().expect("task id").to_string();
    let mut polls = Vec::with_capacity(POLLS);
    for _ in 0..POLLS {
        let started = Instant::now();
        let task = client.send("tasks/get", json!({"taskId": id})).await;
        polls.push(started.elapsed());
        assert_eq!(task["status"], "working");
    }
    client.send("tasks/cancel", json!({"taskId": id})).await;

    // A long model, directly and as a task fetched after a reconnect.
    let rows: usize = std::env::var("RMCP_BENCH_TASK_ROWS")
        .ok()
        .and_then(|rows| rows.parse().ok())
        .unwrap_or(4_500);
    let arguments = json!({"data": forest_data(rows), "formula": "y ~ .", "n_trees": 1000});
    let plain_client = Client::new(&url);
    let started = Instant::now();
    // The direct call: a client without the extension.
    let direct = plain_client
        .send_as(
            "tools/call",
            json!({"name": "random_forest", "arguments": arguments}),
            json!({}),
        )
        .await;
    let direct_time = started.elapsed();
    assert_eq!(direct["isError"], false, "{direct}");

    let started = Instant::now();
    let first = Client::new(&url);
    let created = first
        .send(
            "tools/call",
            json!({"name": "random_forest", "arguments": arguments}),
        )
        .await;
    let create_time = started.elapsed();
    let id = created["taskId"].as_str().expect("task id").to_string();
    let interval = Duration::from_millis(created["pollIntervalMs"].as_u64().unwrap_or(500));
    drop(first);
    let second = Client::new(&url);
    let mut polled = 0;
    let task = loop {
        tokio::time::sleep(interval).await;
        polled += 1;
        let task = second.send("tasks/get", json!({"taskId": id})).await;
        if task["status"] != "working" {
            break task;
        }
    };
    let task_time = started.elapsed();
    assert_eq!(task["status"], "completed", "{task}");
    assert_eq!(
        task["result"]["structuredContent"], direct["structuredContent"],
        "the task's result is the direct call's"
    );

    serving.stop().await;

    let mut table = String::new();
    table.push_str("| measure | p50 | p95 | calls |\n|---|---|---|---|\n");
    for (label, times, count) in [
        (
            "plain `tools/call` (`greet`, answered in the request)",
            &mut plain,
            CREATES,
        ),
        (
            "task creation (`tools/call` → `CreateTaskResult`)",
            &mut creates,
            CREATES,
        ),
        ("`tasks/cancel` of a running task", &mut cancels, CREATES),
        ("`tasks/get` of a running task (polling)", &mut polls, POLLS),
    ] {
        let p50 = percentile(times, 0.5);
        let p95 = percentile(times, 0.95);
        table.push_str(&format!(
            "| {label} | {} | {} | {count} |\n",
            ms(p50),
            ms(p95)
        ));
    }
    table.push_str(&format!(
        "\n| `random_forest`, {rows} rows, 1000 trees | time |\n|---|---|\n\
         | direct call (answer in the request) | {:.2} s |\n\
         | as a task: `CreateTaskResult` received | {} |\n\
         | as a task: result fetched by a new connection ({polled} polls at {} ms) | {:.2} s |\n\
         | overhead of the task path (incl. up to one poll interval) | {:+.2} s |\n",
        direct_time.as_secs_f64(),
        ms(create_time),
        interval.as_millis(),
        task_time.as_secs_f64(),
        task_time.as_secs_f64() - direct_time.as_secs_f64(),
    ));
    table
}

fn main() {
    let engine = RHandle::start(EngineConfig {
        default_timeout: Duration::from_secs(600),
        ..EngineConfig::default()
    })
    .expect("R starts");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let table = runtime.block_on(measure(engine));
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let profile = if cfg!(debug_assertions) {
        "debug build"
    } else {
        "release build"
    };
    let note = std::env::var("RMCP_BENCH_NOTE").unwrap_or_default();
    let report = format!(
        "# Tasks (SEP-2663)\n\n`cargo bench --bench tasks`: {profile}, {cores} cores visible. \
         Latencies are loopback HTTP round trips of one client, one request at a time; \
         the forest's time is R's, the same in any build. {note}\n\n{table}"
    );
    println!("{report}");
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/results/tasks.md");
    if let Err(error) = std::fs::write(&path, &report) {
        eprintln!("cannot write {}: {error}", path.display());
    }
}
