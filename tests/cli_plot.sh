#!/usr/bin/env bash
# `nanossl plot` end to end (CTest label: integration): two tiny runs (a supervised
# and a SimCLR one, whose metrics.csv have different columns) drawn together give a
# PNG per metric; one run alone draws into RUN/plots; a missing run and a damaged
# metrics.csv are refused with the file and the line.
# Usage: cli_plot.sh NANOSSL_BINARY WORK_DIR
set -euo pipefail
nanossl=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
is_png() { test "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '211PNG' || { echo "$1 is not a PNG" >&2; exit 1; }; }

"$nanossl" train --preset train-smoke --set epochs=2 --out "$work/sup" > "$work/sup.log"
"$nanossl" pretrain --preset pretrain-smoke --set epochs=2 --out "$work/ssl" > "$work/ssl.log"
(cd "$work" && "$nanossl" plot sup ssl > plot.log)
# loss, lr and images/s are shared; train_acc only the supervised run's, positive_top1 only SimCLR's
for metric in loss lr images_per_s train_acc positive_top1; do is_png "$work/plots/$metric.png"; done
test "$(wc -l < "$work/plot.log")" -ge 5
# both runs are in the loss figure's data, under their names
grep -q '^# sup$' "$work/plots/loss.dat" && grep -q '^# ssl$' "$work/plots/loss.dat"
echo "plot of two runs: a PNG per metric, both runs in the shared ones"

"$nanossl" plot "$work/ssl" > "$work/one.log"
is_png "$work/ssl/plots/loss.png"
echo "plot of one run: RUN/plots"

if "$nanossl" plot "$work/nowhere" > "$work/missing.log" 2>&1; then echo "a missing run was plotted" >&2; exit 1; fi
grep -q "nowhere/metrics.csv" "$work/missing.log"
cp -r "$work/sup" "$work/bad"
echo "12,1,0.1,oops,5,100," >> "$work/bad/metrics.csv"
if "$nanossl" plot "$work/bad" > "$work/bad.log" 2>&1; then echo "a damaged metrics.csv was plotted" >&2; exit 1; fi
grep -q "bad/metrics.csv line [0-9]*, column loss: 'oops' is not a number" "$work/bad.log"
echo "a missing run and a damaged metrics.csv are refused with the file and the line"
