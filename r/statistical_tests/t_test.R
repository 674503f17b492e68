# t_test: one-sample, two-sample (Welch or pooled) and paired t-tests with
# stats::t.test.
#
# One-sample when `group` is absent (H0: mean = mu). Otherwise the two sorted
# distinct non-missing values of `group` define x (first) and y (second);
# H0: mean(x) - mean(y) = mu. Paired: the i-th x is paired with the i-th y (in
# row order); both groups need the same number of rows and pairs with a
# missing value are dropped.
# Differences from the reference (rmcp 0.12.0):
# * `mu` is also used for two-sample tests (the reference ignores it there);
#   the result then also carries `null_value`.
# * A one-sided interval has an infinite bound; it is left out of
#   `confidence_interval` (the schema allows numbers only).
# * Too few values, constant data, unequal group sizes for a paired test and
#   a group column without exactly two values are errors saying so.
tool_t_test <- function(args) {
  data <- rmcp_table(args$data)
  variable <- rmcp_column_arg(args$variable, "variable", what = "a numeric column")
  values <- rmcp_numeric_column(data, variable, "variable")
  mu <- rmcp_number(args$mu, "mu", 0)
  alternative <- rmcp_enum(args$alternative, c("two.sided", "less", "greater"), "alternative",
                           "two.sided")
  paired <- rmcp_flag(args$paired, "paired", FALSE)
  var_equal <- rmcp_flag(args$var_equal, "var_equal", FALSE)
  group <- args$group
  ci_list <- function(tt) {
    ci <- as.numeric(tt$conf.int)
    out <- list()
    if (is.finite(ci[[1L]])) out$lower <- ci[[1L]]
    if (is.finite(ci[[2L]])) out$upper <- ci[[2L]]
    out$level <- attr(tt$conf.int, "conf.level")
    out
  }
  ci_text <- function(ci) {
    sprintf("95%% CI [%s, %s]", if (is.null(ci$lower)) "-Inf" else rmcp_fmt(ci$lower),
            if (is.null(ci$upper)) "Inf" else rmcp_fmt(ci$upper))
  }
  h1 <- c(two.sided = "!=", less = "<", greater = ">")[[alternative]]

  if (is.null(group)) {
    if (paired) {
      rmcp_stop("paired", "needs a 'group' column with the two paired conditions",
                "pass 'group' or set paired to false")
    }
    x <- values[!is.na(values)]
    if (length(x) < 2L) {
      rmcp_stop("variable", sprintf("column '%s' has %d non-missing value(s)", variable, length(x)),
                "a t-test needs at least 2 values")
    }
    rmcp_require_varying(x, variable, "variable", "the t statistic")
    tt <- stats::t.test(x, mu = mu, alternative = alternative)
    ci <- ci_list(tt)
    return(list(
      test_type = "One-sample t-test",
      statistic = unname(tt$statistic),
      df = unname(tt$parameter),
      p_value = tt$p.value,
      confidence_interval = ci,
      mean = unname(tt$estimate),
      null_value = mu,
      alternative = alternative,
      n_obs = length(x),
      `_formatting` = sprintf(
        "**One-sample t-test** of `%s` (n = %d)\n\nmean = %s, H1: mean %s %s\n\nt(%s) = %s, p %s; %s",
        variable, length(x), rmcp_fmt(tt$estimate), h1, rmcp_fmt(mu), rmcp_fmt(tt$parameter),
        rmcp_fmt(tt$statistic), rmcp_p_phrase(tt$p.value), ci_text(ci))
    ))
  }

  group <- rmcp_column_arg(group, "group", what = "the grouping column")
  rmcp_require_columns(data, group, "group")
  g <- .subset2(data, group)
  levels <- sort(unique(g[!is.na(g)]))
  if (length(levels) != 2L) {
    rmcp_stop("group", sprintf("column '%s' has %d distinct values (%s) but a two-sample t-test needs exactly 2",
                               group, length(levels), rmcp_quote(levels, 6L)),
              "filter the data to two groups or use anova for more")
  }
  x <- values[!is.na(g) & g == levels[[1L]]]
  y <- values[!is.na(g) & g == levels[[2L]]]
  labels <- as.character(levels)
  if (is.logical(levels)) labels <- ifelse(levels, "true", "false")
  if (paired) {
    if (length(x) != length(y)) {
      rmcp_stop("paired", sprintf("groups '%s' and '%s' have %d and %d rows, but a paired test needs one row per pair in each",
                                  labels[[1L]], labels[[2L]], length(x), length(y)),
                "give both groups the same number of rows (in pair order) or set paired to false")
    }
    keep <- !is.na(x) & !is.na(y)
    x <- x[keep]
    y <- y[keep]
    if (length(x) < 2L) {
      rmcp_stop("variable", sprintf("only %d complete pair(s)", length(x)), "a paired t-test needs at least 2 pairs")
    }
    rmcp_require_varying(x - y, paste0(variable, " differences"), "variable", "the paired t statistic")
  } else {
    x <- x[!is.na(x)]
    y <- y[!is.na(y)]
    if (length(x) < 2L || length(y) < 2L) {
      rmcp_stop("variable", sprintf("groups '%s' and '%s' have %d and %d non-missing values",
                                    labels[[1L]], labels[[2L]], length(x), length(y)),
                "each group needs at least 2 values")
    }
    if (all(c(x, y) == x[[1L]])) {
      rmcp_stop("variable", sprintf("column '%s' is constant in both groups", variable),
                "the t statistic is undefined for constant data")
    }
  }
  tt <- stats::t.test(x, y, mu = mu, alternative = alternative, paired = paired,
                      var.equal = var_equal)
  mx <- sum(x) / length(x)
  my <- sum(y) / length(y)
  test_type <- if (paired) "Paired t-test" else if (var_equal) "Two-sample t-test (equal variances)"
               else "Welch's t-test"
  ci <- ci_list(tt)
  list(
    test_type = test_type,
    statistic = unname(tt$statistic),
    df = unname(tt$parameter),
    p_value = tt$p.value,
    confidence_interval = ci,
    mean_x = mx,
    mean_y = my,
    mean_difference = if (paired) unname(tt$estimate) else mx - my,
    groups = I(labels),
    null_value = mu,
    alternative = alternative,
    paired = paired,
    var_equal = var_equal,
    n_obs_x = length(x),
    n_obs_y = length(y),
    `_formatting` = sprintf(
      "**%s** of `%s` by `%s`\n\n| group | n | mean |\n|---|---|---|\n| %s | %d | %s |\n| %s | %d | %s |\n\nH1: difference %s %s; t(%s) = %s, p %s; %s for the difference",
      test_type, variable, group, labels[[1L]], length(x), rmcp_fmt(mx), labels[[2L]], length(y),
      rmcp_fmt(my), h1, rmcp_fmt(mu), rmcp_fmt(tt$parameter), rmcp_fmt(tt$statistic),
      rmcp_p_phrase(tt$p.value), ci_text(ci))
  )
}
