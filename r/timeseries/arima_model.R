# arima_model: ARIMA fit of a monthly series (ts frequency fixed at 12, as in
# the reference) with forecast::Arima when `order` is given (plus an
# optional seasonal part [P, D, Q, period]), else forecast::auto.arima;
# forecasts `forecast_periods` ahead with a 95 % interval and reports the
# training-set accuracy measures (non-finite ones dropped).
# Differences from the reference (rmcp 0.12.0): `seasonal` is passed to
# Arima as list(order = [P, D, Q], period) (the reference hands the raw
# 4-vector to Arima, which rejects it); `seasonal` without `order` is
# ignored, as there (auto.arima chooses the seasonal part itself).
tool_arima_model <- function(args) {
  values <- rmcp_plot_series(args$data, 2L, "an ARIMA model")
  n <- length(values)
  h <- rmcp_plot_int(args$forecast_periods, "forecast_periods", 12L, 1L, 100L)
  order <- args$order
  seasonal <- args$seasonal
  if (!is.null(order)) {
    if (!is.numeric(order) || length(order) != 3L || anyNA(order) || any(order < 0) ||
        any(order != round(order))) {
      rmcp_plot_stop("order", "must be three non-negative whole numbers [p, d, q]",
                     "pass e.g. [1, 1, 1], or leave order out for automatic selection")
    }
    order <- as.integer(order)
  }
  if (!is.null(seasonal)) {
    if (!is.numeric(seasonal) || length(seasonal) != 4L || anyNA(seasonal) || any(seasonal < 0) ||
        any(seasonal != round(seasonal)) || seasonal[[4L]] < 1) {
      rmcp_plot_stop("seasonal", "must be four whole numbers [P, D, Q, period] with period at least 1",
                     "pass e.g. [0, 1, 1, 12]")
    }
    seasonal <- as.integer(seasonal)
  }
  if (!is.null(order)) {
    sp <- if (is.null(seasonal)) c(0L, 0L, 0L, 1L) else seasonal
    usable <- n - order[[2L]] - sp[[2L]] * sp[[4L]]
    params <- order[[1L]] + order[[3L]] + sp[[1L]] + sp[[3L]] + (order[[2L]] + sp[[2L]] == 0L)
    if (usable <= params + 1L) {
      rmcp_plot_stop("order", sprintf(
        "the model has %d coefficients but only %d observations remain after differencing", params, usable),
        "choose a smaller order or pass a longer series")
    }
  }
  y <- stats::ts(values, frequency = 12)
  model <- rmcp_plot_try(
    if (!is.null(order)) {
      if (!is.null(seasonal)) {
        forecast::Arima(y, order = order,
                        seasonal = list(order = seasonal[1:3], period = seasonal[[4L]]))
      } else {
        forecast::Arima(y, order = order)
      }
    } else {
      forecast::auto.arima(y)
    },
    if (is.null(order)) "data.values" else "order",
    if (is.null(order)) "pass a longer series or give an explicit order"
    else "try a simpler order (smaller p, q or seasonal part) or a longer series")
  if (!is.finite(model$sigma2) || model$sigma2 < 0) {
    rmcp_plot_stop(if (is.null(order)) "data.values" else "order",
                   "the fitted model is degenerate (its innovation variance is not positive)",
                   "choose a simpler order or pass a longer, less regular series")
  }
  fc <- forecast::forecast(model, h = h, level = 95)
  acc <- rmcp_plot_try(forecast::accuracy(model)[1L, ], "data.values", "check the series")
  ord <- as.integer(unname(forecast::arimaorder(model)))
  coefs <- stats::coef(model)
  label <- paste0("ARIMA(", paste(ord[1:3], collapse = ","), ")",
                  if (length(ord) == 7L) paste0("(", paste(ord[4:6], collapse = ","), ")[", ord[[7L]], "]")
                  else "")
  aic <- model$aic
  bic <- model$bic
  result <- list(
    model_type = "ARIMA",
    order = I(ord),
    coefficients = rmcp_plot_named(coefs, drop_nonfinite = FALSE),
    aic = if (is.null(aic)) NA_real_ else aic,
    bic = if (is.null(bic)) NA_real_ else bic,
    loglik = if (is.null(model$loglik)) NA_real_ else model$loglik,
    sigma2 = model$sigma2,
    fitted_values = I(as.numeric(stats::fitted(model))),
    residuals = I(as.numeric(stats::residuals(model))),
    forecasts = I(as.numeric(fc$mean)),
    forecast_lower = I(as.numeric(fc$lower[, 1L])),
    forecast_upper = I(as.numeric(fc$upper[, 1L])),
    accuracy = rmcp_plot_named(acc),
    n_obs = n
  )
  coef_line <- if (length(coefs)) {
    paste(sprintf("%s = %s", names(coefs), rmcp_plot_fmt(coefs)), collapse = ", ")
  } else {
    "none"
  }
  result[["_formatting"]] <- sprintf(
    paste0("**%s** fitted to %d observations%s\n\n",
           "Coefficients: %s\n\nAIC = %s, BIC = %s, log-likelihood = %s, sigma\u00b2 = %s\n\n",
           "Forecast %d periods ahead: %s ... %s (last 95%% interval %s to %s)"),
    label, n, if (is.null(order)) " (order chosen by auto.arima)" else "",
    coef_line, rmcp_plot_fmt(aic), rmcp_plot_fmt(bic), rmcp_plot_fmt(model$loglik),
    rmcp_plot_fmt(model$sigma2), h, rmcp_plot_fmt(fc$mean[[1L]]), rmcp_plot_fmt(fc$mean[[h]]),
    rmcp_plot_fmt(fc$lower[h, 1L]), rmcp_plot_fmt(fc$upper[h, 1L]))
  result
}
