# Generates tests/catalog/<tool>.json for the statistics tools (regression,
# econometrics, descriptive, statistical_tests, transforms).
#
# Every expected number is computed here with R's own functions (lm, glm,
# t.test, chisq.test, cor.test, plm, AER::ivreg, car::Anova, quantile, ...)
# or a textbook formula written out, never with the catalog tools. Datasets
# are round-tripped through JSON first, so expectations are computed on
# exactly the values the tools receive.
#
# Usage (from the repository root): Rscript tests/r/make_stats_fixtures.R
# Then check with: Rscript tests/r/check_fixtures.R
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)][1])))
root <- normalizePath(file.path(here, "..", ".."))
out_dir <- file.path(root, "tests", "catalog")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

# ---- helpers ---------------------------------------------------------------

to_json <- function(x, pretty = FALSE) {
  jsonlite::toJSON(x, auto_unbox = TRUE, digits = NA, na = "null", null = "null", pretty = pretty)
}
# A data.frame as a column-oriented table argument (every column an array).
tbl <- function(df) {
  out <- lapply(df, function(col) {
    if (is.factor(col)) col <- as.character(col)
    I(col)
  })
  names(out) <- names(df)
  out
}
# The data.frame the tool will see after JSON (what the harness/engine does).
rt <- function(df) {
  txt <- to_json(tbl(df))
  x <- jsonlite::fromJSON(txt, simplifyVector = TRUE, simplifyDataFrame = FALSE,
                          simplifyMatrix = FALSE)
  as.data.frame(lapply(x, function(col) {
    if (is.list(col)) unlist(lapply(col, function(v) if (is.null(v)) NA else v)) else col
  }), stringsAsFactors = FALSE, check.names = FALSE)
}
# JSON pointer token escaping (RFC 6901).
tok <- function(x) gsub("/", "~1", gsub("~", "~0", x, fixed = TRUE), fixed = TRUE)
ptr <- function(...) paste0("/", paste(vapply(c(...), tok, ""), collapse = "/"))
# Named numeric vector -> expectations under a prefix.
named <- function(prefix, v) {
  out <- as.list(unname(v))
  names(out) <- vapply(names(v), function(n) ptr(c(prefix, n)), "")
  out
}
arr <- function(x) I(x)
# `warning`: texts the result's R warnings must contain (degenerate input
# answered with nulls where R gives NaN).
ok <- function(name, args, expect, tolerance = 1e-6, warning = NULL) {
  out <- list(name = name, args = args, expect = expect, tolerance = tolerance)
  if (!is.null(warning)) out$warning_contains <- I(warning)
  out
}
# Non-finite numbers (R's NaN, Inf) as the nulls the tools return.
nulls <- function(v) {
  v[!is.finite(v)] <- NA
  v
}
bad <- function(name, args, contains) {
  list(name = name, args = args, error_contains = I(contains))
}
write_fixture <- function(tool, cases) {
  path <- file.path(out_dir, paste0(tool, ".json"))
  writeLines(to_json(list(tool = tool, cases = cases), pretty = TRUE), path)
  cat(sprintf("%-24s %2d cases -> %s\n", tool, length(cases), path))
}
skew_kurt <- function(x) {
  # the reference's moment formulas with the sample sd
  n <- length(x); m <- mean(x); s <- sd(x)
  c(sum((x - m)^3) / n / s^3, sum((x - m)^4) / n / s^4 - 3)
}

mt <- rt(mtcars)
aq <- rt(airquality)
ir <- rt(iris)
tg <- rt(data.frame(len = ToothGrowth$len, supp = as.character(ToothGrowth$supp),
                    dose = as.character(ToothGrowth$dose)))
data("Grunfeld", package = "plm")
gr <- rt(Grunfeld)
data("CigarettesSW", package = "AER")
cig95 <- subset(CigarettesSW, year == "1995")
cig <- rt(data.frame(packs = cig95$packs, rprice = cig95$price / cig95$cpi,
                     rincome = cig95$income / cig95$population / cig95$cpi,
                     tdiff = (cig95$taxs - cig95$tax) / cig95$cpi, rtax = cig95$tax / cig95$cpi))
deaths <- rt(data.frame(mdeaths = as.numeric(mdeaths), fdeaths = as.numeric(fdeaths)))

# ---- linear_model ------------------------------------------------------------
local({
  tiny <- data.frame(x = 1:5, y = 1 + 2 * (1:5))
  f1 <- lm(mpg ~ wt, mt); s1 <- summary(f1)
  f2 <- lm(mpg ~ wt + factor(cyl), mt)
  f3 <- lm(mpg ~ wt + hp, mt, weights = qsec)
  f4 <- lm(Ozone ~ Solar.R + Wind, aq); s4 <- summary(f4)
  f5 <- lm(mpg ~ wt - 1, mt); s5 <- summary(f5)
  col <- data.frame(x = c(1, 2, 3, 4), x2 = c(2, 4, 6, 8), y = c(1, 3, 2, 5))
  write_fixture("linear_model", list(
    ok("y = 1 + 2x exactly: intercept 1, slope 2, R^2 1",
       list(data = tbl(tiny), formula = "y ~ x"),
       c(list("/coefficients/(Intercept)" = 1, "/coefficients/x" = 2, "/r_squared" = 1,
              "/adj_r_squared" = 1, "/n_obs" = 5, "/df_residual" = 3, "/method" = "lm",
              "/fitted_values" = arr(tiny$y)))),
    ok("mtcars mpg ~ wt matches lm/summary.lm",
       list(data = tbl(mt), formula = "mpg ~ wt"),
       c(named("coefficients", coef(f1)), named("std_errors", s1$coefficients[, 2]),
         named("t_values", s1$coefficients[, 3]), named("p_values", s1$coefficients[, 4]),
         list("/r_squared" = s1$r.squared, "/adj_r_squared" = s1$adj.r.squared,
              "/f_statistic" = unname(s1$fstatistic[1]),
              "/f_p_value" = pf(s1$fstatistic[1], s1$fstatistic[2], s1$fstatistic[3], lower.tail = FALSE),
              "/residual_se" = s1$sigma, "/df_residual" = 30, "/n_obs" = 32,
              "/fitted_values/0" = unname(fitted(f1)[1]), "/residuals/31" = unname(residuals(f1)[32])))),
    ok("mtcars mpg ~ wt + factor(cyl): factor terms named as lm names them",
       list(data = tbl(mt), formula = "mpg ~ wt + factor(cyl)"),
       c(named("coefficients", coef(f2)), list("/r_squared" = summary(f2)$r.squared))),
    ok("weighted least squares (weights = qsec) matches lm(weights =)",
       list(data = tbl(mt), formula = "mpg ~ wt + hp", weights = arr(mt$qsec)),
       c(named("coefficients", coef(f3)), named("std_errors", summary(f3)$coefficients[, 2]),
         list("/r_squared" = summary(f3)$r.squared, "/residual_se" = summary(f3)$sigma))),
    ok("airquality with missing values: rows dropped like na.omit",
       list(data = tbl(aq), formula = "Ozone ~ Solar.R + Wind"),
       c(named("coefficients", coef(f4)), list("/n_obs" = 111, "/r_squared" = s4$r.squared,
                                                "/df_residual" = 108))),
    ok("no intercept: uncentred R^2 as summary.lm",
       list(data = tbl(mt), formula = "mpg ~ wt - 1"),
       c(named("coefficients", coef(f5)), list("/r_squared" = s5$r.squared,
                                                "/f_statistic" = unname(s5$fstatistic[1])))),
    bad("unknown column in formula", list(data = tbl(tiny), formula = "y ~ z"),
        c("formula", "'z'", "not found", "available columns")),
    bad("collinear term is named", list(data = tbl(col), formula = "y ~ x + x2"),
        c("formula", "singular", "'x2'")),
    bad("constant response", list(data = tbl(data.frame(x = 1:4, y = 5)), formula = "y ~ x"),
        c("formula", "constant")),
    bad("too few rows for the coefficients", list(data = tbl(data.frame(x = 1:2, y = c(1, 3))), formula = "y ~ x"),
        c("data", "at least 3 rows")),
    bad("na.fail with missing values", list(data = tbl(aq), formula = "Ozone ~ Wind", na_action = "na.fail"),
        c("na_action", "na.fail", "missing values")),
    bad("unknown na_action", list(data = tbl(tiny), formula = "y ~ x", na_action = "na.drop"),
        c("na_action", "unknown value", "na.omit")),
    bad("weights of the wrong length", list(data = tbl(tiny), formula = "y ~ x", weights = arr(c(1, 2))),
        c("weights", "5 numbers")),
    bad("text response", list(data = tbl(data.frame(x = 1:3, y = c("a", "b", "c"))), formula = "y ~ x"),
        c("formula", "response 'y'", "numeric"))
  ))
})

