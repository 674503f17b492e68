# standardize: rescale numeric columns into new columns `<var>_<method>`.
#
# z_score: (x - mean) / sd; min_max: (x - min) / (max - min); robust:
# (x - median) / MAD with MAD = stats::mad (scaled by 1.4826). Missing values
# stay missing. scaling_info holds the centre/scale used per variable.
# A column whose scale is 0 (a constant column, or MAD 0 for robust) gets a
# new column of nulls (R's NaN), as in the reference, and a warning.
# Difference from the reference (rmcp 0.12.0): true/false columns come back
# as "true"/"false" strings (the output schema allows numbers, strings,
# null).
tool_standardize <- function(args) {
  data <- rmcp_table(args$data)
  variables <- rmcp_names_arg(args$variables, "variables")
  rmcp_require_columns(data, variables, "variables")
  method <- rmcp_enum(args$method, c("z_score", "min_max", "robust"), "method", "z_score")
  out <- data
  info <- list()
  for (v in variables) {
    x <- rmcp_numeric_column(data, v, "variables")
    xc <- x[!is.na(x)]
    if (length(xc) < 2L) {
      rmcp_stop("variables", sprintf("column '%s' has %d non-missing value(s)", v, length(xc)),
                "standardizing needs at least 2 values")
    }
    if (method == "z_score") {
      centre <- sum(xc) / length(xc)
      scale <- sqrt(sum((xc - centre)^2) / (length(xc) - 1L))
      info[[v]] <- list(mean = centre, sd = scale)
    } else if (method == "min_max") {
      r <- range(xc)
      centre <- r[[1L]]
      scale <- r[[2L]] - r[[1L]]
      info[[v]] <- list(min = r[[1L]], max = r[[2L]])
    } else {
      centre <- stats::median(xc)
      scale <- stats::mad(xc, center = centre)
      info[[v]] <- list(median = centre, mad = scale)
    }
    if (!(scale > 0)) {
      # As scale() and the reference: dividing by 0 leaves no defined value.
      warning(sprintf("variables: column '%s' has %s 0, so its %s values are undefined (null); %s", v,
                      c(z_score = "standard deviation", min_max = "range",
                        robust = "median absolute deviation")[[method]], method,
                      if (method == "robust") "use method 'z_score', or drop the column"
                      else "drop the constant column"),
              call. = FALSE)
      out[[paste0(v, "_", method)]] <- rep(NA_real_, length(x))
      next
    }
    out[[paste0(v, "_", method)]] <- (x - centre) / scale
  }
  labels <- switch(method, z_score = c("mean", "sd"), min_max = c("min", "max"),
                   robust = c("median", "mad"))
  md <- rmcp_md_table(c("variable", labels, "new column"),
                      list(variables, vapply(info, function(s) rmcp_fmt(s[[1L]]), ""),
                           vapply(info, function(s) rmcp_fmt(s[[2L]]), ""),
                           paste0(variables, "_", method)))
  list(
    data = rmcp_table_out(out),
    scaling_method = method,
    scaling_info = info,
    variables_scaled = I(variables),
    n_obs = nrow(data),
    `_formatting` = paste0("**Standardized** (", method, ", ", nrow(data), " rows)\n\n", md)
  )
}
