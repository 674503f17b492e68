//! The pool's engine processes (engines 1..N-1): starting and replacing
//! them with the worker machinery (`worker::process`, mode `rmcp engine`),
//! running one call on one as an [`Op::Job`] request, and turning its
//! answer back into the engine's [`Reply`] or [`EngineError`].
//!
//! A call runs in a task of its own that holds the engine until the process
//! lets go of the call (or is killed), so a caller that stops waiting never
//! frees an engine that is still busy.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use super::{lock, EngineState, Shared};
use crate::r::{EngineError, EnvSpec, Job, RError, Reply, Task};
use crate::worker::process::{self as worker_process, Mode, Worker};
use crate::worker::protocol::{EngineJob, FailureKind, Op, Outcome};
use crate::worker::WorkerError;

/// How long an engine process gets, after a call's deadline or
/// cancellation, to let go of the call before it is killed and replaced.
pub(super) const KILL_GRACE: Duration = Duration::from_secs(2);

/// Longest pause between attempts when engine processes keep failing to
/// start.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Whether `job` can run on an engine process: a call by name, or code in a
/// fresh environment (named environments live in one process only).
pub(super) fn portable(job: &Job) -> bool {
    matches!(
        job.task,
        Task::Call { .. }
            | Task::Eval {
                env: EnvSpec::Fresh,
                ..
            }
    )
}

/// The wire form of a portable job.
fn engine_job(job: Job) -> Result<EngineJob, EngineError> {
    let seed = job.seed;
    match job.task {
        Task::Call {
            function,
            args,
            tables,
        } => Ok(EngineJob {
            function: Some(function),
            code: None,
            args,
            tables,
            seed,
        }),
        Task::Eval {
            code,
            env: EnvSpec::Fresh,
        } => Ok(EngineJob {
            function: None,
            code: Some(code),
            args: Value::Null,
            tables: Vec::new(),
            seed,
        }),
        _ => Err(EngineError::InvalidInput(
            "this job runs only on the in-process engine".into(),
        )),
    }
}

/// Runs `job` on engine process `index`, which this caller holds.
pub(super) async fn run(
    shared: &Arc<Shared>,
    index: usize,
    mut job: Job,
    deadline: Instant,
    limit: Duration,
) -> Result<Reply, EngineError> {
    let worker = lock(&shared.slots[index].worker).clone();
    let Some(worker) = worker else {
        // Replaced between being handed out and now: try again elsewhere is
        // the caller's choice; the engine's replacement releases it.
        return Err(EngineError::Unavailable);
    };
    let remaining = deadline.saturating_duration_since(Instant::now());
    let cancel = job
        .cancel
        .take()
        .map_or_else(CancellationToken::new, |token| token.child_token());
    let request = match engine_job(job).and_then(|request| {
        serde_json::to_value(request).map_err(|error| EngineError::Internal(error.to_string()))
    }) {
        Ok(request) => request,
        Err(error) => {
            shared.release(index);
            return Err(error);
        }
    };
    if remaining.is_zero() {
        shared.release(index);
        return Err(EngineError::Timeout { limit });
    }
    let (sender, receiver) = oneshot::channel();
    let started = shared.started(index);
    let task_cancel = cancel.clone();
    let task_shared = Arc::clone(shared);
    tokio::spawn(async move {
        let outcome = worker
            .request(Op::Job, request, remaining, &task_cancel)
            .await;
        task_shared.finished(index, started);
        if worker.is_alive() {
            task_shared.release(index);
        } else {
            log::warn!(
                "R engine {index} (pid {}) is gone ({}); replacing it",
                worker.pid,
                worker.ending()
            );
            replace(&task_shared, index, true);
        }
        let _ = sender.send(answer(outcome, limit));
    });
    // A caller that stops waiting cancels the call; the task still holds
    // the engine until the process lets go.
    let _cancel_on_drop = cancel.drop_guard();
    receiver.await.unwrap_or(Err(EngineError::Unavailable))
}

