//! The statistical tests tools: one file per tool.

tool_files! {
    anova,
    chi_square_test,
    normality_test,
    t_test,
}
