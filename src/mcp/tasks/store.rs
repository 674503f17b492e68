//! The task store: every task of this server by id, per client and in
//! creation order; the bounds (TTL after a task settles, count and result
//! bytes per client and in all; the oldest settled tasks evicted first,
//! running ones never) and the tombstones that tell a task's owner why its
//! id is gone. A task itself is `task`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use rmcp::model::ErrorData;
use tokio_util::sync::CancellationToken;

use super::task::{Outcome, Task, TaskState};
use super::{lock, Status, TaskLimits};
use crate::mcp::dispatch::invalid_params;
use crate::metrics::Metrics;

/// How many ids of evicted or expired tasks are remembered, so that their
/// owner learns why they are gone rather than "not found".
const MAX_TOMBSTONES: usize = 4096;

/// How often the store looks for expired tasks (on its next use).
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// Why an id no longer names a task, for its owner.
struct Tombstone {
    owner: String,
    reason: String,
}

#[derive(Default)]
struct Owned {
    /// The client's tasks by creation order.
    tasks: BTreeMap<u64, String>,
    bytes: usize,
}

struct Tasks {
    by_id: HashMap<String, Arc<Task>>,
    /// Every task by creation order.
    order: BTreeMap<u64, String>,
    owners: HashMap<String, Owned>,
    total_bytes: usize,
    tombstones: HashMap<String, Tombstone>,
    tombstone_order: VecDeque<String>,
    next_seq: u64,
    last_sweep: Instant,
}

/// Every task of this server.
pub struct TaskStore {
    limits: TaskLimits,
    node_id: Option<String>,
    metrics: Arc<Metrics>,
    tasks: Mutex<Tasks>,
    /// Parent of every task's cancel token: the server's shutdown stops
    /// the tasks still running after its grace period.
    shutdown: CancellationToken,
}

/// Which bound made room for a new task or result.
#[derive(Debug, Clone, Copy)]
enum Bound {
    ClientCount,
    ClientBytes,
    TotalCount,
    TotalBytes,
}

impl TaskStore {
    pub fn new(limits: TaskLimits, node_id: Option<String>, metrics: Arc<Metrics>) -> TaskStore {
        TaskStore {
            limits,
            node_id,
            metrics,
            tasks: Mutex::new(Tasks {
                by_id: HashMap::new(),
                order: BTreeMap::new(),
                owners: HashMap::new(),
                total_bytes: 0,
                tombstones: HashMap::new(),
                tombstone_order: VecDeque::new(),
                next_seq: 0,
                last_sweep: Instant::now(),
            }),
            shutdown: CancellationToken::new(),
        }
    }

    /// Tasks still running (working or waiting for input).
    pub fn running(&self) -> usize {
        lock(&self.tasks)
            .by_id
            .values()
            .filter(|task| !task.status().is_terminal())
            .count()
    }

    /// Cancels every running task (the server is stopping).
    pub fn shutdown(&self) {
        self.shutdown.cancel();
    }

    pub fn limits(&self) -> &TaskLimits {
        &self.limits
    }

    /// Tasks held now (running and settled) and their result bytes.
    pub fn usage(&self) -> (usize, usize) {
        let tasks = lock(&self.tasks);
        (tasks.by_id.len(), tasks.total_bytes)
    }

    /// A new `working` task of `owner`, visible to `tasks/get` at once. When
    /// the owner or the server is at its bound, the oldest settled tasks go
    /// first; when every task in the way is still running, the new one is
    /// refused with a message for the client.
    pub(super) fn create(&self, owner: String) -> Result<Arc<Task>, String> {
        let id = crate::ids::routable(self.node_id.as_deref())
            .map_err(|error| format!("cannot create a task: {error}"))?;
        let mut tasks = lock(&self.tasks);
        self.sweep_if_due(&mut tasks);
        while tasks
            .owners
            .get(&owner)
            .map_or(0, |owned| owned.tasks.len())
            >= self.limits.max_per_client
        {
            if !self.evict_oldest(&mut tasks, Some(&owner), Bound::ClientCount) {
                return Err(format!(
                    "this client already has {} tasks running, the most it may hold; wait for one to finish or cancel one (tasks/cancel), then call again",
                    self.limits.max_per_client
                ));
            }
        }
        while tasks.by_id.len() >= self.limits.max_total {
            if !self.evict_oldest(&mut tasks, None, Bound::TotalCount) {
                return Err(format!(
                    "the server is running {} tasks, the most it holds; try again later",
                    self.limits.max_total
                ));
            }
        }
        let seq = tasks.next_seq;
        tasks.next_seq += 1;
        let now = SystemTime::now();
        let task = Arc::new(Task {
            id: id.clone(),
            owner: owner.clone(),
            created: now,
            seq,
            cancel: self.shutdown.child_token(),
            state: Mutex::new(TaskState {
                status: Status::Working,
                updated: now,
                message: None,
                outcome: None,
                pending: BTreeMap::new(),
                next_key: 0,
                bytes: 0,
                settled: None,
            }),
        });
        tasks.by_id.insert(id.clone(), Arc::clone(&task));
        tasks.order.insert(seq, id.clone());
        tasks.owners.entry(owner).or_default().tasks.insert(seq, id);
        self.metrics.task_created();
        self.metrics.set_tasks(tasks.by_id.len(), tasks.total_bytes);
        Ok(task)
    }

