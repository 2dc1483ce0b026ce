#!/usr/bin/env bash
# One GPU session for nanossl on a machine with one NVIDIA GPU (written for an H200):
# CUDA build, the CUDA tests (and the unit, gradcheck and integration suites if time allows), then the
# ResNet-18 training-step benchmark against PyTorch, and a summary table.
#
#   bash bench/gpu/run.sh        (from anywhere; it works in the repository root)
#
# Logs and summary.md go to $OUT if set, else build-gpu/bench-out (7 files). Every
# stage runs under `timeout` within an overall budget of about 7.5 minutes, and a
# failed stage is recorded and the next one still runs. The exit status is 0 only
# if every stage passed.
#
# GoogleTest: used from the system if present; else `apt-get install libgtest-dev`
# is tried; else a GoogleTest source tree is built if one is found at
# $NANOSSL_GTEST_SRC, .devcarry/googletest or .gtest-src; else the tests are configured off
# (NANOSSL_TESTS=OFF) and the summary says so. A machine with no network needs the
# source brought along: on the build machine, `cp -r /usr/src/googletest .gtest-src`
# (libgtest-dev's sources, 4 MB; build-*/ and .gtest-src/ must be git-ignored so
# only what is asked for travels) and carry .gtest-src with the working tree.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
# Headers and libraries the GPU image lacks, gathered by bench/gpu/prepare_carry.sh.
if [ -d .devcarry ]; then
  export CPATH="$ROOT/.devcarry/include:$ROOT/.devcarry/include/stb${CPATH:+:$CPATH}"
  export LIBRARY_PATH="$ROOT/.devcarry/lib${LIBRARY_PATH:+:$LIBRARY_PATH}"
  export LD_LIBRARY_PATH="$ROOT/.devcarry/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export CMAKE_PREFIX_PATH="$ROOT/.devcarry${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
fi
BUILD=build-gpu
OUTDIR=${OUT:-$BUILD/bench-out}
mkdir -p "$OUTDIR" "$BUILD"
BUDGET_S=${NANOSSL_GPU_BUDGET_S:-440}  # all stages together; the build dominates
JOBS=16
STAGES=()    # "name|status|seconds" per stage
FAILED=0

log() { echo "[run.sh $(date +%H:%M:%S) +${SECONDS}s] $*"; }

# run_stage NAME MAX_SECONDS RESERVE_SECONDS LOGFILE COMMAND...
# Runs COMMAND with output appended to $OUTDIR/LOGFILE under a limit of MAX_SECONDS,
# cut so that RESERVE_SECONDS of the budget remain for the later stages.
run_stage() {
  local name=$1 max=$2 reserve=$3 logfile=$OUTDIR/$4
  shift 4
  local left=$((BUDGET_S - SECONDS - reserve))
  local limit=$((max < left ? max : left))
  if ((limit < 15)); then
    STAGES+=("$name|skipped (out of time)|0")
    log "$name: skipped, out of time"
    return 1
  fi
  log "$name (limit ${limit}s) -> $logfile"
  echo "=== $name: $* (limit ${limit}s)" >>"$logfile"
  local start=$SECONDS rc
  timeout --kill-after=10 "$limit" "$@" >>"$logfile" 2>&1
  rc=$?
  local took=$((SECONDS - start)) status
  if ((rc == 0)); then
    status=ok
  elif ((rc == 124 || rc == 137)); then
    status="TIMED OUT after ${limit}s"
    FAILED=1
  else
    status="FAILED (exit $rc)"
    FAILED=1
  fi
  STAGES+=("$name|$status|$took")
  log "$name: $status in ${took}s"
  tail -n 5 "$logfile" | sed 's/^/    /'
  return $rc
}

# ---- the machine: GPU, Python with torch, GoogleTest ----
SETUP=$OUTDIR/setup.log
: >"$SETUP"
GPU=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>>"$SETUP" | head -1)
GPU=${GPU:-"nvidia-smi failed"}
log "GPU: $GPU"
nvidia-smi >>"$SETUP" 2>&1
nvcc --version >>"$SETUP" 2>&1 || log "nvcc not on PATH (CMake looks in /usr/local/cuda/bin too)"
cmake --version | head -1 >>"$SETUP" 2>&1

