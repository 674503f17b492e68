# read_csv: utils::read.csv on the server's staged copy of the file. Ragged
# rows (a line with more or fewer fields than the header) and binary files
# are refused rather than silently wrapped or padded; column names are kept
# as written (made unique, byte-order mark removed).
tool_read_csv <- function(args) {
  path <- rmcp_input_path(args)
  file_path <- args$file_path %||% "the file"
  header <- rmcp_flag(args$header, "header", TRUE)
  sep <- rmcp_string_arg(args$sep, "sep", ",", allow_empty = TRUE)
  if (sep %in% c("\\t", "tab")) sep <- "\t"
  if (nchar(sep, type = "bytes") > 1L) {
    rmcp_stop("sep", sprintf("'%s' is longer than one character", sep),
              "pass one separator character such as \",\", \";\", \"|\" or \"\\t\" (\"\" splits on white space)")
  }
  na_strings <- rmcp_na_strings(args$na_strings)
  skip <- rmcp_count_arg(args$skip_rows, "skip_rows")
  max_rows <- if (is.null(args$max_rows)) -1L
              else rmcp_count_arg(args$max_rows, "max_rows", lower = 1L)
  facts <- rmcp_file_facts(args, path)
  if (isTRUE(facts$size == 0) || file.size(path) == 0) {
    rmcp_stop("file_path", sprintf("'%s' is empty", file_path), "choose a file that holds a table")
  }
  if (rmcp_is_binary(path)) {
    rmcp_stop("file_path", sprintf("'%s' is not a text CSV file (it holds binary data)", file_path),
              "export the data as CSV, or use read_excel for .xlsx/.xls workbooks")
  }
  fields <- rmcp_file_try(
    suppressWarnings(utils::count.fields(path, sep = sep, quote = "\"", skip = skip,
                                         blank.lines.skip = TRUE, comment.char = "")),
    sprintf("'%s' could not be read as CSV", file_path),
    "check that it is a delimited text file and that sep matches its separator", path)
  known <- fields[!is.na(fields)]
  if (!length(known)) {
    rmcp_stop("file_path", sprintf("'%s' has no lines to read after skipping %d", file_path, skip),
              "lower skip_rows or choose another file")
  }
  if (max_rows > 0L) known <- known[seq_len(min(length(known), max_rows + as.integer(header)))]
  expected <- known[[1L]]
  bad <- which(known != expected)
  if (length(bad)) {
    line <- which(!is.na(fields))[bad[[1L]]] + skip
    rmcp_stop("file_path", sprintf(
      "'%s' is ragged: line %d has %d fields but line %d has %d",
      file_path, line, known[bad[[1L]]], which(!is.na(fields))[[1L]] + skip, expected),
      if (sep == ",") "fix the file, or pass sep if the file uses another separator (\";\", \"\\t\", \"|\")"
      else "fix the file, or check that sep matches the file's separator")
  }
  data <- rmcp_file_try(
    suppressWarnings(utils::read.csv(path, header = header, sep = sep, na.strings = na_strings,
                                     skip = skip, nrows = max_rows, stringsAsFactors = FALSE,
                                     check.names = FALSE, encoding = "UTF-8", quote = "\"",
                                     comment.char = "", strip.white = TRUE,
                                     blank.lines.skip = TRUE)),
    sprintf("'%s' could not be parsed as CSV", file_path),
    "check the separator (sep), header and skip_rows settings", path)
  # Text that is not valid UTF-8 is almost always Latin-1 / Windows-1252
  # (spreadsheet exports); convert it rather than return broken strings.
  names(data) <- rmcp_clean_names(rmcp_utf8(names(data)))
  for (j in seq_along(data)) if (is.character(data[[j]])) data[[j]] <- rmcp_utf8(data[[j]])
  rownames(data) <- NULL
  numeric_vars <- rmcp_names_where(data, is.numeric)
  result <- list(
    data = rmcp_data_out(data),
    file_info = list(
      file_path = file_path, is_url = FALSE, n_rows = nrow(data), n_cols = ncol(data),
      column_names = I(names(data)),
      numeric_variables = numeric_vars,
      character_variables = rmcp_names_where(data, is.character),
      factor_variables = rmcp_names_where(data, is.factor),
      file_size_bytes = facts$size, modified_date = facts$modified),
    parsing_info = list(header = header, separator = sep, na_strings = I(na_strings),
                        rows_skipped = skip),
    summary = rmcp_read_summary(data))
  result[["_formatting"]] <- rmcp_read_md("Read CSV", file_path, data)
  result
}
