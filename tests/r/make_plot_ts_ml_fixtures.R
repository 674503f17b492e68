# Generates tests/catalog/<tool>.json for the timeseries, machine_learning
# and visualization tools.
#
# Every expected number is computed here with R's own functions
# (forecast::Arima / auto.arima / forecast / accuracy, stats::decompose,
# tseries::adf.test / kpss.test / pp.test, stats::kmeans +
# cluster::silhouette, rpart::rpart, randomForest::randomForest, cor, lm,
# quantile, ...) or a textbook formula written out, never with the catalog
# tools. Datasets are round-tripped through JSON first, so expectations are
# computed on exactly the values the tools receive.
#
# random_forest is random: the engine seeds each call (seed 42). Its
# expectations are either seed-free identities (perfectly separated
# classes: OOB error 0) or values from randomForest at seed 42 with a
# tolerance wide enough for any seed (measured here over 30 seeds).
#
# Usage (from the repository root): Rscript tests/r/make_plot_ts_ml_fixtures.R
# Then check with: Rscript tests/r/check_plot_ts_ml_fixtures.R
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)][1])))
root <- normalizePath(file.path(here, "..", ".."))
out_dir <- file.path(root, "tests", "catalog")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

# ---- helpers ---------------------------------------------------------------

to_json <- function(x, pretty = FALSE) {
  jsonlite::toJSON(x, auto_unbox = TRUE, digits = NA, na = "null", null = "null", pretty = pretty)
}
tbl <- function(df) {
  out <- lapply(df, function(col) {
    if (is.factor(col)) col <- as.character(col)
    I(col)
  })
  names(out) <- names(df)
  out
}
rt <- function(df) {
  txt <- to_json(tbl(df))
  x <- jsonlite::fromJSON(txt, simplifyVector = TRUE, simplifyDataFrame = FALSE,
                          simplifyMatrix = FALSE)
  as.data.frame(lapply(x, function(col) {
    if (is.list(col)) unlist(lapply(col, function(v) if (is.null(v)) NA else v)) else col
  }), stringsAsFactors = FALSE, check.names = FALSE)
}
rtv <- function(v) jsonlite::fromJSON(to_json(I(as.numeric(v))))
tok <- function(x) gsub("/", "~1", gsub("~", "~0", x, fixed = TRUE), fixed = TRUE)
ptr <- function(...) paste0("/", paste(vapply(c(...), tok, ""), collapse = "/"))
named <- function(prefix, v) {
  out <- as.list(unname(v))
  names(out) <- vapply(names(v), function(n) ptr(c(prefix, n)), "")
  out
}
arr <- function(x) I(x)
rows <- function(m) lapply(seq_len(nrow(m)), function(i) I(unname(as.numeric(m[i, ]))))
empty_object <- structure(list(), names = character(0))
# `warning`: texts the result's R warnings must contain (degenerate input
# answered with nulls where R gives NaN).
ok <- function(name, args, expect, tolerance = 1e-6, png = NULL, warning = NULL) {
  out <- list(name = name, args = args, expect = expect)
  if (!is.null(png)) out$png <- list(pointer = "/image_data", width = png[[1]], height = png[[2]])
  out$tolerance <- tolerance
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
  cat(sprintf("%-22s %2d cases -> %s\n", tool, length(cases), path))
}
quiet <- function(expr) suppressWarnings(suppressMessages(expr))

air <- rtv(datasets::AirPassengers)
nile <- rtv(datasets::Nile)
mt <- rt(datasets::mtcars)
ir <- rt(datasets::iris)
aq <- rt(datasets::airquality)

