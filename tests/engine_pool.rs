//! The engine pool: catalog calls run on several R engines (the server's
//! own R thread and sandboxed `rmcp engine` processes), so one client's long
//! model never holds up another client's quick call; an engine that hangs
//! or dies is replaced without anyone else noticing; and seeded tools give
//! the same answer whichever engine runs them.

mod support {
    pub mod client;
    pub mod engine;
    pub mod server;
}

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmcp_server::engines::{EnginePool, EngineState, PoolHealth};
use rmcp_server::r::{EngineError, Job};
use rmcp_server::server::{Server, Settings};
use rmcp_server::vfs::{Vfs, VfsConfig};
use rmcp_server::worker::WorkerConfig;
use serde_json::{json, Value};
use support::client::Client;
use support::engine::engine;
use support::server::{settings, TestServer};

/// The tests share the test binary's one in-process R: one at a time, so
/// "engine 0 is busy" means this test's job.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Engine processes for tests: the built binary, a private folder.
fn engine_config(name: &str, engines: usize) -> WorkerConfig {
    WorkerConfig {
        binary: PathBuf::from(env!("CARGO_BIN_EXE_rmcp")),
        engines,
        memory_mb: 2048,
        kill_grace: Duration::from_secs(1),
        log_level: "warn".into(),
        base_dir: std::env::temp_dir()
            .join(format!("rmcp-test-engines-{}-{name}", std::process::id())),
        ..WorkerConfig::default()
    }
}

/// A pool of `engines` engines and the sandbox whose staging folder they share.
fn pool(name: &str, engines: usize) -> (EnginePool, Arc<Vfs>) {
    let vfs = Arc::new(Vfs::new(&VfsConfig::working_directory()).expect("sandbox"));
    let pool = EnginePool::start(engine(), &engine_config(name, engines), vfs.staging_dir());
    (pool, vfs)
}

/// The server as shipped (the catalog on the engine pool, prompts,
/// resources; no free-form R) on `engines` engines, with the file sandbox
/// `settings` describe, and its pool.
async fn shipped(settings: Settings) -> (TestServer, EnginePool) {
    let server = Server::builder(settings)
        .engine(engine())
        .without_free_form_r()
        .build()
        .expect("server builds");
    let pool = server.engines.clone().expect("the catalog's engines");
    (TestServer::serve(server, |_| {}).await, pool)
}

