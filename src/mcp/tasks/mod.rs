//! Tasks (SEP-2663, the extension `io.modelcontextprotocol/tasks`): a
//! `tools/call` of a long tool answers at once with a task id, the work goes
//! on without the request, and the client polls `tasks/get` for the status
//! and, once terminal, the result inlined; `tasks/update` answers the
//! questions a running task asked (elicitation, sampling, roots), and
//! `tasks/cancel` stops it.
//!
//! This module owns the task store ([`TaskStore`]): the records, who may see
//! them (their creator only: the session of an older revision, the
//! credential of a 2026-07-28 request), their bounds (a TTL after they
//! settle, a count and result bytes per client and in all, the oldest
//! finished tasks evicted first, with a small bounded list of tombstones
//! that say plainly why an id is gone), and the wire shapes of a task. The
//! `tools/call` branch that creates and runs tasks is `run`, the `tasks/*`
//! methods `methods`. It knows no R and no HTTP.

mod methods;
mod run;
mod time;

pub use methods::TASK_METHODS;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use rmcp::model::ErrorData;
use serde_json::{json, Map, Value};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use super::dispatch::invalid_params;
use super::modern::{modern_code, META_CLIENT_CAPABILITIES};
use super::session::Session;
use crate::metrics::Metrics;

/// The extension's id, in `capabilities.extensions`.
pub const TASKS_EXTENSION: &str = "io.modelcontextprotocol/tasks";

/// How many ids of evicted or expired tasks are remembered, so that their
/// owner learns why they are gone rather than "not found".
const MAX_TOMBSTONES: usize = 4096;

/// How often the store looks for expired tasks (on its next use).
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// The bounds of the task store (`RMCP_TASK_*`).
#[derive(Debug, Clone)]
pub struct TaskLimits {
    /// How long a settled task's result is kept (reported as `ttlMs`).
    pub ttl: Duration,
    /// How often a client should poll (`pollIntervalMs`).
    pub poll_interval: Duration,
    /// Tasks one client (session or credential) may hold, running or not.
    pub max_per_client: usize,
    /// Bytes of results one client may hold.
    pub max_bytes_per_client: usize,
    /// Tasks the server holds in all.
    pub max_total: usize,
    /// Bytes of results the server holds in all.
    pub max_total_bytes: usize,
}

impl Default for TaskLimits {
    fn default() -> Self {
        TaskLimits {
            ttl: Duration::from_secs(3600),
            poll_interval: Duration::from_millis(500),
            max_per_client: 100,
            max_bytes_per_client: 64 << 20,
            max_total: 10_000,
            max_total_bytes: 512 << 20,
        }
    }
}

/// Where a task stands (the wire's `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Working,
    InputRequired,
    Completed,
    Failed,
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Working => "working",
            Status::InputRequired => "input_required",
            Status::Completed => "completed",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Completed | Status::Failed | Status::Cancelled)
    }
}

/// How a task ended: the tool's result (an `isError` one included), or a
/// protocol-level failure (`{code, message}`).
#[derive(Debug, Clone)]
pub(super) enum Outcome {
    Result(Value),
    Error(Value),
}

/// A question the running task asked the client, waiting for
/// `tasks/update`.
struct Pending {
    request: Value,
    reply: oneshot::Sender<Value>,
}

struct TaskState {
    status: Status,
    updated: SystemTime,
    message: Option<String>,
    outcome: Option<Outcome>,
    pending: BTreeMap<String, Pending>,
    next_key: u64,
    /// Bytes of the result, counted against the owner's and the total bound.
    bytes: usize,
    settled: Option<Instant>,
}