# ---- arima_model -------------------------------------------------------------
local({
  y <- 1:24
  ll <- -11.5 * (log(2 * pi) + 1)                # ARIMA(0,1,0): 23 differences of 1, sigma2 = 1
  z <- stats::qnorm(0.975)
  identity <- ok("series 1..24 with ARIMA(0,1,0): random walk forecasts the last value, sigma2 = 1",
                 list(data = list(values = arr(y)), order = arr(c(0L, 1L, 0L)), forecast_periods = 3L),
                 c(list("/model_type" = "ARIMA", "/order" = arr(c(0L, 1L, 0L)), "/coefficients" = empty_object,
                        "/sigma2" = 1, "/loglik" = ll, "/aic" = -2 * ll + 2, "/bic" = -2 * ll + log(23),
                        "/forecasts" = arr(c(24, 24, 24)),
                        "/forecast_lower" = arr(24 - z * sqrt(1:3)),
                        "/forecast_upper" = arr(24 + z * sqrt(1:3)),
                        "/residuals/5" = 1, "/n_obs" = 24L)))

  yt <- stats::ts(air, frequency = 12)
  m <- forecast::Arima(yt, order = c(0, 1, 1), seasonal = list(order = c(0, 1, 1), period = 12))
  f <- forecast::forecast(m, h = 12, level = 95)
  acc <- forecast::accuracy(m)[1, ]
  airline <- ok("AirPassengers airline model ARIMA(0,1,1)(0,1,1)[12] = forecast::Arima",
                list(data = list(values = arr(air)), order = arr(c(0L, 1L, 1L)),
                     seasonal = arr(c(0L, 1L, 1L, 12L)), forecast_periods = 12L),
                c(list("/order" = arr(c(0L, 1L, 1L, 0L, 1L, 1L, 12L)),
                       "/aic" = m$aic, "/bic" = m$bic, "/loglik" = m$loglik, "/sigma2" = m$sigma2,
                       "/forecasts/0" = f$mean[1], "/forecasts/11" = f$mean[12],
                       "/forecast_lower/0" = f$lower[1, 1], "/forecast_upper/11" = f$upper[12, 1],
                       "/fitted_values/20" = as.numeric(fitted(m))[21],
                       "/residuals/143" = as.numeric(residuals(m))[144], "/n_obs" = 144L),
                  named("coefficients", coef(m)), named("accuracy", acc[is.finite(acc)])),
                tolerance = 1e-6)

  ny <- stats::ts(nile, frequency = 12)
  a <- forecast::auto.arima(ny)
  fa <- forecast::forecast(a, h = 5, level = 95)
  auto <- ok("Nile with automatic order selection = forecast::auto.arima",
             list(data = list(values = arr(nile)), forecast_periods = 5L),
             c(list("/order" = arr(as.integer(forecast::arimaorder(a))), "/aic" = a$aic, "/bic" = a$bic,
                    "/sigma2" = a$sigma2, "/forecasts" = arr(as.numeric(fa$mean)),
                    "/forecast_upper/4" = fa$upper[5, 1], "/n_obs" = 100L),
               named("coefficients", coef(a))))

  # auto.arima answers two values with the mean model, as the reference does.
  a2 <- forecast::auto.arima(stats::ts(c(1, 2), frequency = 12))
  f2 <- forecast::forecast(a2, h = 2, level = 95)
  acc2 <- forecast::accuracy(a2)[1, ]
  two <- ok("two values: auto.arima's mean model = forecast::auto.arima",
            list(data = list(values = arr(c(1, 2))), forecast_periods = 2L),
            c(list("/order" = arr(as.integer(forecast::arimaorder(a2))), "/aic" = a2$aic, "/bic" = a2$bic,
                   "/loglik" = a2$loglik, "/sigma2" = a2$sigma2, "/forecasts" = arr(as.numeric(f2$mean)),
                   "/forecast_lower" = arr(as.numeric(f2$lower[, 1])),
                   "/forecast_upper" = arr(as.numeric(f2$upper[, 1])), "/n_obs" = 2L),
              named("coefficients", coef(a2)), named("accuracy", acc2[is.finite(acc2)])))

  write_fixture("arima_model", list(
    identity, airline, auto,
    bad("negative order", list(data = list(values = arr(air)), order = arr(c(-1L, 1L, 0L))),
        c("order", "non-negative")),
    bad("seasonal period 0", list(data = list(values = arr(air)), order = arr(c(0L, 1L, 1L)),
                                  seasonal = arr(c(0L, 1L, 1L, 0L))), c("seasonal", "period")),
    bad("order too rich for ten values", list(data = list(values = arr(c(1, 3, 2, 5, 4, 6, 5, 8, 7, 9))),
                                               order = arr(c(5L, 2L, 5L))),
        c("order", "10 coefficients", "8 observations")),
    two,
    bad("one value is too few", list(data = list(values = arr(5))), c("data.values", "at least 2")),
    bad("text instead of numbers", list(data = list(values = arr(c("a", "b", "c", "d")))),
        c("data.values", "numbers"))
  ))
})

# ---- decompose_timeseries -------------------------------------------------------
local({
  pattern <- c(3, -1, -2, 0)
  t <- 1:12
  y <- t + rep(pattern, 3)
  d <- stats::decompose(stats::ts(y, frequency = 4))
  identity <- ok("linear trend + fixed quarterly pattern: trend recovered exactly, remainder 0",
                 list(data = list(values = arr(y)), frequency = 4L),
                 list("/trend" = arr(c(NA, NA, 3:10, NA, NA)), "/seasonal" = arr(rep(pattern, 3)),
                      "/remainder" = arr(c(NA, NA, rep(0, 8), NA, NA)), "/original" = arr(y),
                      "/type" = "additive", "/frequency" = 4L, "/n_obs" = 12L))
  stopifnot(isTRUE(all.equal(as.numeric(d$trend)[3:10], 3:10)))

  dm <- stats::decompose(stats::ts(air, frequency = 12), type = "multiplicative")
  mult <- ok("AirPassengers multiplicative = stats::decompose",
             list(data = list(values = arr(air)), type = "multiplicative"),
             list("/trend/5" = NULL, "/trend/6" = dm$trend[7], "/trend/137" = dm$trend[138], "/trend/138" = NULL,
                  "/seasonal" = arr(as.numeric(dm$seasonal)), "/remainder/50" = dm$random[51],
                  "/type" = "multiplicative", "/frequency" = 12L, "/n_obs" = 144L))

  gas <- rtv(datasets::UKgas)
  da <- stats::decompose(stats::ts(gas, frequency = 4))
  add <- ok("UKgas quarterly additive = stats::decompose",
            list(data = list(values = arr(gas)), frequency = 4L, type = "additive"),
            list("/trend/2" = da$trend[3], "/trend/80" = da$trend[81], "/seasonal/0" = da$seasonal[1],
                 "/seasonal/3" = da$seasonal[4], "/remainder/40" = da$random[41], "/n_obs" = length(gas)))

  # Zeros: stats::decompose answers (ratios 0, NaN where the trend is 0), as the reference.
  y0 <- c(0, y[-1])
  d0 <- stats::decompose(stats::ts(y0, frequency = 4), type = "multiplicative")
  zero <- ok("multiplicative with a zero = stats::decompose, with a warning",
             list(data = list(values = arr(y0)), frequency = 4L, type = "multiplicative"),
             list("/trend" = arr(nulls(as.numeric(d0$trend))), "/seasonal" = arr(nulls(as.numeric(d0$seasonal))),
                  "/remainder" = arr(nulls(as.numeric(d0$random))), "/type" = "multiplicative", "/n_obs" = 12L),
             warning = c("data.values: has 1 zero value (position 1)", "type 'additive'"))
  yz <- c(0, 0, 0, 0, 0, y[6:12])
  dz <- stats::decompose(stats::ts(yz, frequency = 4), type = "multiplicative")
  stopifnot(any(is.nan(dz$random)))
  zeros <- ok("multiplicative with a zero trend: undefined ratios are null = stats::decompose",
              list(data = list(values = arr(yz)), frequency = 4L, type = "multiplicative"),
              list("/trend" = arr(nulls(as.numeric(dz$trend))), "/seasonal" = arr(nulls(as.numeric(dz$seasonal))),
                   "/remainder" = arr(nulls(as.numeric(dz$random)))),
              warning = c("has 5 zero values", "undefined (null) where the trend is 0"))

  write_fixture("decompose_timeseries", list(
    identity, mult, add,
    bad("20 monthly values are less than two periods", list(data = list(values = arr(air[1:20]))),
        c("data.values", "too short", "24")),
    bad("frequency 1 has no seasons", list(data = list(values = arr(air)), frequency = 1L),
        c("frequency", "at least 2")),
    zero, zeros,
    bad("multiplicative with a negative value", list(data = list(values = arr(c(-1, y[-1]))), frequency = 4L,
                                                     type = "multiplicative"),
        c("type", "non-negative")),
    bad("unknown type", list(data = list(values = arr(air)), type = "stl"), c("type", "additive"))
  ))
})