/// Waits (bounded; engine processes start R, under load) until `check`
/// holds for the pool's health.
async fn wait_for(pool: &EnginePool, what: &str, check: impl Fn(&PoolHealth) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let health = pool.health();
        if check(&health) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {health:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn all_ready(health: &PoolHealth) -> bool {
    health
        .engines
        .iter()
        .all(|engine| engine.state == EngineState::Idle)
}

/// Keeps engine 0 (the in-process R) busy for `seconds`, so the next calls
/// go to an engine process.
async fn occupy_engine_zero(pool: &EnginePool, seconds: f64) -> tokio::task::JoinHandle<()> {
    let busy = pool.clone();
    let task = tokio::spawn(async move {
        let job = Job::eval(format!("Sys.sleep({seconds}); 'slept'"));
        busy.eval(job).await.expect("the sleep on engine 0");
    });
    wait_for(pool, "engine 0 to be busy", |health| {
        health.engines[0].state == EngineState::Busy
    })
    .await;
    task
}

fn jobs(pool: &EnginePool, index: usize) -> u64 {
    pool.health().engines[index].jobs
}

async fn call(client: &Client, tool: &str, arguments: Value) -> Value {
    client
        .request("tools/call", json!({"name": tool, "arguments": arguments}))
        .await
}

fn result(reply: &Value) -> &Value {
    let result = &reply["result"];
    assert_eq!(result["isError"], json!(false), "{reply}");
    result
}

/// Generated data with a few thousand rows: y depends on x1 and x2.
fn forest_data(rows: usize) -> Value {
    let column = |scale: f64, offset: f64| -> Vec<f64> {
        (0..rows)
            .map(|i| ((i as f64 * scale + offset).sin() * 10.0 * 1000.0).round() / 1000.0)
            .collect()
    };
    let x1 = column(0.37, 0.1);
    let x2 = column(0.61, 1.3);
    let x3 = column(1.13, 2.9);
    let y: Vec<f64> = (0..rows)
        .map(|i| x1[i] * 2.0 + x2[i] * x2[i] * 0.1 + x3[(i * 7) % rows] * 0.3)
        .collect();
    json!({"x1": x1, "x2": x2, "x3": x3, "y": y})
}

/// A client's long random_forest (a few thousand rows, 1000 trees) runs on
/// one engine while another client's 20 summary_stats calls are answered
/// by the other, each long before the forest is done.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_long_call_does_not_hold_up_quick_ones() {
    let _turn = SERIAL.lock().await;
    let (server, pool) = shipped(settings(engine_config("head-of-line", 2))).await;
    wait_for(&pool, "the engines to be ready", all_ready).await;

    let mut long_client = Client::new(&server.url);
    long_client.initialize(json!({})).await;
    let mut quick_client = Client::new(&server.url);
    quick_client.initialize(json!({})).await;

    let started = Instant::now();
    let long = tokio::spawn(async move {
        let reply = call(
            &long_client,
            "random_forest",
            json!({"data": forest_data(4000), "formula": "y ~ x1 + x2 + x3", "n_trees": 1000}),
        )
        .await;
        (reply, started.elapsed())
    });
    wait_for(&pool, "the forest to start", |health| {
        health
            .engines
            .iter()
            .any(|engine| engine.state == EngineState::Busy)
    })
    .await;

    let mut latencies = Vec::new();
    for _ in 0..20 {
        let sent = Instant::now();
        let reply = call(
            &quick_client,
            "summary_stats",
            json!({"data": {"x": [1, 2, 3, 4, 5]}}),
        )
        .await;
        latencies.push(sent.elapsed());
        assert_eq!(
            result(&reply)["structuredContent"]["statistics"]["x"]["mean"].as_f64(),
            Some(3.0)
        );
    }
    let quick_done = started.elapsed();
    let (forest, forest_time) = long.await.expect("the forest's task");
    result(&forest);
    latencies.sort();
    eprintln!(
        "head-of-line: forest {forest_time:?}; 20 summary_stats done at {quick_done:?}; \
         p50 {:?}, max {:?}",
        latencies[10], latencies[19]
    );
    assert!(
        quick_done < forest_time,
        "the quick calls ended at {quick_done:?}, after the forest ({forest_time:?})"
    );
    assert!(
        latencies[19] < Duration::from_secs(3),
        "a quick call took {:?}",
        latencies[19]
    );
    pool.shutdown();
}

/// R on an engine process that ignores interrupts past its deadline: the
/// process is killed at deadline + grace, the caller hears of the time
/// limit, the engine is replaced and the next call works.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stuck_engine_process_is_killed_and_replaced() {
    let _turn = SERIAL.lock().await;
    let (pool, _vfs) = pool("stuck", 2);
    wait_for(&pool, "the engines to be ready", all_ready).await;
    let first_pid = pool.health().engines[1].pid;

    let sleeper = occupy_engine_zero(&pool, 4.0).await;
    let started = Instant::now();
    // Catches every interrupt the engine's watchdog sends: never lets go.
    let stuck = Job::eval("repeat tryCatch(Sys.sleep(10), interrupt = function(i) NULL)")
        .with_timeout(Duration::from_secs(1));
    let outcome = pool.eval(stuck).await;
    let took = started.elapsed();
    assert!(
        matches!(outcome, Err(EngineError::Timeout { .. })),
        "{outcome:?}"
    );
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(6),
        "answered after {took:?} (deadline 1 s, grace 1 s)"
    );
    wait_for(&pool, "the engine's replacement", |health| {
        health.engines[1].state == EngineState::Idle
    })
    .await;
    let health = pool.health();
    assert_eq!(health.engines[1].restarts, 1, "{health:?}");
    assert_ne!(health.engines[1].pid, first_pid, "{health:?}");
    sleeper.await.expect("engine 0's sleep");

    let sleeper = occupy_engine_zero(&pool, 2.0).await;
    let before = jobs(&pool, 1);
    let next = pool.eval(Job::eval("6 * 7")).await.expect("the next call");
    assert_eq!(next.value.as_f64(), Some(42.0));
    assert_eq!(jobs(&pool, 1), before + 1, "it ran on the new engine");
    sleeper.await.expect("engine 0's sleep");
    pool.shutdown();
}

