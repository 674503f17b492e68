# Runs the catalog fixtures (tests/catalog/<tool>.json) of the statistics
# tools through the R side the way tests/r/harness.R does (r/ loaded into one
# environment, JSON -> R arguments, R -> JSON result), checks every case and
# validates each successful result against the tool's outputSchema from
# tools.json (python3 + jsonschema, when available).
#
# Usage (from the repository root):
#   Rscript tests/r/check_fixtures.R            # the 17 statistics tools
#   Rscript tests/r/check_fixtures.R t_test ... # just these tools
# Environment: RMCP_TOOLS_JSON (path of tools.json; default
# tests/reference/tools.json, the reference's schemas).
#
# Fixture semantics:
# * "expect": {json pointer (RFC 6901): value}; numbers compare within
#   "tolerance" (absolute, default 1e-6), strings/booleans/null exactly;
#   arrays element-wise (same length); objects key by key (the expected keys).
# * "error_contains": the tool must fail; each string must occur in the
#   message (case-sensitive), and the message must start "<argument>: ".
# Successful results must also carry a non-empty `_formatting` string.
# Exit status 1 when anything fails.
`%||%` <- function(a, b) if (is.null(a)) b else a
argv <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", argv[grep("^--file=", argv)][1])))
root <- normalizePath(file.path(here, "..", ".."))
selected <- commandArgs(trailingOnly = TRUE)
tools <- if (length(selected)) selected else c(
  "linear_model", "logistic_regression", "correlation_analysis",
  "panel_regression", "instrumental_variables", "var_model",
  "summary_stats", "outlier_detection", "frequency_table",
  "t_test", "anova", "chi_square_test", "normality_test",
  "lag_lead", "winsorize", "difference", "standardize")

source(file.path(here, "load_r.R"))
env <- rmcp_load_r(root)

to_json <- function(x) jsonlite::toJSON(x, auto_unbox = TRUE, na = "null", null = "null", digits = NA)

