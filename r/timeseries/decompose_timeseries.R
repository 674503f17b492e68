# decompose_timeseries: classical moving-average decomposition
# (stats::decompose) of ts(values, frequency) into trend, seasonal and
# remainder; the ends of trend/remainder that the centred moving average
# cannot reach are null. Needs at least two full periods, a frequency of at
# least 2, and non-negative values for the multiplicative model. Zeros are
# allowed there, as by stats::decompose and the reference, with a warning:
# the ratios to the trend are 0 at zeros, and undefined (null) where the
# trend is 0.
tool_decompose_timeseries <- function(args) {
  frequency <- rmcp_plot_int(args$frequency, "frequency", 12L, 1L)
  type <- rmcp_plot_enum(args$type, c("additive", "multiplicative"), "type", "additive")
  values <- rmcp_plot_series(args$data, 1L, "a decomposition")
  n <- length(values)
  if (frequency < 2L) {
    rmcp_plot_stop("frequency", "must be at least 2 for a seasonal decomposition",
                   "pass the number of observations per season, e.g. 12 for monthly or 4 for quarterly data")
  }
  if (n < 2L * frequency) {
    rmcp_plot_stop("data.values", sprintf(
      "time series too short for decomposition: %d values, but frequency %d needs at least %d (two full periods)",
      n, frequency, 2L * frequency),
      "pass a longer series or a smaller frequency")
  }
  if (type == "multiplicative" && any(values < 0)) {
    rmcp_plot_stop("type", "multiplicative decomposition needs non-negative values",
                   "use type 'additive', or shift the series above zero")
  }
  if (type == "multiplicative" && any(values == 0)) {
    zeros <- which(values == 0)
    warning(sprintf(paste0("data.values: has %d zero value%s (position%s %s): a multiplicative decomposition ",
                           "takes ratios to the trend, which are 0 at zeros and undefined (null) where the ",
                           "trend is 0; use type 'additive' for a series with zeros"),
                    length(zeros), if (length(zeros) == 1L) "" else "s", if (length(zeros) == 1L) "" else "s",
                    paste(utils::head(zeros, 10L), collapse = ", ")),
            call. = FALSE)
  }
  d <- stats::decompose(stats::ts(values, frequency = frequency), type = type)
  seasonal_figure <- d$figure
  result <- list(
    original = I(values),
    trend = I(as.numeric(d$trend)),
    seasonal = I(as.numeric(d$seasonal)),
    remainder = I(as.numeric(d$random)),
    type = type,
    frequency = frequency,
    n_obs = n
  )
  trend <- result$trend[!is.na(result$trend)]
  result[["_formatting"]] <- sprintf(
    paste0("**%s decomposition** of %d observations (frequency %d)\n\n",
           "Trend: %s to %s (%d leading and trailing values undefined)\n\n",
           "Seasonal figure: %s"),
    if (type == "additive") "Additive" else "Multiplicative", n, frequency,
    rmcp_plot_fmt(trend[[1L]]), rmcp_plot_fmt(trend[[length(trend)]]), n - length(trend),
    paste(rmcp_plot_fmt(seasonal_figure), collapse = ", "))
  result
}
