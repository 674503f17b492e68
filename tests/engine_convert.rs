//! JSON ⇄ R conversion: what a tool receives in R and what comes back are
//! what the documented mapping promises, in both directions.

mod support {
    pub mod engine;
}

use rmcp_server::r::{EngineError, Job};
use serde_json::{json, Value};
use support::engine::{eval, run};

fn echo(value: Value) -> Value {
    run(Job::call("rmcp_engine_echo", value))
        .expect("echo runs")
        .value
}

fn describe(value: Value) -> Value {
    run(Job::call("rmcp_engine_describe", value).with_tables(["table"]))
        .expect("describe runs")
        .value
}

/// Scalars and arrays of each JSON type survive a round trip.
#[test]
fn scalars_and_arrays_round_trip() {
    let value = json!({
        "int": 3, "real": 2.5, "text": "héllo", "yes": true,
        "ints": [1, 2, 3], "reals": [1.5, -2.25], "texts": ["a", "b"], "flags": [true, false],
    });
    assert_eq!(echo(value.clone()), value);
}

/// `null` inside arrays is NA and comes back as null; as a member it is NULL.
#[test]
fn nulls_are_na_in_vectors_and_null_as_members() {
    assert_eq!(
        echo(json!({"x": [1, null, 3], "s": ["a", null], "b": [null, true], "none": null})),
        json!({"x": [1, null, 3], "s": ["a", null], "b": [null, true], "none": null})
    );
    let kinds = describe(json!({"x": [1, null], "none": null, "nas": [null, null]}));
    assert_eq!(kinds["x"]["type"], "integer");
    assert_eq!(kinds["none"]["type"], "NULL");
    assert_eq!(kinds["nas"]["type"], "logical");
}

/// Whole numbers are R integers, anything else doubles; mixing widens.
#[test]
fn number_kinds() {
    let kinds = describe(json!({"i": [1, 2], "d": [1, 2.5], "big": [3000000000i64], "s": 7}));
    assert_eq!(kinds["i"]["type"], "integer");
    assert_eq!(kinds["d"]["type"], "double");
    assert_eq!(kinds["big"]["type"], "double");
    assert_eq!(kinds["s"]["type"], "integer");
}

/// Table arguments arrive as data.frames and come back column-oriented.
#[test]
fn tables_become_data_frames() {
    let kinds = describe(json!({"table": {"x": [1, 2], "g": ["a", "b"]}, "other": {"x": [1]}}));
    assert_eq!(kinds["table"]["class"], json!(["data.frame"]));
    assert_eq!(kinds["other"]["class"], json!(["list"]));
    let reply = run(Job::call(
        "rmcp_engine_echo",
        json!({"table": {"x": [1.5], "m": [true]}, "t2": {"m": [1, "b"]}}),
    )
    .with_tables(["table", "t2"]))
    .expect("echo runs");
    // Columns stay arrays even with one row; mixed columns become text.
    assert_eq!(
        reply.value,
        json!({"table": {"x": [1.5], "m": [true]}, "t2": {"m": ["1", "b"]}})
    );
}

/// Ragged tables are refused before R runs, naming the column.
#[test]
fn ragged_tables_are_refused() {
    let error = run(Job::call(
        "rmcp_engine_echo",
        json!({"table": {"x": [1, 2], "y": [1]}}),
    )
    .with_tables(["table"]))
    .expect_err("ragged");
    assert!(
        matches!(&error, EngineError::InvalidInput(m) if m.contains("different lengths")),
        "{error:?}"
    );
}

/// Non-finite numbers become null; factors their labels; NA strings null.
#[test]
fn r_specials_map_to_json() {
    assert_eq!(
        eval("c(1, NA, NaN, Inf, -Inf)").unwrap().value,
        json!([1, null, null, null, null])
    );
    assert_eq!(
        eval("factor(c('lo', 'hi', 'lo'))").unwrap().value,
        json!(["lo", "hi", "lo"])
    );
    assert_eq!(eval("c('a', NA)").unwrap().value, json!(["a", null]));
    assert_eq!(eval("NA_integer_").unwrap().value, json!(null));
    assert_eq!(eval("NULL").unwrap().value, json!(null));
}

/// Length-1 vectors are scalars unless wrapped in I().
#[test]
fn scalars_unbox_unless_as_is() {
    assert_eq!(eval("5L").unwrap().value, json!(5));
    assert_eq!(eval("I(5L)").unwrap().value, json!([5]));
    assert_eq!(
        eval("list(a = I('x'), b = 'y')").unwrap().value,
        json!({"a": ["x"], "b": "y"})
    );
}

