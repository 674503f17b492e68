# Helpers shared by the statistics catalog tools (regression, econometrics,
# descriptive, statistical_tests, transforms): argument checking that fails
# with "<argument>: <problem>; <how to fix>" messages, fast column access,
# and cheap markdown for the `_formatting` summaries.
#
# Everything here is plain base/stats R and cheap to call: the tools that use
# these helpers are on the server's sub-millisecond hot path.

# `%||%` is in base R only from 4.4; define it unless another common file
# already did (files share one environment).
if (!exists("%||%", envir = environment(), inherits = FALSE)) {
  `%||%` <- function(a, b) if (is.null(a)) b else a
}

# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------

# Stop with the catalog's error convention. No call, no traceback.
# The condition has class "rmcp_error" so rmcp_try() passes it on unchanged.
rmcp_stop <- function(arg, problem, fix) {
  stop(structure(class = c("rmcp_error", "error", "condition"),
                 list(message = sprintf("%s: %s; %s", arg, problem, fix), call = NULL)))
}

# Quote names for messages: 'a', 'b', 'c' (at most `max` of them).
rmcp_quote <- function(x, max = 12L) {
  x <- as.character(x)
  more <- length(x) - max
  if (more > 0L) x <- x[seq_len(max)]
  out <- paste0("'", x, "'", collapse = ", ")
  if (more > 0L) out <- paste0(out, sprintf(" and %d more", more))
  out
}

# Evaluate `expr`; an R error inside it becomes a catalog error naming `arg`.
rmcp_try <- function(expr, arg, fix) {
  tryCatch(expr, error = function(e) {
    if (inherits(e, "rmcp_error")) stop(e)
    msg <- conditionMessage(e)
    msg <- sub("^Error[^:]*: *", "", msg)
    msg <- gsub("[\r\n]+ *", " ", trimws(msg))
    rmcp_stop(arg, msg, fix)
  })
}

# ---------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------

# The `data` table: a data.frame with at least one row and column.
rmcp_table <- function(data, arg = "data") {
  if (is.null(data)) {
    rmcp_stop(arg, "is required", "pass a table as {\"column\": [values, ...], ...}")
  }
  if (!is.data.frame(data)) {
    data <- tryCatch(as.data.frame(data, stringsAsFactors = FALSE, optional = TRUE),
                     error = function(e) NULL)
    if (is.null(data)) {
      rmcp_stop(arg, "is not a table", "pass columns of equal length as {\"column\": [values, ...]}")
    }
  }
  if (ncol(data) == 0L || nrow(data) == 0L) {
    rmcp_stop(arg, "has no rows", "pass at least one row of values")
  }
  data
}

# One of a fixed set of strings; `default` when absent.
rmcp_enum <- function(value, allowed, arg, default = allowed[[1L]]) {
  if (is.null(value)) return(default)
  if (!is.character(value) || length(value) != 1L || is.na(value) || !(value %in% allowed)) {
    rmcp_stop(arg, sprintf("unknown value %s",
                           if (is.character(value) && length(value) == 1L) rmcp_quote(value)
                           else "given"),
              sprintf("use one of %s", rmcp_quote(allowed)))
  }
  value
}

# A true/false flag; `default` when absent.
rmcp_flag <- function(value, arg, default) {
  if (is.null(value)) return(default)
  if (!is.logical(value) || length(value) != 1L || is.na(value)) {
    rmcp_stop(arg, "must be true or false", sprintf("pass true or false (default %s)",
                                                     tolower(default)))
  }
  value
}

# A single finite number (optionally an integer) within [lower, upper].
rmcp_number <- function(value, arg, default, lower = -Inf, upper = Inf, integer = FALSE) {
  if (is.null(value)) return(default)
  ok <- is.numeric(value) && length(value) == 1L && is.finite(value)
  if (ok && integer) ok <- value == round(value)
  if (!ok || value < lower || value > upper) {
    what <- if (integer) "a whole number" else "a number"
    range <- if (is.finite(lower) && is.finite(upper)) sprintf(" between %s and %s", lower, upper)
             else if (is.finite(lower)) sprintf(" of at least %s", lower)
             else if (is.finite(upper)) sprintf(" of at most %s", upper) else ""
    rmcp_stop(arg, sprintf("must be %s%s", what, range),
              sprintf("pass %s%s", what, range))
  }
  if (integer) as.integer(value) else as.numeric(value)
}

