#!/usr/bin/env bash
# Training-step throughput against PyTorch, measured in the same run: builds
# bench_train_step (Release, CPU, in build-bench/), then for each task (supervised,
# simclr, moco, byol) and base width runs nanossl and bench/peer_torch_train.py (under
# jemalloc, PyTorch's faster configuration here), alternating, and prints images/s
# and the ratio nanossl/PyTorch, and nanossl's GFLOP/s (FLOPs counted from the layer
# shapes, bench/flops.h) as a fraction of the machine's fp32 peak, measured first in
# the same run by bench_peak. MoCo and BYOL have no PyTorch peer: their peer is
# nanossl's SimCLR step at the same width and repeat (list simclr before them), so
# their ratio is their speed relative to SimCLR's. Absolute numbers drift on shared machines; the ratios and
# fractions of peak are the figure.
#
#   bench/run_train.sh [--tasks supervised,simclr,moco,byol] [--widths 16,64] [--batch 128]
#                      [--channels 3] [--steps 8] [--repeats 2]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tasks="supervised,simclr,moco,byol" widths="16,64" batch=128 channels=3 steps=8 repeats=2
while [[ $# -gt 0 ]]; do
  case "$1" in
    --tasks) tasks="$2"; shift 2 ;;
    --widths) widths="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --channels) channels="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --repeats) repeats="$2"; shift 2 ;;
    *) echo "usage: $0 [--tasks supervised,simclr,moco,byol] [--widths 16,64] [--batch N] [--channels C] [--steps N] [--repeats N]" >&2
       exit 2 ;;
  esac
done

"$root/scripts/setup.sh" --bench >&2
build="$root/build-bench"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! { cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DNANOSSL_CUDA=OFF -DNANOSSL_TESTS=OFF &&
       cmake --build "$build" -j"$(nproc)" --target bench_train_step bench_peak; } >"$log" 2>&1; then
  tail -30 "$log" >&2
  echo "build failed" >&2
  exit 1
fi
jemalloc="$(ldconfig -p | awk '/libjemalloc\.so\.2/ && !found {print $NF; found = 1}')"
[[ -n "$jemalloc" ]] || echo "# libjemalloc.so.2 not found: PyTorch runs with glibc malloc"
have_torch=no
/usr/bin/python3 -c 'import torch' 2>/dev/null && have_torch=yes

rate() { sed -n 's/^RESULT [a-z]* images_per_s=\([0-9.]*\).*/\1/p'; }
field() { sed -n "s/^RESULT .* $1=\([0-9.]*\).*/\1/p"; }
echo "# $(date -u +%FT%TZ) $(uname -n), $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
peak_out=$("$build/bench/bench_peak" --threads "$(nproc)")
grep '^#' <<<"$peak_out"
peak=$(field fp32_gflops <<<"$peak_out")
echo "# fp32 peak on $(nproc) threads (register-only FMA loop): $peak GFLOP/s"
echo "# ResNet-18 CIFAR stem, ${channels}x32x32, batch $batch (SimCLR: two views of each), $steps timed steps"
echo "# peer: PyTorch for supervised and simclr; nanossl's own SimCLR step for moco and byol"
printf '%-10s %5s %6s %10s %10s %7s %9s %7s\n' task width repeat nanossl peer ratio GFLOP/s %peak
declare -A simclr_rate
for task in ${tasks//,/ }; do
  for width in ${widths//,/ }; do
    for repeat in $(seq "$repeats"); do
      args=(--task "$task" --width "$width" --batch "$batch" --channels "$channels" --steps "$steps")
      result=$("$build/bench/bench_train_step" "${args[@]}")
      ours=$(rate <<<"$result")
      gflops=$(field gflops <<<"$result")
      theirs=-
      if [[ "$task" == simclr ]]; then simclr_rate["$width.$repeat"]=$ours; fi
      if [[ "$task" == moco || "$task" == byol ]]; then
        # no peer: the figure is the rate against SimCLR's step measured in this run
        theirs=${simclr_rate["$width.$repeat"]:--}
      elif [[ "$have_torch" == yes ]]; then
        theirs=$(LD_PRELOAD="$jemalloc" /usr/bin/python3 "$root/bench/peer_torch_train.py" "${args[@]}" --threads "$(nproc)" | rate)
      fi
      ratio=$(python3 -c "import sys; a, b = sys.argv[1:]; print(f'{float(a) / float(b):.2f}' if b != '-' else '-')" "$ours" "$theirs")
      share=$(python3 -c "import sys; print(f'{100 * float(sys.argv[1]) / float(sys.argv[2]):.0f}%')" "$gflops" "$peak")
      printf '%-10s %5s %6s %10s %10s %7s %9s %7s\n' "$task" "$width" "$repeat" "$ours" "$theirs" "$ratio" "$gflops" "$share"
    done
  done
done
