//! Starting R on its own thread, loading the R side, and closing R.
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

use std::ffi::CString;
use std::os::raw::{c_char, c_int};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use libR_sys::*;
use serde_json::Value;

use super::super::token::{ProtectScope, RToken, Sexp};
use super::super::{convert, ffi, host, Message};
use super::console::{take_console, write_console};
use super::job_state::JobState;
use super::workspaces::Workspaces;
use super::{
    last_error_message, scalar_string, try_eval, Control, Engine, EngineConfig, EngineError,
    ErrorPrinting, Symbols,
};

/// Only one R per process, ever: R cannot be re-initialised.
static STARTED: AtomicBool = AtomicBool::new(false);

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

impl<'t> Engine<'t> {
    /// Creates the catalog environment and evaluates every R source into it.
    fn load(
        token: &'t RToken,
        config: EngineConfig,
        control: Arc<Control>,
    ) -> Result<Self, EngineError> {
        let catalog = token
            .run_toplevel(|_| {
                // SAFETY: on the R thread inside `run_toplevel`; the
                // environment is preserved for the life of the thread (so
                // it is bound to the thread's token).
                unsafe {
                    let env = R_NewEnv(R_GlobalEnv, 1, 64);
                    R_PreserveObject(env);
                    token.sexp(env)
                }
            })
            .map_err(|_| EngineError::Startup("cannot create the R environment".into()))?;
        for (path, source) in super::super::sources::R_SOURCES {
            evaluate_source(token, catalog, source)
                .map_err(|message| EngineError::Startup(format!("loading r/{path}: {message}")))?;
        }
        let symbols = token
            .run_toplevel(|_| {
                // SAFETY: on the R thread inside `run_toplevel`; symbols are
                // never collected (so they are bound to the thread's token).
                unsafe {
                    R_LockEnvironment(catalog.raw(), Rboolean::TRUE);
                    let symbol = |name: &std::ffi::CStr| token.sexp(Rf_install(name.as_ptr()));
                    Symbols {
                        eval: symbol(c"rmcp_engine_eval"),
                        call: symbol(c"rmcp_engine_call"),
                        env_info: symbol(c"rmcp_engine_env_info"),
                        restore: symbol(c"rmcp_engine_restore"),
                        random_seed: symbol(c".Random.seed"),
                        options: symbol(c".Options"),
                    }
                }
            })
            .map_err(|_| EngineError::Startup("cannot lock the R environment".into()))?;
        let state = token
            .run_toplevel(|_| JobState::find(token, catalog))
            .map_err(|_| {
                EngineError::Startup("cannot find the engine's state environment".into())
            })??;
        host::install(token, config.host.clone());
        if let Ok(version) = evaluate_string(token, catalog, "R.version.string") {
            let _ = control.r_version.set(version);
        }
        drop(take_console());
        Ok(Engine {
            token,
            config,
            workspaces: Workspaces::new(Arc::clone(&control)),
            control,
            catalog,
            symbols,
            state,
            baseline: None,
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
        if token.run_toplevel(|_| self.record_baseline()).is_err() {
            log::error!(
                "could not record R's baseline state; jobs' changes to options will not be undone"
            );
        }
        drop(take_console());
    }

    /// Releases R objects and runs R's exit finalizers, on the R thread.
    fn close(&mut self) {
        let token = self.token;
        self.workspaces.clear(token);
        let _ = token.run_toplevel(|_| {
            // SAFETY: on the R thread inside `run_toplevel`, after the last
            // job.
            unsafe {
                R_RunExitFinalizers();
                R_CleanTempDir();
            }
        });
    }
}

/// Parses `source` into its expressions, protected in `scope`. Inside
/// [`RToken::run_toplevel`].
fn parse<'r>(
    token: &'r RToken,
    scope: &mut ProtectScope<'r>,
    source: &str,
) -> Result<Sexp<'r>, String> {
    let text = scope.protect(scalar_string(token, source));
    let mut status = ParseStatus::PARSE_NULL;
    // SAFETY: on the R thread (token); `text` is protected.
    let exprs =
        unsafe { scope.protect_raw(R_ParseVector(text.raw(), -1, &mut status, R_NilValue)) };
    if status != ParseStatus::PARSE_OK {
        return Err(format!("does not parse: {}", last_error_message(token)));
    }
    Ok(exprs)
}

/// The `index`th of parsed expressions.
fn expression<'r>(token: &'r RToken, exprs: Sexp<'r>, index: R_xlen_t) -> Sexp<'r> {
    // SAFETY: on the R thread (token); `exprs` is an expression vector and
    // the caller keeps `index` below its length; the element is reachable
    // from it.
    unsafe { token.sexp(VECTOR_ELT(exprs.raw(), index)) }
}

fn length(_token: &RToken, x: Sexp<'_>) -> R_xlen_t {
    // SAFETY: on the R thread (token); reads a vector's length.
    unsafe { Rf_xlength(x.raw()) }
}

/// Parses and evaluates `source` in `env` at start-up.
fn evaluate_source(token: &RToken, env: Sexp<'_>, source: &str) -> Result<(), String> {
    if source.contains('\0') {
        return Err("source contains a NUL character".into());
    }
    let outcome = token.run_toplevel(|token| {
        let mut scope = ProtectScope::new(token);
        let exprs = parse(token, &mut scope, source)?;
        for index in 0..length(token, exprs) {
            let expr = expression(token, exprs, index);
            if try_eval(token, expr, env, ErrorPrinting::Printed).is_none() {
                return Err(last_error_message(token));
            }
        }
        Ok(())
    });
    outcome.unwrap_or_else(|escape| Err(format!("{escape:?}")))
}

/// Evaluates an expression that yields one string, at start-up.
fn evaluate_string(token: &RToken, env: Sexp<'_>, code: &str) -> Result<String, String> {
    let outcome = token.run_toplevel(|token| {
        let mut scope = ProtectScope::new(token);
        let exprs = parse(token, &mut scope, code)?;
        if length(token, exprs) != 1 {
            return Err("does not parse".to_string());
        }
        let expr = expression(token, exprs, 0);
        let Some(value) = try_eval(token, expr, env, ErrorPrinting::Printed) else {
            return Err(last_error_message(token));
        };
        let value = scope.protect(value);
        match convert::from_r(token, value, 1 << 16) {
            Ok(Value::String(text)) => Ok(text),
            _ => Err("not a string".to_string()),
        }
    });
    outcome.unwrap_or_else(|escape| Err(format!("{escape:?}")))
}
