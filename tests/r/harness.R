# Development harness: runs one catalog tool in a plain Rscript, the way the
# embedded engine does (all of r/ loaded into one environment, arguments
# converted from JSON, result converted back), so R code can be tried without
# building the server. The real tests go through the embedded engine.
#
# Usage: Rscript tests/r/harness.R <tool_name> '<json arguments>' [table_arg ...]
#   Table arguments (x-rmcp-table, default "data") arrive as data.frames.
args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 2) stop("usage: harness.R TOOL JSON [TABLE_ARG...]")
tool <- args[[1]]
tables <- if (length(args) > 2) args[-(1:2)] else "data"

argv <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", argv[grep("^--file=", argv)][1])))
source(file.path(here, "load_r.R"))
env <- rmcp_load_r(normalizePath(file.path(here, "..", "..")))

# JSON -> R as the engine does it: arrays of scalars become atomic vectors
# (null -> NA), objects become named lists, table arguments become data.frames.
input <- jsonlite::fromJSON(args[[2]], simplifyVector = TRUE,
                            simplifyDataFrame = FALSE, simplifyMatrix = FALSE)
for (t in tables) {
  if (!is.null(input[[t]]) && is.list(input[[t]])) {
    input[[t]] <- as.data.frame(lapply(input[[t]], function(col) {
      if (is.list(col)) unlist(lapply(col, function(v) if (is.null(v)) NA else v)) else col
    }), stringsAsFactors = FALSE, check.names = FALSE)
  }
}

fn <- get(paste0("tool_", tool), envir = env)
out <- tryCatch(fn(input), error = function(e) structure(list(message = conditionMessage(e)),
                                                        class = "harness_error"))
if (inherits(out, "harness_error")) {
  cat(jsonlite::toJSON(list(error = out$message), auto_unbox = TRUE), "\n")
  quit(status = 1)
}
# R -> JSON as the engine does it: length-1 vectors become scalars (I() keeps
# an array), NA/NaN/Inf become null, raw vectors become base64, factors strings.
to_plain <- function(x) {
  if (is.raw(x)) return(jsonlite::base64_enc(x))
  if (is.factor(x)) return(as.character(x))
  if (is.data.frame(x)) return(lapply(as.list(x), to_plain))
  if (is.list(x)) return(lapply(x, to_plain))
  if (is.numeric(x)) x[!is.finite(x)] <- NA
  x
}
cat(jsonlite::toJSON(to_plain(out), auto_unbox = TRUE, na = "null", null = "null",
                     digits = NA, pretty = TRUE), "\n")
