# stationarity_test: Augmented Dickey-Fuller (tseries::adf.test), KPSS
# (tseries::kpss.test, level stationarity) or Phillips-Perron
# (tseries::pp.test) on ts(values). is_stationary: p < 0.05 for ADF and PP
# (null: unit root), p > 0.05 for KPSS (null: stationarity). tseries
# interpolates p-values in a table and clamps them to [0.01, 0.1] (KPSS) or
# [0.01, 0.99]; it then warns, and the warning is reported. critical_values
# is always an empty object: tseries does not return critical values.
# Shortest series: the fewest values whose test regression keeps residual
# degrees of freedom. ADF needs 7 (below, tseries errors or its statistic is
# NaN), PP 5 (below, tseries errors, or at 4 the regression is exact),
# KPSS 3 (with 2 values its statistic is 0.5 whatever they are). Under 8
# values the result comes with a warning: such a test has next to no power.
# Difference from the reference (rmcp 0.12.0): kpss.test has no
# `alternative`; the reference then returns null (which its own output
# schema rejects); here it is "non-stationary" (KPSS's alternative).
tool_stationarity_test <- function(args) {
  test <- rmcp_plot_enum(args$test, c("adf", "kpss", "pp"), "test", "adf")
  min_n <- c(adf = 7L, kpss = 3L, pp = 5L)[[test]]
  values <- rmcp_plot_series(args$data, min_n,
                             c(adf = "the Augmented Dickey-Fuller test", kpss = "the KPSS test",
                               pp = "the Phillips-Perron test")[[test]])
  if (all(values == values[[1L]])) {
    rmcp_plot_stop("data.values", "is constant", "a stationarity test needs a series whose values vary")
  }
  if (length(values) < 8L) {
    warning(sprintf("data.values: has only %d values, too few for a stationarity test to tell much; treat the result with caution and pass a longer series if you can",
                    length(values)), call. = FALSE)
  }
  x <- stats::ts(values)
  t <- rmcp_plot_try(switch(test,
                            adf = tseries::adf.test(x),
                            kpss = tseries::kpss.test(x),
                            pp = tseries::pp.test(x)),
                     "data.values", "check that the series is long enough and not degenerate")
  statistic <- unname(t$statistic)
  p <- unname(t$p.value)
  if (!is.finite(statistic) || !is.finite(p)) {
    rmcp_plot_stop("data.values", "the test statistic is undefined for this series",
                   "pass a longer series with more variation")
  }
  test_name <- c(adf = "Augmented Dickey-Fuller", kpss = "KPSS", pp = "Phillips-Perron")[[test]]
  is_stationary <- if (test == "kpss") p > 0.05 else p < 0.05
  result <- list(
    test_name = test_name,
    test_type = test,
    statistic = statistic,
    p_value = p,
    critical_values = structure(list(), names = character(0)),
    alternative = if (is.null(t$alternative)) "non-stationary" else t$alternative,
    is_stationary = is_stationary,
    n_obs = length(values)
  )
  result[["_formatting"]] <- sprintf(
    paste0("**%s test** (n = %d, %s = %s)\n\n%s = %s, p = %s%s\n\n",
           "H0: %s. Conclusion: the series appears **%s** at the 5%% level."),
    test_name, length(values), names(t$parameter), rmcp_plot_fmt(unname(t$parameter)),
    names(t$statistic), rmcp_plot_fmt(statistic), rmcp_plot_fmt(p),
    if (p <= 0.01 || (test == "kpss" && p >= 0.1) || p >= 0.99) " (clamped at the table's edge)" else "",
    if (test == "kpss") "the series is level-stationary" else "the series has a unit root",
    if (is_stationary) "stationary" else "non-stationary")
  result
}