PY=""
for candidate in python3 /usr/bin/python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
     timeout 90 "$candidate" -c "import torch" >>"$SETUP" 2>&1; then
    PY=$candidate
    break
  fi
done
log "python with torch: ${PY:-none}"

TESTS=ON
TEST_NOTE=""
GTEST_PREFIX=""
find_gtest() { find /usr /usr/local -name gtest.h -path '*gtest/gtest.h' 2>/dev/null | head -1; }
if [ -z "$(find_gtest)" ]; then
  log "gtest.h not found; trying apt-get install libgtest-dev"
  timeout 45 apt-get install -y libgtest-dev cmake >>"$SETUP" 2>&1 || true
fi
if [ -z "$(find_gtest)" ]; then
  GTEST_SRC=${NANOSSL_GTEST_SRC:-.gtest-src}
  [ -d .devcarry/googletest ] && [ -z "${NANOSSL_GTEST_SRC:-}" ] && GTEST_SRC=.devcarry/googletest
  if [ -f "$GTEST_SRC/CMakeLists.txt" ]; then
    log "building GoogleTest from $GTEST_SRC"
    GTEST_PREFIX=$ROOT/$BUILD/gtest-install
    if run_stage "build GoogleTest" 120 300 setup.log bash -c \
      "cmake -S '$GTEST_SRC' -B '$BUILD/gtest-build' -DCMAKE_BUILD_TYPE=Release -DBUILD_GMOCK=OFF \
         -DINSTALL_GTEST=ON -DCMAKE_INSTALL_PREFIX='$GTEST_PREFIX' &&
       cmake --build '$BUILD/gtest-build' -j$JOBS && cmake --install '$BUILD/gtest-build'"; then
      TEST_NOTE="GoogleTest built from $GTEST_SRC"
    else
      GTEST_PREFIX=""
    fi
  fi
  if [ -z "$GTEST_PREFIX" ]; then
    TESTS=OFF
    TEST_NOTE="no GoogleTest on this machine (no libgtest-dev, no network, no source tree): tests configured OFF"
  fi
else
  log "GoogleTest: $(find_gtest)"
fi
[ -n "$TEST_NOTE" ] && log "$TEST_NOTE"

# ---- configure and build ----
GENERATOR=()
KEEP_GOING=(-k)
if ! command -v make >/dev/null 2>&1 && command -v ninja >/dev/null 2>&1 &&
   [ ! -f "$BUILD/CMakeCache.txt" ]; then
  GENERATOR=(-G Ninja)
  KEEP_GOING=(-k 0)
fi
CONFIGURE=(cmake -S . -B "$BUILD" "${GENERATOR[@]}" -DNANOSSL_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90
  -DCMAKE_BUILD_TYPE=Release -DNANOSSL_BENCH=ON "-DNANOSSL_TESTS=$TESTS")
[ -n "$GTEST_PREFIX" ] && CONFIGURE+=(-DCMAKE_PREFIX_PATH="$GTEST_PREFIX")
run_stage configure 90 300 build.log "${CONFIGURE[@]}"
# Keep going past a broken file so everything else still gets built and run.
run_stage build 330 110 build.log cmake --build "$BUILD" -j$JOBS -- "${KEEP_GOING[@]}"

# ---- tests ----
if [ "$TESTS" = ON ]; then
  run_stage "ctest -L cuda" 120 90 test-cuda.log \
    ctest --test-dir "$BUILD" -L cuda --output-on-failure -j8 --timeout 60
  run_stage "ctest unit+gradcheck+integration" 120 90 test-all.log \
    ctest --test-dir "$BUILD" -L 'unit|gradcheck|integration' --output-on-failure -j$JOBS --timeout 60
