//! Tasks (SEP-2663, `io.modelcontextprotocol/tasks`) as clients see them over
//! real HTTP: a long call answers at once with a task id, the client polls
//! `tasks/get` (from any connection, as long as it holds the same key),
//! answers the task's questions with `tasks/update`, and stops it with
//! `tasks/cancel`. The store stays within its bounds however many tasks
//! clients abandon, and no client sees another's tasks.

mod support {
    pub mod client;
    pub mod data;
    pub mod engine;
    pub mod modern;
    pub mod server;
    pub mod stdio;
    pub mod workers;
}

use std::time::{Duration, Instant};

use rmcp_server::config::Secret;
use rmcp_server::mcp::tasks::TaskLimits;
use rmcp_server::server::{Server, Settings};
use serde_json::{json, Value};
use support::client::Client;
use support::data::mtcars;
use support::engine::engine;
use support::modern::{meta, post, MODERN};
use support::server::TestServer;

const TASKS: &str = "io.modelcontextprotocol/tasks";
const KEY: &str = "tasks-key-0123456789";
const OTHER: &str = "other-key-9876543210";

/// A 2026-07-28 request with the Tasks extension (and elicitation)
/// declared, sent with `key` when given; the JSON-RPC response.
async fn send(url: &str, key: Option<&str>, method: &str, mut params: Value) -> Value {
    send_with(url, key, method, &mut params, true).await
}

async fn send_with(
    url: &str,
    key: Option<&str>,
    method: &str,
    params: &mut Value,
    extension: bool,
) -> Value {
    let capabilities = if extension {
        json!({"elicitation": {}, "extensions": {TASKS: {}}})
    } else {
        json!({"elicitation": {}})
    };
    params["_meta"] = meta(capabilities);
    let name = match method {
        "tools/call" => params["name"].as_str().map(str::to_string),
        _ => params["taskId"].as_str().map(str::to_string),
    };
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let bearer = key.map(|key| format!("Bearer {key}"));
    let workspace = params["arguments"]["workspace"]
        .as_str()
        .map(str::to_string);
    let mut headers = vec![("mcp-protocol-version", MODERN), ("mcp-method", method)];
    if let Some(name) = &name {
        headers.push(("mcp-name", name.as_str()));
    }
    if let Some(workspace) = &workspace {
        headers.push(("mcp-param-workspace", workspace.as_str()));
    }
    if let Some(bearer) = &bearer {
        headers.push(("authorization", bearer.as_str()));
    }
    post(url, &body, &headers).await.response().clone()
}

