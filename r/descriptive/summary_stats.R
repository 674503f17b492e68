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
# All variables are summarised at once on a matrix (one radix order() for the
# sorting, column sums for the moments), so a call on mtcars takes well
# under a millisecond.
tool_summary_stats <- function(args) {
  data <- rmcp_table(args$data)
  probs <- args$percentiles %||% c(0.25, 0.5, 0.75)
  if (!is.numeric(probs) || anyNA(probs) || any(probs < 0 | probs > 1)) {
    rmcp_stop("percentiles", "must be numbers between 0 and 1", "pass e.g. [0.25, 0.5, 0.75]")
  }
  pnames <- if (length(probs)) paste0("p", probs * 100) else character()
  group_by <- rmcp_column_arg(args$group_by, "group_by", required = FALSE, what = "the grouping column")
  if (!is.null(group_by)) rmcp_require_columns(data, group_by, "group_by")
  variables <- rmcp_names_arg(args$variables, "variables", required = FALSE)
  cols <- list()
  if (is.null(variables)) {
    for (v in names(data)) {
      if (identical(v, group_by)) next
      x <- rmcp_as_numeric(.subset2(data, v))
      if (!is.null(x)) cols[[v]] <- x
    }
    if (!length(cols)) {
      rmcp_stop("data", "has no numeric columns",
                paste0("pass numeric columns or name them in 'variables'; ", rmcp_available(data)))
    }
    variables <- names(cols)
  } else {
    rmcp_require_columns(data, variables, "variables")
    for (v in variables) cols[[v]] <- rmcp_numeric_column(data, v, "variables")
  }
  X <- matrix(unlist(cols, use.names = FALSE), ncol = length(cols))

  if (is.null(group_by)) {
    tab <- rmcp_describe(X, probs, pnames)
    statistics <- rmcp_describe_lists(tab, variables)
    md <- rmcp_describe_md(tab, c("n", "n_missing", "mean", "sd", "min", pnames, "max"),
                           list(variables), "variable")
    return(list(statistics = statistics, variables = I(variables), n_obs = nrow(data), grouped = FALSE,
                `_formatting` = paste0("**Summary statistics** (", nrow(data), " rows, ",
                                       length(variables), " variables)\n\n", md)))
  }

  g <- .subset2(data, group_by)
  groups <- sort(unique(g[!is.na(g)]))
  if (!length(groups)) {
    rmcp_stop("group_by", sprintf("column '%s' has only missing values", group_by),
              "choose a grouping column with values")
  }
  labels <- if (is.logical(groups)) ifelse(groups, "true", "false") else as.character(groups)
  statistics <- list()
  parts <- list()
  for (i in seq_along(groups)) {
    tab <- rmcp_describe(X[which(g == groups[[i]]), , drop = FALSE], probs, pnames)
    statistics[[labels[[i]]]] <- rmcp_describe_lists(tab, variables)
    parts[[i]] <- tab
  }
  md <- rmcp_describe_md(do.call(rbind, parts), c("n", "mean", "sd", "min", "max"),
                         list(rep(labels, each = length(variables)), rep(variables, length(labels))),
                         c(group_by, "variable"))
  list(statistics = statistics, variables = I(variables), n_obs = nrow(data), grouped = TRUE,
       group_by = group_by, groups = I(labels),
       `_formatting` = paste0("**Summary statistics by ", group_by, "** (", nrow(data), " rows, ",
                              length(labels), " groups)\n\n", md))
}
