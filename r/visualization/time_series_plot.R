# time_series_plot: line-and-point plot of data.values against data.dates
# (ISO YYYY-MM-DD; sorted by date) or, without dates, against the index
# 1..n; show_trend adds a least-squares trend line with its 95 % band.
# statistics: mean, sample sd (null for a single value), min, max,
# range (max - min) and n_obs. time_axis: {type "date", start, end,
# span_days} or {type "index", start 1, end n}.
tool_time_series_plot <- function(args) {
  data <- args$data
  if (is.null(data) || !is.list(data)) {
    rmcp_plot_stop("data", "is required", "pass {\"values\": [number, ...], \"dates\": [\"YYYY-MM-DD\", ...]}")
  }
  values <- rmcp_plot_series(data, 1L, "a time series plot")
  n <- length(values)
  show_trend <- rmcp_plot_flag(args$show_trend, "show_trend", TRUE)
  size <- rmcp_plot_size(args, 1000L, 600L)
  title <- rmcp_plot_string(args$title, "title", "Time Series Plot")
  dates <- NULL
  if (!is.null(data[["dates"]])) {
    if (length(data[["dates"]]) != n) {
      rmcp_plot_stop("data.dates", sprintf("has %d entries but data.values has %d", length(data[["dates"]]), n),
                     "pass one date per value")
    }
    dates <- rmcp_plot_dates(data[["dates"]], "data.dates")
  }
  rng <- range(values)
  result <- list(
    plot_type = "time_series_plot",
    statistics = list(mean = mean(values), sd = if (n > 1L) stats::sd(values) else NA_real_,
                      min = rng[[1L]], max = rng[[2L]], range = rng[[2L]] - rng[[1L]], n_obs = n),
    has_dates = !is.null(dates),
    time_axis = if (is.null(dates)) {
      list(type = "index", start = 1L, end = n)
    } else {
      dr <- range(dates)
      list(type = "date", start = format(dr[[1L]]), end = format(dr[[2L]]),
           span_days = as.numeric(dr[[2L]] - dr[[1L]]))
    },
    show_trend = show_trend
  )
  build <- function() {
    df <- if (is.null(dates)) data.frame(t = seq_len(n), y = values) else data.frame(t = dates, y = values)
    df <- df[order(df$t), , drop = FALSE]
    p <- ggplot2::ggplot(df, ggplot2::aes(x = .data$t, y = .data$y)) +
      ggplot2::geom_line(colour = "steelblue", linewidth = 0.8) +
      ggplot2::geom_point(colour = "steelblue", alpha = 0.6, size = 1.5)
    if (show_trend && n >= 3L) {
      p <- p + ggplot2::geom_smooth(method = "lm", formula = y ~ x, se = TRUE, colour = "red",
                                    linewidth = 0.7, linetype = "dashed")
    }
    p + ggplot2::labs(title = title, x = if (is.null(dates)) "Index" else "Date", y = "Value") +
      rmcp_plot_theme()
  }
  result <- rmcp_plot_finish(result, build, args, size)
  st <- result$statistics
  result[["_formatting"]] <- sprintf(
    "**Time series plot** of %d values, %s\n\nmean = %s, sd = %s, min = %s, max = %s",
    n, if (is.null(dates)) "indexed 1 to n" else
      sprintf("%s to %s (%s days)", result$time_axis$start, result$time_axis$end,
              format(result$time_axis$span_days)),
    rmcp_plot_fmt(st$mean), rmcp_plot_fmt(st$sd), rmcp_plot_fmt(st$min), rmcp_plot_fmt(st$max))
  result
}
