# suggest_fix: turns an error message (from R, or from one of this server's
# tools) into a diagnosis and concrete fixes: the kind of error, what to
# try, commands to run (e.g. the install command for a missing package),
# and, when the data and the call's parameters are given, checks of those
# (a misspelt column gets its closest match).
tool_suggest_fix <- function(args) {
  message <- args$error_message
  if (!is.character(message) || length(message) != 1L || is.na(message) || !nzchar(trimws(message))) {
    rmcp_stop("error_message", "is required", "pass the error text you got")
  }
  tool <- rmcp_string_arg(args$tool_name, "tool_name")
  text <- substr(message, 1L, 5000L)
  lower <- tolower(text)
  data <- rmcp_plain_table(args$data)
  parameters <- if (is.list(args$parameters)) args$parameters else list()

  first <- function(pattern) {
    m <- regmatches(text, regexec(pattern, text, perl = TRUE))[[1L]]
    if (length(m) >= 2L) m[[2L]] else NA_character_
  }
  quoted <- "['\u2018\u2019\"`]([^'\u2018\u2019\"`]+)['\u2018\u2019\"`]"
  has <- function(pattern) grepl(pattern, lower, perl = TRUE)

  suggestions <- character(0)
  quick <- character(0)
  steps <- character(0)
  links <- character(0)
  data_suggestions <- character(0)

  package <- first(paste0("(?i)there is no package called ", quoted))
  if (is.na(package)) package <- first(paste0("(?i)R package ", quoted, " is not installed"))
  if (is.na(package)) package <- first(paste0("(?i)(?:namespace|package) ", quoted, " (?:is not available|not found)"))
  if (is.na(package)) package <- first(paste0("(?i)loadNamespace.*?", quoted))

  if (!is.na(package)) {
    type <- "missing_package"
    # The install command goes in `suggestions` too: it is the field the
    # reference's clients read.
    suggestions <- c(suggestions, sprintf("the R package '%s' is not installed on the server", package),
                     sprintf("install it with install.packages(\"%s\") (a server administrator may need to), then retry the call",
                             package))
    quick <- c(quick, sprintf("install.packages(\"%s\")", package),
               sprintf("sudo apt-get install r-cran-%s (Debian/Ubuntu build of the CRAN package)", tolower(package)))
    steps <- c(steps, sprintf("install '%s'", package), "retry the same call",
               "if you cannot install packages, use a catalog tool that does the same analysis")
    links <- c(links, sprintf("https://cran.r-project.org/package=%s", package))
  } else if (has("object '[^']+' not found|not found in data|undefined columns selected|variables? not found|column[s]? .* not found|unknown column|no column named")) {
    type <- "missing_variable"
    missing <- first(paste0("(?i)object ", quoted, " not found"))
    if (is.na(missing)) missing <- first(paste0("(?i)(?:column|variable)s? ", quoted))
    suggestions <- c(suggestions, "a name in the call does not match any column of the data",
                     "column names are case-sensitive and must match exactly (spaces, dots and underscores included)")
    if (!is.na(missing)) suggestions <- c(suggestions, sprintf("'%s' is the name that was not found", missing))
    if (!is.null(data) && !is.na(missing)) {
      near <- rmcp_closest_name(missing, names(data))
      if (!is.na(near)) quick <- c(quick, sprintf("use '%s' instead of '%s'", near, missing))
    }
    steps <- c(steps, "list the columns with data_info", "correct the name and retry")
    links <- c(links, "https://stat.ethz.ch/R-manual/R-devel/library/base/html/names.html")
  } else if (has("formula|unexpected (symbol|numeric constant|string constant|'[^']*')|invalid model|invalid term|~")) {
    type <- "formula_syntax"
    suggestions <- c(suggestions, "the model formula is not valid R formula syntax",
                     "write it as 'response ~ predictor1 + predictor2'; use * for interactions, I(x^2) for powers",
                     "column names with spaces or symbols must be renamed first")
    quick <- c(quick, "check it with validate_formula before fitting", "build one from a description with build_formula")
    steps <- c(steps, "validate the formula against the data", "fix the reported problem and retry")
    links <- c(links, "https://stat.ethz.ch/R-manual/R-devel/library/stats/html/formula.html")
  } else if (has("cannot open|no such file|does not exist|file not found|file access denied|outside the readable|not allowed to write|cannot find the file")) {
    type <- "file_not_found"
    suggestions <- c(suggestions, "the file could not be opened",
                     "paths are relative to the server's working folder and must stay inside its readable folders",
                     "writing needs a folder the server allows writes to")
    quick <- c(quick, "list the readable folders with resources/list (file:// resources)",
               "use a relative path such as data/sales.csv")
    steps <- c(steps, "check the spelling and the extension", "read the folder listing resource", "retry with the corrected path")
    links <- c(links, "https://stat.ethz.ch/R-manual/R-devel/library/utils/html/read.table.html")
  } else if (has("cannot allocate|vector memory|memory exhausted|too large|reached elapsed time|time limit")) {
    type <- "memory_size"
    suggestions <- c(suggestions, "the computation needs more memory or time than the server allows",
                     "use fewer rows (a sample), fewer columns or a simpler model")
    quick <- c(quick, "filter_data to a subset first", "drop unused columns")
    steps <- c(steps, "reduce the data", "retry", "ask the administrator to raise R_MAX_VSIZE or RMCP_R_TIMEOUT if needed")
    links <- c(links, "https://stat.ethz.ch/R-manual/R-devel/library/base/html/Memory.html")
  } else if (has("missing value|na/nan/inf|nas? (are )?not allowed|na\\.fail|incomplete cases|complete cases|non-missing|missing values")) {
    type <- "missing_values"
    suggestions <- c(suggestions, "missing values (NA/null) stopped the computation",
                     "drop rows with missing values, or impute them first")
    quick <- c(quick, "filter_data with {\"variable\": \"<column>\", \"operator\": \"!=\", \"value\": null}",
               "for models, na_action = \"na.omit\" drops incomplete rows")
    steps <- c(steps, "count missing values per column with data_info", "remove or fill them", "retry")
    links <- c(links, "https://stat.ethz.ch/R-manual/R-devel/library/stats/html/na.fail.html")
  } else if (has("non-numeric|must be numeric|not numeric|invalid 'type'|nas introduced by coercion|contrasts can be applied|is not a factor|argument is not numeric|holds text|true/false")) {
    type <- "data_type"
    suggestions <- c(suggestions, "a column has the wrong type for this analysis (e.g. text where numbers are needed)",
                     "send numbers as JSON numbers, not strings; a categorical predictor needs at least 2 distinct values")
    quick <- c(quick, "check column types with data_info", "wrap a categorical numeric column in factor() inside the formula")
    steps <- c(steps, "find the column with the wrong type", "convert or replace it", "retry")
    links <- c(links, "https://stat.ethz.ch/R-manual/R-devel/library/base/html/numeric.html")
  } else {
    type <- "general"
    suggestions <- c(suggestions, "read the message for the argument it names (before the colon) and the fix (after the semicolon)",
                     "check the tool's input schema in tools/list")
    quick <- c(quick, "validate the data with validate_data")
    steps <- c(steps, "simplify the call to the required arguments", "add options back one at a time")
    links <- c(links, "https://stat.ethz.ch/R-manual/R-devel/doc/manual/R-intro.html")
  }

  if (!is.null(tool)) {
    advice <- switch(tool,
      linear_model = , logistic_regression = , anova = , regression_plot = , panel_regression = ,
      instrumental_variables = "models: every variable in the formula must be a column; the response must vary",
      read_csv = "read_csv: check sep (\",\", \";\", \"\\t\"), header and that the path is relative to the working folder",
      read_excel = "read_excel: pass sheet_name exactly as in the workbook; only .xlsx and .xls files",
      read_json = "read_json: the file must be an array of records or an object of equal-length columns",
      write_csv = , write_excel = , write_json = "writing needs a folder the server allows writes to (approve_operation grants one)",
      arima_model = , decompose_timeseries = , stationarity_test = "time series: pass {\"values\": [...]} without gaps; decomposition needs two full cycles",
      t_test = "t_test: group must have exactly two distinct values",
      chi_square_test = "chi_square_test: x and y must be categorical columns; expected counts should be at least 5",
      NULL)
    if (!is.null(advice)) suggestions <- c(suggestions, advice)
  }

  if (!is.null(data)) {
    n <- nrow(data)
    miss <- vapply(data, function(x) sum(is.na(x)), 0L)
    if (any(miss > 0)) {
      data_suggestions <- c(data_suggestions, sprintf("missing values in %s", rmcp_quote(names(data)[miss > 0])))
    }
    text_numbers <- names(data)[vapply(data, function(x) is.character(x) && !is.null(rmcp_as_numeric(x)), NA)]
    if (length(text_numbers)) {
      data_suggestions <- c(data_suggestions, sprintf("%s hold numbers as text; send them as JSON numbers",
                                                      rmcp_quote(text_numbers)))
    }
    constant <- names(data)[vapply(data, function(x) length(unique(x[!is.na(x)])) == 1L, NA)]
    if (length(constant)) {
      data_suggestions <- c(data_suggestions, sprintf("constant columns %s cannot be used as predictors or responses",
                                                      rmcp_quote(constant)))
    }
    if (n < 10L) data_suggestions <- c(data_suggestions, sprintf("only %d rows: most models need more", n))
    named <- rmcp_fix_parameter_names(parameters)
    unknown <- setdiff(named, names(data))
    for (name in unknown) {
      near <- rmcp_closest_name(name, names(data))
      data_suggestions <- c(data_suggestions, if (is.na(near))
        sprintf("parameter value '%s' is not a column; %s", name, rmcp_available(data))
      else sprintf("'%s' is not a column; did you mean '%s'?", name, near))
    }
  }

  result <- list(error_type = type, suggestions = I(unique(suggestions)),
                 data_suggestions = I(unique(data_suggestions)), next_steps = I(steps),
                 documentation_links = I(links), quick_fixes = I(unique(quick)))
  bullet <- function(title, items) if (length(items)) paste0("\n\n**", title, ":**\n", paste0("- ", items, collapse = "\n")) else ""
  result[["_formatting"]] <- paste0(sprintf("**Diagnosis:** %s", gsub("_", " ", type)),
                                    bullet("Suggestions", unique(suggestions)),
                                    bullet("Quick fixes", unique(quick)),
                                    bullet("About the data", unique(data_suggestions)),
                                    bullet("Next steps", steps))
  result
}

# Column names a call's parameters mention: the usual column arguments and
# the variables of a formula (parsed, never evaluated).
rmcp_fix_parameter_names <- function(parameters) {
  names <- character(0)
  for (key in c("x", "y", "variable", "group", "variables", "entity_id", "time_id", "response", "target")) {
    value <- parameters[[key]]
    if (is.character(value)) names <- c(names, value)
  }
  formula <- parameters$formula
  if (is.character(formula) && length(formula) == 1L) {
    parsed <- tryCatch(parse(text = formula, keep.source = FALSE), error = function(e) NULL)
    if (length(parsed) == 1L) names <- c(names, setdiff(all.vars(parsed[[1L]]), "."))
  }
  unique(names[!is.na(names) & nzchar(names)])
}
