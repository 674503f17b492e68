//! The statistics catalog, run on the real embedded R: every fixture in
//! `tests/catalog/*.json` (values checked against R's own functions, exact
//! identities on tiny data, bad input), every result validated against the
//! tool's published output schema, and every input schema compared with the
//! Python rmcp 0.12 reference (`tests/reference/tools.json`).

mod support {
    pub mod engine;
}

use std::path::{Path, PathBuf};

use base64::Engine as _;
use rmcp::model::{CallToolResult, ContentBlock};
use rmcp_server::tools::catalog::Catalog;
use rmcp_server::tools::{CallContext, ToolProvider};
use serde_json::Value;
use support::engine;
use tokio_util::sync::CancellationToken;

fn catalog() -> Catalog {
    Catalog::new(engine::engine()).expect("the catalog's declarations are valid")
}

fn context() -> CallContext {
    CallContext::new("catalog-tests", CancellationToken::new())
}

fn call(catalog: &Catalog, tool: &str, args: Value) -> CallToolResult {
    engine::block_on(async {
        catalog
            .call(tool, args, context())
            .unwrap_or_else(|| panic!("tool {tool} is in the catalog"))
            .await
    })
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

fn fixture_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/catalog");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/catalog exists")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// Compares `actual` with `expected`: numbers within `tolerance`, arrays
/// element-wise, objects by the expected keys only.
fn matches(actual: &Value, expected: &Value, tolerance: f64) -> bool {
    match (actual, expected) {
        (Value::Number(a), Value::Number(e)) => {
            let (a, e) = (
                a.as_f64().unwrap_or(f64::NAN),
                e.as_f64().unwrap_or(f64::NAN),
            );
            (a - e).abs() <= tolerance.max(e.abs() * 1e-9)
        }
        (Value::Array(a), Value::Array(e)) => {
            a.len() == e.len() && a.iter().zip(e).all(|(a, e)| matches(a, e, tolerance))
        }
        (Value::Object(a), Value::Object(e)) => e
            .iter()
            .all(|(key, e)| a.get(key).is_some_and(|a| matches(a, e, tolerance))),
        (a, e) => a == e,
    }
}

