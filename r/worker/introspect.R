# Looking at a session's live workspace from a worker (list_r_objects,
# inspect_r_object, get_r_session_info, list_r_packages), and carrying a
# workspace over to a new worker. Defines functions only; loaded in the
# server too, where nothing calls them.

# One object's vital statistics.
rmcp_worker_describe_one <- function(name, value, created) {
  list(name = name,
       class = I(class(value)),
       type = typeof(value),
       size_bytes = as.numeric(utils::object.size(value)),
       length = length(value),
       dim = if (is.null(dim(value))) NULL else I(dim(value)),
       created = created)
}

# args: pattern, include_hidden, sort_by (name | size | class | created).
rmcp_worker_objects <- function(args) {
  workspace <- rmcp_worker_workspace()
  names <- ls(workspace, all.names = isTRUE(args$include_hidden))
  pattern <- args$pattern
  if (!is.null(pattern) && nzchar(pattern)) {
    keep <- tryCatch(grepl(pattern, names), error = function(e) {
      stop(sprintf("pattern: not a valid regular expression (%s)", conditionMessage(e)),
           call. = FALSE)
    })
    names <- names[keep]
  }
  created <- rmcp_worker_state$created
  objects <- lapply(names, function(name) {
    rmcp_worker_describe_one(name, get(name, envir = workspace),
                             created[[name]] %||% NA_character_)
  })
  key <- args$sort_by %||% "name"
  order_by <- switch(key,
    size = order(-vapply(objects, function(o) o$size_bytes, 0)),
    class = order(vapply(objects, function(o) o$class[[1L]], "")),
    created = order(vapply(objects, function(o) o$created %||% "", "")),
    order(names))
  objects <- objects[order_by]
  classes <- table(vapply(objects, function(o) o$class[[1L]], ""))
  list(objects = objects,
       summary = list(
         total_objects = length(objects),
         total_size_bytes = sum(vapply(objects, function(o) o$size_bytes, 0)),
         classes = as.list(classes)))
}

# args: object_name, include_summary, include_structure, max_preview_rows.
rmcp_worker_inspect <- function(args) {
  workspace <- rmcp_worker_workspace()
  name <- args$object_name
  if (!exists(name, envir = workspace, inherits = FALSE)) {
    return(list(exists = FALSE, object_name = name,
                message = sprintf("no object named '%s' in this session's workspace; list_r_objects shows what exists", name)))
  }
  value <- get(name, envir = workspace, inherits = FALSE)
  info <- rmcp_worker_describe_one(name, value, rmcp_worker_state$created[[name]] %||% NA_character_)
  info$exists <- TRUE
  info$object_name <- name
  info$name <- NULL
  if (!is.null(names(value)) && !is.environment(value)) {
    info$names <- I(utils::head(names(value), 100L))
  }
  rows <- max(0L, min(as.integer(args$max_preview_rows %||% 10L), 1000L))
  capture <- function(expr) {
    text <- tryCatch(utils::capture.output(expr), error = function(e) conditionMessage(e))
    paste(utils::head(text, 200L), collapse = "\n")
  }
  if (!isFALSE(args$include_structure)) {
    info$structure <- capture(utils::str(value, max.level = 2L, list.len = 20L))
  }
  if (!isFALSE(args$include_summary)) {
    info$summary <- capture(print(summary(value)))
  }
  if (rows > 0L) {
    if (is.data.frame(value)) {
      info$preview <- utils::head(value, rows)
    } else if (is.matrix(value)) {
      info$preview <- capture(print(utils::head(value, rows)))
    } else if (is.atomic(value)) {
      info$preview <- I(utils::head(value, rows))
    }
  }
  info
}

rmcp_worker_session_info <- function(args) {
  workspace <- rmcp_worker_workspace()
  memory <- gc()
  objects <- ls(workspace, all.names = TRUE)
  list(r_version = R.version.string,
       platform = R.version$platform,
       running = utils::osVersion %||% NA_character_,
       locale = Sys.getlocale("LC_CTYPE"),
       timezone = Sys.timezone(),
       working_directory = "the session's private sandbox folder (relative paths resolve there)",
       workspace_objects = length(objects),
       workspace_bytes = sum(vapply(objects, function(n) {
         as.numeric(utils::object.size(get(n, envir = workspace)))
       }, 0)),
       memory_used_mb = sum(memory[, 2L]),
       memory_limit_mb = mem.maxVSize(),
       options = list(digits = getOption("digits"), scipen = getOption("scipen"),
                      OutDec = getOption("OutDec"), warn = getOption("warn"),
                      stringsAsFactors = getOption("stringsAsFactors")),
       attached_packages = I(sub("^package:", "", grep("^package:", search(), value = TRUE))),
       loaded_namespaces = I(sort(loadedNamespaces())),
       installed_packages = nrow(utils::installed.packages(fields = character())))
}

# args: include_base, package_name, approved_packages (the session's
# approvals, beyond the allowlist).
rmcp_worker_packages <- function(args) {
  installed <- utils::installed.packages(fields = character())
  allowed <- rmcp_worker_allowed(args$approved_packages)
  if (!is.null(args$package_name) && nzchar(args$package_name)) {
    name <- args$package_name
    here <- name %in% rownames(installed)
    return(list(package = name,
                installed = here,
                version = if (here) unname(installed[name, "Version"]) else NULL,
                loaded = name %in% loadedNamespaces(),
                attached = paste0("package:", name) %in% search(),
                allowed = name %in% allowed))
  }
  if (!isTRUE(args$include_base)) {
    installed <- installed[is.na(installed[, "Priority"]) | installed[, "Priority"] != "base", ,
                           drop = FALSE]
  }
  installed <- installed[!duplicated(installed[, "Package"]), , drop = FALSE]
  names <- unname(installed[, "Package"])
  packages <- lapply(seq_along(names), function(i) {
    list(name = names[[i]], version = unname(installed[i, "Version"]),
         loaded = names[[i]] %in% loadedNamespaces(),
         attached = paste0("package:", names[[i]]) %in% search(),
         allowed = names[[i]] %in% allowed)
  })
  list(packages = packages,
       summary = list(installed = length(names),
                      loaded = sum(names %in% loadedNamespaces()),
                      allowed_and_installed = sum(names %in% allowed)))
}

# Saves the workspace to `file` (inside the worker's folder).
rmcp_worker_save <- function(args) {
  workspace <- rmcp_worker_workspace()
  objects <- as.list(workspace, all.names = TRUE)
  saveRDS(list(objects = objects, created = rmcp_worker_state$created), args$file)
  list(saved = length(objects))
}

# Loads a workspace saved by rmcp_worker_save() from `file`.
rmcp_worker_load <- function(args) {
  workspace <- rmcp_worker_workspace()
  saved <- readRDS(args$file)
  list2env(saved$objects, envir = workspace)
  rmcp_worker_state$created <- saved$created
  unlink(args$file)
  list(loaded = length(saved$objects))
}

rmcp_worker_drop <- function(args) {
  workspace <- rmcp_worker_workspace()
  dropped <- ls(workspace, all.names = TRUE)
  rm(list = dropped, envir = workspace)
  rmcp_worker_state$created <- list()
  list(dropped = length(dropped))
}
