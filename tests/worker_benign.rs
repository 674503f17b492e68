//! Ordinary analyses in free-form R all run: the guard must not get in the
//! way of get("mtcars"), do.call(rbind, l), Reduce, assign, on.exit,
//! options(digits = ), as.formula(paste(...)), dplyr pipelines, ggplot2 and
//! base plots returned as PNG images, a `data` table and `packages`.

mod support {
    pub mod client;
    pub mod engine;
    pub mod server;
    pub mod workers;
}

use base64::Engine as _;
use serde_json::{json, Value};
use support::workers;
use support::workers::{call, client, run_r, start, test_config, value};

/// Ordinary code, and what its `result` must be.
fn corpus() -> Vec<(&'static str, Value)> {
    vec![
        (r#"result <- nrow(get("mtcars"))"#, json!(32)),
        (
            r#"l <- list(1:2, 3:4); result <- dim(do.call(rbind, l))"#,
            json!([2, 2]),
        ),
        (
            r#"result <- Reduce(`+`, 1:10, accumulate = FALSE)"#,
            json!(55),
        ),
        (r#"assign("answer", 42); result <- answer"#, json!(42)),
        (
            r#"f <- function() { on.exit(cleaned <<- TRUE); 1 }; cleaned <- FALSE; f(); result <- cleaned"#,
            json!(true),
        ),
        (
            r#"options(digits = 3); result <- format(pi)"#,
            json!("3.14"),
        ),
        (
            r#"fm <- as.formula(paste("mpg ~", paste(c("wt", "hp"), collapse = " + "))); result <- round(unname(coef(lm(fm, mtcars))), 4)"#,
            json!([37.2273, -3.8778, -0.0318]),
        ),
        (
            r#"library(dplyr); result <- mtcars |> group_by(cyl) |> summarise(mpg = round(mean(mpg), 2)) |> as.data.frame()"#,
            json!({"cyl": [4, 6, 8], "mpg": [26.66, 19.74, 15.1]}),
        ),
        (
            r#"result <- sapply(split(mtcars$mpg, mtcars$cyl), median)"#,
            json!({"4": 26, "6": 19.7, "8": 15.2}),
        ),
        (
            r#"tt <- t.test(mpg ~ am, data = mtcars); result <- round(tt$p.value, 5)"#,
            json!(0.00137),
        ),
        (
            r#"result <- round(cor(mtcars$mpg, mtcars$wt), 4)"#,
            json!(-0.8677),
        ),
        (
            r#"set.seed(1); result <- round(mean(rnorm(100)), 4)"#,
            json!(0.1089),
        ),
        (
            r#"m <- matrix(c(2, 1, 1, 3), 2); result <- round(solve(m) %*% m, 10)"#,
            json!([[1, 0], [0, 1]]),
        ),
        (
            r#"d <- as.Date("2024-01-31") + 0:2; result <- format(d, "%d.%m")"#,
            json!(["31.01", "01.02", "02.02"]),
        ),
        (
            r#"res <- tryCatch(stop("handled"), error = function(e) conditionMessage(e)); result <- res"#,
            json!("handled"),
        ),
        (
            r#"result <- aggregate(mpg ~ am, data = mtcars, FUN = length)$mpg"#,
            json!([19, 13]),
        ),
        (
            r#"x <- c(a = 1, b = 2); result <- vapply(x, function(v) v * 2, numeric(1))"#,
            json!({"a": 2, "b": 4}),
        ),
        (
            r#"e <- new.env(); assign("k", 5, envir = e); result <- get("k", envir = e)"#,
            json!(5),
        ),
        (
            r#"result <- gsub("[aeiou]", "", "statistics")"#,
            json!("sttstcs"),
        ),
        (
            r#"s <- summary(lm(mpg ~ wt, mtcars)); result <- round(s$r.squared, 4)"#,
            json!(0.7528),
        ),
    ]
}

/// Every snippet of the corpus runs and gives R's own answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ordinary_analyses_are_allowed() {
    let harness = start(test_config("benign")).await;
    let client = client(&harness).await;
    let corpus = corpus();
    assert!(corpus.len() >= 15);
    for (code, expected) in corpus {
        let reply = run_r(&client, code).await;
        assert_eq!(
            reply["structuredContent"]["success"],
            json!(true),
            "{code}: {reply}"
        );
        assert_eq!(value(&reply), expected, "{code}");
    }
    // `result` set by the code is the answer, also when a call sets it to
    // the value it already had (running the same code again).
    for round in 0..2 {
        let reply = run_r(&client, "result <- 5; 10").await;
        assert_eq!(value(&reply), json!(5), "round {round}: {reply}");
        assert_eq!(
            reply["structuredContent"]["result_source"],
            json!("result"),
            "round {round}: {reply}"
        );
    }
    // Code that leaves `result` alone answers with its last value.
    let reply = run_r(&client, "10 + 1").await;
    assert_eq!(value(&reply), json!(11), "{reply}");
    assert_eq!(
        reply["structuredContent"]["result_source"],
        json!("last_value")
    );
}

fn png_of(reply: &Value) -> Vec<u8> {
    let block = reply["content"]
        .as_array()
        .and_then(|blocks| blocks.iter().find(|b| b["type"] == "image"))
        .unwrap_or_else(|| panic!("no image block: {reply}"));
    assert_eq!(block["mimeType"], json!("image/png"));
    base64::engine::general_purpose::STANDARD
        .decode(block["data"].as_str().expect("data"))
        .expect("base64")
}

/// Plots come back as PNG images: a ggplot left in `result`, and a base
/// plot drawn by the code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plots_are_returned_as_images() {
    let harness = start(test_config("plots")).await;
    let client = client(&harness).await;
    let ggplot = call(
        &client,
        "execute_r_analysis",
        json!({
            "r_code": "result <- ggplot(mtcars, aes(wt, mpg)) + geom_point()",
            "description": "scatter",
            "packages": ["ggplot2"],
            "return_image": true,
            "timeout_seconds": 30,
        }),
    )
    .await;
    let png = png_of(&ggplot);
    assert_eq!(&png[..4], b"\x89PNG", "{ggplot}");
    assert!(ggplot["structuredContent"].get("image_data").is_none());
    let base = call(
        &client,
        "execute_r_analysis",
        json!({
            "r_code": "hist(data$x); result <- length(data$x)",
            "description": "histogram",
            "data": {"x": [1, 2, 2, 3, 3, 3, 4]},
            "return_image": true,
        }),
    )
    .await;
    assert_eq!(value(&base), json!(7));
    assert_eq!(&png_of(&base)[..4], b"\x89PNG");
    let no_plot = call(
        &client,
        "execute_r_analysis",
        json!({"r_code": "result <- 1", "description": "none", "return_image": true}),
    )
    .await;
    assert!(
        !no_plot["content"].to_string().contains("\"image\""),
        "{no_plot}"
    );
}

