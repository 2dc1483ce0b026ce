#!/usr/bin/env bash
# Copies a study directory's results without its weights, small enough to commit:
#   scripts/keep_results.sh OUT DEST      e.g. runs/study docs/results/quick
# DEST gets report.md, study.json, the pinned presets, every table and plot, and of
# each run its config.json, result.json, metrics.csv and log (no checkpoints, no
# cached features). A
# study started on DEST (or on a copy of it) reuses every finished run, and trains
# an encoder again only where an evaluation still to run needs its weights
# (Study::restore_weights in studies/runner.cpp).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 OUT DEST" >&2; exit 2; }
out="${1%/}"
dest="${2%/}"
[ -f "$out/study.json" ] || { echo "keep_results: $out/study.json not found: not a study directory" >&2; exit 1; }
mkdir -p "$dest"
# Everything but checkpoints, the probes' cached features (both rebuilt on demand),
# the locks of runs and studies writing there, and the planner's scratch.
tar -C "$out" --exclude='./runs/*/checkpoints' --exclude='./runs/*/features' --exclude='.lock' --exclude='./.plan' \
  -cf - . | tar -C "$dest" -xf -
echo "kept $(find "$dest" -type f | wc -l) files, $(du -sh "$dest" | cut -f1), in $dest"
