# write_csv: utils::write.csv (write.table with a tab for .tsv files) into
# the server's staging file, which the server moves to `file_path` once this
# succeeds. UTF-8, numbers at 15 significant digits, missing values written
# as `na_string`.
tool_write_csv <- function(args) {
  out_path <- rmcp_output_path(args)
  data <- rmcp_table(args$data)
  rownames_flag <- rmcp_flag(args$include_rownames, "include_rownames", FALSE)
  na_string <- rmcp_string_arg(args$na_string, "na_string", "", allow_empty = TRUE)
  tab <- rmcp_extension(args$file_path) == "tsv"
  rmcp_file_try(
    if (tab) {
      utils::write.table(data, out_path, sep = "\t", row.names = rownames_flag,
                         col.names = if (rownames_flag) NA else TRUE, na = na_string,
                         qmethod = "double", fileEncoding = "UTF-8")
    } else {
      utils::write.csv(data, out_path, row.names = rownames_flag, na = na_string,
                       fileEncoding = "UTF-8")
    },
    "the CSV file could not be written", "check the data", out_path)
  rmcp_write_result(args, data, out_path, kind = if (tab) "TSV" else "CSV")
}