# ---- logistic_regression ---------------------------------------------------------
local({
  tiny <- data.frame(x = c(0, 0, 0, 0, 1, 1, 1, 1), y = c(0, 0, 0, 1, 0, 1, 1, 1))
  g1 <- glm(am ~ wt + hp, binomial, mt); s1 <- summary(g1)
  g0 <- glm(am ~ 1, binomial, mt)
  g2 <- glm(carb ~ wt + hp, poisson, mt)
  g3 <- glm(mpg ~ wt, Gamma, mt)
  g4 <- glm(am ~ wt, binomial(link = "probit"), mt)
  write_fixture("logistic_regression", list(
    ok("binary predictor: log-odds are exact (intercept log(1/3), slope log 9)",
       list(data = tbl(tiny), formula = "y ~ x"),
       list("/coefficients/(Intercept)" = log(1 / 3), "/coefficients/x" = log(9),
            "/odds_ratios/x" = 9, "/fitted_values" = arr(c(.25, .25, .25, .25, .75, .75, .75, .75)),
            "/accuracy" = 0.75, "/confusion_matrix/0" = arr(c(3, 1)), "/confusion_matrix/1" = arr(c(1, 3)),
            "/n_obs" = 8, "/family" = "binomial", "/link" = "logit")),
    ok("intercept-only model: McFadden R^2 is 0",
       list(data = tbl(tiny), formula = "y ~ 1"),
       list("/coefficients/(Intercept)" = 0, "/mcfadden_r_squared" = 0, "/accuracy" = 0.5)),
    ok("mtcars am ~ wt + hp matches glm(binomial)",
       list(data = tbl(mt), formula = "am ~ wt + hp"),
       c(named("coefficients", coef(g1)), named("std_errors", s1$coefficients[, 2]),
         named("z_values", s1$coefficients[, 3]), named("p_values", s1$coefficients[, 4]),
         named("odds_ratios", exp(coef(g1))),
         list("/deviance" = deviance(g1), "/null_deviance" = g1$null.deviance, "/aic" = AIC(g1),
              "/bic" = BIC(g1), "/mcfadden_r_squared" = 1 - as.numeric(logLik(g1)) / as.numeric(logLik(g0)),
              "/accuracy" = mean((fitted(g1) > 0.5) == (mt$am == 1)), "/n_obs" = 32,
              "/residuals/0" = unname(residuals(g1, "deviance")[1])))),
    ok("probit link", list(data = tbl(mt), formula = "am ~ wt", link = "probit"),
       c(named("coefficients", coef(g4)), list("/link" = "probit", "/aic" = AIC(g4)))),
    ok("poisson family matches glm(poisson)",
       list(data = tbl(mt), formula = "carb ~ wt + hp", family = "poisson"),
       c(named("coefficients", coef(g2)), named("std_errors", summary(g2)$coefficients[, 2]),
         list("/deviance" = deviance(g2), "/aic" = AIC(g2), "/link" = "log"))),
    ok("gamma family (R's Gamma, inverse link)",
       list(data = tbl(mt), formula = "mpg ~ wt", family = "gamma"),
       c(named("coefficients", coef(g3)), list("/deviance" = deviance(g3), "/link" = "inverse"))),
    bad("response not 0/1 for binomial", list(data = tbl(mt), formula = "mpg ~ wt"),
        c("formula", "response 'mpg'", "0/1")),
    bad("unknown family", list(data = tbl(mt), formula = "am ~ wt", family = "gaussian"),
        c("family", "unknown value")),
    bad("unknown column", list(data = tbl(mt), formula = "am ~ weight"),
        c("formula", "'weight'", "not found")),
    bad("three-valued text response", list(data = tbl(data.frame(y = c("a", "b", "c", "a"), x = 1:4)),
                                           formula = "y ~ x"),
        c("formula", "3 distinct values"))
  ))
})

# ---- correlation_analysis ----------------------------------------------------------
local({
  tiny <- data.frame(x = c(1, 2, 3), y = c(1, 3, 2))
  m3 <- mt[, c("mpg", "wt", "hp")]
  R <- cor(m3)
  ct <- cor.test(mt$mpg, mt$wt)
  ct2 <- cor.test(mt$wt, mt$hp)
  ok_rows <- !is.na(aq$Ozone) & !is.na(aq$Solar.R)
  sp <- suppressWarnings(cor.test(aq$Ozone, aq$Solar.R, method = "spearman"))
  kx <- data.frame(a = 1:10, b = c(2, 1, 4, 3, 6, 5, 8, 7, 10, 9))
  kt <- cor.test(kx$a, kx$b, method = "kendall")
  cc <- complete.cases(aq[, c("Ozone", "Solar.R", "Wind")])
  Rc <- cor(aq[cc, c("Ozone", "Solar.R", "Wind")])
  write_fixture("correlation_analysis", list(
    ok("three points with r = 1/2: t = 1/sqrt(3), p = 2/3",
       list(data = tbl(tiny)),
       list("/correlation_matrix/x/y" = 0.5, "/correlation_matrix/x/x" = 1,
            "/significance_tests/p_values/x/y" = 2 / 3, "/significance_tests/test_statistics/y/x" = 1 / sqrt(3),
            "/n_obs/x/y" = 3, "/method" = "pearson", "/variables" = arr(c("x", "y")))),
    ok("mtcars mpg, wt, hp: cor and cor.test (t, p, Fisher-z interval)",
       list(data = tbl(m3)),
       list("/correlation_matrix/mpg/wt" = R["mpg", "wt"], "/correlation_matrix/hp/mpg" = R["hp", "mpg"],
            "/correlation_matrix/wt/hp" = R["wt", "hp"],
            "/significance_tests/p_values/mpg/wt" = ct$p.value,
            "/significance_tests/test_statistics/mpg/wt" = unname(ct$statistic),
            "/significance_tests/mpg_wt/conf_int_lower" = ct$conf.int[1],
            "/significance_tests/mpg_wt/conf_int_upper" = ct$conf.int[2],
            "/significance_tests/wt_hp/p_value" = ct2$p.value, "/n_obs/mpg/hp" = 32)),
    ok("variables subset of mtcars",
       list(data = tbl(mt), variables = arr(c("qsec", "drat"))),
       list("/correlation_matrix/qsec/drat" = cor(mt$qsec, mt$drat), "/variables" = arr(c("qsec", "drat")))),
    ok("airquality Spearman, pairwise complete rows",
       list(data = tbl(aq[, c("Ozone", "Solar.R", "Wind")]), method = "spearman", use = "pairwise.complete.obs"),
       list("/correlation_matrix/Ozone/Solar.R" = cor(aq$Ozone, aq$Solar.R, method = "spearman", use = "complete.obs"),
            "/significance_tests/p_values/Ozone/Solar.R" = sp$p.value,
            "/significance_tests/test_statistics/Ozone/Solar.R" = unname(sp$statistic),
            "/n_obs/Ozone/Solar.R" = sum(ok_rows), "/n_obs/Wind/Wind" = 153, "/method" = "spearman")),
    ok("airquality Pearson on complete rows (default use)",
       list(data = tbl(aq[, c("Ozone", "Solar.R", "Wind")])),
       list("/correlation_matrix/Ozone/Wind" = Rc["Ozone", "Wind"], "/n_obs/Ozone/Wind" = sum(cc))),
    ok("Kendall without ties: exact p-value as cor.test",
       list(data = tbl(kx), method = "kendall"),
       list("/correlation_matrix/a/b" = unname(kt$estimate), "/significance_tests/p_values/a/b" = kt$p.value,
            "/significance_tests/test_statistics/a/b" = unname(kt$statistic))),
    bad("unknown variable", list(data = tbl(m3), variables = arr(c("mpg", "weight"))),
        c("variables", "'weight'", "not found")),
    bad("only one variable", list(data = tbl(m3), variables = arr("mpg")),
        c("variables", "at least 2")),
    bad("text variable", list(data = tbl(data.frame(a = 1:3, b = c("x", "y", "z"))), variables = arr(c("a", "b"))),
        c("variables", "'b'", "must be numeric")),
    bad("constant column", list(data = tbl(data.frame(a = 1:4, b = 2))), c("variables", "'b'", "constant")),
    bad("use 'everything' with missing values", list(data = tbl(aq[, c("Ozone", "Wind")]), use = "everything"),
        c("use", "everything", "missing values")),
    bad("unknown method", list(data = tbl(m3), method = "distance"), c("method", "unknown value"))
  ))
})

