# build_formula: turns a plain-language description ("predict sales from
# price and advertising, controlling for region") into an R model formula.
# The description is matched against an ordered list of phrasings (the
# pattern used is reported); variable phrases become column names (matched
# to the data's columns, up to case, spaces and small misspellings, when
# `data` is given, else made into syntactic names). With data, the formula
# is also validated as validate_formula does. Nothing is evaluated.
tool_build_formula <- function(args) {
  description <- args$description
  if (!is.character(description) || length(description) != 1L || is.na(description) ||
      !nzchar(trimws(description))) {
    rmcp_stop("description", "is required",
              "describe the model, e.g. \"predict sales from price and advertising\"")
  }
  if (nchar(description) > 2000L) {
    rmcp_stop("description", "is longer than 2000 characters", "describe the model in a sentence")
  }
  type <- rmcp_enum(args$analysis_type,
                    c("regression", "correlation", "anova", "classification", "general"),
                    "analysis_type")
  alternatives_wanted <- rmcp_flag(args$suggest_alternatives, "suggest_alternatives", TRUE)
  data <- rmcp_plain_table(args$data)
  if (!is.null(args$data) && is.null(data)) {
    rmcp_stop("data", "is not a table", "pass columns of equal length as {\"column\": [values, ...]}")
  }
  columns <- if (is.null(data)) character(0) else names(data)
  parsed <- rmcp_describe_model(description, columns)
  suggestions <- character(0)
  formula <- NULL
  if (!is.null(parsed$response) && length(parsed$terms)) {
    formula <- paste(parsed$response, "~", paste(parsed$terms, collapse = " + "))
  }
  alternatives <- character(0)
  if (!is.null(formula) && alternatives_wanted) {
    alternatives <- rmcp_formula_alternatives(parsed, type)
  }
  validation <- NULL
  if (!is.null(formula) && !is.null(data)) {
    validation <- rmcp_formula_report(formula, data,
                                      if (type %in% c("regression", "anova", "correlation")) type else "regression")
    suggestions <- c(suggestions, validation$suggestions)
    validation$suggestions <- NULL
  }
  if (is.null(formula)) {
    suggestions <- c(suggestions, "name the outcome and the predictors, e.g. \"predict sales from price and advertising\"")
  } else if (is.null(data)) {
    suggestions <- c(suggestions, "pass data to check the variable names against your columns (or run validate_formula)")
  }
  if (length(parsed$unmatched)) {
    suggestions <- c(suggestions, sprintf("%s did not match a column; the names were made from the description",
                                          rmcp_quote(parsed$unmatched)))
  }
  next_tool <- switch(type, regression = "linear_model", correlation = "correlation_analysis",
                      anova = "anova", classification = "logistic_regression (0/1 outcome) or decision_tree",
                      general = "linear_model")
  if (!is.null(formula)) suggestions <- c(suggestions, sprintf("fit it with %s", next_tool))
  result <- list(
    formula = formula,
    matched_pattern = parsed$pattern,
    alternatives = I(setdiff(unique(alternatives), formula %||% "")),
    validation = validation,
    examples = rmcp_formula_examples(type),
    interpretation = if (is.null(formula)) NULL else rmcp_formula_interpretation(parsed, type),
    suggestions = I(unique(suggestions)))
  result[["_formatting"]] <- paste0(
    if (is.null(formula)) "**No formula** could be built from the description."
    else sprintf("**Formula:** `%s` (pattern: %s)\n\n%s", formula, parsed$pattern, result$interpretation),
    if (length(result$alternatives)) paste0("\n\n**Alternatives:**\n", paste0("- `", result$alternatives, "`", collapse = "\n")) else "",
    if (!is.null(validation)) sprintf("\n\n**Checked against the data:** %s",
                                      if (isTRUE(validation$is_valid)) "valid" else validation$error) else "",
    if (length(result$suggestions)) paste0("\n\n", paste0("- ", result$suggestions, collapse = "\n")) else "")
  result
}

