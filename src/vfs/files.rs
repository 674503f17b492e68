//! Moving bytes through the sandbox: staged copies for readers, staging
//! files for writers (moved into place only after the tool succeeded), and
//! the folder listings and file contents behind `file://` resources.
//!
//! The staging directory is private (mode 0700, a random name in the system
//! temporary directory) and removed when the sandbox is dropped; resolution
//! treats it as outside every root.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::{extension, io_reason, Resolved, Vfs, VfsError};

/// The private directory of staged files.
pub(super) struct Staging {
    dir: PathBuf,
}

impl Staging {
    pub(super) fn create() -> std::io::Result<Staging> {
        use std::os::unix::fs::DirBuilderExt;
        let base = std::fs::canonicalize(std::env::temp_dir())?;
        let dir = base.join(format!(
            "rmcp-staging-{}-{}",
            std::process::id(),
            random_hex()
        ));
        std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
        sweep_stale(&base);
        Ok(Staging { dir })
    }

    pub(super) fn contains(&self, path: &Path) -> bool {
        path.starts_with(&self.dir)
    }

    /// How many staged files exist now.
    fn count(&self) -> usize {
        std::fs::read_dir(&self.dir).map_or(0, |dir| dir.count())
    }

    /// A fresh path in the staging directory with extension `ext`.
    fn file(&self, ext: &str) -> PathBuf {
        let name = if ext.is_empty() {
            random_hex()
        } else {
            format!("{}.{ext}", random_hex())
        };
        self.dir.join(name)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Removes the staging directories of server processes that are gone
/// (killed before they could clean up). Directories of live processes, and
/// of other users (mode 0700), are left alone.
fn sweep_stale(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix("rmcp-staging-")
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// 128 random bits as hex (the clock if the OS source fails: names need to
/// be unique, and the directory is private anyway).
fn random_hex() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes = nanos.to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A private copy of a checked file, deleted when dropped.
#[derive(Debug)]
pub struct StagedRead {
    pub path: PathBuf,
    /// Size of the file, in bytes.
    pub size: u64,
    /// Modification time of the original, ISO 8601 UTC.
    pub modified: Option<String>,
}

impl Drop for StagedRead {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A checked destination and the staging file a tool writes first.
#[derive(Debug)]
pub struct WriteTarget {
    /// The path as the client gave it (for messages).
    pub given: String,
    /// The staging file the tool writes.
    pub staged: PathBuf,
    /// The real directory the file goes into, and its name there.
    dir: PathBuf,
    name: std::ffi::OsString,
    session: String,
}

impl Drop for WriteTarget {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.staged);
    }
}

/// One entry of a folder listing.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DirEntry {
    pub name: String,
    /// "file" or "folder".
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
}

/// Seconds since the epoch as ISO 8601 UTC (civil-from-days, no time zone
/// database needed).
pub(crate) fn iso8601(time: SystemTime) -> Option<String> {
    let seconds = time.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_secs() as i64;
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    ))
}

impl Vfs {
    /// Checks `given` for reading (see [`Vfs::resolve_read`]) and copies it
    /// to a private staged file, enforcing the size limit on the bytes
    /// actually read.
    pub fn stage_read(&self, given: &str, extensions: &[&str]) -> Result<StagedRead, VfsError> {
        let resolved = self.resolve_read(given, extensions, None)?;
        self.copy_to_staging(given, &resolved)
    }

