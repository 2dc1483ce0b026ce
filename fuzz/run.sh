#!/usr/bin/env bash
# Builds the libFuzzer targets (clang++ -fsanitize=fuzzer,address, the data/
# sources compiled in directly) into build-fuzz/, writes a seed corpus, and runs
# each target for SECONDS seconds (default 60). Usage: fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(png jpeg idx cifar)
cxx=${CXX_FUZZ:-$(command -v clang++-14 || command -v clang++)}
out=build-fuzz
mkdir -p "$out"
sources=(data/codec.cpp data/png.cpp data/jpeg.cpp data/idx.cpp data/cifar.cpp data/image.cpp)
flags=(-std=c++20 -O1 -g -I. -I/usr/include/stb)
libs=(-lz -lturbojpeg)

"$cxx" "${flags[@]}" -fsanitize=address fuzz/make_seeds.cpp "${sources[@]}" "${libs[@]}" -o "$out/make_seeds"
"$out/make_seeds" "$out/seeds" >/dev/null
status=0
for target in "${targets[@]}"; do
  echo "== fuzz_$target: building"
  "$cxx" "${flags[@]}" -fsanitize=fuzzer,address "fuzz/fuzz_$target.cpp" "${sources[@]}" "${libs[@]}" \
    -o "$out/fuzz_$target"
  mkdir -p "$out/corpus/$target" "$out/artifacts/$target"
  echo "== fuzz_$target: running for ${seconds}s"
  if ! "$out/fuzz_$target" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 \
      -artifact_prefix="$out/artifacts/$target/" "$out/corpus/$target" "$out/seeds/$target" \
      2>"$out/fuzz_$target.log"; then
    echo "== fuzz_$target: FAILED, see $out/fuzz_$target.log and $out/artifacts/$target/"
    status=1
  fi
  grep -E "^#[0-9]+ *DONE|Done [0-9]+ runs" "$out/fuzz_$target.log" | tail -2 || true
done
exit $status
