# Helpers shared by the timeseries, machine_learning and visualization
# catalog tools: argument checks that fail with the catalog's
# "<argument>: <problem>; <how to fix>" messages, small converters to the
# shapes the output schemas want, a seed wrapper for tools that must be
# reproducible regardless of the engine's per-call seed, and the common tail
# of every plot tool (render, optional file, dimensions).
#
# Self-contained on purpose (plain base/stats R): nothing here depends on the
# other helper files in r/common/, and every name is prefixed rmcp_plot_
# (or rmcp_with_seed) so it cannot collide with them.

# ---------------------------------------------------------------------------
# Errors and small utilities
# ---------------------------------------------------------------------------

# Stop with the catalog convention; no call, so no traceback text.
rmcp_plot_stop <- function(arg, problem, fix) {
  stop(sprintf("%s: %s; %s", arg, problem, fix), call. = FALSE)
}

# 'a', 'b', 'c' (at most `max` names, then "and N more").
rmcp_plot_quote <- function(x, max = 12L) {
  x <- as.character(x)
  more <- length(x) - max
  if (more > 0L) x <- x[seq_len(max)]
  out <- paste0("'", x, "'", collapse = ", ")
  if (more > 0L) out <- paste0(out, sprintf(" and %d more", more))
  out
}

# A compact number for the markdown summaries.
rmcp_plot_fmt <- function(x, digits = 4L) {
  if (is.null(x) || length(x) == 0L) return("NA")
  vapply(x, function(v) {
    if (is.na(v)) "NA" else trimws(formatC(v, digits = digits, format = "fg"))
  }, "", USE.NAMES = FALSE)
}

# An R error raised while fitting becomes a catalog error naming `arg`.
rmcp_plot_try <- function(expr, arg, fix) {
  tryCatch(expr, error = function(e) {
    msg <- gsub("[\r\n]+ *", " ", trimws(conditionMessage(e)))
    if (grepl("^[A-Za-z_][A-Za-z0-9_.]*: .*; ", msg)) stop(e)
    rmcp_plot_stop(arg, msg, fix)
  })
}

# A named numeric vector (or NULL) as a JSON object of numbers: non-finite
# entries dropped, and an empty result still an object ({}), never [].
rmcp_plot_named <- function(x, drop_nonfinite = TRUE) {
  if (is.null(x) || length(x) == 0L) return(structure(list(), names = character(0)))
  x <- stats::setNames(as.numeric(x), names(x))
  if (drop_nonfinite) x <- x[is.finite(x)]
  if (!length(x)) return(structure(list(), names = character(0)))
  as.list(x)
}

# Evaluate `expr` with the RNG seeded by `seed`, then put the global RNG
# state back as it was, so a fixed-seed tool does not disturb the engine's
# per-call seeding (and gives the same answer whatever that seed is).
rmcp_with_seed <- function(seed, expr) {
  genv <- globalenv()
  had <- exists(".Random.seed", envir = genv, inherits = FALSE)
  old <- if (had) get(".Random.seed", envir = genv, inherits = FALSE) else NULL
  on.exit({
    if (had) {
      assign(".Random.seed", old, envir = genv)
    } else if (exists(".Random.seed", envir = genv, inherits = FALSE)) {
      rm(".Random.seed", envir = genv)
    }
  }, add = TRUE)
  set.seed(seed)
  expr
}

# ---------------------------------------------------------------------------
# Scalar arguments
# ---------------------------------------------------------------------------

rmcp_plot_enum <- function(value, allowed, arg, default = allowed[[1L]]) {
  if (is.null(value)) return(default)
  if (!is.character(value) || length(value) != 1L || is.na(value) || !(value %in% allowed)) {
    shown <- if (is.character(value) && length(value) == 1L) rmcp_plot_quote(value) else "given"
    rmcp_plot_stop(arg, sprintf("unknown value %s", shown),
                   sprintf("use one of %s", rmcp_plot_quote(allowed)))
  }
  value
}

rmcp_plot_int <- function(value, arg, default, min = -Inf, max = Inf) {
  if (is.null(value)) return(as.integer(default))
  if (!is.numeric(value) || length(value) != 1L || is.na(value) || value != round(value)) {
    rmcp_plot_stop(arg, "must be a whole number", sprintf("pass an integer such as %s", default))
  }
  if (value < min || value > max) {
    range <- if (is.finite(max)) sprintf("between %s and %s", min, max) else sprintf("at least %s", min)
    rmcp_plot_stop(arg, sprintf("is %s but must be %s", format(value), range),
                   sprintf("pass a value %s", range))
  }
  as.integer(value)
}

