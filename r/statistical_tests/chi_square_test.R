# chi_square_test: Pearson's chi-square test of independence (two columns)
# or goodness of fit (one column against expected proportions), with
# base::table + stats::chisq.test (Yates' continuity correction for 2x2
# tables, as chisq.test does by default).
#
# Independence: contingency_table, expected_frequencies and residuals (Pearson
# residuals) are matrices as arrays of rows: rows are the sorted distinct
# values of x, columns those of y. cramers_v = sqrt(X^2 / (n (min(r, c) - 1))).
# Goodness of fit: observed_frequencies and categories follow the sorted
# distinct values of x; expected_frequencies and residuals are returned as
# one-column matrices (one row per category), because the output schema types
# them as arrays of arrays. `expected` (counts or proportions, rescaled to
# sum to 1) defaults to equal proportions.
# Differences from the reference (rmcp 0.12.0): the goodness-of-fit matrices
# above (the reference returned flat arrays, which its own schema rejects);
# expected values must be positive (a zero makes the statistic infinite).
tool_chi_square_test <- function(args) {
  data <- rmcp_table(args$data)
  test_type <- args$test_type
  if (is.null(test_type)) {
    rmcp_stop("test_type", "is required", "use 'independence' or 'goodness_of_fit'")
  }
  test_type <- rmcp_enum(test_type, c("independence", "goodness_of_fit"), "test_type")
  x_name <- rmcp_column_arg(args$x, "x", what = "a categorical column")
  rmcp_require_columns(data, x_name, "x")
  label <- function(v) {
    u <- sort(unique(v[!is.na(v)]))
    list(levels = u, labels = if (is.logical(u)) ifelse(u, "true", "false") else as.character(u))
  }
  x <- .subset2(data, x_name)
  lx <- label(x)
  if (length(lx$levels) < 2L) {
    rmcp_stop("x", sprintf("column '%s' has %d distinct non-missing value(s)", x_name, length(lx$levels)),
              "a chi-square test needs at least 2 categories")
  }

  if (test_type == "independence") {
    if (is.null(args$y)) {
      rmcp_stop("y", "is required for test_type 'independence'",
                "pass the name of a second categorical column")
    }
    y_name <- rmcp_column_arg(args$y, "y", what = "a second categorical column")
    rmcp_require_columns(data, y_name, "y")
    y <- .subset2(data, y_name)
    ly <- label(y)
    if (length(ly$levels) < 2L) {
      rmcp_stop("y", sprintf("column '%s' has %d distinct non-missing value(s)", y_name, length(ly$levels)),
                "a test of independence needs at least 2 categories in each column")
    }
    ok <- !is.na(x) & !is.na(y)
    tab <- table(factor(x[ok], levels = lx$levels, labels = lx$labels),
                 factor(y[ok], levels = ly$levels, labels = ly$labels))
    if (any(rowSums(tab) == 0) || any(colSums(tab) == 0)) {
      rmcp_stop("data", "some categories occur only in rows where the other column is missing",
                "remove those rows or fill in the missing values")
    }
    test <- stats::chisq.test(tab)
    n <- sum(tab)
    stat <- unname(test$statistic)
    v <- sqrt(stat / (n * (min(dim(tab)) - 1L)))
    md <- rmcp_md_table(c(paste0(x_name, " / ", y_name), ly$labels),
                        c(list(lx$labels), lapply(seq_len(ncol(tab)), function(j) as.character(tab[, j]))))
    return(list(
      test_type = "Chi-square test of independence",
      contingency_table = unclass(unname(as.matrix(tab)))[, , drop = FALSE],
      statistic = stat,
      df = unname(test$parameter),
      p_value = test$p.value,
      expected_frequencies = unname(test$expected),
      residuals = unname(unclass(test$residuals))[, , drop = FALSE],
      x_variable = x_name,
      y_variable = y_name,
      cramers_v = min(v, 1),
      `_formatting` = paste0(
        "**Chi-square test of independence**: `", x_name, "` vs `", y_name, "` (n = ", n, ")\n\n", md,
        "\n\nX\u00b2(", test$parameter, ") = ", rmcp_fmt(stat), ", p ", rmcp_p_phrase(test$p.value),
        ", Cram\u00e9r's V = ", rmcp_fmt(v),
        if (any(test$expected < 5)) "\n\nSome expected counts are below 5; the approximation may be poor." else "")
    ))
  }

  obs <- tabulate(match(x[!is.na(x)], lx$levels), length(lx$levels))
  k <- length(obs)
  expected <- args$expected
  if (is.null(expected)) {
    p <- rep(1 / k, k)
  } else {
    if (!is.numeric(expected) || anyNA(expected) || length(expected) != k) {
      rmcp_stop("expected", sprintf("has %d value(s) but column '%s' has %d categories (%s)",
                                    length(expected), x_name, k, rmcp_quote(lx$labels)),
                "pass one expected count or proportion per category, in that order")
    }
    if (any(expected <= 0)) {
      rmcp_stop("expected", "contains zero or negative values",
                "give every category a positive expected count or proportion")
    }
    p <- expected / sum(expected)
  }
  test <- stats::chisq.test(obs, p = p)
  e <- unname(test$expected)
  res <- unname(test$residuals)
  md <- rmcp_md_table(c(x_name, "observed", "expected", "residual"),
                      list(lx$labels, as.character(obs), rmcp_fmt(e), rmcp_fmt(res)))
  list(
    test_type = "Chi-square goodness of fit test",
    observed_frequencies = I(as.numeric(obs)),
    expected_frequencies = matrix(e, ncol = 1L),
    statistic = unname(test$statistic),
    df = unname(test$parameter),
    p_value = test$p.value,
    residuals = matrix(res, ncol = 1L),
    categories = I(lx$labels),
    `_formatting` = paste0(
      "**Chi-square goodness of fit**: `", x_name, "` (n = ", sum(obs), ")\n\n", md,
      "\n\nX\u00b2(", test$parameter, ") = ", rmcp_fmt(test$statistic), ", p ",
      rmcp_p_phrase(test$p.value))
  )
}
