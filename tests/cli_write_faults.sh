#!/usr/bin/env bash
# Write failures lose nothing, end to end (CTest label: integration). A run whose
# k-th write fails (NANOSSL_FAIL_WRITE, base/file_write.h; or a real full tmpfs)
# must exit non-zero naming the file and "No space left on device", keep its
# previous checkpoint, and `--resume` must end with byte-identical weights, the
# same per-step losses and the same result.json as a run done straight.
# Usage: cli_write_faults.sh NANOSSL_BINARY WORK_DIR [injected|tmpfs]
#   injected (default): the fault hook, for train and pretrain;
#   tmpfs: a tiny tmpfs that fills up, then read-only; exits 77 (skipped) where
#   mounting is refused.
set -euo pipefail
nanossl=$1
work=$2
mode=${3:-injected}
umount "$work/tmpfs" 2>/dev/null || true  # left mounted by a test that was killed
rm -rf "$work"
mkdir -p "$work"
final=checkpoints/step-000000020/model.safetensors
losses() { cut -d, -f1-5 "$1/metrics.csv"; }
result() { grep -v '"seconds_this_process"' "$1/result.json"; }

# Expects the command (after the name) to fail with every given text in its output.
expect_failure() {  # name, texts (separated by |), then the command's arguments
  local name=$1 texts=$2
  shift 2
  if "$@" > "$work/$name.log" 2>&1; then
    echo "$name: the run succeeded despite the write fault"; cat "$work/$name.log"; exit 1
  fi
  local text
  IFS='|' read -ra parts <<< "$texts"
  for text in "${parts[@]}"; do
    grep -qF -- "$text" "$work/$name.log" || { echo "$name: no '$text' in:"; cat "$work/$name.log"; exit 1; }
  done
  grep -F "nanossl:" "$work/$name.log" | head -1
}

# The resumed run ends as the straight one did.
expect_same_as() {  # reference dir, run dir
  cmp "$1/$final" "$2/$final"
  diff <(losses "$1") <(losses "$2")
  diff <(result "$1") <(result "$2")
  if ls -a "$2/checkpoints" | grep -q '^\.tmp-'; then echo "$2: a .tmp- directory was left"; exit 1; fi
}

mnt=$work/tmpfs
if [ "$mode" = tmpfs ]; then
  mkdir -p "$mnt"
  if ! mount -t tmpfs -o size=64m tmpfs "$mnt" 2> "$work/mount.log"; then
    echo "SKIP: cannot mount a tmpfs here ($(cat "$work/mount.log")); the injected-fault test covers the same paths"
    exit 77
  fi
  trap 'umount "$mnt" 2>/dev/null || true' EXIT
fi

"$nanossl" train --preset train-smoke --out "$work/straight" > "$work/straight.log"

if [ "$mode" = tmpfs ]; then
  # Room for two checkpoints and a half, in pages: the third (step 9, while 3 and 6
  # are kept) runs out of space.
  pages=0
  for f in "$work/straight/checkpoints/step-000000020/"*; do pages=$((pages + ($(stat -c %s "$f") + 4095) / 4096)); done
  size=$(( (pages * 5 / 2 + 16) * 4096 ))
  mount -o remount,size=$size "$mnt"
  run=$mnt/run
  expect_failure tmpfs-full "[train] step 9: the checkpoint was not written|No space left on device|checkpoints up to step 6 are intact|--resume $run" \
    "$nanossl" train --preset train-smoke --out "$run"
  test -d "$run/checkpoints/step-000000006"
  # Now fill the disk to the last byte: even config.json cannot be written.
  dd if=/dev/zero of="$mnt/filler" bs=4096 2> /dev/null || true
  expect_failure tmpfs-config "$run/config.json|No space left on device" "$nanossl" train --resume "$run"
  rm "$mnt/filler"
  # A read-only file system: refused at the first file opened for writing.
  mount -o remount,ro "$mnt"
  expect_failure tmpfs-readonly "$run/.lock|Read-only file system" "$nanossl" train --resume "$run"
  mount -o remount,rw,size=64m "$mnt"
  "$nanossl" train --resume "$run" > "$work/tmpfs-resume.log"
  grep -q "resuming from $run/checkpoints/step-000000006" "$work/tmpfs-resume.log"
  expect_same_as "$work/straight" "$run"
  echo "tmpfs ($size bytes): stopped at step 9 naming the file, then refused full and read-only; resumed from step 6 with room: identical"
  exit 0
