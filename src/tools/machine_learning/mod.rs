//! The machine learning tools: one file per tool.

tool_files! {
    decision_tree,
    kmeans_clustering,
    random_forest,
}
