#!/usr/bin/env bash
# Packages the existing build/ (built by scripts/build.sh or scripts/test.sh) as a
# Debian package with CPack, without building anything new, and prints the .deb's
# path. Its contents, Depends and CUDA caveat: cmake/package.cmake, docs/install.md.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/CPackConfig.cmake ] || { echo "package: no build/CPackConfig.cmake; run scripts/build.sh first" >&2; exit 1; }
rm -f build/nanossl_*.deb
(cd build && cpack -G DEB > cpack.log 2>&1) || { cat build/cpack.log >&2; exit 1; }
deb=$(ls build/nanossl_*.deb)
dpkg-deb --field "$deb" Package Version Depends
echo "$PWD/$deb"
