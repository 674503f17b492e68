//! Input-required results (SEP-2322, protocol 2026-07-28): how a request of
//! the stateless revision asks the client for sampling, elicitation or its
//! roots. The server sends no request of its own; the handler's question
//! ends the round with an `InputRequiredResult` (`inputRequests` keyed by
//! name, and a `requestState`), and the client retries the same request
//! with `inputResponses` and that state. The handler then runs again from
//! the start and finds its answers.
//!
//! `requestState` carries the answers of the earlier rounds, bound to the
//! method and the tool or prompt, and sealed with HMAC-SHA256 under the
//! server's key ([`StateKey`]), so a client cannot forge or alter it, and
//! any replica with the same key can continue a round another one began. It
//! is signed, not encrypted: it holds nothing secret (the client's own
//! answers). It is not bound to the arguments: they can be a whole data
//! table, hashing them on every call would cost more than it protects, and
//! the state holds only answers the client could give again anyway.
//!
//! It owns the round ([`InputRound`], in scope for the handlers of one
//! request through a task-local) and the state's format; not the wire
//! decoration of results (`modern`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rmcp::model::{ErrorData, InputRequests, InputRequiredResult};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::dispatch::invalid_params;
use crate::tools::PeerError;

/// How long a `requestState` stays good: a person may take a while to
/// answer, not a day.
const STATE_TTL: Duration = Duration::from_secs(3600);

/// The key that seals `requestState`. Replicas behind one load balancer
/// share it (`RMCP_REQUEST_STATE_KEY`); without one each process draws its
/// own at start-up, and a round must then end on the process that began it.
#[derive(Clone)]
pub struct StateKey(Arc<[u8]>);

impl std::fmt::Debug for StateKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("StateKey(<secret>)")
    }
}

impl StateKey {
    pub fn new(bytes: &[u8]) -> StateKey {
        StateKey(Arc::from(bytes))
    }

    /// 32 bytes from the OS CSPRNG.
    pub fn random() -> StateKey {
        let mut bytes = [0u8; 32];
        if let Err(error) = getrandom::fill(&mut bytes) {
            // Without randomness a fixed key would be guessable; the clock
            // and address are a poor but unique fallback, logged loudly.
            log::error!("no OS randomness for the request-state key ({error}); using a weak one");
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos();
            bytes = Sha256::digest(format!("{now}:{:p}", &bytes).as_bytes()).into();
        }
        StateKey::new(&bytes)
    }

    fn tag(&self, message: &[u8]) -> [u8; 32] {
        hmac_sha256(&self.0, message)
    }
}

/// HMAC-SHA256 (RFC 2104).
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > block.len() {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|byte| byte ^ 0x36));
    inner.update(message);
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(block.map(|byte| byte ^ 0x5c));
    outer.update(inner);
    outer.finalize().into()
}

/// The client capability a request to the client needs.
fn capability_of(method: &str) -> Option<&'static str> {
    match method {
        "sampling/createMessage" => Some("sampling"),
        "elicitation/create" => Some("elicitation"),
        "roots/list" => Some("roots"),
        _ => None,
    }
}

/// One request's round of questions to the client.
pub struct InputRound {
    /// What the state is bound to: method, and tool, prompt or resource.
    binding: String,
    /// The client's answers so far, by key (earlier rounds' from the
    /// state, this round's from `inputResponses`).
    responses: Map<String, Value>,
    /// Questions asked this time that have no answer yet, in order.
    asked: Mutex<Vec<(String, Value)>>,
    next_key: AtomicU64,
    capabilities: Value,
    /// A capability a handler needed and the client had not declared.
    missing: Mutex<Option<String>>,
}

tokio::task_local! {
    static ROUND: Arc<InputRound>;
}

/// The round of the request being handled on this task, if it is one of the
/// stateless revision.
pub fn current() -> Option<Arc<InputRound>> {
    ROUND.try_with(Arc::clone).ok()
}

/// Runs `future` with `round` in scope.
pub(super) async fn scope<F: std::future::Future>(round: Arc<InputRound>, future: F) -> F::Output {
    ROUND.scope(round, future).await
}

/// Asks the client `method` with `params` under `key` (or the next
/// automatic key) in the round of this task's request: the client's answer
/// when it gave one, else [`PeerError::InputRequired`] (the question goes
/// into the `InputRequiredResult`). `None` outside a stateless request.
pub fn ask(key: Option<&str>, method: &str, params: Value) -> Option<Result<Value, PeerError>> {
    let round = current()?;
    Some(round.ask(key, method, params))
}

impl InputRound {
    /// Reads a request's `inputResponses` and `requestState`; a state that
    /// fails verification, expired, or belongs to another request is
    /// refused (-32602).
    pub(super) fn begin(
        key: &StateKey,
        method: &str,
        params: &Map<String, Value>,
        capabilities: Value,
    ) -> Result<InputRound, ErrorData> {
        let name = params
            .get("name")
            .or_else(|| params.get("uri"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let binding = format!("{method}\n{name}");
        let mut responses = match params.get("requestState") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::String(state)) => open(key, state, &binding)?,
            Some(_) => return Err(invalid_params("\"requestState\" must be a string")),
        };
        match params.get("inputResponses") {
            None | Some(Value::Null) => {}
            Some(Value::Object(answers)) => {
                for (answer_key, answer) in answers {
                    // An answer must be a result object; anything else is
                    // treated as no answer, and the question is asked again.
                    if answer.is_object() {
                        responses.insert(answer_key.clone(), answer.clone());
                    }
                }
            }
            Some(_) => {
                return Err(invalid_params(
                    "\"inputResponses\" must be an object of results by key",
                ))
            }
        }
        Ok(InputRound {
            binding,
            responses,
            asked: Mutex::new(Vec::new()),
            next_key: AtomicU64::new(1),
            capabilities,
            missing: Mutex::new(None),
        })
    }

