# validate_formula: checks a model formula against a table before fitting.
# The text is parsed with R's parser and inspected, never evaluated: it
# reports whether it parses, which variables are missing from the data
# (with the closest column names), the types of those present, functions
# the model tools would refuse, and type problems for the analysis.
tool_validate_formula <- function(args) {
  data <- rmcp_table(args$data)
  type <- rmcp_enum(args$analysis_type, c("regression", "anova", "correlation"), "analysis_type")
  text <- args$formula
  if (!is.character(text) || length(text) != 1L || is.na(text) || !nzchar(trimws(text))) {
    rmcp_stop("formula", "is required", "pass a formula string such as 'y ~ x1 + x2'")
  }
  report <- rmcp_formula_report(text, data, type)
  report$analysis_type <- type
  lines <- c(
    if (length(report$missing_variables)) sprintf("- missing: %s", rmcp_quote(report$missing_variables)),
    if (length(report$existing_variables)) sprintf("- found: %s", rmcp_quote(report$existing_variables)),
    if (!is.null(report$error)) sprintf("- problem: %s", report$error),
    if (length(report$warnings)) paste0("- warning: ", report$warnings),
    if (length(report$suggestions)) paste0("- suggestion: ", report$suggestions))
  report[["_formatting"]] <- paste0(
    sprintf("**Formula** `%s` for %s: %s\n\n", text, type,
            if (report$is_valid) "valid" else if (report$formula_parsed) "not usable with this data" else "does not parse"),
    paste(lines, collapse = "\n"))
  report
}