# One column name (a single string); `required` or NULL when absent.
rmcp_column_arg <- function(value, arg, required = TRUE, what = "a column") {
  if (is.null(value)) {
    if (!required) return(NULL)
    rmcp_stop(arg, "is required", sprintf("pass the name of %s", what))
  }
  if (!is.character(value) || length(value) != 1L || is.na(value)) {
    rmcp_stop(arg, "must be one column name (a string)", sprintf("pass the name of %s", what))
  }
  value
}

# A non-empty character vector of names.
rmcp_names_arg <- function(value, arg, required = TRUE) {
  if (is.null(value) || length(value) == 0L) {
    if (!required) return(NULL)
    rmcp_stop(arg, "is required and must name at least one column",
              "pass a list of column names, e.g. [\"x\", \"y\"]")
  }
  if (!is.character(value) || anyNA(value)) {
    rmcp_stop(arg, "must be a list of column names", "pass strings, e.g. [\"x\", \"y\"]")
  }
  unique(value)
}

# Available columns, for error messages.
rmcp_available <- function(data) {
  sprintf("available columns: %s", rmcp_quote(names(data), max = 30L))
}

# Stop unless every name in `cols` is a column of `data`.
rmcp_require_columns <- function(data, cols, arg) {
  missing <- cols[!(cols %in% names(data))]
  if (length(missing)) {
    rmcp_stop(arg, sprintf("%s %s not found in data",
                           if (length(missing) == 1L) "column" else "columns",
                           rmcp_quote(missing)),
              rmcp_available(data))
  }
  invisible(cols)
}

# Convert a column to double if it is numeric, or text that is entirely
# numbers; NULL otherwise.
rmcp_as_numeric <- function(x) {
  if (is.numeric(x)) return(as.double(x))
  if (is.character(x)) {
    keep <- !is.na(x) & nzchar(trimws(x))
    num <- suppressWarnings(as.numeric(x))
    if (any(keep) && !anyNA(num[keep])) {
      num[!keep] <- NA_real_
      return(num)
    }
  }
  NULL
}

# Column `col` of `data` as a numeric vector, or a catalog error.
rmcp_numeric_column <- function(data, col, arg) {
  rmcp_require_columns(data, col, arg)
  x <- data[[col]]
  num <- rmcp_as_numeric(x)
  if (is.null(num)) {
    what <- if (is.logical(x) && !all(is.na(x))) "true/false values"
            else if (all(is.na(x))) "only missing values"
            else sprintf("text values such as %s", rmcp_quote(utils::head(unique(x[!is.na(x)]), 3L)))
    rmcp_stop(arg, sprintf("column '%s' must be numeric but holds %s", col, what),
              "choose a numeric column or convert the values to numbers")
  }
  num
}

# Non-missing numeric values of column `col`, with at least `min_n` of them.
rmcp_clean_numeric <- function(data, col, arg, min_n = 1L, purpose = "this analysis") {
  x <- rmcp_numeric_column(data, col, arg)
  x <- x[!is.na(x)]
  if (length(x) < min_n) {
    rmcp_stop(arg, sprintf("column '%s' has %d non-missing value%s but %s needs at least %d",
                           col, length(x), if (length(x) == 1L) "" else "s", purpose, min_n),
              "provide more rows with values")
  }
  x
}

# Stop if `x` (no NAs) is constant.
rmcp_require_varying <- function(x, col, arg, purpose) {
  if (length(x) && all(x == x[[1L]])) {
    rmcp_stop(arg, sprintf("column '%s' is constant (every value is %s), so %s is undefined",
                           col, format(x[[1L]]), purpose),
              "choose a column whose values vary")
  }
  invisible(x)
}

# ---------------------------------------------------------------------------
# Formulas and models
# ---------------------------------------------------------------------------

