# var_model: vector autoregression VAR(p), estimated equation by equation
# with OLS, reproducing vars::VAR (the vars package is not available).
#
# With K variables y_t (rows with a missing value in any of them are dropped
# first, as the reference's na.omit) and T rows, the sample is the last
# N = T - p rows. Every equation has the same regressors, in vars' order and
# naming: y1.l1, ..., yK.l1, ..., y1.lp, ..., yK.lp (the value i rows
# earlier, built with embed()), then "const" (a column of 1s) for type
# const/both and "trend" (p+1, ..., T) for trend/both. With Z that N x m
# regressor matrix and Y the N x K responses: B = (Z'Z)^-1 Z'Y (one QR for all
# equations), residuals U = Y - Z B.
# Per equation (summary.lm of vars' lm(y ~ -1 + .) fits): s_k^2 = u_k'u_k /
# (N - m), se = sqrt(diag((Z'Z)^-1) s_k^2), t = b / se, p = 2 P(T_{N-m} > |t|);
# R^2 = 1 - u'u / sum((y - mean(y))^2) for const/both (vars marks those fits
# as having an intercept) and 1 - u'u / sum(y^2) (uncentred) for trend/none;
# adj R^2 = 1 - (1 - R^2) (N - i) / (N - m), i = 1 for const/both, else 0.
# System (vars' logLik.varest, AIC/BIC with df = K m parameters):
#   Sigma = U'U / N,
#   loglik = -(N K / 2) log(2 pi) - (N / 2) log det(Sigma)
#            - (1/2) tr(U Sigma^-1 U')            [the trace equals N K],
#   aic = -2 loglik + 2 K m,  bic = -2 loglik + log(N) K m.
# residual_covariance (summary.varest's covres): cov(U) (N - 1) / (N - m).
# n_obs = N (vars' obs).
# Differences from the reference: coefficient and equation names use the
# column names as given (vars applies make.names first); fewer than 2
# variables, too few rows and collinear series are errors saying so.
tool_var_model <- function(args) {
  data <- rmcp_table(args$data)
  variables <- rmcp_names_arg(args$variables, "variables")
  rmcp_require_columns(data, variables, "variables")
  K <- length(variables)
  if (K < 2L) {
    rmcp_stop("variables", sprintf("names %d column but a VAR needs at least 2", K),
              "pass two or more numeric columns (for one series use arima_model)")
  }
  p <- rmcp_number(args$lags, "lags", 2L, lower = 1, upper = 10, integer = TRUE)
  type <- rmcp_enum(args$type, c("const", "trend", "both", "none"), "type", "const")
  y <- vapply(variables, function(v) rmcp_numeric_column(data, v, "variables"), numeric(nrow(data)))
  if (nrow(data) == 1L) y <- matrix(y, nrow = 1L)
  y <- y[stats::complete.cases(y), , drop = FALSE]
  Tn <- nrow(y)
  N <- Tn - p
  m <- K * p + (type %in% c("const", "both")) + (type %in% c("trend", "both"))
  if (N - m < 1L) {
    rmcp_stop("data", sprintf("%d complete rows leave %d observations after %d lag(s), too few for %d coefficients per equation",
                              Tn, max(N, 0L), p, m),
              sprintf("provide at least %d complete rows or use fewer lags", m + p + 1L))
  }
  for (j in seq_len(K)) rmcp_require_varying(y[, j], variables[[j]], "variables", "a VAR")
  E <- stats::embed(y, p + 1L)
  Y <- E[, seq_len(K), drop = FALSE]
  Z <- E[, -seq_len(K), drop = FALSE]
  cn <- paste0(rep(variables, p), ".l", rep(seq_len(p), each = K))
  if (type %in% c("const", "both")) {
    Z <- cbind(Z, 1)
    cn <- c(cn, "const")
  }
  if (type %in% c("trend", "both")) {
    Z <- cbind(Z, seq.int(p + 1L, length.out = N))
    cn <- c(cn, "trend")
  }
  colnames(Z) <- cn
  colnames(Y) <- variables
  qz <- qr(Z)
  if (qz$rank < m) {
    bad <- cn[qz$pivot[(qz$rank + 1L):m]]
    rmcp_stop("variables", sprintf("the lagged regressors are collinear (%s cannot be separated from the others)",
                                   rmcp_quote(bad)),
              "drop series that are linear combinations of others, or change 'type'")
  }
  B <- qr.coef(qz, Y)
  U <- Y - Z %*% B
  rdf <- N - m
  XtXi <- chol2inv(qr.R(qz))[order(qz$pivot), order(qz$pivot), drop = FALSE]
  dXtXi <- diag(XtXi)
  has_const <- type %in% c("const", "both")
  equations <- list()
  md <- character()
  for (k in seq_len(K)) {
    b <- B[, k]
    u <- U[, k]
    rss <- sum(u^2)
    s2 <- rss / rdf
    se <- sqrt(dXtXi * s2)
    tv <- b / se
    pv <- 2 * stats::pt(abs(tv), rdf, lower.tail = FALSE)
    yk <- Y[, k]
    tss <- if (has_const) sum((yk - sum(yk) / N)^2) else sum(yk^2)
    r2 <- 1 - rss / tss
    adj <- 1 - (1 - r2) * ((N - has_const) / rdf)
    tab <- cbind(b, se, tv, pv)
    lists <- rmcp_coef_lists(tab, cn)
    equations[[variables[[k]]]] <- list(coefficients = lists$coefficients, std_errors = lists$std_errors,
                                        t_values = lists$statistics, p_values = lists$p_values,
                                        r_squared = r2, adj_r_squared = adj)
    md <- c(md, paste0("Equation `", variables[[k]], "` (R\u00b2 = ", rmcp_fmt(r2), ")\n\n",
                       rmcp_md_coef_table(tab, cn)))
  }
  Sigma <- crossprod(U) / N
  ld <- determinant(Sigma, logarithm = TRUE)
  if (ld$sign <= 0 || !is.finite(ld$modulus)) {
    rmcp_stop("variables", "the residuals are perfectly correlated (singular residual covariance)",
              "drop series that are exact functions of the others")
  }
  loglik <- -(N * K / 2) * log(2 * pi) - (N / 2) * as.numeric(ld$modulus) -
    0.5 * sum(diag(U %*% solve(Sigma, t(U))))
  npar <- K * m
  aic <- -2 * loglik + 2 * npar
  bic <- -2 * loglik + log(N) * npar
  covres <- stats::cov(U) * (N - 1) / rdf
  dimnames(covres) <- NULL
  list(
    equations = equations,
    variables = I(variables),
    lag_order = p,
    var_type = type,
    n_obs = as.integer(N),
    n_variables = K,
    loglik = loglik,
    aic = aic,
    bic = bic,
    residual_covariance = covres,
    `_formatting` = paste0(
      "**VAR(", p, ")**, type ", type, ": ", K, " variables (", rmcp_quote(variables), "), ",
      N, " observations after lags\n\nlog-likelihood = ", rmcp_fmt(loglik, 6L), ", AIC = ",
      rmcp_fmt(aic, 6L), ", BIC = ", rmcp_fmt(bic, 6L), "\n\n", paste(md, collapse = "\n\n"))
  )
}
