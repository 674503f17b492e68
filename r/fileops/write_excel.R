# write_excel: one worksheet with openxlsx (createWorkbook / addWorksheet /
# writeData / saveWorkbook) into the server's staging file, which the server
# moves to `file_path` once this succeeds. Missing values become empty
# cells, true/false become Excel booleans.
tool_write_excel <- function(args) {
  out_path <- rmcp_output_path(args)
  data <- rmcp_table(args$data)
  sheet <- rmcp_string_arg(args$sheet_name, "sheet_name", "Sheet1")
  if (nchar(sheet) > 31L || grepl("[]:*?/\\\\[]", sheet) || grepl("^'|'$", sheet)) {
    rmcp_stop("sheet_name", sprintf("'%s' is not a valid Excel sheet name", sheet),
              "use at most 31 characters and none of [ ] : * ? / \\ (nor a leading or trailing ')")
  }
  rownames_flag <- rmcp_flag(args$include_rownames, "include_rownames", FALSE)
  for (j in seq_along(data)) if (is.factor(data[[j]])) data[[j]] <- as.character(data[[j]])
  rmcp_file_try({
    wb <- openxlsx::createWorkbook()
    openxlsx::addWorksheet(wb, sheet)
    openxlsx::writeData(wb, sheet, data, rowNames = rownames_flag, keepNA = FALSE)
    openxlsx::saveWorkbook(wb, out_path, overwrite = TRUE)
  }, "the workbook could not be written", "check the data and sheet_name", out_path)
  rmcp_write_result(args, data, out_path, extra = list(sheet_name = sheet),
                    kind = "Excel workbook")
}
