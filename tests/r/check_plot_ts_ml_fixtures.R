# Runs the catalog fixtures (tests/catalog/<tool>.json) of the timeseries,
# machine_learning and visualization tools through the R side the way
# tests/r/harness.R does (all of r/ loaded into one environment, common/
# first), with the JSON <-> R conversion of the embedded engine
# (src/r/convert.rs) rather than jsonlite's defaults, and checks:
# * "expect": {json pointer (RFC 6901): value}; numbers within "tolerance"
#   (absolute, default 1e-6), strings/booleans/null exactly, arrays
#   element-wise (same length), objects key by key (the expected keys);
# * "png": {"pointer", "width", "height"}: the pointer holds base64 PNG
#   bytes whose IHDR says width x height;
# * "error_contains": the tool must fail, the message must start
#   "<argument>: " and contain every string (case-sensitive);
# * every successful result has a non-empty `_formatting` string and
#   validates against the tool's outputSchema in tools.json (python3 +
#   jsonschema; image_data and _formatting stripped first).
# Random tools (random_forest) run every case under three different seeds,
# as the engine seeds each call; kmeans_clustering must leave the global
# RNG state untouched. A plot tool given `.output_path` must write the same
# PNG bytes there.
#
# Usage (from the repository root):
#   Rscript tests/r/check_plot_ts_ml_fixtures.R            # all 12 tools
#   Rscript tests/r/check_plot_ts_ml_fixtures.R histogram  # just these
#   RMCP_TIMING=1 Rscript tests/r/check_plot_ts_ml_fixtures.R   # + timings
# Environment: RMCP_TOOLS_JSON (path of tools.json; default
# tests/reference/tools.json, the reference's schemas).
# Exit status 1 when anything fails.
argv <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", argv[grep("^--file=", argv)][1])))
root <- normalizePath(file.path(here, "..", ".."))
selected <- commandArgs(trailingOnly = TRUE)
all_tools <- c("arima_model", "decompose_timeseries", "stationarity_test",
               "kmeans_clustering", "decision_tree", "random_forest",
               "scatter_plot", "histogram", "boxplot", "time_series_plot",
               "correlation_heatmap", "regression_plot")
tools <- if (length(selected)) selected else all_tools
random_tools <- c("random_forest")
`%or%` <- function(a, b) if (is.null(a)) b else a

source(file.path(here, "load_r.R"))
env <- rmcp_load_r(root)

schema_path <- Sys.getenv("RMCP_TOOLS_JSON", "")
if (!nzchar(schema_path)) {
  schema_path <- file.path(root, "tests", "reference", "tools.json")
}
specs <- if (file.exists(schema_path)) jsonlite::fromJSON(schema_path, simplifyVector = FALSE) else list()
spec_names <- vapply(specs, function(s) s$name, "")
# Arguments the engine turns into data.frames: those marked x-rmcp-table.
table_args <- function(tool) {
  s <- specs[[match(tool, spec_names)]]
  if (is.null(s)) return("data")
  props <- s$inputSchema$properties
  names(props)[vapply(props, function(p) isTRUE(p[["x-rmcp-table"]]), TRUE)]
}

# ---- JSON -> R, as the engine converts arguments ------------------------------------
json_args <- function(txt, tables) {
  input <- jsonlite::fromJSON(txt, simplifyVector = TRUE, simplifyDataFrame = FALSE,
                              simplifyMatrix = FALSE)
  for (t in tables) {
    if (!is.null(input[[t]]) && is.list(input[[t]])) {
      input[[t]] <- as.data.frame(lapply(input[[t]], function(col) {
        if (is.list(col)) unlist(lapply(col, function(v) if (is.null(v)) NA else v)) else col
      }), stringsAsFactors = FALSE, check.names = FALSE)
    }
  }
  input
}

