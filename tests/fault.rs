//! Faults an operator meets: R busy with a long job while clients keep
//! asking (health and lists answer at once; with one engine a queued call
//! waits, with two the other engine answers it at once; a call queued
//! behind busy engines times out cleanly when its deadline passes first),
//! SIGTERM while calls are in flight (they finish, or are cancelled cleanly
//! past the grace period, and the process exits 0), and a crash (`kill -9`)
//! under a supervisor that restarts the binary on the same port, as
//! systemd's `Restart=always` does (the engine processes die with it). The
//! binary runs with two R engines (the in-process R and an `rmcp engine`
//! process), as shipped on two CPUs; the in-process engine's own queue has
//! its one-engine cases.

mod support {
    pub mod client;
    pub mod server;
}

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use rmcp_server::engines::{EnginePool, EngineState};
use rmcp_server::r::{EngineConfig, EngineError, Job, RHandle};
use rmcp_server::server::Server;
use rmcp_server::worker::WorkerConfig;
use serde_json::{json, Value};
use support::client::{answer_messages, eventually, Client};
use support::server::{settings, TestServer};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_util::sync::CancellationToken;

/// The in-process engine's default deadline: a catalog call still queued
/// this long after it was sent is answered with a timeout.
const CALL_LIMIT: Duration = Duration::from_secs(3);

/// This test binary's engine (R starts once per process).
fn engine() -> RHandle {
    static ENGINE: OnceLock<RHandle> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            RHandle::start(EngineConfig {
                default_timeout: CALL_LIMIT,
                ..EngineConfig::default()
            })
            .expect("R starts")
        })
        .clone()
}

/// The in-process tests share the one R thread: one at a time, so "R is
/// busy" means this test's long job.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The server as shipped without free-form R, on the in-process engine
/// alone (`RMCP_R_ENGINES=1`): one queue, in the R thread.
async fn server() -> TestServer {
    let engine = engine();
    eventually("R to be idle", || engine.health().running_for_ms.is_none()).await;
    TestServer::catalog(engine).await
}

/// R engines of the pooled server and of the binary: the in-process R and
/// one `rmcp engine` process, as shipped on two CPUs.
const ENGINES: usize = 2;

