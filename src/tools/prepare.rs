//! What the catalog does to a call's arguments before R sees them, beyond
//! schema validation: the structural check a tool declares (its
//! [`RCall::check`], such as the columns `filter_data` conditions name),
//! and the sandbox for every path argument (its [`RCall::files`]).
//!
//! Paths: a file tool's `file_path` is checked by the [`Vfs`] and R gets
//! only private paths in arguments the client cannot set (`.path`, a
//! staged copy to read, with `.file_info`; `.output_path`, a staging file to
//! write). After R succeeds, [`Staged::commit`] moves written files into
//! place; on failure nothing reaches the destination.

use serde_json::{json, Map, Value};

use super::spec::{FileAccess, RCall};
use crate::vfs::{StagedRead, Vfs, VfsError, WriteTarget};

/// Files staged for one call; dropping it deletes the private copies.
#[derive(Debug, Default)]
pub(crate) struct Staged {
    reads: Vec<StagedRead>,
    writes: Vec<WriteTarget>,
}

impl Staged {
    /// Moves every written staging file to its destination.
    pub(crate) fn commit(self, vfs: &Vfs) -> Result<(), String> {
        for target in self.writes {
            vfs.commit(target)
                .map_err(|error| format!("file_path: {error}"))?;
        }
        Ok(())
    }

    /// `text` with the private paths replaced, so no R message shows where
    /// the server keeps its staged files.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut text = text.to_string();
        let paths = self
            .reads
            .iter()
            .map(|read| read.path.clone())
            .chain(self.writes.iter().map(|write| write.staged.clone()));
        for path in paths {
            let full = path.to_string_lossy().into_owned();
            text = text.replace(&full, "<file>");
            if let Some(name) = path.file_name() {
                text = text.replace(&*name.to_string_lossy(), "<file>");
            }
        }
        text
    }
}

/// Checks and stages the path arguments of a call to tool `tool`, which
/// uses `file_path` as `access` says, adding the private arguments R uses.
/// Errors are messages for the client.
pub(crate) fn stage(
    tool: &str,
    access: FileAccess,
    arguments: &mut Map<String, Value>,
    vfs: &Vfs,
    session: &str,
) -> Result<Staged, String> {
    // Only the server sets private arguments.
    arguments.retain(|name, _| !name.starts_with('.'));
    let mut staged = Staged::default();
    if access == FileAccess::NoFile {
        return Ok(staged);
    }
    let given = match arguments.get("file_path") {
        None | Some(Value::Null) => match access {
            FileAccess::Read(_) => {
                return Err("file_path: is required; pass the path of the file to read".into())
            }
            FileAccess::Write(_) | FileAccess::NoFile => return Ok(staged),
        },
        Some(Value::String(path)) => path.clone(),
        Some(_) => return Err("file_path: must be a string such as data/sales.csv".into()),
    };
    let explain = |error: VfsError| {
        let hint = match &error {
            VfsError::Extension { .. } => other_tool(tool, &given),
            _ => String::new(),
        };
        format!("file_path: {error}{hint}")
    };
    match access {
        FileAccess::NoFile => {}
        FileAccess::Read(extensions) => {
            let read = vfs.stage_read(&given, extensions).map_err(explain)?;
            arguments.insert(".path".into(), json!(read.path.to_string_lossy()));
            arguments.insert(
                ".file_info".into(),
                json!({"size_bytes": read.size, "modified": read.modified}),
            );
            staged.reads.push(read);
        }
        FileAccess::Write(extensions) => {
            let target = vfs
                .prepare_write(session, &given, extensions)
                .map_err(explain)?;
            arguments.insert(
                ".output_path".into(),
                json!(target.staged.to_string_lossy()),
            );
            staged.writes.push(target);
        }
    }
    Ok(staged)
}

/// "; use read_excel for .xlsx files" when another tool handles the
/// extension the client gave.
fn other_tool(tool: &str, given: &str) -> String {
    let ext = crate::vfs::extension(std::path::Path::new(given));
    let family = match ext.as_str() {
        "csv" | "tsv" | "txt" => "csv",
        "xlsx" | "xls" => "excel",
        "json" => "json",
        _ => return String::new(),
    };
    let verb = if tool.starts_with("write_") {
        "write"
    } else if tool.starts_with("read_") {
        "read"
    } else {
        return String::new();
    };
    let other = format!("{verb}_{family}");
    if other == tool {
        String::new()
    } else {
        format!(" (for .{ext} files use {other})")
    }
}

/// Runs the check the tool declares must hold before R runs (for tools
/// whose arguments name columns of their own `data`), if any.
pub(crate) fn check(call: &RCall, arguments: &Map<String, Value>) -> Result<(), String> {
    call.check.map_or(Ok(()), |check| check(arguments))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_name_the_right_tool() {
        assert_eq!(
            other_tool("read_csv", "book.xlsx"),
            " (for .xlsx files use read_excel)"
        );
        assert_eq!(
            other_tool("write_json", "out.csv"),
            " (for .csv files use write_csv)"
        );
        assert_eq!(other_tool("read_csv", "x.csv"), "");
        assert_eq!(other_tool("scatter_plot", "x.csv"), "");
    }
}