fi

# Fails the k-th write of the paths containing TEXT (fault = k[:ERRNO]@TEXT), then resumes.
fault_then_resume() {  # name, fault, expected texts, resumed-from checkpoint
  local name=$1 fault=$2 texts=$3 from=$4
  NANOSSL_FAIL_WRITE=$fault expect_failure "$name" "$texts" "$nanossl" train --preset train-smoke --out "$work/$name"
  "$nanossl" train --resume "$work/$name" > "$work/$name-resume.log"
  grep -q "resuming from $work/$name/checkpoints/$from" "$work/$name-resume.log" ||
    { echo "$name: did not resume from $from"; cat "$work/$name-resume.log"; exit 1; }
  expect_same_as "$work/straight" "$work/$name"
  echo "$name ($fault): stopped, resumed from $from: identical"
}

# Checkpoints at steps 3, 6, 9, ..., 18 and 20 (the final one).
fault_then_resume model-file 1@step-000000006/model \
  "[train] step 6: the checkpoint was not written|.tmp-step-000000006/model.safetensors|No space left on device|checkpoints up to step 3 are intact" step-000000003
fault_then_resume state-file 3@step-000000012/state \
  ".tmp-step-000000012/state.safetensors|No space left on device|checkpoints up to step 9 are intact" step-000000009
# metrics.csv: write 1 is its header, write k+1 the row of step k.
fault_then_resume metrics-row 6@metrics.csv \
  "[train] step 5: metrics.csv was not written|/metrics.csv: write failed: No space left on device|checkpoints up to step 3 are intact" step-000000003
fault_then_resume result-json 1@result.json \
  "the run finished but result.json was not written|/result.json.tmp-|No space left on device|--resume" step-000000020

# Before any checkpoint: nothing to resume, and the message says to start again.
NANOSSL_FAIL_WRITE=2:EIO@step-000000003/model expect_failure first-checkpoint \
  "step 3: the checkpoint was not written|Input/output error|No checkpoint had been written" \
  "$nanossl" train --preset train-smoke --out "$work/first-checkpoint"
NANOSSL_FAIL_WRITE=1@config.json expect_failure config "$work/config/config.json|No space left on device" \
  "$nanossl" train --preset train-smoke --out "$work/config"
NANOSSL_FAIL_WRITE=x expect_failure bad-variable "NANOSSL_FAIL_WRITE='x'" \
  "$nanossl" train --preset train-smoke --out "$work/bad-variable"
echo "no checkpoint yet, config.json, a malformed NANOSSL_FAIL_WRITE: refused with the reason"

# pretrain shares the loop: one fault inside a checkpoint, then resume.
"$nanossl" pretrain --preset pretrain-smoke --out "$work/pretrain-straight" > "$work/pretrain-straight.log"
NANOSSL_FAIL_WRITE=2@step-000000006/state expect_failure pretrain \
  "[pretrain] step 6: the checkpoint was not written|No space left on device|checkpoints up to step 3 are intact" \
  "$nanossl" pretrain --preset pretrain-smoke --out "$work/pretrain"
"$nanossl" pretrain --resume "$work/pretrain" > "$work/pretrain-resume.log"
pfinal=checkpoints/step-000000016/model.safetensors
cmp "$work/pretrain-straight/$pfinal" "$work/pretrain/$pfinal"
diff <(losses "$work/pretrain-straight") <(losses "$work/pretrain")
diff <(result "$work/pretrain-straight") <(result "$work/pretrain")
echo "pretrain (2@step-000000006/state): stopped, resumed: identical"
