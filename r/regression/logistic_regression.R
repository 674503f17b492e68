# logistic_regression: generalised linear model with stats::glm; logistic
# (binomial) regression by default.
#
# family: binomial (link logit|probit|cloglog|cauchit), poisson, gamma
# (R's Gamma) or inverse.gaussian; those three use their canonical link (log,
# inverse, 1/mu^2) since `link` lists binomial links only, and the result's
# `link` says which link was used. For binomial:
#   odds_ratios = exp(coef); mcfadden_r_squared = 1 - logLik / logLik(null),
#   the null model being the intercept-only fit on the same rows and weights;
#   predicted_probabilities = fitted values; when the response is 0/1,
#   accuracy at the 0.5 cut-off and confusion_matrix, column-wise keyed by
#   predicted class ("0", "1"), each array indexed by actual class (0, 1).
# A text or true/false response is turned into a factor: its first value in
# sorted order is the failure (0), the other the success (1).
# Differences from the reference (rmcp 0.12.0):
# * family "gamma" works (the reference looked up a nonexistent `gamma`
#   family); `link` given with a non-binomial family is ignored with a
#   warning instead of silently.
# * Aliased terms, unsuitable responses (e.g. not 0/1 for binomial, negative
#   counts for poisson) and too few rows are errors saying so.
# * The confusion matrix always has both classes.
tool_logistic_regression <- function(args) {
  data <- rmcp_table(args$data)
  f <- rmcp_formula(args$formula, data)
  family <- rmcp_enum(args$family, c("binomial", "poisson", "gamma", "inverse.gaussian"), "family",
                      "binomial")
  link <- rmcp_enum(args$link, c("logit", "probit", "cloglog", "cauchit"), "link", "logit")
  if (family != "binomial" && !is.null(args$link)) {
    warning(sprintf("link: '%s' applies to the binomial family only; family '%s' uses its canonical link",
                    link, family), call. = FALSE)
  }
  fam <- switch(family, binomial = stats::binomial(link = link), poisson = stats::poisson(),
                gamma = stats::Gamma(), inverse.gaussian = stats::inverse.gaussian())
  resp <- f[[2L]]
  rname <- rmcp_response_name(f)
  success <- NULL
  if (is.name(resp)) {
    y <- .subset2(data, rname)
    if (family == "binomial" && (is.character(y) || is.logical(y) || is.factor(y))) {
      lev <- sort(unique(as.character(y[!is.na(y)])))
      if (length(lev) != 2L) {
        rmcp_stop("formula", sprintf("the response '%s' has %d distinct values (%s) but logistic regression needs exactly 2",
                                     rname, length(lev), rmcp_quote(lev, 6L)),
                  "use a 0/1 or two-valued response")
      }
      data[[rname]] <- as.numeric(as.character(y) == lev[[2L]])
      success <- lev[[2L]]
    } else if (!is.numeric(y) && !is.logical(y)) {
      rmcp_stop("formula", sprintf("the response '%s' must be numeric", rname),
                "use a numeric response")
    }
  }
  mf <- rmcp_try(stats::model.frame(f, data = data, na.action = stats::na.omit), "formula",
                 "check that the formula's variables and functions fit the data")
  y <- stats::model.response(mf)
  if (is.null(dim(y))) {
    if (!is.numeric(y)) {
      rmcp_stop("formula", sprintf("the response '%s' must be numeric", rname), "use a numeric response")
    }
    bad <- switch(family,
      binomial = if (any(y < 0 | y > 1)) "must be 0/1 (or proportions between 0 and 1) for the binomial family",
      poisson = if (any(y < 0)) "must be non-negative counts for the poisson family",
      if (any(y <= 0)) sprintf("must be positive for the %s family", family))
    if (!is.null(bad)) rmcp_stop("formula", sprintf("the response '%s' %s", rname, bad),
                                 "use a suitable response or another family")
    if (all(y == y[[1L]])) {
      rmcp_stop("formula", sprintf("the response '%s' is constant (every value is %s)", rname, format(y[[1L]])),
                "the response must vary")
    }
  }
  n <- nrow(mf)
  fit <- rmcp_try(stats::glm(f, data = data, family = fam, na.action = stats::na.omit), "formula",
                  "check the model specification")
  coefs <- fit$coefficients
  rmcp_check_aliased(names(coefs), is.na(coefs))
  rmcp_check_df(n, fit$rank)
  s <- summary(fit)
  tab <- s$coefficients
  lists <- rmcp_coef_lists(tab)
  fitted <- unname(fit$fitted.values)
  result <- list(
    coefficients = lists$coefficients,
    std_errors = lists$std_errors,
    z_values = lists$statistics,
    p_values = lists$p_values,
    deviance = fit$deviance,
    null_deviance = fit$null.deviance,
    aic = stats::AIC(fit),
    bic = stats::BIC(fit),
    fitted_values = I(fitted),
    residuals = I(unname(stats::residuals(fit, type = "deviance"))),
    n_obs = n,
    family = family,
    link = fam$link
  )
  extra <- ""
  if (family == "binomial") {
    null_fit <- stats::glm.fit(x = matrix(1, n, 1L), y = fit$y, weights = fit$prior.weights,
                               offset = fit$offset, family = fam)
    ll <- fit$rank - fit$aic / 2
    ll0 <- 1 - null_fit$aic / 2
    r2 <- 1 - ll / ll0
    result$odds_ratios <- as.list(exp(coefs))
    result$mcfadden_r_squared <- max(0, min(1, r2))
    result$predicted_probabilities <- I(fitted)
    yy <- fit$y
    if (all(yy == 0 | yy == 1)) {
      pred <- as.integer(fitted > 0.5)
      cm <- table(factor(yy, levels = 0:1), factor(pred, levels = 0:1))
      result$accuracy <- sum(diag(cm)) / sum(cm)
      result$confusion_matrix <- list(`0` = I(as.integer(cm[, 1L])), `1` = I(as.integer(cm[, 2L])))
      extra <- sprintf("\n\nAccuracy (0.5 cut-off) = %s; confusion matrix (rows actual, columns predicted): 0/0 = %d, 0/1 = %d, 1/0 = %d, 1/1 = %d",
                       rmcp_fmt(result$accuracy), cm[1, 1], cm[1, 2], cm[2, 1], cm[2, 2])
    }
    extra <- paste0("\n\nMcFadden R\u00b2 = ", rmcp_fmt(result$mcfadden_r_squared), extra)
    if (!is.null(success)) extra <- paste0(extra, sprintf("\n\nModelled probability: %s = '%s'", rname, success))
  }
  stat_label <- if (grepl("^z", colnames(tab)[[3L]])) "z" else "t"
  result[["_formatting"]] <- paste0(
    "**GLM** (", family, ", ", fam$link, " link) `", args$formula, "` (n = ", n, ")\n\n",
    rmcp_md_coef_table(tab, stat = stat_label), "\n\n",
    "Deviance = ", rmcp_fmt(fit$deviance), " (null ", rmcp_fmt(fit$null.deviance), "), AIC = ",
    rmcp_fmt(result$aic), ", BIC = ", rmcp_fmt(result$bic), extra)
  result
}
