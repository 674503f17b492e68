//! Deadlines, cancellation, memory caps and load: a runaway job is stopped,
//! its caller answered in time, and the next job runs normally.

mod support {
    pub mod engine;
}

use std::time::{Duration, Instant};

use rmcp_server::r::{EngineError, Job};
use serde_json::json;
use support::engine::{block_on, engine, eval, run};
use tokio_util::sync::CancellationToken;

/// These tests measure how fast a stuck job lets go, so they take turns on
/// the one R thread instead of queueing behind each other.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn timed(job: Job) -> (Result<rmcp_server::r::Reply, EngineError>, Duration) {
    let started = Instant::now();
    let result = run(job);
    (result, started.elapsed())
}

/// An infinite loop is interrupted at its deadline; the next job is normal.
#[test]
fn infinite_loop_times_out_and_engine_recovers() {
    let _turn = serial();
    let (result, elapsed) =
        timed(Job::eval("while (TRUE) {}").with_timeout(Duration::from_secs(1)));
    assert!(
        matches!(result, Err(EngineError::Timeout { .. })),
        "{result:?}"
    );
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    assert_eq!(eval("sum(1:10)").unwrap().value, json!(55));
}

/// Sys.sleep wakes up for the interrupt instead of sleeping on.
#[test]
fn sleep_is_interruptible() {
    let _turn = serial();
    let (result, elapsed) =
        timed(Job::eval("Sys.sleep(30)").with_timeout(Duration::from_millis(500)));
    assert!(
        matches!(result, Err(EngineError::Timeout { .. })),
        "{result:?}"
    );
    assert!(elapsed < Duration::from_millis(1500), "took {elapsed:?}");
    // The R thread is free again well before the sleep would have ended.
    let (next, waited) = timed(Job::eval("'next'"));
    assert_eq!(next.unwrap().value, json!("next"));
    assert!(waited < Duration::from_secs(2), "waited {waited:?}");
}

/// Code that swallows the first interrupt still gets stopped: the watchdog
/// keeps re-asserting it.
#[test]
fn swallowed_interrupt_is_reasserted() {
    let _turn = serial();
    let code = "x <- tryCatch(while (TRUE) {}, interrupt = function(i) 'caught'); while (TRUE) {}";
    let (result, elapsed) = timed(Job::eval(code).with_timeout(Duration::from_millis(500)));
    assert!(
        matches!(result, Err(EngineError::Timeout { .. })),
        "{result:?}"
    );
    assert!(elapsed < Duration::from_millis(1500), "took {elapsed:?}");
    let (next, waited) = timed(Job::eval("1"));
    assert_eq!(next.unwrap().value, json!(1));
    assert!(waited < Duration::from_secs(2), "waited {waited:?}");
}

/// A job still queued when its deadline passes never runs.
#[test]
fn expired_queued_job_never_runs() {
    let _turn = serial();
    let engine = engine();
    block_on(async {
        let busy = tokio::spawn({
            let engine = engine.clone();
            async move { engine.eval(Job::eval("Sys.sleep(1); 'slow'")).await }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let queued = engine
            .eval(
                Job::eval("ran_after_deadline <- TRUE")
                    .in_env("expiry-check")
                    .with_timeout(Duration::from_millis(200)),
            )
            .await;
        assert!(
            matches!(queued, Err(EngineError::Timeout { .. })),
            "{queued:?}"
        );
        assert_eq!(busy.await.unwrap().unwrap().value, json!("slow"));
        let seen = engine
            .eval(
                Job::eval("exists('ran_after_deadline', inherits = FALSE)").in_env("expiry-check"),
            )
            .await
            .unwrap();
        assert_eq!(seen.value, json!(false));
    });
}

/// Cancelling a running job interrupts R and answers at once.
#[test]
fn cancellation_interrupts_r() {
    let _turn = serial();
    let engine = engine();
    let before = engine.health().jobs_cancelled;
    block_on(async {
        let token = CancellationToken::new();
        let canceller = {
            let token = token.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(200)).await;
                token.cancel();
            })
        };
        let started = Instant::now();
        let result = engine
            .eval(Job::eval("while (TRUE) {}").with_cancel(token))
            .await;
        canceller.await.unwrap();
        assert!(matches!(result, Err(EngineError::Cancelled)), "{result:?}");
        assert!(started.elapsed() < Duration::from_secs(1));
        // The engine counts it once R has let go.
        let next = engine.eval(Job::eval("'after'")).await.unwrap();
        assert_eq!(next.value, json!("after"));
    });
    assert!(engine.health().jobs_cancelled > before);
}

/// R stuck in C code: the caller is answered at the deadline; health shows
/// the job as overdue until R returns; then everything is normal.
#[test]
fn uninterruptible_c_code_answers_at_deadline() {
    let _turn = serial();
    let engine = engine();
    block_on(async {
        let started = Instant::now();
        let job =
            Job::eval("x <- sort(runif(3e7)); length(x)").with_timeout(Duration::from_millis(300));
        let result = engine.eval(job).await;
        assert!(
            matches!(result, Err(EngineError::Timeout { .. })),
            "{result:?}"
        );
        assert!(
            started.elapsed() < Duration::from_millis(900),
            "took {:?}",
            started.elapsed()
        );
        let health = engine.health();
        if health.running_for_ms.is_some() {
            assert!(health.running_overdue, "{health:?}");
        }
        let next = engine.eval(Job::eval("'recovered'")).await.unwrap();
        assert_eq!(next.value, json!("recovered"));
    });
}

