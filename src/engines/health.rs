//! What `/health` and `/metrics` show of the engine pool: each engine's
//! state and counters, and the queue's length. Snapshots only; the pool's
//! scheduling is `mod.rs`'s.

use std::sync::atomic::Ordering;

use super::{lock, Shared};
use crate::r::RHandle;

/// Where one engine stands, as `/health` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EngineState {
    /// Its process is starting (or being replaced).
    Starting,
    /// Ready for the next call.
    Idle,
    /// Running a call.
    Busy,
    /// Its call's caller was answered (deadline or cancellation) but R has
    /// not let go yet: out of rotation until it does.
    Overdue,
    /// Not used: its process cannot be sandboxed fully, or the engine is
    /// gone for good.
    Disabled,
}

impl EngineState {
    /// The state as `/health` and `/metrics` spell it.
    pub fn name(self) -> &'static str {
        match self {
            EngineState::Starting => "starting",
            EngineState::Idle => "idle",
            EngineState::Busy => "busy",
            EngineState::Overdue => "overdue",
            EngineState::Disabled => "disabled",
        }
    }
}

/// One engine in a [`PoolHealth`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct EngineSlotHealth {
    pub index: usize,
    /// `in_process` (the server's R thread) or `process` (`rmcp engine`).
    pub kind: &'static str,
    pub state: EngineState,
    /// The engine process's id (`None` for the in-process engine, or while
    /// starting).
    pub pid: Option<u32>,
    /// Calls it finished (answered, failed or stopped).
    pub jobs: u64,
    /// Seconds it spent running calls.
    pub busy_seconds: f64,
    /// Times its process was replaced after it died or was killed.
    pub restarts: u64,
    /// How long its current call has been running.
    pub running_for_ms: Option<u64>,
    /// Why it is disabled, or how its last start failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A snapshot of the pool for `/health` and `/metrics`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PoolHealth {
    pub engines: Vec<EngineSlotHealth>,
    /// Calls waiting for an engine.
    pub queued: usize,
}

/// A snapshot of the pool, taken under its schedule lock (states, queue)
/// and then the engines' own counters.
pub(super) fn of(shared: &Shared) -> PoolHealth {
    let (states, queued) = {
        let schedule = lock(&shared.schedule);
        (schedule.states.clone(), schedule.waiters.len())
    };
    let engines = shared
        .slots
        .iter()
        .zip(states)
        .enumerate()
        .map(|(index, (slot, state))| EngineSlotHealth {
            index,
            kind: if index == 0 { "in_process" } else { "process" },
            state,
            pid: lock(&slot.worker).as_ref().map(|worker| worker.pid),
            jobs: slot.jobs.load(Ordering::Relaxed),
            busy_seconds: slot.busy_nanos.load(Ordering::Relaxed) as f64 / 1e9,
            restarts: slot.restarts.load(Ordering::Relaxed),
            running_for_ms: lock(&slot.running_since)
                .map(|since| u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)),
            note: lock(&slot.note).clone(),
        })
        .collect();
    PoolHealth { engines, queued }
}

/// The health of a pool of the in-process engine alone, from the engine's
/// own snapshot (its queue is the pool's queue).
pub(super) fn in_process(engine: &RHandle) -> PoolHealth {
    let health = engine.health();
    let state = if !health.alive {
        EngineState::Disabled
    } else if health.running_overdue {
        EngineState::Overdue
    } else if health.running_for_ms.is_some() {
        EngineState::Busy
    } else {
        EngineState::Idle
    };
    PoolHealth {
        engines: vec![EngineSlotHealth {
            index: 0,
            kind: "in_process",
            state,
            pid: None,
            jobs: health.jobs_done
                + health.jobs_failed
                + health.jobs_timed_out
                + health.jobs_cancelled,
            busy_seconds: health.busy_seconds,
            restarts: 0,
            running_for_ms: health.running_for_ms,
            note: None,
        }],
        queued: health.jobs_queued,
    }
}