/// `tasks/get` until `done` holds for the task (or a deadline passes).
async fn poll(url: &str, key: Option<&str>, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let task = send(url, key, "tasks/get", json!({"taskId": id})).await;
        if done(&task["result"]) {
            return task["result"].clone();
        }
        assert!(
            Instant::now() < deadline,
            "task {id} never got there: {task}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn terminal(task: &Value) -> bool {
    matches!(
        task["status"].as_str(),
        Some("completed" | "failed" | "cancelled")
    )
}

fn task_id(answer: &Value) -> String {
    assert_eq!(answer["result"]["resultType"], "task", "{answer}");
    answer["result"]["taskId"]
        .as_str()
        .expect("a task id")
        .to_string()
}

/// The fixtures server with the store's bounds set to `limits`, behind
/// two API keys.
async fn fixtures_with(limits: TaskLimits) -> TestServer {
    let settings = Settings {
        tasks: limits,
        ..Settings::fixtures()
    };
    let server = Server::builder(settings).build().expect("server builds");
    TestServer::serve(server, |config| {
        config.api_keys = vec![Secret(KEY.into()), Secret(OTHER.into())];
    })
    .await
}

/// A client that negotiated tasks calls a slow tool and gets a task at
/// once: `working` first, then `completed` with the tool's result inlined;
/// a tool error is `completed` with `isError`, a crash `failed` with an
/// error; cancelling a finished task changes nothing. Without the
/// extension the same tool answers in the request, and a tool that runs
/// only as a task refuses with -32021.
#[tokio::test]
async fn a_slow_call_becomes_a_task_the_client_polls() {
    let server = TestServer::start(None, None, |_| {}).await;
    let url = &server.url;
    let created = send(
        url,
        None,
        "tools/call",
        json!({"name": "slow_compute", "arguments": {"seconds": 0.5, "label": "poll"}}),
    )
    .await;
    let id = task_id(&created);
    let result = &created["result"];
    assert_eq!(result["status"], "working");
    assert!(result["ttlMs"].as_u64().is_some_and(|ttl| ttl > 0));
    assert!(result["pollIntervalMs"]
        .as_u64()
        .is_some_and(|poll| poll > 0));
    assert!(result.get("result").is_none() && result.get("requestState").is_none());

    let working = send(url, None, "tasks/get", json!({"taskId": id})).await;
    assert_eq!(working["result"]["status"], "working", "{working}");
    let done = poll(url, None, &id, terminal).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(
        done["result"]["content"][0]["text"],
        "slow_compute poll done after 0.5 s"
    );
    let again = send(url, None, "tasks/cancel", json!({"taskId": id})).await;
    assert_eq!(again["result"], json!({"resultType": "complete"}));
    assert_eq!(poll(url, None, &id, terminal).await["status"], "completed");

    let failing = send(
        url,
        None,
        "tools/call",
        json!({"name": "failing_job", "arguments": {}}),
    )
    .await;
    let failed = poll(url, None, &task_id(&failing), terminal).await;
    assert_eq!(failed["status"], "completed");
    assert_eq!(failed["result"]["isError"], true);
    let crashing = send(
        url,
        None,
        "tools/call",
        json!({"name": "protocol_error_job", "arguments": {}}),
    )
    .await;
    let crashed = poll(url, None, &task_id(&crashing), terminal).await;
    assert_eq!(crashed["status"], "failed");
    assert!(crashed["error"]["code"].is_i64() && crashed.get("result").is_none());

    let mut sync = json!({"name": "slow_compute", "arguments": {"seconds": 0.1}});
    let sync = send_with(url, None, "tools/call", &mut sync, false).await;
    assert_eq!(sync["result"]["resultType"], "complete", "{sync}");
    let mut required = json!({"name": "failing_job", "arguments": {}});
    let refused = send_with(url, None, "tools/call", &mut required, false).await;
    assert_eq!(refused["error"]["code"], -32021, "{refused}");
    assert!(refused["error"]["data"]["requiredCapabilities"]["extensions"][TASKS].is_object());

    // Operators see the store in /health and /metrics.
    let health: Value = reqwest::get(format!("{}/health", server.base))
        .await
        .expect("health")
        .json()
        .await
        .expect("json");
    assert_eq!(health["tasks"]["held"], 3, "{health}");
    assert_eq!(health["tasks"]["running"], 0);
    let metrics = reqwest::get(format!("{}/metrics", server.base))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(metrics.contains("rmcp_tasks_created_total 3"), "{metrics}");
    assert!(metrics.contains("rmcp_tasks_settled_total{status=\"failed\"} 1"));
}

/// A task that needs the user parks in `input_required` with its questions;
/// `tasks/update` answers them (unknown keys are ignored, the answered ones
/// leave the list) and the task finishes; a cancelled task settles to
/// `cancelled` and stays so.
#[tokio::test]
async fn questions_wait_for_tasks_update_and_cancel_stops_a_task() {
    let server = TestServer::start(None, None, |_| {}).await;
    let url = &server.url;
    let asking = send(
        url,
        None,
        "tools/call",
        json!({"name": "multi_input", "arguments": {}}),
    )
    .await;
    let id = task_id(&asking);
    let parked = poll(url, None, &id, |task| {
        task["inputRequests"]
            .as_object()
            .is_some_and(|asked| asked.len() == 2)
    })
    .await;
    assert_eq!(parked["status"], "input_required");
    let keys: Vec<String> = parked["inputRequests"]
        .as_object()
        .expect("questions")
        .keys()
        .cloned()
        .collect();
    assert_eq!(
        parked["inputRequests"][&keys[0]]["method"],
        "elicitation/create"
    );
    let answer = json!({"action": "accept", "content": {"name": "Ada"}});
    let ack = send(
        url,
        None,
        "tasks/update",
        json!({"taskId": id, "inputResponses": {&keys[0]: answer, "no-such-key": {}}}),
    )
    .await;
    assert_eq!(ack["result"], json!({"resultType": "complete"}));
    let partly = send(url, None, "tasks/get", json!({"taskId": id})).await;
    assert_eq!(partly["result"]["status"], "input_required");
    assert_eq!(
        partly["result"]["inputRequests"]
            .as_object()
            .map(|left| left.len()),
        Some(1)
    );
    send(
        url,
        None,
        "tasks/update",
        json!({"taskId": id, "inputResponses": {&keys[1]: answer}}),
    )
    .await;
    let done = poll(url, None, &id, terminal).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["result"]["content"][0]["text"], "got Ada and Ada");

    let long = send(
        url,
        None,
        "tools/call",
        json!({"name": "slow_compute", "arguments": {"seconds": 60, "label": "long"}}),
    )
    .await;
    let id = task_id(&long);
    let ack = send(url, None, "tasks/cancel", json!({"taskId": id})).await;
    assert_eq!(ack["result"], json!({"resultType": "complete"}));
    let cancelled = poll(url, None, &id, terminal).await;
    assert_eq!(cancelled["status"], "cancelled");
    let unknown = send(url, None, "tasks/get", json!({"taskId": "no-such-task"})).await;
    assert_eq!(unknown["error"]["code"], -32602);
}

