#!/usr/bin/env bash
# `make run`: opens the desktop app on the bundled demo model, or, with no
# display, runs the same comparison headless and writes the report and charts
# under build/run/.
set -euo pipefail

build_dir=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
app="$root/$build_dir/gui/gpupoor"
out="$root/$build_dir/run"
model="$root/resources/models/gpt2-demo"
prompts="$root/resources/prompts/default.txt"

if [[ -n "${DISPLAY:-}" || -n "${WAYLAND_DISPLAY:-}" ]]; then
  exec "$app"
fi

echo "run: no display found (DISPLAY and WAYLAND_DISPLAY are unset); running the comparison headless"
mkdir -p "$out"
"$app" compare --model "$model" --prompts "$prompts" --scheme w8a32 \
  --max-new-tokens 32 --report "$out/report.json" --charts "$out/charts"
echo "run: report: $out/report.json"
echo "run: charts: $out/charts/"
