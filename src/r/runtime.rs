//! The R thread: starting R, loading the R side, and the job loop.
//!
//! Start-up (on the R thread, in this order): environment variables R reads
//! (`R_HOME`, `R_MAX_VSIZE`, a UTF-8 locale) are set before the thread
//! starts; then R's signal handlers are switched off, `Rf_initialize_R` runs
//! with `--vanilla --quiet --no-echo --no-save`, the C-stack globals are
//! pointed at this thread's own stack (R's defaults describe the main
//! thread's, and `setup_Rmainloop` would abort the process), the console is
//! redirected into per-job buffers, and `setup_Rmainloop` finishes. Every
//! `r/**/*.R` file is then evaluated once into one environment that is
//! locked afterwards.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::CString;
use std::os::raw::{c_char, c_int};
use std::ptr::addr_of_mut;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use libR_sys::*;
use serde_json::Value;

use super::control::{AbortReason, Control, Outcome};
use super::convert;
use super::ffi::{self, TYPEOF};
use super::token::{Escape, RToken};
use super::{EngineConfig, EngineError, EnvSpec, Envelope, Job, Message, RError, Reply, Task};

/// Share of the reply cap that console output may use; the rest is the
/// value's.
const OUTPUT_SHARE: usize = 4;

/// How often the idle loop wakes to drop expired environments.
const SWEEP_INTERVAL: Duration = Duration::from_secs(1);

/// The next message for the R thread. For `spin` after a job the thread
/// stays awake polling the queue, yielding its core to any thread that
/// wants it, before it sleeps: a job that arrives in that window starts at
/// once, on a core whose caches still hold R, instead of paying for the
/// thread's wake-up and cold caches (on a VM, tens of microseconds and up
/// to twice R's own time). Back-to-back calls from one client, and any
/// steady load, arrive within it.
fn next_message(
    receiver: &crossbeam_channel::Receiver<Message>,
    spin: Duration,
) -> Result<Message, crossbeam_channel::RecvTimeoutError> {
    if !spin.is_zero() {
        let until = Instant::now() + spin;
        loop {
            match receiver.try_recv() {
                Ok(message) => return Ok(message),
                Err(crossbeam_channel::TryRecvError::Disconnected) => {
                    return Err(crossbeam_channel::RecvTimeoutError::Disconnected)
                }
                Err(crossbeam_channel::TryRecvError::Empty) => {}
            }
            if Instant::now() >= until {
                break;
            }
            for _ in 0..SPIN_BATCH {
                std::hint::spin_loop();
            }
            std::thread::yield_now();
        }
    }
    receiver.recv_timeout(SWEEP_INTERVAL)
}

/// Pause instructions between two looks at the queue while spinning.
const SPIN_BATCH: usize = 32;

/// Only one R per process, ever: R cannot be re-initialised.
static STARTED: AtomicBool = AtomicBool::new(false);

/// Sets R's interrupt flag. Safe to call from any thread: R reads the flag
/// (a plain `int`) at its next check on the R thread.
pub(crate) fn request_interrupt() {
    // SAFETY: `R_interrupts_pending` is a static int in libR.so, valid for the
    // life of the process; it is accessed atomically here, and R only reads
    // it or resets it to 0 on its own thread.
    unsafe {
        AtomicI32::from_ptr(addr_of_mut!(R_interrupts_pending)).store(1, Ordering::SeqCst);
    }
}

fn clear_interrupt(_token: &RToken) {
    // SAFETY: as in `request_interrupt`.
    unsafe {
        AtomicI32::from_ptr(addr_of_mut!(R_interrupts_pending)).store(0, Ordering::SeqCst);
    }
}

/// Console text of the current job, filled by R's console callback.
struct Console {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    cap: usize,
    dropped: usize,
}

thread_local! {
    static CONSOLE: RefCell<Console> = const {
        RefCell::new(Console { stdout: Vec::new(), stderr: Vec::new(), cap: 1 << 20, dropped: 0 })
    };
}

/// `ptr_R_WriteConsoleEx`: R calls it on the R thread for all console text.
unsafe extern "C" fn write_console(buffer: *const c_char, len: c_int, stream: c_int) {
    let Ok(len) = usize::try_from(len) else {
        return;
    };
    if buffer.is_null() {
        return;
    }
    // SAFETY: R passes `len` readable bytes at `buffer`.
    let bytes = unsafe { std::slice::from_raw_parts(buffer.cast::<u8>(), len) };
    // Nothing here may unwind into R's C frames.
    let _ = std::panic::catch_unwind(|| {
        CONSOLE.with(|console| {
            if let Ok(mut console) = console.try_borrow_mut() {
                let room = console
                    .cap
                    .saturating_sub(console.stdout.len() + console.stderr.len());
                let kept = bytes.len().min(room);
                console.dropped += bytes.len() - kept;
                let target = if stream == 0 {
                    &mut console.stdout
                } else {
                    &mut console.stderr
                };
                target.extend_from_slice(&bytes[..kept]);
            }
        });
    });
}