    /// Forgets a task no client has seen (the call answered at once).
    pub(super) fn discard(&self, task: &Task) {
        let mut tasks = lock(&self.tasks);
        Self::remove(&mut tasks, &task.id);
        self.metrics.set_tasks(tasks.by_id.len(), tasks.total_bytes);
    }

    /// Records how `task` ended (a cancelled task stays cancelled), then
    /// keeps the byte bounds, evicting the oldest settled tasks (this one
    /// too, when its result alone is over the client's bound).
    pub(super) fn settle(&self, task: &Task, outcome: Outcome) {
        let bytes = match &outcome {
            Outcome::Result(value) | Outcome::Error(value) => value.to_string().len(),
        };
        let status = {
            let mut state = lock(&task.state);
            if state.status.is_terminal() {
                None
            } else {
                state.status = match outcome {
                    Outcome::Result(_) => Status::Completed,
                    Outcome::Error(_) => Status::Failed,
                };
                state.message = None;
                state.outcome = Some(outcome);
                state.pending.clear();
                state.bytes = bytes;
                state.updated = SystemTime::now();
                state.settled = Some(Instant::now());
                Some(state.status)
            }
        };
        let mut tasks = lock(&self.tasks);
        let status = status.unwrap_or(Status::Cancelled);
        self.metrics.task_settled(status.as_str());
        if status == Status::Cancelled || !tasks.by_id.contains_key(&task.id) {
            return;
        }
        tasks.total_bytes += bytes;
        if let Some(owned) = tasks.owners.get_mut(&task.owner) {
            owned.bytes += bytes;
        }
        while tasks
            .owners
            .get(&task.owner)
            .is_some_and(|owned| owned.bytes > self.limits.max_bytes_per_client)
        {
            if !self.evict_oldest(&mut tasks, Some(&task.owner), Bound::ClientBytes) {
                break;
            }
        }
        while tasks.total_bytes > self.limits.max_total_bytes {
            if !self.evict_oldest(&mut tasks, None, Bound::TotalBytes) {
                break;
            }
        }
        self.metrics.set_tasks(tasks.by_id.len(), tasks.total_bytes);
    }

    /// `owner`'s task `id`; -32602 for an id that names no task of theirs
    /// (the same for another client's task as for an unknown one), with the
    /// reason when the task was evicted or expired.
    pub(super) fn get(&self, owner: &str, id: &str) -> Result<Arc<Task>, ErrorData> {
        let mut tasks = lock(&self.tasks);
        self.sweep_if_due(&mut tasks);
        if let Some(task) = tasks.by_id.get(id).filter(|task| task.owner == owner) {
            return Ok(Arc::clone(task));
        }
        if let Some(tombstone) = tasks
            .tombstones
            .get(id)
            .filter(|tombstone| tombstone.owner == owner)
        {
            return Err(invalid_params(tombstone.reason.clone()));
        }
        Err(invalid_params(format!("task not found: {id}")))
    }

    /// Cancels and forgets every task of `owner` (its session ended).
    pub(super) fn end_owner(&self, owner: &str) {
        let mut tasks = lock(&self.tasks);
        let Some(owned) = tasks.owners.get(owner) else {
            return;
        };
        let ids: Vec<String> = owned.tasks.values().cloned().collect();
        for id in ids {
            if let Some(task) = Self::remove(&mut tasks, &id) {
                task.cancel();
            }
        }
        self.metrics.set_tasks(tasks.by_id.len(), tasks.total_bytes);
    }

    /// Evicts the oldest settled task (of `owner`, or of anyone); `false`
    /// when every candidate is still running.
    fn evict_oldest(&self, tasks: &mut Tasks, owner: Option<&str>, bound: Bound) -> bool {
        let candidates: Box<dyn Iterator<Item = &String>> = match owner {
            Some(owner) => match tasks.owners.get(owner) {
                Some(owned) => Box::new(owned.tasks.values()),
                None => return false,
            },
            None => Box::new(tasks.order.values()),
        };
        let victim = candidates
            .filter_map(|id| tasks.by_id.get(id))
            .find(|task| task.status().is_terminal())
            .map(|task| task.id.clone());
        let Some(victim) = victim else {
            return false;
        };
        let why = match bound {
            Bound::ClientCount => format!(
                "this client reached its limit of {} tasks",
                self.limits.max_per_client
            ),
            Bound::ClientBytes => format!(
                "this client's results reached their limit of {} bytes",
                self.limits.max_bytes_per_client
            ),
            Bound::TotalCount => format!(
                "the server reached its limit of {} tasks",
                self.limits.max_total
            ),
            Bound::TotalBytes => format!(
                "the server's results reached their limit of {} bytes",
                self.limits.max_total_bytes
            ),
        };
        self.bury(
            tasks,
            &victim,
            format!(
                "the result of task {victim} was evicted ({why}; the oldest finished tasks go first); run the tool again"
            ),
        );
        self.metrics.task_evicted("evicted");
        true
    }

