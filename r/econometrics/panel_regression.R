# panel_regression: linear panel models with plm::plm — pooled OLS
# ("pooling"), fixed effects ("within", the default), between and random
# effects — on data indexed by `id_variable` and `time_variable`.
#
# robust (default true): standard errors from plm::vcovHC(type = "HC1")
# (Arellano, clustered by id) with t tests via lmtest::coeftest, as in the
# reference. plm has no vcovHC for the between model; there the robust
# covariance is White's HC1 of the between (group-means) regression,
#   V = n / (n - k) (X'X)^-1 X' diag(e^2) X (X'X)^-1.
# r_squared / adj_r_squared: summary.plm's (within R^2 for fixed effects).
# n_groups / time_periods: plm::pdim (n, T).
# Terms plm cannot estimate (collinear ones; in a fixed-effects model,
# regressors constant within ids) are dropped by plm, as in the reference;
# here a warning names them. A model left with no term is an error.
# Differences from the reference (rmcp 0.12.0): robust between models work;
# duplicate (id, time) pairs and missing columns are errors saying so.
tool_panel_regression <- function(args) {
  data <- rmcp_table(args$data)
  f <- rmcp_formula(args$formula, data)
  id <- rmcp_column_arg(args$id_variable, "id_variable", what = "the column identifying each unit (e.g. firm)")
  time <- rmcp_column_arg(args$time_variable, "time_variable", what = "the column identifying each period (e.g. year)")
  rmcp_require_columns(data, id, "id_variable")
  rmcp_require_columns(data, time, "time_variable")
  if (id == time) rmcp_stop("time_variable", "is the same column as id_variable", "pass two different columns")
  model <- rmcp_enum(args$model, c("pooling", "within", "between", "random"), "model", "within")
  robust <- rmcp_flag(args$robust, "robust", TRUE)
  idv <- .subset2(data, id)
  tv <- .subset2(data, time)
  if (anyNA(idv) || anyNA(tv)) {
    rmcp_stop(if (anyNA(idv)) "id_variable" else "time_variable", "has missing values",
              "remove rows without an id or time")
  }
  dup <- duplicated(data.frame(idv, tv))
  if (any(dup)) {
    k <- which(dup)[[1L]]
    rmcp_stop("time_variable", sprintf("(id, time) pairs must be unique, but %s = %s, %s = %s occurs more than once",
                                       id, format(idv[[k]]), time, format(tv[[k]])),
              "aggregate the duplicates or check id_variable/time_variable")
  }
  pd <- rmcp_try(plm::pdata.frame(data, index = c(id, time)), "data", "check the id and time columns")
  fit <- rmcp_try(plm::plm(f, data = pd, model = model), "formula",
                  sprintf("check that the formula can be estimated as a '%s' model", model))
  coefs <- stats::coef(fit)
  # plm silently drops what it cannot estimate (collinear terms; for fixed
  # effects, regressors constant within ids): compare with the design.
  expected <- colnames(stats::model.matrix(f, data = stats::model.frame(f, data = data)))
  if (model == "within") expected <- setdiff(expected, "(Intercept)")
  dropped <- setdiff(expected, names(coefs))
  if (!length(coefs)) rmcp_stop("formula", "leaves nothing to estimate", "add time-varying regressors")
  if (length(dropped)) {
    warning(sprintf("formula: %s %s cannot be estimated in a '%s' model (collinear with other terms%s) and %s left out of the results; remove %s or choose another model",
                    if (length(dropped) == 1L) "term" else "terms", rmcp_quote(dropped), model,
                    if (model == "within") ", or constant within each id" else "",
                    if (length(dropped) == 1L) "is" else "are",
                    if (length(dropped) == 1L) "it" else "them"),
            call. = FALSE)
  }
  rsq <- plm::r.squared(fit)
  adj <- plm::r.squared(fit, dfcor = TRUE)
  if (robust) {
    V <- if (model == "between") {
      X <- stats::model.matrix(fit)
      e <- as.numeric(stats::residuals(fit))
      XtXi <- solve(crossprod(X))
      meat <- crossprod(X * e)
      nb <- nrow(X)
      nb / (nb - ncol(X)) * XtXi %*% meat %*% XtXi
    } else {
      rmcp_try(plm::vcovHC(fit, type = "HC1"), "robust", "set robust to false")
    }
    tab <- unclass(lmtest::coeftest(fit, vcov. = V))
  } else {
    tab <- summary(fit)$coefficients
  }
  tab <- tab[, 1:4, drop = FALSE]
  lists <- rmcp_coef_lists(tab)
  dims <- plm::pdim(fit)
  n <- as.integer(stats::nobs(fit))
  label <- c(pooling = "pooled OLS", within = "fixed effects (within)", between = "between",
             random = "random effects")[[model]]
  list(
    coefficients = lists$coefficients,
    std_errors = lists$std_errors,
    t_values = lists$statistics,
    p_values = lists$p_values,
    r_squared = unname(rsq),
    adj_r_squared = unname(adj),
    model_type = model,
    robust_se = robust,
    n_obs = n,
    n_groups = as.integer(dims$nT$n),
    time_periods = as.integer(dims$nT$T),
    formula = rmcp_deparse(f),
    id_variable = id,
    time_variable = time,
    `_formatting` = paste0(
      "**Panel regression**, ", label, ": `", rmcp_deparse(f), "`\n\n",
      n, " observations, ", dims$nT$n, " ", id, " units, ", dims$nT$T, " ", time, " periods",
      if (!dims$balanced) " (unbalanced)" else "", "; ",
      if (robust) "robust (HC1) standard errors" else "classical standard errors", "\n\n",
      rmcp_md_coef_table(tab), "\n\nR\u00b2 = ", rmcp_fmt(rsq), ", adjusted R\u00b2 = ", rmcp_fmt(adj))
  )
}
