//! The package allowlist and approvals: list_allowed_r_packages,
//! approve_r_package and approve_operation (execute_r_analysis is in
//! `execute`).
//!
//! Packages: only allowlisted or session-approved ones load; a package that
//! is neither answers `approval_required` (checked here for `packages`, by
//! the guard and the worker's `library()` stand-ins for code). Installs never
//! happen. Note that some allowlisted packages can run commands or open
//! sockets (utils, tools, parallel, curl, knitr…): the sandbox, not the
//! list, is what stops them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::future::BoxFuture;
use rmcp::model::CallToolResult;
use serde_json::{json, Map, Value};

use super::shared::{error, flag, success, text_arg, with_workspace, Handler, Shared};
use crate::tools::CallContext;

/// The allowlist and approval tools this module serves.
pub(super) const HANDLERS: &[(&str, Handler)] = &[
    ("list_allowed_r_packages", list_allowed_r_packages),
    ("approve_r_package", approve_r_package),
    ("approve_operation", approve_operation),
];

fn list_allowed_r_packages<'a>(
    shared: &'a Shared,
    _tool: &'a str,
    arguments: Map<String, Value>,
    _context: CallContext,
) -> BoxFuture<'a, CallToolResult> {
    Box::pin(async move { shared.list_allowed_packages(&arguments) })
}

fn approve_r_package<'a>(
    shared: &'a Shared,
    _tool: &'a str,
    arguments: Map<String, Value>,
    context: CallContext,
) -> BoxFuture<'a, CallToolResult> {
    Box::pin(async move { shared.approve_package(&arguments, &context) })
}

fn approve_operation<'a>(
    shared: &'a Shared,
    _tool: &'a str,
    arguments: Map<String, Value>,
    context: CallContext,
) -> BoxFuture<'a, CallToolResult> {
    Box::pin(async move { shared.approve_operation(&arguments, &context).await })
}

/// Whether `name` could be an R package name.
pub(super) fn valid_package_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
        && name.len() <= 100
}

impl Shared {
    /// Whether package `name` is installed in one of R's library folders
    /// (as found at start-up).
    fn installed(&self, name: &str) -> bool {
        self.sessions.pool().config().environment.installed(name)
    }

