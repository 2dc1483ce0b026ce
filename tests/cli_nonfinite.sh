#!/usr/bin/env bash
# A diverging run stops at the faulty step (CTest label: integration): supervised
# training and SimCLR at an absurd learning rate must exit non-zero at the first
# step whose loss or gradient is not finite, say which step and which parameter,
# and leave the checkpoints written before it complete (predict loads the newest);
# with detect_anomaly the message names the op that first produced the fault.
# Usage: cli_nonfinite.sh NANOSSL_BINARY WORK_DIR
set -euo pipefail
nanossl=$1
work=$2
rm -rf "$work"
mkdir -p "$work"

expect_fault() {  # name, then the command's arguments
  local name=$1
  shift
  if "$nanossl" "$@" --out "$work/$name" > "$work/$name.log" 2>&1; then
    echo "$name: a diverging run finished without an error"; cat "$work/$name.log"; exit 1
  fi
  if ! grep -Eq "step [0-9]+: the loss is .* and the first non-finite gradient is " "$work/$name.log"; then
    echo "$name: no numerical-fault message"; cat "$work/$name.log"; exit 1
  fi
  grep -E "non-finite" "$work/$name.log"
}

expect_fault train train --preset train-smoke --set optimizer.lr=1e12 --set checkpoint_every=1
grep -q "checkpoints up to step [0-9]* are intact" "$work/train.log"
"$nanossl" predict --checkpoint "$work/train" --dataset shapes:320 --split test --out "$work/logits.npy" > "$work/predict.log"
echo "train: stopped at the fault; its last checkpoint loads"

expect_fault pretrain pretrain --preset pretrain-smoke --set optimizer.lr=1e30
echo "pretrain: stopped at the fault"

# detect_anomaly re-runs the faulty step checking every op and names the first
# that produced a non-finite value (here: the weights went NaN at the step before,
# so the first convolution's forward is the culprit).
expect_fault anomaly train --preset train-smoke --set optimizer.lr=1e12 --set detect_anomaly=true
grep -q "anomaly mode: the forward of conv2d produced a non-finite value" "$work/anomaly.log"
echo "detect_anomaly: names the op"
