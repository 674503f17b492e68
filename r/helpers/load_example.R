# load_example: synthetic example datasets with known structure, for trying
# the analysis tools. Generated with a fixed seed (42), so the same
# arguments always give the same table; sizes small = 20, medium = 100,
# large = 500 rows. add_noise adds Gaussian noise (a fifth of each measured
# column's standard deviation) to the measured columns, not to ids, dates or
# categories.
tool_load_example <- function(args) {
  name <- rmcp_enum(args$dataset_name, c("sales", "economics", "customers", "timeseries", "survey"),
                    "dataset_name", default = NULL)
  if (is.null(name)) {
    rmcp_stop("dataset_name", "is required",
              "choose one of 'sales', 'economics', 'customers', 'timeseries', 'survey'")
  }
  size <- rmcp_enum(args$size, c("small", "medium", "large"), "size")
  add_noise <- rmcp_flag(args$add_noise, "add_noise", FALSE)
  n <- c(small = 20L, medium = 100L, large = 500L)[[size]]
  made <- rmcp_with_seed(42L, {
    made <- rmcp_example_data(name, n)
    if (add_noise) {
      for (col in made$measured) {
        x <- made$data[[col]]
        s <- stats::sd(x)
        noisy <- x + stats::rnorm(length(x), 0, if (is.finite(s) && s > 0) s / 5 else 1)
        made$data[[col]] <- if (is.integer(x)) as.integer(pmin(max(x), pmax(min(x), round(noisy))))
                            else round(noisy, 2)
      }
    }
    made
  })
  data <- made$data
  numeric_vars <- names(data)[vapply(data, is.numeric, NA)]
  categorical <- setdiff(names(data), numeric_vars)
  statistics <- lapply(numeric_vars, function(col) {
    x <- data[[col]]
    list(mean = mean(x, na.rm = TRUE), sd = stats::sd(x, na.rm = TRUE),
         min = min(x, na.rm = TRUE), max = max(x, na.rm = TRUE), missing = sum(is.na(x)))
  })
  names(statistics) <- numeric_vars
  result <- list(
    data = rmcp_data_out(data),
    metadata = list(name = name, description = made$description, size = size,
                    rows = nrow(data), columns = ncol(data), has_noise = add_noise),
    statistics = statistics,
    suggested_analyses = I(made$analyses),
    variable_info = list(numeric_variables = I(numeric_vars),
                         categorical_variables = I(categorical),
                         variable_types = rmcp_column_types(data)))
  result[["_formatting"]] <- paste0(
    sprintf("**Example dataset `%s`** (%s, %d rows \u00d7 %d columns%s): %s\n\n", name, size,
            nrow(data), ncol(data), if (add_noise) ", with noise" else "", made$description),
    rmcp_md_preview(data), "\n\n**Try:**\n", paste0("- ", made$analyses, collapse = "\n"))
  result
}