# ---- R -> JSON, with the engine's rules (src/r/convert.rs) ---------------------------
# Builds a value that jsonlite::toJSON(auto_unbox = FALSE) writes exactly as
# the engine would: length-1 vectors scalars unless I(); named vectors
# objects unless I(); matrices arrays of rows; data.frames column objects;
# non-finite numbers null; factors labels; Dates ISO strings; raw base64.
plain_elements <- function(x) {
  if (is.factor(x)) return(as.character(x))
  if (inherits(x, "Date")) return(format(x, "%Y-%m-%d"))
  if (inherits(x, "POSIXct")) return(format(x, "%Y-%m-%dT%H:%M:%SZ", tz = "UTC"))
  if (is.numeric(x)) { x <- as.numeric(x); x[!is.finite(x)] <- NA; return(x) }
  if (is.logical(x) || is.character(x)) return(as.vector(x))
  as.character(x)
}
engine_value <- function(x) {
  if (is.null(x)) return(NULL)
  if (is.raw(x)) return(jsonlite::unbox(jsonlite::base64_enc(x)))
  if (is.data.frame(x)) {
    return(stats::setNames(lapply(as.list(x), function(col) {
      if (is.atomic(col)) unname(plain_elements(col)) else engine_value(col)
    }), names(x)))
  }
  if (is.list(x)) {
    out <- lapply(x, engine_value)
    if (!is.null(names(x))) return(stats::setNames(out, names(x)))
    return(unname(out))
  }
  if (is.atomic(x)) {
    as_is <- inherits(x, "AsIs")
    d <- dim(x)
    if (length(d) == 2L) {
      v <- plain_elements(unclass(x))
      m <- matrix(v, d[1L], d[2L])
      return(lapply(seq_len(d[1L]), function(i) unname(m[i, ])))
    }
    nm <- names(x)
    v <- unname(plain_elements(if (as_is) unclass(x) else x))
    if (!is.null(nm) && !as_is) {
      return(stats::setNames(lapply(v, jsonlite::unbox), nm))
    }
    if (length(v) == 1L && !as_is) return(jsonlite::unbox(v))
    return(v)
  }
  jsonlite::unbox("<R object>")
}
to_json <- function(x) {
  jsonlite::toJSON(engine_value(x), auto_unbox = FALSE, na = "null", null = "null", digits = NA)
}

# ---- JSON pointer and comparison -------------------------------------------------
MISSING <- structure(list(), class = "missing_value")
resolve <- function(doc, pointer) {
  if (identical(pointer, "")) return(doc)
  tokens <- strsplit(sub("^/", "", pointer), "/", fixed = TRUE)[[1]]
  if (grepl("/$", pointer)) tokens <- c(tokens, "")
  for (tk in tokens) {
    tk <- gsub("~0", "~", gsub("~1", "/", tk, fixed = TRUE), fixed = TRUE)
    if (!is.list(doc)) return(MISSING)
    if (!is.null(names(doc))) {
      if (!(tk %in% names(doc))) return(MISSING)
      doc <- doc[[tk]]
    } else {
      i <- suppressWarnings(as.integer(tk))
      if (is.na(i) || i < 0 || i >= length(doc)) return(MISSING)
      doc <- doc[[i + 1L]]
    }
  }
  doc
}
show <- function(x) {
  if (inherits(x, "missing_value")) return("<absent>")
  s <- as.character(jsonlite::toJSON(x, auto_unbox = TRUE, null = "null", na = "null", digits = NA))
  if (nchar(s) > 160) paste0(substr(s, 1, 160), "...") else s
}
compare <- function(actual, expected, tol, where = "") {
  if (inherits(actual, "missing_value")) return(sprintf("%s: absent, expected %s", where, show(expected)))
  if (is.null(expected)) {
    return(if (is.null(actual)) NULL else sprintf("%s: expected null, got %s", where, show(actual)))
  }
  if (is.null(actual)) return(sprintf("%s: got null, expected %s", where, show(expected)))
  if (is.list(expected)) {
    if (!is.list(actual)) return(sprintf("%s: expected %s, got %s", where, show(expected), show(actual)))
    if (is.null(names(expected))) {
      if (!is.null(names(actual)) && length(actual)) return(sprintf("%s: expected an array, got an object", where))
      if (length(actual) != length(expected)) {
        return(sprintf("%s: expected %d elements, got %d (%s)", where, length(expected), length(actual), show(actual)))
      }
      for (i in seq_along(expected)) {
        d <- compare(actual[[i]], expected[[i]], tol, paste0(where, "/", i - 1L))
        if (!is.null(d)) return(d)
      }
      return(NULL)
    }
    if (length(expected) == 0L) {
      return(if (is.list(actual) && length(actual) == 0L) NULL
             else sprintf("%s: expected {}, got %s", where, show(actual)))
    }
    for (k in names(expected)) {
      d <- compare(if (k %in% names(actual)) actual[[k]] else MISSING, expected[[k]], tol, paste0(where, "/", k))
      if (!is.null(d)) return(d)
    }
    return(NULL)
  }
  if (is.numeric(expected)) {
    if (!is.numeric(actual) || length(actual) != 1L) {
      return(sprintf("%s: expected %s, got %s", where, format(expected, digits = 15), show(actual)))
    }
    if (abs(actual - expected) > tol) {
      return(sprintf("%s: expected %s, got %s (|diff| %.3g > %g)", where, format(expected, digits = 15),
                     format(actual, digits = 15), abs(actual - expected), tol))
    }
    return(NULL)
  }
  if (!identical(actual, expected)) return(sprintf("%s: expected %s, got %s", where, show(expected), show(actual)))
  NULL
}

