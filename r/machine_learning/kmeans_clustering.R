# kmeans_clustering: stats::kmeans on the scale()d complete cases of the
# chosen numeric variables, run under a fixed seed (123, as in the
# reference) so the same data always give the same clusters; the global RNG
# state is restored afterwards. Silhouette: mean silhouette width from
# cluster::silhouette on the Euclidean distances of the scaled data.
# converged: the best start needed fewer than max_iter iterations.
# cluster_assignments are for the complete cases, in row order.
tool_kmeans_clustering <- function(args) {
  data <- rmcp_plot_table(args$data)
  variables <- args$variables
  if (is.null(variables)) {
    rmcp_plot_stop("variables", "is required", sprintf("name numeric columns to cluster on, from: %s",
                                                       rmcp_plot_quote(names(data))))
  }
  if (!is.character(variables) || !length(variables) || anyNA(variables)) {
    rmcp_plot_stop("variables", "must be an array of column names",
                   sprintf("name numeric columns from: %s", rmcp_plot_quote(names(data))))
  }
  variables <- unique(variables)
  rmcp_plot_require_columns(data, variables, "variables")
  if (is.null(args$k)) rmcp_plot_stop("k", "is required", "pass the number of clusters (2 to 20)")
  k <- rmcp_plot_int(args$k, "k", 3L, 2L, 20L)
  max_iter <- rmcp_plot_int(args$max_iter, "max_iter", 100L, 1L)
  nstart <- rmcp_plot_int(args$nstart, "nstart", 25L, 1L)
  x <- vapply(variables, function(v) rmcp_plot_numeric(data, v, "variables"), numeric(nrow(data)))
  if (!is.matrix(x)) x <- matrix(x, ncol = length(variables), dimnames = list(NULL, variables))
  x <- x[stats::complete.cases(x), , drop = FALSE]
  n <- nrow(x)
  if (n <= k) {
    rmcp_plot_stop("data", sprintf("has %d complete rows for %d clusters", n, k),
                   "pass more rows than clusters (rows with a missing value are dropped) or lower k")
  }
  for (v in variables) rmcp_plot_require_varying(x[, v], v, "variables", "clustering on scaled values")
  scaled <- scale(x)
  distinct <- nrow(unique(scaled))
  if (distinct < k) {
    rmcp_plot_stop("k", sprintf("is %d but the data have only %d distinct points", k, distinct),
                   "choose k no larger than the number of distinct rows")
  }
  km <- rmcp_with_seed(123L, stats::kmeans(scaled, centers = k, iter.max = max_iter, nstart = nstart))
  sil <- cluster::silhouette(km$cluster, stats::dist(scaled))
  silhouette_score <- mean(sil[, 3L])
  centers <- km$centers
  explained <- km$betweenss / km$totss * 100
  result <- list(
    cluster_assignments = I(unname(as.integer(km$cluster))),
    cluster_centers = stats::setNames(lapply(seq_len(ncol(centers)), function(j) I(unname(centers[, j]))),
                                      variables),
    cluster_sizes = stats::setNames(as.list(as.integer(km$size)), as.character(seq_len(k))),
    within_ss = I(km$withinss),
    total_within_ss = km$tot.withinss,
    between_ss = km$betweenss,
    total_ss = km$totss,
    variance_explained = explained,
    silhouette_score = silhouette_score,
    k = k,
    variables = I(variables),
    n_obs = n,
    converged = km$iter < max_iter
  )
  result[["_formatting"]] <- sprintf(
    paste0("**K-means clustering**, k = %d on %d observations (%s, scaled)\n\n",
           "Cluster sizes: %s\n\nVariance explained (between / total SS): %s%%; ",
           "mean silhouette width: %s%s"),
    k, n, paste(variables, collapse = ", "), paste(km$size, collapse = ", "),
    rmcp_plot_fmt(explained, 3L), rmcp_plot_fmt(silhouette_score, 3L),
    if (km$iter < max_iter) "" else sprintf("\n\nDid not converge within %d iterations.", max_iter))
  result
}