/// Takes the job's console text, with a marker when some was dropped.
fn take_console() -> (String, String) {
    CONSOLE.with(|console| {
        let mut console = console.borrow_mut();
        let mut stdout = String::from_utf8_lossy(&std::mem::take(&mut console.stdout)).into_owned();
        let stderr = String::from_utf8_lossy(&std::mem::take(&mut console.stderr)).into_owned();
        if console.dropped > 0 {
            stdout.push_str(&format!(
                "\n[output truncated: {} more bytes not shown]\n",
                console.dropped
            ));
            console.dropped = 0;
        }
        (stdout, stderr)
    })
}

/// Starts the R thread and waits until R runs and the R side is loaded.
pub(crate) fn spawn(
    config: EngineConfig,
    receiver: crossbeam_channel::Receiver<Message>,
    control: Arc<Control>,
) -> Result<std::thread::JoinHandle<()>, EngineError> {
    if STARTED.swap(true, Ordering::SeqCst) {
        return Err(EngineError::Startup(
            "R is already running in this process; share its RHandle instead".into(),
        ));
    }
    prepare_environment(&config);
    let (ready, started) = std::sync::mpsc::channel();
    let stack_size = config.stack_size;
    let handle = std::thread::Builder::new()
        .name("rmcp-r".into())
        .stack_size(stack_size)
        .spawn(move || {
            let _dead_on_exit = MarkDeadOnExit(Arc::clone(&control));
            let marker = 0u8;
            let stack_top = std::ptr::addr_of!(marker) as usize;
            // SAFETY: this is the only thread that ever touches R, and R is
            // started once (STARTED).
            if let Err(error) = unsafe { initialise(stack_top, stack_size) } {
                let _ = ready.send(Err(error));
                return;
            }
            // SAFETY: R is initialised on this thread; the token stays here.
            let token = unsafe { RToken::new() };
            let mut engine = match Engine::load(&token, config, Arc::clone(&control)) {
                Ok(engine) => engine,
                Err(error) => {
                    let _ = ready.send(Err(error));
                    return;
                }
            };
            control.alive.store(true, Ordering::Release);
            let _ = ready.send(Ok(()));
            engine.finish_start_up();
            control.ready.store(true, Ordering::Release);
            engine.serve(&receiver);
            engine.close();
        })
        .map_err(|error| EngineError::Startup(format!("cannot spawn the R thread: {error}")))?;
    match started.recv() {
        Ok(Ok(())) => Ok(handle),
        Ok(Err(error)) => Err(error),
        Err(_) => Err(EngineError::Startup(
            "the R thread stopped during start-up".into(),
        )),
    }
}

/// Marks the engine dead when the R thread ends, however it ends.
struct MarkDeadOnExit(Arc<Control>);

impl Drop for MarkDeadOnExit {
    fn drop(&mut self) {
        self.0.alive.store(false, Ordering::Release);
        self.0.ready.store(false, Ordering::Release);
        self.0.begin_shutdown();
    }
}

/// Environment variables R reads while starting. Set before the R thread
/// exists, from the thread that starts the engine.
fn prepare_environment(config: &EngineConfig) {
    let set = |name: &str, value: &str| {
        // Environment writes race with concurrent getenv calls in other
        // threads; this runs once, before R or the server read anything.
        std::env::set_var(name, value);
    };
    if std::env::var_os("R_HOME").is_none() {
        set("R_HOME", env!("RMCP_BUILD_R_HOME"));
    }
    if let Some(vsize) = &config.max_vsize {
        set("R_MAX_VSIZE", vsize);
    }
    if std::env::var_os("LC_ALL").is_none() && std::env::var_os("LANG").is_none() {
        set("LANG", "C.UTF-8");
    }
}

/// Initialises R on the current thread.
///
/// # Safety
/// Call once per process, on the thread that will own R; `stack_top` is an
/// address near the top of this thread's stack of `stack_size` bytes.
unsafe fn initialise(stack_top: usize, stack_size: usize) -> Result<(), EngineError> {
    let args = [
        "R",
        "--vanilla",
        "--quiet",
        "--no-echo",
        "--no-save",
        "--no-restore",
    ];
    let args: Vec<CString> = args
        .iter()
        .map(|a| CString::new(*a).map_err(|e| EngineError::Startup(e.to_string())))
        .collect::<Result<_, _>>()?;
    // R keeps pointers into argv: leak it for the life of the process.
    let argv: &'static mut [*mut c_char] =
        Vec::leak(args.into_iter().map(CString::into_raw).collect::<Vec<_>>());
    // SAFETY: R's documented embedding sequence (Writing R Extensions §8.1),
    // on the thread that owns R; globals are written before R reads them.
    unsafe {
        ffi::R_SignalHandlers = 0;
        Rf_initialize_R(argv.len() as c_int, argv.as_mut_ptr());
        // R's stack check must describe this thread's stack: start a little
        // above our first frame, 95 % of the stack usable, growing down.
        ffi::R_CStackStart = stack_top + 4096;
        R_CStackLimit = stack_size / 100 * 95;
        ffi::R_CStackDir = 1;
        ffi::R_Interactive = 0;
        ffi::R_Outputfile = std::ptr::null_mut();
        ffi::R_Consolefile = std::ptr::null_mut();
        ffi::ptr_R_WriteConsole = None;
        ffi::ptr_R_WriteConsoleEx = Some(write_console);
        setup_Rmainloop();
        ffi::R_Interactive = 0;
        // Wake `Sys.sleep` every 20 ms so interrupts reach it.
        ffi::R_wait_usec = 20_000;
    }
    Ok(())
}

