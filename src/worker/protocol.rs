//! The wire protocol between the server and one R worker: length-prefixed
//! JSON frames over the worker's Unix socket (a 4-byte big-endian length,
//! then that many bytes of JSON).
//!
//! Server → worker: [`ToWorker`] — a `request` (an [`Op`] with its
//! arguments and time limit), a `cancel` of the request in flight, and the
//! `callback_result` answering a worker's callback.
//! Worker → server: [`FromWorker`] — `ready` once (with the sandbox report),
//! one `reply` per request, and `callback` frames when R code calls
//! `rmcp_call(tool, args)`.
//!
//! The server never trusts what a worker sends: a frame over
//! [`MAX_FRAME_BYTES`] or one that does not parse ends that worker. This
//! module only encodes and decodes; it knows no R and no MCP.

use std::io::{self, Read, Write};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Largest frame either side accepts: a reply's value and console output
/// (capped by the worker's engine) plus a PNG fit well inside.
pub const MAX_FRAME_BYTES: usize = 96 << 20;

/// What the server asks of a worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToWorker {
    /// Run `op` with `args`; at most `timeout_ms` of R time.
    Request {
        id: u64,
        op: Op,
        args: Value,
        timeout_ms: u64,
    },
    /// Stop request `id` (the client cancelled the call).
    Cancel { id: u64 },
    /// The server's answer to the worker's callback `id`.
    CallbackResult { id: u64, outcome: CallbackOutcome },
}

/// The operations a worker runs; each is one R function of `r/worker/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Free-form R in the session's workspace (`rmcp_worker_eval`).
    Eval,
    /// The workspace's objects (`rmcp_worker_objects`).
    Describe,
    /// One object in detail (`rmcp_worker_inspect`).
    Inspect,
    /// R version, platform, options, memory (`rmcp_worker_session_info`).
    SessionInfo,
    /// Installed, loaded and attached packages (`rmcp_worker_packages`).
    Packages,
    /// Save the workspace to a file in the worker's folder.
    Save,
    /// Load a workspace saved by [`Op::Save`].
    Load,
    /// Empty the workspace.
    Drop,
    /// A catalog engine's job (`rmcp engine`): the [`EngineJob`] in `args`,
    /// the server's own R called by name (`rmcp_run_tool` for a catalog
    /// tool).
    Job,
}

/// What an [`Op::Job`] request carries: an `crate::r::Job` as plain data.
/// `code` (R source evaluated in a fresh environment) exists for the engine
/// pool's own tests, like `Job::eval`; the catalog sends `function`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EngineJob {
    /// The R side's function to call with `args`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// R source to evaluate instead (engine tests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default)]
    pub args: Value,
    /// Members of `args` handed to R as data frames (`Job::with_tables`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<String>,
    /// R's RNG seed for this job only (`Job::with_seed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i32>,
}

impl Op {
    /// The R function (in `r/worker/`) that implements the operation.
    pub fn r_function(self) -> &'static str {
        match self {
            Op::Eval => "rmcp_worker_eval",
            Op::Describe => "rmcp_worker_objects",
            Op::Inspect => "rmcp_worker_inspect",
            Op::SessionInfo => "rmcp_worker_session_info",
            Op::Packages => "rmcp_worker_packages",
            Op::Save => "rmcp_worker_save",
            Op::Load => "rmcp_worker_load",
            Op::Drop => "rmcp_worker_drop",
            // The function is named in the job itself; this is what the
            // catalog names.
            Op::Job => "rmcp_run_tool",
        }
    }
}

/// What a worker tells the server.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromWorker {
    /// Sent once: R is running inside the sandbox described by `sandbox`.
    Ready {
        pid: u32,
        r_version: Option<String>,
        sandbox: SandboxReport,
    },
    /// The answer to request `id`.
    Reply { id: u64, outcome: Outcome },
    /// R code called `rmcp_call(tool, args)`; the worker's R thread waits for
    /// the matching `callback_result`.
    Callback { id: u64, tool: String, args: Value },
}

