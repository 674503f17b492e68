# summary_stats: descriptive statistics per numeric variable, optionally by
# group.
#
# Per variable: n, n_missing, mean, sd, min, max, range, skewness, kurtosis
# (excess) and one key per requested percentile named "p<100*q>" (p25, p50,
# p75 by default; R's type-7 quantiles). Skewness and kurtosis use the
# reference's moment formulas with the sample sd: m3 / s^3 and m4 / s^4 - 3.
# Differences from the reference (rmcp 0.12.0):
# * Undefined statistics are null (sd, skewness, kurtosis of one value or of
#   a constant) and, for a variable with no values, only n and n_missing are
#   reported (mean/min/max must be numbers in the output schema).
# * Default variables: numeric columns and text columns that hold only
#   numbers, excluding the group_by column.
# * Groups are the sorted distinct non-missing values of group_by.
# Written without quantile()/dplyr so a call stays far below a millisecond.
tool_summary_stats <- function(args) {
  data <- rmcp_table(args$data)
  probs <- args$percentiles %||% c(0.25, 0.5, 0.75)
  if (!is.numeric(probs) || anyNA(probs) || any(probs < 0 | probs > 1)) {
    rmcp_stop("percentiles", "must be numbers between 0 and 1", "pass e.g. [0.25, 0.5, 0.75]")
  }
  pnames <- paste0("p", probs * 100)
  group_by <- args$group_by
  if (!is.null(group_by)) {
    if (!is.character(group_by) || length(group_by) != 1L) {
      rmcp_stop("group_by", "must be one column name", "pass the name of a column")
    }
    rmcp_require_columns(data, group_by, "group_by")
  }
  variables <- rmcp_names_arg(args$variables, "variables", required = FALSE)
  cols <- list()
  if (is.null(variables)) {
    for (v in setdiff(names(data), group_by)) {
      x <- rmcp_as_numeric(.subset2(data, v))
      if (!is.null(x)) cols[[v]] <- x
    }
    if (!length(cols)) {
      rmcp_stop("data", "has no numeric columns", paste0("pass numeric columns or name them in 'variables'; ",
                                                          rmcp_available(data)))
    }
    variables <- names(cols)
  } else {
    rmcp_require_columns(data, variables, "variables")
    for (v in variables) cols[[v]] <- rmcp_numeric_column(data, v, "variables")
  }

  stats_of <- function(x) {
    miss <- is.na(x)
    n_missing <- sum(miss)
    if (n_missing) x <- x[!miss]
    n <- length(x)
    if (n == 0L) return(list(n = 0L, n_missing = n_missing))
    xs <- sort.int(x, method = "quick")
    m <- sum(x) / n
    s <- if (n > 1L) sqrt(sum((x - m)^2) / (n - 1L)) else NA_real_
    shape <- rmcp_shape(x, m, s)
    out <- list(n = n, n_missing = n_missing, mean = m, sd = s, min = xs[[1L]], max = xs[[n]],
                range = xs[[n]] - xs[[1L]], skewness = shape[[1L]], kurtosis = shape[[2L]])
    q <- rmcp_quantile_sorted(xs, probs)
    for (i in seq_along(q)) out[[pnames[[i]]]] <- q[[i]]
    out
  }

  if (is.null(group_by)) {
    statistics <- lapply(cols, stats_of)
    result <- list(statistics = statistics, variables = I(variables), n_obs = nrow(data),
                   grouped = FALSE)
    num <- function(field) vapply(statistics, function(s) rmcp_fmt(s[[field]] %||% NA), "")
    md <- rmcp_md_table(
      c("variable", "n", "missing", "mean", "sd", "min", pnames, "max"),
      c(list(variables,
             vapply(statistics, function(s) as.character(s$n), ""),
             vapply(statistics, function(s) as.character(s$n_missing), ""),
             num("mean"), num("sd"), num("min")),
        lapply(pnames, num), list(num("max"))))
    result[["_formatting"]] <- paste0("**Summary statistics** (", nrow(data), " rows, ",
                                      length(variables), " variables)\n\n", md)
    return(result)
  }

  g <- .subset2(data, group_by)
  groups <- sort(unique(g[!is.na(g)]))
  if (!length(groups)) {
    rmcp_stop("group_by", sprintf("column '%s' has only missing values", group_by),
              "choose a grouping column with values")
  }
  labels <- as.character(groups)
  statistics <- list()
  for (i in seq_along(groups)) {
    rows <- which(g == groups[[i]])
    statistics[[labels[[i]]]] <- lapply(cols, function(x) stats_of(x[rows]))
  }
  result <- list(statistics = statistics, variables = I(variables), n_obs = nrow(data),
                 grouped = TRUE, group_by = group_by, groups = I(labels))
  grid <- expand.grid(v = seq_along(variables), g = seq_along(labels))
  cell <- function(field) {
    vapply(seq_len(nrow(grid)), function(k) {
      s <- statistics[[grid$g[[k]]]][[grid$v[[k]]]]
      if (field == "n") as.character(s$n) else rmcp_fmt(s[[field]] %||% NA)
    }, "")
  }
  md <- rmcp_md_table(c(group_by, "variable", "n", "mean", "sd", "min", "max"),
                      list(labels[grid$g], variables[grid$v], cell("n"), cell("mean"), cell("sd"),
                           cell("min"), cell("max")))
  result[["_formatting"]] <- paste0("**Summary statistics by ", group_by, "** (", nrow(data),
                                    " rows, ", length(labels), " groups)\n\n", md)
  result
}