/// A named environment and when it was last used.
struct Workspace {
    env: SEXP,
    last_used: Instant,
}

/// Symbols the job loop uses, installed once.
struct Symbols {
    eval: SEXP,
    call: SEXP,
    env_info: SEXP,
    restore: SEXP,
    random_seed: SEXP,
    options: SEXP,
}

/// `engine.R`'s `rmcp_engine_state` environment, where the calling handlers
/// record how a job failed and which warnings it raised.
struct JobState {
    env: SEXP,
    status: SEXP,
    message: SEXP,
    call: SEXP,
    warnings: SEXP,
    line: SEXP,
    column: SEXP,
}

impl JobState {
    /// Sets every field back to `NULL` (only those a job set: most are).
    ///
    /// # Safety
    /// On the R thread inside `protect`.
    unsafe fn reset(&self) {
        // SAFETY: see above; defineVar on our own unlocked environment.
        unsafe {
            for symbol in [
                self.status,
                self.message,
                self.call,
                self.warnings,
                self.line,
                self.column,
            ] {
                if Rf_findVarInFrame(self.env, symbol) != R_NilValue {
                    Rf_defineVar(symbol, R_NilValue, self.env);
                }
            }
        }
    }

    /// A field as JSON (`Null` when unset).
    ///
    /// # Safety
    /// On the R thread inside `protect`.
    unsafe fn field(&self, symbol: SEXP) -> Value {
        // SAFETY: see above; the field's value is reachable from the
        // environment while it is read.
        unsafe {
            let value = Rf_findVarInFrame(self.env, symbol);
            if value == R_UnboundValue {
                return Value::Null;
            }
            convert::from_r(&RToken::new(), value, 1 << 20).unwrap_or(Value::Null)
        }
    }

