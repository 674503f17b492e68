# read_excel: readxl::read_excel on the server's staged copy of a .xlsx or
# .xls workbook. A missing sheet is refused with the sheet names the
# workbook has; a file that is not a workbook is refused as such.
tool_read_excel <- function(args) {
  path <- rmcp_input_path(args)
  file_path <- args$file_path %||% "the workbook"
  ext <- rmcp_extension(file_path)
  if (!(ext %in% c("xlsx", "xls"))) {
    rmcp_stop("file_path", sprintf("'%s' is not an Excel workbook (.xlsx or .xls)", file_path),
              "use read_csv for .csv/.tsv/.txt files and read_json for .json files")
  }
  header <- rmcp_flag(args$header, "header", TRUE)
  skip <- rmcp_count_arg(args$skip_rows, "skip_rows")
  max_rows <- if (is.null(args$max_rows)) Inf
              else rmcp_count_arg(args$max_rows, "max_rows", lower = 1L)
  na_strings <- rmcp_na_strings(args$na_strings)
  cell_range <- rmcp_string_arg(args$cell_range, "cell_range")
  if (!is.null(cell_range) &&
      !grepl("^([^!]+!)?\\$?[A-Za-z]{1,3}\\$?[0-9]+(:\\$?[A-Za-z]{1,3}\\$?[0-9]+)?$", cell_range)) {
    rmcp_stop("cell_range", sprintf("'%s' is not a cell range", cell_range),
              "write it like \"A1:D10\" or \"Sheet2!B2:F50\"")
  }
  facts <- rmcp_file_facts(args, path)
  sheets <- tryCatch(readxl::excel_sheets(path), error = function(e) NULL)
  if (is.null(sheets)) {
    rmcp_stop("file_path", sprintf("'%s' is not a readable Excel workbook (the file is damaged or not really .%s)",
                                   file_path, ext),
              "re-save it from a spreadsheet program as .xlsx, or export it as CSV and use read_csv")
  }
  if (!length(sheets)) {
    rmcp_stop("file_path", sprintf("'%s' has no worksheets", file_path), "choose a workbook with data")
  }
  sheet <- rmcp_string_arg(args$sheet_name, "sheet_name", sheets[[1L]])
  if (!(sheet %in% sheets)) {
    rmcp_stop("sheet_name", sprintf("the workbook has no sheet named '%s'", sheet),
              sprintf("use one of its sheets: %s", rmcp_quote(sheets, max = 30L)))
  }
  tib <- rmcp_file_try(
    suppressWarnings(suppressMessages(readxl::read_excel(
      path, sheet = sheet, range = cell_range, col_names = header, na = na_strings,
      skip = skip, n_max = max_rows, .name_repair = "minimal", progress = FALSE))),
    sprintf("sheet '%s' of '%s' could not be read", sheet, file_path),
    "check cell_range, skip_rows and that the workbook is not damaged", path)
  data <- as.data.frame(tib, stringsAsFactors = FALSE, optional = TRUE)
  if (!header) names(data) <- paste0("X", seq_along(data))
  names(data) <- rmcp_clean_names(names(data))
  # Whole numbers that readxl read as doubles stay numbers; datetime cells
  # become ISO strings in the JSON result (the engine converts POSIXct).
  result <- list(
    data = rmcp_data_out(data),
    file_info = list(
      file_path = file_path, sheet_name = sheet, available_sheets = I(sheets),
      rows = nrow(data), columns = ncol(data), column_names = I(names(data)),
      file_size_bytes = facts$size, modified_date = facts$modified),
    summary = rmcp_read_summary(data))
  result[["_formatting"]] <- rmcp_read_md("Read Excel", file_path, data,
                                          sprintf("(sheet '%s' of %d)", sheet, length(sheets)))
  result
}
