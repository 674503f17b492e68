//! Tidy: the invariants ARCHITECTURE.md states about the source, checked on
//! the source itself (like rust-analyzer's `xtask/src/tidy.rs`), so a change
//! that breaks one fails `cargo test` instead of waiting for a review.
//!
//! - Every `.rs` file in `src/`, `tests/` and `benches/`, and `build.rs`,
//!   opens with a `//!` module doc.
//! - The keyword `unsafe` and the crate `libR_sys` appear only in `src/r/`.
//! - Import directions: which top-level modules and crates each part of
//!   `src/` may name (see [`RULES`]).
//! - The free-form provider's files (`src/freeform/`) import one another
//!   without cycles (see [`ACYCLIC`]).
//!
//! The scans read code, not prose: comments, string and character literals
//! are blanked first, so a doc that mentions `unsafe` or `crate::http` is
//! fine. Paths are read in every form Rust writes them: `use crate::mcp::x`,
//! a `crate::mcp::x` path in an expression, `use crate::{mcp, tools}`, and
//! `super::super::mcp` resolved from the file's own place in the module
//! tree. Each scan has a self-test on a snippet it must refuse, so a scan
//! that stopped matching anything would fail too.
//!
//! It checks no R code and no runtime behaviour.

use std::path::{Path, PathBuf};

/// What one part of `src/` must not name: top-level modules of this crate
/// (as `crate::<name>`, or reached through `super::`) and external crates
/// (as a path's first segment).
struct Rule {
    /// The folder, relative to the repository root, whose files the rule
    /// covers.
    folder: &'static str,
    /// Top-level modules of this crate it must not name.
    modules: &'static [&'static str],
    /// External crates it must not name.
    crates: &'static [&'static str],
}

/// The import directions of ARCHITECTURE.md ("Invariant: … knows no …").
const RULES: &[Rule] = &[
    Rule {
        folder: "src/mcp",
        modules: &["r", "http", "worker", "freeform", "engines"],
        crates: &["warp", "libR_sys"],
    },
    Rule {
        folder: "src/tools",
        modules: &["http"],
        crates: &["warp"],
    },
    Rule {
        folder: "src/worker",
        modules: &["http", "mcp", "freeform", "engines"],
        crates: &["warp"],
    },
    Rule {
        folder: "src/freeform",
        modules: &["http", "mcp"],
        crates: &["warp"],
    },
    Rule {
        folder: "src/engines",
        modules: &["http", "mcp", "tools", "freeform"],
        crates: &["warp"],
    },
    Rule {
        folder: "src/vfs",
        modules: &["r", "mcp", "http"],
        crates: &["warp", "libR_sys"],
    },
];

/// Folders whose files must import one another without cycles (a file's
/// `super::x`, `crate::<folder>::x`, and in `mod.rs` `self::x` or `x::`,
/// where `x` is a sibling file; any other item of the folder's module is
/// `mod.rs`'s).
const ACYCLIC: &[(&str, &str)] = &[("src/freeform", "freeform")];

