//! The analysis prompts (`prompts/list`, `prompts/get`): five workflow
//! templates, with the reference server's names and arguments and our own
//! text, each walking a model through this server's tools step by step.
//! Served on every transport. Arguments with a small set of sensible values
//! (model types, frequencies, yes/no flags, example datasets) complete.

use futures::future::BoxFuture;
use rmcp::model::{GetPromptResult, Prompt, PromptArgument};
use serde_json::{json, Map, Value};

use super::{PromptProvider, ProviderError};

/// One argument: name, description, required.
type Argument = (&'static str, &'static str, bool);

struct Template {
    name: &'static str,
    title: &'static str,
    description: &'static str,
    arguments: &'static [Argument],
}

const TEMPLATES: &[Template] = &[
    Template {
        name: "model_diagnostic_workflow",
        title: "Model diagnostics",
        description: "Check a fitted model's assumptions step by step (residuals, influence, fit) and decide what to change",
        arguments: &[
            ("model_type", "Kind of model: linear, logistic, panel, iv, arima, tree, forest", true),
            ("focus_areas", "What to look at most closely, e.g. \"heteroskedasticity, outliers\"", false),
        ],
    },
    Template {
        name: "panel_regression",
        title: "Panel regression",
        description: "Plan and run a fixed- or random-effects regression on panel data (entities observed over time)",
        arguments: &[
            ("target", "The outcome column", true),
            ("predictors", "Predictor columns, comma-separated", true),
            ("panel_id", "Column identifying the entity (firm, country, person)", true),
            ("time_id", "Column identifying the period", true),
            ("model_type", "within (fixed effects), random, pooling or between; default within", false),
            ("dataset_description", "What the data is and where it comes from", true),
        ],
    },
    Template {
        name: "regression_diagnostics",
        title: "Regression with diagnostics",
        description: "Fit a linear regression and check it properly: data checks, the fit, residual plots, outliers, and an interpretation",
        arguments: &[
            ("target", "The outcome column", true),
            ("predictors", "Predictor columns, comma-separated", true),
            ("dataset_description", "What the data is and where it comes from", true),
            ("include_interactions", "Also try interactions between predictors (true/false)", false),
        ],
    },
    Template {
        name: "statistical_workflow",
        title: "Statistical analysis workflow",
        description: "A complete analysis from loading and checking the data to tests, models and a written summary",
        arguments: &[
            ("dataset_name", "The dataset: a file path, an example dataset (sales, economics, customers, timeseries, survey) or a name for data you will paste", true),
            ("analysis_goals", "The questions the analysis should answer", true),
            ("variables_of_interest", "Columns to focus on, comma-separated", false),
        ],
    },
    Template {
        name: "time_series_forecast",
        title: "Time series forecast",
        description: "Explore, test and model a time series, then forecast it with uncertainty",
        arguments: &[
            ("variable_name", "The series to forecast", true),
            ("periods_ahead", "How many periods to forecast (default 12)", false),
            ("frequency", "Observations per cycle or a name: monthly (12), quarterly (4), weekly (52), daily (7)", false),
            ("dataset_description", "What the series measures and where it comes from", true),
            ("include_seasonality", "Model seasonality (true/false, default true)", false),
        ],
    },
];

/// The server's workflow prompts.
#[derive(Debug, Default, Clone, Copy)]
pub struct AnalysisPrompts;

impl AnalysisPrompts {
    pub fn new() -> AnalysisPrompts {
        AnalysisPrompts
    }
}

fn template(name: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|template| template.name == name)
}

/// The arguments as strings: required ones present and non-empty, no
/// unknown names.
fn arguments(
    template: &Template,
    given: &Map<String, Value>,
) -> Result<Vec<(&'static str, String)>, ProviderError> {
    if let Some(unknown) = given
        .keys()
        .find(|key| !template.arguments.iter().any(|(name, _, _)| name == key))
    {
        let known: Vec<&str> = template
            .arguments
            .iter()
            .map(|(name, _, _)| *name)
            .collect();
        return Err(ProviderError::InvalidParams(format!(
            "prompt {} has no argument \"{unknown}\"; its arguments are {}",
            template.name,
            known.join(", ")
        )));
    }
    let mut out = Vec::new();
    for (name, _, required) in template.arguments {
        let value = match given.get(*name) {
            Some(Value::String(text)) => text.trim().to_string(),
            Some(Value::Number(number)) => number.to_string(),
            Some(Value::Bool(flag)) => flag.to_string(),
            _ => String::new(),
        };
        if value.is_empty() && *required {
            return Err(ProviderError::InvalidParams(format!(
                "prompt {} needs the argument \"{name}\"",
                template.name
            )));
        }
        out.push((*name, value));
    }
    Ok(out)
}