# ---- stationarity_test -----------------------------------------------------------
local({
  # KPSS level statistic of 1..20 written out: residuals from the mean,
  # partial sums, Bartlett long-run variance with tseries' short lag.
  y <- 1:20
  n <- length(y)
  e <- y - mean(y)
  s <- cumsum(e)
  l <- trunc(4 * (n / 100)^0.25)
  lrv <- sum(e^2) / n
  for (k in seq_len(l)) lrv <- lrv + 2 / n * (1 - k / (l + 1)) * sum(e[(k + 1):n] * e[1:(n - k)])
  kpss_stat <- sum(s^2) / (n^2 * lrv)
  identity <- ok("KPSS on the linear series 1..20: statistic by formula, p clamped at 0.01, not stationary",
                 list(data = list(values = arr(y)), test = "kpss"),
                 list("/test_name" = "KPSS", "/test_type" = "kpss", "/statistic" = kpss_stat, "/p_value" = 0.01,
                      "/is_stationary" = FALSE, "/critical_values" = empty_object,
                      "/alternative" = "non-stationary", "/n_obs" = 20L))

  a <- quiet(tseries::adf.test(stats::ts(nile)))
  adf <- ok("Nile ADF = tseries::adf.test",
            list(data = list(values = arr(nile))),
            list("/test_name" = "Augmented Dickey-Fuller", "/test_type" = "adf", "/statistic" = unname(a$statistic),
                 "/p_value" = a$p.value, "/alternative" = "stationary", "/is_stationary" = a$p.value < 0.05,
                 "/n_obs" = 100L))
  k <- quiet(tseries::kpss.test(stats::ts(nile)))
  kpss <- ok("Nile KPSS = tseries::kpss.test",
             list(data = list(values = arr(nile)), test = "kpss"),
             list("/statistic" = unname(k$statistic), "/p_value" = k$p.value, "/is_stationary" = k$p.value > 0.05))
  lake <- rtv(datasets::LakeHuron)
  p <- quiet(tseries::pp.test(stats::ts(lake)))
  pp <- ok("LakeHuron Phillips-Perron = tseries::pp.test",
           list(data = list(values = arr(lake)), test = "pp"),
           list("/test_name" = "Phillips-Perron", "/statistic" = unname(p$statistic), "/p_value" = p$p.value,
                "/is_stationary" = p$p.value < 0.05, "/n_obs" = length(lake)))
  # Short series: tseries answers, as the reference does; a warning says how little it tells.
  p5 <- quiet(tseries::pp.test(stats::ts(c(1, 3, 2, 5, 4))))
  short_pp <- ok("five values, Phillips-Perron = tseries::pp.test, with a warning",
                 list(data = list(values = arr(c(1, 3, 2, 5, 4))), test = "pp"),
                 list("/statistic" = unname(p5$statistic), "/p_value" = p5$p.value,
                      "/is_stationary" = p5$p.value < 0.05, "/n_obs" = 5L),
                 warning = c("data.values: has only 5 values"))
  k3 <- quiet(tseries::kpss.test(stats::ts(c(1, 3, 2))))
  short_kpss <- ok("three values, KPSS = tseries::kpss.test, with a warning",
                   list(data = list(values = arr(c(1, 3, 2))), test = "kpss"),
                   list("/statistic" = unname(k3$statistic), "/p_value" = k3$p.value, "/n_obs" = 3L),
                   warning = c("data.values: has only 3 values"))
  write_fixture("stationarity_test", list(
    identity, adf, kpss, pp,
    bad("constant series", list(data = list(values = arr(rep(5, 20)))), c("data.values", "constant")),
    short_pp, short_kpss,
    bad("six values are too few for ADF", list(data = list(values = arr(c(1, 3, 2, 5, 4, 6)))),
        c("data.values", "6 values", "at least 7")),
    bad("four values are too few for Phillips-Perron", list(data = list(values = arr(c(1, 3, 2, 5))), test = "pp"),
        c("data.values", "at least 5")),
    bad("unknown test", list(data = list(values = arr(nile)), test = "dickey"), c("test", "adf", "kpss"))
  ))
})

