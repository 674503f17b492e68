# boxplot: ggplot2 box plot of one numeric variable, one box per level of
# `group` when given. summary_statistics["Overall"] holds the median,
# quartiles (quantile type 7), IQR, count and the number of points outside
# the 1.5 x IQR fences over all non-missing values.
# Difference from the reference (rmcp 0.12.0): with `group`, the same
# statistics are also given per group level (keys "<level>"; a level named
# "Overall" is skipped); the reference only gives "Overall".
tool_boxplot <- function(args) {
  data <- rmcp_plot_table(args$data)
  variable <- rmcp_plot_column_arg(args$variable, data, "variable")
  group <- rmcp_plot_column_arg(args$group, data, "group", optional = TRUE)
  size <- rmcp_plot_size(args, 800L, 600L)
  title <- rmcp_plot_string(args$title, "title", paste("Boxplot of", variable))
  x <- rmcp_plot_numeric(data, variable, "variable")
  ok <- !is.na(x)
  if (!any(ok)) {
    rmcp_plot_stop("variable", sprintf("column '%s' has no non-missing values", variable),
                   "choose a column with numbers")
  }
  box_stats <- function(v) {
    q <- stats::quantile(v, c(0.25, 0.5, 0.75), names = FALSE)
    iqr <- q[[3L]] - q[[1L]]
    list(median = q[[2L]], q1 = q[[1L]], q3 = q[[3L]], iqr = iqr, n = length(v),
         outliers = sum(v < q[[1L]] - 1.5 * iqr | v > q[[3L]] + 1.5 * iqr))
  }
  summary_statistics <- list(Overall = box_stats(x[ok]))
  g <- NULL
  if (!is.null(group)) {
    g <- factor(as.character(data[[group]]))
    per <- split(x[ok], g[ok], drop = TRUE)
    per <- per[setdiff(names(per), "Overall")]
    summary_statistics <- c(summary_statistics, lapply(per, box_stats))
  }
  result <- list(
    plot_type = "boxplot",
    variable = variable,
    group_variable = group,
    summary_statistics = summary_statistics
  )
  build <- function() {
    if (!is.null(group)) {
      df <- data.frame(y = x, g = g)
      p <- ggplot2::ggplot(df, ggplot2::aes(x = .data$g, y = .data$y, fill = .data$g)) +
        ggplot2::geom_boxplot(alpha = 0.7, na.rm = TRUE) +
        ggplot2::labs(x = group, fill = group)
    } else {
      df <- data.frame(x = variable, y = x)
      p <- ggplot2::ggplot(df, ggplot2::aes(x = .data$x, y = .data$y)) +
        ggplot2::geom_boxplot(fill = "steelblue", alpha = 0.7, width = 0.5, na.rm = TRUE) +
        ggplot2::labs(x = "")
    }
    p + ggplot2::labs(title = title, y = variable) + rmcp_plot_theme()
  }
  result <- rmcp_plot_finish(result, build, args, size)
  o <- summary_statistics$Overall
  lines <- vapply(names(summary_statistics), function(nm) {
    s <- summary_statistics[[nm]]
    sprintf("| %s | %d | %s | %s | %s | %s | %d |", nm, s$n, rmcp_plot_fmt(s$q1), rmcp_plot_fmt(s$median),
            rmcp_plot_fmt(s$q3), rmcp_plot_fmt(s$iqr), s$outliers)
  }, "")
  result[["_formatting"]] <- paste0(
    sprintf("**Boxplot** of `%s`%s\n\n", variable, if (is.null(group)) "" else sprintf(" by `%s`", group)),
    "| | n | Q1 | median | Q3 | IQR | outliers |\n|---|---|---|---|---|---|---|\n",
    paste(utils::head(lines, 21L), collapse = "\n"),
    if (length(lines) > 21L) sprintf("\n\n(%d more groups)", length(lines) - 21L) else "")
  result
}
