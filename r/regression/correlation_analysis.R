# correlation_analysis: correlation matrix (stats::cor) of numeric columns
# with a significance test for every pair.
#
# variables: the columns to correlate (default: every numeric column, text
# columns holding only numbers included); method pearson|spearman|kendall;
# use as in stats::cor (default complete.obs).
# Each pair is tested on the rows its correlation used: the complete rows of
# all variables for complete.obs/na.or.complete, the pair's complete rows for
# pairwise.complete.obs. Pearson: t = r sqrt(df / (1 - r^2)), df = n - 2,
# two-sided p, and a 95% Fisher-z interval (n > 3), exactly as
# stats::cor.test; Spearman/Kendall call stats::cor.test (exact p-values for
# small samples without ties, as cor.test decides).
# significance_tests holds `p_values` and `test_statistics` (var -> var ->
# value, off-diagonal pairs), as the output schema describes, plus one entry
# per pair "<v1>_<v2>" {correlation, statistic, p_value, n, conf_int_lower,
# conf_int_upper} as the reference returned (skipped if such a key would
# collide with "p_values"/"test_statistics").
# n_obs: var -> var -> number of rows used.
# Differences from the reference (rmcp 0.12.0): requested non-numeric
# variables are an error rather than silently dropped; correlations that
# would be undefined (constant columns, missing values with use "everything"
# or "na.or.complete" without complete rows) are errors saying how to fix
# them, since the schema allows numbers only.
tool_correlation_analysis <- function(args) {
  data <- rmcp_table(args$data)
  method <- rmcp_enum(args$method, c("pearson", "spearman", "kendall"), "method", "pearson")
  use <- rmcp_enum(args$use, c("everything", "all.obs", "complete.obs", "na.or.complete",
                               "pairwise.complete.obs"), "use", "complete.obs")
  variables <- rmcp_names_arg(args$variables, "variables", required = FALSE)
  cols <- list()
  if (is.null(variables)) {
    for (v in names(data)) {
      x <- rmcp_as_numeric(.subset2(data, v))
      if (!is.null(x)) cols[[v]] <- x
    }
  } else {
    rmcp_require_columns(data, variables, "variables")
    for (v in variables) cols[[v]] <- rmcp_numeric_column(data, v, "variables")
  }
  vars <- names(cols)
  k <- length(vars)
  if (k < 2L) {
    rmcp_stop(if (is.null(variables)) "data" else "variables",
              sprintf("%d numeric column(s) found but a correlation needs at least 2", k),
              paste("pass at least two numeric columns;", rmcp_available(data)))
  }
  X <- matrix(unlist(cols, use.names = FALSE), ncol = k, dimnames = list(NULL, vars))
  na <- is.na(X)
  na_cols <- vars[colSums(na) > 0L]
  if (length(na_cols) && use %in% c("everything", "all.obs")) {
    rmcp_stop("use", sprintf("is '%s' but %s missing values", use,
                             paste(if (length(na_cols) == 1L) "column" else "columns",
                                   rmcp_quote(na_cols), if (length(na_cols) == 1L) "has" else "have")),
              "use 'complete.obs' or 'pairwise.complete.obs'")
  }
  pairwise <- use == "pairwise.complete.obs"
  complete <- rowSums(na) == 0L
  if (!pairwise) {
    if (sum(complete) < 3L) {
      rmcp_stop("data", sprintf("only %d row(s) have values in all of %s", sum(complete), rmcp_quote(vars)),
                "provide more complete rows or use 'pairwise.complete.obs'")
    }
    X <- X[complete, , drop = FALSE]
  }
  for (j in seq_len(k)) {
    x <- X[, j]
    x <- x[!is.na(x)]
    if (length(x) && all(x == x[[1L]])) {
      rmcp_stop("variables", sprintf("column '%s' is constant%s, so its correlations are undefined", vars[[j]],
                                     if (!pairwise && any(!complete)) " on the complete rows" else ""),
                "drop it from 'variables'")
    }
  }
  R <- stats::cor(X, method = method, use = if (pairwise) "pairwise.complete.obs" else "everything")

  corr <- list()
  nobs <- list()
  pvals <- list()
  stats_ <- list()
  for (v in vars) {
    corr[[v]] <- as.list(R[v, ])
    nobs[[v]] <- list()
    pvals[[v]] <- list()
    stats_[[v]] <- list()
  }
  sig <- list(p_values = NULL, test_statistics = NULL)
  pairs <- list()
  rows <- character()
  for (i in seq_len(k - 1L)) {
    for (j in (i + 1L):k) {
      x <- X[, i]
      y <- X[, j]
      if (pairwise) {
        ok <- !is.na(x) & !is.na(y)
        x <- x[ok]
        y <- y[ok]
      }
      n <- length(x)
      r <- R[i, j]
      if (n < 3L || !is.finite(r)) {
        rmcp_stop("data", sprintf("columns '%s' and '%s' have %d complete pair(s) (or a constant column over them)",
                                  vars[[i]], vars[[j]], n),
                  "a correlation test needs at least 3 complete pairs with varying values")
      }
      lo <- hi <- NA_real_
      if (method == "pearson") {
        df <- n - 2L
        stat <- sqrt(df) * r / sqrt(1 - r^2)
        p <- 2 * min(stats::pt(stat, df), stats::pt(stat, df, lower.tail = FALSE))
        if (n > 3L) {
          z <- atanh(r)
          half <- stats::qnorm(0.975) / sqrt(n - 3)
          lo <- tanh(z - half)
          hi <- tanh(z + half)
        }
      } else {
        exact <- if (anyDuplicated(x) || anyDuplicated(y)) FALSE else NULL
        ct <- stats::cor.test(x, y, method = method, exact = exact)
        stat <- unname(ct$statistic)
        p <- ct$p.value
      }
      a <- vars[[i]]
      b <- vars[[j]]
      nobs[[a]][[b]] <- n
      nobs[[b]][[a]] <- n
      pvals[[a]][[b]] <- p
      pvals[[b]][[a]] <- p
      if (is.finite(stat)) {
        stats_[[a]][[b]] <- stat
        stats_[[b]][[a]] <- stat
      }
      entry <- list(correlation = r, statistic = if (is.finite(stat)) stat, p_value = p, n = n,
                    conf_int_lower = if (!is.na(lo)) lo, conf_int_upper = if (!is.na(hi)) hi)
      pairs[[paste(a, b, sep = "_")]] <- entry[!vapply(entry, is.null, NA)]
      rows <- c(rows, sprintf("| %s | %s | %s | %d | %s |", a, b, rmcp_fmt(r), n, rmcp_fmt_p(p)))
    }
  }
  for (v in vars) {
    nobs[[v]][[v]] <- if (pairwise) sum(!is.na(X[, v])) else nrow(X)
    nobs[[v]] <- nobs[[v]][vars]
    pvals[[v]] <- pvals[[v]][setdiff(vars, v)]
    stats_[[v]] <- stats_[[v]][intersect(setdiff(vars, v), names(stats_[[v]]))]
  }
  sig$p_values <- pvals
  sig$test_statistics <- stats_
  pairs <- pairs[setdiff(names(pairs), c("p_values", "test_statistics"))]
  sig <- c(sig, pairs)
  shown <- utils::head(rows, 30L)
  list(
    correlation_matrix = corr,
    significance_tests = sig,
    method = method,
    n_obs = lapply(nobs, function(r) lapply(r, as.integer)),
    variables = I(vars),
    `_formatting` = paste0(
      "**", c(pearson = "Pearson", spearman = "Spearman", kendall = "Kendall")[[method]],
      " correlations** (", k, " variables, use = ", use, ")\n\n",
      paste(c("| variable 1 | variable 2 | r | n | p |", "|---|---|---|---|---|", shown), collapse = "\n"),
      if (length(rows) > 30L) sprintf("\n\n(first 30 of %d pairs shown)", length(rows)) else "")
  )
}
