# difference: differences of numeric columns (base::diff), optionally of
# their logarithms, padded with leading nulls to the table's length.
#
# New columns: order 1 -> `<var>_diff`; order k > 1 -> `<var>_diff1` ..
# `<var>_diff<k>` (every intermediate order). With log_transform, also
# `log_<var>` and the differences are named `log_<var>_diff...`.
# Differences from the reference (rmcp 0.12.0): non-numeric columns and
# log of non-positive values are errors naming the column; true/false columns
# come back as "true"/"false" strings (the output schema allows numbers,
# strings, null).
tool_difference <- function(args) {
  data <- rmcp_table(args$data)
  variables <- rmcp_names_arg(args$variables, "variables")
  rmcp_require_columns(data, variables, "variables")
  order <- rmcp_number(args$order, "order", 1L, lower = 1, upper = 3, integer = TRUE)
  log_transform <- rmcp_flag(args$log_transform, "log_transform", FALSE)
  n <- nrow(data)
  out <- data
  created <- character()
  for (v in variables) {
    x <- rmcp_numeric_column(data, v, "variables")
    base <- v
    if (log_transform) {
      bad <- sum(x <= 0, na.rm = TRUE)
      if (bad) {
        rmcp_stop("log_transform", sprintf("column '%s' has %d value(s) <= 0, whose logarithm is undefined", v, bad),
                  "set log_transform to false or use a strictly positive column")
      }
      x <- log(x)
      base <- paste0("log_", v)
      out[[base]] <- x
      created <- c(created, base)
    }
    d <- x
    for (i in seq_len(order)) {
      d <- if (length(d) > 1L) d[-1L] - d[-length(d)] else numeric()
      name <- paste0(base, "_diff", if (order > 1L) i else "")
      out[[name]] <- c(rep(NA_real_, n - length(d)), d)
      created <- c(created, name)
    }
  }
  list(
    data = rmcp_table_out(out),
    variables_differenced = I(variables),
    difference_order = order,
    log_transformed = log_transform,
    n_obs = n,
    `_formatting` = sprintf("**Differencing** (order %d%s, %d rows): created %s",
                            order, if (log_transform) ", of logs" else "", n, rmcp_quote(created, 20L))
  )
}