/// The engine's answer as the in-process engine would have given it.
fn answer(outcome: Result<Outcome, WorkerError>, limit: Duration) -> Result<Reply, EngineError> {
    match outcome {
        Ok(Outcome::Ok {
            value,
            stdout,
            stderr,
            warnings,
            r_time_ms,
        }) => Ok(Reply {
            value,
            stdout,
            stderr,
            warnings,
            r_time: Duration::from_secs_f64((r_time_ms / 1000.0).max(0.0)),
        }),
        Ok(Outcome::Failed {
            kind,
            message,
            stdout,
            stderr,
            warnings,
        }) => Err(match kind {
            FailureKind::Timeout => EngineError::Timeout { limit },
            FailureKind::Cancelled => EngineError::Cancelled,
            // The message is already the engine's own text (R's message,
            // or the engine error's); shown as is.
            _ => EngineError::R(RError {
                message,
                call: None,
                warnings,
                stdout,
                stderr,
            }),
        }),
        Err(WorkerError::Stuck) => Err(EngineError::Timeout { limit }),
        Err(WorkerError::Died(how)) => Err(EngineError::Internal(format!(
            "the R engine process running this call stopped ({how}); it is being replaced, retry the call"
        ))),
        Err(error) => Err(EngineError::Internal(error.to_string())),
    }
}

/// Starts (or, with `restart`, replaces) engine process `index` in the
/// background; once it is ready it takes the first waiting call. A process
/// whose sandbox is incomplete is refused unless weak sandboxes are
/// allowed, and the engine stays disabled: the other engines keep serving.
pub(super) fn replace(shared: &Arc<Shared>, index: usize, restart: bool) {
    let Some(config) = shared.spawn.clone() else {
        return;
    };
    let slot = &shared.slots[index];
    if let Some(old) = lock(&slot.worker).take() {
        old.kill();
    }
    if restart {
        slot.restarts.fetch_add(1, Ordering::Relaxed);
    }
    shared.set_state(index, EngineState::Starting);
    let shared = Arc::clone(shared);
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(500);
        loop {
            if shared.closed.is_cancelled() {
                return;
            }
            let spawned = tokio::select! {
                spawned = worker_process::spawn_mode(&config, &[], Mode::CatalogEngine) => spawned,
                () = shared.closed.cancelled() => return,
            };
            let slot = &shared.slots[index];
            match spawned {
                Ok(worker) if worker.sandbox.is_complete() || config.allow_weak_sandbox => {
                    if !worker.sandbox.is_complete() {
                        log::warn!(
                            "R engine {index} runs with a weak sandbox: {}",
                            worker.sandbox.missing_layers().join(", ")
                        );
                    }
                    *lock(&slot.note) = None;
                    *lock(&slot.worker) = Some(Arc::clone(&worker));
                    if shared.closed.is_cancelled() {
                        worker.kill();
                        return;
                    }
                    watch(&shared, index, &worker);
                    shared.release(index);
                    return;
                }
                Ok(worker) => {
                    let missing = worker.sandbox.missing_layers().join(", ");
                    log::error!(
                        "R engine {index} is not used: its sandbox is incomplete ({missing}); set RMCP_ALLOW_WEAK_SANDBOX=true to accept it"
                    );
                    *lock(&slot.note) = Some(format!("sandbox incomplete: {missing}"));
                    worker.kill();
                    shared.set_state(index, EngineState::Disabled);
                    return;
                }
                Err(error) => {
                    log::error!("starting R engine {index} failed: {error}");
                    *lock(&slot.note) = Some(error.to_string());
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        () = shared.closed.cancelled() => return,
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    });
}

/// Replaces engine process `index` if it dies while idle (a call running
/// on it sees the death itself and replaces it).
fn watch(shared: &Arc<Shared>, index: usize, worker: &Arc<Worker>) {
    let shared = Arc::clone(shared);
    let worker = Arc::clone(worker);
    tokio::spawn(async move {
        worker.gone().await;
        if shared.closed.is_cancelled() {
            return;
        }
        let current = lock(&shared.slots[index].worker)
            .as_ref()
            .is_some_and(|current| Arc::ptr_eq(current, &worker));
        if current && shared.take_if_idle(index) {
            log::warn!(
                "idle R engine {index} (pid {}) is gone; replacing it",
                worker.pid
            );
            replace(&shared, index, true);
        }
    });
}
