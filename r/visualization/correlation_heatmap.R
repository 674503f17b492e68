# correlation_heatmap: stats::cor(use = "complete.obs", method) of the
# chosen numeric variables (default: every numeric column), drawn as a
# ggplot2 tile map (blue -1, white 0, red +1) with the rounded coefficients
# written in each tile. correlation_matrix is column-wise: one array per
# variable, in `variables` order; a constant column's entries are null.
tool_correlation_heatmap <- function(args) {
  data <- rmcp_plot_table(args$data)
  method <- rmcp_plot_enum(args$method, c("pearson", "spearman", "kendall"), "method", "pearson")
  size <- rmcp_plot_size(args, 800L, 800L)
  variables <- args$variables
  if (is.null(variables)) {
    is_num <- vapply(data, function(col) is.numeric(col), TRUE)
    variables <- names(data)[is_num]
    if (length(variables) < 2L) {
      rmcp_plot_stop("data", sprintf("has %d numeric columns", length(variables)),
                     "a correlation heatmap needs at least 2 numeric columns")
    }
  } else {
    if (!is.character(variables) || anyNA(variables)) {
      rmcp_plot_stop("variables", "must be an array of column names",
                     sprintf("name numeric columns from: %s", rmcp_plot_quote(names(data))))
    }
    variables <- unique(variables)
    rmcp_plot_require_columns(data, variables, "variables")
    if (length(variables) < 2L) {
      rmcp_plot_stop("variables", "names fewer than 2 columns", "name at least 2 numeric columns")
    }
    not_num <- variables[!vapply(variables, function(v) is.numeric(data[[v]]) || is.logical(data[[v]]), TRUE)]
    if (length(not_num)) {
      rmcp_plot_stop("variables", sprintf("%s not numeric", if (length(not_num) == 1L)
        sprintf("column %s is", rmcp_plot_quote(not_num)) else sprintf("columns %s are", rmcp_plot_quote(not_num))),
        "name numeric columns only")
    }
  }
  title <- rmcp_plot_string(args$title, "title", paste("Correlation Heatmap -", toupper(method)))
  x <- vapply(variables, function(v) as.numeric(data[[v]]), numeric(nrow(data)))
  if (!is.matrix(x)) x <- matrix(x, nrow = 1L, dimnames = list(NULL, variables))
  complete <- sum(stats::complete.cases(x))
  if (complete < 3L) {
    rmcp_plot_stop("data", sprintf("has %d rows with a value in every chosen column", complete),
                   "pass at least 3 complete rows")
  }
  cm <- suppressWarnings(stats::cor(x, use = "complete.obs", method = method))
  k <- length(variables)
  result <- list(
    plot_type = "heatmap",
    correlation_matrix = stats::setNames(lapply(seq_len(k), function(j) I(unname(cm[, j]))), variables),
    variables = I(variables),
    method = method,
    n_variables = k
  )
  build <- function() {
    df <- data.frame(Var1 = factor(rep(variables, times = k), levels = variables),
                     Var2 = factor(rep(variables, each = k), levels = variables),
                     Correlation = as.vector(cm))
    ggplot2::ggplot(df, ggplot2::aes(x = .data$Var1, y = .data$Var2, fill = .data$Correlation)) +
      ggplot2::geom_tile(colour = "white") +
      ggplot2::scale_fill_gradient2(low = "blue", mid = "white", high = "red", midpoint = 0,
                                    limits = c(-1, 1), na.value = "grey80") +
      ggplot2::geom_text(ggplot2::aes(label = ifelse(is.na(.data$Correlation), "NA",
                                                     sprintf("%.2f", .data$Correlation))),
                         size = if (k > 12L) 2 else 3.5) +
      ggplot2::labs(title = title, x = "", y = "") +
      rmcp_plot_theme() +
      ggplot2::theme(axis.text.x = ggplot2::element_text(angle = 45, hjust = 1))
  }
  result <- rmcp_plot_finish(result, build, args, size)
  off <- cm[upper.tri(cm)]
  pairs <- which(upper.tri(cm), arr.ind = TRUE)
  best <- if (any(!is.na(off))) which.max(abs(off)) else NA_integer_
  result[["_formatting"]] <- sprintf(
    "**Correlation heatmap** (%s) of %d variables over %d complete rows%s",
    method, k, complete,
    if (is.na(best)) "" else sprintf("\n\nStrongest pair: `%s` and `%s`, r = %s",
                                     variables[pairs[best, 1L]], variables[pairs[best, 2L]],
                                     rmcp_plot_fmt(off[[best]])))
  result
}