/// The repository root (where Cargo.toml is).
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `folder`, sorted.
fn rust_files(folder: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![folder.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The files the checks read: `src/`, `tests/`, `benches/` and `build.rs`.
fn checked_files() -> Vec<PathBuf> {
    let root = root();
    let mut files: Vec<PathBuf> = ["src", "tests", "benches"]
        .iter()
        .flat_map(|folder| rust_files(&root.join(folder)))
        .collect();
    files.push(root.join("build.rs"));
    files
}

/// A path relative to the repository root, with `/` separators.
fn relative(path: &Path) -> String {
    let relative = path.strip_prefix(root()).unwrap_or(path);
    relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", relative(path)))
}

/// The source with comments, string literals and character literals
/// replaced by spaces (newlines kept, so line numbers stay right).
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        // Line comment (doc comments included).
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
            continue;
        }
        // Block comment, nested.
        if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
            continue;
        }
        let identifier_before = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        // Raw strings: r"…", r#"…"#, br"…" (the `r` not part of a word).
        if (c == 'r' || (c == 'b' && next == Some('r'))) && !identifier_before {
            let start = if c == 'b' { i + 2 } else { i + 1 };
            let mut hashes = 0;
            while chars.get(start + hashes) == Some(&'#') {
                hashes += 1;
            }
            if chars.get(start + hashes) == Some(&'"') {
                let mut end = start + hashes + 1;
                loop {
                    if end >= chars.len() {
                        break;
                    }
                    if chars[end] == '"'
                        && (0..hashes).all(|k| chars.get(end + 1 + k) == Some(&'#'))
                    {
                        end += 1 + hashes;
                        break;
                    }
                    end += 1;
                }
                for &skipped in &chars[i..end.min(chars.len())] {
                    out.push(blank(skipped));
                }
                i = end;
                continue;
            }
        }
        // Plain strings (and b"…"), with escapes.
        if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < chars.len() {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
            continue;
        }
        // Character literals ('a', '\n', '\u{1F600}'); a lifetime ('a) has
        // no closing quote right after its first character.
        if c == '\'' {
            let literal_end = if next == Some('\\') {
                (i + 2..chars.len().min(i + 12)).find(|&k| chars[k] == '\'')
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            if let Some(end) = literal_end {
                for _ in i..=end {
                    out.push(' ');
                }
                i = end + 1;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

/// A token of code: an identifier, `::`, or one other character.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String, usize),
    PathSeparator,
    Other(char),
}

/// The tokens of code (comments and literals already blanked), each word
/// with its line number.
fn tokens(code: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut chars = code.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' {
            line += 1;
        } else if c.is_alphabetic() || c == '_' {
            let mut word = String::from(c);
            while let Some(&next) = chars.peek() {
                if next.is_alphanumeric() || next == '_' {
                    word.push(next);
                    chars.next();
                } else {
                    break;
                }
            }
            tokens.push(Token::Word(word, line));
        } else if c.is_ascii_digit() {
            while chars
                .peek()
                .is_some_and(|next| next.is_alphanumeric() || *next == '_')
            {
                chars.next();
            }
        } else if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            tokens.push(Token::PathSeparator);
        } else if !c.is_whitespace() {
            tokens.push(Token::Other(c));
        }
    }
    tokens
}

/// The lines where `code` uses the word `word` (a whole identifier).
fn word_lines(code: &str, word: &str) -> Vec<usize> {
    tokens(code)
        .into_iter()
        .filter_map(|token| match token {
            Token::Word(found, line) if found == word => Some(line),
            _ => None,
        })
        .collect()
}

/// The module path of a file under `src/` (`src/mcp/call.rs` → `mcp::call`,
/// `src/mcp/mod.rs` → `mcp`, `src/lib.rs` → the root).
fn module_path(relative: &str) -> Vec<String> {
    let inside = relative.strip_prefix("src/").unwrap_or(relative);
    let mut parts: Vec<String> = inside.split('/').map(str::to_string).collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs");
        if !matches!(stem, "mod" | "lib" | "main") {
            parts.push(stem.to_string());
        }
    }
    parts
}

/// The first segment of each item of the `{…}` group `tokens` starts with
/// (`{a::b, c}` gives `a` and `c`), with its line.
fn group_items(tokens: &[Token]) -> Vec<(String, usize)> {
    let mut items = Vec::new();
    let mut depth = 0;
    let mut expect_item = true;
    for token in tokens {
        match token {
            Token::Other('{') => {
                depth += 1;
                expect_item = depth == 1;
            }
            Token::Other('}') => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            Token::Other(',') if depth == 1 => expect_item = true,
            Token::Word(word, line) if depth == 1 && expect_item => {
                items.push((word.clone(), *line));
                expect_item = false;
            }
            _ => {}
        }
    }
    items
}