# ---- kmeans_clustering ------------------------------------------------------------
km_expect <- function(df, vars, k, max_iter = 100L, nstart = 25L) {
  x <- stats::na.omit(df[vars])
  sx <- scale(x)
  set.seed(123)
  km <- stats::kmeans(sx, centers = k, iter.max = max_iter, nstart = nstart)
  sil <- mean(cluster::silhouette(km$cluster, stats::dist(sx))[, 3])
  c(list("/cluster_assignments" = arr(as.integer(km$cluster)),
         "/within_ss" = arr(km$withinss), "/total_within_ss" = km$tot.withinss, "/between_ss" = km$betweenss,
         "/total_ss" = km$totss, "/variance_explained" = 100 * km$betweenss / km$totss,
         "/silhouette_score" = sil, "/k" = as.integer(k), "/variables" = arr(vars), "/n_obs" = nrow(x),
         "/converged" = km$iter < max_iter),
    stats::setNames(lapply(seq_len(k), function(i) km$size[i]), sprintf("/cluster_sizes/%d", seq_len(k))),
    stats::setNames(lapply(vars, function(v) arr(unname(km$centers[, v]))), sprintf("/cluster_centers/%s", vars)))
}
local({
  two <- data.frame(x = c(0, 0, 1, 10, 10, 11), y = c(0, 1, 0, 10, 11, 10))
  e <- km_expect(two, c("x", "y"), 2L)
  stopifnot(length(unique(e[["/cluster_assignments"]][1:3])) == 1L,
            e[["/cluster_assignments"]][1] != e[["/cluster_assignments"]][4])
  identity <- ok("two obvious clusters of three points each",
                 list(data = tbl(two), variables = arr(c("x", "y")), k = 2L), e)
  iris_case <- ok("iris, 4 measurements, k = 3 = kmeans(scale(x)) with seed 123 + silhouette",
                  list(data = tbl(ir), variables = arr(names(ir)[1:4]), k = 3L),
                  km_expect(ir, names(ir)[1:4], 3L))
  aq_case <- ok("airquality with missing values: complete cases only, k = 4, nstart 10",
                list(data = tbl(aq), variables = arr(c("Ozone", "Solar.R", "Wind", "Temp")), k = 4L,
                     nstart = 10L),
                km_expect(aq, c("Ozone", "Solar.R", "Wind", "Temp"), 4L, nstart = 10L))
  write_fixture("kmeans_clustering", list(
    identity, iris_case, aq_case,
    bad("unknown column", list(data = tbl(ir), variables = arr(c("Sepal.Length", "Petal.Size")), k = 3L),
        c("variables", "Petal.Size", "Sepal.Width")),
    bad("text column", list(data = tbl(ir), variables = arr(c("Sepal.Length", "Species")), k = 3L),
        c("variables", "Species", "not numeric")),
    bad("more clusters than rows", list(data = tbl(two[1:4, ]), variables = arr(c("x", "y")), k = 5L),
        c("data", "4 complete rows", "5 clusters")),
    bad("constant column", list(data = list(x = arr(c(1, 2, 3, 4, 5)), y = arr(rep(2, 5))),
                                variables = arr(c("x", "y")), k = 2L),
        c("variables", "'y' is constant"))
  ))
})

# ---- decision_tree -----------------------------------------------------------------
local({
  sep <- data.frame(x = 1:10, y = rep(c("a", "b"), each = 5))
  f0 <- rpart::rpart(y ~ x, data = transform(sep, y = factor(y)), method = "class",
                     control = rpart::rpart.control(minsplit = 2))
  identity <- ok("one split separates two classes perfectly",
                 list(data = tbl(sep), formula = "y ~ x", min_split = 2L),
                 c(list("/tree_type" = "classification", "/performance/accuracy" = 1,
                        "/performance/confusion_matrix" = list(arr(c(5, 0)), arr(c(0, 5))),
                        "/predictions" = arr(rep(c(1, 2), each = 5)), "/n_nodes" = 3L, "/n_obs" = 10L,
                        "/formula" = "y ~ x", "/tree_complexity" = 0.01),
                   named("variable_importance", f0$variable.importance)))

  d <- ir
  d$Species <- factor(d$Species)
  fi <- rpart::rpart(Species ~ ., data = d, method = "class")
  pi <- stats::predict(fi, type = "class")
  cm <- table(pi, d$Species)
  iris_case <- ok("iris Species ~ . = rpart (class)",
                  list(data = tbl(ir), formula = "Species ~ ."),
                  c(list("/performance/accuracy" = sum(diag(cm)) / sum(cm),
                         "/performance/confusion_matrix" = rows(unclass(cm)),
                         "/predictions/60" = as.numeric(pi[61]), "/predictions/120" = as.numeric(pi[121]),
                         "/n_nodes" = nrow(fi$frame), "/n_obs" = 150L, "/formula" = "Species ~ .",
                         "/tree_complexity" = fi$cptable[nrow(fi$cptable), "CP"]),
                    named("variable_importance", fi$variable.importance)))

  fr <- rpart::rpart(mpg ~ wt + hp, data = mt, method = "anova", control = rpart::rpart.control(minsplit = 10))
  pr <- stats::predict(fr)
  mse <- mean((pr - mt$mpg)^2)
  reg <- ok("mtcars mpg ~ wt + hp regression tree, min_split 10 = rpart (anova)",
            list(data = tbl(mt), formula = "mpg ~ wt + hp", type = "regression", min_split = 10L),
            c(list("/tree_type" = "regression", "/performance/mse" = mse, "/performance/rmse" = sqrt(mse),
                   "/performance/r_squared" = 1 - sum((mt$mpg - pr)^2) / sum((mt$mpg - mean(mt$mpg))^2),
                   "/predictions" = arr(unname(pr)), "/n_nodes" = nrow(fr$frame),
                   "/tree_complexity" = fr$cptable[nrow(fr$cptable), "CP"]),
              named("variable_importance", fr$variable.importance)))
  write_fixture("decision_tree", list(
    identity, iris_case, reg,
    bad("formula names a missing column", list(data = tbl(ir), formula = "Species ~ Petal.Size"),
        c("formula", "Petal.Size", "Petal.Length")),
    bad("regression on a text response", list(data = tbl(ir), formula = "Species ~ .", type = "regression"),
        c("formula", "not numeric", "classification")),
    bad("max_depth above rpart's limit", list(data = tbl(ir), formula = "Species ~ .", max_depth = 31L),
        c("max_depth", "30")),
    bad("unknown type", list(data = tbl(ir), formula = "Species ~ .", type = "clustering"),
        c("type", "classification", "regression"))
  ))
})