else
  STAGES+=("tests|not built: $TEST_NOTE|0")
fi

# ---- the training-step benchmark: nanossl, then PyTorch ----
BENCH_BIN=$BUILD/bench/bench_gpu_train
if [ -x "$BENCH_BIN" ]; then
  run_stage "bench nanossl" 100 45 bench-nanossl.log "$BENCH_BIN" --device cuda --batch 256 --warmup 5 --steps 20
else
  STAGES+=("bench nanossl|not built|0")
  FAILED=1
fi
if [ -n "$PY" ]; then
  run_stage "bench PyTorch" 100 0 bench-torch.log \
    env PYTHONUNBUFFERED=1 "$PY" bench/gpu/torch_train.py --batch 256 --warmup 5 --steps 20
else
  STAGES+=("bench PyTorch|no python with torch|0")
  FAILED=1
fi

# ---- summary ----
result_field() {  # result_field LOGFILE FIELD -> value from the RESULT line, or "-"
  local value
  value=$(grep -h '^RESULT ' "$OUTDIR/$1" 2>/dev/null | tail -1 | tr ' ' '\n' | sed -n "s/^$2=//p")
  echo "${value:--}"
}
ctest_line() { grep -h 'tests passed' "$OUTDIR/$1" 2>/dev/null | tail -1; }

NS_IPS=$(result_field bench-nanossl.log images_per_s)
NS_MS=$(result_field bench-nanossl.log ms_per_step)
NS_MEM=$(result_field bench-nanossl.log peak_mib)
PT_IPS=$(result_field bench-torch.log images_per_s)
PT_MS=$(result_field bench-torch.log ms_per_step)
PT_MEM=$(result_field bench-torch.log peak_mib)
RATIO=$(awk -v a="$NS_IPS" -v b="$PT_IPS" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf "%.3f", a / b; else print "-" }')
MEM_RATIO=$(awk -v a="$NS_MEM" -v b="$PT_MEM" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf "%.2f", a / b; else print "-" }')
TORCH_VERSION=$(grep -ho '^torch [^ ]*' "$OUTDIR/bench-torch.log" 2>/dev/null | head -1)

SUMMARY=$OUTDIR/summary.md
{
  echo "# nanossl GPU run"
  echo
  echo "GPU: $GPU; $(date -u '+%Y-%m-%d %H:%M UTC'); total ${SECONDS}s"
  echo
  echo "ResNet-18 (CIFAR stem), batch 256 of 3x32x32, fp32 (TF32 off), forward + cross-entropy + backward + SGD step; 5 warm-up and 20 timed steps."
  echo
  echo "| engine | images/s | ms/step | peak memory (MiB) |"
  echo "|---|---:|---:|---:|"
  echo "| nanossl | $NS_IPS | $NS_MS | $NS_MEM |"
  echo "| PyTorch eager (${TORCH_VERSION:-torch}) | $PT_IPS | $PT_MS | $PT_MEM |"
  echo
  echo "nanossl / PyTorch throughput: **$RATIO**; peak memory nanossl / PyTorch: $MEM_RATIO"
  echo
  echo "| stage | status | seconds |"
  echo "|---|---|---:|"
  for entry in "${STAGES[@]}"; do
    IFS='|' read -r name status took <<<"$entry"
    echo "| $name | $status | $took |"
  done
  echo
  [ -n "$TEST_NOTE" ] && echo "Tests: $TEST_NOTE" && echo
  echo "ctest -L cuda: $(ctest_line test-cuda.log)"
  echo "ctest unit+gradcheck+integration: $(ctest_line test-all.log)"
  grep -h -A30 'tests failed out of' "$OUTDIR/test-cuda.log" "$OUTDIR/test-all.log" 2>/dev/null |
    grep -E '^\s+[0-9]+ - ' | sed 's/^/    failed: /'
} >"$SUMMARY"
echo
cat "$SUMMARY"
exit $FAILED
