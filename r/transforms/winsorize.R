# winsorize: cap numeric columns at their lower/upper percentiles (type-7
# stats::quantile), in place (same column names).
#
# Values below the lower threshold become the lower threshold, values above
# the upper threshold the upper one; missing values stay missing.
# Returns the whole table and, per variable, the thresholds and how many
# values were capped.
# Differences from the reference (rmcp 0.12.0): a column with no values is an
# error (its thresholds would be undefined); true/false columns come back as
# "true"/"false" strings (the output schema allows numbers, strings, null).
tool_winsorize <- function(args) {
  data <- rmcp_table(args$data)
  variables <- rmcp_names_arg(args$variables, "variables")
  rmcp_require_columns(data, variables, "variables")
  pr <- args$percentiles %||% c(0.05, 0.95)
  if (!is.numeric(pr) || length(pr) != 2L || anyNA(pr) || any(pr < 0 | pr > 1)) {
    rmcp_stop("percentiles", "must be two numbers between 0 and 1", "pass e.g. [0.05, 0.95]")
  }
  if (pr[[1L]] >= pr[[2L]]) {
    rmcp_stop("percentiles", sprintf("lower (%s) must be below upper (%s)", pr[[1L]], pr[[2L]]),
              "pass [lower, upper], e.g. [0.05, 0.95]")
  }
  out <- data
  summary <- list()
  for (v in variables) {
    x <- rmcp_numeric_column(data, v, "variables")
    xs <- sort.int(x[!is.na(x)], method = "quick")
    if (!length(xs)) {
      rmcp_stop("variables", sprintf("column '%s' has no non-missing values", v),
                "choose columns with numeric values")
    }
    q <- rmcp_quantile_sorted(xs, pr)
    lo <- sum(x < q[[1L]], na.rm = TRUE)
    hi <- sum(x > q[[2L]], na.rm = TRUE)
    out[[v]] <- pmax(pmin(x, q[[2L]]), q[[1L]])
    summary[[v]] <- list(lower_threshold = q[[1L]], upper_threshold = q[[2L]],
                         n_capped_lower = lo, n_capped_upper = hi, total_capped = lo + hi)
  }
  md <- rmcp_md_table(c("variable", "lower", "upper", "capped low", "capped high"),
                      list(variables,
                           vapply(summary, function(s) rmcp_fmt(s$lower_threshold), ""),
                           vapply(summary, function(s) rmcp_fmt(s$upper_threshold), ""),
                           vapply(summary, function(s) as.character(s$n_capped_lower), ""),
                           vapply(summary, function(s) as.character(s$n_capped_upper), "")))
  list(
    data = rmcp_table_out(out),
    outliers_summary = summary,
    percentiles = I(as.numeric(pr)),
    variables_winsorized = I(variables),
    n_obs = nrow(data),
    `_formatting` = paste0("**Winsorized** at the ", pr[[1L]] * 100, "th and ", pr[[2L]] * 100,
                           "th percentiles (", nrow(data), " rows)\n\n", md)
  )
}