# ---- panel_regression ----------------------------------------------------------------
local({
  # Within slope is exactly 2: the disturbances (1,-2,1), (-1,2,-1) are
  # orthogonal to the demeaned x (-1,0,1); within R^2 = 1 - 12/28.
  tiny <- data.frame(firm = c("A", "A", "A", "B", "B", "B"), year = c(1, 2, 3, 1, 2, 3),
                     x = c(1, 2, 3, 1, 2, 3), y = c(13, 12, 17, 21, 26, 25))
  pd <- plm::pdata.frame(gr, index = c("firm", "year"))
  fe <- plm::plm(inv ~ value + capital, pd, model = "within")
  fe_rob <- lmtest::coeftest(fe, vcov. = plm::vcovHC(fe, type = "HC1"))
  lsdv <- lm(inv ~ value + capital + factor(firm), gr)
  re <- plm::plm(inv ~ value + capital, pd, model = "random")
  re_s <- summary(re)
  ols <- lm(inv ~ value + capital, gr)
  means <- aggregate(cbind(inv, value, capital) ~ firm, gr, mean)
  be <- lm(inv ~ value + capital, means)
  be_se <- sqrt(diag(sandwich::vcovHC(be, type = "HC1")))
  gr2 <- gr
  gr2$size <- as.numeric(gr2$firm) * 10
  fe2 <- plm::plm(inv ~ value + size, plm::pdata.frame(gr2, index = c("firm", "year")), model = "within")
  fe2_rob <- lmtest::coeftest(fe2, vcov. = plm::vcovHC(fe2, type = "HC1"))
  col <- function(m, j) stats::setNames(m[, j], rownames(m))  # keeps the name of a one-row table
  dup <- rbind(gr[1:5, ], gr[1, ])
  write_fixture("panel_regression", list(
    ok("tiny panel: fixed-effects slope exactly 2, within R^2 = 16/28",
       list(data = tbl(tiny), formula = "y ~ x", id_variable = "firm", time_variable = "year", robust = FALSE),
       list("/coefficients/x" = 2, "/r_squared" = 16 / 28, "/n_obs" = 6, "/n_groups" = 2,
            "/time_periods" = 3, "/model_type" = "within", "/robust_se" = FALSE)),
    ok("Grunfeld fixed effects: slopes equal the LSDV regression, robust HC1 (Arellano) SEs",
       list(data = tbl(gr), formula = "inv ~ value + capital", id_variable = "firm", time_variable = "year"),
       c(named("coefficients", coef(lsdv)[c("value", "capital")]), named("std_errors", fe_rob[, 2]),
         named("t_values", fe_rob[, 3]), named("p_values", fe_rob[, 4]),
         list("/r_squared" = plm::r.squared(fe), "/adj_r_squared" = plm::r.squared(fe, dfcor = TRUE),
              "/n_obs" = 200, "/n_groups" = 10, "/time_periods" = 20, "/robust_se" = TRUE,
              "/formula" = "inv ~ value + capital"))),
    ok("Grunfeld pooled OLS with classical SEs equals lm",
       list(data = tbl(gr), formula = "inv ~ value + capital", id_variable = "firm", time_variable = "year",
            model = "pooling", robust = FALSE),
       c(named("coefficients", coef(ols)), named("std_errors", summary(ols)$coefficients[, 2]),
         list("/r_squared" = summary(ols)$r.squared))),
    ok("Grunfeld random effects (Swamy-Arora) with classical SEs",
       list(data = tbl(gr), formula = "inv ~ value + capital", id_variable = "firm", time_variable = "year",
            model = "random", robust = FALSE),
       c(named("coefficients", coef(re)), named("std_errors", re_s$coefficients[, 2]),
         list("/r_squared" = unname(re_s$r.squared[1])))),
    ok("Grunfeld between model: OLS on firm means with HC1 SEs",
       list(data = tbl(gr), formula = "inv ~ value + capital", id_variable = "firm", time_variable = "year",
            model = "between"),
       c(named("coefficients", coef(be)), named("std_errors", be_se),
         list("/r_squared" = summary(be)$r.squared, "/n_groups" = 10))),
    bad("id column missing", list(data = tbl(gr), formula = "inv ~ value", id_variable = "company",
                                   time_variable = "year"),
        c("id_variable", "'company'", "not found", "available columns")),
    bad("duplicate (id, time) rows", list(data = tbl(dup), formula = "inv ~ value", id_variable = "firm",
                                          time_variable = "year"),
        c("time_variable", "unique")),
    # plm drops what the within transformation wipes out, as the reference.
    ok("regressor constant within firms under fixed effects: plm drops it, with a warning",
       list(data = tbl(gr2), formula = "inv ~ value + size", id_variable = "firm", time_variable = "year"),
       c(named("coefficients", coef(fe2)), named("std_errors", col(fe2_rob, 2)),
         named("t_values", col(fe2_rob, 3)), named("p_values", col(fe2_rob, 4)),
         list("/r_squared" = plm::r.squared(fe2), "/n_obs" = 200, "/model_type" = "within")),
       warning = c("formula: term 'size' cannot be estimated", "left out of the results")),
    bad("only regressors constant within firms under fixed effects: plm's empty model",
        list(data = tbl(gr2), formula = "inv ~ size", id_variable = "firm", time_variable = "year"),
        c("formula", "empty model")),
    bad("unknown model", list(data = tbl(gr), formula = "inv ~ value", id_variable = "firm",
                               time_variable = "year", model = "fd"),
        c("model", "unknown value"))
  ))
})

