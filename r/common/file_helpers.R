# Helpers shared by the file tools (fileops), the helpers and the
# formula_builder tools: the vetted paths the server hands over, table
# summaries (types, missing values, a sample), the reading/writing tails
# every file tool shares, and small text utilities.
#
# Paths: R never resolves a path a client sent. The server checks
# `file_path` against its sandbox first and passes only a private staged
# copy (`args$.path`, for reads) or a private staging file (`args$.output_path`,
# for writes, moved into place by the server after the tool succeeds), plus
# `args$.file_info` (size and modification time of the original). Messages
# therefore name `file_path` as the caller wrote it and never a real path.

if (!exists("%||%", envir = environment(), inherits = FALSE)) {
  `%||%` <- function(a, b) if (is.null(a)) b else a
}

# ---------------------------------------------------------------------------
# Paths and file facts
# ---------------------------------------------------------------------------

# The staged copy to read; the server always provides it for file tools.
rmcp_input_path <- function(args) {
  path <- args$.path
  if (!is.character(path) || length(path) != 1L || is.na(path) || !nzchar(path)) {
    rmcp_stop("file_path", "the server did not provide a checked file",
              "call this tool through the server, which checks the path first")
  }
  path
}

# The staging file to write; the server always provides it for write tools.
rmcp_output_path <- function(args) {
  path <- args$.output_path
  if (!is.character(path) || length(path) != 1L || is.na(path) || !nzchar(path)) {
    rmcp_stop("file_path", "the server did not provide a checked destination",
              "call this tool through the server, which checks the path first")
  }
  path
}

# Size in bytes and modification time (ISO 8601, UTC) of the original file.
rmcp_file_facts <- function(args, path = NULL) {
  info <- args$.file_info
  size <- info$size_bytes %||% (if (!is.null(path)) file.size(path) else NA_real_)
  list(size = as.numeric(size), modified = info$modified %||% NA_character_)
}

# The current time as ISO 8601 UTC.
rmcp_timestamp <- function() format(Sys.time(), "%Y-%m-%dT%H:%M:%SZ", tz = "UTC")

# Lower-case file extension of the path the caller gave ("" when none).
rmcp_extension <- function(path) {
  ext <- tolower(tools::file_ext(path %||% ""))
  if (length(ext) != 1L || is.na(ext)) "" else ext
}

# Removes `secret` (a private path) from an R message, so errors from
# readers never show where the server keeps its files.
rmcp_scrub <- function(message, secret) {
  message <- gsub("[\r\n]+ *", " ", trimws(message))
  for (s in secret) if (is.character(s) && length(s) == 1L && nzchar(s)) {
    message <- gsub(s, "<file>", message, fixed = TRUE)
    message <- gsub(basename(s), "<file>", message, fixed = TRUE)
  }
  message
}

# Evaluate a reader/writer call; its R error becomes "file_path: <problem>;
# <fix>" with any private path removed.
rmcp_file_try <- function(expr, problem, fix, secret, arg = "file_path") {
  tryCatch(expr, error = function(e) {
    if (inherits(e, "rmcp_error")) stop(e)
    detail <- rmcp_scrub(conditionMessage(e), secret)
    detail <- sub("^Error[^:]*: *", "", detail)
    if (nchar(detail) > 300L) detail <- paste0(substr(detail, 1L, 300L), "...")
    rmcp_stop(arg, sprintf("%s (%s)", problem, detail), fix)
  })
}

# TRUE when the first bytes of a file hold a NUL (binary data, not text).
rmcp_is_binary <- function(path, n = 65536L) {
  bytes <- readBin(path, "raw", n = n)
  any(bytes == as.raw(0L))
}

# ---------------------------------------------------------------------------
# Arguments shared by the file tools
# ---------------------------------------------------------------------------

# A non-negative whole number (rows to skip), default 0.
rmcp_count_arg <- function(value, arg, default = 0L, lower = 0L) {
  rmcp_number(value, arg, default, lower = lower, upper = .Machine$integer.max, integer = TRUE)
}