# The generator of each dataset: list(data, description, measured columns,
# suggested analyses). Uses the RNG as seeded by the caller.
rmcp_example_data <- function(name, n) {
  i <- seq_len(n)
  switch(name,
    sales = {
      month <- i
      marketing <- round(stats::runif(n, 5, 50), 1)
      season <- 8 * sin(2 * pi * (month - 1) / 12)
      sales <- round(40 + 2.5 * marketing + season + stats::rnorm(n, 0, 8), 1)
      list(data = data.frame(month = month, marketing_spend = marketing, sales = sales,
                             quarter = paste0("Q", (month - 1L) %% 12L %/% 3L + 1L),
                             stringsAsFactors = FALSE),
           description = "Monthly sales (thousands) against marketing spend (thousands), with a seasonal pattern; sales rise by about 2.5 per unit of spend",
           measured = c("marketing_spend", "sales"),
           analyses = c("linear_model: sales ~ marketing_spend", "scatter_plot of sales vs marketing_spend",
                        "anova: sales ~ quarter", "correlation_analysis"))
    },
    economics = {
      countries <- c("USA", "Germany", "Japan", "UK", "Canada")
      country <- countries[(i - 1L) %% 5L + 1L]
      year <- 2024L - (n %/% 5L) + (i - 1L) %/% 5L + 1L
      investment <- round(stats::rnorm(n, 22, 3), 2)
      gdp <- round(0.8 + 0.08 * investment + stats::rnorm(n, 0, 0.8), 2)
      unemployment <- round(pmax(1.5, 7 - 0.5 * gdp + stats::rnorm(n, 0, 0.7)), 2)
      list(data = data.frame(year = year, gdp_growth = gdp, unemployment = unemployment,
                             investment = investment, country = country, stringsAsFactors = FALSE),
           description = "A country-year panel: GDP growth (%), unemployment (%) and investment (% of GDP) for five countries; unemployment falls as growth rises (Okun's law)",
           measured = c("gdp_growth", "unemployment", "investment"),
           analyses = c("panel_regression: gdp_growth ~ investment with entity_id country and time_id year",
                        "linear_model: unemployment ~ gdp_growth", "correlation_heatmap"))
    },
    customers = {
      age <- as.integer(round(pmin(80, pmax(18, stats::rnorm(n, 42, 13)))))
      tenure <- as.integer(round(stats::runif(n, 1, 72)))
      contract <- sample(c("Month-to-month", "One year", "Two year"), n, replace = TRUE,
                         prob = c(0.5, 0.3, 0.2))
      monthly <- round(stats::runif(n, 20, 110), 2)
      total <- round(monthly * tenure, 2)
      logit <- 0.5 - 0.05 * tenure + 0.02 * (monthly - 65) +
        ifelse(contract == "Month-to-month", 1, ifelse(contract == "One year", -0.5, -1.5))
      churned <- as.integer(stats::runif(n) < stats::plogis(logit))
      list(data = data.frame(customer_id = i, age = age, tenure_months = tenure,
                             monthly_charges = monthly, total_charges = total, churned = churned,
                             contract_type = contract, stringsAsFactors = FALSE),
           description = "Subscription customers with tenure, charges, contract type and whether they churned (0/1); churn is likelier for short tenure, high charges and month-to-month contracts",
           measured = c("monthly_charges", "total_charges"),
           analyses = c("logistic_regression: churned ~ tenure_months + monthly_charges",
                        "decision_tree predicting churned", "chi_square_test of churned by contract_type",
                        "boxplot of monthly_charges by contract_type"))
    },
    timeseries = {
      trend <- 100 + 0.5 * i
      season <- 10 * sin(2 * pi * (i - 1) / 12)
      noise <- as.numeric(stats::arima.sim(list(ar = 0.5), n, sd = 3))
      list(data = data.frame(time = i, value = round(trend + season + noise, 2),
                             month = (i - 1L) %% 12L + 1L, year = 2000L + (i - 1L) %/% 12L),
           description = "A monthly series with a linear trend (+0.5 per month), yearly seasonality (amplitude 10) and AR(1) noise",
           measured = "value",
           analyses = c("decompose_timeseries with frequency 12", "arima_model with forecast_periods 12",
                        "stationarity_test", "time_series_plot"))
    },
    survey = {
      age <- as.integer(round(pmin(75, pmax(18, stats::rnorm(n, 40, 12)))))
      education <- sample(c("High School", "Bachelor", "Master", "PhD"), n, replace = TRUE,
                          prob = c(0.35, 0.35, 0.2, 0.1))
      income <- sample(c("Low", "Medium", "High"), n, replace = TRUE, prob = c(0.3, 0.45, 0.25))
      satisfaction <- as.integer(pmin(10, pmax(1, round(6 + (income == "High") - (income == "Low") +
                                                         stats::rnorm(n, 0, 1.5)))))
      frequency <- as.integer(stats::rpois(n, 1 + satisfaction / 2))
      list(data = data.frame(respondent_id = i, age = age, satisfaction = satisfaction,
                             purchase_frequency = frequency, education = education,
                             income_bracket = income, stringsAsFactors = FALSE),
           description = "Survey answers: satisfaction (1-10), purchases per month, education and income bracket; satisfaction is higher in higher income brackets and drives purchases",
           measured = c("satisfaction", "purchase_frequency"),
           analyses = c("frequency_table of education and income_bracket",
                        "anova: satisfaction ~ income_bracket",
                        "chi_square_test of education by income_bracket",
                        "correlation_analysis of satisfaction and purchase_frequency"))
    })
}