    fn copy_to_staging(&self, given: &str, resolved: &Resolved) -> Result<StagedRead, VfsError> {
        let io = |action: &'static str, error: std::io::Error| VfsError::Io {
            given: given.to_string(),
            action,
            reason: io_reason(&error),
        };
        let mut source = std::fs::File::open(&resolved.real).map_err(|e| io("opened", e))?;
        let metadata = source.metadata().map_err(|e| io("opened", e))?;
        if !metadata.is_file() {
            return Err(VfsError::WrongKind {
                given: given.to_string(),
                found: "a folder",
                expected: "a file",
            });
        }
        let mut staged = StagedRead {
            path: self.staging.file(&extension(&resolved.real)),
            size: 0,
            modified: metadata.modified().ok().and_then(iso8601),
        };
        let mut target = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&staged.path)
            .map_err(|e| io("staged", e))?;
        let copied = std::io::copy(&mut (&mut source).take(self.max_bytes + 1), &mut target)
            .map_err(|e| io("read", e))?;
        if copied > self.max_bytes {
            return Err(VfsError::TooLarge {
                given: given.to_string(),
                size: metadata.len().max(copied),
                limit: self.max_bytes,
            });
        }
        target.flush().map_err(|e| io("staged", e))?;
        staged.size = copied;
        Ok(staged)
    }

    /// Checks a destination for session `session`: inside a root, in an
    /// existing folder the session may write to, an allowed extension, not
    /// a link or a folder. The tool then writes [`WriteTarget::staged`] and
    /// the server calls [`Vfs::commit`].
    pub fn prepare_write(
        &self,
        session: &str,
        given: &str,
        extensions: &[&str],
    ) -> Result<WriteTarget, VfsError> {
        let absolute = self.absolute(given, None)?;
        let outside = || VfsError::Outside {
            given: given.to_string(),
        };
        if self.root_of(&absolute).is_none() {
            return Err(outside());
        }
        let (Some(parent), Some(name)) = (absolute.parent(), absolute.file_name()) else {
            return Err(VfsError::WrongKind {
                given: given.to_string(),
                found: "a folder",
                expected: "a file name",
            });
        };
        super::check_extension(given, Path::new(name), extensions)?;
        let dir = match std::fs::canonicalize(parent) {
            Ok(dir) => dir,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let existing = parent
                    .ancestors()
                    .find_map(|ancestor| std::fs::canonicalize(ancestor).ok());
                return match existing {
                    Some(real) if self.real_root_of(&real).is_some() => Err(VfsError::NotFound {
                        given: given.to_string(),
                    }),
                    _ => Err(outside()),
                };
            }
            Err(error) => {
                return Err(VfsError::Io {
                    given: given.to_string(),
                    action: "written",
                    reason: io_reason(&error),
                })
            }
        };
        if self.real_root_of(&dir).is_none() {
            return Err(outside());
        }
        if !dir.is_dir() {
            return Err(VfsError::NotFound {
                given: given.to_string(),
            });
        }
        if !self.may_write(session, &dir) {
            return Err(VfsError::ReadOnly {
                given: given.to_string(),
            });
        }
        let destination = dir.join(name);
        if let Ok(metadata) = std::fs::symlink_metadata(&destination) {
            if metadata.file_type().is_symlink() {
                return Err(VfsError::Link {
                    given: given.to_string(),
                });
            }
            if metadata.is_dir() {
                return Err(VfsError::WrongKind {
                    given: given.to_string(),
                    found: "a folder",
                    expected: "a file",
                });
            }
        }
        Ok(WriteTarget {
            given: given.to_string(),
            staged: self.staging.file(&extension(Path::new(name))),
            dir,
            name: name.to_os_string(),
            session: session.to_string(),
        })
    }

    /// Puts a written staging file in place: checks its size and that the
    /// destination folder is still the checked one, copies it next to the
    /// destination and renames it over (so a reader never sees half a file
    /// and a link planted meanwhile is replaced, not followed). Returns the
    /// size written.
    pub fn commit(&self, target: WriteTarget) -> Result<u64, VfsError> {
        let given = target.given.clone();
        let io = |action: &'static str, error: std::io::Error| VfsError::Io {
            given: given.clone(),
            action,
            reason: io_reason(&error),
        };
        let size = std::fs::metadata(&target.staged)
            .map_err(|e| io("written", e))?
            .len();
        if size > self.max_bytes {
            return Err(VfsError::TooLarge {
                given: given.clone(),
                size,
                limit: self.max_bytes,
            });
        }
        let dir_now = std::fs::canonicalize(&target.dir).map_err(|e| io("written", e))?;
        if dir_now != target.dir || !self.may_write(&target.session, &dir_now) {
            return Err(VfsError::ReadOnly { given });
        }
        let temporary = target.dir.join(format!(".rmcp-{}.part", random_hex()));
        let result = (|| {
            let mut source = std::fs::File::open(&target.staged)?;
            let mut out = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temporary)?;
            std::io::copy(&mut source, &mut out)?;
            out.sync_all()?;
            std::fs::rename(&temporary, target.dir.join(&target.name))
        })();
        if let Err(error) = result {
            let _ = std::fs::remove_file(&temporary);
            return Err(io("written", error));
        }
        self.written(&target.dir.join(&target.name));
        Ok(size)
    }

    /// The entries of folder `relative` (a path inside root `root`, "" for
    /// the root itself): readable files and sub-folders, sorted by name.
    pub fn list_dir(&self, root: usize, relative: &str) -> Result<Vec<DirEntry>, VfsError> {
        let shown = display_path(relative);
        let resolved = if relative.trim_matches('/').is_empty() {
            let root_entry = self.roots().get(root).ok_or(VfsError::Outside {
                given: shown.clone(),
            })?;
            Resolved {
                real: root_entry.path.clone(),
            }
        } else {
            self.resolve_existing(relative.trim_start_matches('/'), Some(root))?
        };
        if !resolved.real.is_dir() {
            return Err(VfsError::WrongKind {
                given: shown,
                found: "a file",
                expected: "a folder",
            });
        }
        let reader = std::fs::read_dir(&resolved.real).map_err(|error| VfsError::Io {
            given: shown.clone(),
            action: "listed",
            reason: io_reason(&error),
        })?;
        let mut entries = Vec::new();
        for entry in reader.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || self.staging.contains(&entry.path()) {
                continue;
            }
            // Follow links only to what stays inside a root.
            let Ok(real) = std::fs::canonicalize(entry.path()) else {
                continue;
            };
            if self.real_root_of(&real).is_none() {
                continue;
            }
            let Ok(metadata) = std::fs::metadata(&real) else {
                continue;
            };
            if metadata.is_dir() {
                entries.push(DirEntry {
                    name,
                    kind: "folder",
                    size_bytes: None,
                    modified: None,
                });
            } else if metadata.is_file()
                && super::READ_EXTENSIONS.contains(&extension(&real).as_str())
            {
                entries.push(DirEntry {
                    name,
                    kind: "file",
                    size_bytes: Some(metadata.len()),
                    modified: metadata.modified().ok().and_then(iso8601),
                });
            }
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    /// The bytes of file `relative` inside root `root`, with the usual
    /// checks (allowed extension, size limit).
    pub fn read_bytes(&self, root: usize, relative: &str) -> Result<Vec<u8>, VfsError> {
        let shown = display_path(relative);
        let resolved = self
            .resolve_read(relative.trim_start_matches('/'), &[], Some(root))
            .map_err(|error| rename_given(error, &shown))?;
        let staged = self.copy_to_staging(&shown, &resolved)?;
        std::fs::read(&staged.path).map_err(|error| VfsError::Io {
            given: shown,
            action: "read",
            reason: io_reason(&error),
        })
    }

    /// The private directory of staged copies and staging files: catalog
    /// engine processes are allowed to read and write it, and nothing else
    /// of the sandbox.
    pub fn staging_dir(&self) -> &Path {
        &self.staging.dir
    }

    /// How many staged copies and staging files exist now (each call's are
    /// removed when it ends).
    pub fn staged_files(&self) -> usize {
        self.staging.count()
    }

    /// Whether `relative` inside root `root` is a folder (false when it
    /// does not resolve).
    pub fn is_dir(&self, root: usize, relative: &str) -> bool {
        let relative = relative.trim_start_matches('/');
        if relative.is_empty() {
            return self.roots().get(root).is_some();
        }
        self.resolve_existing(relative, Some(root))
            .is_ok_and(|resolved| resolved.real.is_dir())
    }

    /// The root-relative forms (root index, relative path with `/`) of a
    /// real path, for every root that holds it.
    pub fn locate(&self, real: &Path) -> Vec<(usize, String)> {
        self.roots()
            .iter()
            .enumerate()
            .filter_map(|(index, root)| {
                let relative = real.strip_prefix(&root.path).ok()?;
                let parts: Vec<String> = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                Some((index, parts.join("/")))
            })
            .collect()
    }
}

fn display_path(relative: &str) -> String {
    let trimmed = relative.trim_start_matches('/');
    if trimmed.is_empty() {
        "/".to_string()
    } else {
        trimmed.to_string()
    }
}

/// The same error naming `shown` (the URI form) rather than the joined path.
fn rename_given(error: VfsError, shown: &str) -> VfsError {
    let shown = shown.to_string();
    match error {
        VfsError::Outside { .. } => VfsError::Outside { given: shown },
        VfsError::NotFound { .. } => VfsError::NotFound { given: shown },
        other => other,
    }
}