rmcp_plot_flag <- function(value, arg, default) {
  if (is.null(value)) return(default)
  if (!is.logical(value) || length(value) != 1L || is.na(value)) {
    rmcp_plot_stop(arg, "must be true or false", "pass a JSON boolean")
  }
  value
}

rmcp_plot_string <- function(value, arg, default = NULL) {
  if (is.null(value)) return(default)
  if (!is.character(value) || length(value) != 1L || is.na(value)) {
    rmcp_plot_stop(arg, "must be a string", "pass a single string")
  }
  value
}

# ---------------------------------------------------------------------------
# Tables and columns
# ---------------------------------------------------------------------------

# The `data` table as a data.frame (it normally arrives as one already).
rmcp_plot_table <- function(data, arg = "data") {
  if (is.null(data)) {
    rmcp_plot_stop(arg, "is required", "pass a table as {\"column\": [values, ...], ...}")
  }
  if (!is.data.frame(data)) {
    lens <- if (is.list(data)) unique(lengths(data)) else integer()
    if (!is.list(data) || is.null(names(data)) || length(lens) != 1L) {
      rmcp_plot_stop(arg, "is not a table", "pass columns of equal length as {\"column\": [values, ...]}")
    }
    data <- as.data.frame(data, stringsAsFactors = FALSE, optional = TRUE)
  }
  if (ncol(data) == 0L || nrow(data) == 0L) {
    rmcp_plot_stop(arg, "has no rows", "pass at least one row of values")
  }
  data
}

# Names in `cols` that are columns of `data`; stops naming `arg` otherwise.
rmcp_plot_require_columns <- function(data, cols, arg) {
  missing <- setdiff(cols, names(data))
  if (length(missing)) {
    rmcp_plot_stop(arg, sprintf("%s %s not in the data",
                                if (length(missing) == 1L) "column" else "columns",
                                rmcp_plot_quote(missing)),
                   sprintf("use one of the available columns: %s", rmcp_plot_quote(names(data))))
  }
  invisible(cols)
}

# A single column name argument (required unless `optional`).
rmcp_plot_column_arg <- function(value, data, arg, optional = FALSE) {
  if (is.null(value) || (optional && is.character(value) && length(value) == 1L &&
                         !is.na(value) && !nzchar(value))) {
    if (optional) return(NULL)
    rmcp_plot_stop(arg, "is required", sprintf("name one of the columns: %s", rmcp_plot_quote(names(data))))
  }
  if (!is.character(value) || length(value) != 1L || is.na(value)) {
    rmcp_plot_stop(arg, "must be a column name", sprintf("name one of the columns: %s",
                                                        rmcp_plot_quote(names(data))))
  }
  rmcp_plot_require_columns(data, value, arg)
  value
}

# Column `col` as numbers; logical columns count as 0/1, text does not.
rmcp_plot_numeric <- function(data, col, arg) {
  x <- data[[col]]
  if (is.logical(x)) return(as.numeric(x))
  if (!is.numeric(x)) {
    rmcp_plot_stop(arg, sprintf("column '%s' is not numeric (it holds text)", col),
                   "choose a numeric column")
  }
  as.numeric(x)
}

rmcp_plot_require_varying <- function(x, col, arg, purpose) {
  x <- x[!is.na(x)]
  if (length(x) && all(x == x[[1L]])) {
    rmcp_plot_stop(arg, sprintf("column '%s' is constant (every value is %s)", col, format(x[[1L]])),
                   sprintf("%s needs a column whose values vary", purpose))
  }
  invisible(x)
}

# Parse a model formula and check every variable in it is a column.
rmcp_plot_formula <- function(text, data, arg = "formula") {
  if (is.null(text)) {
    rmcp_plot_stop(arg, "is required", "pass a model formula such as \"y ~ x1 + x2\"")
  }
  if (!is.character(text) || length(text) != 1L || is.na(text) || !grepl("~", text, fixed = TRUE)) {
    rmcp_plot_stop(arg, "must be a formula string with a '~'", "pass a formula such as \"y ~ x1 + x2\"")
  }
  f <- tryCatch(stats::as.formula(text, env = baseenv()), error = function(e) NULL)
  if (is.null(f) || length(f) != 3L) {
    rmcp_plot_stop(arg, sprintf("could not read the formula '%s'", text),
                   "write it as \"response ~ predictor1 + predictor2\"")
  }
  vars <- setdiff(all.vars(f), ".")
  rmcp_plot_require_columns(data, vars, arg)
  response <- all.vars(f[[2L]])
  if (length(response) != 1L) {
    rmcp_plot_stop(arg, "needs exactly one response variable on the left of '~'",
                   "write it as \"response ~ predictors\"")
  }
  if (length(setdiff(all.vars(f[[3L]]), response)) == 0L && !("." %in% all.vars(f))) {
    rmcp_plot_stop(arg, "has no predictors on the right of '~'", "name at least one predictor column")
  }
  list(formula = f, response = response,
       predictors = if ("." %in% all.vars(f)) setdiff(names(data), response) else setdiff(vars, response))
}

