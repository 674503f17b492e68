# filter_data: keeps the rows of a table that meet structured conditions
# ({variable, operator, value}), combined with AND or OR. Conditions are
# data, never code: values are compared literally, as numbers against
# numeric columns, as text against text columns, as true/false against
# logical columns.
#
# Missing values: a comparison never matches a missing cell, except that
# `== null` selects missing cells and `!= null` non-missing ones; in an
# %in% / !%in% list, null stands for "missing".
tool_filter_data <- function(args) {
  data <- rmcp_table(args$data)
  conditions <- args$conditions
  if (is.null(conditions) || !length(conditions)) {
    rmcp_stop("conditions", "needs at least one condition",
              "pass e.g. [{\"variable\": \"age\", \"operator\": \">\", \"value\": 30}]")
  }
  if (is.list(conditions) && !is.null(names(conditions))) conditions <- list(conditions)
  logic <- rmcp_enum(args$logic, c("AND", "OR"), "logic")
  n <- nrow(data)
  keep <- rep(logic == "AND", n)
  described <- character(0)
  for (i in seq_along(conditions)) {
    cond <- conditions[[i]]
    arg <- sprintf("conditions[%d]", i - 1L)
    if (!is.list(cond) || is.null(names(cond))) {
      rmcp_stop(arg, "must be an object", "pass {\"variable\": ..., \"operator\": ..., \"value\": ...}")
    }
    test <- rmcp_filter_condition(data, cond, arg)
    keep <- if (logic == "AND") keep & test$match else keep | test$match
    described <- c(described, test$text)
  }
  out <- data[keep, , drop = FALSE]
  rownames(out) <- NULL
  kept <- nrow(out)
  expression <- paste(described, collapse = if (logic == "AND") " & " else " | ")
  result <- list(
    data = rmcp_data_out(out),
    filter_expression = expression,
    original_rows = n,
    filtered_rows = kept,
    rows_removed = n - kept,
    removal_percentage = if (n) 100 * (n - kept) / n else 0)
  result[["_formatting"]] <- paste0(
    sprintf("**Filter** `%s`: kept %d of %d rows (%s%% removed)", expression, kept, n,
            format(round(result$removal_percentage, 1))),
    if (kept) paste0("\n\n", rmcp_md_preview(out)) else "")
  result
}

