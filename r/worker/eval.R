# Free-form R in a sandboxed worker (src/worker/child.rs): the session's
# workspace and the entry point execute_r_analysis runs. Loaded in the server
# too (every r/**/*.R is), where nothing calls it: it only defines functions
# and one state environment.
#
# The workspace persists across calls for the life of the MCP session (one
# worker per session). Its parent holds small stand-ins for library(),
# require(), requireNamespace(), loadNamespace() and attachNamespace() that
# refuse packages the session may not load, so a refusal at run time reads
# like the guard's (r/worker/guard.R). Neither is the security boundary:
# the process sandbox is.

rmcp_worker_state <- new.env(parent = emptyenv())

# The session's workspace, created on first use.
rmcp_worker_workspace <- function() {
  workspace <- rmcp_worker_state$workspace
  if (is.null(workspace)) {
    shims <- new.env(parent = environment(rmcp_worker_workspace))
    rmcp_worker_install_shims(shims)
    workspace <- new.env(parent = shims)
    rmcp_worker_state$workspace <- workspace
    rmcp_worker_state$created <- list()
    if (is.null(rmcp_worker_state$allowed)) rmcp_worker_state$allowed <- rmcp_worker_state$allowlist
  }
  workspace
}

# The server's package allowlist (set once by rmcp_worker_warm_up(); the
# server sends only the session's own approvals with each call).
rmcp_worker_state$allowlist <- character()

# The packages the session may load: the allowlist and its approvals.
rmcp_worker_allowed <- function(approved) {
  if (length(approved)) c(rmcp_worker_state$allowlist, as.character(approved))
  else rmcp_worker_state$allowlist
}

# Stops with an `rmcp_approval_required` condition unless `package` may load.
rmcp_worker_check_package <- function(package) {
  if (!is.character(package) || length(package) != 1L || is.na(package)) return(invisible())
  if (package %in% rmcp_worker_state$allowed) return(invisible())
  message <- sprintf(
    "package '%s' is not on the allowlist; call approve_r_package(package_name = \"%s\", action = \"approve\") and run the code again",
    package, package)
  stop(structure(class = c("rmcp_approval_required", "error", "condition"),
                 list(message = message, call = NULL, package = package)))
}

rmcp_worker_install_shims <- function(shims) {
  check <- rmcp_worker_check_package
  shims$library <- function(package, help, pos = 2, lib.loc = NULL, character.only = FALSE,
                            logical.return = FALSE, warn.conflicts, quietly = FALSE,
                            verbose = getOption("verbose"), ...) {
    if (missing(package)) return(base::library())
    name <- if (character.only) package else as.character(substitute(package))
    check(name)
    base::library(name, pos = pos, lib.loc = lib.loc, character.only = TRUE,
                  logical.return = logical.return, quietly = quietly, verbose = verbose, ...)
  }
  shims$require <- function(package, lib.loc = NULL, quietly = FALSE, warn.conflicts,
                            character.only = FALSE) {
    name <- if (character.only) package else as.character(substitute(package))
    check(name)
    base::require(name, lib.loc = lib.loc, quietly = quietly, character.only = TRUE)
  }
  shims$requireNamespace <- function(package, ..., quietly = TRUE) {
    check(package)
    base::requireNamespace(package, ..., quietly = quietly)
  }
  shims$loadNamespace <- function(package, ...) {
    if (is.character(package)) check(package)
    base::loadNamespace(package, ...)
  }
  shims$attachNamespace <- function(ns, ...) {
    if (is.character(ns)) check(ns)
    base::attachNamespace(ns, ...)
  }
  invisible(shims)
}

# Prints a visible top-level value the way R's console would.
rmcp_worker_autoprint <- function(value) {
  if (isS4(value)) methods::show(value) else print(value)
  invisible()
}