/// `kill -9` of an engine process in the middle of a client's catalog call:
/// that client gets an `isError` result at once, a call on the other engine
/// is not disturbed, the engine is replaced, and the next calls work.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_engine_process_fails_only_its_own_call() {
    let _turn = SERIAL.lock().await;
    let (server, pool) = shipped(settings(engine_config("crash", 2))).await;
    wait_for(&pool, "the engines to be ready", all_ready).await;
    let mut client = Client::new(&server.url);
    client.initialize(json!({})).await;

    let neighbour = {
        let pool = pool.clone();
        tokio::spawn(async move { pool.eval(Job::eval("Sys.sleep(4); 'undisturbed'")).await })
    };
    wait_for(&pool, "engine 0 to be busy", |health| {
        health.engines[0].state == EngineState::Busy
    })
    .await;
    let victim = {
        let client = client.clone();
        tokio::spawn(async move {
            call(
                &client,
                "random_forest",
                json!({"data": forest_data(4000), "formula": "y ~ x1 + x2 + x3", "n_trees": 1000}),
            )
            .await
        })
    };
    wait_for(&pool, "engine 1 to be busy", |health| {
        health.engines[1].state == EngineState::Busy
    })
    .await;
    let pid = pool.health().engines[1].pid.expect("engine 1's pid");
    let killed = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let started = Instant::now();
    let reply = victim.await.expect("the victim's task");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(reply["result"]["isError"], json!(true), "{reply}");
    assert!(reply.to_string().contains("stopped"), "{reply}");

    let neighbour = neighbour.await.expect("the neighbour's task");
    assert_eq!(neighbour.expect("undisturbed").value, json!("undisturbed"));
    wait_for(&pool, "the engine's replacement", |health| {
        health.engines[1].state == EngineState::Idle && health.engines[1].restarts == 1
    })
    .await;
    assert_ne!(pool.health().engines[1].pid, Some(pid));
    let sleeper = occupy_engine_zero(&pool, 60.0).await;
    let before = jobs(&pool, 1);
    let next = call(&client, "summary_stats", json!({"data": {"x": [1, 2, 3]}})).await;
    result(&next);
    assert_eq!(jobs(&pool, 1), before + 1, "the new engine serves");
    sleeper.abort();
    pool.shutdown();
}

/// The seeded tools (kmeans_clustering, random_forest, decision_tree) give
/// the same answer on the in-process engine and on an engine process.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn seeded_tools_answer_the_same_on_every_engine() {
    let _turn = SERIAL.lock().await;
    let (server, pool) = shipped(settings(engine_config("same-answers", 2))).await;
    wait_for(&pool, "the engines to be ready", all_ready).await;
    let mut client = Client::new(&server.url);
    client.initialize(json!({})).await;

    let data = forest_data(60);
    let calls = [
        (
            "kmeans_clustering",
            json!({"data": data, "variables": ["x1", "x2", "x3"], "k": 3}),
        ),
        (
            "random_forest",
            json!({"data": data, "formula": "y ~ x1 + x2 + x3", "n_trees": 50}),
        ),
        (
            "decision_tree",
            json!({"data": data, "formula": "y ~ x1 + x2 + x3"}),
        ),
    ];
    let mut on_zero = Vec::new();
    for (tool, arguments) in &calls {
        let before = jobs(&pool, 0);
        let reply = call(&client, tool, arguments.clone()).await;
        assert_eq!(jobs(&pool, 0), before + 1, "{tool} ran on engine 0");
        on_zero.push(result(&reply).clone());
    }
    let sleeper = occupy_engine_zero(&pool, 60.0).await;
    for ((tool, arguments), expected) in calls.iter().zip(&on_zero) {
        let before = jobs(&pool, 1);
        let reply = call(&client, tool, arguments.clone()).await;
        assert_eq!(jobs(&pool, 1), before + 1, "{tool} ran on engine 1");
        let got = result(&reply);
        assert_eq!(
            got["structuredContent"], expected["structuredContent"],
            "{tool}: engine 1 differs from engine 0"
        );
        assert_eq!(got["content"][0], expected["content"][0], "{tool}'s text");
    }
    sleeper.abort();
    pool.shutdown();
}

