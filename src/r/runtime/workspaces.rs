//! Named workspaces: persistent environments, created on first use, kept
//! until dropped or idle for the configured TTL, at most a configured
//! number at once. Each is preserved from R's garbage collector while it
//! is in the map, and released exactly once when it leaves it.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use libR_sys::*;

use super::super::control::Control;
use super::super::token::{RToken, Sexp};
use super::{escape_error, EngineError};

/// A named environment and when it was last used.
struct Workspace<'t> {
    env: Sexp<'t>,
    last_used: Instant,
}

/// The named workspaces; their count is published for health.
pub(super) struct Workspaces<'t> {
    map: HashMap<String, Workspace<'t>>,
    control: Arc<Control>,
}

impl<'t> Workspaces<'t> {
    pub(super) fn new(control: Arc<Control>) -> Self {
        Workspaces {
            map: HashMap::new(),
            control,
        }
    }

    /// The named workspace (marked as used now), created on first use as a
    /// child of `parent`, unless `max` already exist.
    pub(super) fn get_or_create(
        &mut self,
        token: &'t RToken,
        name: &str,
        parent: Sexp<'t>,
        max: usize,
    ) -> Result<Sexp<'t>, EngineError> {
        if let Some(workspace) = self.map.get_mut(name) {
            workspace.last_used = Instant::now();
            return Ok(workspace.env);
        }
        if self.map.len() >= max {
            return Err(EngineError::InvalidInput(format!(
                "the limit of {max} R workspaces is reached; end an idle session first"
            )));
        }
        let env = token
            .run_toplevel(|_| {
                // SAFETY: on the R thread inside `run_toplevel`; the
                // environment is preserved until `release` lets it go (so
                // it is bound to the thread's token).
                unsafe {
                    let env = R_NewEnv(parent.raw(), 1, 29);
                    R_PreserveObject(env);
                    token.sexp(env)
                }
            })
            .map_err(|escape| escape_error(token, escape))?;
        self.map.insert(
            name.to_string(),
            Workspace {
                env,
                last_used: Instant::now(),
            },
        );
        self.publish_count();
        Ok(env)
    }

    /// The named workspace, if it exists, without counting this as a use.
    pub(super) fn peek(&self, name: &str) -> Option<Sexp<'t>> {
        self.map.get(name).map(|workspace| workspace.env)
    }

    /// Drops the named workspace; whether it existed.
    pub(super) fn remove(&mut self, token: &RToken, name: &str) -> bool {
        let Some(workspace) = self.map.remove(name) else {
            return false;
        };
        release(token, workspace.env);
        self.publish_count();
        true
    }

    /// Drops the workspaces idle for longer than `ttl`.
    pub(super) fn remove_expired(&mut self, token: &RToken, ttl: Duration) {
        let before = self.map.len();
        self.map.retain(|_, workspace| {
            let keep = workspace.last_used.elapsed() <= ttl;
            if !keep {
                release(token, workspace.env);
            }
            keep
        });
        if self.map.len() != before {
            self.publish_count();
        }
    }

    /// Drops every workspace (the engine is closing).
    pub(super) fn clear(&mut self, token: &RToken) {
        for (_, workspace) in self.map.drain() {
            release(token, workspace.env);
        }
        self.publish_count();
    }

    fn publish_count(&self) {
        self.control
            .environments
            .store(self.map.len(), Ordering::Relaxed);
    }
}

/// Lets R collect a workspace's environment.
fn release(_token: &RToken, env: Sexp<'_>) {
    // SAFETY: on the R thread (token); the environment was preserved when
    // created and is released exactly once (it just left the map).
    // R_ReleaseObject cannot fail.
    unsafe { R_ReleaseObject(env.raw()) };
}
