# anova: analysis of variance for a linear model, Type I (sequential,
# stats::anova), II or III (car::Anova).
#
# Differences from the reference (rmcp 0.12.0):
# * The reference reads `args$anova_type`, so `type` is ignored there and
#   Type I is always computed. Here `type` is honoured, as the input schema
#   promises.
# * Type III is computed with sum-to-zero contrasts (contr.sum) for factor
#   predictors, the coding under which Type III tests of main effects are
#   meaningful (as in SAS/SPSS); its table includes the "(Intercept)" row.
# * Text columns used in the formula are treated as factors.
# * Types II/III need a model without aliased (collinear) terms: an error
#   names them. An undefined F (NA) is 0 and its p-value 1, as in the
#   reference, because the schema requires numbers.
tool_anova <- function(args) {
  data <- rmcp_table(args$data)
  f <- rmcp_formula(args$formula, data)
  type <- rmcp_enum(args$type, c("I", "II", "III"), "type", "I")
  cols <- rmcp_formula_columns(f, data)
  if (is.name(f[[2L]])) {
    y <- .subset2(data, as.character(f[[2L]]))
    if (!is.numeric(y)) {
      rmcp_stop("formula", sprintf("the response '%s' must be numeric", as.character(f[[2L]])),
                "put the numeric outcome left of '~' and the groups right of it")
    }
  }
  for (v in setdiff(cols, all.vars(f[[2L]]))) {
    x <- .subset2(data, v)
    if (is.character(x) || is.logical(x)) data[[v]] <- factor(x)
  }
  if (length(all.vars(f[[3L]])) == 0L && !identical(all.vars(f[[3L]]), ".")) {
    rmcp_stop("formula", "has no predictors", "write it as 'response ~ group' or 'response ~ a * b'")
  }
  fit_with <- function(contrasts) {
    rmcp_try(stats::lm(f, data = data, contrasts = contrasts, na.action = stats::na.omit),
             "formula", "check that the formula's variables fit the data (factors need 2+ levels)")
  }
  fit <- fit_with(NULL)
  if (type == "III" && length(fit$xlevels)) {
    facs <- names(fit$xlevels)
    fit <- fit_with(stats::setNames(rep(list("contr.sum"), length(facs)), facs))
  }
  y <- stats::model.response(fit$model)
  rmcp_check_response(y, f)
  n <- nrow(fit$model)
  rmcp_check_df(n, fit$rank)
  if (length(attr(fit$terms, "term.labels")) == 0L) {
    rmcp_stop("formula", "has no predictors", "write it as 'response ~ group'")
  }
  aliased <- is.na(fit$coefficients)
  if (type != "I") rmcp_check_aliased(names(fit$coefficients), aliased)

  tab <- if (type == "I") {
    stats::anova(fit)
  } else {
    rmcp_try(car::Anova(fit, type = if (type == "II") 2L else 3L), "formula",
             "simplify the model (car::Anova could not compute it)")
  }
  terms <- rownames(tab)
  keep <- terms != "Residuals"
  df <- tab[["Df"]][keep]
  ss <- tab[["Sum Sq"]][keep]
  ms <- ss / df
  fv <- tab[["F value"]][keep]
  pv <- tab[["Pr(>F)"]][keep]
  fv[is.na(fv)] <- 0
  pv[is.na(pv)] <- 1
  terms <- terms[keep]

  rdf <- fit$df.residual
  r <- fit$residuals
  rss <- sum(r^2)
  fitted <- fit$fitted.values
  has_int <- attr(fit$terms, "intercept") == 1L
  mss <- if (has_int) sum((fitted - mean(fitted))^2) else sum(fitted^2)
  r2 <- mss / (mss + rss)
  adj <- 1 - (1 - r2) * ((n - has_int) / rdf)
  sigma <- sqrt(rss / rdf)
  label <- paste("Type", type)
  md <- rmcp_md_table(c("term", "df", "sum sq", "mean sq", "F", "p"),
                      list(c(terms, "Residuals"), as.character(c(df, rdf)), rmcp_fmt(c(ss, rss)),
                           rmcp_fmt(c(ms, rss / rdf)), c(rmcp_fmt(fv), ""), c(rmcp_fmt_p(pv), "")))
  list(
    anova_table = list(terms = I(terms), df = I(as.integer(df)), sum_sq = I(ss), mean_sq = I(ms),
                       f_value = I(fv), p_value = I(pv)),
    model_summary = list(r_squared = r2, adj_r_squared = adj, residual_se = sigma,
                         df_residual = as.integer(rdf), n_obs = n),
    formula = rmcp_deparse(f),
    anova_type = label,
    `_formatting` = paste0("**ANOVA (", label, " sums of squares)** `", rmcp_deparse(f), "` (n = ", n,
                           ")\n\n", md, "\n\nR\u00b2 = ", rmcp_fmt(r2), ", adjusted R\u00b2 = ",
                           rmcp_fmt(adj), ", residual SE = ", rmcp_fmt(sigma))
  )
}
