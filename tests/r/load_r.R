# Loads the repository's r/ into one environment the way the embedded engine
# does (r/common/ first, then every tool script), for the development
# scripts beside this file that run tools in a plain Rscript.
#
# One difference is patched: rmcp_fmt() spells numbers through a native
# routine (rmcp_format_g, src/r/format.rs) that only the engine registers.
# A plain Rscript has no such routine, so here it is R's own sprintf("%.*g"),
# which the engine's routine matches (src/r/format.rs tests compare them),
# with "NA" for NaN as the routine gives.
rmcp_load_r <- function(root) {
  rdir <- file.path(root, "r")
  env <- new.env(parent = globalenv())
  common <- list.files(file.path(rdir, "common"), "\\.R$", full.names = TRUE)
  rest <- setdiff(list.files(rdir, "\\.R$", full.names = TRUE, recursive = TRUE), common)
  for (f in c(sort(common), sort(rest))) sys.source(f, envir = env)
  env$rmcp_fmt <- function(x, digits = 4L) {
    out <- sprintf(paste0("%.", as.integer(digits), "g"), as.double(x))
    out[is.na(x)] <- "NA"
    out
  }
  env
}