    /// A character field as strings.
    ///
    /// # Safety
    /// On the R thread inside `protect`.
    unsafe fn strings(&self, symbol: SEXP) -> Vec<String> {
        // SAFETY: see `field`.
        match unsafe { self.field(symbol) } {
            Value::String(one) => vec![one],
            Value::Array(items) => items
                .into_iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The error of a job that R_tryEvalSilent reported as failed.
    ///
    /// # Safety
    /// On the R thread inside `protect`.
    unsafe fn failure(&self, warnings: Vec<String>) -> EngineError {
        // SAFETY: see `field`.
        unsafe {
            let text = |symbol| match self.field(symbol) {
                Value::String(text) => Some(text),
                _ => None,
            };
            let number = |symbol| {
                self.field(symbol)
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
            };
            match text(self.status).as_deref() {
                Some("error") => EngineError::R(RError {
                    message: text(self.message).unwrap_or_else(|| "unknown R error".into()),
                    call: text(self.call),
                    warnings,
                    stdout: String::new(),
                    stderr: String::new(),
                }),
                Some("parse_error") => EngineError::Parse {
                    message: text(self.message).unwrap_or_default(),
                    line: number(self.line),
                    column: number(self.column),
                },
                Some(_) => EngineError::Cancelled,
                None => {
                    // Failed before the handlers were in place: an interrupt
                    // (empty message) or an error R raised itself.
                    let message = last_error_message();
                    if message.is_empty() {
                        EngineError::Cancelled
                    } else {
                        EngineError::R(RError {
                            message,
                            call: None,
                            warnings,
                            stdout: String::new(),
                            stderr: String::new(),
                        })
                    }
                }
            }
        }
    }
}

/// Interpreter-wide state as it was after start-up. After each job the engine
/// compares against it cheaply, and asks R to restore only on a difference.
struct Baseline {
    /// The values of `.Options` entries, in order (a preserved list, so none
    /// is collected and its address reused). R updates the `.Options`
    /// pairlist in place, so a changed option shows as a different value
    /// pointer: comparing pointers costs nanoseconds where `identical()` on
    /// the options costs ~0.1 ms.
    options: SEXP,
    option_tags: Vec<SEXP>,
    globals: usize,
    search_path: usize,
    working_dir: Option<std::path::PathBuf>,
}

/// State of the R thread. Holds R objects, so it never leaves the thread.
struct Engine<'t> {
    token: &'t RToken,
    config: EngineConfig,
    control: Arc<Control>,
    /// The locked environment holding the R side (`r/`).
    catalog: SEXP,
    symbols: Symbols,
    state: JobState,
    baseline: Option<Baseline>,
    workspaces: HashMap<String, Workspace>,
}

/// What the R side's entry points report.
enum Evaluated {
    Ok { value: Value, warnings: Vec<String> },
    Failed(EngineError),
}

impl<'t> Engine<'t> {
    /// Creates the catalog environment and evaluates every R source into it.
    fn load(
        token: &'t RToken,
        config: EngineConfig,
        control: Arc<Control>,
    ) -> Result<Self, EngineError> {
        let catalog = token
            .protect(|| {
                // SAFETY: on the R thread inside `protect`.
                unsafe {
                    let env = R_NewEnv(R_GlobalEnv, 1, 64);
                    R_PreserveObject(env);
                    env
                }
            })
            .map_err(|_| EngineError::Startup("cannot create the R environment".into()))?;
        for (path, source) in super::sources::R_SOURCES {
            evaluate_source(token, catalog, source)
                .map_err(|message| EngineError::Startup(format!("loading r/{path}: {message}")))?;
        }
        let symbols = token
            .protect(|| {
                // SAFETY: on the R thread inside `protect`; symbols are never
                // collected.
                unsafe {
                    R_LockEnvironment(catalog, Rboolean::TRUE);
                    Symbols {
                        eval: Rf_install(c"rmcp_engine_eval".as_ptr()),
                        call: Rf_install(c"rmcp_engine_call".as_ptr()),
                        env_info: Rf_install(c"rmcp_engine_env_info".as_ptr()),
                        restore: Rf_install(c"rmcp_engine_restore".as_ptr()),
                        random_seed: Rf_install(c".Random.seed".as_ptr()),
                        options: Rf_install(c".Options".as_ptr()),
                    }
                }
            })
            .map_err(|_| EngineError::Startup("cannot lock the R environment".into()))?;
        let state = token
            .protect(|| {
                // SAFETY: on the R thread inside `protect`; the environment
                // is bound in the locked catalog, so it is never collected.
                unsafe {
                    let symbol = |name: &std::ffi::CStr| Rf_install(name.as_ptr());
                    JobState {
                        env: Rf_findVarInFrame(catalog, symbol(c"rmcp_engine_state")),
                        status: symbol(c"status"),
                        message: symbol(c"message"),
                        call: symbol(c"call"),
                        warnings: symbol(c"warnings"),
                        line: symbol(c"line"),
                        column: symbol(c"column"),
                    }
                }
            })
            .map_err(|_| {
                EngineError::Startup("cannot find the engine's state environment".into())
            })?;
        // SAFETY: reading the binding found above.
        if unsafe { ffi::TYPEOF(state.env) } != 4 {
            return Err(EngineError::Startup(
                "r/common/engine.R defines no rmcp_engine_state environment".into(),
            ));
        }
        super::host::install(token, config.host.clone());
        if let Ok(version) = evaluate_string(token, catalog, "R.version.string") {
            let _ = control.r_version.set(version);
        }
        drop(take_console());
        Ok(Engine {
            token,
            config,
            control,
            catalog,
            symbols,
            state,
            baseline: None,
            workspaces: HashMap::new(),
        })
    }

    /// Work done after start-up is reported, before the first job: loading
    /// packages the tools use, then recording the interpreter state every
    /// job is restored to.
    fn finish_start_up(&mut self) {
        for package in &self.config.preload_packages {
            let code = format!("invisible(requireNamespace({package:?}, quietly = TRUE))");
            if let Err(message) = evaluate_source(self.token, self.catalog, &code) {
                log::warn!("could not preload R package {package}: {message}");
            }
        }
        if let Err(message) =
            evaluate_source(self.token, self.catalog, "rmcp_engine_capture_baseline()")
        {
            log::error!("could not record R's baseline state: {message}");
        }
        let token = self.token;
        if token.protect(|| self.record_baseline()).is_err() {
            log::error!(
                "could not record R's baseline state; jobs' changes to options will not be undone"
            );
        }
        drop(take_console());
    }

