#!/usr/bin/env bash
# CPU benchmarks against their peers, in one table: builds nanossl (Release, in
# build-bench/), runs bench_gemm (OpenBLAS measured in the same process), bench_conv,
# and the PyTorch peer (bench/peer_torch.py under jemalloc), then prints, per
# workload and thread count, GFLOP/s and the ratios nanossl/OpenBLAS and
# nanossl/PyTorch, and nanossl's fraction of the machine's fp32 peak at that thread
# count (bench_peak, measured first in the same run). Absolute numbers drift on shared
# machines; the ratios and fractions of peak are the figure.
#
#   bench/run_cpu.sh [--threads 1,2] [--min-seconds S] [--quick]
#   (--quick: 0.3 s per measurement instead of 1 s)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
threads="1,2"
min_seconds="1.0"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --min-seconds) min_seconds="$2"; shift 2 ;;
    --quick) min_seconds="0.3"; shift ;;
    *) echo "usage: $0 [--threads 1,2] [--min-seconds S] [--quick]" >&2; exit 2 ;;
  esac
done

"$root/scripts/setup.sh" --bench >&2
build="$root/build-bench"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
if ! { cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DNANOSSL_CUDA=OFF -DNANOSSL_TESTS=OFF &&
       cmake --build "$build" -j"$(nproc)" --target bench_gemm bench_conv bench_peak; } >"$out/build.log" 2>&1; then
  tail -30 "$out/build.log" >&2
  echo "build failed" >&2
  exit 1
fi

echo "# $(date -u +%FT%TZ) $(uname -n), $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# running bench_peak ..."
"$build/bench/bench_peak" --threads "$threads" >"$out/peak.txt"
grep -v '^RESULT' "$out/peak.txt"
echo "# running bench_gemm ..."
"$build/bench/bench_gemm" --tsv --threads "$threads" --min-seconds "$min_seconds" >"$out/gemm.txt" ||
  echo "# bench_gemm failed (exit $?)"
grep '^#' "$out/gemm.txt" || true
echo "# running bench_conv ..."
"$build/bench/bench_conv" --tsv --threads "$threads" --min-seconds "$min_seconds" >"$out/conv.txt" ||
  echo "# bench_conv failed (exit $?)"

jemalloc="$(ldconfig -p | awk '/libjemalloc\.so\.2/ && !found {print $NF; found = 1}')"
if [[ -z "$jemalloc" ]]; then echo "# libjemalloc.so.2 not found: PyTorch runs with glibc malloc"; fi
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "# running bench/peer_torch.py ..."
  LD_PRELOAD="$jemalloc" /usr/bin/python3 "$root/bench/peer_torch.py" --tsv \
    --threads "$threads" --min-seconds "$min_seconds" >"$out/torch.txt" ||
    echo "# peer_torch.py failed (exit $?)"
else
  echo "# PyTorch (python3-torch) not importable: no PyTorch column"
  printf 'bench\tshape\tthreads\ttorch_gflops\n' >"$out/torch.txt"
fi

/usr/bin/python3 - "$out" <<'PY'
import sys

out = sys.argv[1]
rows, torch, peak = [], {}, {}
for line in open(f"{out}/peak.txt"):  # "fp32 FMA (AVX-512)   <threads>   <GFLOP/s>"
    f = line.split()
    if line.startswith("fp32") and len(f) >= 2:
        peak[f[-2]] = float(f[-1])
for name in ("gemm.txt", "conv.txt"):
    for line in open(f"{out}/{name}"):
        f = line.rstrip("\n").split("\t")
        if line.startswith("#") or f[0] == "bench" or len(f) < 5:
            continue
        rows.append((f[0], f[1], f[2], float(f[3]), float(f[4]) if f[4] else 0.0))
for line in open(f"{out}/torch.txt"):
    f = line.rstrip("\n").split("\t")
    if f[0] != "bench" and len(f) == 4:
        torch[(f[0], f[1], f[2])] = float(f[3])

def ratio(a, b):
    return f"{a / b:.2f}" if b > 0 else "-"

def value(x):
    return f"{x:.1f}" if x > 0 else "-"

print(f"{'bench':<5} {'shape':<20} {'thr':>3} {'nanossl':>8} {'%peak':>6} {'OpenBLAS':>9} {'ns/OB':>6} "
      f"{'PyTorch':>8} {'ns/PT':>6}   (GFLOP/s; %peak: of the fp32 FMA peak at that thread count)")
for bench, shape, threads, ours, openblas in rows:
    pt = torch.get((bench, shape, threads), 0.0)
    share = f"{100 * ours / peak[threads]:.0f}%" if threads in peak else "-"
    print(f"{bench:<5} {shape:<20} {threads:>3} {ours:>8.1f} {share:>6} {value(openblas):>9} "
          f"{ratio(ours, openblas):>6} {value(pt):>8} {ratio(ours, pt):>6}")
PY