/// The server as shipped without free-form R on [`ENGINES`] engines, once
/// every engine is ready, and its pool.
async fn pooled_server(name: &str) -> (TestServer, EnginePool) {
    let engine = engine();
    eventually("R to be idle", || engine.health().running_for_ms.is_none()).await;
    let workers = WorkerConfig {
        binary: PathBuf::from(env!("CARGO_BIN_EXE_rmcp")),
        engines: ENGINES,
        memory_mb: 1024,
        kill_grace: Duration::from_secs(1),
        log_level: "warn".into(),
        base_dir: std::env::temp_dir()
            .join(format!("rmcp-fault-engines-{}-{name}", std::process::id())),
        ..WorkerConfig::default()
    };
    let server = Server::builder(settings(workers))
        .engine(engine)
        .without_free_form_r()
        .build()
        .expect("server builds");
    let pool = server.engines.clone().expect("the catalog's engines");
    // Bounded: the engine process starts its own R, on a loaded machine.
    let deadline = Instant::now() + Duration::from_secs(90);
    while !pool
        .health()
        .engines
        .iter()
        .all(|engine| engine.state == EngineState::Idle)
    {
        assert!(
            Instant::now() < deadline,
            "the engines never became ready: {:?}",
            pool.health()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (TestServer::serve(server, |_| {}).await, pool)
}

/// Engine `index`'s state in a `/health` body.
fn engine_state(health: &Value, index: usize) -> &str {
    health["engines"]["engines"][index]["state"]
        .as_str()
        .unwrap_or("")
}

/// summary_stats of mtcars' mpg (R: mean 20.09062).
fn mpg_summary() -> Value {
    json!({"name": "summary_stats", "arguments": {"data": {"mpg": [
        21.0, 21.0, 22.8, 21.4, 18.7, 18.1, 14.3, 24.4, 22.8, 19.2, 17.8, 16.4, 17.3, 15.2, 10.4, 10.4,
        14.7, 32.4, 30.4, 33.9, 21.5, 15.5, 15.2, 13.3, 19.2, 27.3, 26.0, 30.4, 15.8, 19.7, 15.0, 21.4]}}})
}

fn assert_mpg_mean(reply: &Value) {
    let result = &reply["result"];
    assert_eq!(result["isError"], json!(false), "{reply}");
    let mean = result["structuredContent"]["statistics"]["mpg"]["mean"]
        .as_f64()
        .expect("mean");
    assert!((mean - 20.09062).abs() < 1e-5, "{mean}");
}

fn text(reply: &Value) -> String {
    reply["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

async fn get_health(base: &str) -> (Duration, u16, Value) {
    let started = Instant::now();
    let response = reqwest::get(format!("{base}/health"))
        .await
        .expect("health");
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("json");
    (started.elapsed(), status, body)
}

/// One engine (the in-process R alone): while R runs a long job, /health
/// and tools/list answer at once, and another session's catalog call waits
/// in the queue, then gets R's answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_r_thread_leaves_health_and_lists_responsive() {
    let _serial = SERIAL.lock().await;
    let server = server().await;
    let mut lister = Client::new(&server.url);
    lister.initialize(json!({})).await;
    let mut caller = Client::new(&server.url);
    caller.initialize(json!({})).await;
    assert_mpg_mean(&caller.request("tools/call", mpg_summary()).await);

    let engine = engine();
    // R cannot finish the long job before this plus its 2 s sleep.
    let long_sent = Instant::now();
    let long = tokio::spawn({
        let engine = engine.clone();
        async move {
            engine
                .eval(Job::eval("Sys.sleep(2); 'slept'").with_timeout(Duration::from_secs(30)))
                .await
        }
    });
    eventually("R to run the long job", || {
        engine.health().running_for_ms.is_some()
    })
    .await;

    let (elapsed, status, health) = get_health(&server.base).await;
    assert_eq!(status, 200);
    assert_eq!(health["status"], "healthy");
    assert!(health["r"]["running_for_ms"].is_u64(), "{health}");
    assert!(elapsed < Duration::from_secs(1), "/health took {elapsed:?}");

    let started = Instant::now();
    let listed = lister.request("tools/list", json!({})).await;
    let elapsed = started.elapsed();
    let tools = listed["result"]["tools"].as_array().expect("tools");
    assert!(tools.iter().any(|tool| tool["name"] == "linear_model"));
    assert!(
        elapsed < Duration::from_secs(1),
        "tools/list took {elapsed:?}"
    );

    let queued = tokio::spawn(async move {
        let reply = caller.request("tools/call", mpg_summary()).await;
        (reply, Instant::now())
    });
    eventually("the call to queue behind the long job", || {
        engine.health().jobs_queued == 1
    })
    .await;
    let (elapsed, status, health) = get_health(&server.base).await;
    assert_eq!(status, 200);
    assert_eq!(health["r"]["jobs_queued"], 1, "{health}");
    assert!(elapsed < Duration::from_secs(1), "/health took {elapsed:?}");

    let slept = long.await.expect("long job");
    assert_eq!(slept.expect("the long job finishes").value, json!("slept"));
    let (reply, call_done) = tokio::time::timeout(Duration::from_secs(20), queued)
        .await
        .expect("the queued call answers")
        .expect("task");
    assert_mpg_mean(&reply);
    // Compared with when R must have finished the long job, not with when
    // its waiting task happened to run again (the queued call's own answer
    // can come first).
    assert!(
        call_done >= long_sent + Duration::from_secs(2),
        "the call ran after the long job"
    );
}

/// One engine: a call still queued when its deadline passes is answered
/// with an isError result telling the client to retry (a tool failure, not
/// a JSON-RPC error), while R is still busy; the expired job never runs,
/// and once R is free the next call succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_queued_past_its_deadline_times_out_cleanly() {
    let _serial = SERIAL.lock().await;
    let server = server().await;
    let mut client = Client::new(&server.url);
    client.initialize(json!({})).await;
    assert_mpg_mean(&client.request("tools/call", mpg_summary()).await);

    let engine = engine();
    let before = engine.health();
    let stop = CancellationToken::new();
    let long = tokio::spawn({
        let engine = engine.clone();
        let stop = stop.clone();
        async move {
            engine
                .eval(
                    Job::eval("Sys.sleep(60)")
                        .with_timeout(Duration::from_secs(120))
                        .with_cancel(stop),
                )
                .await
        }
    });
    eventually("R to run the long job", || {
        engine.health().running_for_ms.is_some()
    })
    .await;

    let started = Instant::now();
    let reply = client.request("tools/call", mpg_summary()).await;
    let elapsed = started.elapsed();
    assert!(reply.get("error").is_none(), "{reply}");
    assert_eq!(reply["result"]["isError"], json!(true), "{reply}");
    let message = text(&reply);
    assert!(
        message.starts_with("summary_stats: ") && message.contains("exceeded its time limit"),
        "{message}"
    );
    assert!(
        elapsed >= CALL_LIMIT - Duration::from_millis(50) && elapsed < CALL_LIMIT * 2,
        "answered after {elapsed:?}"
    );
    assert!(
        engine.health().running_for_ms.is_some(),
        "answered while R is still busy"
    );
    let (_, status, health) = get_health(&server.base).await;
    assert_eq!((status, health["status"].clone()), (200, json!("healthy")));

    stop.cancel();
    let stopped = long.await.expect("long job");
    assert_eq!(stopped, Err(EngineError::Cancelled));
    eventually("the expired job to be dropped", || {
        engine.health().jobs_timed_out == before.jobs_timed_out + 1
    })
    .await;
    let after = engine.health();
    assert_eq!(
        after.jobs_done, before.jobs_done,
        "the expired job never ran"
    );
    assert_eq!(after.jobs_cancelled, before.jobs_cancelled + 1);
    assert_mpg_mean(&client.request("tools/call", mpg_summary()).await);
}

/// Two engines: while the in-process engine runs a long job, /health and
/// tools/list answer at once and show it busy, and another session's
/// catalog call does not wait for it: the engine process answers it
/// correctly while the long job still runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_engine_leaves_quick_calls_to_the_other() {
    let _serial = SERIAL.lock().await;
    let (server, pool) = pooled_server("busy").await;
    let mut lister = Client::new(&server.url);
    lister.initialize(json!({})).await;
    let mut caller = Client::new(&server.url);
    caller.initialize(json!({})).await;
    assert_mpg_mean(&caller.request("tools/call", mpg_summary()).await);

    let long = tokio::spawn({
        let pool = pool.clone();
        async move {
            pool.eval(Job::eval("Sys.sleep(6); 'slept'").with_timeout(Duration::from_secs(30)))
                .await
        }
    });
    eventually("engine 0 to run the long job", || {
        pool.health().engines[0].state == EngineState::Busy
    })
    .await;

    let (elapsed, status, health) = get_health(&server.base).await;
    assert_eq!(status, 200);
    assert_eq!(health["status"], "healthy");
    assert_eq!(engine_state(&health, 0), "busy", "{health}");
    assert_eq!(engine_state(&health, 1), "idle", "{health}");
    assert!(elapsed < Duration::from_secs(1), "/health took {elapsed:?}");
    let started = Instant::now();
    let listed = lister.request("tools/list", json!({})).await;
    assert!(listed["result"]["tools"].is_array(), "{listed}");
    assert!(started.elapsed() < Duration::from_secs(1));

    let before = pool.health().engines[1].jobs;
    let sent = Instant::now();
    let reply = caller.request("tools/call", mpg_summary()).await;
    let waited = sent.elapsed();
    assert_mpg_mean(&reply);
    // Loose for a loaded machine; the long job has seconds left.
    assert!(
        !long.is_finished(),
        "the call waited for the long job ({waited:?})"
    );
    assert!(waited < Duration::from_secs(3), "the call took {waited:?}");
    assert_eq!(pool.health().engines[1].jobs, before + 1, "engine 1 ran it");
    let slept = long.await.expect("long job");
    assert_eq!(slept.expect("the long job finishes").value, json!("slept"));
}

/// Two engines, both busy: a call queued past its deadline is answered
/// with an isError timeout while both still run; it never reaches an
/// engine, the queue empties, and once an engine is free the next call
/// succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_queued_behind_busy_engines_times_out_cleanly() {
    let _serial = SERIAL.lock().await;
    let (server, pool) = pooled_server("queued").await;
    let mut client = Client::new(&server.url);
    client.initialize(json!({})).await;
    assert_mpg_mean(&client.request("tools/call", mpg_summary()).await);

    let jobs = |pool: &EnginePool| pool.health().engines.iter().map(|e| e.jobs).sum::<u64>();
    let before = jobs(&pool);
    let stop = CancellationToken::new();
    let sleepers: Vec<_> = (0..ENGINES)
        .map(|_| {
            let pool = pool.clone();
            let stop = stop.clone();
            tokio::spawn(async move {
                pool.eval(
                    Job::eval("Sys.sleep(60)")
                        .with_timeout(Duration::from_secs(120))
                        .with_cancel(stop),
                )
                .await
            })
        })
        .collect();
    eventually("both engines to run a long job", || {
        pool.health()
            .engines
            .iter()
            .all(|engine| engine.state == EngineState::Busy)
    })
    .await;

    let call = tokio::spawn({
        let client = client.clone();
        async move {
            let started = Instant::now();
            let reply = client.request("tools/call", mpg_summary()).await;
            (reply, started.elapsed())
        }
    });
    eventually("the call to queue", || pool.health().queued == 1).await;
    let (_, status, health) = get_health(&server.base).await;
    assert_eq!(status, 200);
    assert_eq!(health["engines"]["queued"], 1, "{health}");
    let (reply, elapsed) = call.await.expect("call task");
    assert!(reply.get("error").is_none(), "{reply}");
    assert_eq!(reply["result"]["isError"], json!(true), "{reply}");
    let message = text(&reply);
    assert!(
        message.starts_with("summary_stats: ") && message.contains("exceeded its time limit"),
        "{message}"
    );
    assert!(
        elapsed >= CALL_LIMIT - Duration::from_millis(50) && elapsed < CALL_LIMIT * 2,
        "answered after {elapsed:?}"
    );
    let health = pool.health();
    assert_eq!(health.queued, 0, "{health:?}");
    assert!(
        health.engines.iter().all(|e| e.state == EngineState::Busy),
        "answered while both engines are still busy: {health:?}"
    );

    stop.cancel();
    for sleeper in sleepers {
        let stopped = sleeper.await.expect("sleeper");
        assert_eq!(stopped, Err(EngineError::Cancelled));
    }
    // Bounded: a cancelled engine process lets go, or is replaced.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !pool
        .health()
        .engines
        .iter()
        .all(|engine| engine.state == EngineState::Idle)
    {
        assert!(Instant::now() < deadline, "{:?}", pool.health());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        jobs(&pool),
        before + ENGINES as u64,
        "the expired call never ran"
    );
    assert_mpg_mean(&client.request("tools/call", mpg_summary()).await);
}

