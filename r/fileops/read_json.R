# read_json: jsonlite::fromJSON on the server's staged copy, turned into a
# table. Accepted shapes: an array of records (one row each; a field a
# record lacks is missing), an object of equal-length columns, an object
# holding one such array (e.g. {"results": [...]}), or, with
# array_to_rows = false, any object as a single row. Nested objects are
# flattened to "parent.child" columns down to max_depth levels; deeper
# values and arrays inside cells are kept as JSON text.
tool_read_json <- function(args) {
  path <- rmcp_input_path(args)
  file_path <- args$file_path %||% "the file"
  flatten <- rmcp_flag(args$flatten, "flatten", TRUE)
  max_depth <- rmcp_count_arg(args$max_depth, "max_depth", default = 3L, lower = 1L)
  array_to_rows <- rmcp_flag(args$array_to_rows, "array_to_rows", TRUE)
  facts <- rmcp_file_facts(args, path)
  if (file.size(path) == 0) {
    rmcp_stop("file_path", sprintf("'%s' is empty", file_path), "choose a file that holds JSON data")
  }
  text <- rmcp_file_try(readChar(path, file.size(path), useBytes = TRUE),
                        sprintf("'%s' could not be read", file_path), "check the file", path)
  value <- tryCatch(jsonlite::fromJSON(text, simplifyVector = TRUE, simplifyDataFrame = TRUE,
                                       simplifyMatrix = FALSE, flatten = FALSE),
                    error = function(e) e)
  if (inherits(value, "error")) {
    detail <- rmcp_scrub(conditionMessage(value), path)
    detail <- sub("\\s*\\(right here\\).*$", "", detail)
    if (nchar(detail) > 200L) detail <- paste0(substr(detail, 1L, 200L), "...")
    rmcp_stop("file_path", sprintf("'%s' is not valid JSON (%s)", file_path, detail),
              "fix the file so that it parses as JSON")
  }
  data <- rmcp_json_table(value, file_path, array_to_rows)
  data <- rmcp_json_flatten(data, if (flatten) max_depth else 0L)
  names(data) <- rmcp_clean_names(names(data))
  rownames(data) <- NULL
  result <- list(
    data = rmcp_data_out(data),
    file_info = list(file_path = file_path, rows = nrow(data), columns = ncol(data),
                     column_names = I(names(data)), file_size_bytes = facts$size,
                     modified_date = facts$modified, is_url = FALSE),
    summary = rmcp_read_summary(data))
  result[["_formatting"]] <- rmcp_read_md("Read JSON", file_path, data)
  result
}

