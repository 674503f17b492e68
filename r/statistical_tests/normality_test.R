# normality_test: Shapiro-Wilk (stats::shapiro.test, 3 to 5000 values),
# Jarque-Bera (tseries::jarque.bera.test) or Anderson-Darling
# (nortest::ad.test, at least 8 values) test of one numeric variable, plus
# its mean, sd, skewness and excess kurtosis (moment formulas with the sample
# sd, as in the reference: m3 / s^3 and m4 / s^4 - 3).
# is_normal: p > 0.05.
# Differences from the reference (rmcp 0.12.0): the reference reads
# `args$test_type`, so `test` is ignored there and Shapiro-Wilk always runs.
# Here `test` selects the test, as the input schema promises.
tool_normality_test <- function(args) {
  data <- rmcp_table(args$data)
  variable <- rmcp_column_arg(args$variable, "variable", what = "a numeric column")
  test <- rmcp_enum(args$test, c("shapiro", "jarque_bera", "anderson"), "test", "shapiro")
  min_n <- c(shapiro = 3L, jarque_bera = 3L, anderson = 8L)[[test]]
  x <- rmcp_clean_numeric(data, variable, "variable", min_n,
                          sprintf("the %s test", c(shapiro = "Shapiro-Wilk", jarque_bera = "Jarque-Bera",
                                                   anderson = "Anderson-Darling")[[test]]))
  n <- length(x)
  rmcp_require_varying(x, variable, "variable", "a normality test")
  if (test == "shapiro" && n > 5000L) {
    rmcp_stop("test", sprintf("Shapiro-Wilk accepts at most 5000 values but column '%s' has %d", variable, n),
              "use test 'anderson' or 'jarque_bera' for large samples")
  }
  result <- switch(test,
    shapiro = {
      t <- stats::shapiro.test(x)
      list(test_name = "Shapiro-Wilk normality test", statistic = unname(t$statistic),
           p_value = t$p.value)
    },
    jarque_bera = {
      t <- tseries::jarque.bera.test(x)
      list(test_name = "Jarque-Bera normality test", statistic = unname(t$statistic),
           df = unname(t$parameter), p_value = unname(t$p.value))
    },
    anderson = {
      t <- nortest::ad.test(x)
      list(test_name = "Anderson-Darling normality test", statistic = unname(t$statistic),
           p_value = t$p.value)
    })
  result$is_normal <- result$p_value > 0.05
  m <- sum(x) / n
  s <- sqrt(sum((x - m)^2) / (n - 1L))
  shape <- rmcp_shape(x, m, s)
  result$variable <- variable
  result$n_obs <- n
  result$mean <- m
  result$sd <- s
  result$skewness <- shape[[1L]]
  result$excess_kurtosis <- shape[[2L]]
  result[["_formatting"]] <- sprintf(
    "**%s** of `%s` (n = %d)\n\n%s = %s, p %s: %s\n\nmean = %s, sd = %s, skewness = %s, excess kurtosis = %s",
    result$test_name, variable, n, if (test == "jarque_bera") "X\u00b2(2)" else if (test == "shapiro") "W" else "A",
    rmcp_fmt(result$statistic), rmcp_p_phrase(result$p_value),
    if (result$is_normal) "no evidence against normality at the 5% level"
    else "normality is rejected at the 5% level",
    rmcp_fmt(m), rmcp_fmt(s), rmcp_fmt(shape[[1L]]), rmcp_fmt(shape[[2L]]))
  result
}
