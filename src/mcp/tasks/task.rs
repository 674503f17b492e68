//! One task: its state (status, status message, outcome, the questions it
//! asked the client and waits for), the transitions `tasks/update`,
//! `tasks/cancel` and its call make, and its wire shapes (the
//! `CreateTaskResult` of `tools/call`, the `DetailedTask` of `tasks/get`).
//! Where tasks are kept and who sees them is `store`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{json, Map, Value};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use super::{lock, time, Status, TaskLimits};

/// How a task ended: the tool's result (an `isError` one included), or a
/// protocol-level failure (`{code, message}`).
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    Result(Value),
    Error(Value),
}

/// A question the running task asked the client, waiting for
/// `tasks/update`.
pub(super) struct Pending {
    request: Value,
    reply: oneshot::Sender<Value>,
}

pub(super) struct TaskState {
    pub(super) status: Status,
    pub(super) updated: SystemTime,
    pub(super) message: Option<String>,
    pub(super) outcome: Option<Outcome>,
    pub(super) pending: BTreeMap<String, Pending>,
    pub(super) next_key: u64,
    /// Bytes of the result, counted against the owner's and the total bound.
    pub(super) bytes: usize,
    pub(super) settled: Option<Instant>,
}

/// One task.
pub(crate) struct Task {
    pub id: String,
    /// Who may see it: `session:<id>` (older revisions) or `key:<principal>`
    /// (2026-07-28).
    pub(super) owner: String,
    pub(super) created: SystemTime,
    /// Creation order: the oldest finished tasks are evicted first.
    pub(super) seq: u64,
    /// Tripped by `tasks/cancel`, the end of the owning session, or the
    /// server's shutdown; a child of nothing a request owns, so a task
    /// outlives the request (and connection) that created it.
    pub cancel: CancellationToken,
    pub(super) state: Mutex<TaskState>,
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