# ---- random_forest --------------------------------------------------------------------
local({
  sep <- data.frame(x = c(1:20, 101:120), y = rep(c("a", "b"), each = 20))
  identity <- ok("classes separated by a wide gap: OOB error 0 whatever the seed",
                 list(data = tbl(sep), formula = "y ~ x", n_trees = 200L),
                 list("/problem_type" = "classification", "/performance/oob_error_rate" = 0,
                      "/performance/confusion_matrix" = list(arr(c(20, 0)), arr(c(0, 20))),
                      "/performance/class_error" = list(a = 0, b = 0), "/oob_error" = 0,
                      "/n_trees" = 200L, "/mtry" = 1L, "/n_obs" = 40L, "/formula" = "y ~ x"))
  d <- ir
  d$Species <- factor(d$Species)
  oob <- vapply(1:30, function(s) {
    set.seed(s)
    rf <- randomForest::randomForest(Species ~ ., data = d, ntree = 500)
    rf$err.rate[500, "OOB"]
  }, 0)
  set.seed(42)
  rf42 <- randomForest::randomForest(Species ~ ., data = d, ntree = 500, importance = TRUE)
  e42 <- rf42$err.rate[500, "OOB"]
  tol_c <- max(0.03, ceiling(100 * (max(abs(oob - e42)) + 0.01)) / 100)
  iris_case <- ok(sprintf("iris Species ~ . = randomForest (seed 42: OOB %.4f; over 30 seeds %.4f-%.4f)",
                          e42, min(oob), max(oob)),
                  list(data = tbl(ir), formula = "Species ~ ."),
                  list("/problem_type" = "classification", "/performance/oob_error_rate" = e42, "/oob_error" = e42,
                       "/performance/class_error/setosa" = 0, "/n_trees" = 500L, "/mtry" = 2L, "/n_obs" = 150L,
                       "/formula" = "Species ~ ."),
                  tolerance = tol_c)
  ve <- vapply(1:30, function(s) {
    set.seed(s)
    rf <- randomForest::randomForest(mpg ~ wt + hp + disp + cyl, data = mt, ntree = 300)
    (1 - rf$mse[300] / stats::var(mt$mpg)) * 100
  }, 0)
  set.seed(42)
  rr <- randomForest::randomForest(mpg ~ wt + hp + disp + cyl, data = mt, ntree = 300)
  ve42 <- (1 - rr$mse[300] / stats::var(mt$mpg)) * 100
  tol_r <- ceiling(max(abs(ve - ve42)) + 1)
  reg <- ok(sprintf("mtcars mpg regression forest = randomForest (seed 42: %.2f%% explained; 30 seeds %.2f-%.2f)",
                    ve42, min(ve), max(ve)),
            list(data = tbl(mt), formula = "mpg ~ wt + hp + disp + cyl", n_trees = 300L, importance = FALSE),
            list("/problem_type" = "regression", "/performance/variance_explained" = ve42,
                 "/variable_importance" = NULL, "/n_trees" = 300L, "/mtry" = 1L, "/n_obs" = 32L),
            tolerance = tol_r)
  write_fixture("random_forest", list(
    identity, iris_case, reg,
    bad("formula names a missing column", list(data = tbl(ir), formula = "Species ~ Petal.Size + Sepal.Width"),
        c("formula", "Petal.Size")),
    bad("mtry larger than the number of predictors", list(data = tbl(ir), formula = "Species ~ .", mtry = 5L),
        c("mtry", "between 1 and 4")),
    bad("a single class", list(data = list(x = arr(1:6), y = arr(rep("a", 6))), formula = "y ~ x"),
        c("formula", "single class"))
  ))
})