/// Packages off the allowlist need an approval, which only installed
/// packages get; approved, they load.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packages_need_approval() {
    let harness = start(test_config("approval")).await;
    let client = client(&harness).await;
    let code = json!({"r_code": "result <- as.character(packageVersion('withr'))", "description": "d", "packages": ["withr"]});
    let refused = call(&client, "execute_r_analysis", code.clone()).await;
    let structured = &refused["structuredContent"];
    assert_eq!(structured["success"], json!(false));
    assert_eq!(
        structured["result"]["approval_required"],
        json!(true),
        "{refused}"
    );
    let allowed = |package: &'static str| {
        let client = &client;
        async move {
            let reply = call(client, "list_r_packages", json!({"package_name": package})).await;
            reply["structuredContent"]["allowed"].clone()
        }
    };
    assert_eq!(allowed("dplyr").await, json!(true), "on the allowlist");
    assert_eq!(allowed("withr").await, json!(false), "not approved yet");
    let missing = call(
        &client,
        "approve_r_package",
        json!({"package_name": "notinstalledpkg", "action": "approve"}),
    )
    .await;
    assert_eq!(missing["structuredContent"]["success"], json!(false));
    let approved = call(
        &client,
        "approve_r_package",
        json!({"package_name": "withr", "action": "approve"}),
    )
    .await;
    assert_eq!(
        approved["structuredContent"]["session_packages"],
        json!(["withr"])
    );
    assert_eq!(allowed("withr").await, json!(true), "approved");
    let loaded = call(&client, "execute_r_analysis", code).await;
    assert!(value(&loaded).is_string(), "{loaded}");
    // The session's approval also reaches library() in the code itself.
    let attached = run_r(
        &client,
        "library(withr); result <- 'withr' %in% .packages()",
    )
    .await;
    assert_eq!(value(&attached), json!(true), "{attached}");
    // Other sessions still need their own approval.
    let other = workers::client(&harness).await;
    let refused = run_r(&other, "library(withr)").await;
    assert_eq!(
        refused["structuredContent"]["success"],
        json!(false),
        "{refused}"
    );
    let listed = call(&client, "list_allowed_r_packages", json!({})).await;
    assert_eq!(listed["structuredContent"]["total_count"], json!(429));
    let blocked = call(
        &client,
        "approve_operation",
        json!({"operation_type": "system_operations", "specific_operation": "system"}),
    )
    .await;
    assert_eq!(
        blocked["structuredContent"]["success"],
        json!(false),
        "{blocked}"
    );
}
