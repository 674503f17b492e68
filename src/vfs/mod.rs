//! The file sandbox (VFS): every path a client names, for any tool or
//! resource, is checked here before anything touches it.
//!
//! Rules:
//! - Reads are allowed under the read roots (the working directory and the
//!   configured roots; writable roots are readable too). Paths are resolved
//!   (relative to the working directory, `..` folded, symlinks followed)
//!   before the check, so `../`, absolute paths and links pointing out are
//!   refused alike. A path outside the roots is refused before the file
//!   system is asked whether it exists, so refusals tell nothing about what
//!   lies outside.
//! - Writes are allowed only into configured writable roots and into
//!   directories granted to one session ([`Vfs::grant_write`], called by the
//!   `approve_operation` tool); the sandbox is read-only otherwise.
//! - Files above the size limit (50 MiB by default) and extensions outside
//!   the allowlist are refused; remote URLs are never fetched.
//! - Readers get a private staged copy of the checked file and writers a
//!   private staging file that is moved into place only after the tool
//!   succeeded ([`files`]), so R never opens a path a client wrote.
//!
//! Error messages name the path as the client gave it and say how to fix
//! the problem; they never show real paths, the roots or the environment.
//!
//! It knows no R, no MCP and no HTTP.

mod files;

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

pub use files::{DirEntry, StagedRead, WriteTarget};

/// Largest file read or written by default (50 MiB).
pub const DEFAULT_MAX_BYTES: u64 = 50 * 1024 * 1024;

/// Extensions of files that may be read: data (csv, tsv, txt, json, xml,
/// xlsx, xls) and documents (pdf).
pub const READ_EXTENSIONS: &[&str] = &["csv", "tsv", "txt", "json", "xml", "xlsx", "xls", "pdf"];

/// Directories one session may be granted at most.
const MAX_GRANTS_PER_SESSION: usize = 64;

/// Settings of the sandbox, checked by `config`.
#[derive(Debug, Clone)]
pub struct VfsConfig {
    /// `RMCP_VFS_ENABLED`: false refuses every file access.
    pub enabled: bool,
    /// Directories clients may read below; the first is the base of
    /// relative paths (the working directory).
    pub read_roots: Vec<PathBuf>,
    /// Directories clients may also write below, without an approval.
    pub writable_roots: Vec<PathBuf>,
    /// Largest file read or written, in bytes.
    pub max_bytes: u64,
}

