#!/usr/bin/env bash
# `cmake --install` end to end (CTest label: integration): installs this build
# into a temporary prefix and moves it (an install must not depend on where it was
# made), builds examples/ against it with find_package and again with pkg-config,
# runs both, and runs the installed program from elsewhere to see that it finds
# its installed presets. No absolute path of the build or source tree may remain
# in the installed CMake package or pkg-config file.
# Usage: install_consumer.sh CMAKE CXX BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
cmake=$1
cxx=$2
build=$3
source=$4
work=$5
rm -rf "$work"
mkdir -p "$work"

"$cmake" --install "$build" --prefix "$work/staged" > "$work/install.log"
mv "$work/staged" "$work/prefix"
prefix=$work/prefix
for file in bin/nanossl lib/libnanossl_core.a lib/libnanossl_commands.a include/nanossl/nn/resnet.h \
    include/nanossl/autograd/ops/conv.h include/nanossl/commands/presets.h share/nanossl/presets/train-smoke.json \
    share/doc/nanossl/README.md share/doc/nanossl/install.md lib/cmake/nanossl/nanosslConfig.cmake \
    lib/cmake/nanossl/nanosslConfigVersion.cmake lib/pkgconfig/nanossl.pc; do
  test -e "$prefix/$file" || { echo "not installed: $file" >&2; exit 1; }
done
# The libraries' folders and nothing else (not tests/, bench/, cli/, nor cuda/*.cuh).
folders=$(cd "$prefix/include/nanossl" && echo *)
test "$folders" = "autograd base commands cpu cuda data nn ssl studies tensor" ||
  { echo "installed header folders: $folders" >&2; exit 1; }
if find "$prefix/include" -name '*.cuh' | grep -q .; then echo "installed device-code headers" >&2; exit 1; fi
if grep -rn -e "$build" -e "$source" "$prefix/lib/cmake" "$prefix/lib/pkgconfig"; then
  echo "the installed package config names the build or source tree" >&2; exit 1
fi
echo "installed: program, presets, docs, libraries, headers, CMake package, nanossl.pc"

# find_package(nanossl) from the moved prefix; the example is one file.
"$cmake" -S "$source/examples" -B "$work/example" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_COMPILER="$cxx" \
  > "$work/example-configure.log"
"$cmake" --build "$work/example" > "$work/example-build.log"
"$work/example/train_tiny" "$work/run-cmake" | tee "$work/run-cmake.log"
grep -q "^OK: " "$work/run-cmake.log"
echo "find_package(nanossl): the example builds and passes"

# pkg-config, as a build without CMake would.
flags=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs nanossl)
# shellcheck disable=SC2086  # the flags are meant to split into words
"$cxx" -std=c++20 "$source/examples/train_tiny.cpp" $flags -o "$work/train_tiny_pc"
"$work/train_tiny_pc" "$work/run-pc" > "$work/run-pc.log"
grep -q "^OK: " "$work/run-pc.log"
echo "pkg-config nanossl: the example builds and passes"

# The installed program, run from another directory, reads its installed presets.
(cd "$work" && "$prefix/bin/nanossl" presets > presets.log)
grep -q "nanossl train --preset NAME" "$work/presets.log"
grep -q "^Presets read from $prefix/share/nanossl/presets\.$" "$work/presets.log" ||
  { cat "$work/presets.log" >&2; echo "the installed program did not read its installed presets" >&2; exit 1; }
echo "the installed program finds its presets in $prefix/share/nanossl/presets"