# ---- scatter_plot -----------------------------------------------------------------------
local({
  line <- data.frame(x = c(1, 2, 3, 4, 5), y = c(3, 5, 7, 9, 11))
  identity <- ok("y = 2x + 1 exactly: r = 1, slope 2, intercept 1",
                 list(data = tbl(line), x = "x", y = "y", width = 400L, height = 300L),
                 list("/plot_type" = "scatter", "/variables/x" = "x", "/variables/y" = "y", "/variables/group" = NULL,
                      "/statistics/correlation" = 1, "/statistics/n_points" = 5L,
                      "/statistics/trend_line/slope" = 2, "/statistics/trend_line/intercept" = 1,
                      "/statistics/trend_line/r_squared" = 1,
                      "/dimensions/width" = 400L, "/dimensions/height" = 300L),
                 png = c(400L, 300L))
  fit <- stats::lm(mpg ~ wt, data = mt)
  cars <- ok("mtcars mpg vs wt by cyl = cor / lm",
             list(data = tbl(mt), x = "wt", y = "mpg", group = "cyl", title = "Fuel use", width = 640L,
                  height = 480L),
             list("/statistics/correlation" = stats::cor(mt$wt, mt$mpg), "/statistics/n_points" = 32L,
                  "/statistics/trend_line/slope" = unname(coef(fit)[2]),
                  "/statistics/trend_line/intercept" = unname(coef(fit)[1]),
                  "/statistics/trend_line/r_squared" = summary(fit)$r.squared, "/variables/group" = "cyl"),
             png = c(640L, 480L))
  naq <- ok("airquality Ozone vs Temp: pairs with missing values dropped = cor(use = complete.obs)",
            list(data = tbl(aq), x = "Temp", y = "Ozone", return_image = FALSE),
            list("/statistics/correlation" = stats::cor(aq$Temp, aq$Ozone, use = "complete.obs"),
                 "/statistics/n_points" = sum(stats::complete.cases(aq[c("Temp", "Ozone")]))))
  write_fixture("scatter_plot", list(
    identity, cars, naq,
    bad("missing column", list(data = tbl(mt), x = "weight", y = "mpg"), c("x", "weight", "wt")),
    bad("text column", list(data = tbl(ir), x = "Species", y = "Sepal.Length"), c("x", "Species", "not numeric")),
    bad("constant x", list(data = list(a = arr(rep(1, 4)), b = arr(c(1, 2, 3, 4))), x = "a", y = "b"),
        c("x", "constant")),
    bad("missing group column", list(data = tbl(mt), x = "wt", y = "mpg", group = "cylinders"),
        c("group", "cylinders"))
  ))
})

# ---- histogram -----------------------------------------------------------------------------
hist_stats <- function(v) {
  v <- v[!is.na(v)]
  n <- length(v)
  m <- mean(v)
  s <- stats::sd(v)
  list(mean = m, median = stats::median(v), sd = s,
       skewness = (sum((v - m)^3) / n) / s^3, kurtosis = (sum((v - m)^4) / n) / s^4 - 3)
}
local({
  identity <- ok("1..5: mean 3, sd sqrt(2.5), skewness 0, excess kurtosis -1.912",
                 list(data = list(v = arr(1:5)), variable = "v", bins = 5L, width = 300L, height = 200L),
                 list("/plot_type" = "histogram", "/variable" = "v", "/group_variable" = NULL, "/bins" = 5L,
                      "/statistics/mean" = 3, "/statistics/median" = 3, "/statistics/sd" = sqrt(2.5),
                      "/statistics/skewness" = 0, "/statistics/kurtosis" = 6.8 / 6.25 - 3, "/n_obs" = 5L,
                      "/dimensions/width" = 300L),
                 png = c(300L, 200L))
  s <- hist_stats(aq$Ozone)
  oz <- ok("airquality Ozone (37 missing) = mean / median / sd / moment formulas",
           list(data = tbl(aq), variable = "Ozone", bins = 20L, width = 700L, height = 500L),
           list("/statistics/mean" = s$mean, "/statistics/median" = s$median, "/statistics/sd" = s$sd,
                "/statistics/skewness" = s$skewness, "/statistics/kurtosis" = s$kurtosis,
                "/n_obs" = sum(!is.na(aq$Ozone)), "/bins" = 20L),
           png = c(700L, 500L))
  s2 <- hist_stats(ir$Sepal.Length)
  grouped <- ok("iris Sepal.Length by Species: statistics over all values",
                list(data = tbl(ir), variable = "Sepal.Length", group = "Species", return_image = FALSE),
                list("/group_variable" = "Species", "/statistics/mean" = s2$mean, "/statistics/sd" = s2$sd,
                     "/statistics/skewness" = s2$skewness, "/n_obs" = 150L))
  write_fixture("histogram", list(
    identity, oz, grouped,
    bad("text column", list(data = tbl(ir), variable = "Species"), c("variable", "Species", "not numeric")),
    bad("missing column", list(data = tbl(ir), variable = "Petal.Size"), c("variable", "Petal.Size", "Petal.Width")),
    bad("constant column", list(data = list(v = arr(rep(3, 6))), variable = "v"), c("variable", "constant"))
  ))
})

