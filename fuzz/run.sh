#!/usr/bin/env bash
# Builds the libFuzzer targets (clang++ -fsanitize=fuzzer,address,undefined, the
# engine sources each target needs compiled in directly) into build-fuzz/, writes
# a seed corpus, and runs each target in turn.
#
#   fuzz/run.sh [SECONDS | --runs N | --build-only] [TARGET...]
#
# SECONDS (default 60) runs each target for that long (-max_total_time); --runs N
# runs each for N executions instead (-runs, the long run: fuzz/run.sh --runs
# 1000000 safetensors); --build-only builds and writes the seeds, runs nothing.
# Builds are incremental (an object or binary older than its source, any header
# of the tree or this script is rebuilt). Targets: png jpeg idx cifar safetensors config (default:
# all). The corpus grows in build-fuzz/corpus/TARGET, crash inputs land in
# build-fuzz/artifacts/TARGET/, the log in build-fuzz/fuzz_TARGET.log; a line per
# target gives runs, seconds, exec/s and corpus size. Exit status 1 if any target
# failed. CXX_FUZZ picks the compiler, FUZZ_JOBS the parallel compiles (default
# 1), FUZZ_OUT the directory (default build-fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
limit=(-max_total_time=60)
what="60 s"
build_only=0
if [ "${1:-}" = "--build-only" ]; then
  build_only=1
  shift
elif [ "${1:-}" = "--runs" ]; then
  [[ "${2:-}" =~ ^[0-9]+$ ]] || { echo "usage: fuzz/run.sh [SECONDS | --runs N | --build-only] [TARGET...]" >&2; exit 2; }
  limit=(-runs="$2")
  what="$2 runs"
  shift 2
elif [[ "${1:-}" =~ ^[0-9]+$ ]]; then
  limit=(-max_total_time="$1")
  what="$1 s"
  shift
fi
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(png jpeg idx cifar safetensors config)
for target in "${targets[@]}"; do
  [ -f "fuzz/fuzz_$target.cpp" ] || { echo "fuzz/run.sh: unknown target '$target'" >&2; exit 2; }
done
cxx=${CXX_FUZZ:-$(command -v clang++-14 || command -v clang++)}
parallel=${FUZZ_JOBS:-1}
out=${FUZZ_OUT:-build-fuzz}
obj="$out/obj"
mkdir -p "$obj"
[ "$parallel" -ge 1 ] 2>/dev/null || parallel=1

# The engine sources of each target (compiled once into build-fuzz/obj, shared).
data_sources=(data/codec.cpp data/png.cpp data/jpeg.cpp data/idx.cpp data/cifar.cpp data/image.cpp data/label_hierarchy.cpp)
checkpoint_sources=(nn/safetensors.cpp nn/checkpoint.cpp tensor/creation.cpp tensor/device.cpp tensor/print.cpp
                    tensor/random.cpp tensor/storage.cpp tensor/tensor.cpp base/dtype.cpp base/shape.cpp
                    cuda/no_cuda.cpp cpu/allocator.cpp)
config_sources=(commands/presets.cpp commands/run_config.cpp)
shared_sources=(base/file_write.cpp)  # every target's: the data and checkpoint writers use it
sources_of() {
  case "$1" in
    png | jpeg | idx | cifar) echo "${data_sources[@]}" "${shared_sources[@]}" ;;
    safetensors) echo "${checkpoint_sources[@]}" "${shared_sources[@]}" ;;
    config) echo "${config_sources[@]}" "${shared_sources[@]}" ;;
    *) echo "fuzz/run.sh: unknown target '$1'" >&2; return 1 ;;
  esac
}
# -gline-tables-only: file and line in reports, at a fraction of -g's compile time.
flags=(-std=c++20 -O1 -gline-tables-only -I. -I/usr/include/stb -DNANOSSL_PRESET_DIR="\"$PWD/presets\""
       -fsanitize=address,undefined -fno-sanitize-recover=undefined)
