#!/usr/bin/env bash
# Run HERE (the Debian build machine) before a GPU session: gathers into
# .devcarry/ what the GPU machine's image lacks and cannot download (it has no
# network): header-only CLI11 and stb, the headers and libraries of libjpeg-turbo
# and zlib, and GoogleTest's sources. Then call the device tool with
#   command: bash bench/gpu/run.sh      carry: [".devcarry"]
# run.sh puts .devcarry on the compiler's and linker's search paths when present.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/setup.sh
rm -rf .devcarry
mkdir -p .devcarry/include .devcarry/lib
cp -r /usr/include/CLI .devcarry/include/
cp -r /usr/include/stb .devcarry/include/
cp /usr/include/turbojpeg.h /usr/include/zlib.h /usr/include/zconf.h .devcarry/include/
cp -L /usr/lib/x86_64-linux-gnu/libz.so .devcarry/lib/libz.so
cp -P /usr/lib/x86_64-linux-gnu/libturbojpeg.so* .devcarry/lib/
cp -r /usr/src/googletest .devcarry/googletest
grep -qxF '/.devcarry/' .git/info/exclude 2>/dev/null || echo '/.devcarry/' >> .git/info/exclude
du -sh .devcarry
