//! The recipe for a tool, checked against the files: a catalog tool is
//! exactly `src/tools/<category>/<tool>.rs`, `r/<category>/<tool>.R` and
//! `tests/catalog/<tool>.json`; a free-form tool is its `.rs` file alone;
//! no file is left over without its tool. Also checks that a declaration's
//! facts agree with each other and with its files.
//!
//! These are unit tests because the declarations (`ToolSpec`) are private
//! to the crate.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use super::spec::{FileAccess, Runs, ToolSpec};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `(folder, file stem)` of every file ending in `.extension` one level
/// below `dir`, skipping the folders in `skip` and files named `mod.rs`.
fn files_by_folder(dir: &Path, extension: &str, skip: &[&str]) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    let folders = fs::read_dir(dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
    for folder in folders.flatten().filter(|entry| entry.path().is_dir()) {
        let category = folder.file_name().to_string_lossy().into_owned();
        if skip.contains(&category.as_str()) {
            continue;
        }
        for stem in stems(&folder.path(), extension) {
            if stem != "mod" {
                found.insert((category.clone(), stem));
            }
        }
    }
    found
}

/// File stems of the files ending in `.extension` directly in `dir`.
fn stems(dir: &Path, extension: &str) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.is_file() && path.extension().is_some_and(|e| e == extension))
        .filter_map(|path| Some(path.file_stem()?.to_string_lossy().into_owned()))
        .collect()
}

fn catalog_specs() -> Vec<&'static ToolSpec> {
    super::specs()
        .into_iter()
        .filter(|spec| matches!(spec.runs, Runs::R(_)))
        .collect()
}

/// Lists what is in `left` and not in `right`, one per line, for a failure
/// message.
fn missing<T: Ord + std::fmt::Debug>(left: &BTreeSet<T>, right: &BTreeSet<T>) -> String {
    left.difference(right)
        .map(|item| format!("\n  {item:?}"))
        .collect()
}

/// Every `src/tools/<category>/<tool>.rs` declares the tool named after the
/// file, in the category named after its folder, and every declared tool is
/// such a file; names are unique.
#[test]
fn each_tool_is_one_rust_file_named_after_it() {
    let specs = super::specs();
    let declared: BTreeSet<(String, String)> = specs
        .iter()
        .map(|spec| (spec.category.to_string(), spec.name.to_string()))
        .collect();
    assert_eq!(declared.len(), specs.len(), "tool names are unique");
    let files = files_by_folder(&root().join("src/tools"), "rs", &[]);
    assert!(
        files.is_subset(&declared),
        "these src/tools/<category>/<tool>.rs files declare no tool of that name and category \
         (list the file in its category's `tool_files!` in mod.rs, and give its SPEC that name \
         and category):{}",
        missing(&files, &declared)
    );
    assert!(
        declared.is_subset(&files),
        "these tools are declared in a file not named src/tools/<category>/<tool>.rs:{}",
        missing(&declared, &files)
    );
}

/// Every catalog tool has its R file `r/<category>/<tool>.R`, and every R
/// file outside `r/common/` and `r/worker/` belongs to a catalog tool.
#[test]
fn each_catalog_tool_has_one_r_file() {
    let declared: BTreeSet<(String, String)> = catalog_specs()
        .iter()
        .map(|spec| (spec.category.to_string(), spec.name.to_string()))
        .collect();
    let files = files_by_folder(&root().join("r"), "R", &["common", "worker"]);
    assert!(
        declared.is_subset(&files),
        "these catalog tools have no r/<category>/<tool>.R:{}",
        missing(&declared, &files)
    );
    assert!(
        files.is_subset(&declared),
        "these r/<category>/<tool>.R files belong to no catalog tool:{}",
        missing(&files, &declared)
    );
}

/// Every catalog tool has its fixture `tests/catalog/<tool>.json`, and every
/// fixture belongs to a catalog tool.
#[test]
fn each_catalog_tool_has_one_fixture() {
    let declared: BTreeSet<String> = catalog_specs()
        .iter()
        .map(|spec| spec.name.to_string())
        .collect();
    let fixtures = stems(&root().join("tests/catalog"), "json");
    assert!(
        declared.is_subset(&fixtures),
        "these catalog tools have no tests/catalog/<tool>.json:{}",
        missing(&declared, &fixtures)
    );
    assert!(
        fixtures.is_subset(&declared),
        "these tests/catalog/<tool>.json fixtures belong to no catalog tool:{}",
        missing(&fixtures, &declared)
    );
}

/// A catalog tool's R function is `tool_<name>` (what `tool_runner.R`
/// expects) and its R file defines it.
#[test]
fn each_r_function_is_defined_in_its_file() {
    for spec in catalog_specs() {
        let Runs::R(call) = spec.runs else { continue };
        assert_eq!(
            call.function,
            format!("tool_{}", spec.name),
            "{}: the R function is tool_<name>",
            spec.name
        );
        let path = root().join(format!("r/{}/{}.R", spec.category, spec.name));
        let source =
            fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        let definition = format!("{} <- function", call.function);
        assert!(
            source
                .lines()
                .any(|line| line.starts_with(definition.as_str())),
            "{} does not define `{definition}(args)`",
            path.display()
        );
    }
}

/// The annotations say what the declared file access does: a catalog tool
/// that writes a file is not read-only, every other catalog tool is; every
/// catalog tool is idempotent (seeded tools included), and no tool reaches
/// the network.
#[test]
fn annotations_agree_with_what_the_tool_does() {
    for spec in super::specs() {
        assert!(
            !spec.annotations.open_world,
            "{}: no tool reaches the network",
            spec.name
        );
        let Runs::R(call) = spec.runs else { continue };
        let writes = matches!(call.files, FileAccess::Write(_));
        assert_eq!(
            spec.annotations.read_only, !writes,
            "{}: read-only unless it writes a file",
            spec.name
        );
        assert!(
            spec.annotations.idempotent,
            "{}: catalog calls are idempotent",
            spec.name
        );
    }
}

/// Every declaration forms an MCP tool, catalog and free-form alike.
#[test]
fn every_declaration_forms_a_wire_tool() {
    for spec in super::specs() {
        let wire = spec.to_wire().unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(wire.tool.name, spec.name);
    }
}
