# The guard in front of free-form R: a walk over R's own parse tree (never a
# regex) that refuses, with a message naming the call, code that can never
# work in the sandbox or would defeat the protocol: running commands,
# sockets, compiled code, environment variables, quitting, rewriting
# namespaces, installing packages, loading packages the session may not
# load; also the same calls built from strings (get("sys" + "tem"),
# do.call(), parse(text =)) when the strings are literals or built from
# literals by pure string functions, which the guard folds.
#
# It is a usability layer: fast, clear refusals. What it cannot see (a name
# computed at run time) the process sandbox stops. It must let ordinary
# analysis through: get("mtcars"), do.call(rbind, l), Reduce, assign in the
# workspace, on.exit, options(digits = ), as.formula(paste(...)).

rmcp_guard_categories <- list(
  commands = list(
    names = c("system", "system2", "shell", "shell.exec", "pipe"),
    why = "runs operating-system commands, which the R sandbox never allows",
    fix = "do the work in R itself"),
  network = list(
    names = c("socketConnection", "socketAccept", "serverSocket", "make.socket", "url",
              "download.file", "curlGetHeaders", "socketSelect", "read.socket", "write.socket"),
    why = "opens a network connection, which the R sandbox never allows",
    fix = "pass the data in the `data` argument instead"),
  native = list(
    names = c(".Internal", ".Call", ".External", ".External2", ".C", ".Fortran",
              ".Call.graphics", ".External.graphics", "dyn.load", "dyn.unload",
              "library.dynam", "library.dynam.unload", "sourceCpp", "cppFunction",
              "evalCpp", "cfunction"),
    why = "calls or loads compiled code directly, which free-form R may not do",
    fix = "call the R functions that wrap it"),
  environment = list(
    names = c("Sys.setenv", "Sys.unsetenv"),
    why = "changes environment variables, which the R sandbox never allows",
    fix = "keep settings in R variables instead"),
  session = list(
    names = c("q", "quit"),
    why = "ends the R session, which would throw the workspace away",
    fix = "leave it out: the workspace persists between calls"),
  namespace = list(
    names = c("assignInNamespace", "assignInMyNamespace", "fixInNamespace",
              "unlockBinding", "trace", "untrace", "parent.env<-", "environment<-",
              "registerNamespace"),
    why = "rewrites package namespaces, bindings or function environments",
    fix = "define your own function in the workspace instead"),
  install = list(
    names = c("install.packages", "remove.packages", "update.packages", "install_github",
              "install_cran", "install_version", "install_local", "install_url",
              "install_git", "pkg_install"),
    why = "installs or removes packages; installs never happen silently",
    fix = "use an installed package (list_r_packages) or ask the server's operator to install it"),
  processes = list(
    names = c("pskill", "psnice", "makeCluster", "makePSOCKcluster", "makeForkCluster",
              "mcparallel", "mcfork", "mccollect"),
    why = "starts or signals other processes, which the R sandbox never allows",
    fix = "run the computation sequentially in this session")
)

# Refused names that are also common variable names: refused only when
# called (or named in a string that is resolved), not as plain values.
rmcp_guard_generic <- c("q", "quit", "url", "pipe", "trace", "shell")

# The server's own helpers user code may call.
rmcp_guard_public <- c("rmcp_call", "rmcp_host_call", "rmcp_render_png")

# Functions that turn a string into a function or a name.
rmcp_guard_resolvers <- c(
  "get", "get0", "mget", "match.fun", "do.call", "getFunction", "getExportedValue",
  "getFromNamespace", "as.name", "as.symbol", "call", "[[", "exists", "Negate",
  "Vectorize", "sapply", "lapply", "vapply", "mapply", "Map", "Reduce", "Filter", "Find",
  "Position", "apply", "tapply", "outer", "rapply", "eapply", "by", "aggregate", "Recall")

# Functions that load or attach a package named by their first argument.
rmcp_guard_loaders <- c("library", "require", "requireNamespace", "loadNamespace",
                        "attachNamespace", "getNamespace", "asNamespace")

# Ways to reach a package namespace (`environment(f)` of a package's function
# is its namespace; `environment()` alone is the caller's own frame).
rmcp_guard_env_accessors <- c("asNamespace", "getNamespace", "loadNamespace", "baseenv",
                              ".BaseNamespaceEnv", "topenv", "emptyenv", "as.environment",
                              "pos.to.env", "environment", "::", ":::", "sys.function")