/// The top-level modules of this crate that `code` names, with their lines:
/// the segment after `crate::` (each first segment of a `crate::{…}`
/// group), and the module a `super::…` chain reaches when it climbs to the
/// crate root from `module` (the file's module path).
fn crate_modules_named(code: &str, module: &[String]) -> Vec<(String, usize)> {
    let tokens = tokens(code);
    let mut named = Vec::new();
    let word = |index: usize| match tokens.get(index) {
        Some(Token::Word(word, line)) => Some((word.as_str(), *line)),
        _ => None,
    };
    let separator = |index: usize| tokens.get(index) == Some(&Token::PathSeparator);
    for index in 0..tokens.len() {
        // `crate::x` or `crate::{x, y}`.
        if word(index).map(|(word, _)| word) == Some("crate") && separator(index + 1) {
            match tokens.get(index + 2) {
                Some(Token::Word(word, line)) => named.push((word.clone(), *line)),
                Some(Token::Other('{')) => named.extend(group_items(&tokens[index + 2..])),
                _ => {}
            }
            continue;
        }
        // A `super::super::…` chain that starts here.
        let starts_chain = index == 0 || !matches!(tokens[index - 1], Token::PathSeparator);
        if word(index).map(|(word, _)| word) == Some("super") && starts_chain {
            let mut at = index;
            let mut climbs = 0;
            while word(at).map(|(word, _)| word) == Some("super") && separator(at + 1) {
                climbs += 1;
                at += 2;
            }
            if climbs >= module.len() {
                match tokens.get(at) {
                    Some(Token::Word(word, line)) => named.push((word.clone(), *line)),
                    Some(Token::Other('{')) => named.extend(group_items(&tokens[at..])),
                    _ => {}
                }
            }
        }
    }
    named
}

/// The external crates among `crates` that `code` names, with their lines:
/// any identifier with that name (a path's first segment, `use warp;`,
/// `warp::reply`).
fn crates_named(code: &str, crates: &[&str]) -> Vec<(String, usize)> {
    crates
        .iter()
        .flat_map(|name| {
            word_lines(code, name)
                .into_iter()
                .map(move |line| (name.to_string(), line))
        })
        .collect()
}

/// The problems of one file under `rule`, as `path:line: message`.
fn import_problems(relative: &str, source: &str, rule: &Rule) -> Vec<String> {
    let code = code_only(source);
    let module = module_path(relative);
    let mut problems = Vec::new();
    for (name, line) in crate_modules_named(&code, &module) {
        if rule.modules.contains(&name.as_str()) {
            problems.push(format!(
                "{relative}:{line}: names crate::{name}, which {} must not know",
                rule.folder
            ));
        }
    }
    for (name, line) in crates_named(&code, rule.crates) {
        problems.push(format!(
            "{relative}:{line}: names the crate {name}, which {} must not know",
            rule.folder
        ));
    }
    problems
}

/// Which sibling files each file of one folder imports: `files` are
/// (file stem, source) pairs, `mod` standing for `mod.rs`; `module` is the
/// folder's top-level module name.
fn sibling_imports(module: &str, files: &[(String, String)]) -> Vec<(String, String, usize)> {
    let stems: Vec<&str> = files.iter().map(|(stem, _)| stem.as_str()).collect();
    let mut edges = Vec::new();
    for (stem, source) in files {
        let tokens = tokens(&code_only(source));
        let word = |index: usize| match tokens.get(index) {
            Some(Token::Word(word, line)) => Some((word.as_str(), *line)),
            _ => None,
        };
        let separator = |index: usize| tokens.get(index) == Some(&Token::PathSeparator);
        let target = |name: &str, line: usize, edges: &mut Vec<(String, String, usize)>| {
            let to = if stems.contains(&name) { name } else { "mod" };
            if to != stem {
                edges.push((stem.clone(), to.to_string(), line));
            }
        };
        for index in 0..tokens.len() {
            let after_separator = index > 0 && tokens[index - 1] == Token::PathSeparator;
            let Some((first, _)) = word(index) else {
                continue;
            };
            if after_separator || !separator(index + 1) {
                continue;
            }
            // Where the path continues inside this folder's module, if it does.
            let next = if first == "crate" && word(index + 2).map(|(word, _)| word) == Some(module)
            {
                separator(index + 3).then_some(index + 4)
            } else if first == "super" && stem != "mod" {
                (word(index + 2).map(|(word, _)| word) != Some("super")).then_some(index + 2)
            } else if first == "self" && stem == "mod" {
                Some(index + 2)
            } else if stem == "mod" && stems.contains(&first) {
                edges.push((
                    stem.clone(),
                    first.to_string(),
                    word(index).map_or(0, |(_, line)| line),
                ));
                None
            } else {
                None
            };
            let Some(next) = next else {
                continue;
            };
            match tokens.get(next) {
                Some(Token::Word(name, line)) => target(name, *line, &mut edges),
                Some(Token::Other('{')) => {
                    for (name, line) in group_items(&tokens[next..]) {
                        target(&name, line, &mut edges);
                    }
                }
                _ => {}
            }
        }
    }
    edges
}