# The parsed JSON value as a data.frame, or a file_path error naming the
# shape problem.
rmcp_json_table <- function(value, file_path, array_to_rows) {
  shape_fix <- "store an array of records ([{\"x\": 1, \"y\": 2}, ...]) or an object of equal-length columns ({\"x\": [...], \"y\": [...]})"
  if (is.null(value) || (is.atomic(value) && length(value) <= 1L && is.null(names(value)))) {
    rmcp_stop("file_path", sprintf("'%s' holds a single value, not a table", file_path), shape_fix)
  }
  if (length(value) == 0L) {
    rmcp_stop("file_path", sprintf("'%s' holds no data (an empty array or object)", file_path), shape_fix)
  }
  if (!array_to_rows && is.list(value) && !is.data.frame(value) && !is.null(names(value))) {
    row <- lapply(value, function(v) if (is.atomic(v) && length(v) == 1L) v else I(list(v)))
    return(as.data.frame(row, stringsAsFactors = FALSE, optional = TRUE))
  }
  if (is.data.frame(value)) return(value)
  if (is.atomic(value)) {
    return(data.frame(value = value, stringsAsFactors = FALSE))
  }
  if (is.list(value) && is.null(names(value))) {
    # An array that did not simplify to a data frame: records mixed with
    # other values, or nested arrays.
    is_record <- vapply(value, function(v) is.list(v) && !is.null(names(v)), NA)
    if (length(value) && all(is_record)) {
      rows <- lapply(value, function(r) lapply(r, function(v) if (is.atomic(v) && length(v) == 1L) v else I(list(v))))
      keys <- unique(unlist(lapply(rows, names)))
      cols <- lapply(keys, function(k) {
        vals <- lapply(rows, function(r) r[[k]])
        if (all(vapply(vals, function(v) is.null(v) || (is.atomic(v) && length(v) == 1L), NA))) {
          unlist(lapply(vals, function(v) if (is.null(v)) NA else v))
        } else I(lapply(vals, function(v) if (inherits(v, "AsIs")) v[[1L]] else v))
      })
      names(cols) <- keys
      return(as.data.frame(cols, stringsAsFactors = FALSE, optional = TRUE))
    }
    bad <- which(!is_record)[[1L]]
    rmcp_stop("file_path", sprintf("'%s' is an array whose item %d is not a record (an object)", file_path, bad),
              shape_fix)
  }
  # An object: equal-length columns, or a wrapper around one array of records.
  lengths <- vapply(value, function(v) if (is.data.frame(v)) nrow(v) else length(v), 0L)
  frames <- vapply(value, is.data.frame, NA)
  if (sum(frames) == 1L && !all(frames) || (length(value) == 1L && frames[[1L]])) {
    return(value[[which(frames)]])
  }
  columns_ok <- vapply(value, function(v) is.atomic(v) || is.data.frame(v) ||
                         (is.list(v) && is.null(names(v))), NA)
  if (!all(columns_ok)) {
    rmcp_stop("file_path", sprintf("'%s' is an object whose member '%s' is neither a column nor an array of records",
                                   file_path, names(value)[which(!columns_ok)[[1L]]]),
              paste(shape_fix, "or pass array_to_rows = false to read the object as one row"))
  }
  if (length(unique(lengths)) > 1L) {
    long <- which.max(lengths)
    short <- which.min(lengths)
    rmcp_stop("file_path", sprintf("'%s' is ragged: column '%s' has %d values but '%s' has %d",
                                   file_path, names(value)[[long]], lengths[[long]],
                                   names(value)[[short]], lengths[[short]]),
              "give every column the same number of values (use null for missing ones)")
  }
  cols <- lapply(value, function(v) {
    if (is.list(v) && !is.data.frame(v)) {
      if (all(vapply(v, function(e) is.null(e) || (is.atomic(e) && length(e) == 1L), NA))) {
        unlist(lapply(v, function(e) if (is.null(e)) NA else e))
      } else I(v)
    } else v
  })
  out <- as.data.frame(cols[!frames], stringsAsFactors = FALSE, optional = TRUE)
  if (any(frames)) {
    for (name in names(value)[frames]) out[[name]] <- value[[name]]
  }
  out[, names(value), drop = FALSE]
}

# Nested data-frame columns become "parent.child" columns down to `depth`
# levels; what remains nested (deeper frames, list cells) becomes JSON text.
rmcp_json_flatten <- function(data, depth) {
  to_text <- function(col) {
    if (is.data.frame(col)) {
      return(vapply(seq_len(nrow(col)), function(i) {
        row <- col[i, , drop = FALSE]
        if (all(vapply(row, function(v) is.atomic(v) && all(is.na(v)), NA))) return(NA_character_)
        txt <- as.character(jsonlite::toJSON(col[i, , drop = FALSE], dataframe = "rows",
                                             auto_unbox = TRUE, na = "null", digits = NA))
        sub("^\\[(.*)\\]$", "\\1", txt)
      }, ""))
    }
    vapply(col, function(v) {
      if (is.null(v) || (length(v) == 1L && is.atomic(v) && is.na(v))) return(NA_character_)
      if (is.atomic(v) && length(v) == 1L) return(as.character(v))
      as.character(jsonlite::toJSON(v, auto_unbox = TRUE, na = "null", digits = NA))
    }, "")
  }
  walk <- function(df, level) {
    out <- list()
    for (name in names(df)) {
      col <- df[[name]]
      if (is.data.frame(col)) {
        if (level < depth) {
          inner <- walk(col, level + 1L)
          names(inner) <- paste(name, names(inner), sep = ".")
          out <- c(out, inner)
        } else {
          out[[name]] <- to_text(col)
        }
      } else if (is.list(col)) {
        out[[name]] <- to_text(col)
      } else {
        out[[name]] <- col
      }
    }
    out
  }
  cols <- walk(data, 0L)
  out <- as.data.frame(cols, stringsAsFactors = FALSE, optional = TRUE)
  if (!length(cols)) out <- data.frame(row.names = seq_len(nrow(data)))
  out
}
