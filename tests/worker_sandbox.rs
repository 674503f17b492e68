//! The adversarial corpus: R code written to escape — run a command, read
//! /etc/passwd, write outside the sandbox, open a socket, read a secret from
//! the environment, kill the server, crash or hang the worker — through
//! obfuscated names, string-built calls, environment walks, `::` tricks,
//! finalizers, serialization, `.Call`/`.C` and package loading. Every
//! snippet must be stopped, shown by the absence of its side effect: no
//! marker file, no passwd line or secret in any reply, no connection on a
//! listening socket, the files outside untouched, the server and another
//! session unaffected. The corpus runs twice: with the guard (what clients
//! get) and with the guard off, so the sandbox alone is shown to hold.

mod support {
    pub mod client;
    pub mod engine;
    pub mod server;
    pub mod workers;
}

use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::workers;
use support::workers::{call, client, start, test_config, value};

/// A secret in the server's environment that no worker may see.
const SECRET: &str = "rmcp-test-secret-5f0c2a9e7d1b";

/// Serialized `system(paste("touch", marker_path))` (R 4.x, XDR).
const SERIALIZED_CALL: &str = "580a000000030004020200030500000000055554462d380000000600000001000400090000000673797374656d000000020000000600000001000400090000000570617374650000000200000010000000010004000900000005746f7563680000000200000001000400090000000b6d61726b65725f70617468000000fe000000fe";

/// Puts the secret into the server's environment, once, before any worker
/// is spawned (workers must start from a scrubbed environment).
fn plant_secret() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::env::set_var("RMCP_API_KEY", SECRET);
        std::env::set_var("AWS_SECRET_ACCESS_KEY", SECRET);
    });
}