/// A running `rmcp serve-http` child, killed when dropped.
struct Binary {
    child: tokio::process::Child,
    /// `http://127.0.0.1:<port>`.
    base: String,
    port: u16,
    /// Its log (stderr), for failure messages and shutdown checks.
    log: Arc<Mutex<Vec<String>>>,
    /// Its private working directory (the file sandbox's root).
    dir: std::path::PathBuf,
}

impl Binary {
    /// Starts the binary on `port` (0: any free port) and waits until it
    /// says where it serves.
    async fn start(name: &str, port: u16, grace_seconds: f64, engines: usize) -> Binary {
        let dir = std::env::temp_dir().join(format!("rmcp-fault-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("working directory");
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_rmcp"))
            .args(["serve-http", "--host", "127.0.0.1", "--port"])
            .arg(port.to_string())
            .args(["--workers", "0", "--rate-limit", "0", "--log-level", "info"])
            .arg("--r-engines")
            .arg(engines.to_string())
            .arg("--shutdown-grace")
            .arg(grace_seconds.to_string())
            .env_remove("RMCP_API_KEY")
            .env_remove("RMCP_HTTP_HOST")
            .env_remove("RMCP_HTTP_PORT")
            .current_dir(&dir)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("rmcp starts");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (address_sender, address) = tokio::sync::oneshot::channel();
        tokio::spawn({
            let log = Arc::clone(&log);
            async move {
                let mut address_sender = Some(address_sender);
                let mut lines = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(rest) = line.split_once("serving MCP on http://").map(|(_, r)| r) {
                        let address = rest.split('/').next().unwrap_or("").to_string();
                        if let Some(sender) = address_sender.take() {
                            let _ = sender.send(address);
                        }
                    }
                    log.lock().expect("log").push(line);
                }
            }
        });
        let address = match tokio::time::timeout(Duration::from_secs(60), address).await {
            Ok(Ok(address)) => address,
            _ => panic!(
                "rmcp did not report its address: {:?}",
                log.lock().expect("log")
            ),
        };
        let port = address
            .rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .expect("a port");
        let binary = Binary {
            child,
            base: format!("http://{address}"),
            port,
            log,
            dir,
        };
        // Bounded: engine processes start their own R, on a loaded machine.
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let (_, _, health) = get_health(&binary.base).await;
            let states = health["engines"]["engines"].as_array().cloned();
            if states.as_ref().is_some_and(|states| {
                states.len() == engines && states.iter().all(|e| e["state"] == "idle")
            }) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the engines never became ready: {health}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        binary
    }

    fn url(&self) -> String {
        format!("{}/mcp", self.base)
    }

    /// Sends `signal` (`TERM`, `KILL`) with kill(1): no unsafe code in tests.
    fn signal(&self, signal: &str) {
        let pid = self.child.id().expect("still running");
        let status = std::process::Command::new("kill")
            .args(["-s", signal, &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -s {signal} {pid}: {status}");
    }

    /// Waits for the process to exit.
    async fn exit(&mut self, limit: Duration) -> std::process::ExitStatus {
        match tokio::time::timeout(limit, self.child.wait()).await {
            Ok(status) => status.expect("wait"),
            Err(_) => panic!(
                "rmcp still running after {limit:?}; log: {:?}",
                self.log.lock().expect("log")
            ),
        }
    }

    fn logged(&self, needle: &str) -> bool {
        self.log
            .lock()
            .expect("log")
            .iter()
            .any(|line| line.contains(needle))
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A random forest that keeps R busy for a noticeable fraction of a second
/// (1500 rows, 150 trees). The catalog seeds it, so every call gives the
/// same answer.
fn slow_forest() -> Value {
    let rows = 1500;
    let x1: Vec<f64> = (1..=rows).map(|i| f64::from(i).sin()).collect();
    let x2: Vec<f64> = (1..=rows).map(|i| (f64::from(i) * 0.7).cos()).collect();
    let x3: Vec<f64> = (1..=rows).map(|i| f64::from(i % 13) / 13.0).collect();
    let y: Vec<f64> = (0..rows as usize)
        .map(|k| x1[k] + 2.0 * x2[k] + f64::from(k as i32 % 7) / 10.0)
        .collect();
    json!({"name": "random_forest", "arguments": {
        "data": {"x1": x1, "x2": x2, "x3": x3, "y": y},
        "formula": "y ~ x1 + x2 + x3",
        "n_trees": 150,
    }})
}

/// Sends `params` as tools/call `id`, as JSON or on an event stream;
/// returns the HTTP status and the JSON-RPC response (if any).
async fn send_call(client: &Client, id: i64, params: &Value, stream: bool) -> (u16, Option<Value>) {
    let body = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params});
    let accept = if stream {
        "application/json, text/event-stream"
    } else {
        "application/json"
    };
    let response = match client.post(&body, accept).send().await {
        Ok(response) => response,
        Err(_) => return (0, None),
    };
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    let reply = if stream {
        answer_messages(&text).into_iter().find(|m| m["id"] == id)
    } else {
        serde_json::from_str(&text).ok()
    };
    (status, reply)
}

/// Starts `count` slow forest calls from `sessions` sessions (half JSON,
/// half event streams) and waits until the server has all of them, one
/// running in R and the rest in flight.
async fn load(
    binary: &Binary,
    sessions: usize,
    count: usize,
) -> Vec<tokio::task::JoinHandle<(u16, Option<Value>)>> {
    let mut clients = Vec::new();
    for _ in 0..sessions {
        let mut client = Client::new(&binary.url());
        client.initialize(json!({})).await;
        clients.push(client);
    }
    let (_, _, before) = get_health(&binary.base).await;
    let done_before = engine_jobs(&before);
    let forest = Arc::new(slow_forest());
    let calls: Vec<_> = (0..count)
        .map(|index| {
            let client = clients[index % sessions].clone();
            let forest = Arc::clone(&forest);
            tokio::spawn(async move {
                send_call(&client, 100 + index as i64, &forest, index % 2 == 1).await
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, _, health) = get_health(&binary.base).await;
        let running = busy_engines(&health);
        let seen = engine_jobs(&health) - done_before
            + health["engines"]["queued"].as_u64().unwrap_or(0)
            + running;
        if running > 0 && seen >= count as u64 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the load never arrived: {health}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    calls
}

/// Calls every engine in a `/health` body let go of.
fn engine_jobs(health: &Value) -> u64 {
    health["engines"]["engines"]
        .as_array()
        .map(|engines| engines.iter().filter_map(|e| e["jobs"].as_u64()).sum())
        .unwrap_or(0)
}

/// Engines in a `/health` body running a call now.
fn busy_engines(health: &Value) -> u64 {
    health["engines"]["engines"]
        .as_array()
        .map(|engines| engines.iter().filter(|e| e["state"] == "busy").count() as u64)
        .unwrap_or(0)
}

/// The answer to one slow forest call, from a session of its own.
async fn forest_reference(binary: &Binary) -> Value {
    let mut client = Client::new(&binary.url());
    client.initialize(json!({})).await;
    let reply = client.request("tools/call", slow_forest()).await;
    assert_eq!(reply["result"]["isError"], json!(false), "{reply}");
    assert_eq!(reply["result"]["structuredContent"]["n_obs"], json!(1500));
    reply["result"]["structuredContent"].clone()
}

/// SIGTERM while six slow calls are queued and running on both engines:
/// every call gets its full, correct answer (the same from either engine),
/// a request after the signal is refused (503 with a JSON-RPC error, or no
/// connection), and the process exits 0 well within the grace period.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_finishes_the_calls_in_flight_and_exits_zero() {
    let grace = Duration::from_secs(20);
    let mut binary = Binary::start("sigterm", 0, grace.as_secs_f64(), ENGINES).await;
    let reference = forest_reference(&binary).await;
    let mut late = Client::new(&binary.url());
    late.initialize(json!({})).await;
    let calls = load(&binary, 3, 6).await;

    let signalled = Instant::now();
    binary.signal("TERM");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !binary.logged("shutting down: no new requests") {
        assert!(Instant::now() < deadline, "SIGTERM was not noticed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    if let Ok(refused) = late.post(&ping, "application/json").send().await {
        assert_eq!(refused.status(), 503);
        let body: Value = refused.json().await.expect("json");
        assert_eq!(body["error"]["code"], -32000, "{body}");
    }

    for call in calls {
        let (status, reply) = call.await.expect("call task");
        assert_eq!(status, 200);
        let reply = reply.expect("a JSON-RPC response");
        assert_eq!(reply["result"]["isError"], json!(false), "{reply}");
        assert_eq!(reply["result"]["structuredContent"], reference);
    }
    let status = binary.exit(grace).await;
    assert!(status.success(), "{status}");
    let took = signalled.elapsed();
    eprintln!("sigterm: 6 calls answered, exit 0 {took:?} after the signal");
    assert!(took < grace, "exited {took:?} after SIGTERM");
}

/// SIGTERM with a grace period shorter than the work in flight: the calls
/// that finish in time get their answer, the rest are cancelled with an
/// isError result (R is interrupted: the in-process R is aborted, an engine
/// process is sent a cancel frame), and the process still exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_past_the_grace_period_cancels_cleanly_and_exits_zero() {
    sigterm_past_the_grace_period(ENGINES).await;
}

/// The same with the in-process engine alone (`--r-engines 1`): its own
/// queue and R's interrupt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_past_the_grace_period_on_one_engine_cancels_cleanly_and_exits_zero() {
    sigterm_past_the_grace_period(1).await;
}

async fn sigterm_past_the_grace_period(engines: usize) {
    let grace = Duration::from_millis(500);
    let mut binary =
        Binary::start(&format!("grace-{engines}"), 0, grace.as_secs_f64(), engines).await;
    let reference = forest_reference(&binary).await;
    let calls = load(&binary, 2, 8).await;

    let signalled = Instant::now();
    binary.signal("TERM");
    let (mut finished, mut cancelled) = (0, 0);
    for call in calls {
        let (status, reply) = call.await.expect("call task");
        assert_eq!(status, 200);
        let reply = reply.expect("a JSON-RPC response");
        if reply["result"]["isError"] == json!(true) {
            assert!(text(&reply).contains("cancelled"), "{reply}");
            cancelled += 1;
        } else {
            assert_eq!(reply["result"]["structuredContent"], reference);
            finished += 1;
        }
    }
    assert!(cancelled > 0, "{finished} finished, none cancelled");
    // The grace period, then at most the engine's and runtime's own bounded
    // waits (an interrupted R lets go within milliseconds).
    let status = binary.exit(grace + Duration::from_secs(15)).await;
    assert!(status.success(), "{status}");
    let took = signalled.elapsed();
    eprintln!(
        "grace ({engines} engines): {finished} finished, {cancelled} cancelled, exit 0 {took:?} after the signal"
    );
    assert!(
        took < grace + Duration::from_secs(5),
        "exited {took:?} after SIGTERM"
    );
}

/// Whether process `pid` still runs (a zombie does not).
fn alive(pid: u64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/status")).is_ok_and(|status| {
        !status
            .lines()
            .any(|line| line.starts_with("State:") && line.contains('Z'))
    })
}

/// Like systemd's `Restart=always`: the server is killed (-9) while a call
/// runs, its engine process dies with it (no orphan keeps R running), the
/// supervisor starts it again on the same port, and within a few seconds it
/// is healthy and answers correctly. Sessions do not survive a
/// crash: the old session id gets 404 with a JSON-RPC error saying to
/// initialize again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_restarted_on_its_port_comes_back_healthy() {
    const RESTARTS: usize = 2;
    let mut binary = Binary::start("restart", 0, 5.0, ENGINES).await;
    let port = binary.port;
    let mut client = Client::new(&binary.url());
    client.initialize(json!({})).await;
    assert_mpg_mean(&client.request("tools/call", mpg_summary()).await);
    let supervision = Instant::now();
    for restart in 0..RESTARTS {
        assert!(
            supervision.elapsed() < Duration::from_secs(120),
            "supervision loop ran too long"
        );
        // Crash it mid-call.
        let crashed = {
            let client = client.clone();
            let forest = slow_forest();
            tokio::spawn(async move { send_call(&client, 7, &forest, false).await })
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        let engine_pids = loop {
            let (_, _, health) = get_health(&binary.base).await;
            if busy_engines(&health) > 0 {
                let pids: Vec<u64> = health["engines"]["engines"]
                    .as_array()
                    .expect("engines")
                    .iter()
                    .filter_map(|e| e["pid"].as_u64())
                    .collect();
                break pids;
            }
            assert!(Instant::now() < deadline, "the call never reached R");
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        assert_eq!(engine_pids.len(), ENGINES - 1, "engine processes");
        binary.signal("KILL");
        let status = binary.exit(Duration::from_secs(10)).await;
        assert!(!status.success(), "killed: {status}");
        // The engine processes die with the server (PR_SET_PDEATHSIG).
        let deadline = Instant::now() + Duration::from_secs(10);
        while engine_pids.iter().any(|pid| alive(*pid)) {
            assert!(
                Instant::now() < deadline,
                "engine processes {engine_pids:?} outlived the killed server"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let (status, reply) = crashed.await.expect("task");
        assert!(status == 0 && reply.is_none(), "{status} {reply:?}");

        // The supervisor starts it again on the same port.
        let restarted = Instant::now();
        let next = Binary::start(&format!("restart-{restart}"), port, 5.0, ENGINES).await;
        assert_eq!(next.port, port);
        let mut fresh = Client::new(&next.url());
        let (_, status, health) = get_health(&next.base).await;
        assert_eq!((status, health["status"].clone()), (200, json!("healthy")));
        fresh.initialize(json!({})).await;
        assert_mpg_mean(&fresh.request("tools/call", mpg_summary()).await);
        let took = restarted.elapsed();
        eprintln!("restart {restart}: healthy and correct {took:?} after the restart");
        assert!(
            took < Duration::from_secs(30),
            "restart {restart}: healthy and correct after {took:?}"
        );

        // The crashed process's session is gone (a fresh HTTP client, as the
        // old connections died with the process).
        let mut stale = Client::new(&next.url());
        stale.session = client.session.clone();
        let ping = json!({"jsonrpc": "2.0", "id": 2, "method": "ping"});
        let gone = stale
            .post(&ping, "application/json")
            .send()
            .await
            .expect("post");
        assert_eq!(gone.status(), 404);
        let body: Value = gone.json().await.expect("json");
        assert_eq!(body["id"], 2);
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("send initialize")),
            "{body}"
        );
        binary = next;
        client = fresh;
    }
    binary.signal("TERM");
    assert!(binary.exit(Duration::from_secs(20)).await.success());
}

/// The access log times a call to its answer, whether the answer came as
/// JSON or on an event stream (which the server opens before R has run):
/// each call's logged time is at least half what the client waited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_access_log_times_streamed_and_json_calls_to_their_answer() {
    let binary = Binary::start("access-log", 0, 5.0, ENGINES).await;
    let mut client = Client::new(&binary.url());
    client.initialize(json!({})).await;
    let forest = slow_forest();
    for (id, stream) in [(1, true), (2, false)] {
        let before = binary.log.lock().expect("log").len();
        let sent = Instant::now();
        let (status, reply) = send_call(&client, id, &forest, stream).await;
        let waited = sent.elapsed();
        assert_eq!(status, 200);
        assert_eq!(reply.expect("an answer")["result"]["isError"], json!(false));
        let deadline = Instant::now() + Duration::from_secs(10);
        let logged_ms = loop {
            let line = binary.log.lock().expect("log")[before..]
                .iter()
                .find(|line| line.contains("POST /mcp tools/call tool=random_forest 200 "))
                .cloned();
            if let Some(line) = line {
                let ms = line.rsplit(' ').next().and_then(|t| t.strip_suffix("ms"));
                break ms
                    .and_then(|ms| ms.parse::<f64>().ok())
                    .expect("a time in ms");
            }
            assert!(
                Instant::now() < deadline,
                "no access log line for call {id}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        let waited_ms = waited.as_secs_f64() * 1e3;
        assert!(
            logged_ms >= waited_ms / 2.0,
            "call {id} (stream: {stream}): logged {logged_ms} ms, the client waited {waited_ms:.1} ms"
        );
    }
}
