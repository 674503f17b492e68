//! The R floor: the same R computation a tool call does, timed inside a
//! warm R (this process's embedded engine), with no MCP, HTTP, JSON or
//! conversion around it. The arguments are built in R from the same JSON
//! the bench sends (tables as `data.frame`s, as the server hands them over).

use std::time::Duration;

use rmcp_server::r::{Job, RHandle};
use serde_json::Value;

/// An R expression that evaluates to `value` (the server's JSON → R mapping
/// for flat values: whole numbers are integers, arrays atomic vectors).
pub fn r_literal(value: &Value) -> String {
    match value {
        Value::Null => "NULL".into(),
        Value::Bool(flag) => if *flag { "TRUE" } else { "FALSE" }.into(),
        Value::Number(number) => number_literal(number),
        Value::String(text) => string_literal(text),
        Value::Array(items) => {
            let parts: Vec<String> = items
                .iter()
                .map(|item| match item {
                    Value::Null => "NA".to_string(),
                    other => r_literal(other),
                })
                .collect();
            let all_scalar = items
                .iter()
                .all(|item| !matches!(item, Value::Array(_) | Value::Object(_)));
            let function = if all_scalar { "c" } else { "list" };
            format!("{function}({})", parts.join(", "))
        }
        Value::Object(members) => {
            let parts: Vec<String> = members
                .iter()
                .map(|(name, item)| format!("{} = {}", string_literal(name), r_literal(item)))
                .collect();
            format!("list({})", parts.join(", "))
        }
    }
}

fn number_literal(number: &serde_json::Number) -> String {
    match number.as_i64() {
        Some(whole) if i32::try_from(whole).is_ok() => format!("{whole}L"),
        _ => {
            let real = number.as_f64().unwrap_or(f64::NAN);
            if real.fract() == 0.0 && real.abs() < 2_147_483_647.0 {
                format!("{}L", real as i64)
            } else {
                format!("{real:?}")
            }
        }
    }
}

fn string_literal(text: &str) -> String {
    let mut literal = String::with_capacity(text.len() + 2);
    literal.push('"');
    for character in text.chars() {
        match character {
            '"' => literal.push_str("\\\""),
            '\\' => literal.push_str("\\\\"),
            '\n' => literal.push_str("\\n"),
            other => literal.push(other),
        }
    }
    literal.push('"');
    literal
}

/// The arguments of a catalog tool as R builds them: `tables` become
/// `data.frame`s.
pub fn r_arguments(arguments: &Value, tables: &[&str]) -> String {
    let Value::Object(members) = arguments else {
        return r_literal(arguments);
    };
    let parts: Vec<String> = members
        .iter()
        .map(|(name, item)| {
            let literal = r_literal(item);
            let literal = if tables.contains(&name.as_str()) {
                format!("as.data.frame({literal}, stringsAsFactors = FALSE, optional = TRUE)")
            } else {
                literal
            };
            format!("{} = {literal}", string_literal(name))
        })
        .collect();
    format!("list({})", parts.join(", "))
}

/// R's time for one evaluation of `body` (R code using `args`, built by
/// `setup`).
#[derive(Debug, Clone, Copy)]
pub struct RTime {
    /// The median evaluation: what one call costs R, for latency.
    pub median: Duration,
    /// Total time over evaluations, back to back: what one R thread does per
    /// call when it does nothing else, R's garbage collections included
    /// (the median leaves them out), for throughput.
    pub mean: Duration,
}

/// [`RTime`] of `body` in the warm engine: warm-up first, then up to
/// `calls` iterations or about `budget` of R time, each timed inside R.
///
/// With `gap`, R sleeps that long before each timed iteration, as the
/// server's R does between the calls of one client: caches and branch
/// predictors are then cold, and the same work takes up to twice as long
/// as back to back.
pub async fn time_in_r(
    engine: &RHandle,
    setup: &str,
    body: &str,
    calls: usize,
    budget: Duration,
    gap: Option<Duration>,
) -> Result<RTime, String> {
    let pause = gap.map_or(String::new(), |gap| {
        format!("Sys.sleep({}); ", gap.as_secs_f64())
    });
    let code = format!(
        "{setup}\n\
         f <- function() {{ {body} }}\n\
         for (i in 1:10) f()\n\
         t <- numeric({calls}); n <- 0L; limit <- Sys.time() + {budget}\n\
         while (n < {calls} && Sys.time() < limit) {{\n\
           {pause}t0 <- Sys.time(); f(); n <- n + 1L; t[n] <- as.numeric(Sys.time() - t0, units = \"secs\")\n\
         }}\n\
         c(median(t[seq_len(n)]), mean(t[seq_len(n)]))",
        budget = budget.as_secs_f64()
    );
    let job = Job::eval(code).with_timeout(budget * 4 + Duration::from_secs(60));
    let reply = engine
        .eval(job)
        .await
        .map_err(|error| format!("R floor: {error}"))?;
    let seconds = |index: usize| {
        reply
            .value
            .get(index)
            .and_then(Value::as_f64)
            .filter(|value| value.is_finite() && *value >= 0.0)
            .map(Duration::from_secs_f64)
    };
    match (seconds(0), seconds(1)) {
        (Some(median), Some(mean)) => Ok(RTime { median, mean }),
        _ => Err(format!("R floor: unexpected value {}", reply.value)),
    }
}