# Parses a description: list(response, terms, predictors, controls,
# pattern, unmatched).
rmcp_describe_model <- function(description, columns) {
  text <- tolower(trimws(description))
  text <- gsub("[\u2018\u2019\u201c\u201d\"'`]", "", text)
  text <- gsub("[?!.;]+\\s*$", "", text)
  text <- gsub("\\s+", " ", text)
  unmatched <- character(0)
  name_of <- function(phrase) {
    phrase <- trimws(gsub("^(the|a|an|their|its|our|of|on|in) ", "", trimws(phrase)))
    phrase <- trimws(gsub(" (variables?|columns?|values?|levels?|types?|groups?|categories|category)$", "", phrase))
    if (!nzchar(phrase)) return(NULL)
    if (length(columns)) {
      near <- rmcp_closest_name(phrase, columns)
      if (!is.na(near)) return(near)
      words <- strsplit(phrase, " ", fixed = TRUE)[[1L]]
      if (length(words) > 1L) {
        hits <- unique(stats::na.omit(vapply(words, function(w) rmcp_closest_name(w, columns), "")))
        if (length(hits) == 1L) return(hits[[1L]])
      }
    }
    name <- gsub("[^a-z0-9_.]+", "_", phrase)
    name <- gsub("^_+|_+$", "", name)
    if (!nzchar(name)) return(NULL)
    if (grepl("^[0-9._]", name)) name <- paste0("x", name)
    if (length(columns)) unmatched <<- c(unmatched, name)
    name
  }
  split_list <- function(phrase) {
    parts <- strsplit(phrase, "\\s*(,|\\band\\b|\\bplus\\b|&|\\bwith\\b|\\bincluding\\b|\\bas well as\\b|\\+)\\s*", perl = TRUE)[[1L]]
    parts <- trimws(parts)
    parts[nzchar(parts)]
  }
  controls <- character(0)
  m <- regmatches(text, regexec("^(.*?),?\\s*\\b(?:controlling for|adjusting for|accounting for|holding) (.+?)(?: constant| fixed)?$", text, perl = TRUE))[[1L]]
  if (length(m) == 3L) {
    text <- trimws(m[[2L]])
    controls <- m[[3L]]
  }
  interaction <- NULL
  m <- regmatches(text, regexec("^(.*?),?\\s*(?:with an |with |and |including )?(?:the )?interactions? (?:between|of) (.+?) and (.+?)$", text, perl = TRUE))[[1L]]
  if (length(m) == 4L && nzchar(trimws(m[[2L]]))) {
    text <- trimws(m[[2L]])
    interaction <- c(m[[3L]], m[[4L]])
  }
  patterns <- list(
    list(name = "predict Y from X",
         re = "^(?:predict|model|forecast|estimate|explain|regress)\\s+(.+?)\\s+(?:from|using|with|based on|given|on|by)\\s+(.+)$", y = 1L, x = 2L),
    list(name = "Y depends on X",
         re = "^(.+?)\\s+(?:depends on|depend on|is affected by|are affected by|is influenced by|is explained by|is determined by|is driven by|is predicted by|varies with|vary with|as a function of|is a function of|responds to)\\s+(.+)$", y = 1L, x = 2L),
    list(name = "effect of X on Y",
         re = "^(?:the )?(?:effect|effects|impact|influence|role) of (.+?) on (.+)$", y = 2L, x = 1L),
    list(name = "does X affect Y",
         re = "^(?:how |whether |does |do |how does |how do )*(.+?)\\s+(?:affects?|influences?|impacts?|predicts?|drives?|determines?|explains?)\\s+(.+)$", y = 2L, x = 1L),
    list(name = "relationship between Y and X",
         re = "^(?:the )?(?:relationship|relation|association|correlation|link) (?:between|of) (.+?) (?:and|with) (.+)$", y = 1L, x = 2L),
    list(name = "Y over time",
         re = "^(.+?) (?:over time|over the years|by (?:date|month|year|time)|trend)$", y = 1L, x = NA_integer_),
    list(name = "compare Y across groups",
         re = "^(?:compare |differences in |difference in )?(.+?) (?:by|across|between|among|for each|per) (.+)$", y = 1L, x = 2L),
    list(name = "Y versus X",
         re = "^(.+?) (?:vs\\.?|versus|against|on) (.+)$", y = 1L, x = 2L),
    list(name = "Y ~ X",
         re = "^(.+?)\\s*~\\s*(.+)$", y = 1L, x = 2L))
  response <- NULL
  predictors <- character(0)
  pattern <- NULL
  for (p in patterns) {
    m <- regmatches(text, regexec(p$re, text, perl = TRUE))[[1L]]
    if (length(m) < 2L) next
    groups <- m[-1L]
    y <- name_of(groups[[p$y]])
    if (is.null(y)) next
    if (is.na(p$x)) {
      time_cols <- columns[rmcp_name_key(columns) %in% c("time", "date", "year", "month", "period", "t")]
      xs <- if (length(time_cols)) time_cols[[1L]] else "time"
    } else {
      xs <- unlist(lapply(split_list(groups[[p$x]]), name_of))
    }
    xs <- setdiff(xs, y)
    if (!length(xs) && is.null(interaction)) next
    response <- y
    predictors <- xs
    pattern <- p$name
    break
  }
  if (is.null(response)) {
    words <- strsplit(gsub("[^a-z0-9_ ]", " ", text), " +")[[1L]]
    stop_words <- c("a", "an", "the", "of", "and", "or", "to", "in", "on", "for", "with", "by", "is", "are",
                    "how", "what", "does", "do", "i", "want", "model", "analyse", "analyze", "regression",
                    "predict", "relationship", "between", "using", "from", "effect", "data")
    words <- words[nzchar(words) & !(words %in% stop_words)]
    if (length(words) >= 2L) {
      response <- name_of(words[[1L]])
      predictors <- setdiff(unlist(lapply(words[-1L], name_of)), response)
      pattern <- "first word ~ remaining words"
    }
  }
  if (is.null(response)) {
    return(list(response = NULL, terms = character(0), predictors = character(0),
                controls = character(0), pattern = NULL, unmatched = unique(unmatched)))
  }
  terms <- predictors
  if (!is.null(interaction)) {
    a <- name_of(interaction[[1L]])
    b <- name_of(interaction[[2L]])
    if (!is.null(a) && !is.null(b)) {
      terms <- c(setdiff(terms, c(a, b)), paste(a, "*", b))
      predictors <- unique(c(predictors, a, b))
      pattern <- paste(pattern, "with an interaction")
    }
  }
  control_names <- if (length(controls)) unlist(lapply(split_list(controls), name_of)) else character(0)
  control_names <- setdiff(control_names, c(response, predictors))
  if (length(control_names)) pattern <- paste(pattern, "controlling for Z")
  list(response = response, terms = unique(c(terms, control_names)), predictors = predictors,
       controls = control_names, pattern = pattern, unmatched = unique(unmatched))
}

