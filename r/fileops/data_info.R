# data_info: the structure of a table: dimensions, the columns of each kind
# (ISO-8601 date strings count as dates), each column's type, missing values
# per column, complete rows, memory used and, optionally, the first rows.
tool_data_info <- function(args) {
  data <- rmcp_table(args$data)
  include_sample <- rmcp_flag(args$include_sample, "include_sample", TRUE)
  sample_size <- rmcp_number(args$sample_size, "sample_size", 5L, lower = 1, upper = 100,
                             integer = TRUE)
  is_date <- vapply(data, function(x) inherits(x, c("Date", "POSIXt")) || rmcp_is_iso_date(x), NA)
  types <- rmcp_column_types(data)
  if (any(is_date)) types[is_date] <- "Date"
  counts <- vapply(data, function(x) sum(is.na(x)), 0L)
  n <- nrow(data)
  percentages <- as.list(round(100 * counts / n, 2))
  names(percentages) <- names(data)
  pick <- function(test) I(names(data)[vapply(data, test, NA) & !is_date])
  result <- list(
    dimensions = list(rows = n, columns = ncol(data)),
    variables = list(
      all = I(names(data)),
      numeric = pick(is.numeric),
      character = pick(is.character),
      factor = pick(is.factor),
      logical = pick(is.logical),
      date = I(names(data)[is_date])),
    variable_types = types,
    missing_values = list(counts = as.list(stats::setNames(counts, names(data))),
                          percentages = percentages,
                          total_missing = sum(counts),
                          complete_cases = sum(stats::complete.cases(data))),
    memory_usage_bytes = as.numeric(utils::object.size(data)))
  if (include_sample) result$sample_data <- rmcp_sample_rows(data, sample_size)
  lines <- vapply(names(data), function(col) {
    sprintf("| %s | %s | %d | %s%% |", gsub("|", "\\|", col, fixed = TRUE), types[[col]],
            counts[[col]], format(round(100 * counts[[col]] / n, 1)))
  }, "")
  result[["_formatting"]] <- paste0(
    sprintf("**Data info**: %d rows \u00d7 %d columns, %d complete rows, %d missing values\n\n",
            n, ncol(data), result$missing_values$complete_cases, sum(counts)),
    "| column | type | missing | missing % |\n|---|---|---|---|\n",
    paste(lines, collapse = "\n"))
  result
}
