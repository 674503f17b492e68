# The one entry point the server uses to run a catalog tool: it applies the
# reference's formula rules on R's own parse tree (not a regex), then calls the
# tool's function. Tables have already been checked and converted by the
# engine.

# Functions a model formula may call, besides its operators.
rmcp_formula_functions <- c("I", "abs", "as.factor", "exp", "factor", "log", "log10",
                            "log1p", "poly", "scale", "sqrt")
rmcp_formula_operators <- c("~", "+", "-", "*", "/", ":", "^", "(", "|")

# Stops unless `text` is a model formula built only from column names,
# numbers, formula operators and the allowed functions.
rmcp_check_formula <- function(text, arg) {
  fix <- "write it like 'y ~ x1 + x2', using column names, + - * / : ^ | ( ) and only the functions I, abs, as.factor, exp, factor, log, log10, log1p, poly, scale, sqrt"
  if (!is.character(text) || length(text) != 1L || is.na(text)) {
    stop(sprintf("%s: must be one formula string; %s", arg, fix), call. = FALSE)
  }
  if (grepl("[^A-Za-z0-9_.[:space:]~+*/:^(),|-]", text) || grepl("::", text, fixed = TRUE)) {
    stop(sprintf("%s: contains characters a formula may not use; %s", arg, fix), call. = FALSE)
  }
  parsed <- tryCatch(parse(text = text, keep.source = FALSE), error = function(e) NULL)
  if (length(parsed) != 1L || !is.call(parsed[[1L]]) ||
      !identical(parsed[[1L]][[1L]], as.name("~"))) {
    stop(sprintf("%s: '%s' is not a single model formula; %s", arg, text, fix), call. = FALSE)
  }
  walk <- function(node) {
    if (is.name(node) || is.numeric(node)) return(invisible(NULL))
    if (!is.call(node)) {
      stop(sprintf("%s: unexpected element in the formula; %s", arg, fix), call. = FALSE)
    }
    head <- node[[1L]]
    if (!is.name(head)) {
      stop(sprintf("%s: a call in the formula is not a plain function name; %s", arg, fix),
           call. = FALSE)
    }
    name <- as.character(head)
    if (!(name %in% c(rmcp_formula_operators, rmcp_formula_functions))) {
      stop(sprintf("%s: the function '%s' is not allowed in a formula; %s", arg, name, fix),
           call. = FALSE)
    }
    for (child in as.list(node)[-1L]) walk(child)
    invisible(NULL)
  }
  walk(parsed[[1L]])
}

# request: list(tool = "tool_<name>", formulas = <argument names>, args = <arguments>)
rmcp_run_tool <- function(request) {
  args <- request$args
  for (arg in request$formulas) {
    if (!is.null(args[[arg]])) rmcp_check_formula(args[[arg]], arg)
  }
  fun <- get0(request$tool, envir = parent.env(environment()), mode = "function",
              inherits = FALSE)
  if (is.null(fun)) stop(sprintf("the tool '%s' has no R implementation", request$tool),
                         call. = FALSE)
  fun(args)
}
