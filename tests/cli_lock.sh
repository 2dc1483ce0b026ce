#!/usr/bin/env bash
# One writer per run directory (CTest label: integration): while a training run
# holds DIR, a second train on DIR and a --resume of it are refused at once, naming
# the holder's PID; after the holder is killed with SIGKILL, --resume starts (a dead
# process's lock blocks nobody). A second study on a study's directory is refused too.
# Usage: cli_lock.sh NANOSSL_BINARY WORK_DIR
set -euo pipefail
nanossl=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
run="$work/run"

"$nanossl" train --preset train-smoke --set epochs=400 --set checkpoint_every=5 --out "$run" > "$work/first.log" 2>&1 &
holder=$!
trap 'kill -9 $holder 2>/dev/null || true' EXIT
for _ in $(seq 200); do  # until the first checkpoint exists (the run holds its lock by then)
  ls "$run"/checkpoints/step-* > /dev/null 2>&1 && break
  sleep 0.1
done
ls "$run"/checkpoints/step-* > /dev/null

for attempt in "train --preset train-smoke --out $run" "train --resume $run"; do
  if $nanossl $attempt > "$work/second.log" 2>&1; then
    echo "'$attempt' ran beside the holder"; cat "$work/second.log"; exit 1
  fi
  grep -q "is in use by process $holder" "$work/second.log" || { echo "no PID in:"; cat "$work/second.log"; exit 1; }
done
echo "a second writer is refused, naming PID $holder"

kill -9 "$holder"
wait "$holder" 2>/dev/null || true
# stop_after_steps=1: stop at once, at the resumed step, with a checkpoint.
"$nanossl" train --resume "$run" --set stop_after_steps=1 > "$work/resume.log" 2>&1
grep -q "resuming from" "$work/resume.log" || { echo "resume after SIGKILL did not start:"; cat "$work/resume.log"; exit 1; }
echo "after SIGKILL of the holder, --resume takes the directory"

# The same for a study directory.
"$nanossl" study quantity --preset smoke --out "$work/study" > "$work/study1.log" 2>&1 &
holder=$!
for _ in $(seq 200); do
  [ -s "$work/study/.lock" ] && break
  sleep 0.1
done
if "$nanossl" study quantity --preset smoke --out "$work/study" > "$work/study2.log" 2>&1; then
  echo "a second study ran beside the first"; cat "$work/study2.log"; exit 1
fi
grep -q "is in use by process $holder" "$work/study2.log" || { echo "no PID in:"; cat "$work/study2.log"; exit 1; }
kill -9 "$holder"
echo "a second study on the same directory is refused"
