//! The server's side of one worker process: spawning `rmcp worker` with a
//! scrubbed environment and a private folder, waiting for its `ready`,
//! sending requests and cancellations, answering its callbacks, and killing
//! it (which also removes its folder).
//!
//! The environment is cleared and rebuilt from an allowlist (`PATH`, locale,
//! `R_HOME`, `HOME` and `TMPDIR` inside the worker's folder, `R_MAX_VSIZE`,
//! one BLAS/OpenMP thread, R's library paths): no API key or other secret
//! of the server reaches R. The inherited values come from
//! `WorkerConfig::environment`, captured at start-up; a spawn reads no
//! environment. The channel is one end of a Unix socket pair,
//! handed over as the child's stdin; the worker moves it aside and gives R
//! `/dev/null` instead.

use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use serde_json::Value;
use tokio::io::AsyncBufReadExt;
use tokio::net::unix::OwnedWriteHalf;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use super::protocol::{self, CallbackOutcome, FromWorker, Op, Outcome, SandboxReport, ToWorker};
use super::{WorkerConfig, WorkerError};

/// What runs a worker's `rmcp_call(tool, args)` on the server.
pub type CallbackHandler =
    Arc<dyn Fn(String, Value) -> BoxFuture<'static, CallbackOutcome> + Send + Sync>;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A running worker process.
pub struct Worker {
    pub pid: u32,
    /// Its private folder (working directory, home, temp); removed with it.
    pub dir: PathBuf,
    /// The layers it reported in force.
    pub sandbox: SandboxReport,
    pub r_version: Option<String>,
    /// Folders it may write besides its own (granted by approve_operation).
    pub write_roots: Vec<PathBuf>,
    /// When it reported ready.
    pub ready_at: Instant,
    writer: tokio::sync::Mutex<OwnedWriteHalf>,
    pending: Mutex<HashMap<u64, oneshot::Sender<Outcome>>>,
    next_id: AtomicU64,
    /// Cancelled when the process is gone (its channel closed).
    gone: CancellationToken,
    /// How it ended, once it has.
    ending: Mutex<Option<String>>,
    child: Mutex<Option<tokio::process::Child>>,
    callbacks: Mutex<Option<CallbackHandler>>,
    kill_grace: Duration,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker").field("pid", &self.pid).finish()
    }
}

/// The environment a worker starts with: nothing inherited but locale and
/// R's own locations, as captured in `config.environment` at start-up.
pub fn worker_environment(config: &WorkerConfig, dir: &Path) -> Vec<(String, String)> {
    let inherited = &config.environment;
    let mut env = vec![
        ("PATH".to_string(), "/usr/bin:/bin".to_string()),
        ("R_HOME".to_string(), inherited.r_home.clone()),
        ("HOME".to_string(), dir.display().to_string()),
        ("TMPDIR".to_string(), dir.join("tmp").display().to_string()),
        (
            "R_MAX_VSIZE".to_string(),
            format!("{}Mb", (config.memory_mb * 3 / 4).max(128)),
        ),
        ("OMP_NUM_THREADS".to_string(), "1".to_string()),
        ("OPENBLAS_NUM_THREADS".to_string(), "1".to_string()),
        ("MKL_NUM_THREADS".to_string(), "1".to_string()),
        // mimalloc (the binary's allocator) would map its first 1 GiB arena
        // read-write at once, which RLIMIT_DATA counts in full: a worker
        // capped at 1 GiB could then not even start R's thread. Reserved
        // without access and committed as used, only what is used counts.
        ("MIMALLOC_ARENA_EAGER_COMMIT".to_string(), "0".to_string()),
    ];
    env.extend(inherited.passed.iter().cloned());
    if !env
        .iter()
        .any(|(name, _)| name == "LANG" || name == "LC_ALL")
    {
        env.push(("LANG".to_string(), "C.UTF-8".to_string()));
    }
    if !env.iter().any(|(name, _)| name == "TZ") {
        // Without TZ, R's Sys.timezone() runs `timedatectl`, which the
        // sandbox forbids: name the host's zone instead.
        env.push(("TZ".to_string(), inherited.host_time_zone.clone()));
    }
    env
}