/// Data frames are column-oriented with factors as strings; matrices rows.
#[test]
fn data_frames_and_matrices() {
    let value = eval("head(iris[c(1, 5)], 2)").unwrap().value;
    assert_eq!(
        value,
        json!({"Sepal.Length": [5.1, 4.9], "Species": ["setosa", "setosa"]})
    );
    assert_eq!(
        eval("matrix(1:6, nrow = 2)").unwrap().value,
        json!([[1, 3, 5], [2, 4, 6]])
    );
}

/// Lists: named → objects, unnamed → arrays; dates ISO; raw base64.
#[test]
fn lists_dates_raw() {
    assert_eq!(
        eval("list(1, 'a', list(b = TRUE))").unwrap().value,
        json!([1, "a", {"b": true}])
    );
    assert_eq!(
        eval("as.Date('2024-02-29')").unwrap().value,
        json!("2024-02-29")
    );
    assert_eq!(
        eval("as.POSIXct('2024-01-02 03:04:05', tz = 'UTC')")
            .unwrap()
            .value,
        json!("2024-01-02T03:04:05Z")
    );
    assert_eq!(eval("as.raw(c(1, 2, 255))").unwrap().value, json!("AQL/"));
}

/// Objects JSON cannot express come back as a description, not a failure.
#[test]
fn other_objects_are_described() {
    assert_eq!(eval("function(x) x").unwrap().value, json!("<function>"));
    assert_eq!(eval("new.env()").unwrap().value, json!("<environment>"));
    assert_eq!(eval("y ~ x").unwrap().value, json!("<formula>"));
}

/// Strings R cannot hold (NUL) are refused with the path to the value.
#[test]
fn nul_strings_are_refused() {
    let error = run(Job::call(
        "rmcp_engine_echo",
        json!({"a": ["ok", "bad\u{0}"]}),
    ))
    .expect_err("nul");
    assert!(
        matches!(&error, EngineError::InvalidInput(m) if m.contains("$.a[1]")),
        "{error:?}"
    );
}

/// Results past the reply cap are refused with a clear error; the next job
/// is unaffected.
#[test]
fn oversized_values_are_refused() {
    let error = eval("runif(2e6)").expect_err("too large");
    assert!(
        matches!(error, EngineError::ReplyTooLarge { .. }),
        "{error:?}"
    );
    assert_eq!(eval("2 + 2").unwrap().value, json!(4));
}

/// Console output past its share of the cap is cut with a marker.
#[test]
fn long_output_is_truncated_with_marker() {
    let reply = eval("for (i in 1:200000) cat('0123456789\\n'); 1").unwrap();
    assert!(reply.stdout.len() < 1_100_000, "{}", reply.stdout.len());
    assert!(
        reply.stdout.contains("[output truncated:"),
        "marker missing"
    );
    assert_eq!(reply.value, json!(1));
}

/// The tools' number formatting (`rmcp_fmt`, done in Rust) spells every
/// number exactly as R's `sprintf("%.<digits>g")` does: random values over
/// 600 orders of magnitude, exact ties, whole numbers, the values just below
/// a power of ten that round up to it, and NA, NaN and infinities.
#[test]
fn number_formatting_matches_r_sprintf() {
    let code = r#"
        set.seed(1)
        x <- c(rnorm(4000) * 10^sample(-300:300, 4000, replace = TRUE),
               runif(4000, -1e6, 1e6), round(runif(2000, -1e5, 1e5)),
               (0:2000) / 8, 10^(-6:8) - 1e-9 * 10^(-6:8), 9999.5, 0.000099995,
               0, -0, 1e-300, -1e300, .Machine$double.xmax, .Machine$double.xmin,
               NA, NaN, Inf, -Inf)
        bad <- character()
        for (d in c(1L, 2L, 3L, 4L, 6L, 8L, 15L)) {
          want <- sprintf(paste0("%.", d, "g"), x)
          want[is.na(x)] <- "NA"
          got <- rmcp_fmt(x, d)
          miss <- which(got != want)
          bad <- c(bad, sprintf("%.17g at %d digits: got %s, want %s",
                                x[miss], d, got[miss], want[miss]))
        }
        list(checked = length(x) * 7, mismatches = head(bad, 10))
    "#;
    let reply = eval(code).expect("the comparison runs");
    assert!(
        reply.value["checked"].as_u64().unwrap_or(0) > 80_000,
        "{}",
        reply.value
    );
    assert_eq!(reply.value["mismatches"], json!([]), "{}", reply.value);
}
