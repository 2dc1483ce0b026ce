#!/usr/bin/env bash
# Clean stops (CTest label: integration). SIGINT (or SIGTERM) makes `train` finish
# the step in progress, write a checkpoint, print the resume command and exit with
# 128 + the signal; that checkpoint is byte-identical to one a straight run writes at
# the same step, and resuming from it continues exactly. A second SIGINT kills at once.
# Usage: cli_interrupt.sh NANOSSL_BINARY WORK_DIR
set -euo pipefail
nanossl=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
long=(--preset train-smoke --set epochs=400 --set checkpoint_every=1000)

# Starts a long run in the background and waits until it has taken a few steps.
start_long() {
  "$nanossl" train "${long[@]}" --set log_every=1 --out "$1" > "$1.log" 2>&1 &
  pid=$!
  for _ in $(seq 1200); do  # up to a minute on a loaded machine
    grep -q "step 3/" "$1.log" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "the run did not start"; cat "$1.log"; exit 1
}

for signal in INT TERM; do
  run="$work/$signal"
  start_long "$run"
  kill -"$signal" "$pid"
  status=0
  wait "$pid" || status=$?
  expected=$((128 + $(kill -l "$signal")))
  [ "$status" -eq "$expected" ] || { echo "SIG$signal: exit $status, expected $expected"; cat "$run.log"; exit 1; }
  grep -q "continue with: nanossl train --resume $run" "$run.log" || { echo "no resume command"; cat "$run.log"; exit 1; }
  step=$(sed -n 's/.*stopped after step \([0-9]*\) with a checkpoint.*/\1/p' "$run.log")
  [ -n "$step" ] || { echo "no stop step"; cat "$run.log"; exit 1; }
  echo "SIG$signal: stopped after step $step with a checkpoint, exit $status"
done

# The interrupted run's checkpoint is the one a straight run writes at that step, and
# resuming both for 3 more steps gives identical weights again.
run="$work/INT"
step=$(sed -n 's/.*stopped after step \([0-9]*\) with a checkpoint.*/\1/p' "$run.log")
"$nanossl" train "${long[@]}" --set stop_after_steps="$step" --out "$work/straight" > "$work/straight.log"
name=$(printf 'checkpoints/step-%09d/model.safetensors' "$step")
cmp "$run/$name" "$work/straight/$name"
"$nanossl" train --resume "$run" --set stop_after_steps=$((step + 3)) > "$work/resume1.log"
"$nanossl" train --resume "$work/straight" --set stop_after_steps=$((step + 3)) > "$work/resume2.log"
name=$(printf 'checkpoints/step-%09d/model.safetensors' $((step + 3)))
cmp "$run/$name" "$work/straight/$name"
echo "the interrupted run's checkpoint and its resume match a straight run"

# Two SIGINTs in a row: the second takes the default action at once (no clean stop).
# Steps of about a second (a wider network), so both signals land within one step;
# the pause keeps the kernel from merging them into one pending signal.
long+=(--set model.width=48 --set batch_size=128)
start_long "$work/twice"
kill -INT "$pid"
sleep 0.2
kill -INT "$pid"
status=0
wait "$pid" || status=$?
[ "$status" -eq 130 ] || { echo "second SIGINT: exit $status"; exit 1; }
if grep -q "stopped after step" "$work/twice.log"; then echo "the second SIGINT waited for the step"; exit 1; fi
echo "a second SIGINT exits at once"
