# decision_tree: rpart::rpart with method "class" (classification; the
# response is treated as a factor) or "anova" (regression; numeric
# response), rpart.control(minsplit = min_split, maxdepth = max_depth).
# Rows with a missing response are dropped (rpart's na.rpart), missing
# predictors are handled by surrogate splits. Text predictors become factors.
# predictions: in-sample; for classification the 1-based index of the
# predicted class in the sorted class labels (the schema wants numbers).
# confusion_matrix: rows = predicted class, columns = actual class.
# tree_complexity: the CP of the last row of the cp table.
# Cross-validation is switched off (xval = 0): it only fills the cp table's
# xerror column, which is not reported, and costs ten extra fits.
tool_decision_tree <- function(args) {
  data <- rmcp_plot_table(args$data)
  spec <- rmcp_plot_formula(args$formula, data)
  tree_type <- rmcp_plot_enum(args$type, c("classification", "regression"), "type", "classification")
  min_split <- rmcp_plot_int(args$min_split, "min_split", 20L, 1L)
  max_depth <- rmcp_plot_int(args$max_depth, "max_depth", 30L, 1L, 30L)
  response <- spec$response
  for (v in spec$predictors) {
    if (is.character(data[[v]]) || is.logical(data[[v]])) data[[v]] <- factor(data[[v]])
  }
  y <- data[[response]]
  if (tree_type == "classification") {
    data[[response]] <- factor(y)
  } else {
    if (!is.numeric(y)) {
      rmcp_plot_stop("formula", sprintf("response '%s' is not numeric, so a regression tree cannot be grown",
                                        response),
                     "use type 'classification' for a categorical response")
    }
    rmcp_plot_require_varying(y, response, "formula", "a regression tree")
  }
  if (sum(!is.na(data[[response]])) < 2L) {
    rmcp_plot_stop("data", sprintf("has fewer than 2 rows with a value for '%s'", response),
                   "pass more rows")
  }
  method <- if (tree_type == "classification") "class" else "anova"
  fit <- rmcp_plot_try(
    rpart::rpart(spec$formula, data = data, method = method,
                 control = rpart::rpart.control(minsplit = min_split, maxdepth = max_depth, xval = 0L)),
    "formula", "check the formula and the data types of its variables")
  if (tree_type == "classification") {
    lev <- attr(fit, "ylevels")
    pred <- stats::predict(fit, type = "class")
    actual <- factor(lev[fit$y], levels = lev)
    cm <- table(Predicted = factor(as.character(pred), levels = lev), Actual = actual)
    accuracy <- sum(diag(cm)) / sum(cm)
    performance <- list(accuracy = accuracy,
                        confusion_matrix = matrix(as.numeric(cm), nrow(cm)))
    predictions <- as.numeric(match(as.character(pred), lev))
    perf_line <- sprintf("Training accuracy: %s (%d of %d)", rmcp_plot_fmt(accuracy),
                         as.integer(sum(diag(cm))), as.integer(sum(cm)))
  } else {
    pred <- as.numeric(stats::predict(fit, type = "vector"))
    actual <- as.numeric(fit$y)
    mse <- mean((pred - actual)^2)
    r2 <- 1 - sum((actual - pred)^2) / sum((actual - mean(actual))^2)
    performance <- list(mse = mse, rmse = sqrt(mse), r_squared = r2)
    predictions <- pred
    perf_line <- sprintf("Training MSE: %s, RMSE: %s, R\u00b2: %s", rmcp_plot_fmt(mse),
                         rmcp_plot_fmt(sqrt(mse)), rmcp_plot_fmt(r2))
  }
  cp <- fit$cptable
  imp <- fit$variable.importance
  result <- list(
    tree_type = tree_type,
    performance = performance,
    variable_importance = rmcp_plot_named(imp),
    predictions = I(unname(predictions)),
    n_nodes = nrow(fit$frame),
    n_obs = length(fit$y),
    formula = paste(deparse(spec$formula, width.cutoff = 500L), collapse = " "),
    tree_complexity = unname(cp[nrow(cp), "CP"])
  )
  n_leaves <- sum(fit$frame$var == "<leaf>")
  result[["_formatting"]] <- sprintf(
    paste0("**Decision tree** (%s) for `%s`: %d nodes, %d leaves, %d observations\n\n%s\n\n",
           "Variable importance: %s"),
    tree_type, result$formula, nrow(fit$frame), n_leaves, result$n_obs, perf_line,
    if (length(imp)) paste(sprintf("%s %s", names(imp), rmcp_plot_fmt(imp, 3L)), collapse = ", ")
    else "none (no split)")
  result
}