impl VfsConfig {
    /// The working directory as the only (read-only) root.
    pub fn working_directory() -> VfsConfig {
        VfsConfig {
            enabled: true,
            read_roots: std::env::current_dir().into_iter().collect(),
            writable_roots: Vec::new(),
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// Why a path was refused. Messages name the path as the client gave it
/// (`given`) and never a resolved one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VfsError {
    /// The sandbox is turned off.
    #[error("file access is turned off on this server (RMCP_VFS_ENABLED=false); pass the data inline instead")]
    Disabled,
    /// No path was given.
    #[error("the path is empty; pass a file path such as data/sales.csv")]
    Empty,
    /// A URL (http, https, ftp, file…) rather than a path.
    #[error("'{given}' is a URL; this server does not fetch remote files: download it into a readable folder and pass its path")]
    Remote { given: String },
    /// The path resolves outside every root (or through a link that points out).
    #[error("'{given}' is outside the folders this server may access; use a path inside the working folder (the file:// resources list the readable folders)")]
    Outside { given: String },
    /// Nothing exists at the path (inside a root).
    #[error("'{given}' does not exist; check the spelling, the extension and the folder (paths are relative to the working folder)")]
    NotFound { given: String },
    /// A folder where a file was expected, or the reverse.
    #[error("'{given}' is {found}, not {expected}")]
    WrongKind {
        given: String,
        found: &'static str,
        expected: &'static str,
    },
    /// The extension is not one the operation accepts.
    #[error("'{given}' has {found}; use a file ending in {allowed}")]
    Extension {
        given: String,
        found: String,
        allowed: String,
    },
    /// The file is larger than the limit.
    #[error("'{given}' is {size} bytes, over this server's limit of {limit} bytes; use a smaller file or a sample of it")]
    TooLarge {
        given: String,
        size: u64,
        limit: u64,
    },
    /// Writing there is not allowed for this session.
    #[error("writing to '{given}' is not allowed: the server is read-only there; ask for write access to that folder with approve_operation (file_operations, with the directory), or pick a folder the server allows writes to")]
    ReadOnly { given: String },
    /// A link at the destination of a write.
    #[error("'{given}' is a symbolic link; write to a plain file name instead")]
    Link { given: String },
    /// The operating system refused (permissions, disk full…).
    #[error("'{given}' could not be {action} ({reason})")]
    Io {
        given: String,
        action: &'static str,
        reason: String,
    },
}

/// One root: what clients see (`name`, used in `file://<name>/` URIs) and
/// where it is.
#[derive(Debug, Clone)]
pub struct Root {
    /// Unique short name: the directory's own name.
    pub name: String,
    /// The canonical path (symlinks resolved).
    path: PathBuf,
    /// The path as configured, made absolute (a link to the root, say), so
    /// paths written through it are recognised too.
    alias: PathBuf,
    /// Whether writes are allowed below it without an approval.
    pub writable: bool,
}

/// A resolved, checked path: where it really is (inside a root).
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub real: PathBuf,
}

/// Called with the real path of every file a write put in place.
pub type Watcher = Arc<dyn Fn(&Path) + Send + Sync>;

/// The sandbox.
pub struct Vfs {
    enabled: bool,
    roots: Vec<Root>,
    /// Canonical directories each session may write below (approvals).
    grants: Mutex<HashMap<String, Vec<PathBuf>>>,
    max_bytes: u64,
    /// The private directory of staged copies; never reachable by a client.
    staging: files::Staging,
    watchers: Mutex<Vec<Watcher>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Vfs {
    /// Builds the sandbox: resolves the roots (each must be an existing
    /// directory) and creates the private staging directory.
    pub fn new(config: &VfsConfig) -> std::io::Result<Vfs> {
        let mut roots: Vec<Root> = Vec::new();
        let all = config
            .read_roots
            .iter()
            .map(|path| (path, false))
            .chain(config.writable_roots.iter().map(|path| (path, true)));
        for (configured, writable) in all {
            let alias = std::path::absolute(configured).map(|p| normalize(&p))?;
            let path = std::fs::canonicalize(configured)?;
            if !path.is_dir() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::NotADirectory,
                    "a VFS root is not a directory",
                ));
            }
            if let Some(existing) = roots.iter_mut().find(|root| root.path == path) {
                existing.writable |= writable;
                continue;
            }
            let base = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .filter(|name| !name.is_empty())
                .unwrap_or_else(|| "root".to_string());
            let base: String = base
                .chars()
                .map(|c| {
                    if c.is_alphanumeric() || "-_.".contains(c) {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            let mut name = base.clone();
            let mut suffix = 2;
            while roots.iter().any(|root| root.name == name) {
                name = format!("{base}-{suffix}");
                suffix += 1;
            }
            roots.push(Root {
                name,
                path,
                alias,
                writable,
            });
        }
        Ok(Vfs {
            enabled: config.enabled,
            roots,
            grants: Mutex::new(HashMap::new()),
            max_bytes: config.max_bytes,
            staging: files::Staging::create()?,
            watchers: Mutex::new(Vec::new()),
        })
    }

    /// Whether file access is on at all.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The roots, in configuration order (empty when disabled).
    pub fn roots(&self) -> &[Root] {
        if self.enabled {
            &self.roots
        } else {
            &[]
        }
    }

    /// The size limit, in bytes.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// Lets session `session` write below directory `dir` (a path as a
    /// client gives it, inside a read root). Returns how many directories
    /// the session may now write to.
    pub fn grant_write(&self, session: &str, dir: &str) -> Result<usize, VfsError> {
        let resolved = self.resolve_existing(dir, None)?;
        if !resolved.real.is_dir() {
            return Err(VfsError::WrongKind {
                given: dir.to_string(),
                found: "a file",
                expected: "a folder",
            });
        }
        let mut grants = lock(&self.grants);
        let list = grants.entry(session.to_string()).or_default();
        if !list.contains(&resolved.real) {
            if list.len() >= MAX_GRANTS_PER_SESSION {
                list.remove(0);
            }
            list.push(resolved.real);
        }
        Ok(list.len())
    }

    /// Withdraws write access below `dir` from `session`; true when it had it.
    pub fn revoke_write(&self, session: &str, dir: &str) -> Result<bool, VfsError> {
        let resolved = self.resolve_existing(dir, None)?;
        let mut grants = lock(&self.grants);
        let Some(list) = grants.get_mut(session) else {
            return Ok(false);
        };
        let before = list.len();
        list.retain(|granted| granted != &resolved.real);
        Ok(list.len() != before)
    }

    /// Forgets every grant of a session that ended.
    pub fn forget_session(&self, session: &str) {
        lock(&self.grants).remove(session);
    }

    /// Whether `session` may write below the real directory `dir`.
    fn may_write(&self, session: &str, dir: &Path) -> bool {
        self.roots
            .iter()
            .any(|root| root.writable && dir.starts_with(&root.path))
            || lock(&self.grants)
                .get(session)
                .is_some_and(|granted| granted.iter().any(|g| dir.starts_with(g)))
    }

    /// Calls `watcher` with the real path of every file written from now on.
    pub fn watch(&self, watcher: Watcher) {
        lock(&self.watchers).push(watcher);
    }

    fn written(&self, path: &Path) {
        let watchers: Vec<Watcher> = lock(&self.watchers).clone();
        for watcher in watchers {
            watcher(path);
        }
    }

    /// `given` made absolute (relative to the working directory, or to
    /// root `base` when given) with `.` and `..` folded, after the cheap
    /// refusals (disabled, empty, URL).
    fn absolute(&self, given: &str, base: Option<usize>) -> Result<PathBuf, VfsError> {
        self.refuse_early(given)?;
        let path = Path::new(given);
        let Some(first) = self.roots.first() else {
            return Err(VfsError::Outside {
                given: given.to_string(),
            });
        };
        let base = base
            .and_then(|index| self.roots.get(index))
            .unwrap_or(first);
        let joined = if path.is_absolute() {
            path.to_path_buf()
        } else {
            base.path.join(path)
        };
        Ok(normalize(&joined))
    }

    /// The refusals that need no file system: disabled, empty, URL.
    fn refuse_early(&self, given: &str) -> Result<(), VfsError> {
        if !self.enabled {
            return Err(VfsError::Disabled);
        }
        if given.trim().is_empty() {
            return Err(VfsError::Empty);
        }
        if is_url(given) {
            return Err(VfsError::Remote {
                given: given.to_string(),
            });
        }
        Ok(())
    }

    /// The root a (lexical or real) path lies in.
    fn root_of(&self, path: &Path) -> Option<usize> {
        self.roots
            .iter()
            .position(|root| path.starts_with(&root.path) || path.starts_with(&root.alias))
    }

    /// The root whose real directory holds a real path; never the staging
    /// directory, even when it happens to lie under a root.
    fn real_root_of(&self, real: &Path) -> Option<usize> {
        if self.staging.contains(real) {
            return None;
        }
        self.roots
            .iter()
            .position(|root| real.starts_with(&root.path))
    }

    /// Resolves a path that must exist inside a root.
    pub(crate) fn resolve_existing(
        &self,
        given: &str,
        base: Option<usize>,
    ) -> Result<Resolved, VfsError> {
        let outside = || VfsError::Outside {
            given: given.to_string(),
        };
        let absolute = self.absolute(given, base)?;
        if self.root_of(&absolute).is_none() {
            return Err(outside());
        }
        match std::fs::canonicalize(&absolute) {
            Ok(real) => {
                self.real_root_of(&real).ok_or_else(outside)?;
                Ok(Resolved { real })
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                // Only say "does not exist" when the part that does exist
                // is inside a root (a link out must not become an oracle).
                let existing = absolute
                    .ancestors()
                    .skip(1)
                    .find_map(|ancestor| std::fs::canonicalize(ancestor).ok());
                match existing {
                    Some(real) if self.real_root_of(&real).is_some() => Err(VfsError::NotFound {
                        given: given.to_string(),
                    }),
                    _ => Err(outside()),
                }
            }
            Err(error) => Err(VfsError::Io {
                given: given.to_string(),
                action: "opened",
                reason: io_reason(&error),
            }),
        }
    }

    /// Checks a file to read: inside a root, a regular file, an allowed
    /// extension (the tool's own list, else [`READ_EXTENSIONS`]), within the
    /// size limit.
    pub(crate) fn resolve_read(
        &self,
        given: &str,
        extensions: &[&str],
        base: Option<usize>,
    ) -> Result<Resolved, VfsError> {
        self.refuse_early(given)?;
        let allowed = if extensions.is_empty() {
            READ_EXTENSIONS
        } else {
            extensions
        };
        check_extension(given, Path::new(given), allowed)?;
        let resolved = self.resolve_existing(given, base)?;
        // A link named x.csv must not read a file of another kind.
        check_extension(given, &resolved.real, READ_EXTENSIONS)?;
        let metadata = std::fs::metadata(&resolved.real).map_err(|error| VfsError::Io {
            given: given.to_string(),
            action: "opened",
            reason: io_reason(&error),
        })?;
        if !metadata.is_file() {
            return Err(VfsError::WrongKind {
                given: given.to_string(),
                found: "a folder",
                expected: "a file",
            });
        }
        if metadata.len() > self.max_bytes {
            return Err(VfsError::TooLarge {
                given: given.to_string(),
                size: metadata.len(),
                limit: self.max_bytes,
            });
        }
        Ok(resolved)
    }
}

/// Folds `.` and `..` without touching the file system (`..` at the top
/// stays at the top).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `scheme://…` (http, https, ftp, s3, file…).
fn is_url(given: &str) -> bool {
    let Some((scheme, _)) = given.split_once("://") else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
}

/// Lower-case extension of a path ("" when none).
pub(crate) fn extension(path: &Path) -> String {
    path.extension()
        .map(|ext| ext.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

fn check_extension(given: &str, path: &Path, allowed: &[&str]) -> Result<(), VfsError> {
    let ext = extension(path);
    if allowed.contains(&ext.as_str()) {
        return Ok(());
    }
    Err(VfsError::Extension {
        given: given.to_string(),
        found: if ext.is_empty() {
            "no extension".to_string()
        } else {
            format!("the extension .{ext}")
        },
        allowed: allowed
            .iter()
            .map(|ext| format!(".{ext}"))
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// The kind of an I/O failure, without the path the OS message may carry.
fn io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::NotFound => "not found".into(),
        std::io::ErrorKind::AlreadyExists => "it already exists".into(),
        std::io::ErrorKind::StorageFull => "the disk is full".into(),
        kind => kind.to_string(),
    }
}

impl std::fmt::Debug for Vfs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vfs")
            .field("enabled", &self.enabled)
            .field("roots", &self.roots.len())
            .field("max_bytes", &self.max_bytes)
            .finish()
    }
}

#[cfg(test)]
mod tests;