/// A task is its creator's: a client with another API key gets "not found"
/// for it, the same answer as for an id that never existed, and cannot
/// cancel it; the creator polls it from a new connection after its first
/// one is gone.
#[tokio::test]
async fn only_the_creators_key_sees_a_task_and_it_survives_the_connection() {
    let server = fixtures_with(TaskLimits::default()).await;
    let url = &server.url;
    let created = send(
        url,
        Some(KEY),
        "tools/call",
        json!({"name": "slow_compute", "arguments": {"seconds": 0.5, "label": "mine"}}),
    )
    .await;
    let id = task_id(&created);
    let stranger = send(url, Some(OTHER), "tasks/get", json!({"taskId": id})).await;
    assert_eq!(stranger["error"]["code"], -32602);
    assert_eq!(
        stranger["error"]["message"],
        format!("task not found: {id}")
    );
    let cancel = send(url, Some(OTHER), "tasks/cancel", json!({"taskId": id})).await;
    assert_eq!(cancel["error"]["code"], -32602);
    // Each `send` is a new connection: the one that created the task is
    // closed, and the task went on.
    let done = poll(url, Some(KEY), &id, terminal).await;
    assert_eq!(done["status"], "completed");
}

/// Clients that start thousands of tasks and never come back leave the
/// store within its bounds: the oldest finished tasks are evicted first and
/// their ids say so ("evicted … run the tool again"), a task whose TTL
/// passed says it expired, and nothing of one key is visible to the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandoned_tasks_are_evicted_and_expire_within_the_bounds() {
    let limits = TaskLimits {
        ttl: Duration::from_secs(1),
        max_per_client: 20,
        max_bytes_per_client: 4_000,
        max_total: 30,
        ..TaskLimits::default()
    };
    let server = fixtures_with(limits).await;
    let url = &server.url;
    let store = server.server.mcp.tasks();
    let mut first: Vec<(String, &str)> = Vec::new();
    let mut last = (String::new(), KEY);
    for round in 0..2000 {
        let key = if round % 2 == 0 { KEY } else { OTHER };
        let answer = send(
            url,
            Some(key),
            "tools/call",
            json!({"name": "slow_compute", "arguments": {"seconds": 0.001, "label": format!("n{round}")}}),
        )
        .await;
        let (count, bytes) = store.usage();
        assert!(
            count <= 30 && bytes <= 8_000,
            "{count} tasks, {bytes} bytes"
        );
        if answer["result"]["resultType"] == "task" {
            let id = task_id(&answer);
            if first.len() < 4 {
                first.push((id.clone(), key));
            }
            last = (id, key);
        } else if answer["result"]["isError"] == true {
            // Refused only while all of that key's tasks still ran.
            let text = answer["result"]["content"][0]["text"]
                .as_str()
                .unwrap_or("");
            assert!(text.contains("wait for one to finish"), "{answer}");
        } else {
            // Done at the first poll: answered in the request (the
            // immediate-result shortcut), no task kept.
            assert_eq!(answer["result"]["resultType"], "complete", "{answer}");
        }
    }
    for (id, key) in &first {
        let gone = send(url, Some(key), "tasks/get", json!({"taskId": id})).await;
        let message = gone["error"]["message"].as_str().unwrap_or("");
        assert!(
            message.contains("was evicted") && message.contains("run the tool again"),
            "{gone}"
        );
    }
    let (id, key) = &last;
    let other = if *key == KEY { OTHER } else { KEY };
    let stranger = send(url, Some(other), "tasks/get", json!({"taskId": id})).await;
    assert_eq!(
        stranger["error"]["message"],
        format!("task not found: {id}")
    );
    let done = poll(url, Some(key), id, terminal).await;
    assert_eq!(done["status"], "completed");
    let expired = poll_error(url, Some(key), id).await;
    assert!(expired.contains("expired"), "{expired}");
    let stranger = send(url, Some(other), "tasks/get", json!({"taskId": id})).await;
    assert_eq!(
        stranger["error"]["message"],
        format!("task not found: {id}")
    );
}