# ---- instrumental_variables ---------------------------------------------------------
local({
  # Just-identified IV slope = cov(z, y) / cov(z, x) = 2 exactly: y = 1 + 2x + u
  # with u = (1,-1,-1,1) orthogonal to z and summing to 0.
  tiny <- data.frame(z = c(1, 2, 3, 4), x = c(1, 3, 2, 5), y = c(4, 6, 4, 12))
  iv <- AER::ivreg(log(packs) ~ log(rprice) + log(rincome) | log(rincome) + tdiff + rtax, data = cig)
  rob <- lmtest::coeftest(iv, vcov. = sandwich::sandwich)
  s <- summary(iv, diagnostics = TRUE)
  d <- s$diagnostics
  iv2 <- AER::ivreg(log(packs) ~ log(rprice) + log(rincome) | log(rincome) + tdiff, data = cig)
  s2 <- summary(iv2, diagnostics = TRUE)
  write_fixture("instrumental_variables", list(
    ok("just-identified IV recovers intercept 1 and slope 2 exactly",
       list(data = tbl(tiny), formula = "y ~ x | z", robust = FALSE),
       list("/coefficients/(Intercept)" = 1, "/coefficients/x" = 2, "/n_obs" = 4,
            "/sargan/df1" = 0, "/robust_se" = FALSE, "/formula" = "y ~ x | z")),
    ok("cigarette demand 1995 (Stock & Watson): 2SLS, HC0 SEs, diagnostics as summary.ivreg",
       list(data = tbl(cig), formula = "log(packs) ~ log(rprice) + log(rincome) | log(rincome) + tdiff + rtax"),
       c(named("coefficients", coef(iv)), named("std_errors", rob[, 2]), named("t_values", rob[, 3]),
         named("p_values", rob[, 4]),
         list("/r_squared" = s$r.squared, "/adj_r_squared" = s$adj.r.squared,
              "/weak_instruments/statistic" = d["Weak instruments", "statistic"],
              "/weak_instruments/p_value" = d["Weak instruments", "p-value"],
              "/wu_hausman/statistic" = d["Wu-Hausman", "statistic"],
              "/wu_hausman/p_value" = d["Wu-Hausman", "p-value"],
              "/sargan/statistic" = d["Sargan", "statistic"], "/sargan/p_value" = d["Sargan", "p-value"],
              "/n_obs" = 48, "/robust_se" = TRUE))),
    ok("exactly identified, classical SEs",
       list(data = tbl(cig), formula = "log(packs) ~ log(rprice) + log(rincome) | log(rincome) + tdiff",
            robust = FALSE),
       c(named("coefficients", coef(iv2)), named("std_errors", s2$coefficients[, 2]),
         list("/weak_instruments/statistic" = s2$diagnostics["Weak instruments", "statistic"],
              "/sargan/df1" = 0))),
    bad("no instruments", list(data = tbl(cig), formula = "log(packs) ~ log(rprice)"),
        c("formula", "no instruments")),
    bad("under-identified", list(data = tbl(cig), formula = "log(packs) ~ log(rprice) + log(rincome) | log(rincome)"),
        c("formula", "fewer instruments than regressors")),
    bad("unknown column", list(data = tbl(cig), formula = "log(packs) ~ log(price) | tdiff"),
        c("formula", "'price'", "not found"))
  ))
})

# ---- var_model --------------------------------------------------------------------------
# Textbook OLS VAR computed independently: lm() of each variable on the lagged
# matrix from embed(); loglik/AIC/BIC and the residual covariance written out
# as vars::VAR / logLik.varest / summary.varest define them.
var_expect <- function(df, vars, p, type) {
  y <- as.matrix(df[, vars])
  K <- length(vars)
  E <- embed(y, p + 1)
  Y <- E[, 1:K, drop = FALSE]
  Z <- E[, -(1:K), drop = FALSE]
  cn <- paste0(rep(vars, p), ".l", rep(1:p, each = K))
  N <- nrow(Y)
  if (type %in% c("const", "both")) { Z <- cbind(Z, 1); cn <- c(cn, "const") }
  if (type %in% c("trend", "both")) { Z <- cbind(Z, (p + 1):(p + N)); cn <- c(cn, "trend") }
  colnames(Z) <- cn
  out <- list()
  U <- NULL
  for (k in 1:K) {
    fit <- lm(Y[, k] ~ Z - 1)
    s <- summary(fit)
    b <- coef(fit); names(b) <- cn
    se <- s$coefficients[, 2]; names(se) <- cn
    tss <- if (type %in% c("const", "both")) sum((Y[, k] - mean(Y[, k]))^2) else sum(Y[, k]^2)
    r2 <- 1 - sum(residuals(fit)^2) / tss
    out <- c(out, named(c("equations", vars[k], "coefficients"), b),
             named(c("equations", vars[k], "std_errors"), se))
    out[[ptr(c("equations", vars[k], "r_squared"))]] <- r2
    U <- cbind(U, residuals(fit))
  }
  m <- ncol(Z)
  Sigma <- crossprod(U) / N
  ll <- -(N * K / 2) * log(2 * pi) - (N / 2) * log(det(Sigma)) -
    0.5 * sum(diag(U %*% solve(Sigma) %*% t(U)))
  covres <- cov(U) * (N - 1) / (N - m)
  c(out, list("/loglik" = ll, "/aic" = -2 * ll + 2 * K * m, "/bic" = -2 * ll + log(N) * K * m,
              "/residual_covariance/0" = arr(unname(covres[1, ])),
              "/residual_covariance/1" = arr(unname(covres[2, ])),
              "/n_obs" = N, "/n_variables" = K, "/lag_order" = p, "/var_type" = type))
}
local({
  tiny <- data.frame(a = c(1, 3, 2, 5, 4, 6, 5, 8), b = c(2, 1, 4, 3, 5, 7, 6, 7))
  # closed-form OLS for the tiny VAR(1): B = (Z'Z)^-1 Z'Y
  Z <- cbind(tiny$a[-8], tiny$b[-8], 1)
  B <- solve(crossprod(Z), crossprod(Z, cbind(tiny$a[-1], tiny$b[-1])))
  write_fixture("var_model", list(
    ok("tiny VAR(1): coefficients are (Z'Z)^-1 Z'Y, 7 observations after the lag",
       list(data = tbl(tiny), variables = arr(c("a", "b")), lags = 1),
       list("/equations/a/coefficients/a.l1" = B[1, 1], "/equations/a/coefficients/b.l1" = B[2, 1],
            "/equations/a/coefficients/const" = B[3, 1], "/equations/b/coefficients/a.l1" = B[1, 2],
            "/equations/b/coefficients/const" = B[3, 2], "/n_obs" = 7, "/n_variables" = 2,
            "/lag_order" = 1, "/var_type" = "const", "/variables" = arr(c("a", "b")))),
    ok("UK lung deaths (mdeaths, fdeaths) VAR(2) const vs lm on embed()",
       list(data = tbl(deaths), variables = arr(c("mdeaths", "fdeaths"))),
       var_expect(deaths, c("mdeaths", "fdeaths"), 2, "const")),
    ok("VAR(3) with constant and trend",
       list(data = tbl(deaths), variables = arr(c("mdeaths", "fdeaths")), lags = 3, type = "both"),
       var_expect(deaths, c("mdeaths", "fdeaths"), 3, "both")),
    ok("VAR(1) without deterministic terms (uncentred R^2)",
       list(data = tbl(deaths), variables = arr(c("fdeaths", "mdeaths")), lags = 1, type = "none"),
       var_expect(deaths, c("fdeaths", "mdeaths"), 1, "none")),
    ok("VAR(2) with trend only",
       list(data = tbl(deaths), variables = arr(c("mdeaths", "fdeaths")), lags = 2, type = "trend"),
       var_expect(deaths, c("mdeaths", "fdeaths"), 2, "trend")),
    bad("a single variable", list(data = tbl(deaths), variables = arr("mdeaths")),
        c("variables", "at least 2")),
    bad("too many lags for the rows", list(data = tbl(tiny), variables = arr(c("a", "b")), lags = 4),
        c("data", "too few")),
    bad("unknown type", list(data = tbl(tiny), variables = arr(c("a", "b")), type = "season"),
        c("type", "unknown value")),
    bad("text column", list(data = tbl(data.frame(a = 1:6, b = letters[1:6])), variables = arr(c("a", "b"))),
        c("variables", "'b'", "must be numeric")),
    bad("unknown column", list(data = tbl(tiny), variables = arr(c("a", "c"))),
        c("variables", "'c'", "not found"))
  ))
})

