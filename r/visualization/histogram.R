# histogram: ggplot2 histogram of one numeric variable (density scale) with
# a kernel density curve on top; with `group`, overlapping histograms and
# densities per group. Statistics are over the non-missing values (as in
# the reference): mean, median, sample sd, skewness m3 / sd^3 and excess
# kurtosis m4 / sd^4 - 3 (m_k: k-th central moment with divisor n, sd with
# divisor n - 1).
# Difference from the reference: the reference draws counts with a density
# curve on the count axis (where it is flat near zero); here bars and
# curve share the density scale.
tool_histogram <- function(args) {
  data <- rmcp_plot_table(args$data)
  variable <- rmcp_plot_column_arg(args$variable, data, "variable")
  group <- rmcp_plot_column_arg(args$group, data, "group", optional = TRUE)
  bins <- rmcp_plot_int(args$bins, "bins", 30L, 5L, 100L)
  size <- rmcp_plot_size(args, 800L, 600L)
  title <- rmcp_plot_string(args$title, "title", paste("Histogram of", variable))
  x <- rmcp_plot_numeric(data, variable, "variable")
  values <- x[!is.na(x)]
  n <- length(values)
  if (n < 2L) {
    rmcp_plot_stop("variable", sprintf("column '%s' has %d non-missing values", variable, n),
                   "a histogram with summary statistics needs at least 2 values")
  }
  rmcp_plot_require_varying(values, variable, "variable", "a histogram")
  m <- sum(values) / n
  dev <- values - m
  s <- sqrt(sum(dev^2) / (n - 1L))
  stats <- list(
    mean = m,
    median = stats::median(values),
    sd = s,
    skewness = (sum(dev^3) / n) / s^3,
    kurtosis = (sum(dev^4) / n) / s^4 - 3
  )
  result <- list(
    plot_type = "histogram",
    variable = variable,
    group_variable = group,
    bins = bins,
    statistics = stats,
    n_obs = n
  )
  build <- function() {
    df <- data.frame(x = x)
    if (!is.null(group)) {
      df$group <- factor(as.character(data[[group]]))
      p <- ggplot2::ggplot(df, ggplot2::aes(x = .data$x, fill = .data$group, colour = .data$group)) +
        ggplot2::geom_histogram(ggplot2::aes(y = ggplot2::after_stat(density)), bins = bins,
                                alpha = 0.5, position = "identity", colour = NA, na.rm = TRUE) +
        ggplot2::geom_density(fill = NA, linewidth = 0.8, na.rm = TRUE) +
        ggplot2::labs(fill = group, colour = group)
    } else {
      p <- ggplot2::ggplot(df, ggplot2::aes(x = .data$x)) +
        ggplot2::geom_histogram(ggplot2::aes(y = ggplot2::after_stat(density)), bins = bins,
                                alpha = 0.7, fill = "steelblue", na.rm = TRUE) +
        ggplot2::geom_density(colour = "red", linewidth = 0.8, na.rm = TRUE)
    }
    p + ggplot2::labs(title = title, x = variable, y = "Density") + rmcp_plot_theme()
  }
  result <- rmcp_plot_finish(result, build, args, size)
  result[["_formatting"]] <- sprintf(
    paste0("**Histogram** of `%s`%s (%d values, %d bins)\n\n",
           "mean = %s, median = %s, sd = %s, skewness = %s, excess kurtosis = %s"),
    variable, if (is.null(group)) "" else sprintf(" by `%s`", group), n, bins,
    rmcp_plot_fmt(m), rmcp_plot_fmt(stats$median), rmcp_plot_fmt(s),
    rmcp_plot_fmt(stats$skewness), rmcp_plot_fmt(stats$kurtosis))
  result
}