# Parse the formula string and check that its variables are columns of data.
# `env` becomes the formula's environment (where model.frame looks up
# variables not in the data).
rmcp_formula <- function(text, data, arg = "formula", env = parent.frame()) {
  if (!is.character(text) || length(text) != 1L || is.na(text) || !grepl("[^[:space:]]", text)) {
    rmcp_stop(arg, "is required", "pass a formula string such as 'y ~ x1 + x2'")
  }
  f <- tryCatch(eval(str2lang(text), env), error = function(e) NULL)
  if (!inherits(f, "formula")) {
    rmcp_stop(arg, sprintf("could not be parsed as a formula: '%s'", text),
              "write it as 'response ~ predictor1 + predictor2'")
  }
  if (length(f) != 3L) {
    rmcp_stop(arg, "has no response variable", "write it as 'response ~ predictors'")
  }
  vars <- all.vars(f)
  missing <- vars[is.na(match(vars, c(names(data), ".")))]
  if (length(missing)) {
    rmcp_stop(arg, sprintf("%s %s not found in data",
                           if (length(missing) == 1L) "variable" else "variables",
                           rmcp_quote(missing)),
              rmcp_available(data))
  }
  f
}

# Response vector, design matrix and weights of a linear model, with rows
# that have missing values dropped (like lm's na.omit). Additive formulas of
# plain numeric columns (the common case) are built directly from the
# columns; anything else goes through model.frame/model.matrix as lm does.
# Returns list(y, X, w, terms, n_dropped).
rmcp_design <- function(f, data, weights = NULL, arg = "formula") {
  tt <- rmcp_try(stats::terms(f, data = data), arg, "check the formula's terms")
  labels <- attr(tt, "term.labels")
  resp <- f[[2L]]
  cols <- names(data)
  fast <- is.name(resp) && is.null(attr(tt, "offset")) &&
    all(!is.na(match(c(as.character(resp), labels), cols)))
  if (fast) {
    y <- .subset2(data, as.character(resp))
    xs <- lapply(labels, function(l) .subset2(data, l))
    fast <- is.numeric(y) && all(vapply(xs, is.numeric, NA))
  }
  if (fast) {
    n <- length(y)
    X <- if (length(xs)) matrix(unlist(xs, use.names = FALSE), n, length(labels)) else matrix(0, n, 0L)
    if (attr(tt, "intercept") == 1L) {
      X <- cbind(1, X)
      colnames(X) <- c("(Intercept)", labels)
    } else {
      colnames(X) <- labels
    }
    y <- as.double(y)
    ok <- !is.na(y) & !is.na(rowSums(X))
    if (!is.null(weights)) ok <- ok & !is.na(weights)
    dropped <- sum(!ok)
    if (dropped) {
      y <- y[ok]
      X <- X[ok, , drop = FALSE]
      if (!is.null(weights)) weights <- weights[ok]
    }
    return(list(y = y, X = X, w = weights, terms = tt, n_dropped = dropped))
  }
  .rmcp_w <- weights
  environment(f) <- list2env(list(.rmcp_w = .rmcp_w), parent = environment(f))
  mf <- rmcp_try(
    if (is.null(.rmcp_w)) stats::model.frame(f, data = data, na.action = NULL)
    else stats::model.frame(f, data = data, weights = .rmcp_w, na.action = NULL),
    arg, "check that the formula's variables and functions fit the data")
  mt <- attr(mf, "terms")
  ok <- stats::complete.cases(mf)
  dropped <- sum(!ok)
  if (dropped) {
    mf <- mf[ok, , drop = FALSE]
    for (j in seq_along(mf)) if (is.factor(mf[[j]])) mf[[j]] <- droplevels(mf[[j]])
  }
  y <- stats::model.response(mf)
  if (is.logical(y)) y <- as.double(y)
  if (nrow(mf) == 0L) {
    X <- matrix(0, 0L, 0L)
  } else {
    X <- rmcp_try(stats::model.matrix(mt, mf), arg,
                  "check the formula's terms (a factor needs at least 2 distinct values)")
  }
  list(y = y, X = X, w = stats::model.weights(mf), terms = mt, n_dropped = dropped)
}

# Columns of `data` a formula uses (all of them for `y ~ .`).
rmcp_formula_columns <- function(f, data) {
  vars <- all.vars(f)
  if ("." %in% vars) names(data) else vars
}

# Text of the response of a formula.
rmcp_response_name <- function(f) paste(deparse(f[[2L]], width.cutoff = 500L), collapse = "")

# Formula as a one-line string.
rmcp_deparse <- function(f) paste(trimws(deparse(f, width.cutoff = 500L)), collapse = " ")