    /// Takes the baseline the after-job checks compare against.
    fn record_baseline(&mut self) {
        // SAFETY: on the R thread inside `protect`; the options copy is
        // preserved until replaced.
        unsafe {
            let current = Rf_findVarInFrame(R_BaseEnv, self.symbols.options);
            let mut option_tags = Vec::new();
            let mut node = current;
            while TYPEOF(node) == LISTSXP {
                option_tags.push(TAG(node));
                node = CDR(node);
            }
            let options = Rf_protect(Rf_allocVector(
                SEXPTYPE::VECSXP,
                option_tags.len() as R_xlen_t,
            ));
            let mut node = current;
            for index in 0..option_tags.len() {
                SET_VECTOR_ELT(options, index as R_xlen_t, CAR(node));
                node = CDR(node);
            }
            R_PreserveObject(options);
            Rf_unprotect(1);
            if let Some(old) = self.baseline.take() {
                R_ReleaseObject(old.options);
            }
            self.baseline = Some(Baseline {
                options,
                option_tags,
                globals: self.global_count(),
                search_path: search_path_length(),
                working_dir: std::env::current_dir().ok(),
            });
        }
    }

    /// Variables in the global environment, not counting the RNG state.
    ///
    /// # Safety
    /// On the R thread inside `protect`.
    unsafe fn global_count(&self) -> usize {
        // SAFETY: see above.
        unsafe {
            let names = R_lsInternal3(R_GlobalEnv, Rboolean::TRUE, Rboolean::FALSE);
            let count = usize::try_from(Rf_xlength(names)).unwrap_or(0);
            let has_seed =
                R_existsVarInFrame(R_GlobalEnv, self.symbols.random_seed) == Rboolean::TRUE;
            count - usize::from(has_seed && count > 0)
        }
    }

    /// After a job: puts the RNG state back, and has R restore everything
    /// else when a cheap check sees a change.
    ///
    /// # Safety
    /// On the R thread inside `protect`; `saved_seed` is the `.Random.seed`
    /// binding found before the job (or `R_UnboundValue`), kept protected.
    ///
    /// `full` also counts global variables (a few microseconds): needed
    /// after evaluating code, not after the R side's own functions, which
    /// never assign globals.
    unsafe fn restore_state(&mut self, saved_seed: SEXP, full: bool) {
        // SAFETY: see above.
        unsafe {
            let seed_symbol = self.symbols.random_seed;
            if Rf_findVarInFrame(R_GlobalEnv, seed_symbol) != saved_seed {
                if saved_seed == R_UnboundValue {
                    R_removeVarFromFrame(seed_symbol, R_GlobalEnv);
                } else {
                    Rf_defineVar(seed_symbol, saved_seed, R_GlobalEnv);
                }
            }
            let Some(baseline) = &self.baseline else {
                return;
            };
            let changed =
                options_changed(Rf_findVarInFrame(R_BaseEnv, self.symbols.options), baseline)
                    || Rf_NumDevices() > 1
                    || (full && self.global_count() != baseline.globals)
                    || search_path_length() != baseline.search_path
                    || std::env::current_dir().ok() != baseline.working_dir;
            if changed {
                let call = Rf_protect(Rf_lang1(self.symbols.restore));
                let mut failed: c_int = 0;
                R_tryEval(call, self.catalog, &mut failed);
                Rf_unprotect(1);
                if failed != 0 {
                    log::error!(
                        "restoring R's state after a job failed: {}",
                        last_error_message()
                    );
                }
                self.record_baseline();
            }
        }
    }

    fn serve(&mut self, receiver: &crossbeam_channel::Receiver<Message>) {
        // Spin only right after a job, not after an idle sweep.
        let mut spin = Duration::ZERO;
        loop {
            match next_message(receiver, spin) {
                Ok(Message::Job(envelope)) => {
                    self.run(*envelope);
                    spin = self.config.idle_spin;
                }
                Ok(Message::Shutdown) | Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                    break
                }
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => spin = Duration::ZERO,
            }
            if self.control.is_shutting_down() {
                break;
            }
            self.drop_expired_workspaces();
        }
        // Whatever is still queued will never run.
        for message in receiver.try_iter() {
            if let Message::Job(envelope) = message {
                self.control.dequeued(envelope.id);
                envelope.reply.send(Err(EngineError::Unavailable));
            }
        }
    }

    fn run(&mut self, envelope: Envelope) {
        let Envelope {
            id,
            job,
            deadline,
            limit,
            reply,
        } = envelope;
        if let Err(reason) = self.control.begin(id, deadline) {
            let error = if self.control.is_shutting_down() {
                EngineError::Unavailable
            } else {
                abort_error(reason, limit)
            };
            self.control.record(outcome_of_abort(reason));
            reply.send(Err(error));
            return;
        }
        clear_interrupt(self.token);
        CONSOLE.with(|console| {
            let mut console = console.borrow_mut();
            console.cap = self.config.max_reply_bytes / OUTPUT_SHARE;
            console.stdout.clear();
            console.stderr.clear();
            console.dropped = 0;
        });
        let started = Instant::now();
        let evaluated = self.execute(&job);
        let aborted = self.control.finish();
        clear_interrupt(self.token);
        let (stdout, stderr) = take_console();
        let result = match (aborted, evaluated) {
            (Some(reason), _) => Err(abort_error(reason, limit)),
            (None, Evaluated::Ok { value, warnings }) => Ok(Reply {
                value,
                stdout,
                stderr,
                warnings,
                r_time: started.elapsed(),
            }),
            (None, Evaluated::Failed(EngineError::R(error))) => Err(EngineError::R(RError {
                stdout,
                stderr,
                ..error
            })),
            (None, Evaluated::Failed(error)) => Err(error),
        };
        self.control.record(match (&result, aborted) {
            (_, Some(reason)) => outcome_of_abort(reason),
            (Ok(_), None) => Outcome::Done,
            (Err(EngineError::Cancelled), None) => Outcome::Cancelled,
            (Err(_), None) => Outcome::Failed,
        });
        reply.send(result);
    }