/// The attacks. Placeholders: MARKER (a file that must never appear), DIR
/// (a folder outside the sandbox), PORT (a listening socket), PID (the
/// server), OTHER (another session's worker folder).
fn corpus() -> Vec<(&'static str, &'static str)> {
    vec![
        // Running a command.
        ("system", r#"system("touch MARKER")"#),
        ("system2", r#"system2("touch", "MARKER")"#),
        ("base::system", r#"base::system("touch MARKER")"#),
        ("base:::system", r#"base:::system("touch MARKER")"#),
        ("`::` call", r#"`::`("base", "system")("touch MARKER")"#),
        ("get system", r#"get("system")("touch MARKER")"#),
        ("paste0 name", r#"get(paste0("sys", "tem"))("touch MARKER")"#),
        ("do.call string", r#"do.call("system", list("touch MARKER"))"#),
        ("eval parse", r#"eval(parse(text = "system('touch MARKER')"))"#),
        ("raw bytes name", r#"f <- get(rawToChar(as.raw(c(115, 121, 115, 116, 101, 109)))); f("touch MARKER")"#),
        ("runtime-built name", r#"x <- c("tem", "sys"); f <- get(paste(rev(x), collapse = "")); f("touch MARKER")"#),
        ("match.fun utf8", r#"match.fun(intToUtf8(c(115, 121, 115, 116, 101, 109)))("touch MARKER")"#),
        ("env [[ ]]", r#"e <- baseenv(); e[["system"]]("touch MARKER")"#),
        ("namespace $", r#"asNamespace("base")$system("touch MARKER")"#),
        ("getExportedValue", r#"getExportedValue("base", "system")("touch MARKER")"#),
        ("pipe", r#"p <- pipe("touch MARKER"); readLines(p)"#),
        (".Internal", r#".Internal(system("touch MARKER", FALSE, 0))"#),
        ("serialized call", "marker_path <- 'MARKER'; eval(unserialize(as.raw(strtoi(substring(h <- 'SERIALIZED', seq(1, nchar(h), 2), seq(2, nchar(h), 2)), 16L))))"),
        ("finalizer", r#"e <- new.env(); reg.finalizer(e, function(x) system("touch MARKER"), onexit = TRUE); rm(e); invisible(gc())"#),
        ("trace", r#"trace("mean", quote(system("touch MARKER")), where = baseenv(), print = FALSE); mean(1)"#),
        ("assignInNamespace", r#"assignInNamespace("nchar", function(...) system("touch MARKER"), "base"); nchar("x")"#),
        ("Sys.setenv + system", r#"Sys.setenv(PATH = "/tmp"); system("touch MARKER")"#),
        ("mcparallel fork", r#"parallel::mcparallel(file.create("MARKER")); Sys.sleep(0.2)"#),
        ("mclapply fork", r#"parallel::mclapply(1:2, function(i) file.create("MARKER"), mc.cores = 2)"#),
        ("callr via ::", r#"callr::r(function() file.create("MARKER"))"#),
        ("processx", r#"processx::run("touch", "MARKER")"#),
        ("libc via .C", r#"dyn.load("/lib/x86_64-linux-gnu/libc.so.6"); .C("system", "touch MARKER")"#),
        // Reading what is not the session's.
        ("readLines passwd", r#"result <- readLines("/etc/passwd")"#),
        ("scan passwd", r#"result <- scan("/etc/passwd", what = "", sep = "\n", quiet = TRUE)"#),
        ("readChar passwd", r#"result <- readChar("/etc/passwd", 4096)"#),
        ("symlink to passwd", r#"file.symlink("/etc/passwd", "pw"); result <- readLines("pw")"#),
        ("copy passwd", r#"file.copy("/etc/passwd", "pw2"); result <- readLines("pw2")"#),
        ("relative walk", r#"setwd("/"); result <- readLines("etc/passwd")"#),
        ("list outside", r#"result <- list.files("DIR")"#),
        ("server environ", r#"result <- readLines("/proc/PID/environ")"#),
        ("own environ", r#"result <- readLines("/proc/self/environ")"#),
        ("Sys.getenv", r#"result <- as.list(Sys.getenv())"#),
        ("getenv key", r#"result <- Sys.getenv(c("RMCP_API_KEY", "AWS_SECRET_ACCESS_KEY"))"#),
        ("ps package", r#"result <- ps::ps_environ(ps::ps_handle(PIDL))"#),
        ("other sessions", r#"result <- list.files(dirname(getwd()), recursive = TRUE)"#),
        // Writing outside.
        ("writeLines outside", r#"writeLines("x", "MARKER")"#),
        ("file.create outside", r#"file.create("MARKER")"#),
        ("saveRDS outside", r#"saveRDS(1, "MARKER")"#),
        ("remove a file", r#"file.remove("DIR/keep.txt")"#),
        ("unlink a folder", r#"unlink("DIR", recursive = TRUE)"#),
        ("rename a file", r#"file.rename("DIR/keep.txt", "stolen.txt")"#),
        ("another session", r#"writeLines("pwned", "OTHER/evil.txt")"#),
        // Networking.
        ("socketConnection", r#"con <- socketConnection("127.0.0.1", PORT, open = "r+b", timeout = 2)"#),
        ("string-built socket", r#"f <- get(paste0("socket", "Connection")); con <- f("127.0.0.1", PORT, timeout = 2)"#),
        ("url", r#"result <- readLines(url("http://127.0.0.1:PORT/"))"#),
        ("download.file", r#"download.file("http://127.0.0.1:PORT/", "page.html", quiet = TRUE)"#),
        ("curl", r#"result <- curl::curl_fetch_memory("http://127.0.0.1:PORT/")"#),
        ("make.socket", r#"s <- make.socket("127.0.0.1", PORT)"#),
        ("serverSocket", r#"s <- serverSocket(0)"#),
        // Other processes.
        ("pskill server", r#"tools::pskill(PID, 15L)"#),
        ("ps kill server", r#"ps::ps_kill(ps::ps_handle(PIDL))"#),
        // Packages that are not allowed.
        ("library", r#"library(callr)"#),
        ("requireNamespace", r#"requireNamespace("processx")"#),
        // Crashing the worker.
        ("q()", r#"q("no")"#),
        ("self kill", r#"tools::pskill(Sys.getpid(), 9L)"#),
        ("abort", r#"dyn.load("/lib/x86_64-linux-gnu/libc.so.6"); .C("abort")"#),
        ("memory blow-up", r#"l <- list(); repeat l[[length(l) + 1L]] <- numeric(5e7)"#),
        ("huge vector", r#"x <- numeric(1e11)"#),
        ("deep recursion", r#"f <- function(n) f(n + 1); f(1)"#),
        // Hanging it.
        ("swallowed interrupts", r#"repeat tryCatch(while (TRUE) {}, interrupt = function(i) NULL)"#),
        ("sleep", r#"Sys.sleep(1000)"#),
    ]
}

/// What every attack is checked against.
struct Scene {
    dir: PathBuf,
    listener: TcpListener,
    passwd_line: String,
}

impl Scene {
    fn new(name: &str) -> Scene {
        let dir =
            std::env::temp_dir().join(format!("rmcp-adversarial-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scene folder");
        std::fs::write(dir.join("keep.txt"), "keep").expect("keep file");
        std::fs::write(dir.join("secret-file-name-4d2f.txt"), "x").expect("secret file");
        let listener = TcpListener::bind("127.0.0.1:0").expect("listener");
        listener.set_nonblocking(true).expect("nonblocking");
        let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        let passwd_line = passwd.lines().next().unwrap_or("root:x:0:0").to_string();
        Scene {
            dir,
            listener,
            passwd_line,
        }
    }

    fn marker(&self, index: usize) -> PathBuf {
        self.dir.join(format!("marker-{index}"))
    }

    fn code(&self, template: &str, index: usize, other: &Path) -> String {
        template
            .replace("SERIALIZED", SERIALIZED_CALL)
            .replace("MARKER", &self.marker(index).display().to_string())
            .replace("DIR", &self.dir.display().to_string())
            .replace(
                "PORT",
                &self
                    .listener
                    .local_addr()
                    .expect("address")
                    .port()
                    .to_string(),
            )
            .replace("PIDL", &format!("{}L", std::process::id()))
            .replace("PID", &std::process::id().to_string())
            .replace("OTHER", &other.display().to_string())
    }

    /// Panics when attack `index` left a trace.
    fn check(&self, name: &str, index: usize, reply: &Value, other: &Path) {
        let text = reply.to_string();
        assert!(
            !self.marker(index).exists(),
            "{name}: the marker file was created"
        );
        assert!(
            !text.contains(&self.passwd_line),
            "{name}: /etc/passwd leaked: {text}"
        );
        assert!(!text.contains(SECRET), "{name}: the secret leaked: {text}");
        assert!(
            !text.contains("secret-file-name-4d2f"),
            "{name}: a folder outside the sandbox was listed: {text}"
        );
        assert_eq!(
            std::fs::read_to_string(self.dir.join("keep.txt"))
                .ok()
                .as_deref(),
            Some("keep"),
            "{name}: a file outside the sandbox was changed"
        );
        assert!(
            !other.join("evil.txt").exists(),
            "{name}: wrote into another session"
        );
        match self.listener.accept() {
            Err(error) if error.kind() == ErrorKind::WouldBlock => {}
            other => panic!("{name}: the listening socket was contacted: {other:?}"),
        }
    }
}

/// Runs the corpus against a fresh server, checks that no attack got
/// through and the server and a bystander session are intact, and returns
/// how many attacks were refused with a message before any R ran (the
/// guard's "Security validation failed", or the package allowlist's
/// `approval_required`).
async fn run_corpus(name: &str, guard: bool) -> usize {
    plant_secret();
    let scene = Scene::new(name);
    let mut config = test_config(name);
    config.guard = guard;
    config.pool_size = 2;
    let harness = start(config).await;
    // Another session with a live workspace, which must survive everything.
    let bystander = client(&harness).await;
    let kept = workers::run_r(&bystander, "precious <- 1:3; result <- sum(precious)").await;
    assert_eq!(value(&kept), json!(6));
    let bystander_dir = harness
        .free
        .sessions()
        .session_workspace(bystander.session.as_deref().expect("session"))
        .and_then(|workspace| workspace.worker())
        .expect("bystander worker")
        .dir
        .clone();
    let attacker = client(&harness).await;
    let started = Instant::now();
    let mut refused = 0;
    for (index, (attack, template)) in corpus().into_iter().enumerate() {
        let code = scene.code(template, index, &bystander_dir);
        let reply = call(
            &attacker,
            "execute_r_analysis",
            json!({"r_code": code, "description": attack, "timeout_seconds": 2}),
        )
        .await;
        scene.check(attack, index, &reply, &bystander_dir);
        if std::env::var_os("RMCP_SHOW_ATTACKS").is_some() {
            let shown = reply["structuredContent"]["error"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| workers::text(&reply));
            eprintln!(
                "[{name}] {attack}: {}",
                shown
                    .chars()
                    .take(160)
                    .collect::<String>()
                    .replace('\n', " ")
            );
        }
        if reply.to_string().contains("Security validation failed")
            || reply.to_string().contains("approval_required")
        {
            refused += 1;
        }
    }
    eprintln!(
        "{} attacks ({refused} refused before running) in {:?}, guard {}",
        corpus().len(),
        started.elapsed(),
        if guard { "on" } else { "off" }
    );
    assert!(corpus().len() >= 40);
    // The attacker's session still works (on a new worker where needed).
    let after = workers::run_r(&attacker, "result <- 40 + 2").await;
    assert_eq!(value(&after), json!(42));
    // The bystander's workspace is intact and the server healthy.
    let kept = workers::run_r(&bystander, "result <- sum(precious)").await;
    assert_eq!(value(&kept), json!(6), "{kept}");
    let health: Value = reqwest::get(format!("{}/health", harness.server.base))
        .await
        .expect("health")
        .json()
        .await
        .expect("json");
    assert_eq!(health["status"], json!("healthy"));
    let _ = std::fs::remove_dir_all(&scene.dir);
    refused
}

/// Attacks of the corpus the guard refuses with a message. The guard is a
/// walk over the parse tree, so the count is exact: any change to the guard
/// or the corpus that moves it must update it here, and an attack that
/// stops being refused fails the test even though the sandbox still stops
/// it. (The rest are stopped by the sandbox: reads and writes outside the
/// worker's folder, `fork`, sockets, memory and time limits.)
const REFUSED_BY_THE_GUARD: usize = 38;

/// Attacks refused with the guard off: the package allowlist, which is not
/// part of the guard, still refuses `library(callr)` and
/// `requireNamespace("processx")`.
const REFUSED_WITHOUT_THE_GUARD: usize = 2;

/// What clients get: the guard refuses most attacks with a message, and
/// the sandbox stops the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_corpus_is_stopped_with_the_guard() {
    let refused = tokio::time::timeout(Duration::from_secs(120), run_corpus("guarded", true))
        .await
        .expect("the corpus finishes in time");
    assert_eq!(
        refused, REFUSED_BY_THE_GUARD,
        "attacks refused by the guard (RMCP_SHOW_ATTACKS=1 shows each answer)"
    );
}

/// With the guard off, the sandbox alone stops every attack.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_corpus_is_stopped_by_the_sandbox_alone() {
    let refused = tokio::time::timeout(Duration::from_secs(120), run_corpus("unguarded", false))
        .await
        .expect("the corpus finishes in time");
    assert_eq!(
        refused, REFUSED_WITHOUT_THE_GUARD,
        "attacks refused with the guard off"
    );
}

/// A worker's environment holds none of the server's secrets, and the
/// guard names the call it refuses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_are_scrubbed_and_refusals_name_the_call() {
    plant_secret();
    let harness = start(test_config("secrets")).await;
    let client = client(&harness).await;
    let env = workers::run_r(&client, "result <- as.list(Sys.getenv())").await;
    let names: Vec<String> = value(&env)
        .as_object()
        .map(|env| env.keys().cloned().collect())
        .unwrap_or_default();
    assert!(names.iter().any(|name| name == "R_HOME"), "{env}");
    for name in [
        "RMCP_API_KEY",
        "AWS_SECRET_ACCESS_KEY",
        "CARGO_MANIFEST_DIR",
        "CARGO_PKG_NAME",
    ] {
        assert!(!names.iter().any(|n| n == name), "{name} reached a worker");
    }
    assert!(!env.to_string().contains(SECRET));
    let refused = workers::run_r(&client, "Sys.setenv(A = 1)").await;
    let error = refused["structuredContent"]["error"].as_str().unwrap_or("");
    assert!(error.contains("Sys.setenv()"), "{refused}");
    let health: Value = reqwest::get(format!("{}/health", harness.server.base))
        .await
        .expect("health")
        .json()
        .await
        .expect("json");
    let layers = &health["sandbox"]["layers"];
    assert_eq!(layers["seccomp"], json!(true), "{health}");
    assert_eq!(layers["landlock"], json!("fully_enforced"), "{health}");
    assert_eq!(layers["env_scrubbed"], json!(true), "{health}");
    assert_eq!(health["sandbox"]["free_form_r"], json!("enabled"));
}

/// Names the guard acts on, one of which each generated snippet uses
/// (besides ordinary names): refused names, functions whose string
/// arguments it resolves, package loaders, namespace accessors, server
/// internals.
const GUARDED: &[&str] = &[
    "system",
    "system2",
    "pipe",
    "url",
    "q",
    "Sys.setenv",
    ".Internal",
    ".Call",
    "dyn.load",
    "assignInNamespace",
    "trace",
    "install.packages",
    "makeCluster",
    "get",
    "get0",
    "do.call",
    "match.fun",
    "sapply",
    "Reduce",
    "exists",
    "library",
    "require",
    "requireNamespace",
    "loadNamespace",
    "asNamespace",
    "environment",
    "baseenv",
    "parse",
    "str2lang",
    "assign",
    "delayedAssign",
    "body",
    "formals",
    "parent.env",
    "rmcp_engine_call",
    "rmcp_call",
    "[[",
];

/// Ordinary names, which must pass.
const ORDINARY: &[&str] = &[
    "mean", "lm", "summary", "x", "y", "data", "paste0", "c", "list",
];

/// Strings the snippets pass around: a refused name whole and in pieces,
/// allowlisted and not allowlisted packages, code for `parse(text = )`.
const STRINGS: &[&str] = &[
    "system",
    "sys",
    "tem",
    "socketConnection",
    "stats",
    "callr",
    "mean",
    "rmcp_engine_call",
    "system('touch x')",
    "1 + 1",
];

/// A small deterministic generator of R code (xorshift), so a failure
/// reproduces. Each snippet draws its names from the ordinary ones and one
/// guarded name, so a guarded name the shortcut overlooks is not hidden by
/// another one in the same snippet.
struct Snippets {
    state: u64,
    names: Vec<&'static str>,
}

impl Snippets {
    fn next(&mut self, below: usize) -> usize {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        usize::try_from(self.state % below as u64).unwrap_or(0)
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.next(from.len())]
    }

    fn snippet(&mut self) -> String {
        self.names = ORDINARY.to_vec();
        let guarded = self.pick(GUARDED);
        self.names.extend([guarded; 4]);
        let statements = 1 + self.next(2);
        (0..statements)
            .map(|_| self.expr(3))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn name(&mut self) -> &'static str {
        let index = self.next(self.names.len());
        self.names[index]
    }

    fn expr(&mut self, depth: usize) -> String {
        if depth == 0 || self.next(3) == 0 {
            return match self.next(5) {
                0 | 1 => match self.name() {
                    "[[" => "x".to_string(),
                    name => name.to_string(),
                },
                2 | 3 => format!("{:?}", self.pick(STRINGS)),
                _ => self.next(100).to_string(),
            };
        }
        let inner = depth - 1;
        match self.next(20) {
            0..=9 => {
                let args: Vec<String> = (0..self.next(3)).map(|_| self.expr(inner)).collect();
                match self.name() {
                    "[[" => format!("x[[{}]]", args.first().map_or("1", String::as_str)),
                    name => format!("`{name}`({})", args.join(", ")),
                }
            }
            10 | 11 => format!("{} <- {}", self.pick(ORDINARY), self.expr(inner)),
            12 => format!("`{}`(x) <- {}", self.name(), self.expr(inner)),
            13 => format!("function(a = {}) {}", self.expr(inner), self.expr(inner)),
            14 => {
                let package = self.pick(&["base", "stats", "callr", "utils"]);
                format!("{package}::`{}`", self.name())
            }
            15 | 16 => format!("{}$`{}`", self.expr(inner), self.name()),
            17 => format!("{}[[{:?}]]", self.expr(inner), self.pick(STRINGS)),
            _ => format!(
                "`{}`({})({})",
                self.name(),
                self.expr(inner),
                self.expr(inner)
            ),
        }
    }
}

/// The guard skips walking an expression when none of its names could be
/// refused; its verdict must be the full walk's on every snippet: the
/// corpora above and in worker_benign.rs, and thousands of generated ones.
#[test]
fn the_guard_shortcut_gives_the_full_walks_verdicts() {
    let mut codes: Vec<String> = corpus()
        .into_iter()
        .map(|(_, code)| code.to_string())
        .collect();
    codes.extend(
        [
            r#"result <- nrow(get("mtcars"))"#,
            "fm <- as.formula(paste('mpg ~ wt')); result <- coef(lm(fm, mtcars))",
            "f <- function(x, n = nrow(x)) sum(x) / n; result <- f(1:4)",
            "result <- summary(c(2.5, 3.1, 4.7, 5.2, 6.8))",
            "x <- sapply(1:3, function(i) i^2)",
        ]
        .map(str::to_string),
    );
    let mut snippets = Snippets {
        state: 0x9e37_79b9_7f4a_7c15,
        names: Vec::new(),
    };
    codes.extend((0..3000).map(|_| snippets.snippet()));
    let reply = support::engine::run(
        rmcp_server::r::Job::call(
            "rmcp_guard_verdicts",
            json!({"codes": codes, "allowed": ["stats", "utils", "dplyr"]}),
        )
        .with_timeout(Duration::from_secs(120)),
    )
    .expect("the guard runs");
    let verdicts = reply.value.as_array().expect("one verdict per snippet");
    assert_eq!(verdicts.len(), codes.len());
    let (mut refused, mut passed) = (0, 0);
    for verdict in verdicts {
        if verdict["parses"] != json!(true) {
            continue;
        }
        assert_eq!(
            verdict["verdict"], verdict["full"],
            "the shortcut and the full walk disagree on {}",
            verdict["code"]
        );
        if verdict["verdict"] == json!("ok") {
            passed += 1;
        } else {
            refused += 1;
        }
    }
    // Both kinds are well represented, so agreement is not trivial.
    assert!(
        refused > 500 && passed > 1500,
        "{refused} refused, {passed} passed"
    );
}
