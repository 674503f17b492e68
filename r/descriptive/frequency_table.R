# frequency_table: counts (and percentages) of the distinct values of one or
# more columns, like base::table(useNA = "ifany").
#
# Values are reported as strings; missing values form their own row labelled
# "<NA>" (as R prints them) when present. Percentages are shares of all rows,
# missing included (as in the reference), so they add up to 100.
# sort_by "frequency": most frequent first (ties in value order); "value":
# R's sort order of the values (numeric order for numbers), "<NA>" last.
# Differences from the reference (rmcp 0.12.0): n_missing and
# missing_percentage are always present (0 when nothing is missing).
tool_frequency_table <- function(args) {
  data <- rmcp_table(args$data)
  variables <- rmcp_names_arg(args$variables, "variables")
  rmcp_require_columns(data, variables, "variables")
  include_pct <- rmcp_flag(args$include_percentages, "include_percentages", TRUE)
  sort_by <- rmcp_enum(args$sort_by, c("frequency", "value"), "sort_by", "frequency")
  n_rows <- nrow(data)
  tables <- list()
  md <- character()
  for (v in variables) {
    x <- .subset2(data, v)
    miss <- is.na(x)
    n_missing <- sum(miss)
    lev <- sort(unique(x[!miss]))
    counts <- tabulate(match(x[!miss], lev), length(lev))
    values <- as.character(lev)
    if (is.logical(lev)) values <- ifelse(lev, "true", "false")
    if (n_missing) {
      values <- c(values, "<NA>")
      counts <- c(counts, n_missing)
    }
    if (sort_by == "frequency") {
      o <- order(-counts, method = "radix")
      values <- values[o]
      counts <- counts[o]
    }
    entry <- list(values = I(values), frequencies = I(as.integer(counts)),
                  n_total = as.integer(n_rows - n_missing))
    pct <- counts / n_rows * 100
    if (include_pct) entry$percentages <- I(pct)
    entry$n_missing <- as.integer(n_missing)
    entry$missing_percentage <- n_missing / n_rows * 100
    tables[[v]] <- entry
    k <- min(length(values), 15L)
    shown <- values[seq_len(k)]
    if (n_missing) shown[shown == "<NA>"] <- "(missing)"
    cols <- list(shown, as.character(counts[seq_len(k)]))
    if (include_pct) cols <- c(cols, list(sprintf("%.1f%%", pct[seq_len(k)])))
    md <- c(md, paste0("**", v, "** (", length(values), " distinct values, ", n_missing,
                       " missing)\n\n",
                       rmcp_md_table(c("value", "count", if (include_pct) "percent"), cols),
                       if (length(values) > k) sprintf("\n\n(first %d of %d values shown)", k, length(values))
                       else ""))
  }
  list(frequency_tables = tables, variables = I(variables), total_observations = n_rows,
       `_formatting` = paste(c(sprintf("**Frequency tables** (%d rows)", n_rows), md), collapse = "\n\n"))
}