# Width and height from a PNG's IHDR chunk (NULL if not a PNG).
png_size <- function(bytes) {
  sig <- as.raw(c(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a))
  if (length(bytes) < 24L || !identical(bytes[1:8], sig) || rawToChar(bytes[13:16]) != "IHDR") return(NULL)
  be32 <- function(b) sum(as.numeric(as.integer(b)) * 256^(3:0))
  c(width = be32(bytes[17:20]), height = be32(bytes[21:24]))
}

# Run a tool, muffling warnings (the engine reports them separately).
run_tool <- function(fn, args) {
  warnings <- character()
  out <- tryCatch(withCallingHandlers(fn(args), warning = function(w) {
    warnings <<- c(warnings, conditionMessage(w))
    invokeRestart("muffleWarning")
  }), error = function(e) structure(list(message = conditionMessage(e)), class = "tool_error"))
  attr(out, "warnings") <- warnings
  out
}

check_case <- function(tool, fn, case, tables) {
  args <- json_args(as.character(jsonlite::toJSON(case$args, auto_unbox = TRUE, null = "null", digits = NA)),
                    tables)
  rng_before <- get0(".Random.seed", envir = globalenv(), inherits = FALSE)
  out <- run_tool(fn, args)
  rng_after <- get0(".Random.seed", envir = globalenv(), inherits = FALSE)
  problems <- character()
  doc <- NULL
  if (tool == "kmeans_clustering" && !identical(rng_before, rng_after)) {
    problems <- c(problems, "the global RNG state changed (rmcp_with_seed must restore it)")
  }
  if (!is.null(case$error_contains)) {
    if (!inherits(out, "tool_error")) return(c(problems, "expected an error, the tool succeeded"))
    msg <- out$message
    if (!grepl("^[A-Za-z_][A-Za-z0-9_.]*: ", msg)) {
      problems <- c(problems, sprintf("message does not start with '<argument>: ': %s", msg))
    }
    for (s in unlist(case$error_contains)) {
      if (!grepl(s, msg, fixed = TRUE)) problems <- c(problems, sprintf("message lacks '%s': %s", s, msg))
    }
    if (grepl("/work|/tmp|Error in", msg)) problems <- c(problems, sprintf("message leaks a path or call: %s", msg))
    return(problems)
  }
  if (inherits(out, "tool_error")) return(c(problems, sprintf("unexpected error: %s", out$message)))
  json <- as.character(to_json(out))
  doc <- jsonlite::fromJSON(json, simplifyVector = FALSE)
  fmt <- doc[["_formatting"]]
  if (!is.character(fmt) || length(fmt) != 1L || !nzchar(fmt)) problems <- c(problems, "no _formatting string")
  tol <- case$tolerance %or% 1e-6
  for (p in names(case$expect)) {
    d <- compare(resolve(doc, p), case$expect[[p]], tol, p)
    if (!is.null(d)) problems <- c(problems, d)
  }
  if (!is.null(case$png)) {
    b64 <- resolve(doc, case$png$pointer)
    if (!is.character(b64)) {
      problems <- c(problems, sprintf("%s: no base64 PNG", case$png$pointer))
    } else {
      sz <- png_size(jsonlite::base64_dec(b64))
      if (is.null(sz)) {
        problems <- c(problems, sprintf("%s: not a PNG", case$png$pointer))
      } else if (sz[["width"]] != case$png$width || sz[["height"]] != case$png$height) {
        problems <- c(problems, sprintf("%s: PNG is %dx%d, expected %dx%d", case$png$pointer,
                                        sz[["width"]], sz[["height"]], case$png$width, case$png$height))
      }
    }
  }
  doc[["_formatting"]] <- NULL
  doc[["image_data"]] <- NULL
  attr(problems, "doc") <- doc
  problems
}