/// `tasks/get` until it answers an error; its message.
async fn poll_error(url: &str, key: Option<&str>, id: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let answer = send(url, key, "tasks/get", json!({"taskId": id})).await;
        if let Some(message) = answer["error"]["message"].as_str() {
            return message.to_string();
        }
        assert!(Instant::now() < deadline, "task {id} never expired");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// On the real R engine, `linear_model` as a task gives what the direct
/// call gives (the slope of mpg ~ wt is R's -5.344); a long
/// `random_forest` task cancelled while R runs settles to `cancelled`, R is
/// interrupted within a couple of seconds, and the next call is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_tools_run_as_tasks_on_r_and_cancel_interrupts_r() {
    let server = TestServer::catalog(engine()).await;
    let url = &server.url;
    let arguments = json!({"data": mtcars(), "formula": "mpg ~ wt"});
    let mut direct = json!({"name": "linear_model", "arguments": arguments});
    let direct = send_with(url, None, "tools/call", &mut direct, false).await;
    assert_eq!(direct["result"]["resultType"], "complete");
    let created = send(
        url,
        None,
        "tools/call",
        json!({"name": "linear_model", "arguments": arguments}),
    )
    .await;
    let done = poll(url, None, &task_id(&created), terminal).await;
    assert_eq!(done["status"], "completed", "{done}");
    let slope = done["result"]["structuredContent"]["coefficients"]["wt"]
        .as_f64()
        .expect("slope");
    assert!((slope - -5.344).abs() < 1e-3, "{slope}");
    assert_eq!(
        done["result"]["structuredContent"],
        direct["result"]["structuredContent"]
    );

    let rows = 20_000;
    let column = |shift: f64| -> Vec<f64> {
        (0..rows)
            .map(|i| ((i as f64 * 0.7919 + shift).sin() * 1000.0).fract())
            .collect()
    };
    let mut data = serde_json::Map::new();
    for (index, name) in ["x1", "x2", "x3", "x4", "x5", "y"].iter().enumerate() {
        data.insert((*name).to_string(), json!(column(index as f64)));
    }
    let long = send(
        url,
        None,
        "tools/call",
        json!({"name": "random_forest", "arguments": {"data": data, "formula": "y ~ .", "n_trees": 1000}}),
    )
    .await;
    let id = task_id(&long);
    // Let R get going before the client changes its mind.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        send(url, None, "tasks/get", json!({"taskId": id})).await["result"]["status"],
        "working"
    );
    let cancelled_at = Instant::now();
    send(url, None, "tasks/cancel", json!({"taskId": id})).await;
    assert_eq!(poll(url, None, &id, terminal).await["status"], "cancelled");
    let mut next = json!({"name": "linear_model", "arguments": arguments});
    let next = send_with(url, None, "tools/call", &mut next, false).await;
    let waited = cancelled_at.elapsed();
    assert_eq!(next["result"]["isError"], false, "{next}");
    assert!(
        waited < Duration::from_secs(5),
        "R was stopped after {waited:?}"
    );
}