# ---- summary_stats --------------------------------------------------------------------
local({
  q <- function(x, p) unname(quantile(x, p, na.rm = TRUE))
  sk <- skew_kurt(mt$mpg)
  oz <- aq$Ozone[!is.na(aq$Ozone)]
  write_fixture("summary_stats", list(
    ok("1..5: mean 3, sd sqrt(2.5), quartiles 2/3/4, skewness 0, excess kurtosis 6.8/6.25 - 3",
       list(data = tbl(data.frame(x = 1:5))),
       list("/statistics/x/n" = 5, "/statistics/x/n_missing" = 0, "/statistics/x/mean" = 3,
            "/statistics/x/sd" = sqrt(2.5), "/statistics/x/min" = 1, "/statistics/x/max" = 5,
            "/statistics/x/range" = 4, "/statistics/x/p25" = 2, "/statistics/x/p50" = 3,
            "/statistics/x/p75" = 4, "/statistics/x/skewness" = 0, "/statistics/x/kurtosis" = 6.8 / 6.25 - 3,
            "/n_obs" = 5, "/grouped" = FALSE, "/variables" = arr("x"))),
    ok("one value: sd, skewness and kurtosis are null",
       list(data = tbl(data.frame(x = 7))),
       list("/statistics/x/n" = 1, "/statistics/x/mean" = 7, "/statistics/x/sd" = NULL,
            "/statistics/x/skewness" = NULL, "/statistics/x/kurtosis" = NULL)),
    ok("mtcars mpg and hp match mean/sd/quantile",
       list(data = tbl(mt), variables = arr(c("mpg", "hp")), percentiles = arr(c(0.1, 0.5, 0.9))),
       list("/statistics/mpg/mean" = mean(mt$mpg), "/statistics/mpg/sd" = sd(mt$mpg),
            "/statistics/mpg/p10" = q(mt$mpg, 0.1), "/statistics/mpg/p50" = median(mt$mpg),
            "/statistics/mpg/p90" = q(mt$mpg, 0.9), "/statistics/mpg/skewness" = sk[1],
            "/statistics/mpg/kurtosis" = sk[2], "/statistics/hp/mean" = mean(mt$hp),
            "/statistics/hp/max" = max(mt$hp), "/variables" = arr(c("mpg", "hp")))),
    ok("airquality Ozone: missing values counted and skipped",
       list(data = tbl(aq)),
       list("/statistics/Ozone/n" = length(oz), "/statistics/Ozone/n_missing" = sum(is.na(aq$Ozone)),
            "/statistics/Ozone/mean" = mean(oz), "/statistics/Ozone/p75" = q(oz, 0.75),
            "/n_obs" = 153, "/variables" = arr(names(aq)))),
    ok("iris grouped by Species (tapply)",
       list(data = tbl(ir), variables = arr(c("Sepal.Length", "Petal.Width")), group_by = "Species"),
       list("/statistics/setosa/Sepal.Length/mean" = unname(tapply(ir$Sepal.Length, ir$Species, mean)["setosa"]),
            "/statistics/virginica/Petal.Width/sd" = unname(tapply(ir$Petal.Width, ir$Species, sd)["virginica"]),
            "/statistics/versicolor/Sepal.Length/p50" = median(ir$Sepal.Length[ir$Species == "versicolor"]),
            "/statistics/versicolor/Sepal.Length/n" = 50, "/grouped" = TRUE, "/group_by" = "Species",
            "/groups" = arr(c("setosa", "versicolor", "virginica")))),
    bad("unknown variable", list(data = tbl(mt), variables = arr(c("mpg", "speed"))),
        c("variables", "'speed'", "not found", "available columns")),
    bad("unknown group_by column", list(data = tbl(mt), group_by = "maker"),
        c("group_by", "'maker'", "not found")),
    bad("percentile above 1", list(data = tbl(mt), percentiles = arr(c(0.5, 50))),
        c("percentiles", "between 0 and 1")),
    bad("no numeric columns", list(data = tbl(data.frame(a = c("x", "y")))),
        c("data", "no numeric columns")),
    bad("text variable requested", list(data = tbl(ir), variables = arr("Species")),
        c("variables", "'Species'", "must be numeric"))
  ))
})

# ---- outlier_detection ----------------------------------------------------------------
local({
  z <- abs(mt$hp - mean(mt$hp)) / sd(mt$hp)
  oz <- aq$Ozone
  med <- median(oz, na.rm = TRUE); md <- mad(oz, na.rm = TRUE)
  mz <- which(abs(0.6745 * (oz - med) / md) > 3)
  qh <- quantile(mt$hp, c(.25, .75))
  write_fixture("outlier_detection", list(
    ok("1,2,3,4,100: quartiles 2 and 4, fences -1 and 7, row 5 is the outlier",
       list(data = tbl(data.frame(x = c(1, 2, 3, 4, 100))), variable = "x"),
       list("/outlier_indices" = arr(5), "/outlier_values" = arr(100), "/n_outliers" = 1,
            "/n_obs" = 5, "/outlier_percentage" = 20, "/bounds/lower" = -1, "/bounds/upper" = 7,
            "/bounds/iqr" = 2, "/method" = "iqr")),
    ok("mtcars hp z-scores above 2 (row of the Maserati Bora)",
       list(data = tbl(mt), variable = "hp", method = "z_score", threshold = 2),
       list("/outlier_indices" = arr(which(z > 2)), "/outlier_values" = arr(mt$hp[z > 2]),
            "/bounds/mean" = mean(mt$hp), "/bounds/sd" = sd(mt$hp), "/bounds/threshold" = 2)),
    ok("mtcars hp IQR fences with the default multiplier 1.5",
       list(data = tbl(mt), variable = "hp"),
       list("/outlier_indices" = arr(which(mt$hp > qh[2] + 1.5 * diff(qh) | mt$hp < qh[1] - 1.5 * diff(qh))),
            "/bounds/upper" = unname(qh[2] + 1.5 * diff(qh)), "/bounds/iqr" = unname(diff(qh)))),
    ok("explicit threshold is the IQR multiplier (3: no outliers in mtcars hp)",
       list(data = tbl(mt), variable = "hp", threshold = 3),
       list("/n_outliers" = 0, "/bounds/upper" = unname(qh[2] + 3 * diff(qh)))),
    ok("airquality Ozone modified z-scores (missing values skipped, indices are row numbers)",
       list(data = tbl(aq), variable = "Ozone", method = "modified_z"),
       list("/outlier_indices" = arr(mz), "/n_obs" = sum(!is.na(oz)), "/bounds/median" = med,
            "/bounds/mad" = md)),
    bad("unknown column", list(data = tbl(mt), variable = "power"),
        c("variable", "'power'", "not found", "available columns")),
    bad("text column", list(data = tbl(ir), variable = "Species"), c("variable", "'Species'", "must be numeric")),
    bad("unknown method", list(data = tbl(mt), variable = "hp", method = "grubbs"), c("method", "unknown value")),
    # (x - mean) / sd is 0 / 0: no z-score exceeds the threshold, as the reference answers.
    ok("constant column with z-scores: none flagged, with a warning",
       list(data = tbl(data.frame(x = c(2, 2, 2))), variable = "x", method = "z_score"),
       list("/outlier_indices" = arr(which(abs((c(2, 2, 2) - 2) / sd(c(2, 2, 2))) > 3)),
            "/outlier_values" = arr(numeric(0)), "/n_outliers" = 0, "/n_obs" = 3,
            "/outlier_percentage" = 0, "/bounds/mean" = 2, "/bounds/sd" = 0),
       warning = c("variable: column 'x' is constant (sd = 0)", "no value is flagged")),
    ok("constant column with modified z-scores: none flagged, with a warning",
       list(data = tbl(data.frame(x = c(7, NA, 7, 7))), variable = "x", method = "modified_z"),
       list("/outlier_indices" = arr(integer(0)), "/n_outliers" = 0, "/n_obs" = 3,
            "/bounds/median" = 7, "/bounds/mad" = mad(c(7, 7, 7))),
       warning = c("variable: column 'x' is constant (MAD = 0)")),
    bad("median absolute deviation 0 with varying values (modified z-scores)",
        list(data = tbl(data.frame(x = c(1, 1, 1, 5))), variable = "x", method = "modified_z"),
        c("variable", "median absolute deviation 0", "'iqr'"))
  ))
})