/// A new private folder under `base` (mode 0700), with `tmp/` inside.
fn make_folder(base: &Path) -> Result<PathBuf, WorkerError> {
    let error = |e: std::io::Error| WorkerError::Spawn(format!("cannot create its folder: {e}"));
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true).mode(0o700);
    builder.create(base).map_err(error)?;
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| WorkerError::Spawn(e.to_string()))?;
    let name: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let dir = base.join(format!("w-{name}"));
    builder.recursive(false);
    builder.create(&dir).map_err(error)?;
    builder.create(dir.join("tmp")).map_err(error)?;
    Ok(dir)
}

/// Starts a worker and waits for its `ready`.
pub async fn spawn(
    config: &WorkerConfig,
    write_roots: &[PathBuf],
) -> Result<Arc<Worker>, WorkerError> {
    spawn_mode(config, write_roots, Mode::Worker).await
}

/// What a spawned process serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One session's free-form R (`rmcp worker`).
    Worker,
    /// Catalog jobs beside the server's own R (`rmcp engine`).
    CatalogEngine,
}

/// Starts a process in `mode` and waits for its `ready`.
pub async fn spawn_mode(
    config: &WorkerConfig,
    write_roots: &[PathBuf],
    mode: Mode,
) -> Result<Arc<Worker>, WorkerError> {
    let dir = make_folder(&config.base_dir)?;
    match start(config, write_roots, &dir, mode).await {
        Ok(worker) => Ok(worker),
        Err(error) => {
            let _ = std::fs::remove_dir_all(&dir);
            Err(error)
        }
    }
}

async fn start(
    config: &WorkerConfig,
    write_roots: &[PathBuf],
    dir: &Path,
    mode: Mode,
) -> Result<Arc<Worker>, WorkerError> {
    let spawn_error = |e: std::io::Error| WorkerError::Spawn(e.to_string());
    let (server_end, child_end) = std::os::unix::net::UnixStream::pair().map_err(spawn_error)?;
    let mut command = tokio::process::Command::new(&config.binary);
    command.arg(match mode {
        Mode::Worker => "worker",
        Mode::CatalogEngine => "engine",
    });
    command
        .args(["--channel-fd", "0"])
        .arg("--dir")
        .arg(dir)
        .args(["--parent-pid", &std::process::id().to_string()])
        .args(["--memory-mb", &config.memory_mb.to_string()])
        .args(["--cpu-seconds", &config.cpu_seconds.to_string()])
        .args(["--max-file-mb", &config.max_file_mb.to_string()])
        .args(["--max-reply-bytes", &config.max_reply_bytes.to_string()])
        .args(["--r-spin-us", &config.r_spin.as_micros().to_string()])
        .args(["--log-level", &config.log_level]);
    for root in &config.read_roots {
        command.arg("--read-root").arg(root);
    }
    for root in config.write_roots.iter().chain(write_roots) {
        command.arg("--write-root").arg(root);
    }
    command
        .env_clear()
        .envs(worker_environment(config, dir))
        .current_dir(dir)
        .stdin(Stdio::from(OwnedFd::from(child_end)))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .process_group(0);
    let mut child = command.spawn().map_err(spawn_error)?;
    let pid = child.id().unwrap_or(0);
    if let Some(stderr) = child.stderr.take() {
        tokio::spawn(async move {
            let mut lines = tokio::io::BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let line: String = line.chars().take(2000).collect();
                log::info!("R worker {pid}: {line}");
            }
        });
    }
    server_end.set_nonblocking(true).map_err(spawn_error)?;
    let stream = tokio::net::UnixStream::from_std(server_end).map_err(spawn_error)?;
    let (mut reader, writer) = stream.into_split();
    let first = tokio::time::timeout(
        config.spawn_timeout,
        protocol::read_frame_async::<FromWorker>(&mut reader),
    )
    .await;
    let (r_version, sandbox) = match first {
        Ok(Ok(Some(FromWorker::Ready {
            r_version, sandbox, ..
        }))) => (r_version, sandbox),
        Ok(Ok(Some(_))) => {
            return Err(WorkerError::Protocol("it spoke before saying ready".into()))
        }
        Ok(Ok(None)) | Ok(Err(_)) => {
            let status = tokio::time::timeout(Duration::from_secs(2), child.wait()).await;
            let detail = match status {
                Ok(Ok(status)) => describe_exit(status),
                _ => "no status".into(),
            };
            return Err(WorkerError::Spawn(format!(
                "it exited during start-up ({detail})"
            )));
        }
        Err(_) => {
            return Err(WorkerError::Spawn(format!(
                "it did not start within {:?}",
                config.spawn_timeout
            )))
        }
    };
    let worker = Arc::new(Worker {
        pid,
        dir: dir.to_path_buf(),
        sandbox,
        r_version,
        write_roots: write_roots.to_vec(),
        ready_at: Instant::now(),
        writer: tokio::sync::Mutex::new(writer),
        pending: Mutex::new(HashMap::new()),
        next_id: AtomicU64::new(1),
        gone: CancellationToken::new(),
        ending: Mutex::new(None),
        child: Mutex::new(Some(child)),
        callbacks: Mutex::new(None),
        kill_grace: config.kill_grace,
    });
    tokio::spawn(read_frames(Arc::downgrade(&worker), reader));
    Ok(worker)
}

