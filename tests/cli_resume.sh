#!/usr/bin/env bash
# Exact resume and predict, end to end (CTest label: integration). Three runs of the smoke
# preset must end with byte-identical weights and identical per-step losses:
#   A: 20 steps straight;
#   B: stopped after 7 steps, then `--resume` in a new process;
#   C: killed with SIGKILL at a random moment (possibly while writing a
#      checkpoint), then `--resume` from the last complete checkpoint.
# Usage: cli_resume.sh NANOSSL_BINARY WORK_DIR
set -euo pipefail
nanossl=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
final=checkpoints/step-000000020/model.safetensors
losses() { cut -d, -f1-5 "$1/metrics.csv"; }

"$nanossl" train --preset train-smoke --out "$work/a" > "$work/a.log"
"$nanossl" train --preset train-smoke --out "$work/b" --set stop_after_steps=7 > "$work/b1.log"
"$nanossl" train --resume "$work/b" > "$work/b2.log"
cmp "$work/a/$final" "$work/b/$final"
diff <(losses "$work/a") <(losses "$work/b")
echo "stop + resume: identical weights and losses"

# predict: the logits of every test image, as .npy (128-byte header + N x C floats)
"$nanossl" predict --checkpoint "$work/a" --dataset shapes:320 --split test --out "$work/a/logits.npy" > "$work/p.log"
test "$(stat -c %s "$work/a/logits.npy")" -eq $((128 + 320 * 32 * 4))
"$nanossl" predict --checkpoint "$work/a" --dataset shapes:320 --out "$work/a/logits.csv" > "$work/p2.log"
test "$(wc -l < "$work/a/logits.csv")" -eq 321
echo "predict: logits of 320 images x 32 classes as .npy and .csv"

# Kill at a random moment of a longer run (80 steps, checkpoints every 3 steps),
# compared with the same run done straight. Retried if the run finished first.
long=(--preset train-smoke --set epochs=8)
"$nanossl" train "${long[@]}" --out "$work/long" > "$work/long.log"
killed=no
for attempt in 1 2 3 4 5; do
  rm -rf "$work/c"
  "$nanossl" train "${long[@]}" --out "$work/c" > "$work/c1.log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null && ! ls "$work/c/checkpoints" 2>/dev/null | grep -q '^step-'; do sleep 0.01; done
  sleep "0.$((RANDOM % 30 + 1))"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ ! -d "$work/c/checkpoints/step-000000080" ]; then killed=yes; break; fi
done
[ "$killed" = yes ] || { echo "the run always finished before the kill" >&2; exit 1; }
echo "killed after: $(ls -a "$work/c/checkpoints" | tr '\n' ' ')"
"$nanossl" train --resume "$work/c" > "$work/c2.log"
long_final=checkpoints/step-000000080/model.safetensors
cmp "$work/long/$long_final" "$work/c/$long_final"
diff <(losses "$work/long") <(losses "$work/c")
echo "SIGKILL + resume: identical weights and losses"
