# scatter_plot: ggplot2 scatter of y against x with a least-squares line
# (geom_smooth(method = "lm") with its 95 % band; one line per group when
# `group` names a column, coloured by group). Statistics use the complete
# (x, y) pairs: Pearson correlation, their count, and the fitted line
# (slope, intercept, R²).
tool_scatter_plot <- function(args) {
  data <- rmcp_plot_table(args$data)
  x_var <- rmcp_plot_column_arg(args$x, data, "x")
  y_var <- rmcp_plot_column_arg(args$y, data, "y")
  group <- rmcp_plot_column_arg(args$group, data, "group", optional = TRUE)
  size <- rmcp_plot_size(args, 800L, 600L)
  title <- rmcp_plot_string(args$title, "title", paste("Scatter plot:", y_var, "vs", x_var))
  x <- rmcp_plot_numeric(data, x_var, "x")
  y <- rmcp_plot_numeric(data, y_var, "y")
  ok <- !is.na(x) & !is.na(y)
  n <- sum(ok)
  if (n < 2L) {
    rmcp_plot_stop("data", sprintf("has %d rows where both '%s' and '%s' have values", n, x_var, y_var),
                   "pass at least 2 complete (x, y) pairs")
  }
  rmcp_plot_require_varying(x[ok], x_var, "x", "a scatter plot with a trend line")
  rmcp_plot_require_varying(y[ok], y_var, "y", "a correlation")
  xs <- x[ok]
  ys <- y[ok]
  r <- stats::cor(xs, ys)
  slope <- sum((xs - mean(xs)) * (ys - mean(ys))) / sum((xs - mean(xs))^2)
  intercept <- mean(ys) - slope * mean(xs)
  result <- list(
    plot_type = "scatter",
    variables = list(x = x_var, y = y_var, group = group),
    statistics = list(correlation = r, n_points = n,
                      trend_line = list(slope = slope, intercept = intercept, r_squared = r^2))
  )
  build <- function() {
    df <- data.frame(x = x, y = y)
    p <- ggplot2::ggplot(df, ggplot2::aes(x = .data$x, y = .data$y))
    if (!is.null(group)) {
      df$group <- factor(as.character(data[[group]]))
      p <- ggplot2::ggplot(df, ggplot2::aes(x = .data$x, y = .data$y, colour = .data$group)) +
        ggplot2::geom_point(alpha = 0.7, na.rm = TRUE) +
        ggplot2::geom_smooth(method = "lm", formula = y ~ x, se = TRUE, na.rm = TRUE) +
        ggplot2::labs(colour = group)
    } else {
      p <- p + ggplot2::geom_point(alpha = 0.7, na.rm = TRUE) +
        ggplot2::geom_smooth(method = "lm", formula = y ~ x, se = TRUE, colour = "blue", na.rm = TRUE)
    }
    p + ggplot2::labs(title = title, x = x_var, y = y_var) + rmcp_plot_theme()
  }
  result <- rmcp_plot_finish(result, build, args, size)
  result[["_formatting"]] <- sprintf(
    "**Scatter plot** of `%s` vs `%s`%s (%d points)\n\nr = %s; trend line %s = %s %s %s \u00d7 %s (R\u00b2 = %s)",
    y_var, x_var, if (is.null(group)) "" else sprintf(" by `%s`", group), n, rmcp_plot_fmt(r),
    y_var, rmcp_plot_fmt(intercept), if (slope < 0) "-" else "+", rmcp_plot_fmt(abs(slope)), x_var,
    rmcp_plot_fmt(r^2))
  result
}
