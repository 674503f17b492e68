# Rendering plots to PNG bytes in memory, on a headless device.
#
# Every plot tool draws through rmcp_render_png(): it opens a file-backed PNG
# device in R's session temp directory, draws, always closes the device and
# removes the file (even when drawing fails), and returns the bytes as a raw
# vector. The engine turns raw vectors into base64 strings, so a tool puts the
# result in an `image_data` field and the server moves it into an MCP image
# block.

# Open a PNG device: ragg when present (better text), else cairo. No X11.
rmcp_png_device <- function(file, width, height, dpi) {
  if (requireNamespace("ragg", quietly = TRUE)) {
    ragg::agg_png(file, width = width, height = height, res = dpi, units = "px")
  } else {
    grDevices::png(file, width = width, height = height, res = dpi, type = "cairo")
  }
}

# Render `plot` (a ggplot object, or a function that draws with base graphics)
# to PNG bytes of `width` x `height` pixels at `dpi`.
rmcp_render_png <- function(plot, width = 800L, height = 600L, dpi = 96L) {
  width <- as.integer(width)
  height <- as.integer(height)
  if (is.na(width) || is.na(height) || width < 16L || height < 16L ||
      width > 8000L || height > 8000L) {
    stop("plot size must be between 16 and 8000 pixels on each side", call. = FALSE)
  }
  file <- tempfile("rmcp-plot-", fileext = ".png")
  device_before <- grDevices::dev.cur()
  rmcp_png_device(file, width, height, dpi)
  device <- grDevices::dev.cur()
  on.exit({
    if (device %in% grDevices::dev.list()) grDevices::dev.off(device)
    if (device_before > 1L && device_before %in% grDevices::dev.list()) {
      grDevices::dev.set(device_before)
    }
    unlink(file)
  }, add = TRUE)
  if (is.function(plot)) {
    plot()
  } else if (inherits(plot, c("gg", "ggplot", "grob", "gtable"))) {
    if (inherits(plot, c("grob", "gtable"))) grid::grid.draw(plot) else print(plot)
  } else {
    stop("rmcp_render_png() needs a ggplot object, a grid grob or a drawing function",
         call. = FALSE)
  }
  grDevices::dev.off(device)
  size <- file.size(file)
  if (is.na(size) || size == 0) stop("the plot device wrote no image", call. = FALSE)
  readBin(file, what = "raw", n = size)
}
