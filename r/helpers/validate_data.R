# validate_data: checks a table before an analysis: size, column types,
# missing values, constant columns, extreme outliers (beyond 3 IQR from the
# quartiles) and duplicate rows, with rules for the analysis type. Problems
# that make the analysis impossible are errors; the rest are warnings
# (errors too when `strict`).
tool_validate_data <- function(args) {
  data <- rmcp_table(args$data)
  type <- rmcp_enum(args$analysis_type,
                    c("general", "regression", "correlation", "timeseries", "classification"),
                    "analysis_type")
  strict <- rmcp_flag(args$strict, "strict", FALSE)
  n <- nrow(data)
  k <- ncol(data)
  errors <- character(0)
  warnings <- character(0)
  suggestions <- character(0)
  recommendations <- character(0)

  numeric_cols <- names(data)[vapply(data, is.numeric, NA)]
  character_cols <- names(data)[vapply(data, is.character, NA)]
  factor_cols <- names(data)[vapply(data, is.factor, NA)]
  logical_cols <- names(data)[vapply(data, is.logical, NA)]
  # text columns that hold only numbers (e.g. "1.5") were probably meant as numbers
  numeric_text <- character_cols[vapply(data[character_cols], function(x) !is.null(rmcp_as_numeric(x)), NA)]

  missing <- vapply(data, function(x) sum(is.na(x)), 0L)
  missing_pct <- if (n) 100 * missing / n else missing * 0
  constant <- names(data)[vapply(data, function(x) {
    v <- x[!is.na(x)]
    length(v) > 0L && length(unique(v)) == 1L
  }, NA)]
  empty <- names(data)[missing == n]
  outliers <- vapply(numeric_cols, function(col) {
    x <- data[[col]][!is.na(data[[col]])]
    if (length(x) < 4L) return(0L)
    q <- stats::quantile(x, c(0.25, 0.75), names = FALSE)
    iqr <- q[[2L]] - q[[1L]]
    if (iqr == 0) return(0L)
    sum(x < q[[1L]] - 3 * iqr | x > q[[2L]] + 3 * iqr)
  }, 0L)
  duplicates <- sum(duplicated(data))

  if (length(empty)) {
    warnings <- c(warnings, sprintf("%s %s no values at all", rmcp_quote(empty),
                                    if (length(empty) == 1L) "has" else "have"))
    suggestions <- c(suggestions, "drop columns that are entirely missing")
  }
  heavy <- setdiff(names(data)[missing_pct > 20], empty)
  if (length(heavy)) {
    warnings <- c(warnings, sprintf("more than 20%% missing in %s", rmcp_quote(heavy)))
    suggestions <- c(suggestions, "impute or drop the heavily missing columns, or check why values are missing")
  } else if (any(missing > 0)) {
    recommendations <- c(recommendations, sprintf(
      "%d rows have missing values; most analyses drop them (complete cases: %d of %d)",
      sum(!stats::complete.cases(data)), sum(stats::complete.cases(data)), n))
  }
  if (length(constant)) {
    warnings <- c(warnings, sprintf("constant %s %s (no variation to analyse)",
                                    if (length(constant) == 1L) "column" else "columns",
                                    rmcp_quote(constant)))
    suggestions <- c(suggestions, "remove constant columns before modelling")
  }
  if (length(numeric_text)) {
    warnings <- c(warnings, sprintf("%s %s numbers stored as text", rmcp_quote(numeric_text),
                                    if (length(numeric_text) == 1L) "holds" else "hold"))
    suggestions <- c(suggestions, "send numbers as JSON numbers, not strings")
  }
  if (any(outliers > 0)) {
    cols <- numeric_cols[outliers > 0]
    warnings <- c(warnings, sprintf("extreme outliers (beyond 3 IQR) in %s", rmcp_quote(cols)))
    suggestions <- c(suggestions, "inspect them with outlier_detection; consider winsorize or a robust method")
  }
  if (duplicates > 0) {
    warnings <- c(warnings, sprintf("%d duplicate %s", duplicates, if (duplicates == 1L) "row" else "rows"))
    suggestions <- c(suggestions, "check whether duplicate rows are real repeated observations")
  }

  usable_numeric <- setdiff(numeric_cols, c(constant, empty))
  if (type == "regression") {
    if (length(usable_numeric) < 1L) {
      errors <- c(errors, "regression needs at least one numeric column that varies (the response)")
    }
    if (k < 2L) errors <- c(errors, "regression needs a response and at least one predictor column")
    if (n < 3L) errors <- c(errors, sprintf("regression needs at least 3 rows, the data has %d", n))
    else if (n < 10L * max(1L, k - 1L)) {
      warnings <- c(warnings, sprintf("%d rows for %d predictors is few (a rule of thumb is 10 rows per predictor)",
                                      n, k - 1L))
    }
    recommendations <- c(recommendations, "fit with linear_model, then check residuals with regression_plot")
  } else if (type == "correlation") {
    if (length(usable_numeric) < 2L) {
      errors <- c(errors, sprintf("correlation needs at least 2 numeric columns that vary, the data has %d",
                                  length(usable_numeric)))
    }
    if (n < 3L) errors <- c(errors, sprintf("correlation needs at least 3 rows, the data has %d", n))
    else if (n < 30L) warnings <- c(warnings, sprintf("with %d rows, correlation estimates are imprecise", n))
    if (any(outliers > 0)) recommendations <- c(recommendations, "with outliers, prefer method = \"spearman\"")
    recommendations <- c(recommendations, "run correlation_analysis or plot correlation_heatmap")
  } else if (type == "timeseries") {
    if (length(usable_numeric) < 1L) errors <- c(errors, "a time series needs a numeric column that varies")
    if (n < 8L) errors <- c(errors, sprintf("a time series needs at least 8 observations, the data has %d", n))
    else if (n < 24L) warnings <- c(warnings, sprintf("%d observations is short: seasonal models need at least 2 full cycles (24 for monthly data)", n))
    if (any(missing[usable_numeric] > 0)) {
      warnings <- c(warnings, "the series has gaps (missing values); ARIMA and decomposition need a complete series")
    }
    recommendations <- c(recommendations, "check stationarity_test, then arima_model or decompose_timeseries")
  } else if (type == "classification") {
    candidates <- names(data)[vapply(data, function(x) {
      v <- unique(x[!is.na(x)])
      length(v) >= 2L && length(v) <= max(2L, min(20L, n / 2))
    }, NA)]
    if (!length(candidates)) {
      errors <- c(errors, "classification needs a column with a few classes to predict (2 to 20 distinct values)")
    } else {
      counts <- lapply(candidates, function(col) table(data[[col]]))
      small <- candidates[vapply(counts, function(t) min(t) < 5L, NA)]
      if (length(small)) {
        warnings <- c(warnings, sprintf("some classes have fewer than 5 rows in %s", rmcp_quote(small)))
      }
      recommendations <- c(recommendations, sprintf("possible outcome columns: %s", rmcp_quote(candidates)))
    }
    if (n < 20L) warnings <- c(warnings, sprintf("%d rows is few for classification", n))
    recommendations <- c(recommendations, "try decision_tree or random_forest; logistic_regression for a 0/1 outcome")
  } else {
    if (n < 2L) warnings <- c(warnings, "only one row: most statistics need more")
    recommendations <- c(recommendations, "start with summary_stats and data_info")
  }
  if (strict && length(warnings)) {
    errors <- c(errors, paste("strict:", warnings))
  }
  result <- list(
    is_valid = length(errors) == 0L,
    warnings = I(warnings), errors = I(errors),
    suggestions = I(unique(suggestions)), 
    data_quality = list(
      dimensions = list(rows = n, columns = k),
      variable_types = list(numeric = length(numeric_cols), character = length(character_cols),
                            factor = length(factor_cols), logical = length(logical_cols)),
      missing_values = list(total_missing_cells = sum(missing),
                            variables_with_missing = sum(missing > 0),
                            max_missing_percentage = if (k) max(missing_pct) else 0),
      data_issues = list(constant_variables = length(constant),
                         high_outlier_variables = sum(outliers > 0),
                         duplicate_rows = duplicates)),
    recommendations = I(unique(recommendations)))
  bullet <- function(title, items) if (length(items)) paste0("\n\n**", title, ":**\n", paste0("- ", items, collapse = "\n")) else ""
  result[["_formatting"]] <- paste0(
    sprintf("**Data validation** for %s analysis: %s (%d rows \u00d7 %d columns)", type,
            if (result$is_valid) "ready" else "not ready", n, k),
    bullet("Errors", errors), bullet("Warnings", warnings),
    bullet("Suggestions", unique(suggestions)), bullet("Recommendations", unique(recommendations)))
  result
}