# Stop if some coefficients could not be estimated (perfect collinearity).
rmcp_check_aliased <- function(coef_names, aliased, arg = "formula") {
  if (any(aliased)) {
    rmcp_stop(arg, sprintf("the design is singular: %s %s perfectly collinear with other terms (or constant)",
                           if (sum(aliased) == 1L) "term" else "terms",
                           rmcp_quote(coef_names[aliased])),
              "remove the redundant term(s) from the formula")
  }
  invisible(NULL)
}

# Stop unless the numeric response of a model varies.
rmcp_check_response <- function(y, f, arg = "formula") {
  if (!is.numeric(y) && !is.logical(y)) {
    rmcp_stop(arg, sprintf("the response '%s' must be numeric", rmcp_response_name(f)),
              "use a numeric response (for a categorical outcome use logistic_regression)")
  }
  if (length(y) && all(y == y[[1L]])) {
    rmcp_stop(arg, sprintf("the response '%s' is constant (every value is %s)",
                           rmcp_response_name(f), format(y[[1L]])),
              "use a response whose values vary")
  }
  invisible(NULL)
}

# Stop when fewer complete rows than coefficients + 1 remain.
rmcp_check_df <- function(n, p, arg = "data") {
  if (n - p < 1L) {
    rmcp_stop(arg, sprintf("%d complete row%s cannot estimate %d coefficient%s with residual degrees of freedom left",
                           n, if (n == 1L) "" else "s", p, if (p == 1L) "" else "s"),
              sprintf("provide at least %d rows without missing values in the model's columns, or use fewer predictors",
                      p + 1L))
  }
  invisible(NULL)
}

# Coefficient table (matrix with estimate, se, statistic, p columns) as the
# four named lists the result schemas use; non-finite entries are left out
# (the schemas allow numbers only).
rmcp_coef_lists <- function(tab, names = rownames(tab)) {
  pick <- function(j) {
    v <- tab[, j]
    names(v) <- names
    as.list(v[is.finite(v)])
  }
  list(coefficients = pick(1L), std_errors = pick(2L), statistics = pick(3L), p_values = pick(4L))
}

# Markdown coefficient table from the same matrix.
rmcp_md_coef_table <- function(tab, names = rownames(tab), stat = "t") {
  rmcp_md_table(c("term", "estimate", "std. error", stat, "p"),
                list(names, rmcp_fmt(tab[, 1L]), rmcp_fmt(tab[, 2L]), rmcp_fmt(tab[, 3L]),
                     rmcp_fmt_p(tab[, 4L])))
}

# ---------------------------------------------------------------------------
# Small statistics
# ---------------------------------------------------------------------------

# Type-7 quantiles (R's default) of an already sorted vector without NAs.
rmcp_quantile_sorted <- function(xs, probs) {
  n <- length(xs)
  if (n == 0L) return(rep(NA_real_, length(probs)))
  h <- (n - 1) * probs + 1
  lo <- floor(h)
  hi <- pmin(lo + 1, n)
  xs[lo] + (h - lo) * (xs[hi] - xs[lo])
}

# Moment skewness and excess kurtosis as the reference computes them:
# m3 / s^3 and m4 / s^4 - 3 with m_k = mean((x - mean)^k), s = sd(x) (n - 1).
rmcp_shape <- function(x, mean = sum(x) / length(x), sd = stats::sd(x)) {
  n <- length(x)
  if (n < 2L || !is.finite(sd) || sd == 0) return(c(NA_real_, NA_real_))
  d <- x - mean
  d2 <- d * d
  c(sum(d2 * d) / n / sd^3, sum(d2 * d2) / n / sd^4 - 3)
}

# ---------------------------------------------------------------------------
# Output helpers
# ---------------------------------------------------------------------------

# A table for the `data` field of transform results: every column an array
# (I()), logical columns as "true"/"false" strings (the output schemas allow
# numbers, strings and null only).
rmcp_table_out <- function(data) {
  out <- lapply(data, function(col) {
    if (is.factor(col)) col <- as.character(col)
    if (is.logical(col)) col <- ifelse(col, "true", "false")
    I(col)
  })
  names(out) <- names(data)
  out
}

