# random_forest: randomForest::randomForest(formula, ntree = n_trees, mtry,
# importance). Classification when the response holds text, booleans or a
# factor (it becomes a factor), regression when it is numeric. Default mtry
# is randomForest's: floor(sqrt(p)) for classification, max(floor(p / 3), 1)
# for regression (p = number of predictors). Rows with a missing value in
# any model variable are dropped. Random: uses the RNG as seeded by the
# engine for this call.
# performance: classification - OOB error rate, OOB confusion matrix (rows
# = actual class, columns = predicted class) and per-class error;
# regression - OOB MSE, RMSE and variance explained as
# 100 * (1 - MSE / var(y)) (the reference's formula).
# variable_importance: the first column of importance() (for
# classification the mean decrease in accuracy for the first class, for
# regression %IncMSE), as in the reference; null when importance = false.
tool_random_forest <- function(args) {
  data <- rmcp_plot_table(args$data)
  spec <- rmcp_plot_formula(args$formula, data)
  n_trees <- rmcp_plot_int(args$n_trees, "n_trees", 500L, 1L, 1000L)
  importance <- rmcp_plot_flag(args$importance, "importance", TRUE)
  response <- spec$response
  predictors <- spec$predictors
  p <- length(predictors)
  mtry <- if (is.null(args$mtry)) NULL else rmcp_plot_int(args$mtry, "mtry", 1L, 1L, max(p, 1L))
  cols <- unique(c(response, predictors))
  frame <- data[stats::complete.cases(data[cols]), , drop = FALSE]
  n <- nrow(frame)
  if (n < 2L) {
    rmcp_plot_stop("data", sprintf("has %d complete rows in the model's columns", n),
                   "pass at least 2 rows without missing values in the formula's variables")
  }
  for (v in predictors) {
    if (is.character(frame[[v]]) || is.logical(frame[[v]])) frame[[v]] <- factor(frame[[v]])
    if (is.factor(frame[[v]]) && nlevels(frame[[v]]) > 53L) {
      rmcp_plot_stop("formula", sprintf("predictor '%s' has %d categories; randomForest accepts at most 53",
                                        v, nlevels(frame[[v]])),
                     "drop it or group its categories")
    }
  }
  y <- frame[[response]]
  classification <- is.character(y) || is.factor(y) || is.logical(y)
  if (classification) {
    frame[[response]] <- factor(y)
    if (nlevels(frame[[response]]) < 2L) {
      rmcp_plot_stop("formula", sprintf("response '%s' has a single class", response),
                     "a classification forest needs at least two classes")
    }
  } else {
    rmcp_plot_require_varying(y, response, "formula", "a regression forest")
  }
  fit_args <- list(spec$formula, data = frame, ntree = n_trees, importance = importance)
  if (!is.null(mtry)) fit_args$mtry <- mtry
  rf <- rmcp_plot_try(do.call(randomForest::randomForest, fit_args),
                      "formula", "check the formula and the data types of its variables")
  if (classification) {
    conf <- rf$confusion
    k <- ncol(conf) - 1L
    oob <- unname(rf$err.rate[rf$ntree, "OOB"])
    performance <- list(
      oob_error_rate = oob,
      confusion_matrix = matrix(as.numeric(conf[, seq_len(k), drop = FALSE]), nrow(conf)),
      class_error = rmcp_plot_named(conf[, k + 1L], drop_nonfinite = FALSE)
    )
    perf_line <- sprintf("OOB error rate: %s (accuracy %s)", rmcp_plot_fmt(oob), rmcp_plot_fmt(1 - oob))
  } else {
    oob <- rf$mse[rf$ntree]
    explained <- (1 - oob / stats::var(frame[[response]])) * 100
    performance <- list(mse = oob, rmse = sqrt(oob), variance_explained = explained)
    perf_line <- sprintf("OOB MSE: %s, RMSE: %s, variance explained: %s%%", rmcp_plot_fmt(oob),
                         rmcp_plot_fmt(sqrt(oob)), rmcp_plot_fmt(explained, 3L))
  }
  var_imp <- NULL
  if (importance) {
    imp <- randomForest::importance(rf)
    if (is.matrix(imp) && all(is.finite(imp))) {
      var_imp <- rmcp_plot_named(stats::setNames(imp[, 1L], rownames(imp)))
    }
  }
  if (!is.finite(oob)) {
    rmcp_plot_stop("n_trees", "too few trees: no observation was ever out of bag",
                   "use more trees (e.g. the default 500)")
  }
  result <- list(
    problem_type = if (classification) "classification" else "regression",
    performance = performance,
    variable_importance = var_imp,
    n_trees = as.integer(rf$ntree),
    mtry = as.integer(rf$mtry),
    oob_error = oob,
    formula = paste(deparse(spec$formula, width.cutoff = 500L), collapse = " "),
    n_obs = n
  )
  top <- if (!is.null(var_imp) && length(var_imp)) {
    v <- unlist(var_imp)
    v <- utils::head(sort(v, decreasing = TRUE), 5L)
    paste(sprintf("%s %s", names(v), rmcp_plot_fmt(v, 3L)), collapse = ", ")
  } else {
    "not computed"
  }
  result[["_formatting"]] <- sprintf(
    "**Random forest** (%s) for `%s`: %d trees, mtry = %d, %d observations\n\n%s\n\nImportance (%s): %s",
    result$problem_type, result$formula, result$n_trees, result$mtry, n, perf_line,
    if (classification) "first column of importance()" else "%IncMSE", top)
  result
}
