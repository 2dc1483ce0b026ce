#!/usr/bin/env bash
# The progress line (CTest label: integration), on the smoke pretraining:
#   NANOSSL_PROGRESS=line rewrites one live line in place ('\r', the text, clear to
#   the end of line), keeps each epoch's end on a line of its own, and ends with a
#   newline and the command's final line; NANOSSL_PROGRESS=plain, and output to a
#   file without it, print the plain lines of every log_every steps and no '\r';
#   metrics.csv does not depend on the mode; feature extraction (knn) shows the
#   live line, or one line per split in plain mode; another value is refused.
# Usage: cli_progress.sh NANOSSL_BINARY WORK_DIR
set -euo pipefail
nanossl=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
fail() { echo "$*" >&2; exit 1; }
run=(pretrain --preset pretrain-smoke --set log_every=4)  # 16 steps: log points 4, 8 (epoch end), 12, 16 (end)
# What a terminal would show: each line's text after its last '\r'.
visible() { awk -F'\r' '{ print $NF }' "$1" | sed 's/\x1b\[K//g'; }

NANOSSL_PROGRESS=line "$nanossl" "${run[@]}" --out "$work/line" > "$work/line.log"
grep -q $'\r' "$work/line.log" || fail "line mode: no '\\r' rewrite"
grep -q $'\x1b\\[K' "$work/line.log" || fail "line mode: no clear-to-end-of-line"
test "$(tail -c 1 "$work/line.log" | od -An -c | tr -d ' ')" = '\n' || fail "line mode: the output does not end with a newline"
tail -n 1 "$work/line.log" | grep -q '^pretraining done in .*kNN top-1' || fail "line mode: the last line is not the final one"
# only the two epoch ends stay on screen, each with the percent done and the kNN monitor
test "$(visible "$work/line.log" | grep -c '^epoch ')" -eq 2 || fail "line mode: not one kept line per epoch"
visible "$work/line.log" | grep -q '^epoch 1  step 8/16 (50%)  loss .*  kNN ' || fail "line mode: no first epoch's end"
visible "$work/line.log" | grep -q '^epoch 2  step 16/16 (100%)  loss .* img/s  ETA .*  kNN ' || fail "line mode: no final state"
echo "line mode: live rewrites, the epoch ends kept, a newline and the final line last"

NANOSSL_PROGRESS=plain "$nanossl" "${run[@]}" --out "$work/plain" > "$work/plain.log"
"$nanossl" "${run[@]}" --out "$work/file" > "$work/file.log"  # not a terminal: plain
for log in plain file; do
  if grep -q $'\r' "$work/$log.log"; then fail "$log: a '\\r' in plain mode"; fi
  test "$(grep -c '^epoch [0-9]*  step [0-9]*/16  loss ' "$work/$log.log")" -eq 4 || fail "$log: not one line per log_every steps"
done
grep -q '^epoch 1  step 12/16  loss ' "$work/plain.log"
# the mode changes the screen, not the run: the same steps, losses and metrics
diff <(cut -d, -f1-5 "$work/line/metrics.csv") <(cut -d, -f1-5 "$work/plain/metrics.csv")
echo "plain mode: the log lines of every log_every steps, no '\\r'; metrics.csv as in line mode"

knn=(knn --set dataset=shapes:256 --set knn.k=10)
NANOSSL_PROGRESS=line "$nanossl" "${knn[@]}" --encoder "$work/line" --out "$work/knn-line" > "$work/knn-line.log"
grep -q $'\rfeatures of shapes (test): 256/256 images (100%)' "$work/knn-line.log" || fail "knn: no live feature line"
NANOSSL_PROGRESS=plain "$nanossl" "${knn[@]}" --encoder "$work/plain" --out "$work/knn-plain" > "$work/knn-plain.log"
if grep -q $'\r' "$work/knn-plain.log"; then fail "knn: a '\\r' in plain mode"; fi
test "$(grep -c '^features of shapes (t[a-z]*): 256/256 images (100%) .* in ' "$work/knn-plain.log")" -eq 2 ||
  fail "knn: not one line per extracted split"
echo "feature extraction: a live line, or one line per split"

if NANOSSL_PROGRESS=fancy "$nanossl" "${run[@]}" --out "$work/fancy" > "$work/fancy.log" 2>&1; then
  fail "NANOSSL_PROGRESS=fancy was accepted"
fi
grep -q 'NANOSSL_PROGRESS=fancy: expected line or plain' "$work/fancy.log"
test ! -e "$work/fancy" || fail "a refused NANOSSL_PROGRESS still started a run"
echo "a bad NANOSSL_PROGRESS is refused before any work"