    fn execute(&mut self, job: &Job) -> Evaluated {
        let budget = self.config.max_reply_bytes - self.config.max_reply_bytes / OUTPUT_SHARE;
        let seed = job.seed;
        match &job.task {
            Task::Eval { code, env } => {
                if code.contains('\0') {
                    return Evaluated::Failed(EngineError::InvalidInput(
                        "R code contains a NUL character".into(),
                    ));
                }
                let env = match env {
                    EnvSpec::Fresh => None,
                    EnvSpec::Named(name) => match self.workspace(name) {
                        Ok(env) => Some(env),
                        Err(error) => return Evaluated::Failed(error),
                    },
                };
                let symbol = self.symbols.eval;
                let catalog = self.catalog;
                self.invoke(budget, true, |token| {
                    // SAFETY: on the R thread inside `protect`; each new
                    // object is protected until the call holds it.
                    unsafe {
                        let mut protected = 1;
                        let env = match env {
                            Some(env) => env,
                            None => {
                                protected += 1;
                                Rf_protect(R_NewEnv(catalog, 1, 29))
                            }
                        };
                        let code = Rf_protect(scalar_string(token, code));
                        let call = Rf_lang4(symbol, code, env, seed_value(seed));
                        Rf_unprotect(protected);
                        call
                    }
                })
            }
            Task::Call {
                function,
                args,
                tables,
            } => {
                // `RHandle::eval` ran `check_call` before queueing the job.
                let symbol = self.symbols.call;
                let mut table_error = None;
                let evaluated = self.invoke(budget, false, |token| {
                    // SAFETY: on the R thread inside `protect`.
                    unsafe {
                        let args = match convert::to_r(token, args, tables) {
                            Ok(args) => Rf_protect(args),
                            Err(error) => {
                                table_error = Some(error.0);
                                Rf_protect(R_NilValue)
                            }
                        };
                        let name = Rf_protect(scalar_string(token, function));
                        let call = Rf_lang4(symbol, name, args, seed_value(seed));
                        Rf_unprotect(2);
                        call
                    }
                });
                match table_error {
                    Some(reason) => Evaluated::Failed(EngineError::InvalidInput(reason)),
                    None => evaluated,
                }
            }
            Task::DescribeEnv { env } => {
                // Looking at a workspace does not keep it alive.
                let Some(workspace) = self.workspaces.get(env) else {
                    return Evaluated::Ok {
                        value: serde_json::json!({"objects": [], "total_bytes": 0, "exists": false}),
                        warnings: Vec::new(),
                    };
                };
                let env = workspace.env;
                let symbol = self.symbols.env_info;
                let catalog = self.catalog;
                let outcome = self.token.protect(|| {
                    // SAFETY: on the R thread inside `protect`.
                    unsafe {
                        let call = Rf_protect(Rf_lang2(symbol, env));
                        let mut failed: c_int = 0;
                        let value = Rf_protect(R_tryEval(call, catalog, &mut failed));
                        let result = if failed != 0 {
                            Err(last_error_message())
                        } else {
                            convert::from_r(self.token, value, budget).map_err(|e| {
                                format!("workspace description too large ({} bytes)", e.bytes)
                            })
                        };
                        Rf_unprotect(2);
                        result
                    }
                });
                match outcome {
                    Ok(Ok(value)) => Evaluated::Ok {
                        value,
                        warnings: Vec::new(),
                    },
                    Ok(Err(message)) => Evaluated::Failed(EngineError::Internal(message)),
                    Err(escape) => Evaluated::Failed(escape_error(escape)),
                }
            }
            Task::DropEnv { env } => {
                let existed = self.drop_workspace(env);
                Evaluated::Ok {
                    value: Value::Bool(existed),
                    warnings: Vec::new(),
                }
            }
        }
    }