# ---- boxplot ----------------------------------------------------------------------------------
box_expect <- function(prefix, v) {
  v <- v[!is.na(v)]
  q <- stats::quantile(v, c(0.25, 0.5, 0.75), names = FALSE)
  iqr <- q[3] - q[1]
  out <- list(q[2], q[1], q[3], iqr, length(v), sum(v < q[1] - 1.5 * iqr | v > q[3] + 1.5 * iqr))
  names(out) <- paste0(prefix, "/", c("median", "q1", "q3", "iqr", "n", "outliers"))
  out
}
local({
  v <- c(1:9, 100)
  identity <- ok("1..9 and 100: quartiles 3.25 / 5.5 / 7.75, one outlier",
                 list(data = list(v = arr(v)), variable = "v", width = 320L, height = 240L),
                 list("/plot_type" = "boxplot", "/variable" = "v", "/group_variable" = NULL,
                      "/summary_statistics/Overall/median" = 5.5, "/summary_statistics/Overall/q1" = 3.25,
                      "/summary_statistics/Overall/q3" = 7.75, "/summary_statistics/Overall/iqr" = 4.5,
                      "/summary_statistics/Overall/n" = 10L, "/summary_statistics/Overall/outliers" = 1L),
                 png = c(320L, 240L))
  grouped <- ok("mtcars mpg by cyl = quantile(type 7), overall and per group",
                list(data = tbl(mt), variable = "mpg", group = "cyl", width = 500L, height = 400L),
                c(list("/group_variable" = "cyl"),
                  box_expect("/summary_statistics/Overall", mt$mpg),
                  box_expect("/summary_statistics/4", mt$mpg[mt$cyl == 4]),
                  box_expect("/summary_statistics/8", mt$mpg[mt$cyl == 8])),
                png = c(500L, 400L))
  oz <- ok("airquality Ozone with missing values = quantile on the non-missing values",
           list(data = tbl(aq), variable = "Ozone", return_image = FALSE),
           box_expect("/summary_statistics/Overall", aq$Ozone))
  write_fixture("boxplot", list(
    identity, grouped, oz,
    bad("missing column", list(data = tbl(mt), variable = "mileage"), c("variable", "mileage", "mpg")),
    bad("missing group column", list(data = tbl(mt), variable = "mpg", group = "cylinders"),
        c("group", "cylinders")),
    bad("text column", list(data = tbl(ir), variable = "Species"), c("variable", "Species", "not numeric"))
  ))
})

# ---- time_series_plot ---------------------------------------------------------------------------
local({
  identity <- ok("values 1..5 without dates: index axis, mean 3, range 4",
                 list(data = list(values = arr(1:5)), width = 320L, height = 240L),
                 list("/plot_type" = "time_series_plot", "/has_dates" = FALSE, "/show_trend" = TRUE,
                      "/statistics/mean" = 3, "/statistics/sd" = sqrt(2.5), "/statistics/min" = 1,
                      "/statistics/max" = 5, "/statistics/range" = 4, "/statistics/n_obs" = 5L,
                      "/time_axis" = list(type = "index", start = 1L, end = 5L)),
                 png = c(320L, 240L))
  dates <- format(seq(as.Date("1949-01-01"), by = "month", length.out = 144))
  ap <- ok("AirPassengers with monthly ISO dates = mean / sd / range",
           list(data = list(values = arr(air), dates = arr(dates)), show_trend = FALSE, title = "Air passengers",
                width = 900L, height = 450L),
           list("/has_dates" = TRUE, "/show_trend" = FALSE, "/statistics/mean" = mean(air),
                "/statistics/sd" = stats::sd(air), "/statistics/min" = min(air), "/statistics/max" = max(air),
                "/statistics/range" = diff(range(air)), "/statistics/n_obs" = 144L,
                "/time_axis/type" = "date", "/time_axis/start" = "1949-01-01", "/time_axis/end" = "1960-12-01",
                "/time_axis/span_days" = as.numeric(as.Date("1960-12-01") - as.Date("1949-01-01"))),
           png = c(900L, 450L))
  single <- ok("a single value: sd undefined (null)",
               list(data = list(values = arr(7), dates = arr("2024-02-29")), return_image = FALSE),
               list("/statistics/sd" = NULL, "/statistics/range" = 0, "/time_axis/span_days" = 0,
                    "/time_axis/start" = "2024-02-29"))
  write_fixture("time_series_plot", list(
    identity, ap, single,
    bad("dates with slashes are not ISO", list(data = list(values = arr(1:3),
                                                         dates = arr(c("2020-01-01", "2020/01/02", "2020-01-03")))),
        c("data.dates", "2020/01/02", "YYYY-MM-DD")),
    bad("impossible date", list(data = list(values = arr(1:2), dates = arr(c("2021-02-28", "2021-02-30")))),
        c("data.dates", "2021-02-30", "ISO")),
    bad("text values", list(data = list(values = arr(c("a", "b")))), c("data.values", "numbers"))
  ))
})