/// A fixture's `error_contains`/`warning_contains`: one string or several.
fn needles_of(needles: &Value) -> Vec<&str> {
    match needles {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn png_size(data: &str) -> (u32, u32) {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .expect("base64 PNG");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    let width = u32::from_be_bytes(bytes[16..20].try_into().expect("IHDR width"));
    let height = u32::from_be_bytes(bytes[20..24].try_into().expect("IHDR height"));
    (width, height)
}

/// Every fixture case gives R's numbers (or the promised error, and the
/// promised R warnings), and every successful result satisfies the
/// published output schema.
#[test]
fn fixtures_match_r_and_output_schemas() {
    let catalog = catalog();
    let tools = catalog.tools();
    let mut failures = Vec::new();
    let mut cases = 0;
    for file in fixture_files() {
        let fixture: Value =
            serde_json::from_str(&std::fs::read_to_string(&file).expect("readable")).expect("JSON");
        let tool = fixture["tool"].as_str().expect("fixture names its tool");
        let Some(definition) = tools.iter().find(|t| t.name == tool) else {
            failures.push(format!(
                "{tool}: fixture for a tool the catalog does not list"
            ));
            continue;
        };
        let validator = definition.output_schema.as_ref().map(|schema| {
            jsonschema::validator_for(&Value::Object((**schema).clone()))
                .expect("output schema compiles")
        });
        for case in fixture["cases"].as_array().expect("cases") {
            cases += 1;
            let name = case["name"].as_str().unwrap_or("unnamed");
            let result = call(&catalog, tool, case["args"].clone());
            let text = text_of(&result);
            let is_error = result.is_error == Some(true);
            if let Some(needles) = case.get("error_contains") {
                let needles = needles_of(needles);
                if !is_error {
                    failures.push(format!("{tool} / {name}: expected an error, got success"));
                } else if let Some(missing) = needles.iter().find(|n| !text.contains(*n)) {
                    failures.push(format!(
                        "{tool} / {name}: error text lacks {missing:?}: {text}"
                    ));
                }
                continue;
            }
            if is_error {
                failures.push(format!("{tool} / {name}: unexpected error: {text}"));
                continue;
            }
            let structured = result.structured_content.clone().unwrap_or(Value::Null);
            let tolerance = case["tolerance"].as_f64().unwrap_or(1e-6);
            if let Some(expect) = case["expect"].as_object() {
                for (pointer, expected) in expect {
                    match structured.pointer(pointer) {
                        Some(actual) if matches(actual, expected, tolerance) => {}
                        actual => failures.push(format!(
                            "{tool} / {name}: {pointer} is {actual:?}, expected {expected}"
                        )),
                    }
                }
            }
            // Degenerate input answered anyway (nulls where R gives NaN)
            // says so in the text's R warnings.
            if let Some(needles) = case.get("warning_contains") {
                let warnings = text.split_once("**R warnings:**").map(|(_, w)| w);
                match warnings {
                    None => failures.push(format!("{tool} / {name}: no R warnings in: {text}")),
                    Some(warnings) => {
                        if let Some(missing) =
                            needles_of(needles).iter().find(|n| !warnings.contains(*n))
                        {
                            failures.push(format!(
                                "{tool} / {name}: R warnings lack {missing:?}: {warnings}"
                            ));
                        }
                    }
                }
            }
            if let Some(png) = case.get("png") {
                let image = result.content.iter().find_map(|block| match block {
                    ContentBlock::Image(image) => Some(image.data.clone()),
                    _ => None,
                });
                match image {
                    Some(data) => {
                        let want = (
                            png["width"].as_u64().unwrap_or(0) as u32,
                            png["height"].as_u64().unwrap_or(0) as u32,
                        );
                        let got = png_size(&data);
                        if got != want {
                            failures.push(format!(
                                "{tool} / {name}: PNG is {got:?}, expected {want:?}"
                            ));
                        }
                    }
                    None => failures.push(format!("{tool} / {name}: no image content")),
                }
            }
            if let Some(validator) = &validator {
                for error in validator.iter_errors(&structured) {
                    failures.push(format!(
                        "{tool} / {name}: output schema: {error} at {}",
                        error.instance_path()
                    ));
                }
            }
        }
    }
    assert!(cases > 0, "no fixture cases found");
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every catalog tool's input schema is the reference's, byte for byte in
/// names, types, enums and required fields. (That every tool has its
/// fixture, and every fixture its tool, `src/tools/layout.rs` checks.)
#[test]
fn schemas_match_the_reference() {
    let spec_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/tools.json");
    let reference: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(&spec_path).expect("tests/reference/tools.json"),
    )
    .expect("tools.json parses");
    let catalog = catalog();
    let tools = catalog.tools();
    assert!(tools.len() >= 42, "the catalog lists {} tools", tools.len());
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "tools/list is sorted by name");
    for tool in &tools {
        let expected = reference
            .iter()
            .find(|t| t["name"] == tool.name.as_ref())
            .unwrap_or_else(|| panic!("{} is not a reference tool", tool.name));
        assert_eq!(
            Value::Object((*tool.input_schema).clone()),
            expected["inputSchema"],
            "{}: input schema differs from the reference",
            tool.name
        );
        assert!(
            tool.output_schema.is_some(),
            "{} publishes an output schema",
            tool.name
        );
        let description = tool.description.as_deref().unwrap_or("");
        assert!(
            description.len() > 40,
            "{} needs a real description",
            tool.name
        );
    }
}

/// Formulas are checked on R's parse tree before any model runs.
#[test]
fn formula_rules_are_enforced() {
    let catalog = catalog();
    let data = serde_json::json!({"x": [1, 2, 3, 4], "y": [2, 4, 5, 8]});
    for (formula, needle) in [
        ("y ~ system('id')", "characters"),
        ("y ~ base::log(x)", "characters"),
        ("y ~ exp(x)(1)", "not a plain function name"),
        ("y ~ sin(x)", "'sin' is not allowed"),
    ] {
        let result = call(
            &catalog,
            "linear_model",
            serde_json::json!({"data": data, "formula": formula}),
        );
        assert_eq!(result.is_error, Some(true), "{formula} should be refused");
        let text = text_of(&result);
        assert!(
            text.contains("formula: ") && text.contains(needle),
            "{formula}: {text}"
        );
    }
    let ok = call(
        &catalog,
        "linear_model",
        serde_json::json!({"data": data, "formula": "log(y) ~ poly(x, 2)"}),
    );
    assert_eq!(ok.is_error, Some(false), "{}", text_of(&ok));
}

/// Ragged, empty and column-less tables are refused naming the argument.
#[test]
fn table_rules_are_enforced() {
    let catalog = catalog();
    for (data, needle) in [
        (serde_json::json!({}), "no columns"),
        (serde_json::json!({"x": [], "y": []}), "no rows"),
        (
            serde_json::json!({"x": [1, 2, 3], "y": [1, 2]}),
            "same length",
        ),
    ] {
        let result = call(&catalog, "summary_stats", serde_json::json!({"data": data}));
        assert_eq!(result.is_error, Some(true));
        let text = text_of(&result);
        assert!(text.contains("data: ") && text.contains(needle), "{text}");
    }
}

/// A result with more than 1,000 rows comes back as a preview plus a
/// `resource_link`; reading the link gives the whole table.
#[test]
fn large_results_become_resource_links() {
    use rmcp_server::tools::ResourceProvider;
    let catalog = catalog();
    let x: Vec<f64> = (0..1500).map(f64::from).collect();
    let result = call(
        &catalog,
        "lag_lead",
        serde_json::json!({"data": {"x": x}, "variables": ["x"], "lags": [1]}),
    );
    assert_eq!(result.is_error, Some(false), "{}", text_of(&result));
    let structured = result
        .structured_content
        .clone()
        .expect("structured preview");
    assert_eq!(structured["data"]["x"].as_array().map(Vec::len), Some(100));
    let uri = result
        .content
        .iter()
        .find_map(|block| match block {
            ContentBlock::ResourceLink(resource) => Some(resource.uri.clone()),
            _ => None,
        })
        .expect("a resource_link");
    assert!(uri.starts_with("rmcp://data/"), "{uri}");
    assert!(text_of(&result).contains(&uri));
    let store = catalog.results();
    let read = engine::block_on(store.read(&uri).expect("the store serves rmcp://data/"))
        .expect("readable");
    let full: Value = match &read.contents[0] {
        rmcp::model::ResourceContents::TextResourceContents { text, .. } => {
            serde_json::from_str(text).expect("JSON")
        }
        other => panic!("expected text contents, got {other:?}"),
    };
    assert_eq!(full["data"]["x"].as_array().map(Vec::len), Some(1500));
    assert_eq!(full["data"]["x_lag1"][1], serde_json::json!(0));
    let missing =
        engine::block_on(store.read("rmcp://data/0000").expect("served")).expect_err("unknown id");
    assert!(missing.to_string().contains("rmcp://data/0000"));
}