# ---- run --------------------------------------------------------------------------
results_for_schema <- list()
failures <- character()
summary_rows <- character()
total <- 0L
passed <- 0L
for (tool in tools) {
  path <- file.path(root, "tests", "catalog", paste0(tool, ".json"))
  if (!file.exists(path)) {
    failures <- c(failures, sprintf("%s: fixture file %s is missing", tool, path))
    summary_rows <- c(summary_rows, sprintf("%-22s missing fixture file", tool))
    next
  }
  fx <- jsonlite::fromJSON(path, simplifyVector = FALSE)
  fn <- get0(paste0("tool_", fx$tool), envir = env, mode = "function", inherits = FALSE)
  tables <- table_args(fx$tool)
  n_ok <- 0L
  n_err <- 0L
  n_png <- 0L
  t0 <- proc.time()[["elapsed"]]
  for (case in fx$cases) {
    total <- total + 1L
    label <- sprintf("%s / %s", tool, case$name)
    if (is.null(fn)) {
      failures <- c(failures, sprintf("%s: no function tool_%s", label, fx$tool))
      next
    }
    if (!is.null(case$error_contains)) n_err <- n_err + 1L
    if (!is.null(case$png)) n_png <- n_png + 1L
    seeds <- if (tool %in% random_tools && is.null(case$error_contains)) c(1L, 2L, 20240601L) else 42L
    problems <- character()
    for (seed in seeds) {
      set.seed(seed)
      pr <- check_case(tool, fn, case, tables)
      if (length(pr)) problems <- c(problems, if (length(seeds) > 1L) paste0("[seed ", seed, "] ", pr) else pr)
      doc <- attr(pr, "doc")
      if (!is.null(doc) && seed == seeds[[1L]]) {
        results_for_schema[[length(results_for_schema) + 1L]] <- list(tool = fx$tool, case = case$name,
                                                                      result = doc)
      }
    }
    if (length(problems)) {
      failures <- c(failures, paste0(label, ":\n    ", paste(problems, collapse = "\n    ")))
    } else {
      n_ok <- n_ok + 1L
      passed <- passed + 1L
    }
  }
  summary_rows <- c(summary_rows, sprintf("%-22s %2d/%-2d cases pass (%d error, %d png cases) %6.2fs", tool,
                                          n_ok, length(fx$cases), n_err, n_png,
                                          proc.time()[["elapsed"]] - t0))
}

# ---- .output_path: the file gets the same PNG bytes -----------------------------------
if ("scatter_plot" %in% tools) {
  total <- total + 1L
  out_file <- tempfile(fileext = ".png")
  res <- run_tool(env$tool_scatter_plot, list(data = data.frame(a = c(1, 2, 3, 4), b = c(2, 1, 4, 3)),
                                              x = "a", y = "b", width = 300L, height = 200L,
                                              .output_path = out_file))
  ok <- !inherits(res, "tool_error") && file.exists(out_file) &&
    identical(readBin(out_file, "raw", file.size(out_file)), res$image_data)
  res2 <- run_tool(env$tool_scatter_plot, list(data = data.frame(a = c(1, 2, 3, 4), b = c(2, 1, 4, 3)),
                                               x = "a", y = "b", return_image = FALSE))
  ok <- ok && !inherits(res2, "tool_error") && is.null(res2$image_data)
  unlink(out_file)
  if (ok) passed <- passed + 1L else failures <- c(failures, "scatter_plot: .output_path / return_image = false")
}

