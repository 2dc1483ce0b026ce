#!/usr/bin/env bash
# Installs the .deb that scripts/package.sh made (or the one given) system-wide with
# apt-get, runs the installed program from /tmp (`info`, and `presets`, which must
# come from /usr/share/nanossl/presets), then removes the package and checks that
# /usr/bin/nanossl is gone. Needs root (or sudo): CI runs it as root.
# Usage: check_package.sh [FILE.deb]
set -euo pipefail
cd "$(dirname "$0")/.."
deb=$(realpath "${1:-$(ls build/nanossl_*.deb)}")
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
if dpkg-query -W -f='${Status}' nanossl 2>/dev/null | grep -q "install ok installed"; then
  echo "check_package: nanossl is already installed; remove it first (apt-get remove nanossl)" >&2
  exit 1
fi

DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "$deb" > /dev/null
# Removed again however the checks end.
trap 'DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get remove -y -qq nanossl > /dev/null' EXIT
cd /tmp
test "$(command -v nanossl)" = /usr/bin/nanossl
nanossl info
nanossl presets > /tmp/nanossl-presets.log
grep -q "nanossl train --preset NAME" /tmp/nanossl-presets.log
grep -q "^Presets read from /usr/share/nanossl/presets\.$" /tmp/nanossl-presets.log ||
  { cat /tmp/nanossl-presets.log >&2; echo "check_package: the installed presets were not read" >&2; exit 1; }
test -f /usr/lib/cmake/nanossl/nanosslConfig.cmake && test -f /usr/lib/pkgconfig/nanossl.pc
echo "check_package: installed, nanossl info and presets run from /tmp on /usr/share/nanossl/presets"

trap - EXIT
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get remove -y -qq nanossl > /dev/null
if [ -e /usr/bin/nanossl ]; then echo "check_package: /usr/bin/nanossl is still there after removal" >&2; exit 1; fi
echo "check_package: removed, /usr/bin/nanossl is gone"