    /// Builds a call to one of `engine.R`'s entry points, evaluates it and
    /// reads its fixed-layout result.
    /// `full` asks for the complete state check afterwards (see
    /// `restore_state`).
    fn invoke(
        &mut self,
        budget: usize,
        full: bool,
        build: impl FnOnce(&RToken) -> SEXP,
    ) -> Evaluated {
        let token = self.token;
        let catalog = self.catalog;
        let outcome = token.protect(|| {
            // SAFETY: on the R thread inside `protect`; `call` and its result
            // are protected while in use and unprotected before returning.
            unsafe {
                let saved_seed =
                    Rf_protect(Rf_findVarInFrame(R_GlobalEnv, self.symbols.random_seed));
                let call = Rf_protect(build(token));
                let state = &self.state;
                state.reset();
                let mut failed: c_int = 0;
                let result = Rf_protect(R_tryEvalSilent(call, catalog, &mut failed));
                let warnings = state.strings(state.warnings);
                let evaluated = if failed == 0 {
                    match convert::from_r(token, result, budget) {
                        Ok(value) => Evaluated::Ok { value, warnings },
                        Err(too_large) => Evaluated::Failed(EngineError::ReplyTooLarge {
                            bytes: too_large.bytes,
                            limit: budget,
                        }),
                    }
                } else {
                    Evaluated::Failed(state.failure(warnings))
                };
                self.restore_state(saved_seed, full);
                Rf_unprotect(3);
                evaluated
            }
        });
        outcome.unwrap_or_else(|escape| Evaluated::Failed(escape_error(escape)))
    }

    /// The named workspace, created on first use.
    fn workspace(&mut self, name: &str) -> Result<SEXP, EngineError> {
        if let Some(workspace) = self.workspaces.get_mut(name) {
            workspace.last_used = Instant::now();
            return Ok(workspace.env);
        }
        if self.workspaces.len() >= self.config.max_environments {
            return Err(EngineError::InvalidInput(format!(
                "the limit of {} R workspaces is reached; end an idle session first",
                self.config.max_environments
            )));
        }
        let catalog = self.catalog;
        let env = self
            .token
            .protect(|| {
                // SAFETY: on the R thread inside `protect`; the environment is
                // preserved until `drop_workspace` releases it.
                unsafe {
                    let env = R_NewEnv(catalog, 1, 29);
                    R_PreserveObject(env);
                    env
                }
            })
            .map_err(escape_error)?;
        self.workspaces.insert(
            name.to_string(),
            Workspace {
                env,
                last_used: Instant::now(),
            },
        );
        self.control
            .environments
            .store(self.workspaces.len(), Ordering::Relaxed);
        Ok(env)
    }

    fn drop_workspace(&mut self, name: &str) -> bool {
        let Some(workspace) = self.workspaces.remove(name) else {
            return false;
        };
        // SAFETY: on the R thread; the environment was preserved when created
        // and is released exactly once. R_ReleaseObject cannot fail.
        unsafe { R_ReleaseObject(workspace.env) };
        self.control
            .environments
            .store(self.workspaces.len(), Ordering::Relaxed);
        true
    }

    fn drop_expired_workspaces(&mut self) {
        let ttl = self.config.environment_ttl;
        let expired: Vec<String> = self
            .workspaces
            .iter()
            .filter(|(_, w)| w.last_used.elapsed() > ttl)
            .map(|(name, _)| name.clone())
            .collect();
        for name in expired {
            self.drop_workspace(&name);
        }
    }

    /// Releases R objects and runs R's exit finalizers, on the R thread.
    fn close(&mut self) {
        let names: Vec<String> = self.workspaces.keys().cloned().collect();
        for name in names {
            self.drop_workspace(&name);
        }
        let _ = self.token.protect(|| {
            // SAFETY: on the R thread, after the last job.
            unsafe {
                R_RunExitFinalizers();
                R_CleanTempDir();
            }
        });
    }
}

const LISTSXP: c_int = 2;

/// Whether the `.Options` pairlist differs from the baseline: an option
/// added, removed or given a new value.
///
/// # Safety
/// On the R thread; `current` is the `.Options` pairlist.
unsafe fn options_changed(current: SEXP, baseline: &Baseline) -> bool {
    // SAFETY: walks a pairlist and reads a preserved list.
    unsafe {
        let mut node = current;
        for (index, tag) in baseline.option_tags.iter().enumerate() {
            if TYPEOF(node) != LISTSXP
                || TAG(node) != *tag
                || CAR(node) != VECTOR_ELT(baseline.options, index as R_xlen_t)
            {
                return true;
            }
            node = CDR(node);
        }
        TYPEOF(node) == LISTSXP
    }
}

/// Environments between the global and the empty environment (the search
/// path, as `length(search())` counts it).
///
/// # Safety
/// On the R thread.
unsafe fn search_path_length() -> usize {
    // SAFETY: walking parent environments reads R's memory only.
    unsafe {
        let mut count = 0;
        let mut env = R_GlobalEnv;
        while env != R_EmptyEnv && count < 10_000 {
            count += 1;
            env = ENCLOS(env);
        }
        count
    }
}

/// `NULL` or a length-1 integer for the seed argument.
unsafe fn seed_value(seed: Option<i32>) -> SEXP {
    // SAFETY: on the R thread inside `protect` (the caller's contract).
    unsafe {
        match seed {
            Some(seed) if seed != c_int::MIN => Rf_ScalarInteger(seed),
            _ => R_NilValue,
        }
    }
}