/// A cycle among `edges` (from, to, line), as the files on it, if any.
fn find_cycle(edges: &[(String, String, usize)]) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &[(String, String, usize)],
        path: &mut Vec<String>,
        done: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|on_path| on_path == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.iter().any(|finished| finished == node) {
            return None;
        }
        path.push(node.to_string());
        for (from, to, _) in edges {
            if from == node {
                if let Some(cycle) = visit(to, edges, path, done) {
                    return Some(cycle);
                }
            }
        }
        path.pop();
        done.push(node.to_string());
        None
    }
    let mut done = Vec::new();
    edges
        .iter()
        .find_map(|(from, _, _)| visit(from, edges, &mut Vec::new(), &mut done))
}

/// The provider's files import one another one way: handlers never import
/// the provider, so a change to one cannot need a change to the other.
#[test]
fn the_provider_files_import_without_cycles() {
    for (folder, module) in ACYCLIC {
        let files: Vec<(String, String)> = rust_files(&root().join(folder))
            .iter()
            .map(|path| {
                let stem = path
                    .file_stem()
                    .map(|stem| stem.to_string_lossy().into_owned())
                    .unwrap_or_default();
                (stem, read(path))
            })
            .collect();
        assert!(files.len() > 3, "{folder} has too few files");
        let edges = sibling_imports(module, &files);
        assert!(!edges.is_empty(), "no imports found in {folder}");
        if let Some(cycle) = find_cycle(&edges) {
            panic!("{folder} has an import cycle: {}", cycle.join(" → "));
        }
    }
}

/// Every file opens with a `//!` module doc saying what it owns.
#[test]
fn every_file_opens_with_a_module_doc() {
    let missing: Vec<String> = checked_files()
        .iter()
        .filter(|path| !read(path).starts_with("//!"))
        .map(|path| relative(path))
        .collect();
    assert!(
        checked_files().len() > 50,
        "the scan found too few files; is the root right?"
    );
    assert!(
        missing.is_empty(),
        "these files must open with a `//!` module doc (what the module owns and what it does not):\n{}",
        missing.join("\n")
    );
}