    pub(super) fn list_allowed_packages(&self, arguments: &Map<String, Value>) -> CallToolResult {
        let category = text_arg(arguments, "category").unwrap_or("summary");
        if category == "summary" {
            let breakdown: Map<String, Value> = self
                .allowlist
                .categories()
                .iter()
                .map(|(name, members)| (name.clone(), json!(members.len())))
                .collect();
            let mut major: Vec<(&String, usize)> = self
                .allowlist
                .categories()
                .iter()
                .map(|(name, members)| (name, members.len()))
                .collect();
            major.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
            let structured = json!({
                "packages": self.allowlist.categories().keys().collect::<Vec<_>>(),
                "total_count": self.allowlist.len(),
                "category": "summary",
                "category_breakdown": breakdown,
                "description": "R packages free-form R may load without approval, grouped like CRAN task views; call again with a category (or 'all') for the names",
                "major_categories": major.iter().take(5).map(|(name, _)| name).collect::<Vec<_>>(),
            });
            let text = format!(
                "{} allowlisted R packages in {} categories: {}",
                self.allowlist.len(),
                self.allowlist.categories().len(),
                self.allowlist
                    .categories()
                    .iter()
                    .map(|(name, m)| format!("{name} ({})", m.len()))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            return success(text, structured);
        }
        let Some(packages) = self.allowlist.category(category) else {
            return error(
                "list_allowed_r_packages",
                &format!(
                    "category: unknown category '{category}'; use 'summary' to see the categories"
                ),
            );
        };
        let here: Vec<&String> = packages.iter().filter(|p| self.installed(p)).collect();
        let text = format!(
            "{} packages in '{category}' ({} installed here): {}",
            packages.len(),
            here.len(),
            packages.join(", ")
        );
        success(
            text,
            json!({
                "packages": packages,
                "total_count": packages.len(),
                "category": category,
                "installed": here,
            }),
        )
    }

    pub(super) fn approve_package(
        &self,
        arguments: &Map<String, Value>,
        context: &CallContext,
    ) -> CallToolResult {
        let package = text_arg(arguments, "package_name")
            .unwrap_or_default()
            .trim()
            .to_string();
        let approve = text_arg(arguments, "action") == Some("approve");
        let state = match self.workspace(arguments, context) {
            Ok(state) => state,
            Err(message) => return error("approve_r_package", &message),
        };
        let mut result = json!({
            "package": package,
            "action": if approve { "approved" } else { "denied" },
        });
        let message = if !valid_package_name(&package) {
            result["success"] = json!(false);
            format!("'{package}' is not a valid R package name")
        } else if !approve {
            state.approvals_mut(|a| {
                a.packages.remove(&package);
            });
            result["success"] = json!(true);
            format!("package '{package}' is not approved for this session")
        } else if self.allowlist.contains(&package) {
            result["success"] = json!(true);
            format!("package '{package}' is on the allowlist already; no approval is needed")
        } else if !self.installed(&package) {
            result["success"] = json!(false);
            format!("package '{package}' is not installed on this server, and packages are never installed by a tool call; ask the server's operator to install it, or pick an installed package (list_r_packages)")
        } else {
            state.approvals_mut(|a| {
                a.packages.insert(package.clone());
            });
            result["success"] = json!(true);
            let scope = if flag(arguments, "session_only", true) {
                ""
            } else {
                " (approvals last for this session only; permanent approval is not offered)"
            };
            format!("package '{package}' may now be loaded in this session's free-form R{scope}")
        };
        result["message"] = json!(message);
        result["session_packages"] = json!(state_packages(&state));
        with_workspace(success(message, result), &state.handle)
    }

    pub(super) async fn approve_operation(
        &self,
        arguments: &Map<String, Value>,
        context: &CallContext,
    ) -> CallToolResult {
        let kind = text_arg(arguments, "operation_type")
            .unwrap_or_default()
            .to_string();
        let operation = text_arg(arguments, "specific_operation")
            .unwrap_or_default()
            .to_string();
        let approve = text_arg(arguments, "action").unwrap_or("approve") == "approve";
        let scope = text_arg(arguments, "scope")
            .unwrap_or("session")
            .to_string();
        let state = match self.workspace(arguments, context) {
            Ok(state) => state,
            Err(message) => return error("approve_operation", &message),
        };
        let mut granted_dir = None;
        let (ok, message, level) = match (kind.as_str(), approve) {
            ("package_installation", true) => (false, "package installation cannot be approved: the R sandbox never installs packages (it has no network and no compiler); ask the server's operator to install the package".to_string(), "blocked"),
            ("system_operations", true) => (false, "system operations cannot be approved: the R sandbox never runs commands or changes environment variables".to_string(), "blocked"),
            (_, false) => {
                let directory = text_arg(arguments, "directory");
                let real = directory.and_then(|d| Path::new(d).canonicalize().ok());
                let (dirs, dropped) = state.approvals_mut(|a| {
                    if let Some(ops) = a.operations.get_mut(&kind) {
                        ops.remove(&operation);
                    }
                    let before = a.write_dirs.len();
                    if let Some(real) = &real {
                        a.write_dirs.retain(|dir| dir != real);
                    }
                    (a.write_dirs.clone(), a.write_dirs.len() != before)
                });
                if let (Some(vfs), Some(directory)) = (&self.vfs, directory) {
                    let _ = vfs.revoke_write(&context.session_id, directory);
                }
                if dropped {
                    // Landlock grants cannot be withdrawn from a running
                    // worker: move the session to one without the folder.
                    if let Err(error) = self.sessions.regrant(&state, dirs, &context.cancel).await {
                        log::warn!("restarting an R worker without a revoked folder failed: {error}");
                    }
                }
                (true, format!("{kind}/{operation} is not approved for this session"), "low")
            }
            (_, true) => match text_arg(arguments, "directory") {
                None => {
                    state.approvals_mut(|a| {
                        a.operations.entry(kind.clone()).or_default().insert(operation.clone());
                    });
                    (true, format!("{operation} approved for this session; without a directory it writes inside the session's own sandbox folder (relative paths)"), "low")
                }
                Some(directory) => match self.grant(&context.session_id, directory) {
                    Err(reason) => (false, reason, "blocked"),
                    Ok(path) => {
                        let dirs = state.approvals_mut(|a| {
                            a.operations.entry(kind.clone()).or_default().insert(operation.clone());
                            if !a.write_dirs.contains(&path) {
                                a.write_dirs.push(path.clone());
                            }
                            a.write_dirs.clone()
                        });
                        granted_dir = Some(directory.to_string());
                        match self.sessions.regrant(&state, dirs, &context.cancel).await {
                            Ok(carried) => (true, format!("this session's R (and the file tools) may now write in {directory} ({carried} workspace objects carried over to a new R worker)"), "medium"),
                            Err(error) => (false, format!("the grant is recorded, but the R worker could not be restarted with it: {error}"), "medium"),
                        }
                    }
                },
            },
        };
        let approved: Map<String, Value> = state
            .approvals_mut(|a| a.operations.clone())
            .into_iter()
            .map(|(kind, ops)| (kind, json!(ops)))
            .collect();
        let mut structured = json!({
            "success": ok,
            "operation_type": kind,
            "specific_operation": operation,
            "action": if approve { "approved" } else { "denied" },
            "scope": if scope == "permanent" { "session (permanent approval is not offered)" } else { "session" },
            "message": message,
            "approved_operations": approved,
            "security_info": {
                "level": level,
                "implications": "free-form R runs in a sandbox with no network, no commands and file access only inside its own folder and granted directories",
                "recommendations": ["grant the narrowest directory that works", "deny the operation when the analysis is done"],
            },
        });
        if let Some(dir) = granted_dir {
            structured["directory"] = json!(dir);
        }
        with_workspace(success(message, structured), &state.handle)
    }

    /// Grants `session` writes below `directory` (through the file sandbox,
    /// so the file tools honour it too) and returns its real path for the
    /// session's next R worker.
    fn grant(&self, session: &str, directory: &str) -> Result<PathBuf, String> {
        match &self.vfs {
            Some(vfs) => {
                vfs.grant_write(session, directory)
                    .map_err(|error| error.to_string())?;
                Path::new(directory)
                    .canonicalize()
                    .map_err(|_| format!("directory '{directory}' cannot be resolved"))
            }
            None => self.grantable(directory),
        }
    }

    /// `directory` resolved, when it lies inside one of the roots the server
    /// lets sessions write (servers without a file sandbox).
    fn grantable(&self, directory: &str) -> Result<PathBuf, String> {
        let roots = &self.sessions.pool().config().grantable_roots;
        if roots.is_empty() {
            return Err("this server grants no directories to free-form R (no data roots are configured); write inside the session's sandbox folder instead".into());
        }
        let path = Path::new(directory)
            .canonicalize()
            .map_err(|_| format!("directory '{directory}' does not exist or cannot be read"))?;
        if !path.is_dir() {
            return Err(format!("'{directory}' is not a directory"));
        }
        let inside = roots
            .iter()
            .filter_map(|root| root.canonicalize().ok())
            .any(|root| path.starts_with(&root));
        if inside {
            Ok(path)
        } else {
            Err(format!(
                "directory '{directory}' is outside the server's allowed data roots"
            ))
        }
    }
}

pub(super) fn state_packages(state: &Arc<super::session::SessionState>) -> Vec<String> {
    state.approvals_mut(|a| a.packages.iter().cloned().collect())
}