fn get<'a>(values: &'a [(&'static str, String)], name: &str) -> &'a str {
    values
        .iter()
        .find(|(key, _)| *key == name)
        .map_or("", |(_, value)| value.as_str())
}

fn yes(value: &str, default: bool) -> bool {
    match value.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" | "on" => true,
        "false" | "no" | "0" | "off" => false,
        _ => default,
    }
}

/// The prompt text for `template` with `values`.
fn render(template: &Template, values: &[(&'static str, String)]) -> String {
    let v = |name: &str| get(values, name);
    match template.name {
        "model_diagnostic_workflow" => {
            let focus = if v("focus_areas").is_empty() {
                "all assumptions equally".to_string()
            } else {
                v("focus_areas").to_string()
            };
            format!(
                "I have fitted a {model} model and want to know whether I can trust it. Focus: {focus}.\n\n\
                 Work through these checks with the rmcp tools, reporting what each shows before moving on:\n\
                 1. Data: run validate_data on the model's columns (analysis_type regression, or classification for a 0/1 outcome) and data_info for types and missing values.\n\
                 2. Fit: refit the model with the matching tool (linear_model, logistic_regression, panel_regression, instrumental_variables, arima_model, decision_tree or random_forest) and note the fit statistics.\n\
                 3. Residuals: for regression models run regression_plot with residual_plots true; look for curvature (a missing term), funnels (heteroskedasticity) and heavy tails (normality_test on the residuals).\n\
                 4. Influence: run outlier_detection on the outcome and the main predictors; refit without the worst points and compare coefficients.\n\
                 5. Specification: use validate_formula to try alternatives (logs, polynomials, interactions) and compare them honestly.\n\n\
                 Finish with a short verdict: which assumptions hold, which do not, and what to change.",
                model = v("model_type"),
            )
        }
        "panel_regression" => {
            let model = if v("model_type").is_empty() {
                "within"
            } else {
                v("model_type")
            };
            format!(
                "Data: {description}\nOutcome: {target}. Predictors: {predictors}. Entity: {panel}. Period: {time}.\n\n\
                 Plan and run a panel regression with the rmcp tools:\n\
                 1. Check the panel with data_info and validate_data: each ({panel}, {time}) pair should appear once; note gaps (an unbalanced panel is fine, but say so).\n\
                 2. Describe {target} and the predictors with summary_stats, and plot {target} over {time} for a few entities (time_series_plot).\n\
                 3. Fit panel_regression with formula \"{target} ~ {predictors_formula}\", entity_id \"{panel}\", time_id \"{time}\" and model \"{model}\".\n\
                 4. Compare with the other estimators (pooling, random, within) and explain which the data supports and why (fixed effects when entity traits may correlate with the predictors).\n\
                 5. Interpret the coefficients as within-entity changes (for fixed effects), with their uncertainty, and list the limitations.",
                description = v("dataset_description"),
                target = v("target"),
                predictors = v("predictors"),
                predictors_formula = formula_terms(v("predictors")),
                panel = v("panel_id"),
                time = v("time_id"),
            )
        }
        "regression_diagnostics" => {
            let interactions = if yes(v("include_interactions"), false) {
                format!(
                    "\n5. Interactions: also fit \"{} ~ {}\" (use * between the predictors you expect to interact) and compare adjusted R² and the interaction terms' p-values.",
                    v("target"),
                    v("predictors")
                        .split(',')
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .collect::<Vec<_>>()
                        .join(" * ")
                )
            } else {
                String::new()
            };
            format!(
                "Data: {description}\nModel {target} from {predictors}.\n\n\
                 Use the rmcp tools in this order and report each result:\n\
                 1. validate_data (analysis_type regression) and summary_stats on {target} and the predictors; correlation_analysis among the predictors to spot collinearity.\n\
                 2. validate_formula with \"{target} ~ {predictors_formula}\" against the data.\n\
                 3. linear_model with that formula: coefficients with confidence, R², the F test.\n\
                 4. regression_plot with residual_plots true, normality_test on the residuals and outlier_detection on {target}.{interactions}\n\n\
                 Finish with an interpretation a non-statistician can follow: direction and size of each effect, how sure we are, and what the diagnostics say about trusting it.",
                description = v("dataset_description"),
                target = v("target"),
                predictors = v("predictors"),
                predictors_formula = formula_terms(v("predictors")),
            )
        }
        "statistical_workflow" => {
            let focus = if v("variables_of_interest").is_empty() {
                "every column".to_string()
            } else {
                v("variables_of_interest").to_string()
            };
            format!(
                "Dataset: {dataset}. Goals: {goals}. Focus on {focus}.\n\n\
                 Run a complete analysis with the rmcp tools:\n\
                 1. Load: read_csv, read_excel or read_json for a file in the server's folders; load_example for an example dataset (sales, economics, customers, timeseries, survey).\n\
                 2. Understand: data_info, then summary_stats and frequency_table; validate_data for the analysis you plan.\n\
                 3. Clean if needed: filter_data for subsets and missing values, winsorize or standardize for extreme or differently scaled columns.\n\
                 4. Explore: histogram, boxplot, scatter_plot and correlation_heatmap for the focus columns.\n\
                 5. Test and model to answer each goal: t_test, anova or chi_square_test for differences; correlation_analysis; linear_model or logistic_regression (build_formula turns a sentence into a formula).\n\
                 6. Check the models (regression_plot, normality_test) and say how much the conclusions depend on the assumptions.\n\n\
                 End with a summary that answers each goal in plain words, with the key numbers.",
                dataset = v("dataset_name"),
                goals = v("analysis_goals"),
            )
        }
        _ => {
            let periods = if v("periods_ahead").is_empty() {
                "12"
            } else {
                v("periods_ahead")
            };
            let frequency = frequency_number(v("frequency")).unwrap_or(12);
            let seasonal = yes(v("include_seasonality"), true);
            format!(
                "Series: {variable} — {description}. Forecast {periods} periods ahead; {frequency} observations per cycle.\n\n\
                 Use the rmcp tools step by step:\n\
                 1. Plot the series with time_series_plot (show_trend true) and describe trend, level shifts and outliers.\n\
                 2. {seasonal_step}\n\
                 3. Test stationarity with stationarity_test (adf, then kpss to confirm); difference the series (difference) if it is not stationary.\n\
                 4. Fit arima_model with forecast_periods {periods}{seasonal_note}; compare it with a simpler model by AIC.\n\
                 5. Check the residuals: normality_test, and whether they still show a pattern.\n\n\
                 Present the forecast with its 95% interval, say how far ahead it is reliable, and list what could break it.",
                variable = v("variable_name"),
                description = v("dataset_description"),
                seasonal_step = if seasonal {
                    format!("Decompose it with decompose_timeseries (frequency {frequency}) and judge how strong the seasonal part is.")
                } else {
                    "Treat the series as non-seasonal; check with decompose_timeseries only if the plot suggests cycles.".to_string()
                },
                seasonal_note = if seasonal {
                    format!(" (let it choose seasonal terms, or pass seasonal with period {frequency})")
                } else {
                    String::new()
                },
            )
        }
    }
}

/// "a, b , c" → "a + b + c".
fn formula_terms(predictors: &str) -> String {
    predictors
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Observations per cycle from a number or a name.
fn frequency_number(text: &str) -> Option<u32> {
    match text.trim().to_ascii_lowercase().as_str() {
        "monthly" | "month" => Some(12),
        "quarterly" | "quarter" => Some(4),
        "weekly" | "week" => Some(52),
        "daily" | "day" => Some(7),
        "hourly" | "hour" => Some(24),
        "yearly" | "annual" | "year" => Some(1),
        other => other.parse().ok().filter(|n| *n > 0),
    }
}

impl PromptProvider for AnalysisPrompts {
    fn prompts(&self) -> Vec<Prompt> {
        let mut prompts: Vec<Prompt> = TEMPLATES
            .iter()
            .map(|template| {
                let arguments = template
                    .arguments
                    .iter()
                    .map(|(name, description, required)| {
                        PromptArgument::new(*name)
                            .with_description(*description)
                            .with_required(*required)
                    })
                    .collect();
                let mut prompt =
                    Prompt::new(template.name, Some(template.description), Some(arguments));
                prompt.title = Some(template.title.to_string());
                prompt
            })
            .collect();
        prompts.sort_by(|a, b| a.name.cmp(&b.name));
        prompts
    }

    fn get<'a>(
        &'a self,
        name: &'a str,
        given: Map<String, Value>,
    ) -> Option<BoxFuture<'a, Result<GetPromptResult, ProviderError>>> {
        let template = template(name)?;
        let result = arguments(template, &given).and_then(|values| {
            let text = render(template, &values);
            serde_json::from_value(json!({
                "description": template.description,
                "messages": [{"role": "user", "content": {"type": "text", "text": text}}],
            }))
            .map_err(|error| ProviderError::Internal(format!("cannot build the prompt: {error}")))
        });
        Some(Box::pin(std::future::ready(result)))
    }

    fn complete(&self, name: &str, argument: &str, value: &str) -> Option<Vec<String>> {
        template(name)?;
        let candidates: &[&str] = match (name, argument) {
            ("model_diagnostic_workflow", "model_type") => &[
                "linear", "logistic", "panel", "iv", "arima", "var", "tree", "forest",
            ],
            ("model_diagnostic_workflow", "focus_areas") => &[
                "heteroskedasticity",
                "normality of residuals",
                "outliers and influence",
                "multicollinearity",
                "functional form",
                "autocorrelation",
            ],
            ("panel_regression", "model_type") => &["within", "random", "pooling", "between"],
            ("time_series_forecast", "frequency") => &[
                "monthly",
                "quarterly",
                "weekly",
                "daily",
                "yearly",
                "12",
                "4",
                "52",
                "7",
            ],
            ("time_series_forecast", "periods_ahead") => &["6", "12", "24", "36"],
            (_, "include_seasonality" | "include_interactions") => &["true", "false"],
            ("statistical_workflow", "dataset_name") => {
                &["sales", "economics", "customers", "timeseries", "survey"]
            }
            _ => &[],
        };
        let typed = value.to_ascii_lowercase();
        Some(
            candidates
                .iter()
                .filter(|candidate| candidate.to_ascii_lowercase().starts_with(&typed))
                .map(|candidate| candidate.to_string())
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_prompts_with_the_reference_arguments() {
        let prompts = AnalysisPrompts.prompts();
        let names: Vec<&str> = prompts.iter().map(|p| p.name.as_ref()).collect();
        assert_eq!(
            names,
            [
                "model_diagnostic_workflow",
                "panel_regression",
                "regression_diagnostics",
                "statistical_workflow",
                "time_series_forecast"
            ]
        );
        let panel = &prompts[1];
        let required: Vec<&str> = panel
            .arguments
            .iter()
            .flatten()
            .filter(|a| a.required == Some(true))
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(
            required,
            [
                "target",
                "predictors",
                "panel_id",
                "time_id",
                "dataset_description"
            ]
        );
    }

    #[test]
    fn rendering_uses_the_arguments_and_refuses_missing_ones() {
        let mut given = Map::new();
        given.insert("target".into(), json!("mpg"));
        given.insert("predictors".into(), json!("wt, hp"));
        given.insert("dataset_description".into(), json!("cars"));
        given.insert("include_interactions".into(), json!("yes"));
        let template = template("regression_diagnostics").expect("template");
        let text = render(template, &arguments(template, &given).expect("valid"));
        assert!(text.contains("\"mpg ~ wt + hp\""), "{text}");
        assert!(text.contains("mpg ~ wt * hp"), "{text}");
        given.remove("target");
        assert!(arguments(template, &given).is_err());
        given.insert("bogus".into(), json!("x"));
        assert!(arguments(template, &given).is_err());
    }

    #[test]
    fn completion_filters_by_prefix() {
        let values = AnalysisPrompts
            .complete("time_series_forecast", "frequency", "q")
            .expect("known prompt");
        assert_eq!(values, ["quarterly"]);
        assert!(AnalysisPrompts.complete("nope", "x", "").is_none());
    }
}