/// One task.
pub(super) struct Task {
    pub id: String,
    /// Who may see it: `session:<id>` (older revisions) or `key:<principal>`
    /// (2026-07-28).
    owner: String,
    created: SystemTime,
    /// Creation order: the oldest finished tasks are evicted first.
    seq: u64,
    /// Tripped by `tasks/cancel`, the end of the owning session, or the
    /// server's shutdown; a child of nothing a request owns, so a task
    /// outlives the request (and connection) that created it.
    pub cancel: CancellationToken,
    state: Mutex<TaskState>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Task {
    pub fn status(&self) -> Status {
        lock(&self.state).status
    }

    /// Parks a question (`method`, `params`) under a fresh key; the task is
    /// `input_required` until every question is answered.
    pub(super) fn ask(&self, method: &str, params: Value) -> (String, oneshot::Receiver<Value>) {
        let (reply, answer) = oneshot::channel();
        let mut state = lock(&self.state);
        state.next_key += 1;
        let key = format!("input-{}", state.next_key);
        state.pending.insert(
            key.clone(),
            Pending {
                request: json!({"method": method, "params": params}),
                reply,
            },
        );
        if !state.status.is_terminal() {
            state.status = Status::InputRequired;
            state.message = Some(waiting_message(state.pending.len()));
            state.updated = SystemTime::now();
        }
        (key, answer)
    }

    /// Drops the question `key` (its asker stopped waiting).
    pub(super) fn forget(&self, key: &str) {
        let mut state = lock(&self.state);
        state.pending.remove(key);
        resume_if_answered(&mut state);
    }

    /// Delivers `tasks/update`'s answers; unknown keys are ignored.
    pub(super) fn answer(&self, responses: &Map<String, Value>) {
        let mut state = lock(&self.state);
        for (key, answer) in responses {
            if let Some(pending) = state.pending.remove(key) {
                let _ = pending.reply.send(answer.clone());
            }
        }
        resume_if_answered(&mut state);
    }

    /// Sets the status message (a tool's log lines show up here).
    pub(super) fn set_message(&self, message: String) {
        let mut state = lock(&self.state);
        if !state.status.is_terminal() {
            state.message = Some(message);
            state.updated = SystemTime::now();
        }
    }

    /// Cancels a task that has not settled; a settled one stays as it is.
    pub(super) fn cancel(&self) {
        {
            let mut state = lock(&self.state);
            if !state.status.is_terminal() {
                state.status = Status::Cancelled;
                state.message = Some("cancelled by the client".into());
                state.pending.clear();
                state.updated = SystemTime::now();
                state.settled = Some(Instant::now());
            }
        }
        self.cancel.cancel();
    }

    /// The task as `tools/call` answers when it creates it.
    pub(super) fn create_result(&self, limits: &TaskLimits) -> Value {
        let state = lock(&self.state);
        let mut value = self.envelope(&state, limits);
        value.insert("resultType".into(), json!("task"));
        Value::Object(value)
    }

    /// The task as `tasks/get` answers (a `DetailedTask`).
    pub(super) fn detailed(&self, limits: &TaskLimits) -> Value {
        let state = lock(&self.state);
        let mut value = self.envelope(&state, limits);
        value.insert("resultType".into(), json!("complete"));
        if let Some(message) = &state.message {
            value.insert("statusMessage".into(), json!(message));
        }
        match (&state.outcome, state.status) {
            (Some(Outcome::Result(result)), Status::Completed) => {
                value.insert("result".into(), result.clone());
            }
            (Some(Outcome::Error(error)), Status::Failed) => {
                value.insert("error".into(), error.clone());
            }
            _ => {}
        }
        if state.status == Status::InputRequired {
            let requests: Map<String, Value> = state
                .pending
                .iter()
                .map(|(key, pending)| (key.clone(), pending.request.clone()))
                .collect();
            value.insert("inputRequests".into(), Value::Object(requests));
        }
        Value::Object(value)
    }

    fn envelope(&self, state: &TaskState, limits: &TaskLimits) -> Map<String, Value> {
        let mut value = Map::new();
        value.insert("taskId".into(), json!(self.id));
        value.insert("status".into(), json!(state.status.as_str()));
        value.insert("createdAt".into(), json!(time::iso8601(self.created)));
        value.insert("lastUpdatedAt".into(), json!(time::iso8601(state.updated)));
        value.insert("ttlMs".into(), json!(millis(limits.ttl)));
        value.insert("pollIntervalMs".into(), json!(millis(limits.poll_interval)));
        value
    }
}

fn resume_if_answered(state: &mut TaskState) {
    if state.status != Status::InputRequired {
        return;
    }
    if state.pending.is_empty() {
        state.status = Status::Working;
        state.message = None;
    } else {
        state.message = Some(waiting_message(state.pending.len()));
    }
    state.updated = SystemTime::now();
}

fn waiting_message(questions: usize) -> String {
    format!("waiting for the client's answer to {questions} question(s) (tasks/update)")
}

/// A duration as the wire's positive integer milliseconds.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

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

/// Whether this request negotiated the extension: in the session's
/// capabilities (`initialize`, or a 2026-07-28 request's `_meta`), or
/// opted in for this request alone in `_meta`.
pub(super) fn negotiated(session: &Session, params: &Map<String, Value>) -> bool {
    let declares = |capabilities: &Value| {
        capabilities
            .get("extensions")
            .and_then(|extensions| extensions.get(TASKS_EXTENSION))
            .is_some_and(|value| !value.is_null())
    };
    session
        .handshake()
        .is_some_and(|handshake| declares(&handshake.client_capabilities))
        || params
            .get("_meta")
            .and_then(|meta| meta.get(META_CLIENT_CAPABILITIES))
            .is_some_and(declares)
}

/// The -32021 error of a request that needs the extension the client did
/// not declare.
pub(super) fn missing_extension(what: &str) -> ErrorData {
    ErrorData::new(
        modern_code::MISSING_CAPABILITY,
        format!(
            "{what} needs the client capability extensions[{TASKS_EXTENSION:?}]; declare it in the client's capabilities"
        ),
        Some(json!({"requiredCapabilities": {"extensions": {TASKS_EXTENSION: {}}}})),
    )
}

/// Whose tasks a request sees: the session's (older revisions) or the
/// credential's (2026-07-28, where each request has a session of its own).
pub(super) fn owner_of(session: &Session) -> String {
    if super::modern::is_modern(session) {
        format!("key:{}", session.principal().as_deref().unwrap_or(""))
    } else {
        format!("session:{}", session.id)
    }
}

/// The owner key of the older revisions' session `id`.
pub(super) fn session_owner(id: &str) -> String {
    format!("session:{id}")
}