# One condition: a logical vector over the rows (never NA) and its text.
rmcp_filter_condition <- function(data, cond, arg) {
  extra <- setdiff(names(cond), c("variable", "operator", "value"))
  if (length(extra)) {
    rmcp_stop(arg, sprintf("has unknown field %s", rmcp_quote(extra)),
              "use only variable, operator and value")
  }
  variable <- cond$variable
  if (!is.character(variable) || length(variable) != 1L || is.na(variable)) {
    rmcp_stop(paste0(arg, ".variable"), "must be a column name", "pass the name of a column")
  }
  if (!(variable %in% names(data))) {
    rmcp_stop(paste0(arg, ".variable"), sprintf("column '%s' not found in data", variable),
              rmcp_available(data))
  }
  operators <- c("==", "!=", ">", "<", ">=", "<=", "%in%", "!%in%")
  op <- cond$operator
  if (!is.character(op) || length(op) != 1L || !(op %in% operators)) {
    rmcp_stop(paste0(arg, ".operator"), "is not a known operator",
              sprintf("use one of %s", rmcp_quote(operators)))
  }
  if (!("value" %in% names(cond))) {
    rmcp_stop(paste0(arg, ".value"), "is required", "pass the value to compare with")
  }
  value <- cond$value
  column <- data[[variable]]
  if (is.factor(column)) column <- as.character(column)
  label <- if (make.names(variable) == variable) variable else paste0("`", variable, "`")
  varg <- paste0(arg, ".value")
  if (op %in% c("%in%", "!%in%")) {
    if (is.list(value)) {
      if (!all(vapply(value, function(v) is.null(v) || (is.atomic(v) && length(v) == 1L), NA))) {
        rmcp_stop(varg, "must be a list of plain values", "pass e.g. [\"a\", \"b\", null]")
      }
      value <- lapply(value, function(v) if (is.null(v)) NA else v)
    } else {
      value <- as.list(value)
    }
    if (!length(value)) {
      rmcp_stop(varg, sprintf("%s needs a non-empty list", op), "pass e.g. [\"a\", \"b\"]")
    }
    is_na <- vapply(value, function(v) is.na(v), NA)
    values <- rmcp_filter_coerce(value[!is_na], column, variable, varg)
    match <- (column %in% values & !is.na(column)) | (any(is_na) & is.na(column))
    if (op == "!%in%") match <- !match
    shown <- c(vapply(value[!is_na], rmcp_filter_literal, ""), if (any(is_na)) "NA")
    text <- sprintf("%s%s %%in%% c(%s)", if (op == "!%in%") "!" else "", label,
                    paste(shown, collapse = ", "))
    return(list(match = match, text = text))
  }
  if (is.null(value) || (is.atomic(value) && length(value) == 1L && is.na(value))) {
    if (!(op %in% c("==", "!="))) {
      rmcp_stop(varg, sprintf("null cannot be compared with %s", op),
                "pass a number or text, or use == null / != null to select missing values")
    }
    match <- if (op == "==") is.na(column) else !is.na(column)
    return(list(match = match,
                text = sprintf("%sis.na(%s)", if (op == "!=") "!" else "", label)))
  }
  if (is.list(value) || length(value) != 1L) {
    rmcp_stop(varg, sprintf("%s needs a single value", op),
              "pass one number, text or true/false (use %in% for a list)")
  }
  target <- rmcp_filter_coerce(list(value), column, variable, varg)
  if (op %in% c(">", "<", ">=", "<=") && is.logical(column)) {
    rmcp_stop(varg, sprintf("column '%s' holds true/false values, which have no order", variable),
              "use == or != with true or false")
  }
  compare <- switch(op, "==" = `==`, "!=" = `!=`, ">" = `>`, "<" = `<`, ">=" = `>=`, "<=" = `<=`)
  match <- compare(column, target)
  match[is.na(match)] <- FALSE
  list(match = match, text = sprintf("%s %s %s", label, op, rmcp_filter_literal(value)))
}

# Values from a condition converted to the column's type; a value that
# cannot be (text against a numeric column) stops naming the condition.
rmcp_filter_coerce <- function(values, column, variable, arg) {
  if (!length(values)) return(column[0L])
  if (is.numeric(column)) {
    out <- vapply(values, function(v) {
      if (is.logical(v)) return(as.numeric(v))
      num <- suppressWarnings(as.numeric(v))
      if (is.na(num)) {
        rmcp_stop(arg, sprintf("'%s' is not a number, but column '%s' is numeric", as.character(v), variable),
                  "pass a number")
      }
      num
    }, 0)
    return(out)
  }
  if (is.logical(column) && !all(is.na(column))) {
    out <- vapply(values, function(v) {
      if (is.logical(v)) return(v)
      if (is.character(v) && tolower(v) %in% c("true", "false")) return(tolower(v) == "true")
      if (is.numeric(v) && v %in% c(0, 1)) return(v == 1)
      rmcp_stop(arg, sprintf("'%s' is not true or false, but column '%s' holds true/false values",
                             as.character(v), variable), "pass true or false")
    }, NA)
    return(out)
  }
  vapply(values, function(v) {
    if (is.numeric(v)) format(v, digits = 15L, scientific = FALSE, trim = TRUE)
    else if (is.logical(v)) if (v) "TRUE" else "FALSE"
    else as.character(v)
  }, "")
}

# A value as it appears in filter_expression (a description, never run).
rmcp_filter_literal <- function(v) {
  if (is.character(v)) return(encodeString(v, quote = "\""))
  if (is.logical(v)) return(if (is.na(v)) "NA" else if (v) "TRUE" else "FALSE")
  format(v, digits = 15L)
}