# Pure string functions the guard may evaluate on literals.
rmcp_guard_foldable <- c("paste", "paste0", "sprintf", "toupper", "tolower", "casefold",
                         "rev", "c", "intToUtf8", "rawToChar", "as.raw", "charToRaw",
                         "chartr", "sub", "gsub", "substr", "substring", "trimws",
                         "as.character", "utf8ToInt", "strtoi", "unlist", "list",
                         "strsplit", "sQuote", "dQuote", "noquote")

rmcp_guard_category_of <- function(name) {
  for (category in names(rmcp_guard_categories)) {
    if (name %in% rmcp_guard_categories[[category]]$names) return(category)
  }
  NULL
}

rmcp_guard_refusal <- function(state, shown, category) {
  if (!is.null(state$verdict)) return(invisible())
  info <- if (identical(category, "internal")) {
    list(why = "reaches into the server's internal functions",
         fix = "use rmcp_call(tool, args) to run the server's tools")
  } else if (identical(category, "depth")) {
    list(why = "is nested too deeply to check", fix = "split it into smaller steps")
  } else {
    rmcp_guard_categories[[category]]
  }
  state$verdict <- list(
    status = "refused", call = shown, category = category,
    message = sprintf("refused %s: it %s; %s", shown, info$why, info$fix))
  invisible()
}

rmcp_guard_approval <- function(state, package) {
  if (!is.null(state$verdict)) return(invisible())
  state$verdict <- list(
    status = "approval_required", package = package,
    message = sprintf(
      "package '%s' is not on the allowlist; call approve_r_package(package_name = \"%s\", action = \"approve\") and run the code again",
      package, package))
  invisible()
}

rmcp_guard_is_missing <- function(node, index) identical(node[[index]], quote(expr = ))

# The value `node` stands for when it is a literal, or built from literals by
# foldable functions (strings, numbers, raw bytes); NULL otherwise.
rmcp_guard_fold <- function(node, depth = 0L) {
  if (is.character(node) || is.numeric(node) || is.logical(node) || is.raw(node)) return(node)
  if (depth > 30L || !is.call(node) || !is.name(node[[1L]])) return(NULL)
  name <- as.character(node[[1L]])
  if (!(name %in% rmcp_guard_foldable)) return(NULL)
  values <- list()
  for (index in seq_along(node)[-1L]) {
    if (rmcp_guard_is_missing(node, index)) return(NULL)
    value <- rmcp_guard_fold(node[[index]], depth + 1L)
    if (is.null(value)) return(NULL)
    values[index - 1L] <- list(value)
  }
  # A width in a format (sprintf("%9999999s", "")) could allocate without bound.
  if (name == "sprintf" && any(grepl("%[-+ #0]*[0-9*]", unlist(values[1L])))) return(NULL)
  argument_names <- names(node)
  if (!is.null(argument_names)) names(values) <- argument_names[-1L]
  folded <- tryCatch(do.call(get(name, envir = baseenv()), values), error = function(e) NULL)
  if (is.list(folded)) folded <- unlist(folded, use.names = FALSE)
  if (is.atomic(folded) && length(folded) <= 10000L) folded else NULL
}

# The strings `node` stands for (see rmcp_guard_fold), or NULL.
rmcp_guard_strings <- function(node) {
  folded <- rmcp_guard_fold(node)
  if (is.character(folded)) folded else NULL
}

rmcp_guard_check_name <- function(name, state, called, shown = NULL) {
  if (is.null(shown)) shown <- if (called) paste0(name, "()") else name
  if (startsWith(name, "rmcp_") && !(name %in% rmcp_guard_public)) {
    return(rmcp_guard_refusal(state, shown, "internal"))
  }
  category <- rmcp_guard_category_of(name)
  if (is.null(category)) return(invisible())
  if (!called && name %in% rmcp_guard_generic) return(invisible())
  rmcp_guard_refusal(state, shown, category)
}

rmcp_guard_check_package <- function(package, state, allowed) {
  if (is.character(package) && length(package) == 1L && !is.na(package) && nzchar(package) &&
      !(package %in% allowed)) {
    rmcp_guard_approval(state, package)
  }
}