# ---- frequency_table --------------------------------------------------------------------
local({
  tc <- table(mt$cyl)
  tg2 <- sort(table(mt$gear), decreasing = TRUE)
  tiny <- data.frame(x = c("a", "b", "a", "c", "a", NA))
  write_fixture("frequency_table", list(
    ok("a,b,a,c,a,null: most frequent first, missing counted as <NA>",
       list(data = tbl(tiny), variables = arr("x")),
       list("/frequency_tables/x/values" = arr(c("a", "b", "c", "<NA>")),
            "/frequency_tables/x/frequencies" = arr(c(3, 1, 1, 1)),
            "/frequency_tables/x/percentages" = arr(c(50, 100 / 6, 100 / 6, 100 / 6)),
            "/frequency_tables/x/n_total" = 5, "/frequency_tables/x/n_missing" = 1,
            "/frequency_tables/x/missing_percentage" = 100 / 6, "/total_observations" = 6)),
    ok("mtcars cyl in value order and gear by frequency (table)",
       list(data = tbl(mt), variables = arr(c("cyl", "gear")), sort_by = "value"),
       list("/frequency_tables/cyl/values" = arr(names(tc)),
            "/frequency_tables/cyl/frequencies" = arr(as.numeric(tc)),
            "/frequency_tables/cyl/percentages" = arr(as.numeric(prop.table(tc)) * 100),
            "/frequency_tables/gear/values" = arr(sort(unique(as.character(mt$gear)))),
            "/variables" = arr(c("cyl", "gear")), "/total_observations" = 32)),
    ok("mtcars gear sorted by frequency",
       list(data = tbl(mt), variables = arr("gear")),
       list("/frequency_tables/gear/values" = arr(names(tg2)),
            "/frequency_tables/gear/frequencies" = arr(as.numeric(tg2)))),
    ok("iris Species without percentages",
       list(data = tbl(ir), variables = arr("Species"), include_percentages = FALSE),
       list("/frequency_tables/Species/frequencies" = arr(c(50, 50, 50)),
            "/frequency_tables/Species/values" = arr(c("setosa", "versicolor", "virginica")))),
    bad("unknown column", list(data = tbl(mt), variables = arr("colour")),
        c("variables", "'colour'", "not found")),
    bad("unknown sort_by", list(data = tbl(mt), variables = arr("cyl"), sort_by = "count"),
        c("sort_by", "unknown value"))
  ))
})

# ---- t_test ------------------------------------------------------------------------------
local({
  one <- t.test(1:5, mu = 3)
  w <- t.test(mpg ~ am, data = mt)
  pooled <- t.test(mpg ~ am, data = mt, var.equal = TRUE)
  sl <- sleep
  pr <- t.test(sl$extra[sl$group == 1], sl$extra[sl$group == 2], paired = TRUE)
  gt <- t.test(tg$len, mu = 18, alternative = "greater")
  write_fixture("t_test", list(
    ok("1..5 against mu = 3: t = 0, p = 1",
       list(data = tbl(data.frame(x = 1:5)), variable = "x", mu = 3),
       list("/statistic" = 0, "/p_value" = 1, "/df" = 4, "/mean" = 3, "/null_value" = 3,
            "/confidence_interval/lower" = one$conf.int[1], "/confidence_interval/upper" = one$conf.int[2],
            "/confidence_interval/level" = 0.95, "/n_obs" = 5, "/test_type" = "One-sample t-test")),
    ok("mtcars mpg by am: Welch's t-test",
       list(data = tbl(mt), variable = "mpg", group = "am"),
       list("/statistic" = unname(w$statistic), "/df" = unname(w$parameter), "/p_value" = w$p.value,
            "/confidence_interval/lower" = w$conf.int[1], "/confidence_interval/upper" = w$conf.int[2],
            "/mean_x" = unname(w$estimate[1]), "/mean_y" = unname(w$estimate[2]),
            "/groups" = arr(c("0", "1")), "/n_obs_x" = 19, "/n_obs_y" = 13, "/test_type" = "Welch's t-test")),
    ok("mtcars mpg by am with equal variances",
       list(data = tbl(mt), variable = "mpg", group = "am", var_equal = TRUE),
       list("/statistic" = unname(pooled$statistic), "/df" = 30, "/p_value" = pooled$p.value,
            "/test_type" = "Two-sample t-test (equal variances)", "/var_equal" = TRUE)),
    ok("sleep: paired t-test (Student's data)",
       list(data = tbl(rt(sleep)), variable = "extra", group = "group", paired = TRUE),
       list("/statistic" = unname(pr$statistic), "/df" = 9, "/p_value" = pr$p.value,
            "/mean_difference" = unname(pr$estimate), "/confidence_interval/lower" = pr$conf.int[1],
            "/test_type" = "Paired t-test", "/paired" = TRUE)),
    ok("ToothGrowth len greater than 18: one-sided, upper bound omitted",
       list(data = tbl(tg), variable = "len", mu = 18, alternative = "greater"),
       list("/statistic" = unname(gt$statistic), "/p_value" = gt$p.value,
            "/confidence_interval/lower" = gt$conf.int[1], "/alternative" = "greater")),
    bad("three groups", list(data = tbl(ir), variable = "Sepal.Length", group = "Species"),
        c("group", "'Species'", "exactly 2")),
    bad("text variable", list(data = tbl(ir), variable = "Species"), c("variable", "'Species'", "must be numeric")),
    bad("unknown column", list(data = tbl(mt), variable = "mileage"), c("variable", "'mileage'", "not found")),
    bad("unknown alternative", list(data = tbl(mt), variable = "mpg", alternative = "two-sided"),
        c("alternative", "unknown value", "two.sided")),
    bad("constant data", list(data = tbl(data.frame(x = c(4, 4, 4))), variable = "x"),
        c("variable", "'x'", "constant"))
  ))
})

# ---- anova ----------------------------------------------------------------------------------
local({
  tiny <- data.frame(y = c(1, 2, 3, 4, 5, 6), g = c("a", "a", "a", "b", "b", "b"))
  tgf <- tg
  a1 <- anova(lm(len ~ supp * dose, tgf))
  a2 <- car::Anova(lm(len ~ supp * dose, tgf), type = 2)
  a3 <- car::Anova(lm(len ~ supp * dose, transform(tgf, supp = factor(supp), dose = factor(dose)),
                      contrasts = list(supp = "contr.sum", dose = "contr.sum")), type = 3)
  am <- anova(lm(mpg ~ factor(cyl) + wt, mt))
  s <- summary(lm(len ~ supp * dose, tgf))
  col <- data.frame(y = c(1, 3, 2, 5, 4), x = 1:5, x2 = 2 * (1:5))
  write_fixture("anova", list(
    ok("two groups 1,2,3 vs 4,5,6: SS 13.5 and 4, F = 13.5",
       list(data = tbl(tiny), formula = "y ~ g"),
       list("/anova_table/terms" = arr("g"), "/anova_table/df" = arr(1), "/anova_table/sum_sq" = arr(13.5),
            "/anova_table/mean_sq" = arr(13.5), "/anova_table/f_value" = arr(13.5),
            "/model_summary/df_residual" = 4, "/model_summary/n_obs" = 6, "/anova_type" = "Type I")),
    ok("ToothGrowth len ~ supp * dose, Type I (anova.lm)",
       list(data = tbl(tgf), formula = "len ~ supp * dose"),
       list("/anova_table/terms" = arr(c("supp", "dose", "supp:dose")),
            "/anova_table/sum_sq" = arr(a1[1:3, "Sum Sq"]), "/anova_table/f_value" = arr(a1[1:3, "F value"]),
            "/anova_table/p_value" = arr(a1[1:3, "Pr(>F)"]), "/anova_table/df" = arr(a1[1:3, "Df"]),
            "/model_summary/r_squared" = s$r.squared, "/model_summary/residual_se" = s$sigma,
            "/formula" = "len ~ supp * dose")),
    ok("ToothGrowth Type II (car::Anova)",
       list(data = tbl(tgf), formula = "len ~ supp * dose", type = "II"),
       list("/anova_table/sum_sq" = arr(a2[1:3, "Sum Sq"]), "/anova_table/f_value" = arr(a2[1:3, "F value"]),
            "/anova_type" = "Type II")),
    ok("ToothGrowth Type III with sum-to-zero contrasts (car::Anova)",
       list(data = tbl(tgf), formula = "len ~ supp * dose", type = "III"),
       list("/anova_table/terms" = arr(c("(Intercept)", "supp", "dose", "supp:dose")),
            "/anova_table/sum_sq" = arr(a3[1:4, "Sum Sq"]), "/anova_table/f_value" = arr(a3[1:4, "F value"]),
            "/anova_table/p_value" = arr(a3[1:4, "Pr(>F)"]), "/anova_type" = "Type III")),
    ok("mtcars mpg ~ factor(cyl) + wt, Type I",
       list(data = tbl(mt), formula = "mpg ~ factor(cyl) + wt"),
       list("/anova_table/sum_sq" = arr(am[1:2, "Sum Sq"]), "/anova_table/df" = arr(c(2, 1)),
            "/anova_table/p_value" = arr(am[1:2, "Pr(>F)"]))),
    bad("unknown type", list(data = tbl(tiny), formula = "y ~ g", type = "IV"), c("type", "unknown value")),
    bad("unknown column", list(data = tbl(tiny), formula = "y ~ group"), c("formula", "'group'", "not found")),
    bad("aliased term with Type II", list(data = tbl(col), formula = "y ~ x + x2", type = "II"),
        c("formula", "singular", "'x2'")),
    bad("text response", list(data = tbl(tiny), formula = "g ~ y"), c("formula", "response", "numeric"))
  ))
})

