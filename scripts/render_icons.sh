#!/usr/bin/env bash
# Renders resources/icons/gpupoor.svg to the PNG sizes the package installs.
# Development only: the PNGs are committed, so building needs no converter.
# Needs ImageMagick's `convert` with SVG support (Debian: imagemagick).
set -euo pipefail

icons=$(cd "$(dirname "$0")/../resources/icons" && pwd)
command -v convert >/dev/null || {
  echo "render_icons: ImageMagick's convert is missing; install it with: apt-get install imagemagick" >&2
  exit 1
}

for size in 48 128 256; do
  # Rasterize at 4x the target size, then scale down, for smooth edges.
  density=$((72 * size * 4 / 256))
  convert -background none -density "$density" "$icons/gpupoor.svg" -resize "${size}x${size}" \
    -depth 8 -strip -define png:exclude-chunks=date,time "$icons/gpupoor-$size.png"
  echo "render_icons: wrote $icons/gpupoor-$size.png"
done