# na_strings: character vector, default c("", "NA", "NULL").
rmcp_na_strings <- function(value, arg = "na_strings") {
  if (is.null(value)) return(c("", "NA", "NULL"))
  if (length(value) == 0L) return(character(0))
  if (!is.character(value) || anyNA(value)) {
    rmcp_stop(arg, "must be a list of strings", "pass e.g. [\"\", \"NA\", \"NULL\"]")
  }
  value
}

# A single string, or `default` when absent.
rmcp_string_arg <- function(value, arg, default = NULL, allow_empty = FALSE) {
  if (is.null(value)) return(default)
  if (!is.character(value) || length(value) != 1L || is.na(value) ||
      (!allow_empty && !nzchar(value))) {
    rmcp_stop(arg, "must be a non-empty string", "pass one string")
  }
  value
}

# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------

# An optional `data` argument that is a plain object (not marked as a
# table) as a data.frame, or NULL when it is not a usable table.
rmcp_plain_table <- function(data) {
  if (is.null(data) || !is.list(data) || !length(data) || is.null(names(data))) return(NULL)
  if (is.data.frame(data)) return(data)
  cols <- lapply(data, function(col) {
    if (is.list(col)) unlist(lapply(col, function(v) if (is.null(v)) NA else v)) else col
  })
  lengths <- vapply(cols, length, 0L)
  if (!all(vapply(cols, is.atomic, NA)) || length(unique(lengths)) != 1L || lengths[[1L]] == 0L) return(NULL)
  as.data.frame(cols, stringsAsFactors = FALSE, optional = TRUE)
}

# Strings that are not valid UTF-8 read as Latin-1 (the usual encoding of
# files that are not UTF-8) and converted.
rmcp_utf8 <- function(x) {
  bad <- !is.na(x) & !validUTF8(x)
  if (any(bad)) x[bad] <- iconv(x[bad], "latin1", "UTF-8")
  x
}

# Plain column names: unique, none empty (a JSON object needs distinct keys).
rmcp_clean_names <- function(names) {
  names <- as.character(names)
  names[is.na(names)] <- ""
  names <- sub("^\ufeff", "", names)
  names <- sub("^\u00ef\u00bb\u00bf", "", names)
  names <- trimws(names)
  empty <- !nzchar(names)
  names[empty] <- paste0("column_", which(empty))
  make.unique(names, sep = "_")
}

# One short class name per column: numeric, integer, character, logical,
# factor, Date, POSIXct, or the column's first class.
rmcp_column_class <- function(x) {
  if (inherits(x, "Date")) return("Date")
  if (inherits(x, "POSIXt")) return("POSIXct")
  if (is.factor(x)) return("factor")
  if (is.integer(x)) return("integer")
  if (is.numeric(x)) return("numeric")
  if (is.logical(x)) return("logical")
  if (is.character(x)) return("character")
  class(x)[[1L]]
}

rmcp_column_types <- function(data) {
  out <- lapply(data, rmcp_column_class)
  names(out) <- names(data)
  if (!length(out)) return(structure(list(), names = character(0)))
  out
}

# Missing values per column, as an object of counts.
rmcp_missing_counts <- function(data) {
  out <- lapply(data, function(x) sum(is.na(x)))
  names(out) <- names(data)
  if (!length(out)) return(structure(list(), names = character(0)))
  out
}

# The first `n` rows, column-wise (every column an array).
rmcp_sample_rows <- function(data, n = 5L) {
  head <- data[seq_len(min(n, nrow(data))), , drop = FALSE]
  out <- lapply(head, function(col) {
    if (is.factor(col)) col <- as.character(col)
    I(col)
  })
  names(out) <- names(data)
  if (!length(out)) return(structure(list(), names = character(0)))
  out
}

# The `summary` block every reader returns.
rmcp_read_summary <- function(data) {
  list(rows_read = nrow(data), columns_read = ncol(data),
       column_types = rmcp_column_types(data),
       missing_values = rmcp_missing_counts(data),
       sample_data = rmcp_sample_rows(data, 5L))
}