/// How a request ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Ok {
        value: Value,
        stdout: String,
        stderr: String,
        warnings: Vec<String>,
        r_time_ms: f64,
    },
    Failed {
        kind: FailureKind,
        message: String,
        stdout: String,
        stderr: String,
        warnings: Vec<String>,
    },
}

/// Why a request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// R raised an error.
    R,
    /// The code does not parse.
    Parse,
    Timeout,
    Cancelled,
    /// The value or output passed the reply cap.
    TooLarge,
    /// The request itself was unusable (e.g. a NUL in a string).
    Invalid,
    /// The worker's engine is gone or broken.
    Internal,
}

/// The server's answer to a callback: the tool's structured result, or an
/// error message raised in R.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackOutcome {
    Ok(Value),
    Error(String),
}

/// Which sandbox layers a worker applied to itself, for `/health` and the
/// decision to serve free-form R.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SandboxReport {
    /// The environment held only the allowlisted variables.
    pub env_scrubbed: bool,
    /// Address-space, data, CPU, file-size, open-file and core limits set.
    pub rlimits: bool,
    /// The worker dies with the server (`PR_SET_PDEATHSIG`).
    pub parent_death_signal: bool,
    /// `no_new_privs` is set (needed by landlock and seccomp).
    pub no_new_privs: bool,
    /// "fully_enforced", "partially_enforced", "not_enforced" or an error.
    pub landlock: String,
    /// The kernel's landlock ABI version (0 when unsupported).
    pub landlock_abi: i32,
    /// The seccomp filters are installed on every thread.
    pub seccomp: bool,
    /// Problems met while applying the layers, for the server's log.
    pub errors: Vec<String>,
}

impl SandboxReport {
    /// Every layer is in force: what free-form R needs unless the server
    /// was told to accept a weaker sandbox.
    pub fn is_complete(&self) -> bool {
        self.missing_layers().is_empty()
    }

    /// The layers [`is_complete`](Self::is_complete) finds missing, named
    /// for an operator (empty when complete).
    pub fn missing_layers(&self) -> Vec<String> {
        let mut missing = Vec::new();
        if self.landlock != "fully_enforced" {
            missing.push(format!("landlock {}", self.landlock));
        }
        for (in_force, layer) in [
            (self.seccomp, "seccomp"),
            (self.rlimits, "rlimits"),
            (self.no_new_privs, "no_new_privs"),
            (self.env_scrubbed, "environment scrubbing"),
        ] {
            if !in_force {
                missing.push(format!("{layer} off"));
            }
        }
        missing
    }
}

/// Read buffer of either end of a worker channel: a frame's length and body
/// arrive together, and most frames fit, so one read takes both.
pub const FRAME_BUFFER: usize = 64 * 1024;

fn too_large(length: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("frame of {length} bytes is over the {MAX_FRAME_BYTES}-byte limit"),
    )
}

fn encode<T: Serialize>(message: &T) -> io::Result<Vec<u8>> {
    let body = serde_json::to_vec(message).map_err(io::Error::other)?;
    if body.len() > MAX_FRAME_BYTES {
        return Err(too_large(body.len()));
    }
    let length = u32::try_from(body.len()).map_err(|_| too_large(body.len()))?;
    let mut frame = Vec::with_capacity(body.len() + 4);
    frame.extend_from_slice(&length.to_be_bytes());
    frame.extend_from_slice(&body);
    Ok(frame)
}

fn decode<T: for<'de> Deserialize<'de>>(body: &[u8]) -> io::Result<T> {
    serde_json::from_slice(body).map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))
}

/// Writes one frame (blocking).
pub fn write_frame<T: Serialize>(writer: &mut impl Write, message: &T) -> io::Result<()> {
    writer.write_all(&encode(message)?)?;
    writer.flush()
}