# Whether `node` mentions a namespace or interpreter-environment accessor.
rmcp_guard_mentions_env <- function(node, depth = 0L) {
  if (depth > 50L) return(TRUE)
  if (is.name(node)) return(as.character(node) %in% rmcp_guard_env_accessors)
  if (!is.call(node)) return(FALSE)
  if (identical(node, quote(environment()))) return(FALSE)
  for (index in seq_along(node)) {
    if (!rmcp_guard_is_missing(node, index) &&
        rmcp_guard_mentions_env(node[[index]], depth + 1L)) return(TRUE)
  }
  FALSE
}

rmcp_guard_walk <- function(node, state, allowed, depth) {
  if (!is.null(state$verdict)) return(invisible())
  if (depth > 400L) return(rmcp_guard_refusal(state, "this code", "depth"))
  if (is.name(node)) {
    return(rmcp_guard_check_name(as.character(node), state, called = FALSE))
  }
  if (is.pairlist(node)) {
    for (index in seq_along(node)) {
      if (!rmcp_guard_is_missing(node, index)) {
        rmcp_guard_walk(node[[index]], state, allowed, depth + 1L)
      }
    }
    return(invisible())
  }
  if (!is.call(node)) return(invisible())
  head <- node[[1L]]
  arguments <- seq_along(node)[-1L]
  fn <- NULL
  if (is.name(head)) {
    fn <- as.character(head)
  } else if (is.call(head) && length(head) == 3L && is.name(head[[1L]]) &&
             as.character(head[[1L]]) %in% c("::", ":::")) {
    # pkg::fn(...) is checked as pkg::fn, then like fn(...).
    rmcp_guard_walk(head, state, allowed, depth + 1L)
    fn <- as.character(head[[3L]])
  } else {
    rmcp_guard_walk(head, state, allowed, depth + 1L)
  }
  if (!is.null(fn)) {
    if (fn %in% c("::", ":::") && length(node) == 3L) {
      package <- as.character(node[[2L]])
      name <- as.character(node[[3L]])
      shown <- paste0(package, fn, name)
      rmcp_guard_check_package(package, state, allowed)
      category <- rmcp_guard_category_of(name)
      if (!is.null(category)) rmcp_guard_refusal(state, shown, category)
      if (package %in% c("renv", "devtools", "remotes", "pak", "BiocManager") &&
          grepl("install|update", name)) rmcp_guard_refusal(state, shown, "install")
      return(invisible())
    }
    if (is.name(head)) rmcp_guard_check_name(fn, state, called = TRUE)
    if (fn %in% c("$", "@") && length(node) == 3L) {
      member <- as.character(node[[3L]])
      if (!is.null(rmcp_guard_category_of(member)) && rmcp_guard_mentions_env(node[[2L]])) {
        rmcp_guard_refusal(state, paste0("...", fn, member), rmcp_guard_category_of(member))
      }
      return(rmcp_guard_walk(node[[2L]], state, allowed, depth + 1L))
    }
    if (fn %in% rmcp_guard_loaders && length(node) >= 2L && !rmcp_guard_is_missing(node, 2L)) {
      first <- node[[2L]]
      character_only <- isTRUE(tryCatch(node[["character.only"]], error = function(e) FALSE))
      package <- if (is.name(first) && fn %in% c("library", "require") && !character_only) {
        as.character(first)
      } else {
        rmcp_guard_strings(first)
      }
      rmcp_guard_check_package(package, state, allowed)
    }
    if (fn %in% rmcp_guard_resolvers) {
      for (index in arguments) {
        if (rmcp_guard_is_missing(node, index)) next
        strings <- rmcp_guard_strings(node[[index]])
        for (text in strings) {
          shown <- if (fn == "[[") sprintf("[[\"%s\"]]", text) else sprintf("%s(\"%s\")", fn, text)
          rmcp_guard_check_name(text, state, called = TRUE, shown = shown)
        }
      }
    }
    if (fn %in% c("getExportedValue", "getFromNamespace") && length(node) >= 3L) {
      package <- rmcp_guard_strings(node[[if (fn == "getExportedValue") 2L else 3L]])
      rmcp_guard_check_package(package, state, allowed)
    }
    if (fn %in% c("parse", "str2lang", "str2expression", "textConnection")) {
      text_node <- if (fn == "parse") tryCatch(node[["text"]], error = function(e) NULL) else
        if (length(node) >= 2L && !rmcp_guard_is_missing(node, 2L)) node[[2L]]
      text <- if (is.null(text_node)) NULL else rmcp_guard_strings(text_node)
      if (!is.null(text)) {
        inner <- tryCatch(parse(text = text, keep.source = FALSE), error = function(e) NULL)
        for (index in seq_along(inner)) rmcp_guard_walk(inner[[index]], state, allowed, depth + 1L)
      }
    }
    if (fn %in% c("<-", "=", "<<-") && length(node) == 3L && is.call(node[[2L]]) &&
        is.name(node[[2L]][[1L]])) {
      target <- as.character(node[[2L]][[1L]])
      if (target == "parent.env" ||
          (target %in% c("environment", "body", "formals") &&
           (rmcp_guard_mentions_env(node[[2L]][-1L]) || rmcp_guard_mentions_env(node[[3L]])))) {
        rmcp_guard_refusal(state, paste0(target, "<-"), "namespace")
      }
    }
    if (fn %in% c("assign", "delayedAssign", "makeActiveBinding") && length(node) > 3L) {
      # Where it assigns: any argument after the name and the value.
      for (index in seq_along(node)[-(1:3)]) {
        if (!rmcp_guard_is_missing(node, index) && rmcp_guard_mentions_env(node[[index]])) {
          rmcp_guard_refusal(state, paste0(fn, "() into a namespace"), "namespace")
        }
      }
    }
  }
  for (index in arguments) {
    if (!rmcp_guard_is_missing(node, index)) {
      rmcp_guard_walk(node[[index]], state, allowed, depth + 1L)
    }
  }
  invisible()
}