/// 200 concurrent submissions from tokio tasks are all answered correctly.
#[test]
fn two_hundred_concurrent_jobs() {
    let _turn = serial();
    let engine = engine();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let engine = engine.clone();
                tokio::spawn(async move { (i, engine.eval(Job::eval(format!("{i} * 2L"))).await) })
            })
            .collect();
        for task in tasks {
            let (i, result) = task.await.unwrap();
            assert_eq!(result.unwrap().value, json!(i * 2));
        }
    });
}

/// An allocation past R_MAX_VSIZE is a clean R error, not an abort.
#[test]
fn memory_cap_is_a_clean_error() {
    let _turn = serial();
    let error = eval("x <- numeric(5e8); length(x)").expect_err("past the 2Gb cap");
    match error {
        EngineError::R(r) => assert!(r.message.contains("vector memory"), "{}", r.message),
        other => panic!("expected an R error, got {other:?}"),
    }
    assert_eq!(
        eval("length(numeric(1e6))").unwrap().value,
        json!(1_000_000)
    );
}

/// Health reports the engine's state and counters.
#[test]
fn health_reports_engine_state() {
    let _turn = serial();
    let engine = engine();
    eval("1").unwrap();
    let health = engine.health();
    assert!(health.alive && health.ready, "{health:?}");
    assert!(
        health
            .r_version
            .as_deref()
            .unwrap_or("")
            .starts_with("R version 4."),
        "{health:?}"
    );
    assert!(health.jobs_done >= 1);
}

/// A submitted job's outcome, sent from its callback, with the name of the
/// thread that ran the callback.
type Answered = (Result<rmcp_server::r::Reply, EngineError>, Option<String>);

fn submit(job: Job) -> (rmcp_server::r::JobId, std::sync::mpsc::Receiver<Answered>) {
    let (sender, receiver) = std::sync::mpsc::channel();
    let id = engine()
        .submit(job, move |result| {
            let thread = std::thread::current().name().map(str::to_string);
            let _ = sender.send((result, thread));
        })
        .expect("queued");
    (id, receiver)
}

/// A submitted job is answered by its callback, on the R thread; one that
/// runs past its deadline is interrupted by the watchdog alone (no caller
/// waits on a timer), even when the watchdog was dormant after a quiet
/// second: the job's start wakes it.
#[test]
fn submitted_jobs_are_answered_on_the_r_thread_and_meet_their_deadline() {
    let _turn = serial();
    let (_, answer) = submit(Job::eval("sum(1:10)"));
    let (result, thread) = answer
        .recv_timeout(Duration::from_secs(30))
        .expect("answered");
    assert_eq!(result.expect("ok").value, json!(55));
    assert_eq!(thread.as_deref(), Some("rmcp-r"));

    // Quiet for longer than the watchdog's DORMANT_AFTER (1 s).
    std::thread::sleep(Duration::from_millis(1300));
    let started = Instant::now();
    let (_, answer) = submit(Job::eval("while (TRUE) {}").with_timeout(Duration::from_millis(100)));
    let (result, _) = answer
        .recv_timeout(Duration::from_secs(30))
        .expect("answered");
    let elapsed = started.elapsed();
    assert!(
        matches!(result, Err(EngineError::Timeout { .. })),
        "{result:?}"
    );
    // A dormant watchdog left asleep would look only a minute later.
    assert!(elapsed < Duration::from_millis(800), "took {elapsed:?}");
    assert_eq!(eval("'after'").unwrap().value, json!("after"));
}

/// `abort` interrupts a running submitted job and drops a queued one before
/// it starts; both callbacks hear `Cancelled`, and the engine goes on.
#[test]
fn aborted_submitted_jobs_are_cancelled_running_or_queued() {
    let _turn = serial();
    let (running, running_answer) = submit(Job::eval("Sys.sleep(30); 'slept'"));
    let (queued, queued_answer) = submit(Job::eval("'ran'"));
    std::thread::sleep(Duration::from_millis(200));
    engine().abort(queued);
    engine().abort(running);
    for answer in [running_answer, queued_answer] {
        let (result, _) = answer
            .recv_timeout(Duration::from_secs(10))
            .expect("answered");
        assert!(matches!(result, Err(EngineError::Cancelled)), "{result:?}");
    }
    assert_eq!(eval("'after'").unwrap().value, json!("after"));
}

/// Context switches of this process's thread named `name` so far (voluntary
/// ones: each is the thread going to sleep and being woken again).
fn wake_ups(name: &str) -> u64 {
    let tasks = std::fs::read_dir("/proc/self/task").expect("/proc/self/task");
    for task in tasks.flatten() {
        let path = task.path();
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if comm.trim() != name {
            continue;
        }
        let status = std::fs::read_to_string(path.join("status")).expect("status");
        return status
            .lines()
            .find_map(|line| line.strip_prefix("voluntary_ctxt_switches:"))
            .and_then(|count| count.trim().parse().ok())
            .expect("voluntary_ctxt_switches");
    }
    panic!("no thread named {name}");
}

/// An idle engine lets its watchdog sleep: after a second without jobs it
/// no longer wakes every 10 ms (a hundred times a second, in every worker
/// process too), and the next job still meets its deadline.
#[test]
fn an_idle_watchdog_sleeps() {
    let _turn = serial();
    assert_eq!(eval("1").unwrap().value, json!(1));
    std::thread::sleep(Duration::from_millis(1300));
    let before = wake_ups("rmcp-r-watchdog");
    std::thread::sleep(Duration::from_secs(2));
    let woken = wake_ups("rmcp-r-watchdog") - before;
    assert!(woken <= 5, "the idle watchdog woke {woken} times in 2 s");
    let (result, elapsed) =
        timed(Job::eval("while (TRUE) {}").with_timeout(Duration::from_millis(300)));
    assert!(
        matches!(result, Err(EngineError::Timeout { .. })),
        "{result:?}"
    );
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
}