fn describe_exit(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(9)) => "killed: memory or CPU limit, or stopped by the server".into(),
        (None, Some(24)) => "CPU time limit reached".into(),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        _ => "unknown status".into(),
    }
}

/// The reader task: replies to their waiting requests, callbacks to the
/// session's handler; at the end of the stream, the worker is gone.
async fn read_frames(worker: Weak<Worker>, reader: tokio::net::unix::OwnedReadHalf) {
    let mut reader = tokio::io::BufReader::with_capacity(protocol::FRAME_BUFFER, reader);
    let ending = loop {
        let frame = protocol::read_frame_async::<FromWorker>(&mut reader).await;
        let Some(worker) = worker.upgrade() else {
            return;
        };
        match frame {
            Ok(Some(FromWorker::Reply { id, outcome })) => {
                if let Some(sender) = lock(&worker.pending).remove(&id) {
                    let _ = sender.send(outcome);
                }
            }
            Ok(Some(FromWorker::Callback { id, tool, args })) => {
                let handler = lock(&worker.callbacks).clone();
                let worker = Arc::clone(&worker);
                tokio::spawn(async move {
                    let outcome = match handler {
                        Some(handler) => handler(tool, args).await,
                        None => CallbackOutcome::Error(
                            "callbacks are not enabled for this session; call setup_r_bidirectional first".into(),
                        ),
                    };
                    let answer = ToWorker::CallbackResult { id, outcome };
                    let mut writer = worker.writer.lock().await;
                    let _ = protocol::write_frame_async(&mut *writer, &answer).await;
                });
            }
            Ok(Some(FromWorker::Ready { .. })) => {}
            Ok(None) => break None,
            Err(error) => break Some(format!("bad frame: {error}")),
        }
    };
    if let Some(worker) = worker.upgrade() {
        let mut description = ending;
        for _ in 0..20 {
            let status = lock(&worker.child)
                .as_mut()
                .and_then(|child| child.try_wait().ok().flatten());
            if let Some(status) = status {
                description = Some(description.unwrap_or_else(|| describe_exit(status)));
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        *lock(&worker.ending) = Some(description.unwrap_or_else(|| "its channel closed".into()));
        worker.kill();
    }
}

impl Worker {
    /// Whether the process is still there.
    pub fn is_alive(&self) -> bool {
        !self.gone.is_cancelled()
    }

    /// Resolves once the process is gone (its channel closed or it was
    /// killed).
    pub async fn gone(&self) {
        self.gone.cancelled().await;
    }

    /// How the worker ended, for error messages.
    pub fn ending(&self) -> String {
        lock(&self.ending)
            .clone()
            .unwrap_or_else(|| "it was stopped".into())
    }

    /// Who runs this worker's `rmcp_call()`s from now on.
    pub fn set_callback_handler(&self, handler: Option<CallbackHandler>) {
        *lock(&self.callbacks) = handler;
    }

    /// Runs `op` with `args`. At `timeout` the worker interrupts R itself and
    /// answers once R lets go; if that takes longer than the kill grace, it
    /// is killed and the answer is [`WorkerError::Stuck`]. Cancelling
    /// `cancel` asks the worker to stop the request, with the same grace.
    pub async fn request(
        &self,
        op: Op,
        args: Value,
        timeout: Duration,
        cancel: &CancellationToken,
    ) -> Result<Outcome, WorkerError> {
        if !self.is_alive() {
            return Err(WorkerError::Died(self.ending()));
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (sender, receiver) = oneshot::channel();
        lock(&self.pending).insert(id, sender);
        let frame = ToWorker::Request {
            id,
            op,
            args,
            timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
        };
        if let Err(error) = self.send(&frame).await {
            lock(&self.pending).remove(&id);
            self.kill();
            return Err(WorkerError::Died(format!("its channel failed: {error}")));
        }
        // The worker answers a timeout or a cancellation once R lets go of
        // the code; R gets `kill_grace` to do so.
        let grace = self.kill_grace;
        let hard_stop = tokio::time::sleep(timeout + grace);
        tokio::pin!(hard_stop);
        tokio::pin!(receiver);
        let mut cancelled = false;
        loop {
            tokio::select! {
                answer = &mut receiver => {
                    return answer.map_err(|_| WorkerError::Died(self.ending()));
                }
                () = cancel.cancelled(), if !cancelled => {
                    cancelled = true;
                    let _ = self.send(&ToWorker::Cancel { id }).await;
                    hard_stop.as_mut().reset((Instant::now() + grace).into());
                }
                () = &mut hard_stop => {
                    lock(&self.pending).remove(&id);
                    log::warn!("R worker {} did not answer in time; killing it", self.pid);
                    self.kill();
                    return Err(WorkerError::Stuck);
                }
            }
        }
    }

    async fn send(&self, frame: &ToWorker) -> std::io::Result<()> {
        let mut writer = self.writer.lock().await;
        protocol::write_frame_async(&mut *writer, frame).await
    }

    /// Kills the process (if still running) and removes its folder once it
    /// has exited. Requests waiting on it fail at once.
    pub fn kill(&self) {
        self.gone.cancel();
        lock(&self.pending).clear();
        let child = lock(&self.child).take();
        let dir = self.dir.clone();
        let Some(mut child) = child else {
            return;
        };
        let _ = child.start_kill();
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
                    remove_folder(&dir);
                });
            }
            Err(_) => remove_folder(&dir),
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill();
    }
}

