//! Workspaces and isolation: a session's variables persist and stay its own,
//! and no job sees settings another job changed; plots render to PNG.

mod support {
    pub mod engine;
}

use std::time::{Duration, Instant};

use base64::Engine as _;
use rmcp_server::r::{EngineError, Job, Task};
use serde_json::json;
use support::engine::{eval, run};

/// Objects persist across calls in a named workspace and are invisible to
/// other workspaces and fresh jobs.
#[test]
fn workspaces_persist_and_are_isolated() {
    run(Job::eval("x <- 'A'; y <- 1:10").in_env("session-a")).unwrap();
    run(Job::eval("x <- 'B'").in_env("session-b")).unwrap();
    let a = run(Job::eval("paste(x, exists('y', inherits = FALSE))").in_env("session-a")).unwrap();
    let b = run(Job::eval("paste(x, exists('y', inherits = FALSE))").in_env("session-b")).unwrap();
    assert_eq!(a.value, json!("A TRUE"));
    assert_eq!(b.value, json!("B FALSE"));
    assert_eq!(eval("exists('x')").unwrap().value, json!(false));
}

/// A workspace can be described (objects, classes, bytes) and dropped.
#[test]
fn workspaces_can_be_described_and_dropped() {
    run(Job::eval("df <- data.frame(a = 1:3); s <- 'text'").in_env("session-describe")).unwrap();
    let described = run(Job::new(Task::DescribeEnv {
        env: "session-describe".into(),
    }))
    .unwrap();
    let objects = described.value["objects"].as_array().unwrap();
    let names: Vec<_> = objects
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["df", "s"]);
    assert_eq!(objects[0]["class"], "data.frame");
    assert!(described.value["total_bytes"].as_f64().unwrap() > 100.0);
    let dropped = run(Job::new(Task::DropEnv {
        env: "session-describe".into(),
    }))
    .unwrap();
    assert_eq!(dropped.value, json!(true));
    let gone = run(Job::new(Task::DescribeEnv {
        env: "session-describe".into(),
    }))
    .unwrap();
    assert_eq!(gone.value["exists"], json!(false));
}

/// Idle workspaces are dropped after the TTL (3 s in the tests' engine).
#[test]
fn idle_workspaces_expire() {
    run(Job::eval("kept <- 1").in_env("session-idle")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let described = run(Job::new(Task::DescribeEnv {
            env: "session-idle".into(),
        }))
        .unwrap();
        if described.value["exists"] == json!(false) {
            break;
        }
        assert!(Instant::now() < deadline, "workspace never expired");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Interpreter-wide settings one job changes are put back before the next.
#[test]
fn options_globals_search_path_and_wd_are_restored() {
    eval("options(digits = 3, rmcp.test.option = 'x'); assign('leak', 1, envir = globalenv()); library(tools); setwd(tempdir()); leak2 <<- 2")
        .unwrap();
    let after = eval(
        "list(digits = getOption('digits'), added = getOption('rmcp.test.option'), \
         leak = exists('leak'), leak2 = exists('leak2'), tools = 'package:tools' %in% search(), \
         wd_is_temp = normalizePath(getwd()) == normalizePath(tempdir()))",
    )
    .unwrap();
    assert_eq!(
        after.value,
        json!({"digits": 7, "added": null, "leak": false, "leak2": false, "tools": false, "wd_is_temp": false})
    );
}

/// A seeded job is reproducible and matches R's own stream; the RNG state
/// it leaves behind does not leak into the next job.
#[test]
fn seeded_jobs_are_reproducible() {
    let first = run(Job::eval("runif(2)").with_seed(42)).unwrap().value;
    let second = run(Job::eval("runif(2)").with_seed(42)).unwrap().value;
    assert_eq!(first, second);
    let expected = eval("set.seed(42); runif(2)").unwrap().value;
    assert_eq!(first, expected);
    assert_eq!(
        eval("exists('.Random.seed', envir = globalenv())")
            .unwrap()
            .value,
        json!(false)
    );
}

/// Errors inside a workspace leave its earlier objects intact.
#[test]
fn errors_do_not_poison_a_workspace() {
    run(Job::eval("keep <- 41").in_env("session-errors")).unwrap();
    let error = run(Job::eval("keep <- keep + 1; stop('later failure')").in_env("session-errors"))
        .unwrap_err();
    assert!(matches!(error, EngineError::R(_)));
    let value = run(Job::eval("keep").in_env("session-errors"))
        .unwrap()
        .value;
    assert_eq!(value, json!(42));
}

fn png_size(base64_png: &str) -> (u32, u32) {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(base64_png)
        .expect("base64");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    let width = u32::from_be_bytes(bytes[16..20].try_into().expect("IHDR width"));
    let height = u32::from_be_bytes(bytes[20..24].try_into().expect("IHDR height"));
    (width, height)
}

/// Base graphics and ggplot2 render to PNG bytes of the requested size, and
/// no device or temp file is left behind.
#[test]
fn plots_render_to_png() {
    let base = eval("rmcp_render_png(function() plot(1:10), width = 640, height = 480)").unwrap();
    assert_eq!(png_size(base.value.as_str().unwrap()), (640, 480));
    let gg = eval(
        "p <- ggplot2::ggplot(mtcars, ggplot2::aes(wt, mpg)) + ggplot2::geom_point(); \
         rmcp_render_png(p, width = 300, height = 200, dpi = 72)",
    )
    .unwrap();
    assert_eq!(png_size(gg.value.as_str().unwrap()), (300, 200));
    let after = eval("list(device = grDevices::dev.cur()[[1]], files = length(list.files(tempdir(), 'rmcp-plot-')))").unwrap();
    assert_eq!(after.value, json!({"device": 1, "files": 0}));
    let failed = eval("rmcp_render_png(function() stop('bad plot'))").unwrap_err();
    assert!(
        matches!(&failed, EngineError::R(r) if r.message == "bad plot"),
        "{failed:?}"
    );
    assert_eq!(eval("grDevices::dev.cur()[[1]]").unwrap().value, json!(1));
}

/// Options a package keeps its own state in survive the after-job restore:
/// cpp11 (here through readxl) adds `cpp11_should_unwind_protect` and
/// `cpp11_preserve_xptr` on first use and keeps pointers into them, so
/// removing them would leave cpp11 using freed memory. Ordinary added
/// options are still removed.
#[test]
fn package_state_options_survive_the_restore() {
    let example = "readxl::readxl_example('datasets.xlsx')";
    let sheets = eval(&format!(
        "options(rmcp.test.other = 1); readxl::excel_sheets({example})"
    ))
    .unwrap();
    assert!(
        sheets.value.as_array().is_some_and(|s| !s.is_empty()),
        "{}",
        sheets.value
    );
    let after = eval(
        "list(cpp11 = getOption('cpp11_should_unwind_protect'), \
              preserve = class(getOption('cpp11_preserve_xptr')), \
              other = getOption('rmcp.test.other'))",
    )
    .unwrap();
    assert_eq!(
        after.value,
        json!({"cpp11": true, "preserve": "externalptr", "other": null})
    );
    // And cpp11 code keeps working, many times over.
    let read = eval(&format!(
        "for (i in 1:50) d <- readxl::read_excel({example}, sheet = 1, progress = FALSE); nrow(d)"
    ))
    .unwrap();
    assert_eq!(read.value, json!(150));
}