# ---- correlation_heatmap --------------------------------------------------------------------------
local({
  lin <- data.frame(a = c(1, 2, 3, 4, 5), b = c(2, 4, 6, 8, 10), c = c(5, 4, 3, 2, 1))
  identity <- ok("exact linear relations: correlations are +1 and -1",
                 list(data = tbl(lin), width = 300L, height = 300L),
                 list("/plot_type" = "heatmap", "/variables" = arr(c("a", "b", "c")), "/method" = "pearson",
                      "/n_variables" = 3L, "/correlation_matrix/a" = arr(c(1, 1, -1)),
                      "/correlation_matrix/b" = arr(c(1, 1, -1)), "/correlation_matrix/c" = arr(c(-1, -1, 1)),
                      "/dimensions/width" = 300L, "/dimensions/height" = 300L),
                 png = c(300L, 300L))
  ci <- stats::cor(ir[1:4])
  iris_case <- ok("iris: default variables are the 4 numeric columns = cor()",
                  list(data = tbl(ir), width = 600L, height = 600L),
                  c(list("/variables" = arr(names(ir)[1:4]), "/n_variables" = 4L),
                    stats::setNames(lapply(names(ir)[1:4], function(v) arr(unname(ci[, v]))),
                                    paste0("/correlation_matrix/", names(ir)[1:4]))),
                  png = c(600L, 600L))
  vars <- c("mpg", "wt", "hp", "qsec")
  cs <- stats::cor(mt[vars], method = "spearman")
  ck <- stats::cor(mt[vars], method = "kendall")
  sp <- ok("mtcars spearman = cor(method = 'spearman')",
           list(data = tbl(mt), variables = arr(vars), method = "spearman", return_image = FALSE),
           c(list("/method" = "spearman"),
             stats::setNames(lapply(vars, function(v) arr(unname(cs[, v]))), paste0("/correlation_matrix/", vars))))
  kd <- ok("mtcars kendall = cor(method = 'kendall')",
           list(data = tbl(mt), variables = arr(vars), method = "kendall", return_image = FALSE),
           list("/method" = "kendall", "/correlation_matrix/mpg" = arr(unname(ck[, "mpg"])),
                "/correlation_matrix/qsec" = arr(unname(ck[, "qsec"]))))
  write_fixture("correlation_heatmap", list(
    identity, iris_case, sp, kd,
    bad("unknown variable", list(data = tbl(mt), variables = arr(c("mpg", "weight"))), c("variables", "weight", "wt")),
    bad("text variable", list(data = tbl(ir), variables = arr(c("Sepal.Length", "Species"))),
        c("variables", "Species", "not numeric")),
    bad("one numeric column", list(data = list(x = arr(1:4), g = arr(c("a", "b", "a", "b")))),
        c("data", "1 numeric column", "at least 2")),
    bad("unknown method", list(data = tbl(mt), method = "distance"), c("method", "pearson"))
  ))
})

# ---- regression_plot ------------------------------------------------------------------------------
local({
  exact <- data.frame(x = c(1, 2, 3, 4, 5, 6), y = c(5, 7, 9, 11, 13, 15))
  identity <- ok("y = 3 + 2x exactly: R² 1, residual SE 0",
                 list(data = tbl(exact), formula = "y ~ x", residual_plots = FALSE, width = 400L, height = 300L),
                 list("/plot_type" = "regression_plot", "/r_squared" = 1, "/adj_r_squared" = 1, "/residual_se" = 0,
                      "/formula" = "y ~ x", "/residual_plots" = FALSE, "/n_obs" = 6L,
                      "/dimensions/width" = 400L, "/dimensions/height" = 300L),
                 tolerance = 1e-9, png = c(400L, 300L))
  s <- summary(stats::lm(mpg ~ wt + hp, data = mt))
  cars <- ok("mtcars mpg ~ wt + hp = summary(lm)",
             list(data = tbl(mt), formula = "mpg ~ wt + hp", width = 900L, height = 600L),
             list("/r_squared" = s$r.squared, "/adj_r_squared" = s$adj.r.squared, "/residual_se" = s$sigma,
                  "/residual_plots" = TRUE, "/n_obs" = 32L, "/formula" = "mpg ~ wt + hp"),
             png = c(900L, 600L))
  s2 <- summary(stats::lm(Ozone ~ Temp + Wind, data = aq))
  oz <- ok("airquality Ozone ~ Temp + Wind, rows with missing values dropped = summary(lm)",
           list(data = tbl(aq), formula = "Ozone ~ Temp + Wind", return_image = FALSE),
           list("/r_squared" = s2$r.squared, "/adj_r_squared" = s2$adj.r.squared, "/residual_se" = s2$sigma,
                "/n_obs" = 116L))
  # No residual degrees of freedom: summary.lm gives R² 1 and NaN adjusted
  # R² and sigma (null), as the reference answers.
  s3 <- summary(stats::lm(y ~ x, data = data.frame(x = c(1, 2), y = c(1, 3))))
  exact2 <- ok("two rows for two coefficients: adjusted R² and residual SE null = summary(lm), with a warning",
               list(data = list(x = arr(c(1, 2)), y = arr(c(1, 3))), formula = "y ~ x", width = 400L, height = 300L),
               list("/r_squared" = s3$r.squared, "/adj_r_squared" = nulls(s3$adj.r.squared),
                    "/residual_se" = nulls(s3$sigma), "/n_obs" = 2L),
               png = c(400L, 300L), warning = c("data: has 2 complete rows for 2 coefficients", "undefined (null)"))
  s4 <- summary(stats::lm(y ~ a + b, data = data.frame(y = c(1, 2), a = c(1, 3), b = c(2, 1))))
  aliased <- ok("fewer rows than coefficients: lm aliases one, adjusted R² and residual SE null = summary(lm)",
                list(data = list(y = arr(c(1, 2)), a = arr(c(1, 3)), b = arr(c(2, 1))), formula = "y ~ a + b",
                     return_image = FALSE),
                list("/r_squared" = s4$r.squared, "/adj_r_squared" = nulls(s4$adj.r.squared),
                     "/residual_se" = nulls(s4$sigma), "/n_obs" = 2L),
                warning = c("data: has 2 complete rows for 3 coefficients"))
  write_fixture("regression_plot", list(
    identity, cars, oz,
    bad("formula names a missing column", list(data = tbl(mt), formula = "mpg ~ weight"),
        c("formula", "weight", "wt")),
    bad("text response", list(data = tbl(ir), formula = "Species ~ Sepal.Length"),
        c("formula", "Species", "not numeric")),
    exact2, aliased
  ))
})