/// A client of 2025-11-25 that declared the extension at `initialize` gets
/// tasks in its session; another session cannot see them, and ending the
/// session cancels them.
#[tokio::test]
async fn an_older_session_owns_its_tasks() {
    let server = TestServer::start(None, None, |_| {}).await;
    let mut client = Client::new(&server.url);
    let initialized = client
        .initialize(json!({"elicitation": {}, "extensions": {TASKS: {}}}))
        .await;
    assert!(initialized["capabilities"]["extensions"][TASKS].is_object());
    let created = client
        .request(
            "tools/call",
            json!({"name": "slow_compute", "arguments": {"seconds": 60, "label": "old"}}),
        )
        .await;
    let id = task_id(&created);
    let got = client.request("tasks/get", json!({"taskId": id})).await;
    assert_eq!(got["result"]["status"], "working");
    let mut stranger = Client::new(&server.url);
    stranger
        .initialize(json!({"extensions": {TASKS: {}}}))
        .await;
    let hidden = stranger.request("tasks/get", json!({"taskId": id})).await;
    assert_eq!(hidden["error"]["code"], -32602);
    let mut plain = Client::new(&server.url);
    plain.initialize(json!({})).await;
    let gated = plain.request("tasks/get", json!({"taskId": id})).await;
    assert_eq!(gated["error"]["code"], -32021);
    let (before, _) = server.server.mcp.tasks().usage();
    let session = client.session.clone().expect("a session");
    client
        .http
        .delete(&client.url)
        .header("mcp-session-id", session)
        .header("mcp-protocol-version", "2025-11-25")
        .send()
        .await
        .expect("delete");
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.server.mcp.tasks().usage().0 >= before {
        assert!(Instant::now() < deadline, "the session's task outlived it");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Free-form R as a task on 2026-07-28: `execute_r_analysis` answers with a
/// task, its worker outlives the request that created it and computes the
/// answer (42); the workspace handle in the task's result outlives the task
/// (a later task with it sees the object); a long computation cancelled
/// settles to `cancelled` and its worker lets go, and the next task is
/// served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn free_form_r_runs_as_a_task_and_cancels() {
    let harness = support::workers::start(support::workers::test_config("tasks")).await;
    let url = &harness.server.url;
    let run = |code: &str| {
        json!({"name": "execute_r_analysis",
               "arguments": {"r_code": code, "description": "task", "timeout_seconds": 60}})
    };
    let created = send(
        url,
        None,
        "tools/call",
        run("Sys.sleep(0.5); result <- 6 * 7"),
    )
    .await;
    let done = poll(url, None, &task_id(&created), terminal).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(
        done["result"]["structuredContent"]["result"],
        json!(42),
        "{done}"
    );
    let handle = done["result"]["structuredContent"]["workspace"]
        .as_str()
        .unwrap_or_else(|| panic!("no workspace handle: {done}"))
        .to_string();
    let mut again = run("result <- result + 1");
    again["arguments"]["workspace"] = json!(handle);
    let again = send(url, None, "tools/call", again).await;
    let again = poll(url, None, &task_id(&again), terminal).await;
    assert_eq!(
        again["result"]["structuredContent"]["result"],
        json!(43),
        "{again}"
    );
    assert_eq!(
        again["result"]["structuredContent"]["workspace"],
        json!(handle)
    );

    let long = send(url, None, "tools/call", run("Sys.sleep(30); result <- 1")).await;
    let id = task_id(&long);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let cancelled_at = Instant::now();
    send(url, None, "tasks/cancel", json!({"taskId": id})).await;
    assert_eq!(poll(url, None, &id, terminal).await["status"], "cancelled");
    let next = send(url, None, "tools/call", run("result <- 2 + 2")).await;
    let next = poll(url, None, &task_id(&next), terminal).await;
    assert_eq!(
        next["result"]["structuredContent"]["result"],
        json!(4),
        "{next}"
    );
    assert!(cancelled_at.elapsed() < Duration::from_secs(10));
}

/// Over stdio (`rmcp start`), a 2026-07-28 client gets tasks too: one
/// request creates it, later ones on the same connection poll it to its
/// result; the connection's end stops what still runs, and `rmcp` exits.
#[test]
fn stdio_clients_get_tasks_until_they_hang_up() {
    let mut server = support::stdio::StdioServer::start(|command| {
        command.arg("--conformance-fixtures");
    });
    let with_meta = |mut params: Value| {
        params["_meta"] = meta(json!({"extensions": {TASKS: {}}}));
        params
    };
    let (created, _) = server.request(
        "tools/call",
        with_meta(json!({"name": "slow_compute", "arguments": {"seconds": 0.3, "label": "stdio"}})),
    );
    let id = task_id(&created);
    let deadline = Instant::now() + Duration::from_secs(30);
    let done = loop {
        let (task, _) = server.request("tasks/get", with_meta(json!({"taskId": id})));
        if terminal(&task["result"]) {
            break task["result"].clone();
        }
        assert!(Instant::now() < deadline, "{task}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(
        done["result"]["content"][0]["text"],
        "slow_compute stdio done after 0.3 s"
    );
    let (long, _) = server.request(
        "tools/call",
        with_meta(json!({"name": "slow_compute", "arguments": {"seconds": 600}})),
    );
    task_id(&long);
    let hung_up = Instant::now();
    server.finish();
    assert!(
        hung_up.elapsed() < Duration::from_secs(10),
        "a running task held the exit"
    );
}