# args: code, approved_packages (the session's approvals, beyond the
# allowlist), packages, data (a data.frame or NULL), return_image, guard.
# Returns list(status = "ok" | "refused" | "approval_required", ...).
rmcp_worker_eval <- function(args) {
  workspace <- rmcp_worker_workspace()
  rmcp_worker_state$allowed <- rmcp_worker_allowed(args$approved_packages)
  # A calling handler, not tryCatch(): it costs a fraction per call, and the
  # error it raises in place of R's unwinds to the engine all the same.
  exprs <- withCallingHandlers(
    parse(text = args$code, keep.source = FALSE),
    error = function(e) {
      stop(sprintf("the R code does not parse: %s",
                   sub("^<text>:", "line ", conditionMessage(e))), call. = FALSE)
    })
  if (!isFALSE(args$guard)) {
    verdict <- rmcp_guard_check(exprs, rmcp_worker_state$allowed)
    if (!is.null(verdict)) return(verdict)
  }
  before <- search()
  packages <- as.character(args$packages)
  if (length(packages)) {
    outcome <- tryCatch({
      for (package in packages) {
        rmcp_worker_check_package(package)
        suppressPackageStartupMessages(base::library(package, character.only = TRUE))
      }
      NULL
    }, rmcp_approval_required = function(c) {
      list(status = "approval_required", package = c$package, message = conditionMessage(c))
    })
    if (!is.null(outcome)) return(outcome)
  }
  if (!is.null(args$data)) assign("data", args$data, envir = workspace)
  # names() of an environment is ls(all.names = TRUE, sorted = FALSE) without
  # ls()'s argument handling.
  names_before <- names(workspace)
  sentinel <- rmcp_worker_state
  old_result <- get0("result", envir = workspace, inherits = FALSE, ifnotfound = sentinel)
  file <- NULL
  if (isTRUE(args$return_image)) {
    file <- tempfile("rmcp-plot-", fileext = ".png")
    grDevices::png(file, width = 800L, height = 600L, res = 96L, type = "cairo")
    device <- grDevices::dev.cur()
    on.exit({
      if (device %in% grDevices::dev.list()) grDevices::dev.off(device)
      unlink(file)
    }, add = TRUE)
  }
  last <- NULL
  outcome <- tryCatch({
    for (expr in exprs) {
      shown <- withVisible(eval(expr, workspace))
      last <- shown$value
      if (shown$visible) rmcp_worker_autoprint(shown$value)
    }
    NULL
  }, rmcp_approval_required = function(c) {
    list(status = "approval_required", package = c$package, message = conditionMessage(c))
  })
  if (!is.null(outcome)) return(outcome)
  new_result <- get0("result", envir = workspace, inherits = FALSE, ifnotfound = sentinel)
  # `result` counts when this call bound it: a new object, even one equal to
  # the last call's (running the same code twice must answer the same).
  from_result <- !identical(new_result, sentinel) &&
    !.Call("rmcp_same_object", new_result, old_result, PACKAGE = "(embedding)")
  value <- if (from_result) new_result else last
  image <- NULL
  if (!is.null(file)) {
    if (inherits(value, c("gg", "ggplot")) && device %in% grDevices::dev.list()) {
      grDevices::dev.set(device)
      print(value)
    }
    if (device %in% grDevices::dev.list()) grDevices::dev.off(device)
    size <- file.size(file)
    if (!is.na(size) && size > 0) image <- readBin(file, what = "raw", n = size)
  }
  names_after <- names(workspace)
  created <- names_after[match(names_after, names_before, 0L) == 0L]
  if (length(created)) {
    stamp <- format(Sys.time(), "%Y-%m-%dT%H:%M:%OS3Z", tz = "UTC")
    for (name in created) rmcp_worker_state$created[[name]] <- stamp
  }
  after <- search()
  attached <- if (identical(after, before)) character() else sub("^package:", "", setdiff(after, before))
  loaded <- if (length(packages) || length(attached)) unique(c(packages, attached)) else packages
  list(status = "ok",
       result = rmcp_worker_jsonable(value),
       result_source = if (from_result) "result" else "last_value",
       image = image,
       packages_loaded = I(loaded))
}

# Values the JSON conversion would reduce to a bare "<...>" placeholder are
# described instead: models and other printable objects as their printed
# text, functions as their source.
rmcp_worker_jsonable <- function(value) {
  if (is.null(value) || is.atomic(value) || is.data.frame(value)) return(value)
  if (is.function(value) || is.environment(value) || is.language(value) || isS4(value) ||
      inherits(value, c("lm", "glm", "gg", "ggplot", "formula"))) {
    text <- tryCatch(utils::capture.output(print(value)), error = function(e) class(value)[[1L]])
    return(list(class = I(class(value)), printed = paste(text, collapse = "\n")))
  }
  value
}

# A callback into the server's catalog: runs `tool` with `args` in the
# server's R and returns its structured result (needs a callback session:
# setup_r_bidirectional or create_r_callback_session).
rmcp_call <- function(tool, args = list()) {
  rmcp_host_call("tool", list(tool = tool, args = args))
}

# Run once by a new worker before its sandbox closes: keeps the server's
# package allowlist (args$allowlist), loads the base packages (utils runs
# `uname` while loading, which the sandbox will forbid) and runs the guard
# and the workspace code once, so the first call is fast.
rmcp_worker_warm_up <- function(args) {
  rmcp_worker_state$allowlist <- as.character(args$allowlist)
  for (package in c("utils", "stats", "methods", "graphics", "grDevices", "datasets", "grid",
                    "splines", "tools")) {
    suppressPackageStartupMessages(requireNamespace(package, quietly = TRUE))
  }
  rmcp_worker_workspace()
  rmcp_guard_check(parse(text = "x <- get('mtcars'); do.call(rbind, list(1)); y <- mean(1)",
                         keep.source = FALSE), "stats")
  invisible(NULL)
}