    fn ask(&self, key: Option<&str>, method: &str, params: Value) -> Result<Value, PeerError> {
        if let Some(capability) = capability_of(method) {
            let declared = self
                .capabilities
                .get(capability)
                .is_some_and(|value| !value.is_null());
            if !declared {
                *self.missing.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some(capability.to_string());
                return Err(PeerError::Unsupported {
                    capability: capability.to_string(),
                });
            }
        }
        let key = match key {
            Some(key) => key.to_string(),
            None => format!("input-{}", self.next_key.fetch_add(1, Ordering::Relaxed)),
        };
        if let Some(answer) = self.responses.get(&key) {
            return Ok(answer.clone());
        }
        self.asked
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((key, json!({"method": method, "params": params})));
        Err(PeerError::InputRequired)
    }

    /// Whether a handler asked a question this round that has no answer.
    pub(super) fn has_questions(&self) -> bool {
        !self
            .asked
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_empty()
    }

    /// The capability a handler needed and the client lacked, if any.
    pub(super) fn missing_capability(&self) -> Option<String> {
        self.missing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The `InputRequiredResult` when a handler asked questions this round
    /// that the client has not answered, built with rmcp's wire types (a
    /// question they cannot type is an internal error, never sent
    /// malformed).
    pub(super) fn input_required(&self, key: &StateKey) -> Option<Result<Value, ErrorData>> {
        let asked = self.asked.lock().unwrap_or_else(|p| p.into_inner());
        if asked.is_empty() {
            return None;
        }
        let requests: Map<String, Value> = asked.iter().cloned().collect();
        let typed = serde_json::from_value::<InputRequests>(Value::Object(requests))
            .map_err(|error| format!("a question to the client is malformed: {error}"))
            .and_then(|requests| {
                let result = InputRequiredResult::new(
                    Some(requests),
                    Some(seal(key, &self.responses, &self.binding)),
                );
                serde_json::to_value(result).map_err(|error| error.to_string())
            })
            .map_err(|message| ErrorData::internal_error(message, None));
        Some(typed)
    }
}

/// `base64url(payload) "." base64url(HMAC(payload))`.
fn seal(key: &StateKey, responses: &Map<String, Value>, binding: &str) -> String {
    let expires = SystemTime::now()
        .checked_add(STATE_TTL)
        .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
        .map(|since| since.as_secs())
        .unwrap_or(0);
    let payload = json!({"v": 1, "for": binding, "expires": expires, "responses": responses});
    let payload = URL_SAFE_NO_PAD.encode(payload.to_string());
    let tag = URL_SAFE_NO_PAD.encode(key.tag(payload.as_bytes()));
    format!("{payload}.{tag}")
}

fn open(key: &StateKey, state: &str, binding: &str) -> Result<Map<String, Value>, ErrorData> {
    let refused = |why: &str| {
        invalid_params(format!(
            "invalid requestState: {why}; start the request again without requestState"
        ))
    };
    let (payload, tag) = state.split_once('.').ok_or_else(|| refused("malformed"))?;
    let tag = URL_SAFE_NO_PAD
        .decode(tag)
        .map_err(|_| refused("malformed"))?;
    let expected = key.tag(payload.as_bytes());
    if !bool::from(expected.as_slice().ct_eq(tag.as_slice())) {
        return Err(refused(
            "it failed verification (altered, or sealed by another key)",
        ));
    }
    let payload: Value = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| refused("malformed"))?;
    if payload["for"].as_str() != Some(binding) {
        return Err(refused("it belongs to another request"));
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| since.as_secs())
        .unwrap_or(u64::MAX);
    if payload["expires"]
        .as_u64()
        .is_none_or(|expires| expires < now)
    {
        return Err(refused("it expired"));
    }
    match payload.get("responses") {
        Some(Value::Object(responses)) => Ok(responses.clone()),
        _ => Err(refused("malformed")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231, test case 2.
    #[test]
    fn hmac_matches_the_rfc_vector() {
        let tag = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = tag.iter().map(|byte| format!("{byte:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_state_opens_only_unaltered_for_its_request_and_key() {
        let key = StateKey::new(b"0123456789abcdef0123456789abcdef");
        let mut responses = Map::new();
        responses.insert("step1".into(), json!({"action": "accept"}));
        let state = seal(&key, &responses, "tools/call\nt\nx");
        assert_eq!(
            open(&key, &state, "tools/call\nt\nx").expect("opens"),
            responses
        );
        assert!(open(&key, &format!("{state}-TAMPERED"), "tools/call\nt\nx").is_err());
        assert!(open(&key, &state, "tools/call\nother\nx").is_err());
        assert!(open(&StateKey::random(), &state, "tools/call\nt\nx").is_err());
    }
}