# JSON text -> tool arguments, exactly as harness.R converts them.
json_args <- function(txt, tables = "data") {
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
# R result -> JSON text, exactly as harness.R converts it.
to_plain <- function(x) {
  if (is.raw(x)) return(jsonlite::base64_enc(x))
  if (is.factor(x)) return(as.character(x))
  if (is.data.frame(x)) return(lapply(as.list(x), to_plain))
  if (is.list(x)) return(lapply(x, to_plain))
  if (is.numeric(x)) x[!is.finite(x)] <- NA
  x
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
  s <- as.character(to_json(x))
  if (nchar(s) > 160) paste0(substr(s, 1, 160), "...") else s
}
# NULL when equal, else a description of the first difference.
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

# ---- run --------------------------------------------------------------------------
schema_path <- Sys.getenv("RMCP_TOOLS_JSON", "")
if (!nzchar(schema_path)) {
  schema_path <- file.path(root, "tests", "reference", "tools.json")
}
results_for_schema <- list()
failures <- character()
summary_rows <- character()
total <- 0L
passed <- 0L
for (tool in tools) {
  path <- file.path(root, "tests", "catalog", paste0(tool, ".json"))
  if (!file.exists(path)) {
    failures <- c(failures, sprintf("%s: fixture file %s is missing", tool, path))
    summary_rows <- c(summary_rows, sprintf("%-24s missing fixture file", tool))
    next
  }
  fx <- jsonlite::fromJSON(path, simplifyVector = FALSE)
  fn <- get0(paste0("tool_", fx$tool), envir = env, mode = "function", inherits = FALSE)
  n_ok <- 0L
  n_err_cases <- 0L
  for (case in fx$cases) {
    total <- total + 1L
    label <- sprintf("%s / %s", tool, case$name)
    if (is.null(fn)) {
      failures <- c(failures, sprintf("%s: no function tool_%s", label, fx$tool))
      next
    }
    args <- json_args(as.character(to_json(case$args)))
    warnings <- character()
    out <- tryCatch(withCallingHandlers(fn(args), warning = function(w) {
      warnings <<- c(warnings, conditionMessage(w))
      invokeRestart("muffleWarning")
    }), error = function(e) structure(list(message = conditionMessage(e)), class = "tool_error"))
    problems <- character()
    if (!is.null(case$error_contains)) {
      n_err_cases <- n_err_cases + 1L
      if (!inherits(out, "tool_error")) {
        problems <- "expected an error, the tool succeeded"
      } else {
        msg <- out$message
        if (!grepl("^[A-Za-z_][A-Za-z0-9_.]*: ", msg)) problems <- c(problems, sprintf("message does not start with '<argument>: ': %s", msg))
        for (s in unlist(case$error_contains)) {
          if (!grepl(s, msg, fixed = TRUE)) problems <- c(problems, sprintf("message lacks '%s': %s", s, msg))
        }
      }
    } else if (inherits(out, "tool_error")) {
      problems <- sprintf("unexpected error: %s", out$message)
    } else {
      json <- as.character(jsonlite::toJSON(to_plain(out), auto_unbox = TRUE, na = "null", null = "null",
                                            digits = NA))
      doc <- jsonlite::fromJSON(json, simplifyVector = FALSE)
      fmt <- doc[["_formatting"]]
      if (!is.character(fmt) || length(fmt) != 1L || !nzchar(fmt)) problems <- c(problems, "no _formatting string")
      tol <- case$tolerance %||% 1e-6
      for (p in names(case$expect)) {
        d <- compare(resolve(doc, p), case$expect[[p]], tol, p)
        if (!is.null(d)) problems <- c(problems, d)
      }
      doc[["_formatting"]] <- NULL
      results_for_schema[[length(results_for_schema) + 1L]] <- list(tool = fx$tool, case = case$name,
                                                                    result = doc)
    }
    if (length(problems)) {
      failures <- c(failures, paste0(label, ":\n    ", paste(problems, collapse = "\n    ")))
    } else {
      n_ok <- n_ok + 1L
      passed <- passed + 1L
    }
  }
  summary_rows <- c(summary_rows, sprintf("%-24s %2d/%-2d cases pass (%d error cases)", tool, n_ok,
                                          length(fx$cases), n_err_cases))
}

# ---- output schemas -------------------------------------------------------------------
schema_note <- ""
if (is.na(schema_path) || !nzchar(schema_path) || !file.exists(schema_path)) {
  schema_note <- "output schemas: SKIPPED (tools.json not found; set RMCP_TOOLS_JSON)"
} else {
  tmp <- tempfile(fileext = ".json")
  on.exit(unlink(tmp), add = TRUE)
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
  # R puts its own LD_LIBRARY_PATH in the environment, which can make a
  # python3 built with a shared libpython load the system's library (and
  # lose its site-packages): run python3 without it.
  out <- tryCatch(system2("env", c("-u", "LD_LIBRARY_PATH", "python3", "-c", shQuote(py),
                                   shQuote(schema_path), shQuote(tmp)),
                          stdout = TRUE, stderr = TRUE), error = function(e) paste("SKIP", conditionMessage(e)))
  invalid <- grep("^(INVALID|NOSCHEMA)", out, value = TRUE)
  failures <- c(failures, invalid)
  checked <- grep("^CHECKED", out, value = TRUE)
  schema_note <- if (length(checked)) {
    n <- as.integer(strsplit(checked, " ")[[1]][2:3])
    sprintf("output schemas: %d results validated against tools.json, %d violations", n[1], n[2])
  } else {
    paste("output schemas:", paste(out, collapse = " "))
  }
}

cat(summary_rows, sep = "\n")
if (length(failures)) {
  cat("\nFAILURES:\n")
  cat(paste0("- ", failures), sep = "\n")
}
cat(sprintf("\n%d/%d cases pass; %s\n", passed, total, schema_note))
quit(status = if (length(failures)) 1L else 0L)
