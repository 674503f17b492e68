//! The warm pool: workers started ahead of need, so taking one costs no
//! process start. Each worker taken (or found dead) is replaced in the
//! background; failures back off instead of spinning. The newest sandbox
//! report is kept for `/health` and for the decision to serve free-form R.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::process::{self, Worker};
use super::protocol::SandboxReport;
use super::{WorkerConfig, WorkerError};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Longest pause between attempts when workers keep failing to start.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Warm workers and the counters `/health` shows.
pub struct Pool {
    config: WorkerConfig,
    idle: Mutex<VecDeque<Arc<Worker>>>,
    spawning: AtomicUsize,
    closed: AtomicBool,
    /// What the newest worker reported about its sandbox.
    report: Mutex<Option<SandboxReport>>,
    last_error: Mutex<Option<String>>,
    failures_in_a_row: AtomicU64,
    started: AtomicU64,
    /// Milliseconds the newest worker took from spawn to ready.
    last_start_ms: AtomicU64,
    /// Tells waiters a worker became ready (or failed).
    changed: tokio::sync::Notify,
}

impl Pool {
    /// Creates the pool and starts filling it; call inside a tokio runtime.
    pub fn start(config: WorkerConfig) -> Arc<Pool> {
        let pool = Arc::new(Pool {
            config,
            idle: Mutex::new(VecDeque::new()),
            spawning: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            report: Mutex::new(None),
            last_error: Mutex::new(None),
            failures_in_a_row: AtomicU64::new(0),
            started: AtomicU64::new(0),
            last_start_ms: AtomicU64::new(0),
            changed: tokio::sync::Notify::new(),
        });
        pool.refill();
        pool
    }

    pub fn config(&self) -> &WorkerConfig {
        &self.config
    }

    /// A ready worker: a warm one at once, else a new one (slow path).
    pub async fn take(self: &Arc<Self>) -> Result<Arc<Worker>, WorkerError> {
        if self.closed.load(Ordering::Acquire) {
            return Err(WorkerError::Closed);
        }
        let warm = loop {
            let next = lock(&self.idle).pop_front();
            match next {
                Some(worker) if worker.is_alive() => break Some(worker),
                Some(_) => continue,
                None => break None,
            }
        };
        self.refill();
        match warm {
            Some(worker) => Ok(worker),
            None => {
                log::info!("no warm R worker ready; starting one on the call path");
                self.spawn_now(&[]).await
            }
        }
    }

    /// A new worker that may also write `write_roots` (granted directories
    /// are fixed when a worker starts, so warm ones cannot serve).
    pub async fn spawn_now(&self, write_roots: &[PathBuf]) -> Result<Arc<Worker>, WorkerError> {
        let started = Instant::now();
        let outcome = process::spawn(&self.config, write_roots).await;
        self.record(&outcome, started);
        outcome
    }

    fn record(&self, outcome: &Result<Arc<Worker>, WorkerError>, started: Instant) {
        match outcome {
            Ok(worker) => {
                self.started.fetch_add(1, Ordering::Relaxed);
                self.failures_in_a_row.store(0, Ordering::Relaxed);
                self.last_start_ms.store(
                    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                    Ordering::Relaxed,
                );
                *lock(&self.report) = Some(worker.sandbox.clone());
                if !worker.sandbox.errors.is_empty() {
                    log::warn!(
                        "R worker sandbox incomplete: {}",
                        worker.sandbox.errors.join("; ")
                    );
                }
            }
            Err(error) => {
                self.failures_in_a_row.fetch_add(1, Ordering::Relaxed);
                log::error!("starting an R worker failed: {error}");
                *lock(&self.last_error) = Some(error.to_string());
            }
        }
        self.changed.notify_waiters();
    }

    /// Starts workers until the warm ones (ready or starting) number
    /// `pool_size`.
    fn refill(self: &Arc<Self>) {
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        loop {
            let have = lock(&self.idle).len() + self.spawning.load(Ordering::Acquire);
            if have >= self.config.pool_size {
                return;
            }
            self.spawning.fetch_add(1, Ordering::AcqRel);
            let pool = Arc::clone(self);
            tokio::spawn(async move {
                let failures = pool.failures_in_a_row.load(Ordering::Relaxed);
                if failures > 0 {
                    let pause = Duration::from_millis(250 << failures.min(7)).min(MAX_BACKOFF);
                    tokio::time::sleep(pause).await;
                }
                let outcome = pool.spawn_now(&[]).await;
                let failed = outcome.is_err();
                if let Ok(worker) = outcome {
                    if pool.closed.load(Ordering::Acquire) {
                        worker.kill();
                    } else {
                        lock(&pool.idle).push_back(worker);
                    }
                }
                pool.spawning.fetch_sub(1, Ordering::AcqRel);
                pool.changed.notify_waiters();
                if failed {
                    pool.refill();
                }
            });
        }
    }

    /// The newest sandbox report, waiting up to `within` for the first.
    pub async fn sandbox_report(&self, within: Duration) -> Option<SandboxReport> {
        let deadline = Instant::now() + within;
        loop {
            let notified = self.changed.notified();
            if let Some(report) = lock(&self.report).clone() {
                return Some(report);
            }
            if self.failures_in_a_row.load(Ordering::Relaxed) > 0
                && self.spawning.load(Ordering::Acquire) == 0
            {
                return None;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || tokio::time::timeout(left, notified).await.is_err() {
                return lock(&self.report).clone();
            }
        }
    }

    /// The newest report, without waiting.
    pub fn last_report(&self) -> Option<SandboxReport> {
        lock(&self.report).clone()
    }

    /// Why the last start failed, if the newest attempt did.
    pub fn last_error(&self) -> Option<String> {
        if self.failures_in_a_row.load(Ordering::Relaxed) > 0 {
            lock(&self.last_error).clone()
        } else {
            None
        }
    }

    /// Warm workers ready now.
    pub fn idle_count(&self) -> usize {
        lock(&self.idle).len()
    }

    /// Pool numbers for `/health`.
    pub fn health(&self) -> Value {
        json!({
            "warm": self.idle_count(),
            "starting": self.spawning.load(Ordering::Acquire),
            "target": self.config.pool_size,
            "started_total": self.started.load(Ordering::Relaxed),
            "last_start_ms": self.last_start_ms.load(Ordering::Relaxed),
            "last_error": self.last_error(),
        })
    }

    /// Stops refilling and kills the warm workers.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        let idle: Vec<_> = lock(&self.idle).drain(..).collect();
        for worker in idle {
            worker.kill();
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.close();
    }
}