/// `unsafe` and libR-sys stay in `src/r/`, where R's thread rules are kept.
#[test]
fn unsafe_code_and_libr_sys_stay_in_src_r() {
    let mut problems = Vec::new();
    for path in checked_files() {
        let relative = relative(&path);
        if relative.starts_with("src/r/") {
            continue;
        }
        let code = code_only(&read(&path));
        for word in ["unsafe", "libR_sys"] {
            for line in word_lines(&code, word) {
                problems.push(format!("{relative}:{line}: {word} outside src/r/"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Each part of `src/` names only the modules and crates its layer may
/// know (ARCHITECTURE.md, Invariants).
#[test]
fn modules_name_only_what_their_layer_may_know() {
    let mut problems = Vec::new();
    let mut scanned = 0;
    for rule in RULES {
        let files = rust_files(&root().join(rule.folder));
        assert!(!files.is_empty(), "{} has no files", rule.folder);
        for path in files {
            scanned += 1;
            problems.extend(import_problems(&relative(&path), &read(&path), rule));
        }
    }
    assert!(scanned > 20, "too few files scanned: {scanned}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The scans refuse what they are meant to refuse: each form of naming a
/// module or crate, and `unsafe` in code, while prose, strings and longer
/// identifiers pass.
#[test]
fn the_scans_catch_each_form() {
    let mcp = RULES
        .iter()
        .find(|rule| rule.folder == "src/mcp")
        .expect("an mcp rule");
    let worker = RULES
        .iter()
        .find(|rule| rule.folder == "src/worker")
        .expect("a worker rule");
    let refused = [
        ("src/mcp/call.rs", "use crate::http::reply;", mcp),
        (
            "src/mcp/call.rs",
            "let h: crate::r::RHandle = todo!();",
            mcp,
        ),
        ("src/mcp/call.rs", "use crate::{tools, http};", mcp),
        (
            "src/mcp/call.rs",
            "use crate::{r::{Job, RHandle}, tools};",
            mcp,
        ),
        ("src/mcp/call.rs", "use super::super::http::serve;", mcp),
        ("src/mcp/mod.rs", "use super::r::RHandle;", mcp),
        ("src/mcp/call.rs", "use warp::Reply;", mcp),
        ("src/mcp/call.rs", "let x = libR_sys::R_NilValue;", mcp),
        (
            "src/worker/process.rs",
            "use crate::mcp::session::Session;",
            worker,
        ),
        (
            "src/worker/process.rs",
            "fn f() { super::super::mcp::x(); }",
            worker,
        ),
        (
            "src/worker/process.rs",
            "use crate::freeform::FreeFormR;",
            worker,
        ),
    ];
    for (path, snippet, rule) in refused {
        assert!(
            !import_problems(path, snippet, rule).is_empty(),
            "not refused in {path}: {snippet}"
        );
    }
    let passed = [
        ("src/mcp/call.rs", "use crate::tools::result;", mcp),
        ("src/mcp/call.rs", "use crate::result_store;", mcp),
        ("src/mcp/call.rs", "use super::stream::Outbound;", mcp),
        ("src/mcp/call.rs", "// see crate::http::serve and warp", mcp),
        (
            "src/mcp/call.rs",
            "/* crate::r::RHandle /* nested */ */",
            mcp,
        ),
        ("src/mcp/call.rs", r#"let s = "crate::http";"#, mcp),
        ("src/mcp/call.rs", r##"let s = r#"use warp;"#;"##, mcp),
        ("src/mcp/call.rs", "let warped = 'w'; let c = '\"';", mcp),
        ("src/worker/process.rs", "use crate::r::Job;", worker),
    ];
    for (path, snippet, rule) in passed {
        let problems = import_problems(path, snippet, rule);
        assert!(
            problems.is_empty(),
            "refused in {path}: {snippet}: {problems:?}"
        );
    }
    let cyclic = [
        (
            "mod".to_string(),
            "mod a;\nuse self::a::Handler;".to_string(),
        ),
        ("a".to_string(), "use super::{b, FreeFormR};".to_string()),
        ("b".to_string(), String::new()),
    ];
    let edges = sibling_imports("freeform", &cyclic);
    assert!(find_cycle(&edges).is_some(), "{edges:?}");
    let one_way = [
        (
            "mod".to_string(),
            "use execute::HANDLERS; use crate::freeform::b::X;".to_string(),
        ),
        (
            "execute".to_string(),
            "use crate::freeform::b::Shared;".to_string(),
        ),
        ("b".to_string(), "mod tests { use super::*; }".to_string()),
    ];
    let edges = sibling_imports("freeform", &one_way);
    assert_eq!(edges.len(), 3, "{edges:?}");
    assert!(find_cycle(&edges).is_none(), "{edges:?}");
    let code = code_only("unsafe { x() } // unsafe\nlet s = \"unsafe\";\n#![deny(unsafe_code)]");
    assert_eq!(word_lines(&code, "unsafe"), vec![1], "{code}");
    assert!(word_lines(&code_only("fn f<'a>(x: &'a str) { unsafe {} }"), "unsafe") == vec![1]);
}
