//! What the catalog does to a call's arguments before R sees them, beyond
//! schema validation: structural checks that must not wait for R (the
//! columns `filter_data` conditions name), and the sandbox for every path
//! argument.
//!
//! Paths: a file tool's `file_path` is checked by the [`Vfs`] and R gets
//! only private paths in arguments the client cannot set (`.path`, a
//! staged copy to read, with `.file_info`; `.output_path`, a staging file to
//! write). After R succeeds, [`Staged::commit`] moves written files into
//! place; on failure nothing reaches the destination.

use serde_json::{json, Map, Value};

use super::spec::ToolSpec;
use crate::vfs::{StagedRead, Vfs, VfsError, WriteTarget};

/// How a tool uses its `file_path` argument.
enum Access {
    /// Reads a file with one of these extensions.
    Read(&'static [&'static str]),
    /// Writes a file with one of these extensions (when `file_path` is given).
    Write(&'static [&'static str]),
}

fn access(spec: &ToolSpec) -> Option<Access> {
    match spec.name {
        "read_csv" => Some(Access::Read(&["csv", "tsv", "txt"])),
        "read_excel" => Some(Access::Read(&["xlsx", "xls"])),
        "read_json" => Some(Access::Read(&["json"])),
        "write_csv" => Some(Access::Write(&["csv", "tsv", "txt"])),
        "write_excel" => Some(Access::Write(&["xlsx"])),
        "write_json" => Some(Access::Write(&["json"])),
        _ if spec.category == "visualization" => Some(Access::Write(&["png"])),
        _ => None,
    }
}

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

/// Checks and stages the path arguments of a call to `spec`, adding the
/// private arguments R uses. Errors are messages for the client.
pub(crate) fn stage(
    spec: &ToolSpec,
    arguments: &mut Map<String, Value>,
    vfs: &Vfs,
    session: &str,
) -> Result<Staged, String> {
    // Only the server sets private arguments.
    arguments.retain(|name, _| !name.starts_with('.'));
    let mut staged = Staged::default();
    let Some(access) = access(spec) else {
        return Ok(staged);
    };
    let given = match arguments.get("file_path") {
        None | Some(Value::Null) => match access {
            Access::Read(_) => {
                return Err("file_path: is required; pass the path of the file to read".into())
            }
            Access::Write(_) => return Ok(staged),
        },
        Some(Value::String(path)) => path.clone(),
        Some(_) => return Err("file_path: must be a string such as data/sales.csv".into()),
    };
    let explain = |error: VfsError| {
        let hint = match &error {
            VfsError::Extension { .. } => other_tool(spec.name, &given),
            _ => String::new(),
        };
        format!("file_path: {error}{hint}")
    };
    match access {
        Access::Read(extensions) => {
            let read = vfs.stage_read(&given, extensions).map_err(explain)?;
            arguments.insert(".path".into(), json!(read.path.to_string_lossy()));
            arguments.insert(
                ".file_info".into(),
                json!({"size_bytes": read.size, "modified": read.modified}),
            );
            staged.reads.push(read);
        }
        Access::Write(extensions) => {
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

/// Checks that must hold before R runs, for tools whose arguments name
/// columns of their own `data`.
pub(crate) fn check(spec: &ToolSpec, arguments: &Map<String, Value>) -> Result<(), String> {
    match spec.name {
        "filter_data" => super::fileops::filter_data::check_conditions(arguments),
        _ => Ok(()),
    }
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