# Other formulas worth trying for the same question.
rmcp_formula_alternatives <- function(parsed, type) {
  y <- parsed$response
  xs <- c(parsed$predictors, parsed$controls)
  rhs <- paste(parsed$terms, collapse = " + ")
  out <- character(0)
  if (type == "classification") {
    out <- c(out, sprintf("factor(%s) ~ %s", y, rhs))
  } else if (type == "anova") {
    out <- c(out, sprintf("%s ~ %s", y, paste(sprintf("factor(%s)", parsed$predictors), collapse = " + ")))
    if (length(parsed$predictors) >= 2L) out <- c(out, sprintf("%s ~ %s", y, paste(parsed$predictors, collapse = " * ")))
  } else {
    out <- c(out, sprintf("log(%s) ~ %s", y, rhs))
    if (length(parsed$predictors) == 1L) {
      out <- c(out, sprintf("%s ~ poly(%s, 2)%s", y, parsed$predictors,
                            if (length(parsed$controls)) paste0(" + ", paste(parsed$controls, collapse = " + ")) else ""))
    }
    if (length(parsed$predictors) >= 2L && !any(grepl("*", parsed$terms, fixed = TRUE))) {
      out <- c(out, sprintf("%s ~ %s%s", y, paste(parsed$predictors, collapse = " * "),
                            if (length(parsed$controls)) paste0(" + ", paste(parsed$controls, collapse = " + ")) else ""))
    }
    if (length(xs) >= 2L) out <- c(out, sprintf("%s ~ %s", y, xs[[1L]]))
  }
  out
}

rmcp_formula_examples <- function(type) {
  ex <- function(description, formula, use_case) list(description = description, formula = formula, use_case = use_case)
  switch(type,
    correlation = list(
      ex("relationship between height and weight", "weight ~ height", "two numeric measurements"),
      ex("sales against price and advertising", "sales ~ price + advertising", "several numeric predictors")),
    anova = list(
      ex("compare yield across fertilizer types", "yield ~ fertilizer", "one-way ANOVA"),
      ex("yield by fertilizer and irrigation with their interaction", "yield ~ fertilizer * irrigation", "two-way ANOVA"),
      ex("compare scores between groups controlling for age", "score ~ group + age", "ANCOVA")),
    classification = list(
      ex("predict churn from tenure and monthly charges", "churned ~ tenure_months + monthly_charges", "binary outcome"),
      ex("predict species from petal length and width", "factor(species) ~ petal_length + petal_width", "several classes")),
    list(
      ex("predict sales from price and advertising", "sales ~ price + advertising", "multiple regression"),
      ex("effect of education on income controlling for age", "income ~ education + age", "adjusted effect"),
      ex("salary depends on experience with an interaction between experience and gender",
         "salary ~ experience * gender", "interaction"),
      ex("log of price as a function of size", "log(price) ~ size", "multiplicative effects")))
}

rmcp_formula_interpretation <- function(parsed, type) {
  xs <- parsed$predictors
  controls <- parsed$controls
  base <- switch(type,
    correlation = sprintf("Relates %s to %s; correlation_analysis gives the pairwise correlations.",
                          parsed$response, paste(xs, collapse = ", ")),
    anova = sprintf("Compares the mean of %s across the levels of %s.", parsed$response,
                    paste(xs, collapse = " and ")),
    classification = sprintf("Predicts the class of %s from %s.", parsed$response, paste(xs, collapse = ", ")),
    sprintf("Models %s as a linear function of %s; each coefficient is the expected change in %s for a one-unit change in that predictor, the others held fixed.",
            parsed$response, paste(xs, collapse = ", "), parsed$response))
  if (any(grepl("*", parsed$terms, fixed = TRUE))) {
    base <- paste(base, "The '*' term includes both main effects and their interaction (the effect of one depends on the other).")
  }
  if (length(controls)) base <- paste(base, sprintf("%s %s included as %s.", rmcp_quote(controls),
                                                    if (length(controls) == 1L) "is" else "are",
                                                    if (length(controls) == 1L) "a control" else "controls"))
  base
}