# A table as the `data` field of a result: every column an array, factors
# as labels, dates as ISO strings; logical columns stay true/false.
rmcp_data_out <- function(data) {
  out <- lapply(data, function(col) {
    if (is.factor(col)) col <- as.character(col)
    I(col)
  })
  names(out) <- names(data)
  if (!length(out)) return(structure(list(), names = character(0)))
  out
}

# Names of columns of each kind.
rmcp_names_where <- function(data, test) {
  I(names(data)[vapply(data, test, NA)])
}

# Character columns whose every value is an ISO-8601 date (YYYY-MM-DD).
rmcp_is_iso_date <- function(x) {
  if (!is.character(x)) return(FALSE)
  v <- x[!is.na(x)]
  length(v) > 0L && all(grepl("^[0-9]{4}-[0-9]{2}-[0-9]{2}$", v)) &&
    !anyNA(as.Date(v, format = "%Y-%m-%d"))
}

# Markdown preview of the first rows of a table.
rmcp_md_preview <- function(data, n = 5L) {
  if (ncol(data) == 0L) return("")
  shown <- data[seq_len(min(n, nrow(data))), seq_len(min(8L, ncol(data))), drop = FALSE]
  cols <- lapply(shown, function(col) {
    txt <- if (is.numeric(col)) rmcp_fmt(col, 6L) else as.character(col)
    txt[is.na(col)] <- "NA"
    txt <- gsub("|", "\\|", txt, fixed = TRUE)
    substr(txt, 1L, 40L)
  })
  if (nrow(shown) == 0L) return("")
  header <- gsub("|", "\\|", names(shown), fixed = TRUE)
  out <- rmcp_md_table(header, cols)
  if (ncol(data) > ncol(shown)) out <- paste0(out, sprintf("\n\n(%d more columns)", ncol(data) - ncol(shown)))
  out
}

# The markdown summary of a reader.
rmcp_read_md <- function(kind, file_path, data, extra = NULL) {
  missing <- sum(vapply(data, function(x) sum(is.na(x)), 0))
  paste0(sprintf("**%s** `%s`: %d rows \u00d7 %d columns", kind, file_path, nrow(data), ncol(data)),
         if (missing) sprintf(", %d missing values", missing) else "",
         if (!is.null(extra)) paste0(" ", extra) else "",
         "\n\n", rmcp_md_preview(data))
}

# The result every writer returns, plus its markdown.
rmcp_write_result <- function(args, data, out_path, extra = list(), kind = "file") {
  size <- file.size(out_path)
  result <- c(list(file_path = args$file_path, rows_written = nrow(data),
                   cols_written = ncol(data)),
              extra,
              list(file_size_bytes = as.numeric(size), success = TRUE,
                   timestamp = rmcp_timestamp()))
  result[["_formatting"]] <- sprintf("**Wrote %s** `%s`: %d rows \u00d7 %d columns, %s bytes",
                                     kind, args$file_path, nrow(data), ncol(data),
                                     format(size, big.mark = ","))
  result
}

# ---------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------

# Normalised spelling of a name for fuzzy matching: lower case, letters and
# digits only.
rmcp_name_key <- function(x) gsub("[^a-z0-9]", "", tolower(x))

# The column of `choices` closest to `name` (exact up to case and
# separators, then approximate), or NA.
rmcp_closest_name <- function(name, choices) {
  if (!length(choices)) return(NA_character_)
  keys <- rmcp_name_key(choices)
  key <- rmcp_name_key(name)
  hit <- which(keys == key)
  if (length(hit)) return(choices[[hit[[1L]]]])
  if (!nzchar(key)) return(NA_character_)
  d <- utils::adist(key, keys)[1L, ]
  best <- which.min(d)
  limit <- max(1L, floor(nchar(key) / 3))
  if (length(best) && d[[best]] <= limit) choices[[best]] else NA_character_
}

# ---------------------------------------------------------------------------
# Formulas as text (validate_formula, build_formula)
# ---------------------------------------------------------------------------

