#!/usr/bin/env bash
# SimCLR end to end (CTest label: integration), on the smoke presets:
#   pretrain 16 steps straight, and stopped after 5 + --resume in a new process:
#   byte-identical weights and identical per-step losses; the kNN monitor is logged;
#   then linear (with a random-encoder baseline and a concatenation), knn and
#   finetune from the pretrained encoder each write their result.json;
#   then MoCo v2 and BYOL (pretrain-smoke-moco, -byol): the same stop + resume check
#   (their momentum network, queue and schedule position live in the checkpoint),
#   and linear, knn and finetune read their encoder.
# Usage: cli_ssl.sh NANOSSL_BINARY WORK_DIR
set -euo pipefail
nanossl=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
final=checkpoints/step-000000016/model.safetensors
losses() { cut -d, -f1-5 "$1/metrics.csv"; }
# a top-level number of a result.json (written with an indent of 2)
number() { sed -n "s/^  \"$2\": \([-0-9.e+]*\),\{0,1\}$/\1/p" "$1"; }

"$nanossl" pretrain --preset pretrain-smoke --out "$work/a" > "$work/a.log"
"$nanossl" pretrain --preset pretrain-smoke --out "$work/b" --set stop_after_steps=5 > "$work/b1.log"
"$nanossl" pretrain --resume "$work/b" > "$work/b2.log"
cmp "$work/a/$final" "$work/b/$final"
diff <(losses "$work/a") <(losses "$work/b")
echo "pretrain stop + resume: identical weights and losses"
# the kNN monitor ran at the end of both epochs
test "$(awk -F, 'NR > 1 && $7 != ""' "$work/a/metrics.csv" | wc -l)" -eq 2

small=(--set dataset=shapes:256 --set probe.epochs=10)
"$nanossl" linear --encoder "$work/a" "${small[@]}" --out "$work/linear" > "$work/linear.log"
"$nanossl" linear --encoder random "${small[@]}" --set model.width=4 --out "$work/linear_random" > "$work/lr.log"
"$nanossl" linear --encoder "$work/a" --encoder2 random "${small[@]}" --set model.width=4 --out "$work/concat" \
  > "$work/concat.log"
test "$(number "$work/concat/result.json" feature_dim)" -eq 64
"$nanossl" knn --encoder "$work/a" --set dataset=shapes:256 --set knn.k=10 --out "$work/knn" > "$work/knn.log"
"$nanossl" finetune --encoder "$work/a" --preset train-smoke --set epochs=1 --out "$work/finetune" > "$work/ft.log"
grep -q "fine-tuning from the encoder of $work/a/checkpoints/step-000000016" "$work/ft.log"
for run in linear linear_random concat knn finetune; do
  top1=$(number "$work/$run/result.json" test_top1)
  awk -v v="$top1" 'BEGIN { exit !(v != "" && v >= 0 && v <= 100) }'
  echo "$run: test top-1 $top1%"
done
# the features of the pretrained encoder were cached once per split
ls "$work/a/features/step-000000016/shapes_256-train.safetensors" "$work/a/features/step-000000016/shapes_256-test.safetensors"

for method in moco byol; do
  run="$work/$method"
  "$nanossl" pretrain --preset "pretrain-smoke-$method" --out "$run-a" > "$run-a.log"
  "$nanossl" pretrain --preset "pretrain-smoke-$method" --out "$run-b" --set stop_after_steps=5 > "$run-b1.log"
  "$nanossl" pretrain --resume "$run-b" > "$run-b2.log"
  cmp "$run-a/$final" "$run-b/$final"
  diff <(losses "$run-a") <(losses "$run-b")
  grep -q "\"method\": \"$method\"" "$run-a/result.json"
  # the extra state is in the checkpoint (the safetensors header names it)
  if [ "$method" = moco ]; then extra=(momentum.encoder.conv1.weight queue.keys queue.pointer); else extra=(target.encoder.conv1.weight predictor.0.weight); fi
  for name in "${extra[@]}"; do grep -aq "\"$name\"" "$run-a/$final" || { echo "$method: no $name in $final" >&2; exit 1; }; done
  echo "$method pretrain stop + resume: identical weights and losses"
  "$nanossl" linear --encoder "$run-a" "${small[@]}" --out "$run-linear" > "$run-linear.log"
  "$nanossl" knn --encoder "$run-a" --set dataset=shapes:256 --set knn.k=10 --out "$run-knn" > "$run-knn.log"
  "$nanossl" finetune --encoder "$run-a" --preset train-smoke --set epochs=1 --out "$run-finetune" > "$run-ft.log"
  for eval in linear knn finetune; do
    top1=$(number "$run-$eval/result.json" test_top1)
    awk -v v="$top1" 'BEGIN { exit !(v != "" && v >= 0 && v <= 100) }'
    echo "$method $eval: test top-1 $top1%"
  done
done