/// Reads one frame (blocking); `None` at a clean end of stream.
pub fn read_frame<T: for<'de> Deserialize<'de>>(reader: &mut impl Read) -> io::Result<Option<T>> {
    let mut header = [0u8; 4];
    match reader.read_exact(&mut header) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(error) => return Err(error),
    }
    let length = u32::from_be_bytes(header) as usize;
    if length > MAX_FRAME_BYTES {
        return Err(too_large(length));
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    decode(&body).map(Some)
}

/// Writes one frame (async).
pub async fn write_frame_async<T: Serialize>(
    writer: &mut (impl AsyncWrite + Unpin),
    message: &T,
) -> io::Result<()> {
    writer.write_all(&encode(message)?).await?;
    writer.flush().await
}

/// Reads one frame (async); `None` at a clean end of stream.
pub async fn read_frame_async<T: for<'de> Deserialize<'de>>(
    reader: &mut (impl AsyncRead + Unpin),
) -> io::Result<Option<T>> {
    let mut header = [0u8; 4];
    match reader.read_exact(&mut header).await {
        Ok(_) => {}
        Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(error) => return Err(error),
    }
    let length = u32::from_be_bytes(header) as usize;
    if length > MAX_FRAME_BYTES {
        return Err(too_large(length));
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).await?;
    decode(&body).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_sandbox_report_names_each_missing_layer() {
        let complete = SandboxReport {
            env_scrubbed: true,
            rlimits: true,
            parent_death_signal: true,
            no_new_privs: true,
            landlock: "fully_enforced".into(),
            landlock_abi: 7,
            seccomp: true,
            errors: Vec::new(),
        };
        assert!(complete.is_complete());
        assert!(complete.missing_layers().is_empty());
        let weak = SandboxReport {
            env_scrubbed: false,
            landlock: "partially_enforced".into(),
            ..complete.clone()
        };
        assert!(!weak.is_complete());
        assert_eq!(
            weak.missing_layers(),
            ["landlock partially_enforced", "environment scrubbing off"]
        );
        let bare = SandboxReport::default();
        assert_eq!(
            bare.missing_layers().len(),
            5,
            "{:?}",
            bare.missing_layers()
        );
    }

    #[test]
    fn frames_round_trip_and_oversized_ones_are_refused() {
        let message = ToWorker::Request {
            id: 7,
            op: Op::Eval,
            args: json!({"code": "1 + 1"}),
            timeout_ms: 1000,
        };
        let mut buffer = Vec::new();
        write_frame(&mut buffer, &message).expect("write");
        let decoded: ToWorker = read_frame(&mut buffer.as_slice())
            .expect("read")
            .expect("a frame");
        assert!(matches!(
            decoded,
            ToWorker::Request {
                id: 7,
                op: Op::Eval,
                ..
            }
        ));
        let empty: Option<ToWorker> = read_frame(&mut [].as_slice()).expect("eof");
        assert!(empty.is_none());
        let mut huge = (MAX_FRAME_BYTES as u32 + 1).to_be_bytes().to_vec();
        huge.extend_from_slice(b"{}");
        assert!(read_frame::<ToWorker>(&mut huge.as_slice()).is_err());
    }

    #[test]
    fn the_wire_format_is_tagged_json() {
        let reply = FromWorker::Callback {
            id: 1,
            tool: "linear_model".into(),
            args: json!({}),
        };
        let text = serde_json::to_string(&reply).expect("json");
        assert_eq!(
            text,
            r#"{"type":"callback","id":1,"tool":"linear_model","args":{}}"#
        );
        let answer = ToWorker::CallbackResult {
            id: 1,
            outcome: CallbackOutcome::Error("no".into()),
        };
        assert_eq!(
            serde_json::to_string(&answer).expect("json"),
            r#"{"type":"callback_result","id":1,"outcome":{"error":"no"}}"#
        );
    }
}