# Checks a formula string against a table without evaluating anything: R's
# parser gives the tree, all.vars() its variables, and the tree walk finds
# function calls the model tools would refuse. Returns the fields of
# validate_formula's result (is_valid, formula_parsed, missing/existing/
# available variables, their types, warnings, error, suggestions).
rmcp_formula_report <- function(text, data, type = "regression") {
  available <- names(data)
  report <- list(is_valid = FALSE, formula_parsed = FALSE,
                 missing_variables = I(character(0)), existing_variables = I(character(0)),
                 available_variables = I(available),
                 variable_types = structure(list(), names = character(0)),
                 warnings = I(character(0)), suggestions = I(character(0)))
  fail <- function(error, suggestions = character(0)) {
    report$error <- error
    report$suggestions <- I(c(suggestions, "write it as 'response ~ predictor1 + predictor2'"))
    report
  }
  if (nchar(text) > 2000L) return(fail("the formula is longer than 2000 characters"))
  parsed <- tryCatch(parse(text = text, keep.source = FALSE), error = function(e) e)
  if (inherits(parsed, "error")) {
    detail <- sub("^<text>:[0-9]+:[0-9]+: *", "", gsub("[\r\n]+ *", " ", conditionMessage(parsed)))
    detail <- sub(" [0-9]+: .*$", "", detail)
    return(fail(sprintf("R cannot parse it: %s", detail),
                "check for unbalanced parentheses and stray symbols"))
  }
  if (length(parsed) != 1L || !is.call(parsed[[1L]]) ||
      !identical(parsed[[1L]][[1L]], as.name("~"))) {
    return(fail("it is not a model formula (it needs a '~')"))
  }
  expr <- parsed[[1L]]
  report$formula_parsed <- TRUE
  two_sided <- length(expr) == 3L
  problems <- character(0)
  warnings <- character(0)
  suggestions <- character(0)
  if (!two_sided && type != "correlation") {
    problems <- c(problems, "it has no response variable on the left of '~'")
  }
  if (grepl("[^A-Za-z0-9_.[:space:]~+*/:^(),|-]", text) || grepl("::", text, fixed = TRUE)) {
    problems <- c(problems, "it uses characters the model tools do not accept (only names, numbers and + - * / : ^ | ( ) , ~)")
  }
  calls <- character(0)
  walk <- function(node) {
    if (is.call(node)) {
      head <- node[[1L]]
      if (is.name(head)) calls <<- c(calls, as.character(head))
      else calls <<- c(calls, "<complex call>")
      for (child in as.list(node)[-1L]) walk(child)
    }
  }
  walk(expr)
  refused <- setdiff(unique(calls), c(rmcp_formula_operators, rmcp_formula_functions, "-"))
  if (length(refused)) {
    problems <- c(problems, sprintf("it calls %s, which the model tools do not allow",
                                    rmcp_quote(refused)))
    suggestions <- c(suggestions, sprintf("allowed functions: %s",
                                          paste(rmcp_formula_functions, collapse = ", ")))
  }
  vars <- all.vars(expr)
  dot <- "." %in% vars
  vars <- setdiff(vars, ".")
  missing <- vars[!(vars %in% available)]
  existing <- vars[vars %in% available]
  report$missing_variables <- I(missing)
  report$existing_variables <- I(if (dot) unique(c(existing, available)) else existing)
  types <- lapply(existing, function(v) rmcp_column_class(data[[v]]))
  names(types) <- existing
  if (length(types)) report$variable_types <- types
  if (length(missing)) {
    problems <- c(problems, sprintf("%s %s not in the data", rmcp_quote(missing),
                                    if (length(missing) == 1L) "is" else "are"))
    for (v in missing) {
      near <- rmcp_closest_name(v, available)
      suggestions <- c(suggestions, if (is.na(near)) sprintf("'%s' matches no column; %s", v, rmcp_available(data))
                                    else sprintf("did you mean '%s' instead of '%s'?", near, v))
    }
  }
  response <- if (two_sided) all.vars(expr[[2L]]) else character(0)
  predictors <- setdiff(if (two_sided) all.vars(expr[[3L]]) else all.vars(expr), c(response, "."))
  is_text <- function(v) v %in% existing && (is.character(data[[v]]) || is.factor(data[[v]]))
  is_num <- function(v) v %in% existing && is.numeric(data[[v]])
  for (v in intersect(c(response, predictors), existing)) {
    x <- data[[v]][!is.na(data[[v]])]
    if (length(unique(x)) <= 1L) warnings <- c(warnings, sprintf("'%s' is constant", v))
  }
  if (type == "regression") {
    for (v in response) if (is_text(v)) {
      problems <- c(problems, sprintf("the response '%s' holds text, not numbers", v))
      suggestions <- c(suggestions, "for a yes/no or 0/1 outcome use logistic_regression")
    }
    text_predictors <- Filter(is_text, predictors)
    if (length(text_predictors)) {
      warnings <- c(warnings, sprintf("%s %s treated as categorical (one coefficient per level)",
                                      rmcp_quote(text_predictors),
                                      if (length(text_predictors) == 1L) "is" else "are"))
    }
  } else if (type == "anova") {
    for (v in response) if (!is_num(v) && v %in% existing) {
      problems <- c(problems, sprintf("the response '%s' must be numeric for ANOVA", v))
    }
    numeric_groups <- Filter(is_num, predictors)
    if (length(numeric_groups)) {
      warnings <- c(warnings, sprintf("%s %s numeric, so ANOVA treats %s as continuous",
                                      rmcp_quote(numeric_groups),
                                      if (length(numeric_groups) == 1L) "is" else "are",
                                      if (length(numeric_groups) == 1L) "it" else "them"))
      suggestions <- c(suggestions, sprintf("wrap grouping columns in factor(), e.g. factor(%s)", numeric_groups[[1L]]))
    }
  } else if (type == "correlation") {
    not_numeric <- Filter(function(v) v %in% existing && !is.numeric(data[[v]]), c(response, predictors))
    if (length(not_numeric)) {
      problems <- c(problems, sprintf("correlation needs numeric columns, but %s %s not",
                                      rmcp_quote(not_numeric), if (length(not_numeric) == 1L) "is" else "are"))
    }
  }
  report$warnings <- I(warnings)
  report$is_valid <- length(problems) == 0L
  if (!report$is_valid) {
    report$error <- paste(problems, collapse = "; ")
  } else {
    suggestions <- c(suggestions, "the formula is ready to use")
  }
  report$suggestions <- I(unique(suggestions))
  report
}