/// Files through an engine process: a table written by write_csv and a
/// plot's PNG reach their destinations (R wrote the private staging files,
/// which are moved into place after it succeeded), and read_csv reads a
/// staged copy; R on the engine process sees only staged paths.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn files_reach_engine_processes_through_the_staging_folder() {
    let _turn = SERIAL.lock().await;
    let base = std::env::temp_dir().join(format!("rmcp-test-engine-files-{}", std::process::id()));
    std::fs::create_dir_all(base.join("root/out")).expect("folders");
    let mut settings = settings(engine_config("files", 2));
    settings.vfs = VfsConfig {
        enabled: true,
        read_roots: vec![base.join("root")],
        writable_roots: vec![base.join("root/out")],
        max_bytes: 1 << 20,
    };
    let (server, pool) = shipped(settings).await;
    wait_for(&pool, "the engines to be ready", all_ready).await;
    let mut client = Client::new(&server.url);
    client.initialize(json!({})).await;

    let sleeper = occupy_engine_zero(&pool, 60.0).await;
    let before = jobs(&pool, 1);
    let table = json!({"x": [1.5, 2.5, 3.5], "y": [10.0, 20.0, 35.0]});
    let written = call(
        &client,
        "write_csv",
        json!({"data": table, "file_path": "out/table.csv"}),
    )
    .await;
    result(&written);
    let text = std::fs::read_to_string(base.join("root/out/table.csv")).expect("written");
    assert!(text.contains("3.5"), "{text}");
    let read = call(&client, "read_csv", json!({"file_path": "out/table.csv"})).await;
    let read = result(&read);
    assert!(read.to_string().contains("35"), "{read}");
    let plotted = call(
        &client,
        "scatter_plot",
        json!({"data": table, "x": "x", "y": "y", "file_path": "out/plot.png",
               "return_image": false, "width": 200, "height": 150}),
    )
    .await;
    result(&plotted);
    let png = std::fs::read(base.join("root/out/plot.png")).expect("saved");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // openxlsx zips through temporary files: the engine's own folder.
    let excel = call(
        &client,
        "write_excel",
        json!({"data": table, "file_path": "out/table.xlsx"}),
    )
    .await;
    result(&excel);
    let read = call(
        &client,
        "read_excel",
        json!({"file_path": "out/table.xlsx"}),
    )
    .await;
    assert!(result(&read).to_string().contains("35"), "{read}");
    assert_eq!(jobs(&pool, 1), before + 5, "all five ran on engine 1");
    sleeper.abort();
    pool.shutdown();
    let _ = std::fs::remove_dir_all(&base);
}

/// R on the in-process engine stuck in C code past its deadline: the
/// caller is answered at the deadline, the engine is shown `overdue` and
/// left out of rotation while the engine processes keep serving, and it
/// comes back once R returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_overdue_in_process_engine_leaves_the_rotation_until_r_returns() {
    let _turn = SERIAL.lock().await;
    let (pool, _vfs) = pool("overdue", 2);
    wait_for(&pool, "the engines to be ready", all_ready).await;
    let started = Instant::now();
    let job =
        Job::eval("x <- sort(runif(5e7)); length(x)").with_timeout(Duration::from_millis(300));
    let outcome = pool.eval(job).await;
    assert!(
        matches!(outcome, Err(EngineError::Timeout { .. })),
        "{outcome:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    if pool.health().engines[0].state == EngineState::Overdue {
        let before = jobs(&pool, 1);
        let next = pool.eval(Job::eval("'served'")).await.expect("served");
        assert_eq!(next.value, json!("served"));
        let health = pool.health();
        if health.engines[0].state == EngineState::Overdue {
            assert_eq!(health.engines[1].jobs, before + 1, "{health:?}");
        }
    }
    wait_for(&pool, "engine 0 back in rotation", |health| {
        health.engines[0].state == EngineState::Idle
    })
    .await;
    pool.shutdown();
}

/// Cancelling a call running on an engine process (what
/// `notifications/cancelled` and shutdown do) interrupts its R at once; the
/// process is kept and serves the next call.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancelling_a_call_interrupts_the_engine_process() {
    let _turn = SERIAL.lock().await;
    let (pool, _vfs) = pool("cancel", 2);
    wait_for(&pool, "the engines to be ready", all_ready).await;
    let sleeper = occupy_engine_zero(&pool, 60.0).await;
    let token = tokio_util::sync::CancellationToken::new();
    let call = {
        let pool = pool.clone();
        let job = Job::eval("Sys.sleep(30); 'finished'").with_cancel(token.clone());
        tokio::spawn(async move { pool.eval(job).await })
    };
    wait_for(&pool, "engine 1 to be busy", |health| {
        health.engines[1].state == EngineState::Busy
    })
    .await;
    let pid = pool.health().engines[1].pid;
    let started = Instant::now();
    token.cancel();
    let outcome = call.await.expect("the call's task");
    assert!(
        matches!(outcome, Err(EngineError::Cancelled)),
        "{outcome:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    wait_for(&pool, "engine 1 to be idle", |health| {
        health.engines[1].state == EngineState::Idle
    })
    .await;
    let health = pool.health();
    assert_eq!(health.engines[1].pid, pid, "the same process: {health:?}");
    assert_eq!(health.engines[1].restarts, 0, "{health:?}");
    sleeper.abort();
    pool.shutdown();
}

