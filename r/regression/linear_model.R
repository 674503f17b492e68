# linear_model: ordinary (optionally weighted) least squares.
#
# Computes what stats::lm + summary.lm give, but from rmcp_design() (model
# frame/matrix, or the columns directly for additive numeric formulas) and
# lm.fit/lm.wfit, so a call on a small table stays well under a millisecond.
# The summary statistics use summary.lm's formulas:
#   sigma^2 = sum(w r^2) / (n - p),  se = sqrt(diag((X'WX)^-1) sigma^2),
#   R^2 = mss / (mss + rss), mss centred on the (weighted) mean of the fitted
#   values when the model has an intercept (uncentred otherwise),
#   adj R^2 = 1 - (1 - R^2) (n - i) / (n - p), F = (mss / (p - i)) / sigma^2,
#   with i = 1 for an intercept, n counting rows with non-zero weight.
# Differences from the reference (rmcp 0.12.0):
# * na_action "na.exclude" reports residuals/fitted values for the rows used,
#   like "na.omit": the output schema allows numbers only, not nulls for the
#   excluded rows.
# * Undefined statistics are left out instead of being replaced by 0: an
#   intercept-only model has no F test; infinite t values of an exact fit are
#   omitted (with a warning).
# * Aliased (collinear) terms, a constant response and too few rows are errors
#   that say what is wrong, instead of NA coefficients.
tool_linear_model <- function(args) {
  data <- rmcp_table(args$data)
  f <- rmcp_formula(args$formula, data)
  na_action <- rmcp_enum(args$na_action, c("na.omit", "na.exclude", "na.fail"), "na_action",
                         "na.omit")
  w <- args$weights
  if (!is.null(w)) {
    if (!is.numeric(w) || length(w) != nrow(data)) {
      rmcp_stop("weights", sprintf("must be %d numbers, one per row of data (got %d)",
                                   nrow(data), length(w)),
                "pass one non-negative weight per row")
    }
    if (any(w < 0 | is.infinite(w), na.rm = TRUE)) {
      rmcp_stop("weights", "contains negative or infinite values", "use non-negative finite weights")
    }
    w <- as.double(w)
  }
  d <- rmcp_design(f, data, w)
  if (d$n_dropped > 0L && na_action == "na.fail") {
    rmcp_stop("na_action", sprintf("is 'na.fail' but %d row%s of the model's variables have missing values",
                                   d$n_dropped, if (d$n_dropped == 1L) "" else "s"),
              "remove the incomplete rows or use na_action 'na.omit'")
  }
  y <- d$y
  X <- d$X
  w <- d$w
  n <- length(y)
  if (n < 2L) {
    rmcp_stop("data", sprintf("only %d complete row%s for the model's variables", n,
                              if (n == 1L) "" else "s"),
              "provide at least 2 rows without missing values in the formula's columns")
  }
  rmcp_check_response(y, f)
  p <- ncol(X)
  if (p == 0L) rmcp_stop("formula", "has no terms to estimate", "add predictors or an intercept")
  n_eff <- if (is.null(w)) n else sum(w != 0)
  rmcp_check_df(n_eff, p)
  fit <- if (is.null(w)) stats::lm.fit(X, y) else stats::lm.wfit(X, y, w)
  coef_names <- colnames(X)
  rmcp_check_aliased(coef_names, is.na(fit$coefficients))

  rdf <- n_eff - p
  r <- fit$residuals
  fitted <- fit$fitted.values
  rss <- if (is.null(w)) sum(r^2) else sum(w * r^2)
  resvar <- rss / rdf
  has_int <- attr(d$terms, "intercept") == 1L
  mss <- if (is.null(w)) {
    if (has_int) sum((fitted - sum(fitted) / n)^2) else sum(fitted^2)
  } else {
    if (has_int) sum(w * (fitted - sum(w * fitted) / sum(w))^2) else sum(w * fitted^2)
  }
  df_int <- if (has_int) 1L else 0L
  r2 <- mss / (mss + rss)
  adj_r2 <- 1 - (1 - r2) * ((n_eff - df_int) / rdf)

  piv <- fit$qr$pivot
  R <- fit$qr$qr[seq_len(p), seq_len(p), drop = FALSE]
  se <- sqrt(diag(chol2inv(R)) * resvar)
  est <- fit$coefficients[piv]
  tval <- est / se
  pval <- 2 * stats::pt(abs(tval), rdf, lower.tail = FALSE)
  tab <- cbind(est, se, tval, pval)
  cn <- coef_names[piv]
  lists <- rmcp_coef_lists(tab, cn)
  # summary.lm's "essentially perfect fit" check.
  if (resvar < (sum(fitted)^2 / n^2 + sum((fitted - sum(fitted) / n)^2) / (n - 1)) * 1e-30) {
    warning("essentially perfect fit: standard errors, t and F statistics are unreliable (infinite ones are omitted)",
            call. = FALSE)
  }

  result <- list(
    coefficients = lists$coefficients,
    std_errors = lists$std_errors,
    t_values = lists$statistics,
    p_values = lists$p_values,
    r_squared = r2,
    adj_r_squared = adj_r2
  )
  numdf <- p - df_int
  ftxt <- ""
  if (numdf > 0L) {
    fstat <- (mss / numdf) / resvar
    fp <- stats::pf(fstat, numdf, rdf, lower.tail = FALSE)
    if (is.finite(fstat)) result$f_statistic <- fstat
    result$f_p_value <- fp
    ftxt <- sprintf(", F(%d, %d) = %s, p %s", numdf, as.integer(rdf), rmcp_fmt(fstat),
                    rmcp_p_phrase(fp))
  }
  result$residual_se <- sqrt(resvar)
  result$df_residual <- as.integer(rdf)
  result$fitted_values <- I(as.vector(fitted))
  result$residuals <- I(as.vector(r))
  result$n_obs <- n
  result$method <- "lm"
  result[["_formatting"]] <- paste0(
    "**Linear model** `", args$formula, "` (n = ", n,
    if (!is.null(w)) ", weighted" else "",
    if (d$n_dropped > 0L) paste0(", ", d$n_dropped, " incomplete rows dropped") else "", ")\n\n",
    rmcp_md_coef_table(tab, cn), "\n\n",
    "R\u00b2 = ", rmcp_fmt(r2), ", adjusted R\u00b2 = ", rmcp_fmt(adj_r2), ftxt,
    "; residual SE = ", rmcp_fmt(sqrt(resvar)), " on ", as.integer(rdf), " df")
  result
}