# Numbers for markdown: 4 significant digits.
rmcp_fmt <- function(x, digits = 4L) {
  # sprintf(paste0("%.", digits, "g"), x), with NA for missing values, done in
  # Rust (src/r/format.rs): sprintf costs about a microsecond a number.
  .Call("rmcp_format_g", as.double(x), as.integer(digits), PACKAGE = "(embedding)")
}

rmcp_fmt_p <- function(p) {
  out <- sprintf("%.3f", p)
  out[p < 0.001] <- "< 0.001"
  out[is.na(p)] <- "NA"
  out
}

# Markdown table from a header and a list of equally long character columns.
rmcp_md_table <- function(header, cols) {
  rows <- do.call(paste, c(cols, sep = " | "))
  paste(c(paste0("| ", paste(header, collapse = " | "), " |"),
          paste0("|", paste(rep("---", length(header)), collapse = "|"), "|"),
          paste0("| ", rows, " |")),
        collapse = "\n")
}

# "< 0.001" or "= 0.123", to follow a "p".
rmcp_p_phrase <- function(p) {
  txt <- rmcp_fmt_p(p)
  small <- startsWith(txt, "<")
  txt[!small] <- paste("=", txt[!small])
  txt
}

# ---------------------------------------------------------------------------
# Descriptive statistics of many columns at once (summary_stats)
# ---------------------------------------------------------------------------

# Statistics of every column of the numeric matrix X (NAs skipped): a matrix
# with one row per column of X and columns n, n_missing, mean, sd, min, max,
# range, skewness, kurtosis (the reference's moment formulas with the sample
# sd) and one per probability (type-7 quantiles), named `pnames`.
rmcp_describe <- function(X, probs, pnames) {
  n <- nrow(X)
  k <- ncol(X)
  nas <- is.na(X)
  nj <- n - colSums(nas)
  safe <- pmax(nj, 1)
  sums <- colSums(X, na.rm = TRUE)
  mean <- sums / nj
  dev <- X - rep(mean, each = n)
  dev[nas] <- 0
  d2 <- dev * dev
  sd <- sqrt(colSums(d2) / (nj - 1))
  sd[nj < 2L] <- NA_real_
  skew <- colSums(d2 * dev) / nj / sd^3
  kurt <- colSums(d2 * d2) / nj / sd^4 - 3
  flat <- is.na(sd) | sd == 0
  skew[flat] <- NA_real_
  kurt[flat] <- NA_real_
  # one radix order sorts every column (missing values last in each block)
  S <- X[order(rep.int(seq_len(k), rep.int(n, k)), X, na.last = TRUE, method = "radix")]
  off <- (seq_len(k) - 1L) * n
  first <- S[off + 1L]
  last <- S[off + safe]
  q <- NULL
  if (length(probs)) {
    h <- outer(safe - 1, probs) + 1
    lo <- floor(h)
    hi <- pmin(lo + 1, safe)
    q <- matrix(S[off + lo] + (h - lo) * (S[off + hi] - S[off + lo]), nrow = k,
                dimnames = list(NULL, pnames))
  }
  tab <- cbind(n = nj, n_missing = n - nj, mean = mean, sd = sd, min = first, max = last,
               range = last - first, skewness = skew, kurtosis = kurt, q)
  tab[nj == 0L, -(1:2)] <- NA_real_
  tab
}

# Per-variable results from rmcp_describe()'s table: each row as a named
# numeric vector, which the engine writes as a JSON object (whole numbers such
# as n and n_missing as integers, NA as null); a variable without values
# reports only n and n_missing.
rmcp_describe_lists <- function(tab, variables) {
  out <- lapply(seq_along(variables), function(j) {
    row <- tab[j, ]
    if (row[[1L]] == 0) list(n = 0L, n_missing = as.integer(row[[2L]])) else row
  })
  names(out) <- variables
  out
}

# Markdown table of the `shown` fields of rmcp_describe()'s table, with label
# columns first.
rmcp_describe_md <- function(tab, shown, labels, label_names) {
  cells <- tab[, shown, drop = FALSE]
  txt <- matrix(rmcp_fmt(cells), nrow = nrow(cells))
  ints <- shown %in% c("n", "n_missing")
  txt[, ints] <- as.character(cells[, ints])
  rmcp_md_table(c(label_names, ifelse(shown == "n_missing", "missing", shown)),
                c(labels, lapply(seq_len(ncol(txt)), function(j) txt[, j])))
}