# ---- chi_square_test ----------------------------------------------------------------------
local({
  tiny <- data.frame(x = c("a", "b", "a", "b", "a", "a"), y = c(1, 1, 2, 2, 2, 1))
  ct <- suppressWarnings(chisq.test(table(mt$cyl, mt$am)))
  gear <- table(mt$gear)
  gf <- chisq.test(gear)
  gp <- chisq.test(gear, p = c(0.5, 0.3, 0.2))
  hs <- as.data.frame(HairEyeColor)
  hs <- hs[rep(seq_len(nrow(hs)), hs$Freq), c("Hair", "Eye")]
  hs <- rt(hs)
  he <- chisq.test(table(hs$Hair, hs$Eye))
  write_fixture("chi_square_test", list(
    ok("2x2 table with identical row profiles: X^2 = 0, p = 1",
       list(data = tbl(tiny), test_type = "independence", x = "x", y = "y"),
       list("/statistic" = 0, "/p_value" = 1, "/df" = 1, "/contingency_table/0" = arr(c(2, 2)),
            "/contingency_table/1" = arr(c(1, 1)), "/expected_frequencies/0" = arr(c(2, 2)),
            "/cramers_v" = 0, "/test_type" = "Chi-square test of independence")),
    ok("observed equal to expected proportions: X^2 = 0",
       list(data = tbl(tiny), test_type = "goodness_of_fit", x = "x", expected = arr(c(2, 1))),
       list("/statistic" = 0, "/p_value" = 1, "/observed_frequencies" = arr(c(4, 2)),
            "/expected_frequencies/0" = arr(4), "/expected_frequencies/1" = arr(2),
            "/categories" = arr(c("a", "b")), "/test_type" = "Chi-square goodness of fit test")),
    ok("mtcars cyl x am (chisq.test)",
       list(data = tbl(mt), test_type = "independence", x = "cyl", y = "am"),
       list("/statistic" = unname(ct$statistic), "/df" = 2, "/p_value" = ct$p.value,
            "/expected_frequencies/0" = arr(unname(ct$expected[1, ])),
            "/residuals/2" = arr(unname(ct$residuals[3, ])),
            "/cramers_v" = sqrt(unname(ct$statistic) / (32 * 1)), "/x_variable" = "cyl", "/y_variable" = "am")),
    ok("hair x eye colour (HairEyeColor, 592 students)",
       list(data = tbl(hs), test_type = "independence", x = "Hair", y = "Eye"),
       list("/statistic" = unname(he$statistic), "/df" = 9, "/p_value" = he$p.value,
            "/contingency_table/0" = arr(as.numeric(table(hs$Hair, hs$Eye)[1, ])),
            "/cramers_v" = sqrt(unname(he$statistic) / (592 * 3)))),
    ok("mtcars gear against equal proportions",
       list(data = tbl(mt), test_type = "goodness_of_fit", x = "gear"),
       list("/statistic" = unname(gf$statistic), "/df" = 2, "/p_value" = gf$p.value,
            "/observed_frequencies" = arr(as.numeric(gear)), "/categories" = arr(names(gear)))),
    ok("mtcars gear against 50/30/20 percent",
       list(data = tbl(mt), test_type = "goodness_of_fit", x = "gear", expected = arr(c(50, 30, 20))),
       list("/statistic" = unname(gp$statistic), "/p_value" = gp$p.value,
            "/expected_frequencies/0" = arr(16), "/residuals/2" = arr(unname(gp$residuals[3])))),
    bad("independence without y", list(data = tbl(tiny), test_type = "independence", x = "x"),
        c("y", "required")),
    bad("expected of the wrong length", list(data = tbl(mt), test_type = "goodness_of_fit", x = "gear",
                                             expected = arr(c(1, 1))),
        c("expected", "3 categories")),
    bad("unknown column", list(data = tbl(mt), test_type = "independence", x = "cyl", y = "colour"),
        c("y", "'colour'", "not found")),
    bad("unknown test_type", list(data = tbl(mt), test_type = "fisher", x = "cyl"),
        c("test_type", "unknown value"))
  ))
})

# ---- normality_test -------------------------------------------------------------------------
local({
  sw <- shapiro.test(mt$mpg)
  jb <- tseries::jarque.bera.test(mt$mpg)
  oz <- aq$Ozone[!is.na(aq$Ozone)]
  ad <- nortest::ad.test(oz)
  sk <- skew_kurt(mt$mpg)
  write_fixture("normality_test", list(
    ok("1..5: symmetric, skewness 0, excess kurtosis -1.912",
       list(data = tbl(data.frame(x = 1:5)), variable = "x"),
       list("/mean" = 3, "/sd" = sqrt(2.5), "/skewness" = 0, "/excess_kurtosis" = 6.8 / 6.25 - 3,
            "/n_obs" = 5, "/statistic" = unname(shapiro.test(1:5)$statistic),
            "/test_name" = "Shapiro-Wilk normality test")),
    ok("mtcars mpg Shapiro-Wilk",
       list(data = tbl(mt), variable = "mpg"),
       list("/statistic" = unname(sw$statistic), "/p_value" = sw$p.value, "/is_normal" = sw$p.value > 0.05,
            "/skewness" = sk[1], "/excess_kurtosis" = sk[2])),
    ok("mtcars mpg Jarque-Bera (tseries)",
       list(data = tbl(mt), variable = "mpg", test = "jarque_bera"),
       list("/statistic" = unname(jb$statistic), "/df" = 2, "/p_value" = unname(jb$p.value),
            "/test_name" = "Jarque-Bera normality test")),
    ok("airquality Ozone Anderson-Darling (nortest), missing values skipped",
       list(data = tbl(aq), variable = "Ozone", test = "anderson"),
       list("/statistic" = unname(ad$statistic), "/p_value" = ad$p.value, "/is_normal" = FALSE,
            "/n_obs" = length(oz), "/test_name" = "Anderson-Darling normality test")),
    bad("unknown test", list(data = tbl(mt), variable = "mpg", test = "lilliefors"), c("test", "unknown value")),
    bad("too few values for Anderson-Darling", list(data = tbl(data.frame(x = 1:5)), variable = "x",
                                                    test = "anderson"),
        c("variable", "at least 8")),
    bad("constant column", list(data = tbl(data.frame(x = c(3, 3, 3, 3))), variable = "x"),
        c("variable", "'x'", "constant")),
    bad("unknown column", list(data = tbl(mt), variable = "speed"), c("variable", "'speed'", "not found"))
  ))
})

