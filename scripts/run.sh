#!/usr/bin/env bash
# Sets up, builds and runs the main job: the paper's four studies on the built-in
# data, writing runs/study[-PRESET]/report.md.
#   scripts/run.sh            the quick preset: hours on 2 CPU cores (README gives the last measured time)
#   scripts/run.sh smoke      toy scale, a minute or two: the machinery, not the findings
#   scripts/run.sh PRESET [nanossl study options...]
# A killed run continues where it stopped when started again.
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-quick}"
shift || true
out="runs/study"
[[ "$preset" == quick ]] || out="runs/study-$preset"
scripts/setup.sh
scripts/build.sh
build/nanossl study all --preset "$preset" --out "$out" "$@"
echo "report: $out/report.md"