# ---------------------------------------------------------------------------
# Time series input: data = {values: [...], dates?: [...]}
# ---------------------------------------------------------------------------

rmcp_plot_series <- function(data, min_n = 1L, purpose = "this analysis") {
  if (is.null(data) || !is.list(data)) {
    rmcp_plot_stop("data", "is required", "pass {\"values\": [number, ...]}")
  }
  values <- data[["values"]]
  if (is.null(values)) {
    rmcp_plot_stop("data.values", "is required", "pass the series as {\"values\": [number, ...]}")
  }
  if (is.list(values) || !(is.numeric(values) || all(is.na(values)))) {
    rmcp_plot_stop("data.values", "must be an array of numbers", "pass numbers only, e.g. [112, 118, 132]")
  }
  values <- as.numeric(values)
  bad <- which(!is.finite(values))
  if (length(bad)) {
    rmcp_plot_stop("data.values", sprintf("has missing or non-finite values at positions %s",
                                          paste(utils::head(bad, 10L), collapse = ", ")),
                   "remove or fill in the missing values first")
  }
  if (length(values) < min_n) {
    rmcp_plot_stop("data.values", sprintf("has %d values but %s needs at least %d", length(values),
                                          purpose, min_n),
                   "pass a longer series")
  }
  values
}

# ISO dates (YYYY-MM-DD) -> Date; stops naming `arg` on anything else.
rmcp_plot_dates <- function(x, arg) {
  if (is.factor(x)) x <- as.character(x)
  if (!is.character(x)) {
    rmcp_plot_stop(arg, "must be ISO date strings", "pass dates as \"YYYY-MM-DD\"")
  }
  ok <- !is.na(x) & grepl("^[0-9]{4}-[0-9]{2}-[0-9]{2}$", x)
  d <- rep(as.Date(NA), length(x))
  d[ok] <- as.Date(x[ok], format = "%Y-%m-%d")
  bad <- which(is.na(d))
  if (length(bad)) {
    rmcp_plot_stop(arg, sprintf("%s (position %d) is not an ISO date",
                                if (is.na(x[bad[1L]])) "null" else paste0("'", x[bad[1L]], "'"), bad[1L]),
                   "write every date as YYYY-MM-DD, e.g. \"2024-01-31\"")
  }
  d
}

# ---------------------------------------------------------------------------
# Plot output
# ---------------------------------------------------------------------------

# Width/height arguments (pixels, at least 100).
rmcp_plot_size <- function(args, width, height) {
  list(width = rmcp_plot_int(args$width, "width", width, 100L, 8000L),
       height = rmcp_plot_int(args$height, "height", height, 100L, 8000L))
}

# The common tail of every plot tool: `build` is a function returning the
# plot (a ggplot or a grob); it is only called, and the PNG only rendered,
# when an image is wanted (return_image) or a file must be written
# (`.output_path`, a path the server has already vetted).
rmcp_plot_finish <- function(result, build, args, size) {
  return_image <- rmcp_plot_flag(args$return_image, "return_image", TRUE)
  out_path <- args$.output_path
  result$dimensions <- list(width = size$width, height = size$height)
  if (return_image || !is.null(out_path)) {
    png <- rmcp_render_png(build(), size$width, size$height)
    if (!is.null(out_path)) {
      ok <- tryCatch(suppressWarnings({ writeBin(png, out_path); TRUE }), error = function(e) FALSE)
      if (!ok) rmcp_plot_stop("file_path", "the plot file could not be written",
                              "choose a writable location")
    }
    if (return_image) result$image_data <- png
  }
  result
}

# A ggplot theme used by every plot: minimal, centred title.
rmcp_plot_theme <- function() {
  ggplot2::theme_minimal() +
    ggplot2::theme(plot.title = ggplot2::element_text(hjust = 0.5))
}
