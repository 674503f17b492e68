# outlier_detection: flag outlying values of one numeric variable.
#
# Methods: "iqr" (outside [Q1 - k IQR, Q3 + k IQR], type-7 quartiles),
# "z_score" (|x - mean| / sd > threshold) and "modified_z"
# (|0.6745 (x - median) / MAD| > threshold, MAD = stats::mad, i.e. scaled by
# 1.4826, as in the reference).
# Differences from the reference (rmcp 0.12.0):
# * The reference ignores `threshold` for "iqr" (always 1.5). Here an explicit
#   `threshold` is the IQR multiplier k; without one k = 1.5 (and 3 for the
#   z-score methods, the schema default).
# * A MAD of 0 for "modified_z" is an error when the values vary (every
#   value off the median would be infinitely far).
# A constant variable has no outliers by the z methods: its z-scores are
# undefined (0 / 0), so nothing is flagged, as in the reference, with a
# warning.
# `outlier_indices` are 1-based row numbers of `data`.
tool_outlier_detection <- function(args) {
  data <- rmcp_table(args$data)
  variable <- rmcp_column_arg(args$variable, "variable", what = "a numeric column")
  method <- rmcp_enum(args$method, c("iqr", "z_score", "modified_z"), "method", "iqr")
  threshold <- rmcp_number(args$threshold, "threshold", if (method == "iqr") 1.5 else 3, lower = 0)
  values <- rmcp_numeric_column(data, variable, "variable")
  clean <- values[!is.na(values)]
  n <- length(clean)
  if (n < if (method == "iqr") 1L else 2L) {
    rmcp_stop("variable", sprintf("column '%s' has %d non-missing values", variable, n),
              "provide at least 2 values")
  }
  if (method == "iqr") {
    q <- rmcp_quantile_sorted(sort.int(clean), c(0.25, 0.75))
    iqr <- q[[2L]] - q[[1L]]
    lower <- q[[1L]] - threshold * iqr
    upper <- q[[2L]] + threshold * iqr
    flag <- values < lower | values > upper
    bounds <- list(lower = lower, upper = upper, iqr = iqr, q1 = q[[1L]], q3 = q[[2L]],
                   multiplier = threshold)
    rule <- sprintf("outside [Q1 - %s IQR, Q3 + %s IQR] = [%s, %s]", rmcp_fmt(threshold),
                    rmcp_fmt(threshold), rmcp_fmt(lower), rmcp_fmt(upper))
  } else if (method == "z_score") {
    m <- sum(clean) / n
    s <- sqrt(sum((clean - m)^2) / (n - 1L))
    if (s == 0) {
      warning(sprintf("variable: column '%s' is constant (sd = 0), so its z-scores are undefined and no value is flagged; use a column whose values vary",
                      variable), call. = FALSE)
    }
    flag <- abs((values - m) / s) > threshold
    bounds <- list(threshold = threshold, mean = m, sd = s, lower = m - threshold * s,
                   upper = m + threshold * s)
    rule <- sprintf("|z| > %s (mean %s, sd %s)", rmcp_fmt(threshold), rmcp_fmt(m), rmcp_fmt(s))
  } else {
    med <- stats::median(clean)
    mad <- stats::mad(clean, center = med)
    if (mad == 0 && all(clean == med)) {
      warning(sprintf("variable: column '%s' is constant (MAD = 0), so its modified z-scores are undefined and no value is flagged; use a column whose values vary",
                      variable), call. = FALSE)
    } else if (mad == 0) {
      rmcp_stop("variable", sprintf("column '%s' has median absolute deviation 0 (more than half the values are equal), so modified z-scores are undefined", variable),
                "use method 'iqr' or 'z_score'")
    }
    flag <- abs(0.6745 * (values - med) / mad) > threshold
    bounds <- list(threshold = threshold, median = med, mad = mad)
    rule <- sprintf("|0.6745 (x - median) / MAD| > %s (median %s, MAD %s)", rmcp_fmt(threshold),
                    rmcp_fmt(med), rmcp_fmt(mad))
  }
  idx <- which(flag)
  pct <- length(idx) / n * 100
  shown <- utils::head(idx, 20L)
  list(
    method = method,
    variable = variable,
    outlier_indices = I(idx),
    outlier_values = I(values[idx]),
    n_outliers = length(idx),
    n_obs = n,
    outlier_percentage = pct,
    bounds = bounds,
    `_formatting` = paste0(
      "**Outliers in `", variable, "`** (", method, "): ", length(idx), " of ", n,
      " values (", sprintf("%.1f", pct), "%) ", rule,
      if (length(idx)) paste0("\n\n", rmcp_md_table(c("row", "value"),
                                                    list(as.character(shown), rmcp_fmt(values[shown])))) else "",
      if (length(idx) > 20L) sprintf("\n\n(first 20 of %d shown)", length(idx)) else "")
  )
}