/// With one engine the pool is the in-process engine exactly: its own
/// queue, counted in `/health` as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_engine_is_the_in_process_engine_alone() {
    let _turn = SERIAL.lock().await;
    let (pool, _vfs) = pool("one", 1);
    assert_eq!(pool.len(), 1);
    let sleeper = occupy_engine_zero(&pool, 1.0).await;
    let queued = {
        let pool = pool.clone();
        tokio::spawn(async move { pool.eval(Job::eval("'next'")).await })
    };
    wait_for(&pool, "the call to queue", |health| health.queued == 1).await;
    assert_eq!(engine().health().jobs_queued, 1, "R's own queue");
    let next = queued.await.expect("task").expect("answered");
    assert_eq!(next.value, json!("next"));
    sleeper.await.expect("engine 0's sleep");
}

/// While every engine is busy, calls wait in one FIFO queue: they are
/// answered in arrival order, a full queue answers "busy" at once, and
/// calls cancelled or past their deadline while queued leave it without
/// running.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn queued_calls_are_served_in_order_bounded_and_cancellable() {
    let _turn = SERIAL.lock().await;
    let (pool, _vfs) = pool("queue", 2);
    wait_for(&pool, "the engines to be ready", all_ready).await;
    let capacity = engine().config().queue_capacity;
    let sleeper = occupy_engine_zero(&pool, 3.0).await;
    let other_sleeper = {
        let busy = pool.clone();
        tokio::spawn(async move { busy.eval(Job::eval("Sys.sleep(2); 'slept'")).await })
    };
    wait_for(&pool, "engine 1 to be busy", |health| {
        health.engines[1].state == EngineState::Busy
    })
    .await;

    let mut served = Vec::new();
    for index in 0..5 {
        let caller = pool.clone();
        // Each answers when R ran it.
        let job = Job::eval("Sys.sleep(0.01); as.numeric(Sys.time())");
        served.push(tokio::spawn(async move { caller.eval(job).await }));
        // Arrival order is the order the calls reach the queue.
        wait_for(&pool, "the call to queue", |health| {
            health.queued == index + 1
        })
        .await;
    }
    let token = tokio_util::sync::CancellationToken::new();
    let mut cancelled = Vec::new();
    for _ in 5..capacity {
        let caller = pool.clone();
        let job = Job::eval("'never runs'").with_cancel(token.clone());
        cancelled.push(tokio::spawn(async move { caller.eval(job).await }));
    }
    wait_for(&pool, "a full queue", |health| health.queued == capacity).await;
    let refused = pool.eval(Job::eval("'too many'")).await;
    assert!(
        matches!(refused, Err(EngineError::Busy { queued }) if queued == capacity),
        "{refused:?}"
    );
    let expired = pool
        .eval(Job::eval("'late'").with_timeout(Duration::from_millis(1)))
        .await;
    assert!(
        matches!(expired, Err(EngineError::Busy { .. })),
        "{expired:?}"
    );
    token.cancel();
    for call in cancelled {
        let outcome = call.await.expect("task");
        assert!(
            matches!(outcome, Err(EngineError::Cancelled)),
            "{outcome:?}"
        );
    }
    assert_eq!(pool.health().queued, 5);
    let late = pool
        .eval(Job::eval("'late'").with_timeout(Duration::from_millis(50)))
        .await;
    assert!(matches!(late, Err(EngineError::Timeout { .. })), "{late:?}");
    assert_eq!(pool.health().queued, 5, "the expired call left the queue");
    let mut ran_at = Vec::new();
    for call in served {
        let reply = call.await.expect("task").expect("served");
        ran_at.push(reply.value.as_f64().expect("a time"));
    }
    assert!(
        ran_at.windows(2).all(|pair| pair[0] < pair[1]),
        "run in arrival order: {ran_at:?}"
    );
    sleeper.await.expect("engine 0's sleep");
    other_sleeper
        .await
        .expect("engine 1's sleep")
        .expect("slept");
    pool.shutdown();
}
