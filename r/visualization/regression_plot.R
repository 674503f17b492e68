# regression_plot: fits stats::lm(formula, data) and draws, when
# residual_plots (default), the four diagnostic panels (residuals vs
# fitted, normal Q-Q of standardized residuals, scale-location, residuals
# vs leverage; a lowess smoother where there are at least 10 points)
# arranged 2 x 2 with gridExtra::arrangeGrob; otherwise one panel of
# observed against fitted values with the identity line.
# Result: R², adjusted R² and residual standard error (null when
# undefined), the formula as given, residual_plots, n_obs (rows used).
# With no residual degrees of freedom (as many rows as estimable
# coefficients) the fit is exact: R² is 1 and adjusted R² and the residual
# standard error are undefined (null, R's NaN), as in summary.lm and the
# reference, with a warning.
tool_regression_plot <- function(args) {
  data <- rmcp_plot_table(args$data)
  spec <- rmcp_plot_formula(args$formula, data)
  residual_plots <- rmcp_plot_flag(args$residual_plots, "residual_plots", TRUE)
  size <- rmcp_plot_size(args, 1200L, 800L)
  title <- rmcp_plot_string(args$title, "title", "Regression Diagnostic Plots")
  if (!is.numeric(data[[spec$response]]) && !is.logical(data[[spec$response]])) {
    rmcp_plot_stop("formula", sprintf("response '%s' is not numeric", spec$response),
                   "use a numeric response for a linear model")
  }
  model <- rmcp_plot_try(stats::lm(spec$formula, data = data), "formula",
                         "check the formula's variables and their types")
  n <- stats::nobs(model)
  p <- model$rank
  fitted <- unname(stats::fitted(model))
  res <- unname(stats::residuals(model))
  y <- fitted + res
  rss <- sum(res^2)
  has_intercept <- attr(stats::terms(model), "intercept") == 1L
  tss <- if (has_intercept) sum((y - mean(y))^2) else sum(y^2)
  df_int <- if (has_intercept) 1L else 0L
  r2 <- if (tss > 0) max(0, min(1, 1 - rss / tss)) else NA_real_
  if (is.na(r2)) {
    rmcp_plot_stop("formula", sprintf("response '%s' is constant", spec$response),
                   "a regression needs a response whose values vary")
  }
  if (n <= p) {
    warning(sprintf(paste0("data: has %d complete rows for %d coefficients, so the fit is exact and adjusted R\u00b2 ",
                           "and the residual standard error are undefined (null); pass more rows than coefficients ",
                           "(rows with missing values are dropped)"), n, length(stats::coef(model))),
            call. = FALSE)
  }
  adj <- if (n > p) 1 - (1 - r2) * ((n - df_int) / (n - p)) else NA_real_
  sigma <- if (n > p) sqrt(rss / (n - p)) else NA_real_
  result <- list(
    plot_type = "regression_plot",
    r_squared = r2,
    adj_r_squared = adj,
    residual_se = sigma,
    formula = args$formula,
    residual_plots = residual_plots,
    n_obs = n
  )
  build <- function() {
    theme <- rmcp_plot_theme()
    smooth <- function(x, y) {
      ok <- is.finite(x) & is.finite(y)
      if (sum(ok) < 10L || length(unique(x[ok])) < 4L) return(NULL)
      lw <- stats::lowess(x[ok], y[ok])
      ggplot2::geom_line(data = data.frame(x = lw$x, y = lw$y),
                         ggplot2::aes(x = .data$x, y = .data$y), colour = "red", inherit.aes = FALSE)
    }
    if (!residual_plots) {
      df <- data.frame(x = fitted, y = y)
      return(ggplot2::ggplot(df, ggplot2::aes(x = .data$x, y = .data$y)) +
               ggplot2::geom_point(alpha = 0.6) +
               ggplot2::geom_abline(intercept = 0, slope = 1, colour = "red", linetype = "dashed") +
               ggplot2::labs(title = title, x = "Fitted values",
                             y = paste("Observed", spec$response)) + theme)
    }
    h <- unname(stats::hatvalues(model))
    std <- if (is.finite(sigma) && sigma > 0) res / (sigma * sqrt(pmax(1 - h, 0))) else rep(NA_real_, length(res))
    std[!is.finite(std)] <- NA_real_
    d <- data.frame(fitted = fitted, res = res, std = std, lev = h, sl = sqrt(abs(std)))
    p1 <- ggplot2::ggplot(d, ggplot2::aes(x = .data$fitted, y = .data$res)) +
      ggplot2::geom_hline(yintercept = 0, colour = "grey50", linetype = "dashed") +
      ggplot2::geom_point(alpha = 0.6) + smooth(d$fitted, d$res) +
      ggplot2::labs(title = "Residuals vs Fitted", x = "Fitted values", y = "Residuals") + theme
    p2 <- ggplot2::ggplot(d, ggplot2::aes(sample = .data$std)) +
      ggplot2::stat_qq(na.rm = TRUE) + ggplot2::stat_qq_line(colour = "red", na.rm = TRUE) +
      ggplot2::labs(title = "Normal Q-Q", x = "Theoretical quantiles", y = "Standardized residuals") + theme
    p3 <- ggplot2::ggplot(d, ggplot2::aes(x = .data$fitted, y = .data$sl)) +
      ggplot2::geom_point(alpha = 0.6, na.rm = TRUE) + smooth(d$fitted, d$sl) +
      ggplot2::labs(title = "Scale-Location", x = "Fitted values",
                    y = "\u221a|Standardized residuals|") + theme
    p4 <- ggplot2::ggplot(d, ggplot2::aes(x = .data$lev, y = .data$std)) +
      ggplot2::geom_hline(yintercept = 0, colour = "grey50", linetype = "dashed") +
      ggplot2::geom_point(alpha = 0.6, na.rm = TRUE) + smooth(d$lev, d$std) +
      ggplot2::labs(title = "Residuals vs Leverage", x = "Leverage", y = "Standardized residuals") + theme
    gridExtra::arrangeGrob(p1, p2, p3, p4, ncol = 2L,
                           top = grid::textGrob(title, gp = grid::gpar(fontsize = 14)))
  }
  result <- rmcp_plot_finish(result, build, args, size)
  result[["_formatting"]] <- sprintf(
    paste0("**Regression plot** for `%s` (%d observations, %d coefficients)\n\n",
           "R\u00b2 = %s, adjusted R\u00b2 = %s, residual SE = %s\n\n%s"),
    args$formula, n, p, rmcp_plot_fmt(r2), rmcp_plot_fmt(adj), rmcp_plot_fmt(sigma),
    if (residual_plots) "Panels: residuals vs fitted, normal Q-Q, scale-location, residuals vs leverage."
    else "Panel: observed vs fitted values.")
  result
}