# Every name the walk can act on: a refused name (rmcp_* internals aside),
# a function whose arguments it inspects, or a construct it looks into.
# `function` is here because all.names() does not look into the default
# values of a function's arguments, where the walk does.
rmcp_guard_triggers <- unique(c(
  unlist(lapply(rmcp_guard_categories, `[[`, "names"), use.names = FALSE),
  rmcp_guard_resolvers, rmcp_guard_loaders, rmcp_guard_env_accessors,
  "::", ":::", "getExportedValue", "getFromNamespace",
  "parse", "str2lang", "str2expression", "textConnection",
  "parent.env", "environment", "body", "formals",
  "assign", "delayedAssign", "makeActiveBinding", "function"))

# Whether the walk could find anything in `expr`: one pass over its names in
# C, so ordinary code (lm(), summary(), arithmetic, assignments) is let
# through without walking it in R.
rmcp_guard_may_refuse <- function(expr) {
  names <- all.names(expr)
  any(names %in% rmcp_guard_triggers) || any(startsWith(names, "rmcp_"))
}

# NULL when `exprs` (parsed code) may run; otherwise
# list(status = "refused" | "approval_required", message, ...).
# `walk_all` walks every expression, even those whose names show nothing to
# find (tests compare the two).
rmcp_guard_check <- function(exprs, allowed, walk_all = FALSE) {
  state <- NULL
  for (index in seq_along(exprs)) {
    expr <- exprs[[index]]
    if (!walk_all && !rmcp_guard_may_refuse(expr)) next
    if (is.null(state)) {
      state <- new.env(parent = emptyenv())
      state$verdict <- NULL
    }
    rmcp_guard_walk(expr, state, allowed, 0L)
    if (!is.null(state$verdict)) return(state$verdict)
  }
  NULL
}

# The guard's verdict on each of args$codes (R source text), with and
# without the shortcut: list(code, parses, verdict, full) per code, where a
# verdict is "ok" or the refusal's message. For tests.
rmcp_guard_verdicts <- function(args) {
  allowed <- as.character(args$allowed)
  shown <- function(verdict) if (is.null(verdict)) "ok" else verdict$message
  lapply(as.character(args$codes), function(code) {
    exprs <- tryCatch(parse(text = code, keep.source = FALSE), error = function(e) NULL)
    if (is.null(exprs)) return(list(code = code, parses = FALSE))
    list(code = code, parses = TRUE,
         verdict = shown(rmcp_guard_check(exprs, allowed)),
         full = shown(rmcp_guard_check(exprs, allowed, walk_all = TRUE)))
  })
}