/// A length-1 character vector (the text must hold no NUL).
fn scalar_string(token: &RToken, text: &str) -> SEXP {
    let _ = token;
    // SAFETY: on the R thread (token) inside `protect`; R copies the bytes.
    unsafe {
        let element = Rf_protect(Rf_mkCharLenCE(
            text.as_ptr().cast::<c_char>(),
            c_int::try_from(text.len()).unwrap_or(c_int::MAX),
            cetype_t::CE_UTF8,
        ));
        let vector = Rf_ScalarString(element);
        Rf_unprotect(1);
        vector
    }
}

/// R's last error text, without the `Error:` prefix R adds.
fn last_error_message() -> String {
    // SAFETY: R_curErrorBuf returns R's static, NUL-terminated error buffer.
    let raw = unsafe { std::ffi::CStr::from_ptr(ffi::R_curErrorBuf()) };
    let text = raw.to_string_lossy();
    let text = text.trim();
    let text = text
        .strip_prefix("Error in ")
        .and_then(|rest| rest.split_once(" : ").map(|(_, message)| message))
        .or_else(|| text.strip_prefix("Error: "))
        .unwrap_or(text);
    text.trim().to_string()
}

fn escape_error(escape: Escape) -> EngineError {
    match escape {
        Escape::Jumped => {
            let message = last_error_message();
            if message.contains("vector memory") || message.contains("cannot allocate") {
                EngineError::R(RError {
                    message,
                    call: None,
                    warnings: Vec::new(),
                    stdout: String::new(),
                    stderr: String::new(),
                })
            } else if message.is_empty() {
                EngineError::Cancelled
            } else {
                EngineError::Internal(format!("R stopped unexpectedly: {message}"))
            }
        }
        Escape::Panicked(message) => {
            log::error!("panic on the R thread, caught: {message}");
            EngineError::Internal("a bug in the engine stopped this job; it has been logged".into())
        }
    }
}

fn abort_error(reason: AbortReason, limit: Duration) -> EngineError {
    match reason {
        AbortReason::Timeout => EngineError::Timeout { limit },
        AbortReason::Cancelled => EngineError::Cancelled,
    }
}

fn outcome_of_abort(reason: AbortReason) -> Outcome {
    match reason {
        AbortReason::Timeout => Outcome::TimedOut,
        AbortReason::Cancelled => Outcome::Cancelled,
    }
}

/// Parses and evaluates `source` in `env` at start-up.
fn evaluate_source(token: &RToken, env: SEXP, source: &str) -> Result<(), String> {
    if source.contains('\0') {
        return Err("source contains a NUL character".into());
    }
    let outcome = token.protect(|| {
        // SAFETY: on the R thread inside `protect`; the parsed expressions
        // are protected while evaluated.
        unsafe {
            let text = Rf_protect(scalar_string(token, source));
            let mut status = ParseStatus::PARSE_NULL;
            let exprs = Rf_protect(R_ParseVector(text, -1, &mut status, R_NilValue));
            if status != ParseStatus::PARSE_OK {
                Rf_unprotect(2);
                return Err(format!("does not parse: {}", last_error_message()));
            }
            for i in 0..Rf_xlength(exprs) {
                let mut failed: c_int = 0;
                R_tryEval(VECTOR_ELT(exprs, i), env, &mut failed);
                if failed != 0 {
                    Rf_unprotect(2);
                    return Err(last_error_message());
                }
            }
            Rf_unprotect(2);
            Ok(())
        }
    });
    outcome.unwrap_or_else(|escape| Err(format!("{escape:?}")))
}

/// Evaluates an expression that yields one string, at start-up.
fn evaluate_string(token: &RToken, env: SEXP, code: &str) -> Result<String, String> {
    let outcome = token.protect(|| {
        // SAFETY: on the R thread inside `protect`.
        unsafe {
            let text = Rf_protect(scalar_string(token, code));
            let mut status = ParseStatus::PARSE_NULL;
            let exprs = Rf_protect(R_ParseVector(text, -1, &mut status, R_NilValue));
            if status != ParseStatus::PARSE_OK || Rf_xlength(exprs) != 1 {
                Rf_unprotect(2);
                return Err("does not parse".to_string());
            }
            let mut failed: c_int = 0;
            let value = Rf_protect(R_tryEval(VECTOR_ELT(exprs, 0), env, &mut failed));
            let result = if failed != 0 {
                Err(last_error_message())
            } else {
                match convert::from_r(token, value, 1 << 16) {
                    Ok(Value::String(text)) => Ok(text),
                    _ => Err("not a string".to_string()),
                }
            };
            Rf_unprotect(3);
            result
        }
    });
    outcome.unwrap_or_else(|escape| Err(format!("{escape:?}")))
}
