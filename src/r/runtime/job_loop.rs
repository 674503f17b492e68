//! The job loop: waiting for the next job (spinning briefly after one
//! ends), and running each in steps: start (refuse an aborted or expired
//! job, clear the interrupt flag, start capturing the console), execute
//! (build the R side's call for the task, evaluate it, read its result and
//! restore state), finish (settle the outcome against an abort, count it,
//! answer).

use std::time::{Duration, Instant};

use serde_json::Value;

use libR_sys::*;

use super::super::control::{AbortReason, Outcome};
use super::super::interrupt::clear_interrupt;
use super::super::token::{ProtectScope, RToken, Sexp};
use super::super::{convert, EnvSpec, Envelope, Job, Message, Reply, Task};
use super::console::{start_capture, take_console};
use super::{
    escape_error, last_error_message, scalar_string, seed_value, try_eval, Engine, EngineError,
    ErrorPrinting, RError, OUTPUT_SHARE,
};

/// How often the idle loop wakes to drop expired environments.
const SWEEP_INTERVAL: Duration = Duration::from_secs(1);

/// Pause instructions between two looks at the queue while spinning.
const SPIN_BATCH: usize = 32;

/// What the R side's entry points report.
enum Evaluated {
    Ok { value: Value, warnings: Vec<String> },
    Failed(EngineError),
}

impl Evaluated {
    fn value(value: Value) -> Evaluated {
        Evaluated::Ok {
            value,
            warnings: Vec::new(),
        }
    }
}

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

