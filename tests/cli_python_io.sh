#!/usr/bin/env bash
# python/nanossl_io.py against the binary, end to end (CTest label: integration): a tiny
# supervised run on a CIFAR-format dataset written by Python (so both sides see the
# same bytes), `nanossl predict` on its test split, then tests/python_io_check.py:
#   numpy: read_config/read_metrics/read_result/read_checkpoint against what the binary
#          printed and wrote, error messages, and a float64 numpy ResNet-18 against
#          predict's logits (max |a-b| / max |b| <= 1e-5);
#   torch: torchvision_resnet's logits against predict's (same bound), and a pretraining
#          run's encoder; exits 77 (skipped) without torch or torchvision.
# Both need Debian's /usr/bin/python3 with numpy (77 without it).
# Usage: cli_python_io.sh NANOSSL_BINARY WORK_DIR numpy|torch
set -euo pipefail
nanossl=$1
work=$2
mode=$3
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3
if ! "$python" -c "import numpy" 2>/dev/null; then
  echo "SKIP: $python with numpy is missing (apt-get install python3-numpy)"
  exit 77
fi
if [ "$mode" = torch ] && ! "$python" -c "import torch, torchvision" 2>/dev/null; then
  echo "SKIP: $python lacks torch or torchvision (apt-get install python3-torch python3-torchvision)"
  exit 77
fi
rm -rf "$work"
mkdir -p "$work"

"$python" "$here/python_io_check.py" data "$work/data"
"$nanossl" train --preset train-smoke --set "dataset=cifar10:$work/data" --out "$work/run" > "$work/train.log"
"$nanossl" predict --checkpoint "$work/run" --dataset "cifar10:$work/data" --split test --out "$work/logits.npy" > "$work/predict.log"
cat "$work/predict.log"
if [ "$mode" = numpy ]; then
  "$python" "$here/python_io_check.py" numpy "$work/run" "$work/data" "$work/logits.npy" "$work/train.log"
else
  "$nanossl" pretrain --preset pretrain-smoke --set "dataset=cifar10:$work/data" --set epochs=1 \
    --out "$work/pretrain" > "$work/pretrain.log"
  "$python" "$here/python_io_check.py" torch "$work/run" "$work/data" "$work/logits.npy" "$work/pretrain"
fi
