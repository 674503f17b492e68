# write_json: jsonlite::write_json of the table as an array of records
# (one object per row) into the server's staging file, which the server
# moves to `file_path` once this succeeds. Missing values are written as
# null (so read_json gives them back as missing), numbers at full
# precision.
tool_write_json <- function(args) {
  out_path <- rmcp_output_path(args)
  data <- rmcp_table(args$data)
  pretty <- rmcp_flag(args$pretty, "pretty", TRUE)
  auto_unbox <- rmcp_flag(args$auto_unbox, "auto_unbox", TRUE)
  for (j in seq_along(data)) if (is.factor(data[[j]])) data[[j]] <- as.character(data[[j]])
  rmcp_file_try(
    jsonlite::write_json(data, out_path, pretty = pretty, auto_unbox = auto_unbox,
                         dataframe = "rows", na = "null", null = "null", digits = NA),
    "the JSON file could not be written", "check the data", out_path)
  rmcp_write_result(args, data, out_path,
                    extra = list(variables_written = I(names(data)), pretty_formatted = pretty),
                    kind = "JSON")
}