fn remove_folder(dir: &Path) {
    if let Err(error) = std::fs::remove_dir_all(dir) {
        if error.kind() != std::io::ErrorKind::NotFound {
            log::warn!("could not remove a worker folder: {error}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::worker::InheritedEnv;

    /// A worker's environment comes from the values captured in its config
    /// at start-up, not from the server's environment at spawn time.
    #[test]
    fn a_worker_environment_uses_the_captured_values() {
        let config = WorkerConfig {
            environment: InheritedEnv {
                r_home: "/opt/R-captured".into(),
                passed: vec![("LC_ALL".into(), "de_DE.UTF-8".into())],
                host_time_zone: "Europe/Berlin".into(),
                library_dirs: Vec::new(),
            },
            ..WorkerConfig::default()
        };
        let env = worker_environment(&config, Path::new("/tmp/w-test"));
        let value = |name: &str| {
            env.iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        assert_eq!(value("R_HOME"), Some("/opt/R-captured"));
        assert_eq!(value("LC_ALL"), Some("de_DE.UTF-8"));
        assert_eq!(value("LANG"), None, "LC_ALL was given, so no default LANG");
        assert_eq!(value("TZ"), Some("Europe/Berlin"));
        assert_eq!(value("HOME"), Some("/tmp/w-test"));
        let names: Vec<&str> = env.iter().map(|(name, _)| name.as_str()).collect();
        assert!(
            !names.iter().any(|name| name.starts_with("CARGO")),
            "nothing else of the process environment: {names:?}"
        );
    }
}