# ---- output schemas -------------------------------------------------------------------
schema_note <- ""
if (is.na(schema_path) || !file.exists(schema_path)) {
  schema_note <- "output schemas: SKIPPED (tools.json not found; set RMCP_TOOLS_JSON)"
} else {
  tmp <- tempfile(fileext = ".json")
  writeLines(as.character(jsonlite::toJSON(results_for_schema, auto_unbox = TRUE, null = "null", na = "null",
                                           digits = NA)), tmp)
  py <- "
import json, sys
try:
    import jsonschema
except ImportError:
    print('SKIP jsonschema not installed (pip install jsonschema)'); sys.exit(0)
specs = {t['name']: t for t in json.load(open(sys.argv[1]))}
results = json.load(open(sys.argv[2]))
bad = 0
for r in results:
    schema = specs.get(r['tool'], {}).get('outputSchema')
    if schema is None:
        print('NOSCHEMA %s / %s' % (r['tool'], r['case'])); continue
    cls = jsonschema.validators.validator_for(schema)
    errs = sorted(cls(schema).iter_errors(r['result']), key=lambda e: list(e.path))
    for e in errs[:3]:
        bad += 1
        print('INVALID %s / %s: %s at /%s' % (r['tool'], r['case'], e.message[:200], '/'.join(map(str, e.path))))
print('CHECKED %d %d' % (len(results), bad))
"
  out <- tryCatch(system2("env", c("-u", "LD_LIBRARY_PATH", "python3", "-c", shQuote(py),
                                   shQuote(schema_path), shQuote(tmp)),
                          stdout = TRUE, stderr = TRUE), error = function(e) paste("SKIP", conditionMessage(e)))
  unlink(tmp)
  failures <- c(failures, grep("^(INVALID|NOSCHEMA)", out, value = TRUE))
  checked <- grep("^CHECKED", out, value = TRUE)
  schema_note <- if (length(checked)) {
    n <- as.integer(strsplit(checked, " ")[[1]][2:3])
    sprintf("output schemas: %d results validated against tools.json, %d violations", n[1], n[2])
  } else {
    paste("output schemas:", paste(out, collapse = " "))
  }
}

# ---- optional timings -----------------------------------------------------------------
if (nzchar(Sys.getenv("RMCP_TIMING"))) {
  time_call <- function(label, fn, args, reps = 20L) {
    for (i in 1:3) run_tool(fn, args)
    t <- vapply(seq_len(reps), function(i) system.time(run_tool(fn, args))[["elapsed"]], 0)
    cat(sprintf("timing %-40s median %6.1f ms  min %6.1f ms  max %6.1f ms (%d calls after warm-up)\n", label,
                1000 * stats::median(t), 1000 * min(t), 1000 * max(t), reps))
  }
  mt <- datasets::mtcars
  time_call("scatter_plot mtcars wt/mpg 800x600", env$tool_scatter_plot,
            list(data = mt, x = "wt", y = "mpg", width = 800L, height = 600L))
  time_call("scatter_plot (return_image = false)", env$tool_scatter_plot,
            list(data = mt, x = "wt", y = "mpg", return_image = FALSE))
  ir <- datasets::iris
  ir$Species <- as.character(ir$Species)
  time_call("kmeans_clustering iris k=3 nstart=25", env$tool_kmeans_clustering,
            list(data = ir, variables = names(ir)[1:4], k = 3L))
}

cat(summary_rows, sep = "\n")
if (length(failures)) {
  cat("\nFAILURES:\n")
  cat(paste0("- ", failures), sep = "\n")
}
cat(sprintf("\n%d/%d checks pass; %s\n", passed, total, schema_note))
quit(status = if (length(failures)) 1L else 0L)