    fn sweep_if_due(&self, tasks: &mut Tasks) {
        if tasks.last_sweep.elapsed() < SWEEP_EVERY {
            return;
        }
        tasks.last_sweep = Instant::now();
        let ttl = self.limits.ttl;
        let expired: Vec<String> = tasks
            .by_id
            .values()
            .filter(|task| {
                lock(&task.state)
                    .settled
                    .is_some_and(|at| at.elapsed() >= ttl)
            })
            .map(|task| task.id.clone())
            .collect();
        for id in expired {
            let reason = format!(
                "the result of task {id} expired (results are kept {} s after the task ends); run the tool again",
                ttl.as_secs()
            );
            self.bury(tasks, &id, reason);
            self.metrics.task_evicted("expired");
        }
        self.metrics.set_tasks(tasks.by_id.len(), tasks.total_bytes);
    }

    /// Removes `id`, leaving a tombstone with `reason` for its owner.
    fn bury(&self, tasks: &mut Tasks, id: &str, reason: String) {
        let Some(task) = Self::remove(tasks, id) else {
            return;
        };
        task.cancel.cancel();
        while tasks.tombstone_order.len() >= MAX_TOMBSTONES {
            if let Some(old) = tasks.tombstone_order.pop_front() {
                tasks.tombstones.remove(&old);
            }
        }
        tasks.tombstone_order.push_back(id.to_string());
        tasks.tombstones.insert(
            id.to_string(),
            Tombstone {
                owner: task.owner.clone(),
                reason,
            },
        );
    }

    fn remove(tasks: &mut Tasks, id: &str) -> Option<Arc<Task>> {
        let task = tasks.by_id.remove(id)?;
        let bytes = lock(&task.state).bytes;
        tasks.order.remove(&task.seq);
        tasks.total_bytes = tasks.total_bytes.saturating_sub(bytes);
        let empty = tasks.owners.get_mut(&task.owner).is_some_and(|owned| {
            owned.tasks.remove(&task.seq);
            owned.bytes = owned.bytes.saturating_sub(bytes);
            owned.tasks.is_empty()
        });
        if empty {
            tasks.owners.remove(&task.owner);
        }
        Some(task)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn store(limits: TaskLimits) -> TaskStore {
        TaskStore::new(limits, None, Arc::new(Metrics::new().expect("metrics")))
    }

    fn message(error: ErrorData) -> String {
        error.message.to_string()
    }

    #[test]
    fn running_tasks_are_never_evicted_and_a_full_client_is_refused() {
        let store = store(TaskLimits {
            max_per_client: 2,
            ..TaskLimits::default()
        });
        let first = store.create("key:a".into()).expect("first");
        let _second = store.create("key:a".into()).expect("second");
        let Err(refused) = store.create("key:a".into()) else {
            panic!("both still run: the third must be refused");
        };
        assert!(refused.contains("wait for one to finish"), "{refused}");
        assert!(
            store.create("key:b".into()).is_ok(),
            "another client has room"
        );
        store.settle(&first, Outcome::Result(json!({"content": []})));
        let _third = store
            .create("key:a".into())
            .expect("the finished one made room");
        let gone = message(store.get("key:a", &first.id).err().expect("evicted"));
        assert!(
            gone.contains("was evicted") && gone.contains("run the tool again"),
            "{gone}"
        );
        let stranger = message(store.get("key:b", &first.id).err().expect("not theirs"));
        assert_eq!(stranger, format!("task not found: {}", first.id));
    }

    #[test]
    fn a_result_over_the_clients_bytes_evicts_the_oldest_then_itself() {
        let store = store(TaskLimits {
            max_bytes_per_client: 100,
            ..TaskLimits::default()
        });
        let small = store.create("key:a".into()).expect("small");
        store.settle(&small, Outcome::Result(json!({"text": "x".repeat(40)})));
        let big = store.create("key:a".into()).expect("big");
        store.settle(&big, Outcome::Result(json!({"text": "y".repeat(80)})));
        assert!(
            store.get("key:a", &small.id).is_err(),
            "the oldest went first"
        );
        assert!(store.get("key:a", &big.id).is_ok(), "80 bytes fit alone");
        let huge = store.create("key:a".into()).expect("huge");
        store.settle(&huge, Outcome::Result(json!({"text": "z".repeat(500)})));
        assert!(store.get("key:a", &huge.id).is_err());
        assert!(store.usage().1 <= 100);
    }

    #[test]
    fn tombstones_stay_bounded() {
        let store = store(TaskLimits {
            max_per_client: 1,
            ..TaskLimits::default()
        });
        for _ in 0..MAX_TOMBSTONES + 10 {
            let task = store.create("key:a".into()).expect("room");
            store.settle(&task, Outcome::Result(json!({})));
        }
        let tasks = lock(&store.tasks);
        assert_eq!(tasks.by_id.len(), 1);
        assert_eq!(tasks.tombstones.len(), MAX_TOMBSTONES);
        assert_eq!(tasks.tombstone_order.len(), MAX_TOMBSTONES);
    }
}