libs=(-lz -lturbojpeg)
# stb_image (inside png.cpp) memcpy()s a zero-length IDAT chunk from a null buffer:
# undefined by the letter of C, harmless, and not ours to change.
extra_flags_of() { [ "$1" = data/png.cpp ] && echo -fno-sanitize=nonnull-attribute || true; }

# Runs "$@" in the background, at most $parallel at a time; a failure leaves $out/.failed.
rm -f "$out/.failed"
spawn() {
  while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do sleep 0.1; done
  ( "$@" || { echo "== failed: $*" >&2; touch "$out/.failed"; } ) &
}
finish() {
  wait
  if [ -e "$out/.failed" ]; then echo "== $1 failed"; exit 1; fi
}

# Objects carry coverage instrumentation (fuzzer-no-link); make_seeds links them too.
all_sources=("${data_sources[@]}" "${checkpoint_sources[@]}" "${config_sources[@]}" "${shared_sources[@]}")
object_of() { echo "$obj/$(echo "${1%.cpp}" | tr / _).o"; }
objects_of() { for src in "$@"; do object_of "$src"; done; }
headers=$(git ls-files '*.h' 2>/dev/null || true)
# True when OUTPUT is missing or older than one of INPUTS, any header, or this
# script (which holds the flags): coarse, but safe.
stale() {
  local output=$1
  shift
  [ ! -f "$output" ] || [ -n "$(find "$@" $headers fuzz/run.sh -newer "$output" -print -quit 2>/dev/null)" ]
}
stale=0
for src in "${all_sources[@]}"; do
  o=$(object_of "$src")
  if stale "$o" "$src"; then
    [ $stale -eq 0 ] && echo "== compiling engine sources"
    stale=$((stale + 1))
    spawn "$cxx" "${flags[@]}" $(extra_flags_of "$src") -fsanitize=fuzzer-no-link -c "$src" -o "$o"
  fi
done
finish "compiling the engine sources"

echo "== building make_seeds and the targets: ${targets[*]}"
if stale "$out/make_seeds" fuzz/make_seeds.cpp $(objects_of "${all_sources[@]}"); then
  spawn "$cxx" "${flags[@]}" fuzz/make_seeds.cpp $(objects_of "${all_sources[@]}") "${libs[@]}" -o "$out/make_seeds"
fi
for target in "${targets[@]}"; do
  read -r -a sources <<<"$(sources_of "$target")"
  if stale "$out/fuzz_$target" "fuzz/fuzz_$target.cpp" $(objects_of "${sources[@]}"); then
    spawn "$cxx" "${flags[@]}" -fsanitize=fuzzer "fuzz/fuzz_$target.cpp" $(objects_of "${sources[@]}") "${libs[@]}" \
      -o "$out/fuzz_$target"
  fi
done
finish "building the targets"
"$out/make_seeds" "$out/seeds" >/dev/null
[ $build_only -eq 1 ] && exit 0

status=0
for target in "${targets[@]}"; do
  mkdir -p "$out/corpus/$target" "$out/artifacts/$target"
  echo "== fuzz_$target: running for $what"
  log="$out/fuzz_$target.log"
  start=$(date +%s)
  if ! "$out/fuzz_$target" "${limit[@]}" -rss_limit_mb=2048 -max_len=65536 -timeout=10 -print_final_stats=1 \
      -artifact_prefix="$out/artifacts/$target/" "$out/corpus/$target" "$out/seeds/$target" 2>"$log"; then
    echo "== fuzz_$target: FAILED, see $log and $out/artifacts/$target/"
    status=1
  fi
  seconds=$(( $(date +%s) - start ))
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  echo "== fuzz_$target: ${runs:-?} runs in ${seconds} s (${rate:-?} exec/s), corpus $(ls "$out/corpus/$target" | wc -l) files," \
       "crashes $(ls "$out/artifacts/$target" | wc -l)"
done
exit $status
