//! The helper tools: checking data, diagnosing errors, example datasets.
//! One file per tool.

tool_files! {
    load_example,
    suggest_fix,
    validate_data,
}
