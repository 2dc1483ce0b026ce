#!/usr/bin/env bash
# CI's short fuzzing run: every target of fuzz/run.sh, builds included, within
# BUDGET seconds (default 180). It builds first (all cores), then gives each of
# the six targets an equal share of what is left, at most 20 s and at least 5 s
# (so on a machine that builds very slowly it may run over). Skips, with a message
# and exit status 0, when no clang++ that links libFuzzer (-fsanitize=fuzzer) is
# installed; fails when a target finds a crash (the input is then in
# build-fuzz/artifacts/TARGET/).
set -euo pipefail
cd "$(dirname "$0")/.."
budget=${1:-180}
targets=(png jpeg idx cifar safetensors config)
cxx=${CXX_FUZZ:-$(command -v clang++-14 || command -v clang++ || true)}
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf '%s\n' '#include <cstddef>' '#include <cstdint>' \
  'extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t) { return 0; }' >"$probe/probe.cpp"
if [ -z "$cxx" ] || ! "$cxx" -fsanitize=fuzzer,address,undefined "$probe/probe.cpp" -o "$probe/probe" 2>/dev/null; then
  echo "fuzz/ci.sh: skipped: no clang++ with libFuzzer (-fsanitize=fuzzer) found${cxx:+ ($cxx cannot link it)}"
  exit 0
fi
export CXX_FUZZ=$cxx FUZZ_JOBS=${FUZZ_JOBS:-$(nproc)}
start=$(date +%s)
fuzz/run.sh --build-only "${targets[@]}"
built=$(( $(date +%s) - start ))
# About 2 s of each target's run is start-up and the final report, beyond -max_total_time.
seconds=$(( (budget - built) / ${#targets[@]} - 2 ))
[ $seconds -gt 20 ] && seconds=20
[ $seconds -lt 5 ] && seconds=5
echo "fuzz/ci.sh: built in ${built} s; ${seconds} s per target"
fuzz/run.sh "$seconds" "${targets[@]}"
echo "fuzz/ci.sh: all targets passed, $(( $(date +%s) - start )) s in all"
