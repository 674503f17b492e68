//! Files through the sandbox, with real R and real files in temporary
//! folders: an analyst writes a table and reads it back with its types and
//! missing values intact, filters it with conditions that stay data, and
//! every attempt to leave the sandbox (`../`, absolute paths, links, huge
//! files, folders nobody granted) is refused with a message that shows no
//! real path, while nothing lands outside the approved folders.

mod support {
    pub mod engine;
}

use std::path::PathBuf;
use std::sync::Arc;

use rmcp::model::{CallToolResult, ContentBlock};
use rmcp_server::tools::catalog::Catalog;
use rmcp_server::tools::{CallContext, ToolProvider};
use rmcp_server::vfs::{Vfs, VfsConfig};
use serde_json::{json, Value};
use support::engine;
use tokio_util::sync::CancellationToken;

/// A temporary folder tree: `root/` (readable), `root/out/` (writable),
/// `root/granted/` (writable once granted), `outside/` (neither).
struct Sandbox {
    base: PathBuf,
    catalog: Catalog,
    vfs: Arc<Vfs>,
}

impl Sandbox {
    fn new(max_bytes: u64) -> Sandbox {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).expect("random");
        let name: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let base = std::env::temp_dir().join(format!("rmcp-files-test-{name}"));
        for dir in ["root/out", "root/granted", "root/data", "outside"] {
            std::fs::create_dir_all(base.join(dir)).expect("folders");
        }
        std::fs::write(base.join("outside/secret.csv"), "secret\n42\n").expect("secret");
        let vfs = Arc::new(
            Vfs::new(&VfsConfig {
                enabled: true,
                read_roots: vec![base.join("root")],
                writable_roots: vec![base.join("root/out")],
                max_bytes,
            })
            .expect("sandbox"),
        );
        let catalog = Catalog::with_vfs(engine::engine(), Arc::clone(&vfs)).expect("catalog");
        Sandbox { base, catalog, vfs }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.base.join(relative)
    }

    /// Calls `tool` as session `session`. Relative paths are relative to
    /// `root/`, the sandbox's first root (as the working directory is for
    /// the server).
    fn call_as(&self, session: &str, tool: &str, args: Value) -> CallToolResult {
        engine::block_on(async {
            self.catalog
                .call(
                    tool,
                    args,
                    CallContext::new(session.to_string(), CancellationToken::new()),
                )
                .expect("a catalog tool")
                .await
        })
    }

    fn call(&self, tool: &str, args: Value) -> CallToolResult {
        self.call_as("session-a", tool, args)
    }

    /// A refusal: asserts isError and that the message shows no real path
    /// (beyond the path the client itself sent).
    fn refused(&self, tool: &str, args: Value) -> String {
        let given = args["file_path"].as_str().unwrap_or("\u{0}").to_string();
        let result = self.call(tool, args);
        let text = text_of(&result);
        assert_eq!(result.is_error, Some(true), "{tool} should fail: {text}");
        assert!(
            !text
                .replace(&given, "<given>")
                .contains(&*self.base.to_string_lossy()),
            "{tool}: the message shows a real path: {text}"
        );
        assert!(!text.contains("rmcp-staging"), "{tool}: {text}");
        text
    }

    fn ok(&self, tool: &str, args: Value) -> Value {
        let result = self.call(tool, args);
        assert_eq!(result.is_error, Some(false), "{tool}: {}", text_of(&result));
        let structured = result.structured_content.clone().expect("structured");
        let definition = self
            .catalog
            .tools()
            .into_iter()
            .find(|t| t.name == tool)
            .expect("listed");
        let schema = Value::Object((*definition.output_schema.expect("schema")).clone());
        let validator = jsonschema::validator_for(&schema).expect("schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(&structured)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{tool}: {errors:?}");
        structured
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

fn text_of(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|block| match block {
            ContentBlock::Text(text) => Some(text.text.clone()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A table with every JSON type, missing values in each column, and text
/// that needs quoting.
fn table() -> Value {
    json!({
        "id": [1, 2, 3, 4],
        "score": [1.5, null, -2.25, 1e-7],
        "name": ["Ana", "Béa, \"the\" best", null, "line\nbreak"],
        "passed": [true, false, null, true],
        "empty": [null, null, null, null]
    })
}

/// Numbers compare as numbers (1 == 1.0), everything else exactly.
fn same(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Number(a), Value::Number(e)) => {
            let (a, e) = (
                a.as_f64().unwrap_or(f64::NAN),
                e.as_f64().unwrap_or(f64::NAN),
            );
            (a - e).abs() <= 1e-12 * e.abs().max(1.0)
        }
        (Value::Array(a), Value::Array(e)) => {
            a.len() == e.len() && a.iter().zip(e).all(|(a, e)| same(a, e))
        }
        (a, e) => a == e,
    }
}

fn assert_round_trip(read: &Value, columns: &[&str]) {
    let expected = table();
    for column in columns {
        assert!(
            same(&read["data"][column], &expected[column]),
            "{column}: read back {} but wrote {}",
            read["data"][column],
            expected[column]
        );
    }
}

/// An analyst writes a table as CSV, TSV, Excel and JSON into a writable
/// folder and reads each back: numbers, text (commas, quotes, accents, line
/// breaks), true/false and missing values all survive.
#[test]
fn write_then_read_round_trips_keep_types_and_missing_values() {
    let sandbox = Sandbox::new(50 * 1024 * 1024);
    let written = sandbox.ok(
        "write_csv",
        json!({"data": table(), "file_path": "out/table.csv"}),
    );
    assert_eq!(written["rows_written"], 4);
    assert_eq!(written["cols_written"], 5);
    assert_eq!(written["file_path"], "out/table.csv", "the path as given");
    let on_disk = std::fs::metadata(sandbox.path("root/out/table.csv")).expect("written");
    assert_eq!(written["file_size_bytes"], json!(on_disk.len()));
    let read = sandbox.ok("read_csv", json!({"file_path": "out/table.csv"}));
    assert_round_trip(&read, &["id", "score", "name", "passed", "empty"]);
    assert_eq!(read["summary"]["column_types"]["id"], "integer");
    assert_eq!(read["summary"]["column_types"]["passed"], "logical");
    assert_eq!(read["summary"]["missing_values"]["score"], 1);

    sandbox.ok(
        "write_csv",
        json!({"data": table(), "file_path": "out/table.tsv"}),
    );
    let tsv = std::fs::read_to_string(sandbox.path("root/out/table.tsv")).expect("tsv");
    assert!(tsv.starts_with("\"id\"\t\"score\""), "{tsv}");
    let read = sandbox.ok(
        "read_csv",
        json!({"file_path": "out/table.tsv", "sep": "\t"}),
    );
    assert_round_trip(&read, &["id", "score", "name", "passed"]);

    let written = sandbox.ok(
        "write_excel",
        json!({"data": table(), "file_path": "out/table.xlsx", "sheet_name": "Results"}),
    );
    assert_eq!(written["sheet_name"], "Results");
    let read = sandbox.ok("read_excel", json!({"file_path": "out/table.xlsx"}));
    assert_round_trip(&read, &["id", "score", "name", "passed", "empty"]);
    assert_eq!(read["file_info"]["available_sheets"], json!(["Results"]));

    let written = sandbox.ok(
        "write_json",
        json!({"data": table(), "file_path": "out/table.json", "pretty": false}),
    );
    assert_eq!(
        written["variables_written"],
        json!(["id", "score", "name", "passed", "empty"])
    );
    assert_eq!(written["pretty_formatted"], false);
    let read = sandbox.ok("read_json", json!({"file_path": "out/table.json"}));
    assert_round_trip(&read, &["id", "score", "name", "passed", "empty"]);

    // Overwriting replaces the file whole.
    sandbox.ok(
        "write_csv",
        json!({"data": {"x": [1]}, "file_path": "out/table.csv"}),
    );
    let read = sandbox.ok("read_csv", json!({"file_path": "out/table.csv"}));
    assert_eq!(read["data"], json!({"x": [1]}));
}

/// Conditions are data: a value that looks like R code is compared as
/// text and never run; null selects missing cells; unknown columns are
/// refused before R runs.
#[test]
fn filter_conditions_are_data_not_code() {
    let sandbox = Sandbox::new(50 * 1024 * 1024);
    let marker = sandbox.path("root/out/pwned.csv");
    let code = format!("system('touch {}')", marker.display());
    let data = json!({"cmd": ["ls", code, null], "n": [1, 2, null]});
    let kept = sandbox.ok(
        "filter_data",
        json!({"data": data, "conditions": [{"variable": "cmd", "operator": "==", "value": code}]}),
    );
    assert_eq!(kept["data"]["n"], json!([2]));
    let kept = sandbox.ok(
        "filter_data",
        json!({"data": data, "conditions": [{"variable": "cmd", "operator": "%in%", "value": [code, "q()", null]}]}),
    );
    assert_eq!(kept["data"]["n"], json!([2, null]));
    let kept = sandbox.ok(
        "filter_data",
        json!({"data": data, "conditions": [{"variable": "n", "operator": "==", "value": null}]}),
    );
    assert_eq!(kept["data"]["cmd"], json!([null]));
    assert!(!marker.exists(), "a condition value was executed");
    let text = sandbox.refused(
        "filter_data",
        json!({"data": data, "conditions": [{"variable": "system('id')", "operator": "==", "value": 1}]}),
    );
    assert!(
        text.contains("column 'system('id')' not found in data"),
        "{text}"
    );
}

/// `../`, absolute paths, links pointing out, remote URLs and oversized
/// files are refused; the messages name the path as given and nothing else.
#[test]
fn sandbox_escapes_are_refused_without_leaking_paths() {
    let sandbox = Sandbox::new(1024);
    let secret = sandbox.path("outside/secret.csv");
    std::os::unix::fs::symlink(&secret, sandbox.path("root/data/link.csv")).expect("link");
    std::os::unix::fs::symlink(sandbox.path("outside"), sandbox.path("root/data/away"))
        .expect("dir link");
    std::fs::write(sandbox.path("root/data/big.csv"), "x\n".repeat(1000)).expect("big");
    let escapes = [
        "../outside/secret.csv".to_string(),
        "data/../../outside/secret.csv".to_string(),
        secret.to_string_lossy().into_owned(),
        "/etc/passwd".to_string(),
        "data/link.csv".to_string(),
        "data/away/secret.csv".to_string(),
        "data/away/not-there.csv".to_string(),
    ];
    for path in &escapes {
        let text = sandbox.refused("read_csv", json!({"file_path": path}));
        assert!(
            text.contains("outside the folders") || text.contains("extension"),
            "{path}: {text}"
        );
    }
    let text = sandbox.refused("read_csv", json!({"file_path": "data/big.csv"}));
    assert!(
        text.contains("over this server's limit of 1024 bytes"),
        "{text}"
    );
    let text = sandbox.refused(
        "read_json",
        json!({"file_path": "https://example.com/x.json"}),
    );
    assert!(text.contains("is a URL"), "{text}");
    let text = sandbox.refused("read_csv", json!({"file_path": "data/missing.csv"}));
    assert!(text.contains("does not exist"), "{text}");
    // Private arguments cannot be smuggled in.
    let text = sandbox.refused(
        "read_csv",
        json!({"file_path": "data/missing.csv", ".path": secret.to_string_lossy()}),
    );
    assert!(text.contains("does not exist"), "{text}");
}

/// Writes go only where allowed: the configured writable folder, or a
/// folder granted to this session (not to another); links and folders
/// outside are refused, and nothing is written outside.
#[test]
fn writes_stay_inside_approved_folders() {
    let sandbox = Sandbox::new(50 * 1024 * 1024);
    let data = json!({"x": [1, 2]});
    let text = sandbox.refused(
        "write_csv",
        json!({"data": data, "file_path": "granted/a.csv"}),
    );
    assert!(
        text.contains("is not allowed") && text.contains("approve_operation"),
        "{text}"
    );
    sandbox
        .vfs
        .grant_write("session-a", &sandbox.path("root/granted").to_string_lossy())
        .expect("grant");
    sandbox.ok(
        "write_csv",
        json!({"data": data, "file_path": "granted/a.csv"}),
    );
    assert!(sandbox.path("root/granted/a.csv").exists());
    let other = sandbox.call_as(
        "session-b",
        "write_csv",
        json!({"data": data, "file_path": "granted/b.csv"}),
    );
    assert_eq!(other.is_error, Some(true), "another session has no grant");
    assert!(!sandbox.path("root/granted/b.csv").exists());

    for path in [
        "../outside/x.csv",
        "out/../../outside/x.csv",
        "/tmp/rmcp-escape.csv",
    ] {
        sandbox.refused("write_csv", json!({"data": data, "file_path": path}));
    }
    std::os::unix::fs::symlink(
        sandbox.path("outside/secret.csv"),
        sandbox.path("root/out/trap.csv"),
    )
    .expect("link");
    let text = sandbox.refused(
        "write_csv",
        json!({"data": data, "file_path": "out/trap.csv"}),
    );
    assert!(text.contains("symbolic link"), "{text}");
    assert_eq!(
        std::fs::read_to_string(sandbox.path("outside/secret.csv")).expect("secret"),
        "secret\n42\n",
        "the file behind the link is untouched"
    );
    assert_eq!(
        std::fs::read_dir(sandbox.path("outside"))
            .expect("outside")
            .count(),
        1,
        "nothing new outside"
    );
    sandbox.refused(
        "write_excel",
        json!({"data": data, "file_path": "out/x.csv"}),
    );
    sandbox.refused(
        "write_json",
        json!({"data": data, "file_path": "out/missing-dir/x.json"}),
    );
}

/// Broken inputs come back as clear errors naming the problem, and the
/// server keeps working afterwards.
#[test]
fn bad_files_are_clear_errors_and_the_server_stays_healthy() {
    let sandbox = Sandbox::new(50 * 1024 * 1024);
    let write = |name: &str, bytes: &[u8]| {
        std::fs::write(sandbox.path(&format!("root/data/{name}")), bytes).expect("fixture")
    };
    write("binary.csv", b"PK\x03\x04\x00\x00garbage\x00");
    write("ragged.csv", b"a,b\n1,2\n3\n4,5\n");
    write("empty.csv", b"");
    write("broken.xlsx", b"PK\x03\x04 not really a zip");
    write("ragged.json", br#"{"a": [1, 2, 3], "b": [1]}"#);
    write("broken.json", br#"[{"a": 1}, {"a": "#);
    write("scalar.json", b"42");
    let cases = [
        (
            "read_csv",
            json!({"file_path": "data/binary.csv"}),
            "binary data",
        ),
        (
            "read_csv",
            json!({"file_path": "data/ragged.csv"}),
            "is ragged: line 3 has 1 fields",
        ),
        (
            "read_csv",
            json!({"file_path": "data/empty.csv"}),
            "is empty",
        ),
        (
            "read_excel",
            json!({"file_path": "data/broken.xlsx"}),
            "not a readable Excel workbook",
        ),
        (
            "read_json",
            json!({"file_path": "data/ragged.json"}),
            "'a' has 3 values but 'b' has 1",
        ),
        (
            "read_json",
            json!({"file_path": "data/broken.json"}),
            "is not valid JSON",
        ),
        (
            "read_json",
            json!({"file_path": "data/scalar.json"}),
            "holds a single value",
        ),
        (
            "read_csv",
            json!({"file_path": "data/nope.csv"}),
            "does not exist",
        ),
        (
            "read_csv",
            json!({"file_path": "data/ragged.json"}),
            "has the extension .json",
        ),
    ];
    for (tool, args, needle) in cases {
        let text = sandbox.refused(tool, args.clone());
        assert!(text.contains(needle), "{tool} {args}: {text}");
        assert!(
            text.contains("file_path: "),
            "{tool}: names the argument: {text}"
        );
    }
    write("latin1.csv", b"name,city\ncaf\xe9,K\xf6ln\n");
    let latin = sandbox.ok("read_csv", json!({"file_path": "data/latin1.csv"}));
    assert_eq!(
        latin["data"],
        json!({"name": ["caf\u{e9}"], "city": ["K\u{f6}ln"]}),
        "Latin-1 text is converted"
    );
    sandbox.ok(
        "write_excel",
        json!({"data": {"x": [1]}, "file_path": "out/book.xlsx"}),
    );
    let text = sandbox.refused(
        "read_excel",
        json!({"file_path": "out/book.xlsx", "sheet_name": "Missing"}),
    );
    assert!(
        text.contains("no sheet named 'Missing'") && text.contains("'Sheet1'"),
        "{text}"
    );
    let healthy = sandbox.ok("load_example", json!({"dataset_name": "sales"}));
    assert_eq!(healthy["metadata"]["rows"], 20);
}

/// A plot with `file_path` is saved as a PNG only where writes are
/// allowed; elsewhere the call is refused before R draws anything.
#[test]
fn plots_are_saved_through_the_sandbox() {
    let sandbox = Sandbox::new(50 * 1024 * 1024);
    let data = json!({"x": [1, 2, 3, 4], "y": [2, 4, 5, 8]});
    sandbox.ok(
        "scatter_plot",
        json!({"data": data, "x": "x", "y": "y", "file_path": "out/plot.png", "return_image": false, "width": 200, "height": 150}),
    );
    let png = std::fs::read(sandbox.path("root/out/plot.png")).expect("saved");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let text = sandbox.refused(
        "histogram",
        json!({"data": data, "variable": "x", "file_path": "data/plot.png"}),
    );
    assert!(text.contains("is not allowed"), "{text}");
    sandbox.refused(
        "scatter_plot",
        json!({"data": data, "x": "x", "y": "y", "file_path": "out/plot.csv"}),
    );
}

/// With RMCP_VFS_ENABLED=false every file tool says file access is off;
/// the other tools work as before.
#[test]
fn a_disabled_sandbox_refuses_file_access() {
    let base = std::env::temp_dir();
    let vfs = Arc::new(
        Vfs::new(&VfsConfig {
            enabled: false,
            read_roots: vec![base.clone()],
            writable_roots: vec![base],
            max_bytes: 1024,
        })
        .expect("sandbox"),
    );
    let catalog = Catalog::with_vfs(engine::engine(), vfs).expect("catalog");
    let call = |tool: &str, args: Value| {
        engine::block_on(async {
            catalog
                .call(tool, args, CallContext::new("s", CancellationToken::new()))
                .expect("tool")
                .await
        })
    };
    let result = call("read_csv", json!({"file_path": "x.csv"}));
    assert_eq!(result.is_error, Some(true));
    assert!(text_of(&result).contains("file access is turned off"));
    let result = call(
        "write_json",
        json!({"data": {"x": [1]}, "file_path": "x.json"}),
    );
    assert!(text_of(&result).contains("file access is turned off"));
    let result = call("data_info", json!({"data": {"x": [1]}}));
    assert_eq!(result.is_error, Some(false));
}

/// Staged copies and staging files are private and temporary: after reads,
/// writes and failures, none is left behind.
#[test]
fn staged_files_do_not_linger() {
    let sandbox = Sandbox::new(50 * 1024 * 1024);
    std::fs::write(sandbox.path("root/data/t.csv"), "a\n1\n").expect("fixture");
    sandbox.ok("read_csv", json!({"file_path": "data/t.csv"}));
    sandbox.ok(
        "write_json",
        json!({"data": {"a": [1]}, "file_path": "out/t.json"}),
    );
    sandbox.refused(
        "write_json",
        json!({"data": {"a": [1]}, "file_path": "data/t.json"}),
    );
    sandbox.refused("read_json", json!({"file_path": "data/t.csv"}));
    assert_eq!(sandbox.vfs.staged_files(), 0, "staged files left behind");
    let out: Vec<String> = std::fs::read_dir(sandbox.path("root/out"))
        .expect("out")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(out, ["t.json"], "no partial files next to the result");
}
