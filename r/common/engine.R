# The engine's side of every job: the entry points src/r/runtime/job_loop.rs calls,
# which run a job under calling handlers for warnings, errors and interrupts,
# and the restore step that puts back any interpreter-wide state a job
# changed (options, global variables, search path, working directory,
# devices, sinks; the engine restores the RNG), so one job never sees
# another's settings.
#
# Protocol with the engine: an entry point returns the job's value. A failure
# is not caught here: the handlers only record it in `rmcp_engine_state` and
# let it unwind to the engine's R_tryEvalSilent, which reports "failed"; the
# engine then reads what was recorded. Calling handlers cost a fraction of
# tryCatch(), which matters at tens of microseconds per job.
#   status   NULL (ok), "error", "parse_error" or "interrupted"
#   message  R's condition message
#   call     the deparsed call that raised the error, or NULL
#   warnings character vector of warning messages, or NULL
#   line, column  position of a parse error
# The engine resets every field to NULL before each job.
rmcp_engine_state <- new.env(parent = emptyenv())

# Interpreter-wide state as it was when the engine finished starting; jobs are
# compared against this and restored to it.
rmcp_engine_baseline <- new.env(parent = emptyenv())

rmcp_engine_capture_baseline <- function() {
  rmcp_engine_baseline$options <- options()
  # .Options is updated in place, so compare against a copy of it: cheaper
  # than building the sorted options() list for every job.
  rmcp_engine_baseline$options_raw <- as.list(.Options)
  rmcp_engine_baseline$search <- search()
  rmcp_engine_baseline$wd <- getwd()
  rmcp_engine_baseline$globals <- ls(globalenv(), all.names = TRUE)
  invisible(NULL)
}

# Options that packages keep their own state in, from C, and that must never
# be removed or given a new value. cpp11 (readxl, ragg, ...) adds
# `cpp11_should_unwind_protect` (a flag it flips in place) and
# `cpp11_preserve_xptr` (its protection list) on first use, and remembers
# the pairlist cell of the last option it set: removing or replacing either
# lets R free memory cpp11 still uses (seen as readxl hanging, or crashing
# the process in TAG()).
rmcp_engine_package_options <- "^cpp11_"

# Puts interpreter-wide state back to the baseline. The engine calls it only
# when its own cheap checks (in Rust, after every job: options, global
# variables, search path, working directory, devices) saw a change; the RNG
# state is restored by the engine itself.
rmcp_engine_restore <- function() {
  base <- rmcp_engine_baseline
  if (!identical(as.list(.Options), base$options_raw)) {
    keep <- grepl(rmcp_engine_package_options, names(.Options))
    added <- setdiff(names(.Options)[!keep], names(base$options))
    for (name in added) try(options(stats::setNames(list(NULL), name)), silent = TRUE)
    options(base$options[!grepl(rmcp_engine_package_options, names(base$options))])
    # Options R itself adds on first use cannot be deleted: accept them.
    base$options_raw <- as.list(.Options)
  }
  if (grDevices::dev.cur() > 1L) grDevices::graphics.off()
  extra <- setdiff(ls(globalenv(), all.names = TRUE), c(base$globals, ".Random.seed"))
  if (length(extra)) rm(list = extra, envir = globalenv())
  if (length(search()) != length(base$search)) {
    for (name in setdiff(search(), base$search)) {
      try(detach(name, character.only = TRUE, unload = FALSE), silent = TRUE)
    }
  }
  if (!identical(getwd(), base$wd)) setwd(base$wd)
  invisible(NULL)
}

rmcp_engine_guard <- function(thunk, seed) {
  if (!is.null(seed)) set.seed(seed)
  state <- rmcp_engine_state
  withCallingHandlers(
    thunk(),
    warning = function(w) {
      state$warnings <- c(state$warnings, conditionMessage(w))
      invokeRestart("muffleWarning")
    },
    error = function(e) {
      call <- conditionCall(e)
      state$status <- "error"
      state$message <- conditionMessage(e)
      state$call <- if (is.null(call)) NULL else paste(deparse(call, nlines = 1L), collapse = "")
    },
    interrupt = function(i) state$status <- "interrupted"
  )
}

# Parse and evaluate R source `code` in `env`; the value is the last
# expression's.
rmcp_engine_eval <- function(code, env, seed) {
  exprs <- withCallingHandlers(
    parse(text = code, keep.source = FALSE),
    error = function(e) {
      state <- rmcp_engine_state
      msg <- conditionMessage(e)
      where <- regmatches(msg, regexec("^<text>:([0-9]+):([0-9]+): ([^\n]*)", msg))[[1]]
      state$status <- "parse_error"
      if (length(where) == 4L) {
        state$message <- where[[4]]
        state$line <- as.integer(where[[2]])
        state$column <- as.integer(where[[3]])
      } else {
        state$message <- sub("^<text>:\\s*", "", msg)
      }
    }
  )
  # Sinks are checked here rather than by the engine: only R knows them.
  on.exit(while (sink.number() > 0L) sink())
  rmcp_engine_guard(function() {
    value <- NULL
    for (expr in exprs) value <- eval(expr, env)
    value
  }, seed)
}

# Call the R side's function `name` (from this environment) with `args`.
rmcp_engine_call <- function(name, args, seed) {
  fun <- get0(name, envir = parent.env(environment()), mode = "function", inherits = FALSE)
  if (is.null(fun)) {
    rmcp_engine_state$status <- "error"
    rmcp_engine_state$message <- paste0("no R function named '", name, "' in the catalog")
    stop(rmcp_engine_state$message, call. = FALSE)
  }
  rmcp_engine_guard(function() fun(args), seed)
}

# Objects in a workspace: names, classes and sizes in bytes.
rmcp_engine_env_info <- function(env) {
  names <- sort(ls(env, all.names = TRUE))
  sizes <- vapply(names, function(n) as.numeric(utils::object.size(get(n, envir = env))), 0)
  classes <- vapply(names, function(n) paste(class(get(n, envir = env)), collapse = "/"), "")
  list(objects = lapply(seq_along(names), function(i)
         list(name = names[[i]], class = classes[[i]], bytes = sizes[[i]])),
       total_bytes = sum(sizes))
}

# Returns its argument: lets tests and diagnostics check the JSON <-> R
# conversion both ways.
rmcp_engine_echo <- function(args) args

# Describes how each member of `args` arrived in R (class and type), for
# conversion tests.
rmcp_engine_describe <- function(args) {
  lapply(args, function(x) list(class = I(class(x)), type = typeof(x), length = length(x)))
}

# Calls the host (the Rust program embedding this R) with a name and a list of
# arguments; returns its answer converted to R, or raises its error.
rmcp_host_call <- function(name, args = list()) {
  answer <- .Call("rmcp_host_call", as.character(name), args, PACKAGE = "(embedding)")
  if (isTRUE(answer[[1L]])) answer[[2L]] else stop(answer[[2L]], call. = FALSE)
}
