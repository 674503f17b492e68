# lag_lead: add lagged and led copies of columns, `<var>_lag<k>` (value k rows
# earlier) and `<var>_lead<k>` (value k rows later), padded with null.
#
# Returns the whole table (input columns first, then the new ones). Lags
# default to [1], leads to none.
# Differences from the reference (rmcp 0.12.0): a shift of k >= n rows gives
# an all-null column of the table's length (the reference produced a column
# of the wrong length); shifts must be positive whole numbers; true/false
# columns come back as "true"/"false" strings (the output schema allows
# numbers, strings and null); `variables_created` lists every column
# written, including ones that replaced an existing column of that name.
tool_lag_lead <- function(args) {
  data <- rmcp_table(args$data)
  variables <- rmcp_names_arg(args$variables, "variables")
  rmcp_require_columns(data, variables, "variables")
  shifts <- function(value, arg, default) {
    if (is.null(value)) return(default)
    if (!is.numeric(value) || anyNA(value) || any(value != round(value)) || any(value < 1)) {
      rmcp_stop(arg, "must be positive whole numbers", sprintf("pass e.g. [1, 2] for %s of 1 and 2 rows", arg))
    }
    unique(as.integer(value))
  }
  lags <- shifts(args$lags, "lags", 1L)
  leads <- shifts(args$leads, "leads", integer())
  n <- nrow(data)
  out <- data
  created <- character()
  for (v in variables) {
    x <- .subset2(data, v)
    for (k in lags) {
      name <- paste0(v, "_lag", k)
      out[[name]] <- if (k >= n) x[rep(NA_integer_, n)] else c(x[rep(NA_integer_, k)], x[seq_len(n - k)])
      created <- c(created, name)
    }
    for (k in leads) {
      name <- paste0(v, "_lead", k)
      out[[name]] <- if (k >= n) x[rep(NA_integer_, n)] else c(x[(k + 1L):n], x[rep(NA_integer_, k)])
      created <- c(created, name)
    }
  }
  list(
    data = rmcp_table_out(out),
    variables_created = I(created),
    n_obs = n,
    operation = "lag_lead",
    `_formatting` = sprintf("**Lag/lead**: created %d column%s from %s (%d rows): %s",
                            length(created), if (length(created) == 1L) "" else "s",
                            rmcp_quote(variables), n, rmcp_quote(created, 20L))
  )
}