# ---------------------------------------------------------------------------
# The environment report (resource rmcp://env)
# ---------------------------------------------------------------------------

# What an analyst needs to know about the R behind the server: version,
# platform, loaded and key packages with their versions. No paths, no
# environment variables, no user or host names.
rmcp_environment_report <- function(args = list()) {
  version_of <- function(pkg) {
    v <- tryCatch(as.character(utils::packageVersion(pkg)), error = function(e) NA_character_)
    v
  }
  loaded <- sort(loadedNamespaces())
  loaded_versions <- lapply(loaded, version_of)
  names(loaded_versions) <- loaded
  key <- c("ggplot2", "readxl", "openxlsx", "jsonlite", "forecast", "plm", "AER", "tseries",
           "randomForest", "rpart", "car", "nortest", "lmtest", "sandwich", "dplyr")
  available <- lapply(key, function(pkg) {
    installed <- nzchar(system.file(package = pkg))
    list(installed = installed, version = if (installed) version_of(pkg) else NA_character_)
  })
  names(available) <- key
  info <- Sys.info()
  list(
    r = list(version = paste(R.version$major, R.version$minor, sep = "."),
             version_string = R.version.string,
             nickname = R.version$nickname,
             platform = R.version$platform,
             os = unname(info[["sysname"]]),
             arch = R.version$arch,
             blas = if (is.function(get0("La_library", baseenv()))) basename(La_library()) else NA_character_,
             capabilities = as.list(capabilities()[c("png", "cairo", "jpeg", "long.double")])),
    packages = list(loaded = loaded_versions, catalog = available,
                    installed_count = nrow(utils::installed.packages(fields = character(0)))))
}