impl<'t> Engine<'t> {
    /// Runs jobs until shutdown, then answers what is still queued.
    pub(super) fn serve(&mut self, receiver: &crossbeam_channel::Receiver<Message>) {
        // Spin only right after a job, not after an idle sweep.
        let mut spin = Duration::ZERO;
        loop {
            match next_message(receiver, spin) {
                Ok(Message::Job(envelope)) => {
                    self.run(*envelope);
                    spin = self.config.idle_spin;
                }
                #[cfg(test)]
                Ok(Message::Probe(probe)) => probe(self.token),
                Ok(Message::Shutdown) | Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                    break
                }
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => spin = Duration::ZERO,
            }
            if self.control.is_shutting_down() {
                break;
            }
            self.workspaces
                .remove_expired(self.token, self.config.environment_ttl);
        }
        // Whatever is still queued will never run.
        for message in receiver.try_iter() {
            if let Message::Job(envelope) = message {
                self.control.dequeued(envelope.id);
                envelope.reply.send(Err(EngineError::Unavailable));
            }
        }
    }

    /// One job, start to answer.
    fn run(&mut self, envelope: Envelope) {
        let Envelope {
            id,
            job,
            deadline,
            limit,
            reply,
        } = envelope;
        if let Err(reason) = self.control.begin(id, deadline) {
            reply.send(Err(self.refuse(reason, limit)));
            return;
        }
        clear_interrupt(self.token);
        start_capture(self.config.max_reply_bytes / OUTPUT_SHARE);
        let started = Instant::now();
        let evaluated = self.execute(&job);
        let aborted = self.control.finish();
        clear_interrupt(self.token);
        let result = settle(evaluated, aborted, limit, started);
        self.control.record(match (&result, aborted) {
            (_, Some(reason)) => outcome_of_abort(reason),
            (Ok(_), None) => Outcome::Done,
            (Err(EngineError::Cancelled), None) => Outcome::Cancelled,
            (Err(_), None) => Outcome::Failed,
        });
        reply.send(result);
    }

    /// The answer to a job that must not run (aborted while queued, past
    /// its deadline, or the engine is shutting down), counted.
    fn refuse(&self, reason: AbortReason, limit: Duration) -> EngineError {
        self.control.record(outcome_of_abort(reason));
        if self.control.is_shutting_down() {
            EngineError::Unavailable
        } else {
            abort_error(reason, limit)
        }
    }

    /// Does what the job's task asks.
    fn execute(&mut self, job: &Job) -> Evaluated {
        match &job.task {
            Task::Eval { code, env } => self.eval_code(code, env, job.seed),
            Task::Call {
                function,
                args,
                tables,
            } => self.call_function(function, args, tables, job.seed),
            Task::DescribeEnv { env } => self.describe_workspace(env),
            Task::DropEnv { env } => {
                Evaluated::value(Value::Bool(self.workspaces.remove(self.token, env)))
            }
        }
    }

    /// `rmcp_engine_eval(code, env, seed)`: R code in a fresh environment
    /// or a named workspace.
    fn eval_code(&mut self, code: &str, env: &EnvSpec, seed: Option<i32>) -> Evaluated {
        if code.contains('\0') {
            return Evaluated::Failed(EngineError::InvalidInput(
                "R code contains a NUL character".into(),
            ));
        }
        let workspace = match env {
            EnvSpec::Fresh => None,
            EnvSpec::Named(name) => match self.workspaces.get_or_create(
                self.token,
                name,
                self.catalog,
                self.config.max_environments,
            ) {
                Ok(env) => Some(env),
                Err(error) => return Evaluated::Failed(error),
            },
        };
        let (symbol, catalog) = (self.symbols.eval, self.catalog);
        self.invoke(true, |token, scope| {
            // SAFETY: on the R thread inside `run_toplevel`; each new object
            // is protected in `scope` until the call holds it.
            unsafe {
                let env = match workspace {
                    Some(env) => env,
                    None => scope.protect_raw(R_NewEnv(catalog.raw(), 1, 29)),
                };
                let code = scope.protect(scalar_string(token, code));
                let seed = seed_value(token, seed);
                Ok(token.sexp(Rf_lang4(symbol.raw(), code.raw(), env.raw(), seed.raw())))
            }
        })
    }

    /// `rmcp_engine_call(function, args, seed)`: a function of the R side
    /// (`RHandle::eval` ran `check_call` before queueing the job).
    fn call_function(
        &mut self,
        function: &str,
        args: &Value,
        tables: &[String],
        seed: Option<i32>,
    ) -> Evaluated {
        let symbol = self.symbols.call;
        self.invoke(false, |token, scope| {
            let args = convert::to_r(token, args, tables)
                .map_err(|error| EngineError::InvalidInput(error.0))?;
            let args = scope.protect(args);
            let name = scope.protect(scalar_string(token, function));
            let seed = seed_value(token, seed);
            // SAFETY: on the R thread inside `run_toplevel`; the arguments
            // are protected until the call holds them.
            unsafe { Ok(token.sexp(Rf_lang4(symbol.raw(), name.raw(), args.raw(), seed.raw()))) }
        })
    }

    /// `rmcp_engine_env_info(env)`: a named workspace's objects. Looking at
    /// a workspace does not keep it alive.
    fn describe_workspace(&mut self, name: &str) -> Evaluated {
        let Some(env) = self.workspaces.peek(name) else {
            return Evaluated::value(
                serde_json::json!({"objects": [], "total_bytes": 0, "exists": false}),
            );
        };
        let (symbol, catalog, budget) = (self.symbols.env_info, self.catalog, self.value_budget());
        let outcome = self.token.run_toplevel(|token| {
            let mut scope = ProtectScope::new(token);
            // SAFETY: on the R thread inside `run_toplevel`; a two-element
            // call of a symbol and a preserved environment.
            let call = unsafe { scope.protect_raw(Rf_lang2(symbol.raw(), env.raw())) };
            let Some(value) = try_eval(token, call, catalog, ErrorPrinting::Printed) else {
                return Err(last_error_message(token));
            };
            let value = scope.protect(value);
            convert::from_r(token, value, budget)
                .map_err(|e| format!("workspace description too large ({} bytes)", e.bytes))
        });
        match outcome {
            Ok(Ok(value)) => Evaluated::value(value),
            Ok(Err(message)) => Evaluated::Failed(EngineError::Internal(message)),
            Err(escape) => Evaluated::Failed(escape_error(self.token, escape)),
        }
    }

    /// Builds a call to one of `engine.R`'s entry points (`build`, which
    /// protects what it makes in the scope it is given), evaluates it, reads
    /// its fixed-layout result and restores state. `full` asks for the
    /// complete state check afterwards (see `restore_state`). The job's R
    /// objects are bound to the token `run_toplevel` gives: none outlives
    /// the job.
    fn invoke(
        &mut self,
        full: bool,
        build: impl for<'r> FnOnce(&'r RToken, &mut ProtectScope<'r>) -> Result<Sexp<'r>, EngineError>,
    ) -> Evaluated {
        let (catalog, budget) = (self.catalog, self.value_budget());
        let outcome = self.token.run_toplevel(|token| {
            let mut scope = ProtectScope::new(token);
            let saved_seed = scope.protect(self.saved_seed());
            let call = match build(token, &mut scope) {
                Ok(call) => scope.protect(call),
                Err(error) => return Evaluated::Failed(error),
            };
            self.state.reset(token);
            let result = try_eval(token, call, catalog, ErrorPrinting::Silent);
            let warnings = self.state.warnings(token);
            let evaluated = match result {
                Some(result) => match convert::from_r(token, scope.protect(result), budget) {
                    Ok(value) => Evaluated::Ok { value, warnings },
                    Err(too_large) => Evaluated::Failed(EngineError::ReplyTooLarge {
                        bytes: too_large.bytes,
                        limit: budget,
                    }),
                },
                None => Evaluated::Failed(self.state.failure(token, warnings)),
            };
            self.restore_state(saved_seed, full);
            evaluated
        });
        outcome.unwrap_or_else(|escape| Evaluated::Failed(escape_error(self.token, escape)))
    }
}

/// The job's answer: its value or error with what it printed, unless it
/// was aborted (its caller then has its answer already).
fn settle(
    evaluated: Evaluated,
    aborted: Option<AbortReason>,
    limit: Duration,
    started: Instant,
) -> Result<Reply, EngineError> {
    let (stdout, stderr) = take_console();
    match (aborted, evaluated) {
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