# ---- lag_lead ----------------------------------------------------------------------------------
local({
  lh <- rt(data.frame(level = as.numeric(LakeHuron)[1:10]))
  write_fixture("lag_lead", list(
    ok("1,2,3,4: lag 1 and 2, lead 1",
       list(data = tbl(data.frame(x = 1:4)), variables = arr("x"), lags = arr(c(1, 2)), leads = arr(1)),
       list("/data/x_lag1" = arr(c(NA, 1, 2, 3)), "/data/x_lag2" = arr(c(NA, NA, 1, 2)),
            "/data/x_lead1" = arr(c(2, 3, 4, NA)), "/data/x" = arr(1:4),
            "/variables_created" = arr(c("x_lag1", "x_lag2", "x_lead1")), "/n_obs" = 4,
            "/operation" = "lag_lead")),
    ok("Lake Huron levels: dplyr::lag / dplyr::lead",
       list(data = tbl(lh), variables = arr("level"), lags = arr(c(1, 3)), leads = arr(2)),
       list("/data/level_lag1" = arr(dplyr::lag(lh$level, 1)), "/data/level_lag3" = arr(dplyr::lag(lh$level, 3)),
            "/data/level_lead2" = arr(dplyr::lead(lh$level, 2)))),
    ok("default lag 1 on text columns too",
       list(data = tbl(data.frame(s = c("a", "b", "c"))), variables = arr("s")),
       list("/data/s_lag1" = arr(c(NA, "a", "b")), "/variables_created" = arr("s_lag1"))),
    bad("unknown column", list(data = tbl(lh), variables = arr("depth")), c("variables", "'depth'", "not found")),
    bad("zero lag", list(data = tbl(lh), variables = arr("level"), lags = arr(0)),
        c("lags", "positive whole numbers"))
  ))
})

# ---- winsorize ------------------------------------------------------------------------------------
local({
  qh <- unname(quantile(mt$hp, c(0.05, 0.95)))
  write_fixture("winsorize", list(
    ok("1..10 at 10%/90%: capped at 1.9 and 9.1",
       list(data = tbl(data.frame(x = 1:10)), variables = arr("x"), percentiles = arr(c(0.1, 0.9))),
       list("/data/x" = arr(c(1.9, 2:9, 9.1)), "/outliers_summary/x/lower_threshold" = 1.9,
            "/outliers_summary/x/upper_threshold" = 9.1, "/outliers_summary/x/n_capped_lower" = 1,
            "/outliers_summary/x/n_capped_upper" = 1, "/outliers_summary/x/total_capped" = 2,
            "/percentiles" = arr(c(0.1, 0.9)), "/n_obs" = 10)),
    ok("mtcars hp at the default 5%/95% (quantile, pmin/pmax)",
       list(data = tbl(mt), variables = arr("hp")),
       list("/data/hp" = arr(pmax(pmin(mt$hp, qh[2]), qh[1])), "/data/mpg" = arr(mt$mpg),
            "/outliers_summary/hp/lower_threshold" = qh[1], "/outliers_summary/hp/upper_threshold" = qh[2],
            "/outliers_summary/hp/n_capped_lower" = sum(mt$hp < qh[1]),
            "/outliers_summary/hp/n_capped_upper" = sum(mt$hp > qh[2]),
            "/variables_winsorized" = arr("hp"))),
    bad("lower above upper", list(data = tbl(mt), variables = arr("hp"), percentiles = arr(c(0.9, 0.1))),
        c("percentiles", "must be below")),
    bad("text column", list(data = tbl(ir), variables = arr("Species")), c("variables", "'Species'", "must be numeric")),
    bad("unknown column", list(data = tbl(mt), variables = arr("power")), c("variables", "'power'", "not found"))
  ))
})

# ---- difference --------------------------------------------------------------------------------------
local({
  ap <- rt(data.frame(passengers = as.numeric(AirPassengers)[1:13]))
  write_fixture("difference", list(
    ok("squares 1,4,9,16: first differences 3,5,7, second 2,2",
       list(data = tbl(data.frame(x = c(1, 4, 9, 16))), variables = arr("x"), order = 2),
       list("/data/x_diff1" = arr(c(NA, 3, 5, 7)), "/data/x_diff2" = arr(c(NA, NA, 2, 2)),
            "/difference_order" = 2, "/log_transformed" = FALSE, "/variables_differenced" = arr("x"),
            "/n_obs" = 4)),
    ok("order 1 is named <var>_diff",
       list(data = tbl(data.frame(x = c(1, 4, 9, 16))), variables = arr("x")),
       list("/data/x_diff" = arr(c(NA, 3, 5, 7)))),
    ok("AirPassengers log differences (diff(log(x)))",
       list(data = tbl(ap), variables = arr("passengers"), log_transform = TRUE),
       list("/data/log_passengers" = arr(log(ap$passengers)),
            "/data/log_passengers_diff" = arr(c(NA, diff(log(ap$passengers)))), "/log_transformed" = TRUE)),
    bad("log of non-positive values", list(data = tbl(data.frame(x = c(1, 0, 2))), variables = arr("x"),
                                          log_transform = TRUE),
        c("log_transform", "'x'", "<= 0")),
    bad("order out of range", list(data = tbl(ap), variables = arr("passengers"), order = 4),
        c("order", "between 1 and 3")),
    bad("text column", list(data = tbl(ir), variables = arr("Species")), c("variables", "'Species'", "must be numeric"))
  ))
})

# ---- standardize ----------------------------------------------------------------------------------------
local({
  write_fixture("standardize", list(
    ok("1..5: z-scores (x - 3) / sqrt(2.5)",
       list(data = tbl(data.frame(x = 1:5)), variables = arr("x")),
       list("/data/x_z_score" = arr(((1:5) - 3) / sqrt(2.5)), "/scaling_info/x/mean" = 3,
            "/scaling_info/x/sd" = sqrt(2.5), "/scaling_method" = "z_score", "/variables_scaled" = arr("x"))),
    ok("1..5: min-max to 0, .25, .5, .75, 1",
       list(data = tbl(data.frame(x = 1:5)), variables = arr("x"), method = "min_max"),
       list("/data/x_min_max" = arr(c(0, 0.25, 0.5, 0.75, 1)), "/scaling_info/x/min" = 1,
            "/scaling_info/x/max" = 5)),
    ok("mtcars mpg z-scores equal scale()",
       list(data = tbl(mt), variables = arr(c("mpg", "wt"))),
       list("/data/mpg_z_score" = arr(as.vector(scale(mt$mpg))), "/data/wt_z_score" = arr(as.vector(scale(mt$wt))),
            "/n_obs" = 32)),
    ok("mtcars hp robust: (x - median) / mad",
       list(data = tbl(mt), variables = arr("hp"), method = "robust"),
       list("/data/hp_robust" = arr((mt$hp - median(mt$hp)) / mad(mt$hp)), "/scaling_info/hp/median" = median(mt$hp),
            "/scaling_info/hp/mad" = mad(mt$hp))),
    # scale() divides by sd 0: NaN, null in JSON, as the reference answers.
    ok("constant column: z-scores undefined (null), with a warning",
       list(data = tbl(data.frame(x = c(5, 5, 5), y = c(1, 2, 4))), variables = arr(c("x", "y"))),
       list("/data/x_z_score" = arr(nulls(as.vector(scale(c(5, 5, 5))))),
            "/data/y_z_score" = arr(as.vector(scale(c(1, 2, 4)))),
            "/scaling_info/x/mean" = 5, "/scaling_info/x/sd" = 0, "/variables_scaled" = arr(c("x", "y"))),
       warning = c("variables: column 'x' has standard deviation 0", "undefined (null)")),
    ok("constant column min-max: range 0, values undefined (null)",
       list(data = tbl(data.frame(x = c(2, NA, 2))), variables = arr("x"), method = "min_max"),
       list("/data/x_min_max" = arr(nulls((c(2, NA, 2) - 2) / 0)), "/scaling_info/x/min" = 2,
            "/scaling_info/x/max" = 2),
       warning = c("column 'x' has range 0")),
    bad("unknown method", list(data = tbl(mt), variables = arr("mpg"), method = "unit"), c("method", "unknown value")),
    bad("unknown column", list(data = tbl(mt), variables = arr("speed")), c("variables", "'speed'", "not found"))
  ))
})
