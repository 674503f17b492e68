# instrumental_variables: two-stage least squares with AER::ivreg. The
# formula separates regressors and instruments with "|":
# "y ~ x_endog + w | z1 + z2 + w" (exogenous regressors w appear on both
# sides).
#
# robust (default true): coefficient tests with sandwich::sandwich (HC0) via
# lmtest::coeftest, as in the reference; otherwise summary.ivreg's.
# Diagnostics from summary(fit, diagnostics = TRUE) (classical, as in the
# reference): weak_instruments (first-stage F test of the excluded
# instruments), wu_hausman (endogeneity), sargan (over-identifying
# restrictions), each {statistic, df1, df2, p_value}.
# Differences from the reference (rmcp 0.12.0), all forced by the output
# schema (these fields must be objects whose statistic/p_value are numbers):
# * With several endogenous regressors, weak_instruments reports the weakest
#   first stage (smallest F) at the top level, names it in `regressor`, and
#   lists all of them in `by_regressor`.
# * When the model is exactly identified, sargan has no statistic; it is
#   {df1: 0, note: "..."} instead of null.
# * A formula without "|" or without any instrumented regressor is an error.
tool_instrumental_variables <- function(args) {
  data <- rmcp_table(args$data)
  f <- rmcp_formula(args$formula, data)
  robust <- rmcp_flag(args$robust, "robust", TRUE)
  rhs <- f[[3L]]
  if (!is.call(rhs) || !identical(rhs[[1L]], as.name("|"))) {
    rmcp_stop("formula", "has no instruments",
              "write it as 'y ~ endogenous + exogenous | instruments + exogenous'")
  }
  fit <- rmcp_try(withCallingHandlers(AER::ivreg(f, data = data), warning = function(w) {
    if (grepl("more regressors than instruments", conditionMessage(w))) {
      rmcp_stop("formula", "has fewer instruments than regressors (the model is under-identified)",
                "list at least one excluded instrument per endogenous regressor after '|', plus the exogenous regressors")
    }
  }), "formula", "check the regressors and instruments")
  coefs <- stats::coef(fit)
  rmcp_check_aliased(names(coefs), is.na(coefs))
  n <- as.integer(stats::nobs(fit))
  rmcp_check_df(n, length(coefs))
  s <- tryCatch(summary(fit, diagnostics = TRUE), error = function(e) {
    rmcp_stop("formula", "instruments every regressor by itself (no endogenous regressor), which is plain OLS",
              "list each endogenous regressor before '|' only, with excluded instruments after it")
  })
  diag <- s$diagnostics
  tab <- if (robust) unclass(lmtest::coeftest(fit, vcov. = sandwich::sandwich)) else s$coefficients
  tab <- tab[, 1:4, drop = FALSE]
  lists <- rmcp_coef_lists(tab)
  row_list <- function(i) {
    out <- list(statistic = diag[i, "statistic"], df1 = diag[i, "df1"], df2 = diag[i, "df2"],
                p_value = diag[i, "p-value"])
    out[!is.na(unlist(out))]
  }
  rn <- rownames(diag)
  weak_rows <- which(startsWith(rn, "Weak instruments"))
  weak <- row_list(weak_rows[[which.min(diag[weak_rows, "statistic"])]])
  if (length(weak_rows) > 1L) {
    names_ <- sub("^Weak instruments \\((.*)\\)$", "\\1", rn[weak_rows])
    weak$regressor <- names_[[which.min(diag[weak_rows, "statistic"])]]
    weak$by_regressor <- stats::setNames(lapply(weak_rows, row_list), names_)
  }
  hausman <- row_list(which(rn == "Wu-Hausman"))
  sargan <- row_list(which(rn == "Sargan"))
  if (is.null(sargan$statistic)) {
    sargan <- list(df1 = 0L, note = "not available: the model is exactly identified (as many excluded instruments as endogenous regressors)")
  }
  diag_line <- function(name, d) {
    if (is.null(d$statistic)) return(sprintf("- %s: %s", name, d$note %||% "not available"))
    sprintf("- %s: %s, p %s", name, rmcp_fmt(d$statistic), rmcp_p_phrase(d$p_value))
  }
  list(
    coefficients = lists$coefficients,
    std_errors = lists$std_errors,
    t_values = lists$statistics,
    p_values = lists$p_values,
    r_squared = s$r.squared,
    adj_r_squared = s$adj.r.squared,
    weak_instruments = weak,
    wu_hausman = hausman,
    sargan = sargan,
    robust_se = robust,
    formula = rmcp_deparse(f),
    n_obs = n,
    `_formatting` = paste0(
      "**Instrumental variables (2SLS)** `", rmcp_deparse(f), "` (n = ", n, ", ",
      if (robust) "robust HC0" else "classical", " standard errors)\n\n",
      rmcp_md_coef_table(tab), "\n\nR\u00b2 = ", rmcp_fmt(s$r.squared), ", adjusted R\u00b2 = ",
      rmcp_fmt(s$adj.r.squared), "\n\nDiagnostics:\n",
      paste(c(diag_line(if (is.null(weak$regressor)) "Weak instruments (F)"
                        else paste0("Weak instruments (F, weakest: ", weak$regressor, ")"), weak),
              diag_line("Wu-Hausman", hausman), diag_line("Sargan", sargan)), collapse = "\n"))
  )
}
