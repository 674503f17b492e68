//! Server processes under test: start one on a free loopback port, time its
//! cold start, read its memory (the whole process tree, so R processes a
//! server spawns count too), and stop it with SIGTERM.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::http;
use super::mcp::Session;

/// How to start one server.
#[derive(Clone)]
pub struct ServerCommand {
    pub label: &'static str,
    pub program: PathBuf,
    /// Arguments; `{port}` is replaced by the chosen port.
    pub args: Vec<String>,
    /// Where its stderr and stdout go.
    pub log: PathBuf,
}

/// A running server.
pub struct Server {
    pub child: Child,
    pub address: SocketAddr,
    /// Process start → `/health` answered 200.
    pub health_after: Duration,
}

/// A free loopback port (bound, then released for the server to take).
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl ServerCommand {
    /// This server, built by the bench, on a free port, with rate limiting
    /// off (its default 50 calls/s per client would throttle the load).
    pub fn rmcp_server(log: PathBuf) -> ServerCommand {
        ServerCommand {
            label: "rmcp-server",
            program: PathBuf::from(env!("CARGO_BIN_EXE_rmcp")),
            args: ["serve-http", "--port", "{port}", "--rate-limit", "0"]
                .map(String::from)
                .to_vec(),
            log,
        }
    }

    /// Starts the server and waits (at most `limit`) until `/health` answers.
    pub fn start(&self, limit: Duration) -> Result<Server, String> {
        let port = free_port().map_err(|error| format!("no free port: {error}"))?;
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let log = std::fs::File::create(&self.log)
            .map_err(|error| format!("cannot create {}: {error}", self.log.display()))?;
        let log_err = log
            .try_clone()
            .map_err(|error| format!("cannot reopen the log: {error}"))?;
        let args: Vec<String> = self
            .args
            .iter()
            .map(|arg| arg.replace("{port}", &port.to_string()))
            .collect();
        let started = Instant::now();
        let mut child = Command::new(&self.program)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .map_err(|error| format!("cannot start {}: {error}", self.program.display()))?;
        loop {
            if let Ok(response) = http::get_once(address, "/health", Duration::from_secs(2)) {
                if response.status == 200 {
                    break;
                }
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!(
                    "{} exited ({status}) before answering /health; see {}",
                    self.label,
                    self.log.display()
                ));
            }
            if started.elapsed() > limit {
                terminate(&mut child);
                return Err(format!(
                    "{} did not answer /health within {limit:?}; see {}",
                    self.label,
                    self.log.display()
                ));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        Ok(Server {
            child,
            address,
            health_after: started.elapsed(),
        })
    }

    /// Cold start: process start → `/health`, and process start → the first
    /// `tools/call` answered (initialize included). Stops the server.
    pub fn cold_start(
        &self,
        tool: &str,
        arguments: &Value,
        limit: Duration,
    ) -> Result<(Duration, Duration), String> {
        let started = Instant::now();
        let mut server = self.start(limit)?;
        let health = server.health_after;
        let outcome = Session::open(server.address, limit)
            .and_then(|mut session| session.call_tool(tool, arguments));
        let first_call = started.elapsed();
        server.stop();
        outcome.map_err(|error| format!("{}: first call failed: {error}", self.label))?;
        Ok((health, first_call))
    }
}

impl Server {
    /// Memory of the server and every process it started.
    pub fn memory(&self) -> Memory {
        tree_memory(self.child.id())
    }

    /// SIGTERM, then SIGKILL if it has not exited within 15 s.
    pub fn stop(&mut self) {
        terminate(&mut self.child);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            terminate(&mut self.child);
        }
    }
}

fn terminate(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// VmRSS of `pid` and its descendants, in bytes.
/// Memory of a process tree, in bytes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Memory {
    /// Resident set summed over the processes: pages shared between them
    /// (libR, R's packages, the binary) count once per process.
    pub rss: u64,
    /// Proportional set size summed: each shared page split between the
    /// processes sharing it, so the tree's pages count once.
    pub pss: u64,
}

pub fn tree_memory(pid: u32) -> Memory {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(child) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(parent) = parent_of(child) {
                parents.push((child, parent));
            }
        }
    }
    let mut tree = vec![pid];
    let mut index = 0;
    while index < tree.len() {
        let current = tree[index];
        tree.extend(
            parents
                .iter()
                .filter(|(_, parent)| *parent == current)
                .map(|(child, _)| *child),
        );
        index += 1;
    }
    Memory {
        rss: tree
            .iter()
            .map(|pid| kib_field(*pid, "status", "VmRSS:"))
            .sum(),
        pss: tree
            .iter()
            .map(|pid| kib_field(*pid, "smaps_rollup", "Pss:"))
            .sum(),
    }
}

fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields follow the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// A `<field> <n> kB` line of `/proc/<pid>/<file>`, in bytes (0 if absent).
fn kib_field(pid: u32, file: &str, field: &str) -> u64 {
    let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/{file}")) else {
        return 0;
    };
    text.lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|value| value.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}

/// The reference's `rmcp` entry point in the bench venv, when installed.
pub fn reference_program(root: &Path) -> Option<PathBuf> {
    let program = root.join(".venv-bench/bin/rmcp");
    program.is_file().then_some(program)
}

/// The reference's command line, or why it cannot be run.
pub fn reference_command(root: &Path, logs: &Path) -> Result<ServerCommand, String> {
    if std::env::var_os("RMCP_BENCH_SKIP_REFERENCE").is_some() {
        return Err("not measured: RMCP_BENCH_SKIP_REFERENCE is set".into());
    }
    let Some(program) = reference_program(root) else {
        let reason = std::fs::read_to_string(root.join("target/bench/reference-unavailable.txt"))
            .unwrap_or_else(|_| {
                ".venv-bench/bin/rmcp is missing (make bench installs rmcp==0.12.0 there)".into()
            });
        return Err(format!("not available: {}", reason.trim()));
    };
    Ok(ServerCommand {
        label: "Python rmcp 0.12.0",
        program,
        args: ["serve-http", "--host", "127.0.0.1", "--port", "{port}"]
            .map(String::from)
            .to_vec(),
        log: logs.join("reference.log"),
    })
}
